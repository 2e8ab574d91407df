/**
 * ReceiveMessage (server streaming), as rocketmq-proxy 5.3.3's ReceiveMessageActivity and
 * ReceiveMessageResponseStreamWriter answer it. Steps:
 *   1. polling time: the request's long_polling_timeout (else the deadline less half the client's
 *      request timeout), clamped to [min, max]LongPollingTimeout and to the time the deadline leaves;
 *      less than the minimum left is ILLEGAL_POLLING_TIME (BAD_REQUEST for clients before 5.0.3);
 *   2. topic and group names, invisible time (auto_renew: defaultInvisibleTimeMills, else at least
 *      minInvisibleTimeMillsForRecv), filter expression;
 *   3. a broker: the one the request's queue names, else the next of the topic's readable brokers;
 *   4. POP_MESSAGE on all its queues (queueId -1), orderly when the group is FIFO
 *      (consumeMessageOrderly), long-polled by the broker for the polling time;
 *   5. each popped message: a tag that does not match is acked, one delivered maxAttempts times
 *      (the group's retryMaxTimes + 1) goes to the DLQ, the rest are answered;
 *   6. the stream: a status (OK, or MESSAGE_NOT_FOUND "no new message" / "no match message",
 *      TOO_MANY_REQUESTS "polling full", or the error), the messages, then delivery_timestamp. Messages
 *      the client can no longer be sent (it cancelled) are made visible again in 1 s.
 */
import { createRequest } from '../../remoting/command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { isReadable } from '../../protocol/perm-name.js';
import { MessageConst, MessageConst5 } from '../../protocol/message-const.js';
import { ProxyError, statusOf, type Status } from '../proxy-error.js';
import type { ProxyContext } from '../context.js';
import type { RequestMeta, ServerStreamRpc } from '../grpc/rpc-types.js';
import { MASTER_ID } from '../topic-routes.js';
import { fromMillis, toGrpcMessage, toMillis, type RemotingMessage } from '../convert/from-remoting.js';
import { popResultOf, type PopResult } from './pop-result.js';
import { consumerState } from './consumer-state.js';
import { validateInvisibleTime, validateTopicAndGroup } from './validate.js';
import { subscriptionOf, tagMatches } from './filter-expression.js';
import { ackOnBroker, changeInvisibleOnBroker, forwardToDlq } from './broker-calls.js';
import { decodeReceiptHandle } from './receipt-handle.js';

/** ReceiveMessageActivity.ILLEGAL_POLLING_TIME_INTRODUCED_CLIENT_VERSION. */
const ILLEGAL_POLLING_TIME_SINCE = '5.0.3';
/** ProxyUtils.MAX_MSG_NUMS_FOR_POP_REQUEST. */
const MAX_MSG_NUMS = 32;
/** ReceiveMessageResponseStreamWriter.NACK_INVISIBLE_TIME. */
const NACK_INVISIBLE_MS = 1_000;
/** ConsumeInitMode.MAX: a group's first pop starts at the queue's end. */
const INIT_MODE_MAX = 1;
/** Slack on the remoting call over the broker's poll time, when the call has no deadline. */
const POLL_CALL_SLACK_MS = 3_000;

type Write = (res: unknown) => void;

/** Java's String#compareTo for version strings, as the activity compares them. */
const olderThan = (v: string, than: string): boolean => !v || v < than;

function pollingTimeOf(ctx: ProxyContext, req: any, meta: RequestMeta, settings: any): number {
  const cfg = ctx.config;
  const remaining = meta.remainingMs();
  let polling = req.longPollingTimeout ? toMillis(req.longPollingTimeout) : remaining - toMillis(settings?.requestTimeout) / 2;
  if (!Number.isFinite(polling)) polling = cfg.grpcClientConsumerMaxLongPollingTimeoutMillis;
  polling = Math.min(Math.max(polling, cfg.grpcClientConsumerMinLongPollingTimeoutMillis), cfg.grpcClientConsumerMaxLongPollingTimeoutMillis);
  if (polling > remaining) {
    if (remaining < cfg.grpcClientConsumerMinLongPollingTimeoutMillis) {
      const code = olderThan(meta.clientVersion, ILLEGAL_POLLING_TIME_SINCE) ? 'BAD_REQUEST' : 'ILLEGAL_POLLING_TIME';
      throw new ProxyError(code, 'The deadline time remaining is not enough for polling, please check network condition');
    }
    polling = remaining;
  }
  return polling;
}

/** ReceiveMessageQueueSelector: the named broker when it has readable queues, else the next readable one. */
async function pickBroker(ctx: ProxyContext, topic: string, brokerName: string | undefined): Promise<{ name: string; addr: string }> {
  const route = await ctx.routes.route(topic);
  const readable: { name: string; addr: string }[] = [];
  for (const q of route.queueDatas) {
    if (!isReadable(q.perm) || q.readQueueNums <= 0) continue;
    const b = route.brokerDatas.find((d) => d.brokerName === q.brokerName);
    // getMasterAddrPrefer: the master, else any replica.
    const addr = b?.brokerAddrs.get(MASTER_ID) ?? b?.brokerAddrs.values().next().value;
    if (addr && !readable.some((r) => r.name === q.brokerName)) readable.push({ name: q.brokerName, addr });
  }
  const named = brokerName ? readable.find((r) => r.name === brokerName) : undefined;
  if (named) return named;
  if (readable.length === 0) throw new ProxyError('FORBIDDEN', 'no readable queue');
  return readable[consumerState(ctx).next(`broker@${topic}`, readable.length)];
}

