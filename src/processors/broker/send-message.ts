import type { BrokerContext } from '../../broker/broker-context.js';
import { type ExtFields, type RemotingCommand, createResponse, requestBody } from '../../remoting/command.js';
import type { Connection } from '../../remoting/connection.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { RequestCode } from '../../protocol/request-code.js';
import { MessageConst, NAME_VALUE_SEPARATOR as NV, PROPERTY_SEPARATOR as PS } from '../../protocol/message-const.js';
import { PermName, isWriteable } from '../../protocol/perm-name.js';
import { TopicSysFlag } from '../../protocol/sys-flag.js';
import { parseSendHeader, type SendMessageRequestHeader } from '../../codec/send-header.js';
import { decodeBatch } from '../../codec/message-batch.js';
import { getProperty, parseProperties, propertiesToString, tagsCode } from '../../codec/message-properties.js';
import { validateTopic, isNotAllowedSendTopic, DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX } from '../../protocol/topic-validator.js';
import { describeTopicConfig, type TopicConfig } from '../../broker/metadata/topic-config-manager.js';
import { putMessages, refuseBatch, routeAndPut } from '../../broker/put/put-message.js';
import { isStored } from '../../broker/message/stored-message.js';
import type { PutMessageResult } from '../../store/types.js';
import { diskUtil, isDiskUtil, storeDiskPaths } from '../../store/disk-space-guard.js';
import { FsStoreFiles } from '../../store/store-files.js';
import type { BrokerConfig } from '../../config/broker-config.js';
import type { MessageInner } from '../../codec/message.js';
import { messageTypeOf } from '../../broker/metrics/broker-metrics.js';

/**
 * SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320).
 * Steps: parse header → check broker, topic and queue (auto-creating the topic) → build the
 * stored message(s) → put (broker/put/put-message.ts: retry budget, half, delay, timer, store) →
 * map the store status to a response code (handlePutMessageResult).
 */
export async function sendMessage(ctx: BrokerContext, req: RemotingCommand, conn: Connection): Promise<RemotingCommand> {
  const header = parseSendHeader(req);
  const fail = (code: number, remark: string): RemotingCommand => createResponse(req, code, remark, regionFields(ctx.config));

  const checked = checkMessage(ctx, header, conn);
  if (typeof checked === 'object' && 'code' in checked) return fail(checked.code, checked.remark);
  const topicConfig = checked;

  let queueId = header.queueId;
  if (queueId < 0) queueId = Math.floor(Math.random() * 0x7fffffff) % Math.max(1, topicConfig.writeQueueNums);

  const body = requestBody(req) ?? Buffer.alloc(0);
  if (body.length > ctx.config.maxMessageSize) {
    return fail(ResponseCode.MESSAGE_ILLEGAL, `the message body size over max value, MAX: ${ctx.config.maxMessageSize}`);
  }
  const bornHost = { ip: conn.remoteAddress, port: conn.socket.remotePort ?? 0 };
  const inner = (flag: number, msgBody: Buffer, props: string): MessageInner => ({
    topic: header.topic,
    queueId,
    flag,
    body: msgBody,
    propertiesString: props,
    tagsCode: tagsCode(getProperty(props, MessageConst.PROPERTY_TAGS)),
    sysFlag: header.sysFlag,
    bornTimestamp: header.bornTimestamp,
    bornHost,
    storeHost: ctx.storeHost,
    reconsumeTimes: header.reconsumeTimes,
    preparedTransactionOffset: 0,
  });
  const clusterName = ctx.config.brokerClusterName;
  let result;
  let timerSlotMs: number | undefined;
  if (req.code === RequestCode.SEND_BATCH_MESSAGE || header.batch) {
    const batchRefusal = refuseBatch(header.topic, header.sysFlag, header.properties);
    if (batchRefusal) return fail(batchRefusal.code, batchRefusal.remark);
    let items;
    try {
      items = decodeBatch(body);
    } catch (e) {
      return fail(ResponseCode.MESSAGE_ILLEGAL, `the batch message is malformed: ${(e as Error).message}`);
    }
    if (items.length === 0) return fail(ResponseCode.MESSAGE_ILLEGAL, 'the batch message is empty');
    result = await putMessages(ctx, items.map((it) => inner(it.flag, it.body, storedProperties(it.properties, header.properties, clusterName))));
  } else {
    const msg = inner(header.flag, body, storedProperties(header.properties, undefined, clusterName));
    const routed = routeAndPut(ctx, msg, {
      retryBudget: { clientVersion: req.version, maxReconsumeTimes: header.maxReconsumeTimes },
      prepareHalf: true,
      parkTimers: true,
    });
    if ('code' in routed) return fail(routed.code, routed.remark);
    // SendMessageProcessor#handleRetryAndDLQ: a retry message out of budget, counted under the sender's group.
    if (ctx.metrics && routed.storedTopic !== header.topic && routed.storedTopic.startsWith(DLQ_GROUP_TOPIC_PREFIX)) {
      ctx.metrics.sentToDlq(header.producerGroup, header.topic);
    }
    result = await routed.result;
    timerSlotMs = routed.timerSlotMs;
  }
  const stored = result.appendResult && isStored(result) ? result.appendResult : undefined;
  if (!stored) return handlePutMessageResult(req, result, ctx.config, regionFields(ctx.config));
  ctx.stats.incPut(header.topic, stored.msgNum, stored.wroteBytes);
  ctx.metrics?.messagesIn(header.topic, messageTypeOf(header.properties), stored.msgNum, stored.wroteBytes);
  // 5.x SendMessageProcessor answers transactionId = the message's UNIQ_KEY (for a batch, the batch-level
  // properties', which usually have none); 4.9 leaves it out. Clients of both read it into
  // SendResult.transactionId, and the Spring Boot starter's transactional send requires it.
  const uniqKey = getProperty(header.properties, MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
  // Every field in one literal, absent ones undefined (the header encoders leave them out): one object
  // shape for every answer. Adding fields one by one to a copied object cost ~4 µs per send.
  const fields: Record<string, string | undefined> = {
    MSG_REGION: ctx.config.regionId,
    TRACE_ON: String(ctx.config.traceOn),
    msgId: stored.msgId,
    queueId: String(queueId),
    queueOffset: String(stored.logicsOffset),
    transactionId: uniqKey || undefined,
    // 5.x SendMessageProcessor#attachRecallHandle: a parked timer message (not a batch, not to a retry
    // topic) gets the handle a 5.x client's recallMessage takes; 4.9 clients ignore the field.
    recallHandle: timerSlotMs !== undefined && !header.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)
      ? recallHandleV1(header.topic, ctx.config.brokerName, timerSlotMs, uniqKey)
      : undefined,
  };
  return handlePutMessageResult(req, result, ctx.config, fields as ExtFields);
}

