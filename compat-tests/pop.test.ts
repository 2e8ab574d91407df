/**
 * 5.x POP consumption over remoting, black box, with the real Java 5.3.3 client
 * (compat-tests/java5/.../PopTraffic.java) and mqadmin 5.3.3:
 * - `mqadmin setConsumeMode -m POP` (SET_MESSAGE_REQUEST_MODE 401) and broker.conf
 *   `defaultMessageRequestMode=POP` both make QUERY_ASSIGNMENT (400) answer POP with queueId -1;
 * - a DefaultMQPushConsumer with setClientRebalance(false) consumes through POP_MESSAGE / ACK_MESSAGE:
 *   content intact, every delivery carries POP_CK, every ack answered SUCCESS; RECONSUME_LATER ⇒
 *   CHANGE_MESSAGE_INVISIBLETIME (the client's first delay, 10 s) ⇒ the same message again with
 *   reconsumeTimes 1; a listener stalling past popInvisibleTime (5 s) sees the message again meanwhile;
 * - orderly POP: the 5.3.3 push consumer forces client rebalance (PULL) for orderly listeners
 *   (RebalancePushImpl#clientRebalance), so orderly POP is reached with raw POP_MESSAGE order=true;
 * - PEEK 200052, NOTIFICATION 200054, POLLING_INFO 200055, BATCH_ACK 200151 from raw requests, compared
 *   with the answers of the Apache 5.3.3 broker (recorded below);
 * - durability: 2,000 messages, the broker SIGKILLed mid-consumption with un-acked messages in flight and
 *   restarted on the same store, then 500 more across a SIGTERM restart; counts of delivered / acked /
 *   re-delivered after invisible time / lost (0) / acked-then-delivered-again (0), see support/pop.ts
 *   accountDeliveries for the definitions (the ack answers come from an RPC hook in the client).
 * - the DLQ: the 5.3.3 remoting POP consumer never sends a message to the DLQ (past maxReconsumeTimes it keeps
 *   pushing the invisible time out, ConsumeMessagePopConcurrentlyService#checkNeedAckOrDelay, and acks
 *   without consuming once reconsumeTimes > max, DefaultMQPushConsumerImpl#processPopResult), and the Apache
 *   broker's revive never writes one (only the gRPC proxy does). Ours moves an un-acked message to
 *   `%DLQ%<group>` once its reconsumeTimes reaches the group's retryMaxTimes (`updateSubGroup -r`); the
 *   test checks that for ours and the re-delivery without DLQ for Apache.
 *
 * COMPAT_APACHE_REFERENCE=1 also runs everything against the Apache 5.3.3 broker (our NameServer in
 * front); COMPAT_OURS=0 skips ours; COMPAT_CLI runs another build of ours; COMPAT_KEEP_DIRS=1 keeps the temp dirs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ourBroker, ourNamesrv, apache5Broker, type Node } from './support/cluster.js';
import { MqadminSession, type CommandResult } from './support/mqadmin.js';
import {
  PopTraffic, accountDeliveries, ackRaw, batchAckRaw, notificationRaw, peekRaw, pollingInfoRaw, popRaw, queryAssignment,
  recordProps, type Delivery, type PopAccount, type PopEvents, type RawAnswer,
} from './support/pop.js';
import { RemotingClient } from '../src/remoting/client.js';
import { makeTempDir, removeDir } from '../test/support/server.js';

const SETUP_TIMEOUT_MS = 600_000;
const REFERENCE = process.env.COMPAT_APACHE_REFERENCE === '1';
const DURABILITY_MESSAGES = 2_000;
const RESTART_MESSAGES = 500;
const DURABILITY_INVISIBLE_MS = 10_000;
/** The client's first CHANGE_MESSAGE_INVISIBLETIME delay (DefaultMQPushConsumerImpl popDelayLevel[0] = 10 s). */
const FIRST_RETRY_DELAY_MS = 10_000;
/** The smallest popInvisibleTime the 5.3.3 client keeps (smaller values become 60 s). */
const STALL_INVISIBLE_MS = 5_000;
const STALL_MS = 20_000;
/** Revive runs every second (reviveInterval) and the timer rounds to its precision: re-pop times are this loose. */
const TOLERANCE_MS = 1_500;

