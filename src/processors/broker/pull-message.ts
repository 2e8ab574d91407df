import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse } from '../../remoting/command.js';
import type { Connection } from '../../remoting/connection.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { PullSysFlag } from '../../protocol/sys-flag.js';
import { isReadable } from '../../protocol/perm-name.js';
import { int, long, str } from '../../remoting/header-fields.js';
import { buildSubscriptionData, isTagType, type SubscriptionData } from '../../broker/filter/subscription-data.js';
import { buildMessageFilter } from '../../broker/filter/message-filter.js';
import { buildFilterData, compileFilter, type ConsumerFilterData } from '../../broker/filter/consumer-filter-manager.js';
import { writeOffsetMovedEvent } from '../../broker/put/offset-moved-event.js';
import type { GetMessageStatus, MessageFilter } from '../../store/types.js';
import type { SubscriptionGroupConfig } from '../../broker/metadata/subscription-group-manager.js';

/** MixAll.MASTER_ID. */
const MASTER_ID = 0;

/** Store status → pull response code (PullMessageProcessor#processRequest). */
function statusToCode(status: GetMessageStatus, requestOffset: number): number {
  switch (status) {
    case 'FOUND':
      return ResponseCode.SUCCESS;
    case 'MESSAGE_WAS_REMOVING':
    case 'NO_MATCHED_MESSAGE':
      return ResponseCode.PULL_RETRY_IMMEDIATELY;
    case 'NO_MATCHED_LOGIC_QUEUE':
    case 'NO_MESSAGE_IN_QUEUE':
      return requestOffset !== 0 ? ResponseCode.PULL_OFFSET_MOVED : ResponseCode.PULL_NOT_FOUND;
    case 'OFFSET_FOUND_NULL':
    case 'OFFSET_OVERFLOW_ONE':
      return ResponseCode.PULL_NOT_FOUND;
    case 'OFFSET_OVERFLOW_BADLY':
    case 'OFFSET_TOO_SMALL':
      return ResponseCode.PULL_OFFSET_MOVED;
  }
}

/**
 * The broker the client should pull from next (PullMessageProcessor, 4.9.8). With slaveReadEnable the
 * group's whichBrokerWhenConsumeSlowly when the store says the consumer reads data that fell out of
 * memory (suggestPullingFromSlave), else the group's brokerId; without it, the master. 4.9.8 also
 * answers PULL_RETRY_IMMEDIATELY on a slave with slaveReadEnable=false, but its status switch overwrites
 * that code right after, so such a slave still serves the messages (with suggest 0), and so does this one.
 */
function suggestWhichBrokerId(ctx: BrokerContext, sg: SubscriptionGroupConfig, suggestPullingFromSlave: boolean): number {
  if (!ctx.config.slaveReadEnable) return MASTER_ID;
  return suggestPullingFromSlave ? sg.whichBrokerWhenConsumeSlowly : sg.brokerId;
}

/** Why an expression does not compile (compiles are cached, so asking again is cheap). */
function compileError(sub: SubscriptionData): string {
  try {
    compileFilter(sub.expressionType, sub.subString);
    return 'unknown error';
  } catch (e) {
    return `${(e as Error).message} [${sub.subString}]`;
  }
}

/** PULL_MESSAGE (11) and the 5.x LITE_PULL_MESSAGE (361), with long polling. */
export function pullMessage(ctx: BrokerContext, req: RemotingCommand, conn: Connection): RemotingCommand | null {
  return processPull(ctx, req, conn, true);
}

/** A held pull woken by an arrival or its timeout (PullMessageProcessor#executeRequestWhenWakeup): never held again. */
export function resumePull(ctx: BrokerContext, req: RemotingCommand, conn: Connection): RemotingCommand | null {
  return processPull(ctx, req, conn, false);
}

/**
 * The dispatcher has checked the header fields and that the broker is readable (the table's columns).
 * Steps: check group/topic/queue → resolve the subscription (from the header or the
 * group's heartbeat) → read from the store → map the status → hold the request if nothing was
 * found and the client allows suspension → commit the piggy-backed offset.
 */
