/**
 * The delay, timer and transaction services against the real store in a temp dir, with pinned clocks: delay-level parking and
 * delivery (delayOffset.json, restart), timer parsing and routing, and the transaction service
 * (prepare, end once, check-back, discard, restart from checkpoint and from a full replay).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fsFixture, msg, type Fixture } from '../store/helpers.js';
import { applyDelayLevel, ScheduleMessageService, SCHEDULE_TOPIC } from '../../src/broker/schedule/schedule-message-service.js';
import { parkForTimer, timerDeliverMs, TIMER_TOPIC, TimerMessageService } from '../../src/broker/schedule/timer-message-service.js';
import { CHECK_MAX_TIME_TOPIC, HALF_TOPIC, OP_TOPIC, TransactionalMessageService } from '../../src/broker/transaction/transactional-message-service.js';
import { TopicConfigManager } from '../../src/broker/metadata/topic-config-manager.js';
import type { ProducerManager } from '../../src/broker/client/producer-manager.js';
import type { RemotingCommand } from '../../src/remoting/command.js';
import { decodeRecord } from '../../src/codec/message-record.js';
import { getProperty } from '../../src/codec/message-properties.js';
import { MessageSysFlag } from '../../src/protocol/sys-flag.js';
import type { DefaultMessageStore } from '../../src/store/default-message-store.js';

const T0 = 1_800_000_000_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let fixture: Fixture | undefined;
afterEach(() => {
  fixture?.cleanup();
  fixture = undefined;
});

function records(store: DefaultMessageStore, topic: string, queueId: number) {
  return store.getMessage('t', topic, queueId, 0, 32).buffers.map((b) => decodeRecord(b));
}

describe('delay levels', () => {
  it('parks DELAY>0 messages with REAL_TOPIC/REAL_QID, caps the level, leaves half messages alone', () => {
    const m = msg('T', 3, 'x', { propertiesString: 'DELAY\u000125\u0002TAGS\u0001a' });
    const p = applyDelayLevel(m, 18);
    expect(p.topic).toBe(SCHEDULE_TOPIC);
    expect(p.queueId).toBe(17);
    expect(getProperty(p.propertiesString, 'DELAY')).toBe('18');
    expect(getProperty(p.propertiesString, 'REAL_TOPIC')).toBe('T');
    expect(getProperty(p.propertiesString, 'REAL_QID')).toBe('3');
    const prepared = { ...m, sysFlag: MessageSysFlag.TRANSACTION_PREPARED_TYPE };
    expect(applyDelayLevel(prepared, 18)).toBe(prepared);
    expect(applyDelayLevel(msg('T', 0, 'x', { propertiesString: 'DELAY\u00010' }), 18).topic).toBe('T');
  });

  it('delivers when due, in order, persists delayOffset.json and does not deliver again after a restart', async () => {
    fixture = fsFixture({ messageDelayLevel: '1s 2s' });
    let now = T0;
    const clock = () => now;
    let store = fixture.open({}, clock);
    await store.start();
    let svc = new ScheduleMessageService(fixture.config, store, clock);
    svc.load();
    svc.start();
    for (const [i, level] of [[0, 2], [1, 1], [2, 1]] as const) {
      await store.putMessage(applyDelayLevel(msg('Real', 1, `m${i}`, { propertiesString: `DELAY\u0001${level}\u0002TAGS\u0001tg` }), svc.maxLevel));
    }
    await sleep(250);
    expect(store.getMaxOffsetInQueue('Real', 1)).toBe(0);
    now = T0 + 1000;
    await sleep(250);
    expect(records(store, 'Real', 1).map((r) => r.body.toString())).toEqual(['m1', 'm2']);
    now = T0 + 2000;
    await sleep(250);
    const delivered = records(store, 'Real', 1);
    expect(delivered.map((r) => r.body.toString())).toEqual(['m1', 'm2', 'm0']);
    // The stored property string is the parked one (Java keeps DELAY / REAL_* in it).
    expect(getProperty(delivered[2].propertiesString, 'REAL_TOPIC')).toBe('Real');
    expect(getProperty(delivered[2].propertiesString, 'DELAY')).toBe('2');
    expect(svc.encode()).toBe('{"offsetTable":{1:2,2:1}}');
    await svc.shutdown();
    const file = path.join(fixture.config.storePathRootDir, 'config', 'delayOffset.json');
    expect(fs.readFileSync(file, 'utf8')).toBe('{\n\t"offsetTable":{1:2,2:1\n\t}\n}');
    await store.shutdown();

    store = fixture.open({}, clock);
    await store.start();
    svc = new ScheduleMessageService(fixture.config, store, clock);
    svc.load();
    svc.start();
    now = T0 + 10_000;
    await sleep(250);
    expect(store.getMaxOffsetInQueue('Real', 1)).toBe(3);
    await svc.shutdown();
    await store.shutdown();
  });
});

describe('timer messages', () => {
  it('reads TIMER_DELIVER_MS, TIMER_DELAY_SEC, TIMER_DELAY_MS', () => {
    expect(timerDeliverMs('TIMER_DELIVER_MS\u0001123', T0)).toBe(123);
    expect(timerDeliverMs('TIMER_DELAY_SEC\u00015', T0)).toBe(T0 + 5000);
    expect(timerDeliverMs('TIMER_DELAY_MS\u0001250', T0)).toBe(T0 + 250);
    expect(timerDeliverMs('TAGS\u0001a', T0)).toBeUndefined();
    expect(timerDeliverMs('TIMER_DELAY_SEC\u0001soon', T0)).toEqual({ error: expect.stringContaining('not an integer') });
  });

  it('delivers parked messages by time, and after a restart those not yet due', async () => {
    fixture = fsFixture();
    let now = T0;
    const clock = () => now;
    let store = fixture.open({}, clock);
    await store.start();
    let timer = new TimerMessageService(fixture.config, store, clock);
    timer.load();
    timer.start();
    for (const [body, at] of [['late', T0 + 60_000], ['early', T0 + 500], ['mid', T0 + 5_000]] as const) {
      const r = await store.putMessage(parkForTimer(msg('Real', 0, body), at));
      timer.track(at, r.appendResult!.logicsOffset, r.appendResult!.wroteOffset);
    }
    expect(store.getMaxOffsetInQueue(TIMER_TOPIC, 0)).toBe(3);
    now = T0 + 5_000;
    await sleep(1_200);
    expect(records(store, 'Real', 0).map((r) => r.body.toString())).toEqual(['early', 'mid']);
    await timer.shutdown();
    await store.shutdown();

    store = fixture.open({}, clock);
    await store.start();
    timer = new TimerMessageService(fixture.config, store, clock);
    timer.load();
    timer.start();
    expect(timer.pendingCount).toBe(1);
    now = T0 + 60_000;
    await sleep(1_200);
    expect(records(store, 'Real', 0).map((r) => r.body.toString())).toEqual(['early', 'mid', 'late']);
    await timer.shutdown();
    await store.shutdown();
  });
});

describe('timer messages, long delays', () => {
  it('holds a 7-day timer across a restart and delivers it on the day', async () => {
    fixture = fsFixture();
    let now = T0;
    const clock = () => now;
    const week = 7 * 86_400_000;
    let store = fixture.open({}, clock);
    await store.start();
    let timer = new TimerMessageService(fixture.config, store, clock);
    timer.load();
    timer.start();
    const r = await store.putMessage(parkForTimer(msg('Week', 0, 'w'), T0 + week));
    timer.track(T0 + week, r.appendResult!.logicsOffset, r.appendResult!.wroteOffset);
    now = T0 + week - 1;
    await sleep(50);
    await timer.shutdown();
    await store.shutdown();
    store = fixture.open({}, clock);
    await store.start();
    timer = new TimerMessageService(fixture.config, store, clock);
    timer.load();
    timer.start();
    await sleep(1_100);
    expect(store.getMaxOffsetInQueue('Week', 0)).toBe(0);
    now = T0 + week;
    await sleep(1_100);
    expect(records(store, 'Week', 0).map((x) => x.body.toString())).toEqual(['w']);
    await timer.shutdown();
    await store.shutdown();
  });
});

describe('transactions', () => {
  const sent: RemotingCommand[] = [];
  let online = true;
  const producers = {
    availableChannel: () => (online ? { clientId: 'c1', conn: { invokeOneway: (r: RemotingCommand) => sent.push(r) } } : undefined),
  } as unknown as ProducerManager;

  async function open(clock: () => number) {
    const store = fixture!.open({}, clock);
    await store.start();
    const svc = new TransactionalMessageService(fixture!.config, store, new TopicConfigManager(fixture!.config), producers, { ip: '127.0.0.1', port: 10911 }, clock);
    svc.load();
    svc.start();
    return { store, svc };
  }

  const half = (body: string) =>
    msg('RealTx', 2, body, { propertiesString: `TRAN_MSG\u0001true\u0002PGROUP\u0001pg\u0002UNIQ_KEY\u0001U-${body}`, sysFlag: MessageSysFlag.TRANSACTION_PREPARED_TYPE, bornTimestamp: T0 });

  it('hides half messages, checks them back, ends each once, and survives restarts', async () => {
    fixture = fsFixture({ transactionTimeOut: 6000, transactionCheckMax: 2, transactionCheckInterval: 3_600_000 });
    sent.length = 0;
    let now = T0;
    const clock = () => now;
    let { store, svc } = await open(clock);
    const a = await svc.prepareMessage(half('a'));
    const b = await svc.prepareMessage(half('b'));
    const c = await svc.prepareMessage(half('c'));
    expect(store.getMaxOffsetInQueue('RealTx', 2)).toBe(0);
    expect(store.getMaxOffsetInQueue(HALF_TOPIC, 0)).toBe(3);
    expect(svc.pendingCount).toBe(3);

    // Too young: no check.
    now = T0 + 5_000;
    svc.checkAll();
    expect(sent).toHaveLength(0);
    // Old enough: one check each, the body carries the real topic and the check count.
    now = T0 + 7_000;
    svc.checkAll();
    expect(sent).toHaveLength(3);
    expect(sent[0].code).toBe(39);
    expect(sent[0].extFields).toMatchObject({ tranStateTableOffset: '0', commitLogOffset: String(a.appendResult!.wroteOffset), msgId: 'U-a', transactionId: 'U-a' });
    const body = decodeRecord(sent[0].body as Buffer);
    expect(body.topic).toBe('RealTx');
    expect(body.queueId).toBe(2);
    expect(getProperty(body.propertiesString, 'TRANSACTION_CHECK_TIMES')).toBe('1');

    // Commit a: final message on the real topic; a second commit is ignored.
    const end = (r: typeof a, commit: boolean) =>
      svc.beginEnd({ producerGroup: 'pg', tranStateTableOffset: r.appendResult!.logicsOffset, commitLogOffset: r.appendResult!.wroteOffset, commit });
    const ea = end(a, true);
    expect(ea.code).toBe('OK');
    if (ea.code !== 'OK' || !ea.final) throw new Error('expected a final message');
    expect(ea.final.sysFlag & 0xc).toBe(MessageSysFlag.TRANSACTION_COMMIT_TYPE);
    expect(ea.final.preparedTransactionOffset).toBe(a.appendResult!.wroteOffset);
    await store.putMessage(ea.final);
    await svc.finishEnd(ea.half!, true);
    expect(end(a, true).code).toBe('IGNORED');
    expect(end(a, false).code).toBe('IGNORED');
    expect(svc.beginEnd({ producerGroup: 'other', tranStateTableOffset: 1, commitLogOffset: b.appendResult!.wroteOffset, commit: true }))
      .toEqual({ code: 'ERROR', remark: 'The producer group wrong' });
    // Roll back b.
    const eb = end(b, false);
    await svc.finishEnd(eb.code === 'OK' ? eb.half! : (undefined as never), false);
    expect(records(store, 'RealTx', 2).map((r) => r.body.toString())).toEqual(['a']);
    expect(records(store, OP_TOPIC, 0).map((r) => r.body.toString())).toEqual(['0', '1']);
    expect(svc.pendingCount).toBe(1);

    // Restart from the checkpoint: c is still pending with its check count.
    svc.shutdown();
    await store.shutdown();
    ({ store, svc } = await open(clock));
    expect(svc.pendingCount).toBe(1);
    // Without a checkpoint the queues are replayed: ops still win.
    svc.shutdown();
    await store.shutdown();
    fs.rmSync(path.join(fixture.config.storePathRootDir, 'config', 'transactionCheckpoint.json'));
    fs.rmSync(path.join(fixture.config.storePathRootDir, 'config', 'transactionCheckpoint.json.bak'), { force: true });
    ({ store, svc } = await open(clock));
    expect(svc.pendingCount).toBe(1);

    // No producer online: not counted. Then checks up to transactionCheckMax, then the discard topic.
    sent.length = 0;
    online = false;
    svc.checkAll();
    online = true;
    svc.checkAll();
    svc.checkAll();
    expect(sent).toHaveLength(2);
    expect(getProperty(decodeRecord(sent[1].body as Buffer).propertiesString, 'TRANSACTION_CHECK_TIMES')).toBe('2');
    svc.checkAll();
    await sleep(50);
    expect(svc.pendingCount).toBe(0);
    expect(records(store, CHECK_MAX_TIME_TOPIC, 0).map((r) => r.body.toString())).toEqual(['c']);
    expect(c.appendResult!.logicsOffset).toBe(2);
    svc.shutdown();
    await store.shutdown();
  });
});