interface Target {
  name: string;
  enabled: boolean;
  /**
   * Whether an acknowledged message may come back after a SIGKILL. The Apache 5.3.3 broker does re-deliver:
   * the POP consume offset is persisted with the other consumer offsets every flushConsumerOffsetInterval
   * (5 s), so after a SIGKILL it pops again from the last persisted offset, acks or not (reference run
   * 2026-11-29: 2,000 messages, SIGKILL after 820–992 deliveries, 866–1,152 acknowledged messages delivered
   * again, up to 114 un-acked ones re-popped before their invisible time was over, 0 lost; after a SIGTERM
   * none). The issue asks more of us: none.
   */
  redeliversAckedAfterKill: boolean;
  /**
   * Whether the broker's revive sends a message whose reconsumeTimes reached the group's retryMaxTimes to
   * `%DLQ%<group>`. Ours does (src/broker/pop/pop-revive.ts: a remoting client that died cannot). The
   * Apache 5.3.3 broker never does: it re-puts to the POP retry topic with reconsumeTimes + 1 for ever and
   * leaves the DLQ to the gRPC proxy; its remoting client never sends one either (see the file comment).
   */
  dlqAfterRetryMax: boolean;
  broker: (name: string, namesrv: string, conf: Record<string, string | number | boolean>) => Promise<Node>;
}

/** COMPAT_CLI: run another build of the server (e.g. a snapshot of HEAD) instead of <repo>/dist. */
const ourOptions = process.env.COMPAT_CLI ? { cliPath: process.env.COMPAT_CLI } : {};

const targets: Target[] = [
  { name: 'rocketmq-ts', enabled: process.env.COMPAT_OURS !== '0', redeliversAckedAfterKill: false, dlqAfterRetryMax: true, broker: (n, ns, c) => ourBroker(n, ns, c, ourOptions) },
  { name: 'Apache RocketMQ 5.3.3', enabled: REFERENCE, redeliversAckedAfterKill: true, dlqAfterRetryMax: false, broker: (n, ns, c) => apache5Broker(n, ns, c) },
];

function ok(r: CommandResult): string {
  if (r.failed) throw new Error(`mqadmin ${r.args.join(' ')} failed:\n${r.output}`);
  return r.output;
}

/**
 * Retries `attempt` until `done` (a fresh topic reaches the broker's own route cache and the NameServer a
 * moment after updateTopic returns; Apache 5.3.3 answered setConsumeMode TOPIC_NOT_EXIST and
 * QUERY_ASSIGNMENT an empty list right after it in one reference run).
 */
