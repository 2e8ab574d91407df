/**
 * ForwardMessageToDeadLetterQueue, as rocketmq-proxy 5.3.3's ForwardMessageToDLQActivity answers it:
 * a FIFO PushConsumer that used up its attempts sends the message here; the broker puts it into
 * `%DLQ%<group>` (CONSUMER_SEND_MSG_BACK, delayLevel -1) and the proxy then acks it. The status is the
 * broker's answer: its code mapped as every remoting code is, its remark (or the code's number) as text.
 */
import { codeOfRemoting } from '../proxy-error.js';
import type { UnaryRpc } from '../grpc/rpc-types.js';
import { validateTopicAndGroup } from './validate.js';
import { decodeReceiptHandle } from './receipt-handle.js';
import { forwardToDlq } from './broker-calls.js';
import { consumerState } from './consumer-state.js';

export const forwardMessageToDeadLetterQueue: UnaryRpc = {
  kind: 'unary',
  async handle(ctx, req, meta) {
    const [topic, group] = validateTopicAndGroup(req.topic, req.group);
    const handle = consumerState(ctx).take(meta.clientId, group, req.messageId ?? '', req.receiptHandle ?? '');
    const h = decodeReceiptHandle(handle);
    const res = await forwardToDlq(ctx, h, req.messageId ?? '', group, topic);
    return { status: { code: codeOfRemoting(res.code), message: res.remark ?? String(res.code) } };
  },
};
