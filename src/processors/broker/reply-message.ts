/**
 * SEND_REPLY_MESSAGE (324) and SEND_REPLY_MESSAGE_V2 (325): a responder's reply to a request message
 * (ReplyMessageProcessor). The reply is pushed to the requester as PUSH_REPLY_MESSAGE_TO_CLIENT (326),
 * and then, with storeReplyMessageEnable, also stored in its topic (`<cluster>_REPLY_TOPIC`).
 * Steps: parse header → check topic and queue as a send does → push → store → answer.
 * The answer's code is the push's: a stored reply that could not be pushed is still SYSTEM_ERROR (the
 * responder's sync send then retries it, as against the Java broker).
 */
import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createRequest, createResponse, requestBody } from '../../remoting/command.js';
import type { Connection } from '../../remoting/connection.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { RequestCode } from '../../protocol/request-code.js';
import { MessageConst, NAME_VALUE_SEPARATOR as NV, PROPERTY_SEPARATOR as PS } from '../../protocol/message-const.js';
import { parseSendHeader, type SendMessageRequestHeader } from '../../codec/send-header.js';
import { getProperty, tagsCode } from '../../codec/message-properties.js';
import type { MessageInner } from '../../codec/message.js';
import { putMessage } from '../../broker/put/put-message.js';
import { isStored } from '../../broker/message/stored-message.js';
import { checkMessage } from './send-message.js';
import { messageTypeOf } from '../../broker/metrics/broker-metrics.js';
import { log } from '../../logger.js';

/** Broker2Client#callClient waits this long for the requester to take the reply. */
const PUSH_REPLY_TIMEOUT_MS = 10_000;

const REPLY_TO = MessageConst.PROPERTY_MESSAGE_REPLY_TO_CLIENT;

export async function sendReplyMessage(ctx: BrokerContext, req: RemotingCommand, conn: Connection): Promise<RemotingCommand> {
  const header = parseSendHeader(req);
  const ext: Record<string, string> = { MSG_REGION: ctx.config.regionId, TRACE_ON: String(ctx.config.traceOn) };
  const checked = checkMessage(ctx, header, conn);
  if ('code' in checked) return createResponse(req, checked.code, checked.remark, ext);

  // ReplyMessageProcessor: nextInt(99999999) % writeQueueNums.
  const queueId = header.queueId < 0 ? Math.floor(Math.random() * 99_999_999) % Math.max(1, checked.writeQueueNums) : header.queueId;
  const body = requestBody(req) ?? Buffer.alloc(0);

  const pushed = await pushReply(ctx, req, header, body, conn);
  const response = pushed.ok
    ? createResponse(req, ResponseCode.SUCCESS, undefined, { ...ext, msgId: '0', queueId: String(queueId), queueOffset: '0' })
    : createResponse(req, ResponseCode.SYSTEM_ERROR, pushed.remark, ext);

  if (ctx.config.storeReplyMessageEnable) {
    // Stored with the properties as sent: no PUSH_REPLY_TIME, no CLUSTER (the Java broker keeps the header's string).
    const msg: MessageInner = {
      topic: header.topic,
      queueId,
      flag: header.flag,
      body,
      propertiesString: header.properties,
      tagsCode: tagsCode(getProperty(header.properties, MessageConst.PROPERTY_TAGS)),
      sysFlag: header.sysFlag,
      bornTimestamp: header.bornTimestamp,
      bornHost: { ip: conn.remoteAddress, port: conn.socket.remotePort ?? 0 },
      storeHost: ctx.storeHost,
      reconsumeTimes: header.reconsumeTimes,
      preparedTransactionOffset: 0,
    };
    const put = await putMessage(ctx, msg, { parkTimers: true });
    // A failed store only logs in Java; the answer keeps the push's code.
    if (!('code' in put) && put.appendResult && isStored(put)) {
      ctx.stats.incPut(put.storedTopic, put.appendResult.msgNum, put.appendResult.wroteBytes);
      ctx.metrics?.messagesIn(put.storedTopic, messageTypeOf(header.properties), put.appendResult.msgNum, put.appendResult.wroteBytes);
      response.extFields!.msgId = put.appendResult.msgId;
      response.extFields!.queueId = String(queueId);
      response.extFields!.queueOffset = String(put.appendResult.logicsOffset);
    }
  }
  return response;
}

type PushResult = { ok: true } | { ok: false; remark: string };

/**
 * ReplyMessageProcessor#pushReplyMessage: the requester is found by the clientId in REPLY_TO_CLIENT among
 * the producers that heartbeated to this broker. Awaiting its answer holds only this request.
 */
async function pushReply(ctx: BrokerContext, req: RemotingCommand, h: SendMessageRequestHeader, body: Buffer, conn: Connection): Promise<PushResult> {
  // Java warns of each reply it could not push; a client can cause many, so these are rate-limited.
  const refuse = (remark: string): PushResult => {
    log.client('reply not pushed', remark);
    return { ok: false, remark };
  };
  const senderId = getProperty(h.properties, REPLY_TO);
  if (senderId === undefined) return refuse(`reply message properties[${REPLY_TO}] is null`);
  const channel = ctx.producers.findChannel(senderId);
  if (!channel) return refuse(`push reply message fail, channel of <${senderId}> not found.`);

  const pushTime = MessageConst.PROPERTY_PUSH_REPLY_TIME + NV + Date.now();
  const props = h.properties === '' ? pushTime : (h.properties.endsWith(PS) ? h.properties : h.properties + PS) + pushTime;
  const raw = req.extFields ?? {};
  const reconsumeTimes = req.code === RequestCode.SEND_REPLY_MESSAGE ? raw.reconsumeTimes : raw.j;
  // ReplyMessageRequestHeader, field for field as Broker2Client sends it; queueId is the one the responder sent.
  const fields: Record<string, string> = {
    producerGroup: h.producerGroup,
    topic: h.topic,
    defaultTopic: h.defaultTopic,
    defaultTopicQueueNums: String(h.defaultTopicQueueNums),
    queueId: String(h.queueId),
    sysFlag: String(h.sysFlag),
    bornTimestamp: String(h.bornTimestamp),
    flag: String(h.flag),
    properties: props,
    ...(reconsumeTimes !== undefined ? { reconsumeTimes } : {}),
    unitMode: String(h.unitMode),
    bornHost: `${conn.remoteAddress}:${conn.socket.remotePort ?? 0}`,
    storeHost: `${ctx.storeHost.ip}:${ctx.storeHost.port}`,
    storeTimestamp: String(Date.now()),
  };
  const failed: PushResult = { ok: false, remark: `push reply message to ${senderId}fail.` };
  try {
    const answer = await channel.invoke(createRequest(RequestCode.PUSH_REPLY_MESSAGE_TO_CLIENT, fields, body), PUSH_REPLY_TIMEOUT_MS);
    if (answer.code === ResponseCode.SUCCESS) return { ok: true };
    log.client('reply not pushed', `push reply message to <${senderId}> return fail, response remark: ${answer.remark}`);
  } catch (e) {
    log.client('reply not pushed', `push reply message to <${senderId}> fail: ${(e as Error).message}`);
  }
  return failed;
}