async function eventually<T>(what: string, attempt: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await attempt();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms; last: ${JSON.stringify(v).slice(0, 4000)}`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

const byKey = (ev: PopEvents, key: string): Delivery[] => ev.deliveries.filter((d) => d.key === key).sort((a, b) => a.popTime - b.popTime);
const ackedOk = (ev: PopEvents, d: Delivery): boolean => ev.answers.some((a) => a.kind === 'ACK' && a.code === 0 && a.ck === d.ck);

/** A raw answer reduced to what two brokers can agree on: code, header field names, record count. */
function shape(a: RawAnswer, keep: string[] = []): Record<string, unknown> {
  return {
    code: a.code,
    fields: Object.keys(a.fields).sort(),
    records: a.records.length,
    ...Object.fromEntries(keep.map((k) => [k, a.fields[k]])),
  };
}

for (const target of targets) {
  describe.skipIf(!target.enabled)(`POP consumption with the Java 5.3.3 client against ${target.name}`, () => {
    const CLUSTER = 'DefaultCluster';
    const TOPIC = 'PopTopic';
    const GROUP = 'GID_POP';
    let namesrv: Node | undefined;
    let broker: Node | undefined;
    let mqadmin: MqadminSession | undefined;
    let traffic: PopTraffic | undefined;
    let raw: RemotingClient | undefined;
    let workDir = '';

    beforeAll(async () => {
      workDir = makeTempDir('rocketmq-ts-pop');
      namesrv = await ourNamesrv({}, ourOptions);
      broker = await target.broker('broker-pop', namesrv.addr, { brokerClusterName: CLUSTER });
      mqadmin = await MqadminSession.start('5.3.3', namesrv.addr, workDir);
      traffic = await PopTraffic.start(namesrv.addr, workDir);
      raw = new RemotingClient();
    }, SETUP_TIMEOUT_MS);

    afterAll(async () => {
      raw?.close();
      await traffic?.stop();
      await mqadmin?.stop();
      await broker?.dispose();
      await namesrv?.dispose();
      if (workDir && process.env.COMPAT_KEEP_DIRS !== '1') removeDir(workDir);
    }, 120_000);

    it('setConsumeMode -m POP makes QUERY_ASSIGNMENT answer POP (queueId -1); another group stays PULL', async () => {
      ok(await mqadmin!.run('updateTopic', ['-c', CLUSTER, '-t', TOPIC, '-r', '4', '-w', '4']));
      ok(await mqadmin!.run('updateSubGroup', ['-c', CLUSTER, '-g', GROUP]));
      ok(await mqadmin!.run('updateSubGroup', ['-c', CLUSTER, '-g', 'GID_PULL']));
      const out = ok(await eventually('setConsumeMode', () => mqadmin!.run('setConsumeMode', ['-c', CLUSTER, '-t', TOPIC, '-g', GROUP, '-m', 'POP']),
        (r) => !r.failed));
      expect(out).toMatch(/set consume mode to \S+ success/);
      const pop = await eventually('QUERY_ASSIGNMENT', () => queryAssignment(raw!, broker!.addr, TOPIC, GROUP, '127.0.0.1@pop-probe'),
        (r) => r.code !== 0 || r.modes.length > 0);
      expect(pop.code).toBe(0);
      expect(pop.modes).toEqual(['POP']);
      expect(pop.queueIds).toEqual([-1]);
      const pull = await queryAssignment(raw!, broker!.addr, TOPIC, 'GID_PULL', '127.0.0.1@pull-probe');
      expect(pull.code).toBe(0);
      expect(new Set(pull.modes)).toEqual(new Set(['PULL']));
      expect(pull.queueIds.sort()).toEqual([0, 1, 2, 3]);
    }, 120_000);

    it('the push consumer pops, acks, re-pops after RECONSUME_LATER and after a stall past popInvisibleTime', async () => {
      const okKeys = await traffic!.produce(TOPIC, 30, 'ok-');
      const failKeys = await traffic!.produce(TOPIC, 3, 'fail-');
      const stallKeys = await traffic!.produce(TOPIC, 2, 'stall-');
      const started = Date.now();
      await traffic!.consume(GROUP, TOPIC, { invisibleMs: STALL_INVISIBLE_MS, failPrefix: 'fail-', stallPrefix: 'stall-', stallMs: STALL_MS });
      const all = [...okKeys, ...failKeys, ...stallKeys];
      const ev = await traffic!.until((e) => all.every((k) => byKey(e, k).some((d) => ackedOk(e, d)))
        && [...failKeys, ...stallKeys].every((k) => byKey(e, k).length >= 2), 60_000, 'every message acked, fail-/stall- twice');
      const tookMs = Date.now() - started;
      await traffic!.stopConsumer(GROUP);
      console.log(`[pop ${target.name}] ${all.length} messages, ${ev.deliveries.length} deliveries, ${ev.answers.length} ack/CIT answers in ${tookMs} ms`);

      // The client asked the broker and was told POP.
      // (its very first QUERY_ASSIGNMENT can come before its heartbeat and get an empty list)
      expect(ev.assignments.filter((a) => a.code === 0 && a.body.includes('"mode":"POP"')).length, 'QUERY_ASSIGNMENT said POP').toBeGreaterThan(0);
      expect(ev.assignments.filter((a) => a.body.includes('"mode":"PULL"'))).toEqual([]);
      for (const d of ev.deliveries) {
        expect(d.ck, `${d.key} has POP_CK`).not.toBe('');
        expect(d.contentOk, `${d.key} body, tag, key and property intact`).toBe(true);
      }
      expect(ev.answers.filter((a) => a.kind === 'ACK' && a.code !== 0 && !stallKeys.some((k) => byKey(ev, k)[0]?.ck === a.ck))).toEqual([]);
      for (const k of okKeys) {
        const ds = byKey(ev, k);
        expect(ds.length, `${k} delivered once`).toBe(1);
        expect(ds[0].reconsumeTimes).toBe(0);
      }
      for (const k of failKeys) {
        const [first, second] = byKey(ev, k);
        expect(first.reconsumeTimes).toBe(0);
        const cit = ev.answers.find((a) => a.kind === 'CIT' && a.ck === first.ck);
        expect(cit?.code, `${k}: CHANGE_MESSAGE_INVISIBLETIME answered`).toBe(0);
        expect(second.msgId).toBe(first.msgId);
        expect(second.reconsumeTimes).toBe(1);
        expect(second.popTime - first.popTime, `${k} re-popped after the client's 10 s`).toBeGreaterThanOrEqual(FIRST_RETRY_DELAY_MS - TOLERANCE_MS);
        expect(second.popTime - first.popTime).toBeLessThan(FIRST_RETRY_DELAY_MS + 10_000);
        expect(ackedOk(ev, second)).toBe(true);
      }
      for (const k of stallKeys) {
        const [first, second] = byKey(ev, k);
        const gap = second.popTime - first.popTime;
        expect(gap, `${k} re-popped once its invisible time was over`).toBeGreaterThanOrEqual(STALL_INVISIBLE_MS - TOLERANCE_MS);
        // ...while the first delivery's listener was still sleeping.
        expect(gap).toBeLessThan(STALL_MS);
        expect(second.msgId).toBe(first.msgId);
        expect(second.reconsumeTimes).toBe(1);
        expect(ackedOk(ev, second)).toBe(true);
      }
    }, 150_000);

    it('an un-acked message that keeps timing out reaches the group\'s retryMaxTimes (updateSubGroup -r 1)', async () => {
      const topic = 'PopDlqTopic';
      const group = 'GID_POP_DLQ';
      const dlq = `%DLQ%${group}`;
      ok(await mqadmin!.run('updateTopic', ['-c', CLUSTER, '-t', topic, '-r', '1', '-w', '1']));
      ok(await mqadmin!.run('updateSubGroup', ['-c', CLUSTER, '-g', group, '-r', '1']));
      await eventually('setConsumeMode', () => mqadmin!.run('setConsumeMode', ['-c', CLUSTER, '-t', topic, '-g', group, '-m', 'POP']), (r) => !r.failed);
      const keys = await traffic!.produce(topic, 2, 'dlq-');
      const started = Date.now();
      // Every delivery stalls past the invisible time: each one times out and is revived.
      await traffic!.consume(group, topic, { invisibleMs: STALL_INVISIBLE_MS, stallPrefix: 'dlq-', stallMs: STALL_INVISIBLE_MS + 2_000, stallAlways: true });
      const dlqMax = async (): Promise<number> => {
        const r = await mqadmin!.run('topicStatus', ['-t', dlq]);
        if (r.failed) return 0;
        return r.output.split('\n').map((l) => /^\S+\s+\d+\s+\d+\s+(\d+)\s/.exec(l.trim())).filter((m) => m).reduce((a, m) => a + Number(m![1]), 0);
      };
      if (target.dlqAfterRetryMax) {
        await eventually(`${dlq} holds both`, dlqMax, (n) => n >= keys.length, 60_000);
        const dlqMs = Date.now() - started;
        await new Promise((r) => setTimeout(r, STALL_INVISIBLE_MS + 2_000));
        const ev = traffic!.events();
        await traffic!.stopConsumer(group);
        console.log(`[pop ${target.name}] DLQ: both in ${dlq} ${dlqMs} ms after the consumer started`);
        for (const k of keys) {
          // reconsumeTimes 0, then 1 from the POP retry topic; the next revive goes to the DLQ instead.
          expect(byKey(ev, k).map((d) => d.reconsumeTimes), k).toEqual([0, 1]);
        }
        expect(await dlqMax()).toBe(keys.length);
      } else {
        const ev = await traffic!.until((e) => keys.every((k) => byKey(e, k).some((d) => d.reconsumeTimes >= 2)), 60_000, 'reconsumeTimes 2');
        await traffic!.stopConsumer(group);
        console.log(`[pop ${target.name}] no DLQ: ${keys.map((k) => byKey(ev, k).map((d) => d.reconsumeTimes).join(',')).join(' / ')}`);
        expect(await dlqMax()).toBe(0);
      }
    }, 120_000);

    it('orderly POP (raw POP_MESSAGE order=true): one queue in order, locked until acked, reviveQid 999', async () => {
      const topic = 'PopOrderTopic';
      const group = 'GID_POP_ORDER';
      ok(await mqadmin!.run('updateTopic', ['-c', CLUSTER, '-t', topic, '-r', '1', '-w', '1']));
      ok(await mqadmin!.run('updateSubGroup', ['-c', CLUSTER, '-g', group]));
      const keys = await traffic!.produce(topic, 6, 'ord-');
      const first = await popRaw(raw!, broker!.addr, { group, topic, queueId: 0, maxMsgNums: 4, invisibleTime: 20_000, order: true });
      expect(first.code).toBe(0);
      expect(first.records.map((r) => recordProps(r).KEYS)).toEqual(keys.slice(0, 4));
      expect(first.fields.reviveQid).toBe('999');
      expect(first.fields.orderCountInfo, 'orderCountInfo').toBeDefined();
      // The queue stays locked for the group while that batch is not acked.
      const locked = await popRaw(raw!, broker!.addr, { group, topic, queueId: 0, maxMsgNums: 4, invisibleTime: 20_000, order: true });
      expect(locked.records.length).toBe(0);
      const startOffset = Number(first.fields.startOffsetInfo.split(' ')[2]);
      for (const r of first.records) {
        const extraInfo = [startOffset, first.fields.popTime, first.fields.invisibleTime, first.fields.reviveQid, 0, 'broker-pop', 0, r.queueOffset].join(' ');
        const a = await ackRaw(raw!, broker!.addr, { group, topic, queueId: 0, offset: r.queueOffset, extraInfo });
        expect(a.code).toBe(0);
      }
      const next = await popRaw(raw!, broker!.addr, { group, topic, queueId: 0, maxMsgNums: 4, invisibleTime: 20_000, order: true });
      expect(next.code).toBe(0);
      expect(next.records.map((r) => recordProps(r).KEYS)).toEqual(keys.slice(4));
      // As the Apache 5.3.3 broker answered (reference run 2026-11-29): the locked queue answers POLLING_TIMEOUT
      // (210) with the full orderly header; orderCountInfo "<retry flag> <queueId> <times consumed before>".
      const orderFields = ['invisibleTime', 'msgOffsetInfo', 'orderCountInfo', 'popTime', 'restNum', 'reviveQid', 'startOffsetInfo'];
      expect(shape(first, ['orderCountInfo', 'startOffsetInfo', 'msgOffsetInfo'])).toEqual({
        code: 0, fields: orderFields, records: 4, orderCountInfo: '0 0 0', startOffsetInfo: '0 0 0', msgOffsetInfo: '0 0 0,1,2,3' });
      expect(shape(locked)).toEqual({ code: 210, fields: orderFields, records: 0 });
      expect(shape(next, ['orderCountInfo', 'startOffsetInfo'])).toEqual({
        code: 0, fields: orderFields, records: 2, orderCountInfo: '0 0 0', startOffsetInfo: '0 0 4' });
      console.log(`[pop ${target.name}] orderly: first ${JSON.stringify(shape(first, ['reviveQid', 'orderCountInfo', 'startOffsetInfo', 'msgOffsetInfo']))}, `
        + `locked ${JSON.stringify(shape(locked))}, next ${JSON.stringify(shape(next, ['orderCountInfo']))}`);
    }, 120_000);

    it('PEEK, POLLING_INFO, NOTIFICATION and BATCH_ACK answer as the Apache 5.3.3 broker does', async () => {
      const topic = 'PopFamilyTopic';
      const group = 'GID_POP_FAMILY';
      ok(await mqadmin!.run('updateTopic', ['-c', CLUSTER, '-t', topic, '-r', '1', '-w', '1']));
      ok(await mqadmin!.run('updateSubGroup', ['-c', CLUSTER, '-g', group]));
      const emptyNotification = await notificationRaw(raw!, broker!.addr, { group, topic, queueId: 0, pollTime: 1_000 });
      const keys = await traffic!.produce(topic, 3, 'fam-');
      const peek = await peekRaw(raw!, broker!.addr, { group, topic, queueId: 0 });
      const pollingInfo = await pollingInfoRaw(raw!, broker!.addr, { group, topic, queueId: 0 });
      const notification = await notificationRaw(raw!, broker!.addr, { group, topic, queueId: 0, pollTime: 1_000 });
      const popped = await popRaw(raw!, broker!.addr, { group, topic, queueId: 0, invisibleTime: 20_000 });
      const startOffset = Number(popped.fields.startOffsetInfo?.split(' ')[2]);
      const batchAck = await batchAckRaw(raw!, broker!.addr, 'broker-pop', [{
        group, topic, retry: '0', startOffset, queueId: 0, reviveQid: Number(popped.fields.reviveQid), popTime: Number(popped.fields.popTime),
        invisibleTime: Number(popped.fields.invisibleTime), positions: popped.records.map((r) => r.queueOffset - startOffset),
      }]);
      const afterAck = await popRaw(raw!, broker!.addr, { group, topic, queueId: 0, invisibleTime: 20_000 });
      const emptyBatchAck = await batchAckRaw(raw!, broker!.addr, 'broker-pop', []);
      const seen = {
        emptyNotification: shape(emptyNotification, ['hasMsg']),
        peek: { ...shape(peek), keys: peek.records.map((r) => recordProps(r).KEYS) },
        pollingInfo: shape(pollingInfo, ['pollingNum']),
        notification: shape(notification, ['hasMsg']),
        popped: { ...shape(popped), keys: popped.records.map((r) => recordProps(r).KEYS) },
        batchAck: shape(batchAck),
        afterAck: shape(afterAck),
        emptyBatchAck: shape(emptyBatchAck),
      };
      console.log(`[pop ${target.name}] family: ${JSON.stringify(seen)}`);
      expect(seen.peek.keys).toEqual(keys);
      expect(seen.popped.keys).toEqual(keys);
      expect(seen).toEqual(APACHE_533_FAMILY(keys));
    }, 120_000);
  });
}