/** The fields every send answer carries (SendMessageProcessor: MSG_REGION and TRACE_ON). */
function regionFields(config: BrokerConfig): ExtFields {
  return { MSG_REGION: config.regionId, TRACE_ON: String(config.traceOn) };
}

/**
 * RecallMessageHandle.HandleV1#buildHandle: "v1 <topic> <brokerName> <slot + 1> <uniqKey>" in URL-safe
 * base64 (with padding). The +1 is Java's: the slot is rounded down, the handle names a time inside it.
 */
function recallHandleV1(topic: string, brokerName: string, slotMs: number, uniqKey: string | undefined): string {
  const raw = `v1 ${topic} ${brokerName} ${slotMs + 1} ${uniqKey ?? 'null'}`;
  return Buffer.from(raw, 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** AbstractSendMessageProcessor#msgCheck: the topic config to send to, or the first broken rule. */
export function checkMessage(ctx: BrokerContext, header: SendMessageRequestHeader, conn: Connection): TopicConfig | { code: number; remark: string } {
  if (!isWriteable(ctx.config.brokerPermission) && ctx.topics.isOrderTopic(header.topic)) {
    return { code: ResponseCode.NO_PERMISSION, remark: `the broker[${ctx.config.brokerIP1}] sending message is forbidden` };
  }
  const bad = validateTopic(header.topic);
  if (bad) return { code: ResponseCode.SYSTEM_ERROR, remark: bad };
  if (isNotAllowedSendTopic(header.topic)) {
    return { code: ResponseCode.NO_PERMISSION, remark: `Sending message to topic[${header.topic}] is forbidden.` };
  }
  let tc = ctx.topics.select(header.topic);
  if (!tc) {
    let topicSysFlag = 0;
    if (header.unitMode) topicSysFlag = header.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) ? TopicSysFlag.FLAG_UNIT_SUB : TopicSysFlag.FLAG_UNIT;
    tc = ctx.topics.createTopicInSendMessageMethod(header.topic, header.defaultTopic, conn.remoteAddr, header.defaultTopicQueueNums, topicSysFlag);
    if (!tc && header.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) {
      tc = ctx.topics.createIfAbsent(header.topic, 1, PermName.PERM_WRITE | PermName.PERM_READ, topicSysFlag);
    }
    if (!tc) {
      return { code: ResponseCode.TOPIC_NOT_EXIST, remark: `topic[${header.topic}] not exist, apply first please!` };
    }
    ctx.registerBrokerAll();
  }
  if (!isWriteable(tc.perm)) {
    return { code: ResponseCode.NO_PERMISSION, remark: `the topic[${header.topic}] sending message is forbidden` };
  }
  if (header.queueId >= Math.max(tc.writeQueueNums, tc.readQueueNums)) {
    return { code: ResponseCode.SYSTEM_ERROR, remark: `request queueId[${header.queueId}] is illegal, ${describeTopicConfig(tc)} Producer: ${conn.remoteAddr}` };
  }
  return tc;
}

/** The one switch from store status to response code (SendMessageProcessor#handlePutMessageResult). */
function handlePutMessageResult(req: RemotingCommand, result: PutMessageResult, config: BrokerConfig, ext: ExtFields): RemotingCommand {
  const r = (code: number, remark?: string): RemotingCommand => createResponse(req, code, remark, ext);
  switch (result.status) {
    case 'PUT_OK':
      return r(ResponseCode.SUCCESS);
    case 'FLUSH_DISK_TIMEOUT':
      return r(ResponseCode.FLUSH_DISK_TIMEOUT);
    case 'FLUSH_SLAVE_TIMEOUT':
      return r(ResponseCode.FLUSH_SLAVE_TIMEOUT);
    case 'SLAVE_NOT_AVAILABLE':
      return r(ResponseCode.SLAVE_NOT_AVAILABLE);
    case 'CREATE_MAPEDFILE_FAILED':
      return r(ResponseCode.SYSTEM_ERROR, 'create mapped file failed, server is busy or broken.');
    case 'MESSAGE_ILLEGAL':
    case 'PROPERTIES_SIZE_EXCEEDED':
      return r(
        ResponseCode.MESSAGE_ILLEGAL,
        result.remark ??
          `the message is illegal, maybe msg body or properties length not matched. msg body length limit ${config.maxMessageSize}B, msg properties length limit 32KB.`,
      );
    case 'SERVICE_NOT_AVAILABLE':
      return r(
        ResponseCode.SERVICE_NOT_AVAILABLE,
        `service not available now. It may be caused by one of the following reasons: the broker's disk is full [${diskFigures(result, config)}], messages are put to the slave, message store has been shut down, etc.`,
      );
    case 'OS_PAGECACHE_BUSY':
      return r(ResponseCode.SYSTEM_ERROR, '[PC_SYNCHRONIZED]broker busy, start flow control for a while');
    case 'IN_SYNC_REPLICAS_NOT_ENOUGH':
      return r(ResponseCode.SYSTEM_ERROR, 'in-sync replicas not enough');
    default:
      return r(ResponseCode.SYSTEM_ERROR, result.remark ?? 'UNKNOWN_ERROR');
  }
}

const REAL_FILES = new FsStoreFiles();

/**
 * The figures Java puts in every SERVICE_NOT_AVAILABLE remark, whatever the reason (a slave, a store
 * shutting down, a full disk): the store's own when it refused for a full disk (measured through its
 * files), else measured here.
 */
function diskFigures(result: PutMessageResult, config: BrokerConfig): string {
  return isDiskUtil(result.remark) ? result.remark! : diskUtil(REAL_FILES, storeDiskPaths(config));
}

const WAIT_ENTRY = MessageConst.PROPERTY_WAIT_STORE_MSG_OK + NV;
const CLUSTER_ENTRY = MessageConst.PROPERTY_CLUSTER + NV;

/**
 * The property string a message is stored with.
 * Single message (batchProps undefined): the sender's properties without WAIT (the Java broker
 * saves those 9 bytes) plus CLUSTER=<brokerClusterName>.
 * Batch item: the item's own properties, then the batch-level properties (which keep WAIT) plus CLUSTER.
 * The common case is handled with string operations only; anything unusual goes through a map.
 */
export function storedProperties(msgProps: string, batchProps: string | undefined, clusterName: string): string {
  if (batchProps === undefined) {
    // Every Java and Go send carries WAIT: cut its one entry out by position rather than through a map.
    const rest = msgProps.includes(CLUSTER_ENTRY) ? undefined : withoutOnlyEntry(msgProps, WAIT_ENTRY);
    if (rest !== undefined) {
      const base = rest.endsWith(PS) ? rest.slice(0, -1) : rest;
      return base ? base + PS + CLUSTER_ENTRY + clusterName : CLUSTER_ENTRY + clusterName;
    }
    const map = parseProperties(msgProps);
    map.delete(MessageConst.PROPERTY_WAIT_STORE_MSG_OK);
    map.set(MessageConst.PROPERTY_CLUSTER, clusterName);
    return propertiesToString(map);
  }
  const batchMap = parseProperties(batchProps);
  batchMap.set(MessageConst.PROPERTY_CLUSTER, clusterName);
  const tail = propertiesToString(batchMap);
  if (!msgProps) return tail;
  return msgProps.endsWith(PS) ? msgProps + tail : msgProps + PS + tail;
}

/**
 * `props` without the entry that starts with `entry` ("KEY\u0001"), with its separator; `props` itself
 * when there is none. Undefined (take the map) when the text occurs more than once or not at an entry's start.
 */
function withoutOnlyEntry(props: string, entry: string): string | undefined {
  const at = props.indexOf(entry);
  if (at < 0) return props;
  if (props.indexOf(entry, at + 1) >= 0) return undefined;
  if (at > 0 && props[at - 1] !== PS) return undefined;
  const stop = props.indexOf(PS, at);
  return stop < 0 ? props.slice(0, at) : props.slice(0, at) + props.slice(stop + 1);
}
