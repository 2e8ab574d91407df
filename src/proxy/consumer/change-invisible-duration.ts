/**
 * ChangeInvisibleDuration, as rocketmq-proxy 5.3.3's ChangeInvisibleDurationActivity answers it: the
 * handle (the latest one when the proxy renewed it; renewing stops) gets the new invisible time with
 * CHANGE_MESSAGE_INVISIBLETIME, and the answer carries the new handle the client must use from now
 * on. A PushConsumer's retry backoff is this call: a message it failed to consume comes back when the
 * duration it asks for has passed, as the next delivery attempt.
 */
import { OK_STATUS } from '../proxy-error.js';
import type { UnaryRpc } from '../grpc/rpc-types.js';
import { toMillis } from '../convert/from-remoting.js';
import { validateInvisibleTime, validateTopicAndGroup } from './validate.js';
import { checkNotExpired, decodeReceiptHandle } from './receipt-handle.js';
import { changeInvisibleOnBroker } from './broker-calls.js';
import { consumerState } from './consumer-state.js';

export const changeInvisibleDuration: UnaryRpc = {
  kind: 'unary',
  async handle(ctx, req, meta) {
    const [topic, group] = validateTopicAndGroup(req.topic, req.group);
    const invisibleMs = toMillis(req.invisibleDuration);
    validateInvisibleTime(invisibleMs, 0, ctx.config.maxInvisibleTimeMills);
    let h = decodeReceiptHandle(req.receiptHandle);
    const latest = consumerState(ctx).take(meta.clientId, group, req.messageId ?? '', h.text);
    if (latest !== h.text) h = decodeReceiptHandle(latest);
    checkNotExpired(h);
    const renewed = await changeInvisibleOnBroker(ctx, h, group, topic, invisibleMs);
    if (renewed === undefined) {
      return { status: { code: 'INTERNAL_SERVER_ERROR', message: 'changeInvisibleDuration failed: status is abnormal' }, receiptHandle: '' };
    }
    return { status: OK_STATUS, receiptHandle: renewed };
  },
};