/**
 * What the Apache 5.3.3 broker answered in the family test above (captured with COMPAT_APACHE_REFERENCE=1
 * COMPAT_OURS=0 on 2026-11-29, our NameServer in front of it). Header field names are compared, values only
 * where they do not depend on the clock. A POP that finds nothing with pollTime 0 answers POLLING_TIMEOUT (210)
 * with the full header; an empty BATCH_ACK body answers NO_MESSAGE (208).
 */
function APACHE_533_FAMILY(keys: string[]): Record<string, unknown> {
  const popFields = ['invisibleTime', 'msgOffsetInfo', 'popTime', 'restNum', 'reviveQid', 'startOffsetInfo'];
  return {
    emptyNotification: { code: 0, fields: ['hasMsg', 'pollingFull'], records: 0, hasMsg: 'false' },
    peek: { code: 0, fields: ['invisibleTime', 'popTime', 'restNum', 'reviveQid'], records: 3, keys },
    pollingInfo: { code: 0, fields: ['pollingNum'], records: 0, pollingNum: '0' },
    notification: { code: 0, fields: ['hasMsg', 'pollingFull'], records: 0, hasMsg: 'true' },
    popped: { code: 0, fields: popFields, records: 3, keys },
    batchAck: { code: 0, fields: [], records: 0 },
    afterAck: { code: 210, fields: popFields, records: 0 },
    emptyBatchAck: { code: 208, fields: [], records: 0 },
  };
}