function processPull(ctx: BrokerContext, req: RemotingCommand, conn: Connection, allowSuspend: boolean): RemotingCommand | null {
  const h = req.extFields;
  const group = str(h, 'consumerGroup');
  const topic = str(h, 'topic');
  const queueId = int(h, 'queueId');
  // PullMessageRequestHeader: Integer queueId, maxMsgNums, sysFlag; Long for the rest.
  const queueOffset = long(h, 'queueOffset');
  const maxMsgNums = int(h, 'maxMsgNums');
  const sysFlag = int(h, 'sysFlag');
  const commitOffset = long(h, 'commitOffset', 0);
  const suspendTimeoutMillis = long(h, 'suspendTimeoutMillis', 0);
  const subVersion = long(h, 'subVersion', 0);
  const fail = (code: number, remark: string): RemotingCommand => createResponse(req, code, remark);

  const sg = ctx.groups.find(group);
  if (!sg) return fail(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group [${group}] does not exist`);
  if (!sg.consumeEnable) return fail(ResponseCode.NO_PERMISSION, `subscription group no permission, ${group}`);

  const hasSuspend = (sysFlag & PullSysFlag.FLAG_SUSPEND) !== 0;
  const hasCommit = (sysFlag & PullSysFlag.FLAG_COMMIT_OFFSET) !== 0;
  const hasSubscription = (sysFlag & PullSysFlag.FLAG_SUBSCRIPTION) !== 0;

  const tc = ctx.topics.select(topic);
  if (!tc) return fail(ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist, apply first please!`);
  if (!isReadable(tc.perm)) return fail(ResponseCode.NO_PERMISSION, `the topic[${topic}] pulling message is forbidden`);
  if (queueId < 0 || queueId >= tc.readQueueNums) {
    return fail(ResponseCode.SYSTEM_ERROR, `queueId[${queueId}] is illegal, topic:[${topic}] topicConfig.readQueueNums:[${tc.readQueueNums}] consumer:[${conn.remoteAddr}]`);
  }

  let sub: SubscriptionData | undefined;
  let filterData: ConsumerFilterData | undefined;
  if (hasSubscription) {
    sub = buildSubscriptionData(topic, h?.subscription, h?.expressionType);
    sub.subVersion = subVersion;
    // With the switch off the SQL92 refusal below comes first, as on the Java broker.
    if (!isTagType(sub.expressionType) && ctx.config.enablePropertyFilter) {
      filterData = buildFilterData(topic, group, sub.subString, sub.expressionType, subVersion);
      // Java's broker would pass everything here (ConsumerFilterManager.build returns null, the assert is off);
      // the issue asks for a refusal, with the reason.
      if (!filterData) return fail(ResponseCode.SUBSCRIPTION_PARSE_FAILED, `parse the consumer's subscription failed: ${compileError(sub)}`);
    }
  } else {
    const gi = ctx.consumers.get(group);
    if (!gi) return fail(ResponseCode.SUBSCRIPTION_NOT_EXIST, "the consumer's group info not exist");
    if (!sg.consumeBroadcastEnable && gi.messageModel === 'BROADCASTING') {
      return fail(ResponseCode.NO_PERMISSION, `the consumer group[${group}] can not consume by broadcast way`);
    }
    sub = gi.subscriptionTable.get(topic);
    if (!sub) return fail(ResponseCode.SUBSCRIPTION_NOT_EXIST, "the consumer's subscription not exist");
    if (sub.subVersion < subVersion) return fail(ResponseCode.SUBSCRIPTION_NOT_LATEST, "the consumer's subscription not latest");
    if (!isTagType(sub.expressionType)) {
      // Registered from the heartbeat (ConsumerFilterManager); missing when the expression did not compile.
      filterData = ctx.filters.get(topic, group);
      if (!filterData) return fail(ResponseCode.FILTER_DATA_NOT_EXIST, "The broker's consumer filter data is not exist!Your expression may be wrong!");
      if (filterData.clientVersion < subVersion) return fail(ResponseCode.FILTER_DATA_NOT_LATEST, "the consumer's consumer filter data not latest");
    }
  }
  if (!isTagType(sub.expressionType) && !ctx.config.enablePropertyFilter) {
    return fail(ResponseCode.SYSTEM_ERROR, `The broker does not support consumer to filter message by ${sub.expressionType}`);
  }
  const filter: MessageFilter = buildMessageFilter(sub, filterData);

  const getStartMs = Date.now();
  const r = ctx.store.getMessage(group, topic, queueId, queueOffset, maxMsgNums, filter);
  ctx.stats.noteGetMessage(r.status === 'FOUND', Date.now() - getStartMs);
  let code = statusToCode(r.status, queueOffset);
  let suggest = suggestWhichBrokerId(ctx, sg, r.suggestPullingFromSlave);
  const isSlave = ctx.config.brokerRole === 'SLAVE';
  // A slave does not correct a consumer's offset (it may only lag its master): it sends the consumer
  // back to the group's broker to ask again there, unless offsetCheckInSlave.
  if (code === ResponseCode.PULL_OFFSET_MOVED && isSlave && !ctx.config.offsetCheckInSlave) {
    code = ResponseCode.PULL_RETRY_IMMEDIATELY;
    suggest = sg.brokerId;
  }
  const ext = {
    suggestWhichBrokerId: String(suggest),
    nextBeginOffset: String(r.nextBeginOffset),
    minOffset: String(r.minOffset),
    maxOffset: String(r.maxOffset),
    // 5.x PullMessageProcessor#composeResponseHeader adds both; 4.9 clients ignore them. Our groups
    // carry no groupSysFlag (5.x SubscriptionGroupConfig's is 0 unless set): always 0.
    topicSysFlag: String(tc.topicSysFlag),
    groupSysFlag: '0',
  };
  let response: RemotingCommand | null;
  if (code === ResponseCode.SUCCESS) {
    ctx.stats.incGet(group, topic, r.messageCount, r.bufferTotalSize);
    ctx.metrics?.messagesOut(group, topic, r.messageCount, r.bufferTotalSize);
    ctx.stats.notePullOffset(group, topic, queueId, r.nextBeginOffset);
    response = createResponse(req, code, r.status, ext, r.buffers);
  } else if (code === ResponseCode.PULL_NOT_FOUND && allowSuspend && hasSuspend) {
    const timeoutMillis = ctx.config.longPollingEnable ? suspendTimeoutMillis : ctx.config.shortPollingTimeMills;
    const held = ctx.pullHold.suspend(topic, queueId, {
      request: req,
      conn,
      suspendTimestamp: Date.now(),
      timeoutMillis,
      pullFromThisOffset: queueOffset,
      filter,
    });
    response = held ? null : createResponse(req, code, r.status, ext);
  } else {
    response = createResponse(req, code, r.status, ext);
    if (code === ResponseCode.PULL_OFFSET_MOVED) {
      writeOffsetMovedEvent(ctx, { consumerGroup: group, topic, queueId, offsetRequest: queueOffset, offsetNew: r.nextBeginOffset });
    }
  }
  // The offset a consumer piggy-backs is its master's business: a slave's table is overwritten by the
  // master's at every sync, and never written from a pull.
  if (allowSuspend && hasCommit && !isSlave) {
    ctx.offsets.commitOffset(group, topic, queueId, commitOffset);
  }
  return response;
}
