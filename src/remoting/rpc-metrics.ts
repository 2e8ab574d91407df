import { Histogram, labelText, type MetricsSource, type PromWriter } from './prom-format.js';
import { requestCodeDesc, responseCodeDesc } from '../protocol/code-desc.js';
import type { RpcObserver } from './dispatcher.js';
import { isOneway, type RemotingCommand } from './command.js';

/** RemotingMetricsManager's buckets for rocketmq_rpc_latency, in ms. */
export const RPC_LATENCY_BUCKETS_MS = [1, 3, 5, 7, 10, 100, 1000, 2000, 3000] as const;

interface RpcSeries {
  labels: string;
  h: Histogram;
}

/** Response codes fit in 12 bits after the shift; request codes (up to 200151) times 8192 stay far below 2^53. */
const RESPONSE_SHIFT = 4096;

/**
 * rocketmq_rpc_latency (RemotingMetricsManager, rocketmq-remoting): one histogram per request code,
 * response code, result (success, or oneway for a one-way request whose processor still answered) and
 * whether the request was held by long polling, recorded when the response is handed to the socket, as
 * NettyRemotingAbstract#writeResponse records it. The key of a label set is a number, so a request
 * already seen costs a Map lookup and a few additions.
 */
export class RpcMetrics implements MetricsSource, RpcObserver {
  private readonly series = new Map<number, RpcSeries>();

  /** `base`: the process's labels (cluster, node_id, node_type), added to every series. */
  constructor(private readonly base: Record<string, string>) {}

  /** Java's Stopwatch#elapsed(MILLISECONDS) reports whole milliseconds. */
  rpcCompleted(request: RemotingCommand, responseCode: number, longPolling: boolean, elapsedMs: number): void {
    const requestCode = request.code;
    const oneway = isOneway(request);
    const key = ((requestCode * 8192 + responseCode + RESPONSE_SHIFT) * 2 + (oneway ? 1 : 0)) * 2 + (longPolling ? 1 : 0);
    let s = this.series.get(key);
    if (!s) {
      s = {
        labels: labelText({
          ...this.base,
          protocol_type: 'remoting',
          is_long_polling: String(longPolling),
          request_code: requestCodeDesc(requestCode),
          response_code: responseCodeDesc(responseCode),
          result: oneway ? 'oneway' : 'success',
        }),
        h: new Histogram(RPC_LATENCY_BUCKETS_MS),
      };
      this.series.set(key, s);
    }
    s.h.observe(Math.floor(elapsedMs));
  }

  write(w: PromWriter): void {
    if (this.series.size === 0) return;
    w.family('rocketmq_rpc_latency', 'histogram', 'Rpc latency');
    for (const s of this.series.values()) w.histogram('rocketmq_rpc_latency_milliseconds', s.labels, s.h);
  }
}
