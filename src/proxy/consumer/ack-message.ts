/**
 * AckMessage, as rocketmq-proxy 5.3.3's AckMessageActivity answers it (one by one, enableBatchAck
 * being false by default): each entry's handle (the latest one when the proxy renewed it) is acked
 * with ACK_MESSAGE; each entry gets its own status (OK, INVALID_RECEIPT_HANDLE for an expired or
 * malformed handle, INTERNAL_SERVER_ERROR "ack failed: status is abnormal" when the broker refused),
 * and the response's status is the one code they share, else MULTIPLE_RESULTS.
 */
import { OK_STATUS, statusOf, type Status } from '../proxy-error.js';
import type { UnaryRpc } from '../grpc/rpc-types.js';
import type { ProxyContext } from '../context.js';
import { validateTopicAndGroup } from './validate.js';
import { checkNotExpired, decodeReceiptHandle } from './receipt-handle.js';
import { ackOnBroker } from './broker-calls.js';
import { consumerState } from './consumer-state.js';

interface Entry {
  messageId?: string;
  receiptHandle?: string;
}

async function ackOne(ctx: ProxyContext, clientId: string, group: string, topic: string, e: Entry): Promise<Status> {
  try {
    const handle = consumerState(ctx).take(clientId, group, e.messageId ?? '', e.receiptHandle ?? '');
    const h = decodeReceiptHandle(handle);
    checkNotExpired(h);
    return (await ackOnBroker(ctx, h, group, topic)) ? OK_STATUS : { code: 'INTERNAL_SERVER_ERROR', message: 'ack failed: status is abnormal' };
  } catch (err) {
    return statusOf(err);
  }
}

/** AckMessageActivity#setAckResponseStatus. */
export function overallStatus(statuses: readonly Status[]): Status {
  const codes = new Set(statuses.map((s) => s.code));
  if (codes.size > 1) return { code: 'MULTIPLE_RESULTS', message: 'MULTIPLE_RESULTS' };
  if (codes.size === 1) {
    const code = statuses[0].code;
    return { code, message: code };
  }
  return { code: 'INTERNAL_SERVER_ERROR', message: 'ack message result is empty' };
}

export const ackMessage: UnaryRpc = {
  kind: 'unary',
  async handle(ctx, req, meta) {
    const [topic, group] = validateTopicAndGroup(req.topic, req.group);
    const entries: Entry[] = req.entries ?? [];
    const statuses = await Promise.all(entries.map((e) => ackOne(ctx, meta.clientId, group, topic, e)));
    return {
      status: overallStatus(statuses),
      entries: entries.map((e, i) => ({ messageId: e.messageId ?? '', receiptHandle: e.receiptHandle ?? '', status: statuses[i] })),
    };
  },
};