export const receiveMessage: ServerStreamRpc = {
  kind: 'serverStream',
  async handle(ctx, req, meta, write: Write, signal) {
    let messages: RemotingMessage[] = [];
    let group = '';
    let topic = '';
    try {
      const settings = ctx.clients.get(meta.clientId)?.settings;
      const pollingTime = pollingTimeOf(ctx, req, meta, settings);
      [topic, group] = validateTopicAndGroup(req.messageQueue?.topic, req.group);
      let invisibleTime = toMillis(req.invisibleDuration);
      if (req.autoRenew) invisibleTime = ctx.config.defaultInvisibleTimeMills;
      else validateInvisibleTime(invisibleTime, ctx.config.minInvisibleTimeMillsForRecv, ctx.config.maxInvisibleTimeMills);
      const sub = subscriptionOf(topic, req.filterExpression);

      const state = consumerState(ctx);
      const broker = await pickBroker(ctx, topic, req.messageQueue?.broker?.name);
      const gc = await state.groups.get(broker.addr, group);
      const fifo = gc.consumeMessageOrderly;
      const maxAttempts = gc.retryMaxTimes + 1;
      const remaining = meta.remainingMs();
      const header: Record<string, string> = {
        consumerGroup: group, topic, queueId: '-1', maxMsgNums: String(Math.min(Math.max(1, req.batchSize || 1), MAX_MSG_NUMS)),
        invisibleTime: String(invisibleTime), pollTime: String(pollingTime), bornTime: String(Date.now()), initMode: String(INIT_MODE_MAX),
        expType: sub.expressionType, exp: sub.subString, order: String(fifo),
      };
      if (req.attemptId) header.attemptId = req.attemptId;
      const timeout = Number.isFinite(remaining) ? Math.max(remaining, 1) : pollingTime + POLL_CALL_SLACK_MS;
      const res = await ctx.brokers.invoke(broker.addr, createRequest(RequestCode.POP_MESSAGE, header), timeout);
      const pop: PopResult = popResultOf(res, broker.name, topic, fifo);
      messages = pop.messages.filter((m) => keep(ctx, m, group, topic, maxAttempts, (t) => tagMatches(sub, t)));
      if (req.autoRenew) {
        for (const m of messages) {
          const id = m.properties.get(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX) ?? m.msgId;
          state.track(meta.clientId, group, topic, id, m.properties.get(MessageConst5.PROPERTY_POP_CK)!, m.reconsumeTimes);
        }
      }
      writeResult(write, pop, messages, signal, ctx, group, topic);
    } catch (e) {
      const status: Status = statusOf(e);
      write({ status });
    }
    write({ deliveryTimestamp: fromMillis(Date.now()) });
  },
};

/** PopMessageResultFilterImpl + ConsumerProcessor: false for a message acked (no tag match) or sent to the DLQ. */
function keep(ctx: ProxyContext, m: RemotingMessage, group: string, topic: string, maxAttempts: number, matches: (tag: string | undefined) => boolean): boolean {
  const handle = m.properties.get(MessageConst5.PROPERTY_POP_CK);
  if (!handle) return true;
  try {
    const h = decodeReceiptHandle(handle);
    if (!matches(m.properties.get(MessageConst.PROPERTY_TAGS))) {
      ackOnBroker(ctx, h, group, topic).catch(() => {});
      return false;
    }
    if (m.reconsumeTimes >= maxAttempts) {
      const id = m.properties.get(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX) ?? m.msgId;
      forwardToDlq(ctx, h, id, group, topic).catch(() => {});
      return false;
    }
  } catch {
    // As the Java filter's catch: a message that cannot be judged is delivered.
  }
  return true;
}

function writeResult(write: Write, pop: PopResult, messages: RemotingMessage[], signal: AbortSignal, ctx: ProxyContext, group: string, topic: string): void {
  switch (pop.status) {
    case 'FOUND':
      if (messages.length === 0) {
        write({ status: { code: 'MESSAGE_NOT_FOUND', message: 'no match message' } });
        return;
      }
      write({ status: { code: 'OK', message: 'OK' } });
      for (const m of messages) {
        if (signal.aborted) {
          // The client is gone: what it did not get becomes visible again soon (processThrowableWhenWriteMessage).
          nack(ctx, m, group, topic);
          continue;
        }
        write({ message: toGrpcMessage(m) });
      }
      return;
    case 'POLLING_FULL':
      write({ status: { code: 'TOO_MANY_REQUESTS', message: 'polling full' } });
      return;
    default:
      write({ status: { code: 'MESSAGE_NOT_FOUND', message: 'no new message' } });
  }
}

function nack(ctx: ProxyContext, m: RemotingMessage, group: string, topic: string): void {
  const handle = m.properties.get(MessageConst5.PROPERTY_POP_CK);
  if (!handle) return;
  try {
    changeInvisibleOnBroker(ctx, decodeReceiptHandle(handle), group, topic, NACK_INVISIBLE_MS).catch(() => {});
  } catch {
    // an undecodable handle: nothing to change
  }
}
