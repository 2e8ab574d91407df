/**
 * PullMessage (server streaming), in the newest service.proto for PullConsumer. rocketmq-proxy 5.3.3
 * does not serve it (it answers gRPC UNIMPLEMENTED); here it is PULL_MESSAGE on the queue the request
 * names, as ConsumerProcessor#pullMessage sends it: from `offset`, at most batch_size (≤ 32) messages,
 * with the request's filter, held by the broker up to long_polling_timeout. The stream: a status (OK
 * with messages; MESSAGE_NOT_FOUND when nothing new or nothing matched; ILLEGAL_OFFSET when the offset
 * is out of the queue's range), the messages (no receipt handle: the consumer commits offsets with
 * UpdateOffset), then next_offset, the offset to pull from next.
 */
import { createRequest } from '../../remoting/command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { PullSysFlag } from '../../protocol/sys-flag.js';
import { MessageConst } from '../../protocol/message-const.js';
import { fromRemoting, statusOf } from '../proxy-error.js';
import type { ServerStreamRpc } from '../grpc/rpc-types.js';
import { decodeMessages, toGrpcMessage, toMillis } from '../convert/from-remoting.js';
import { validateTopicAndGroup } from './validate.js';
import { subscriptionOf, tagMatches } from './filter-expression.js';
import { queueAddr } from './offset-rpcs.js';

const MAX_PULL_NUMS = 32;
const CALL_SLACK_MS = 3_000;

export const pullMessage: ServerStreamRpc = {
  kind: 'serverStream',
  async handle(ctx, req, meta, write) {
    let nextOffset = Number(req.offset ?? 0);
    try {
      const [topic, group] = validateTopicAndGroup(req.messageQueue?.topic, req.group);
      const sub = subscriptionOf(topic, req.filterExpression);
      const addr = await queueAddr(ctx, topic, req.messageQueue?.broker?.name);
      const pollMs = Math.min(toMillis(req.longPollingTimeout), ctx.config.grpcClientConsumerMaxLongPollingTimeoutMillis);
      const remaining = meta.remainingMs();
      const header: Record<string, string> = {
        consumerGroup: group, topic, queueId: String(req.messageQueue?.id ?? 0), queueOffset: String(nextOffset),
        maxMsgNums: String(Math.min(Math.max(1, req.batchSize || 1), MAX_PULL_NUMS)),
        sysFlag: String(PullSysFlag.FLAG_SUBSCRIPTION | (pollMs > 0 ? PullSysFlag.FLAG_SUSPEND : 0)),
        commitOffset: '0', suspendTimeoutMillis: String(pollMs), subscription: sub.subString, subVersion: '0', expressionType: sub.expressionType,
      };
      const timeout = Number.isFinite(remaining) ? Math.max(remaining, 1) : pollMs + CALL_SLACK_MS;
      const res = await ctx.brokers.invoke(addr, createRequest(RequestCode.PULL_MESSAGE, header), timeout);
      const x = res.extFields ?? {};
      if (x.nextBeginOffset !== undefined) nextOffset = Number(x.nextBeginOffset);
      switch (res.code) {
        case ResponseCode.SUCCESS: {
          const body = Array.isArray(res.body) ? Buffer.concat(res.body) : res.body;
          // As the remoting client's processPullResult: tags re-checked (the broker filters by tag hash).
          const found = decodeMessages(body).filter((m) => tagMatches(sub, m.properties.get(MessageConst.PROPERTY_TAGS)));
          if (found.length === 0) {
            write({ status: { code: 'MESSAGE_NOT_FOUND', message: 'no match message' } });
            break;
          }
          write({ status: { code: 'OK', message: 'OK' } });
          for (const m of found) write({ message: toGrpcMessage(m) });
          break;
        }
        case ResponseCode.PULL_NOT_FOUND:
          write({ status: { code: 'MESSAGE_NOT_FOUND', message: 'no new message' } });
          break;
        case ResponseCode.PULL_RETRY_IMMEDIATELY:
          write({ status: { code: 'MESSAGE_NOT_FOUND', message: 'no match message' } });
          break;
        case ResponseCode.PULL_OFFSET_MOVED:
          write({ status: { code: 'ILLEGAL_OFFSET', message: `offset ${req.offset} is illegal, next offset ${nextOffset}` } });
          break;
        default:
          throw fromRemoting(res.code, res.remark);
      }
    } catch (e) {
      write({ status: statusOf(e) });
    }
    write({ nextOffset });
  },
};
