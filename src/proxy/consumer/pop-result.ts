/**
 * A broker's POP_MESSAGE answer as the proxy hands it on (MQClientAPIImpl#processPopResponse, then
 * ConsumerProcessor#popMessage in rocketmq-proxy 5.3.3): each message gets its POP_CK extraInfo built
 * from the answer's startOffsetInfo / msgOffsetInfo, the orderly attempt count from orderCountInfo, and
 * the proxy's receipt handle: that extraInfo + ' ' + the message's CommitLog offset (createHandle).
 */
import type { RemotingCommand } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { MessageConst } from '../../protocol/message-const.js';
import { KEY_SEPARATOR, PROPERTY_FIRST_POP_TIME, PROPERTY_POP_CK, buildExtraInfo, retryFlagOf } from '../../protocol/pop-const.js';
import { fromRemoting } from '../proxy-error.js';
import { decodeMessages, type RemotingMessage } from '../convert/from-remoting.js';

/** PopStatus (client/consumer/PopStatus.java). */
export type PopStatus = 'FOUND' | 'NO_NEW_MSG' | 'POLLING_FULL' | 'POLLING_NOT_FOUND';

export interface PopResult {
  status: PopStatus;
  messages: RemotingMessage[];
  restNum: number;
}

/** ExtraInfoUtil#parseStartOffsetInfo / parseOrderCountInfo: `flag q value` entries by `flag@q`. */
function parseEntries(info: string | undefined): Map<string, string> {
  const map = new Map<string, string>();
  if (!info) return map;
  for (const one of info.split(';')) {
    const f = one.split(KEY_SEPARATOR);
    if (f.length !== 3) throw new Error(`parse pop info error, ${info}`);
    map.set(`${f[0]}@${f[1]}`, f[2]);
  }
  return map;
}

/** The retry flag of a popped message: from its POP_CK when the broker set one (a re-encoded retry message), else its topic. */
function flagOf(m: RemotingMessage): string {
  const ck = m.properties.get(PROPERTY_POP_CK);
  if (ck) return ck.split(KEY_SEPARATOR)[4] ?? retryFlagOf(m.topic);
  return retryFlagOf(m.topic);
}

/**
 * The answer to a POP_MESSAGE the proxy sent for `topic` on `brokerName`. Codes other than SUCCESS,
 * POLLING_FULL, POLLING_TIMEOUT and PULL_NOT_FOUND are thrown (the broker's code and remark).
 */
export function popResultOf(resp: RemotingCommand, brokerName: string, topic: string, order: boolean): PopResult {
  let status: PopStatus;
  switch (resp.code) {
    case ResponseCode.SUCCESS: status = 'FOUND'; break;
    case ResponseCode.POLLING_FULL: status = 'POLLING_FULL'; break;
    case ResponseCode.POLLING_TIMEOUT:
    case ResponseCode.PULL_NOT_FOUND: status = 'POLLING_NOT_FOUND'; break;
    default: throw fromRemoting(resp.code, resp.remark);
  }
  const h = resp.extFields ?? {};
  const restNum = Number(h.restNum ?? 0);
  if (status !== 'FOUND') return { status, messages: [], restNum };
  const body = Array.isArray(resp.body) ? Buffer.concat(resp.body) : resp.body;
  const messages = decodeMessages(body);
  const popTime = Number(h.popTime ?? 0);
  const invisibleTime = Number(h.invisibleTime ?? 0);
  const reviveQid = Number(h.reviveQid ?? 0);
  const startOffsets = parseEntries(h.startOffsetInfo);
  const orderCounts = order ? parseEntries(h.orderCountInfo) : new Map<string, string>();
  for (const m of messages) {
    if (!m.properties.has(PROPERTY_POP_CK)) {
      const flag = flagOf(m);
      const start = startOffsets.get(`${flag}@${m.queueId}`);
      const extra = buildExtraInfo({
        ckQueueOffset: start !== undefined ? Number(start) : m.queueOffset, popTime, invisibleTime, reviveQid,
        retry: flag, brokerName, queueId: m.queueId, queueOffset: m.queueOffset,
      });
      m.properties.set(PROPERTY_POP_CK, extra);
      if (order) {
        const count = Number(orderCounts.get(`${flag}@qo${m.queueId}%${m.queueOffset}`) ?? orderCounts.get(`${flag}@${m.queueId}`) ?? 0);
        if (count > 0) m.reconsumeTimes = count;
      }
    }
    if (!m.properties.has(PROPERTY_FIRST_POP_TIME)) m.properties.set(PROPERTY_FIRST_POP_TIME, String(popTime));
    m.topic = topic;
    // ConsumerProcessor#fillUniqIDIfNeed, then createHandle.
    if (!m.properties.get(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX)) m.properties.set(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, m.msgId);
    m.properties.set(PROPERTY_POP_CK, m.properties.get(PROPERTY_POP_CK) + KEY_SEPARATOR + m.commitLogOffset);
  }
  return { status, messages, restNum };
}