for (const target of targets) {
  describe.skipIf(!target.enabled)(`POP durability across broker restarts (SIGKILL, SIGTERM) against ${target.name}`, () => {
    const CLUSTER = 'PopConfCluster';
    const TOPIC = 'PopDurableTopic';
    const GROUP = 'GID_POP_DURABLE';
    let namesrv: Node | undefined;
    let broker: Node | undefined;
    let mqadmin: MqadminSession | undefined;
    let traffic: PopTraffic | undefined;
    let raw: RemotingClient | undefined;
    let workDir = '';

    beforeAll(async () => {
      workDir = makeTempDir('rocketmq-ts-pop-durable');
      namesrv = await ourNamesrv({}, ourOptions);
      // The broker.conf route: every group not set otherwise consumes by POP.
      broker = await target.broker('broker-popconf', namesrv.addr, { brokerClusterName: CLUSTER, defaultMessageRequestMode: 'POP' });
      mqadmin = await MqadminSession.start('5.3.3', namesrv.addr, workDir);
      traffic = await PopTraffic.start(namesrv.addr, workDir);
      raw = new RemotingClient();
    }, SETUP_TIMEOUT_MS);

    afterAll(async () => {
      raw?.close();
      await traffic?.stop();
      await mqadmin?.stop();
      await broker?.dispose();
      await namesrv?.dispose();
      if (workDir && process.env.COMPAT_KEEP_DIRS !== '1') removeDir(workDir);
    }, 120_000);

    /**
     * Produces `count` messages, consumes them by POP with acks as it goes, takes the broker down
     * (`how`) once 40 % have been delivered, starts it again on the same store and consumes until every
     * message has an ack answered SUCCESS, then one invisible time more (anything acked that comes back
     * is popped by then); returns the accounting.
     */
    async function restartRound(prefix: string, count: number, how: 'SIGKILL' | 'SIGTERM'): Promise<PopAccount> {
      const t0 = Date.now();
      const sent = await traffic!.produce(TOPIC, count, prefix);
      const producedMs = Date.now() - t0;
      const from = traffic!.events().deliveries.length;
      // 20 ms per listener call over 20 consume threads (~1,000 messages/s): the broker goes down near the
      // 40 % mark with popped, un-acked messages.
      await traffic!.consume(GROUP, TOPIC, { invisibleMs: DURABILITY_INVISIBLE_MS, sleepMs: 20 });
      const downAt = from + Math.floor(count * 0.4);
      await traffic!.until((e) => e.deliveries.length >= downAt, 60_000, `${downAt} deliveries`);
      const before = traffic!.events();
      if (how === 'SIGKILL') await broker!.kill();
      else await broker!.stop();
      const downMs = Date.now();
      const inFlight = before.deliveries.filter((d) => d.key.startsWith(prefix) && !ackedOk(before, d)).length;
      await broker!.start();
      const restartMs = Date.now() - downMs;
      const ev = await traffic!.until((e) => sent.every((k) => byKey(e, k).some((d) => ackedOk(e, d))), 120_000, 'every message acked');
      const allAckedMs = Date.now() - t0;
      await new Promise((r) => setTimeout(r, DURABILITY_INVISIBLE_MS + 3_000));
      await traffic!.stopConsumer(GROUP);
      const acct = accountDeliveries(sent, traffic!.events(), DURABILITY_INVISIBLE_MS, TOLERANCE_MS);
      console.log(`[pop ${target.name}] durability (${how}): produced ${sent.length} in ${producedMs} ms; ${how} after `
        + `${before.deliveries.length - from} deliveries (${inFlight} not acked yet), restart took ${restartMs} ms; all acked ${allAckedMs} ms `
        + `after the first send (${ev.deliveries.length - from} deliveries then); ${JSON.stringify(acct)}`);
      expect(acct.lost).toBe(0);
      expect(acct.delivered).toBe(count);
      expect(acct.acked).toBe(count);
      expect(acct.contentMismatches).toBe(0);
      expect(acct.withoutPopCk).toBe(0);
      return acct;
    }

    it(`${DURABILITY_MESSAGES} messages, broker SIGKILLed mid-consumption: none lost, none acked delivered again`, async () => {
      ok(await mqadmin!.run('updateTopic', ['-c', CLUSTER, '-t', TOPIC, '-r', '4', '-w', '4']));
      ok(await mqadmin!.run('updateSubGroup', ['-c', CLUSTER, '-g', GROUP]));
      const assignment = await eventually('QUERY_ASSIGNMENT', () => queryAssignment(raw!, broker!.addr, TOPIC, GROUP, '127.0.0.1@conf-probe'),
        (r) => r.code !== 0 || r.modes.length > 0);
      expect(assignment.modes, 'defaultMessageRequestMode=POP').toEqual(['POP']);
      const acct = await restartRound('d-', DURABILITY_MESSAGES, 'SIGKILL');
      if (!target.redeliversAckedAfterKill) {
        expect(acct.ackedThenDeliveredAgain).toBe(0);
        expect(acct.redeliveredEarly).toBe(0);
      }
    }, 300_000);

    // The SIGTERM round (16–30 s) keeps npm test inside its 30-minute budget by running with POP_LONG=1 only:
    // the SIGKILL round above is the harder case of the same accounting.
    it.skipIf(process.env.POP_LONG !== '1')(`${RESTART_MESSAGES} more, broker stopped (SIGTERM) and restarted mid-consumption: none lost, none acked delivered again`, async () => {
      const acct = await restartRound('r-', RESTART_MESSAGES, 'SIGTERM');
      expect(acct.ackedThenDeliveredAgain).toBe(0);
      expect(acct.redeliveredEarly).toBe(0);
    }, 300_000);
  });
}
