/**
 * What the console does beyond reading tables, each the way an mqadmin subcommand does it:
 * queryMsgById (QUERY_MESSAGE with the unique key, or VIEW_MESSAGE_BY_ID for an offset message id),
 * queryMsgByKey (QUERY_MESSAGE), queryMsgByOffset (PULL_MESSAGE), sendMessage (SEND_MESSAGE_V2) and
 * resetOffsetByTime (INVOKE_BROKER_TO_RESET_OFFSET, falling back to SEARCH_OFFSET_BY_TIMESTAMP +
 * UPDATE_CONSUMER_OFFSET when nobody of the group is online, as DefaultMQAdminExtImpl#resetOffsetNew).
 */
import { AdminError, selectBrokerAddr, type AdminClient, type TopicRoute } from './admin-client.js';
import { messageView, type MessageView } from './message-view.js';
import { decodeOffsetMessageId } from '../codec/message-id.js';
import { propertiesToString } from '../codec/message-properties.js';
import { MessageConst } from '../protocol/message-const.js';
import { ResponseCode } from '../protocol/response-code.js';
import { isWriteable } from '../protocol/perm-name.js';
import { validateTopic } from '../protocol/topic-validator.js';

/** The producer group the console sends its test messages as. */
export const CONSOLE_PRODUCER_GROUP = 'CONSOLE_PRODUCER';
/** A test message body the console accepts (well under maxMessageSize; it is typed into a form). */
export const TEST_BODY_MAX_BYTES = 64 * 1024;

/** A user error of a form (bad input, nothing found): the page shows the text. */
export class InputError extends Error {}

/** MessageClientIDSetter's layout: ip(4) pid(2) random(4) | ms since month start(4) counter(2), hex. */
const ID_PREFIX = (() => {
  const b = Buffer.alloc(10);
  Buffer.from([127, 0, 0, 1]).copy(b, 0);
  b.writeUInt16BE(process.pid & 0xffff, 4);
  b.writeUInt32BE((Math.random() * 0x100000000) >>> 0, 6);
  return b.toString('hex').toUpperCase();
})();
let idCounter = 0;

export function createUniqId(now = Date.now()): string {
  const d = new Date(now);
  const monthStart = new Date(d.getFullYear(), d.getMonth(), 1).getTime();
  const b = Buffer.alloc(6);
  b.writeUInt32BE((now - monthStart) >>> 0, 0);
  b.writeUInt16BE(idCounter++ & 0xffff, 4);
  return ID_PREFIX + b.toString('hex').toUpperCase();
}

/** Property separators (MessageDecoder.NAME_VALUE_SEPARATOR / PROPERTY_SEPARATOR) cannot be in a value. */
const checkValue = (what: string, v: string): string => {
  if (/[\u0001\u0002]/.test(v)) throw new InputError(`${what} must not contain \\u0001 or \\u0002`);
  return v;
};

export class ConsoleActions {
  constructor(private readonly admin: AdminClient) {}

  private async route(topic: string): Promise<TopicRoute> {
    const bad = validateTopic(topic);
    if (bad) throw new InputError(bad);
    try {
      return await this.admin.topicRoute(topic);
    } catch (e) {
      if (e instanceof AdminError && e.code === ResponseCode.TOPIC_NOT_EXIST) throw new InputError(`No topic route info in name server for the topic: ${topic}`);
      throw e;
    }
  }

  /** queryMsgById: the client-side id (UNIQ_KEY) through the topic's index, else an offset message id. */
  async byId(topic: string, msgId: string): Promise<MessageView[]> {
    const id = msgId.trim();
    if (!id) throw new InputError('msgId is empty');
    const found = new Map<string, MessageView>();
    if (topic) {
      const route = await this.route(topic);
      for (const b of route.brokerDatas) {
        const addr = selectBrokerAddr(b);
        if (!addr) continue;
        for (const r of await this.admin.queryMessage(addr, topic, id, true)) {
          const v = messageView(r);
          // The index is a hash: keep only the records whose id really is the one asked for.
          if (v.msgId === id && v.topic === topic) found.set(v.offsetMsgId, v);
        }
      }
    }
    if (found.size === 0) {
      const decoded = decodeOffsetMessageId(id);
      // Only a broker the NameServer knows is asked: a UNIQ_KEY also decodes, into a made-up address.
      const addr = decoded && `${decoded.host.ip}:${decoded.host.port}`;
      const known = addr && (await this.admin.clusterInfo()).brokers.some((b) => [...b.addrs.values()].includes(addr));
      if (decoded && known) {
        try {
          const r = await this.admin.viewMessage(addr, decoded.commitLogOffset);
          if (r) found.set(id, messageView(r));
        } catch (e) {
          if (!(e instanceof AdminError)) throw e;
        }
      }
    }
    return [...found.values()];
  }

  /** queryMsgByKey: every broker of the topic's route, keeping records whose KEYS hold the key. */
  async byKey(topic: string, key: string): Promise<MessageView[]> {
    const k = key.trim();
    if (!k) throw new InputError('key is empty');
    const route = await this.route(topic);
    const found = new Map<string, MessageView>();
    for (const b of route.brokerDatas) {
      const addr = selectBrokerAddr(b);
      if (!addr) continue;
      for (const r of await this.admin.queryMessage(addr, topic, k, false)) {
        const v = messageView(r);
        if (v.topic === topic && v.keys.split(MessageConst.KEY_SEPARATOR).includes(k)) found.set(v.offsetMsgId, v);
      }
    }
    return [...found.values()].sort((x, y) => x.storeTimestamp - y.storeTimestamp);
  }

  /** queryMsgByOffset: one pull at the given queue offset. */
  async byOffset(topic: string, brokerName: string, queueId: number, offset: number): Promise<{ status: string; minOffset: number; maxOffset: number; messages: MessageView[] }> {
    if (!Number.isSafeInteger(queueId) || queueId < 0) throw new InputError('queueId must be a non-negative integer');
    if (!Number.isSafeInteger(offset) || offset < 0) throw new InputError('offset must be a non-negative integer');
    const route = await this.route(topic);
    const b = brokerName ? route.brokerDatas.find((x) => x.brokerName === brokerName) : route.brokerDatas[0];
    const addr = b && selectBrokerAddr(b);
    if (!addr) throw new InputError(`no broker ${brokerName} in the route of ${topic}`);
    const p = await this.admin.pull(addr, topic, queueId, offset, 1);
    return { status: p.status, minOffset: p.minOffset, maxOffset: p.maxOffset, messages: p.records.map(messageView) };
  }

  /** sendMessage: to a writable queue of the route (the one asked for, or the next in turn). */
  async send(m: { topic: string; tags?: string; keys?: string; body: string; brokerName?: string; queueId?: number }): Promise<{ msgId: string; offsetMsgId: string; brokerName: string; queueId: number; queueOffset: number }> {
    const body = Buffer.from(m.body ?? '', 'utf8');
    if (body.length === 0) throw new InputError('the body is empty');
    if (body.length > TEST_BODY_MAX_BYTES) throw new InputError(`the body is over ${TEST_BODY_MAX_BYTES} bytes`);
    const route = await this.route(m.topic);
    const writable = route.queueDatas.filter((q) => isWriteable(q.perm) && q.writeQueueNums > 0 && (!m.brokerName || q.brokerName === m.brokerName));
    const qd = writable[Math.floor(Math.random() * writable.length)];
    const bd = qd && route.brokerDatas.find((b) => b.brokerName === qd.brokerName);
    const addr = bd?.addrs.get(0);
    if (!qd || !addr) throw new InputError(`no writable master queue for ${m.topic}`);
    const queueId = m.queueId ?? Math.floor(Math.random() * qd.writeQueueNums);
    if (!Number.isSafeInteger(queueId) || queueId < 0 || queueId >= qd.writeQueueNums) throw new InputError(`queueId must be 0..${qd.writeQueueNums - 1}`);
    const msgId = createUniqId();
    const props = new Map<string, string>([[MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, msgId], ['WAIT', 'true']]);
    if (m.tags) props.set(MessageConst.PROPERTY_TAGS, checkValue('tags', m.tags));
    if (m.keys) props.set(MessageConst.PROPERTY_KEYS, checkValue('keys', m.keys));
    const r = await this.admin.send(addr, { group: CONSOLE_PRODUCER_GROUP, topic: m.topic, queueId, properties: propertiesToString(props), body });
    return { msgId, offsetMsgId: r.offsetMsgId, brokerName: qd.brokerName, queueId: r.queueId, queueOffset: r.queueOffset };
  }

  /**
   * resetOffsetByTime (force): the brokers tell the online members to seek; with nobody online each
   * queue's offset for the time is searched and committed here, as resetOffsetByTimestampOld does.
   */
  async resetByTime(group: string, topic: string, timestamp: number): Promise<{ mode: 'online' | 'offline'; queues: Array<{ brokerName: string; queueId: number; before?: number; offset: number }> }> {
    if (!group.trim()) throw new InputError('group is empty');
    if (!Number.isSafeInteger(timestamp) || timestamp < -1) throw new InputError('timestamp must be epoch milliseconds (or -1 for the end)');
    const route = await this.route(topic);
    const targets = route.brokerDatas.map((b) => ({ b, addr: selectBrokerAddr(b) })).filter((x): x is { b: typeof x.b; addr: string } => !!x.addr);
    try {
      const queues = [];
      for (const { addr } of targets) {
        for (const q of await this.admin.invokeResetOffset(addr, topic, group, timestamp)) queues.push({ brokerName: q.brokerName, queueId: q.queueId, offset: q.consumerOffset ?? 0 });
      }
      return { mode: 'online', queues: queues.sort((x, y) => x.brokerName.localeCompare(y.brokerName) || x.queueId - y.queueId) };
    } catch (e) {
      if (!(e instanceof AdminError && e.code === ResponseCode.CONSUMER_NOT_ONLINE)) throw e;
    }
    const queues = [];
    for (const { b, addr } of targets) {
      const stats = (await this.admin.consumeStats(addr, group)).queues.filter((q) => q.topic === topic);
      // Never consumed: every readable queue, from its current minimum (resetOffsetByTimestampOld).
      const rows = stats.length > 0 ? stats : (await this.admin.topicStats(addr, topic)).map((q) => ({ ...q, consumerOffset: q.minOffset }));
      for (const q of rows) {
        const offset = timestamp === -1 ? (q.maxOffset ?? q.brokerOffset ?? 0) : await this.admin.searchOffset(addr, topic, q.queueId, timestamp);
        await this.admin.updateConsumerOffset(addr, group, topic, q.queueId, offset);
        queues.push({ brokerName: b.brokerName, queueId: q.queueId, before: q.consumerOffset, offset });
      }
    }
    return { mode: 'offline', queues: queues.sort((x, y) => x.brokerName.localeCompare(y.brokerName) || x.queueId - y.queueId) };
  }
}
