/**
 * The official mqadmin (MQAdminStartup from rocketmq-tools 4.9.8 and 5.3.3) against our NameServer
 * and broker: every command the README lists, once per tool version, asserting on what it prints. A
 * command the tool reports as failed (its stack trace, "command failed") fails the test.
 *
 * Each tool version runs in one long-lived JVM fed command lines (test/support/mqadmin.ts); traffic
 * comes from a small Java 4.9.8 producer/consumer whose consumer holds messages at a gate, so the
 * lag can be seen standing and then draining to zero.
 *
 * COMPAT_APACHE=1 also runs everything against the Apache RocketMQ 4.9.7 NameServer and broker (how the
 * assertions themselves are validated); COMPAT_OURS=0 skips ours; COMPAT_KEEP_DIRS=1 keeps the temp dirs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOurServer } from '../test/support/our-server.js';
import { startApacheRocketMQ } from './support/apache.js';
import { makeTempDir, removeDir, type RunningServer } from '../test/support/server.js';
import {
  MqadminSession, TrafficSession, mqadminClasspath, MQADMIN_VERSIONS, FAILED,
  type CommandResult, type MqadminVersion, type SentMessage,
} from './support/mqadmin.js';

const SETUP_TIMEOUT_MS = 600_000; // a cold ~/.m2 downloads both tool versions
const TEST_TIMEOUT_MS = 180_000;
const CLUSTER = 'DefaultCluster';
const BROKER = 'broker-a';
const PRODUCER_GROUP = 'PG_MQADMIN';
const MESSAGES = 20;

/** Drops the stack trace 5.3.3 prints (and ignores) when a topic has no ORDER_TOPIC_CONFIG yet. */
function withoutFirstOrderConfTrace(out: string): string {
  const lines = out.split('\n');
  const at = lines.findIndex((l) => l.includes('DESC: No config item, Namespace: ORDER_TOPIC_CONFIG'));
  if (at < 0) return out;
  let end = at + 1;
  while (end < lines.length && /^(For more information|\s+at |\s*\.\.\. \d+ more)/.test(lines[end])) end++;
  return [...lines.slice(0, at), ...lines.slice(end)].join('\n');
}

/** The command's output; fails the test (with the output) if the tool reported a failure. */
function ok(r: CommandResult): string {
  if (r.failed) throw new Error(`mqadmin ${r.args.join(' ')} failed:\n${r.output}`);
  return r.output;
}

/**
 * Re-runs a command until its output satisfies `done`. Failures count as "not yet" (4.9.8
 * consumerProgress fails while the group has no committed offset) until the deadline.
 */
async function until(what: string, attempt: () => Promise<CommandResult>, done: (out: string) => boolean, timeoutMs = 60_000, everyMs = 2_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await attempt();
    if (!r.failed && done(r.output)) return r.output;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms; last output of mqadmin ${r.args.join(' ')}:\n${r.output}`);
    await new Promise((res) => setTimeout(res, everyMs));
  }
}

/** "Diff Total: N" (4.9.8) / "Consume Diff Total: N" (5.3.3). */
const diffTotal = (out: string): number => Number(/Diff Total: (-?\d+)/.exec(out)?.[1] ?? NaN);
const consumeTps = (out: string): number => Number(/Consume TPS: ([\d.]+)/.exec(out)?.[1] ?? NaN);

/** The perm of `topic`'s queue data in topicRoute's JSON. */
const routePerm = (out: string): number => Number(/"perm":(\d+)/.exec(out)?.[1] ?? NaN);

const targets = [
  {
    name: 'rocketmq-ts',
    enabled: process.env.COMPAT_OURS !== '0',
    // COMPAT_CLI: run another build of the server (e.g. a private one) instead of <repo>/dist.
    start: () => startOurServer(process.env.COMPAT_CLI ? { cliPath: process.env.COMPAT_CLI } : {}),
    /** standalone keeps the namesrv's kvConfig.json under ./data of its working dir. */
    kvConfigFile: (dir: string) => path.join(dir, 'data', 'namesrv', 'kvConfig.json'),
  },
  {
    name: 'Apache RocketMQ 4.9.7',
    enabled: process.env.COMPAT_APACHE === '1',
    start: () => startApacheRocketMQ(),
    kvConfigFile: (dir: string) => path.join(dir, 'namesrv', 'kvConfig.json'),
  },
];

for (const target of targets) describe.skipIf(!target.enabled)(`mqadmin 4.9.8 and 5.3.3 against ${target.name}`, () => {
  let server: RunningServer;
  let traffic: TrafficSession;
  let work: string;
  const admins = new Map<MqadminVersion, MqadminSession>();
  const kvConfigFile = (): string => target.kvConfigFile(server.dir);
  /** Every command and its output; written to $MQADMIN_TRANSCRIPT_DIR/<target>.txt to compare servers. */
  const transcript: string[] = [];

  beforeAll(async () => {
    await Promise.all(Object.keys(MQADMIN_VERSIONS).map((v) => mqadminClasspath(v as MqadminVersion)));
    server = await target.start();
    work = makeTempDir('rocketmq-ts-mqadmin');
    traffic = await TrafficSession.start(server.namesrvAddr, PRODUCER_GROUP, work);
    for (const v of Object.keys(MQADMIN_VERSIONS) as MqadminVersion[]) {
      const dir = path.join(work, v);
      fs.mkdirSync(dir);
      admins.set(v, await MqadminSession.start(v, server.namesrvAddr, dir));
    }
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    const dir = process.env.MQADMIN_TRANSCRIPT_DIR;
    if (dir) fs.writeFileSync(path.join(dir, `${target.name.replace(/\W+/g, '-')}.txt`), transcript.join('\n'));
    for (const a of admins.values()) await a.stop();
    await traffic?.stop();
    await server?.dispose();
    if (work) removeDir(work);
  }, SETUP_TIMEOUT_MS);

  for (const version of Object.keys(MQADMIN_VERSIONS) as MqadminVersion[]) {
    const tag = MQADMIN_VERSIONS[version];
    const topic = `MqadminTopic_${tag}`;
    const otherTopic = `MqadminOrder_${tag}`;
    const group = `MqadminGroup_${tag}`;
    const cfgGroup = `MqadminCfgGroup_${tag}`;
    let sent: SentMessage[] = [];
    let clientId = '';

    describe(`mqadmin ${version}`, () => {
      const admin = (): MqadminSession => admins.get(version)!;
      const attempt = async (command: string, ...args: string[]): Promise<CommandResult> => {
        const r = await admin().run(command, args);
        transcript.push(`### mqadmin ${version}: ${r.args.join(' ')}\n${r.output}`);
        return r;
      };
      const run = async (command: string, ...args: string[]): Promise<string> => {
        const r = await attempt(command, ...args);
        if (r.failed) throw new Error(`mqadmin ${r.args.join(' ')} failed:\n${r.output}\n--- server output (tail):\n${server.output().slice(-3000)}`);
        return r.output;
      };

      it('topics: updateTopic by cluster and by broker, topicList, topicRoute, topicStatus, topicClusterList, deleteTopic', async () => {
        expect(await run('updateTopic', '-c', CLUSTER, '-t', topic, '-r', '4', '-w', '4')).toContain(`create topic to ${server.brokerAddr} success.`);
        // With -b and -o the tool reads the topic's ORDER_TOPIC_CONFIG first; 5.3.3 prints the namesrv's
        // QUERY_NOT_FOUND for a new topic as a stack trace and carries on (the Apache namesrv answers the same).
        const byBrokerResult = await admin().run('updateTopic', ['-b', server.brokerAddr, '-t', otherTopic, '-r', '2', '-w', '3', '-p', '6', '-o', 'true']);
        const byBroker = ok({ ...byBrokerResult, failed: FAILED.test(withoutFirstOrderConfTrace(byBrokerResult.output)) });
        expect(byBroker).toMatch(new RegExp(`topicName=${otherTopic}, readQueueNums=2, writeQueueNums=3, perm=RW-.*order=true`));

        const list = await run('topicList');
        expect(list.split('\n')).toEqual(expect.arrayContaining([topic, otherTopic]));
        const listByCluster = await run('topicList', '-c');
        expect(listByCluster).toMatch(new RegExp(`${CLUSTER}\\s+${topic}`));

        const route = await run('topicRoute', '-t', topic);
        expect(route).toContain(`"brokerName":"${BROKER}"`);
        expect(route).toMatch(/"readQueueNums":4/);
        expect(route).toMatch(/"writeQueueNums":4/);
        expect(route).toContain(server.brokerAddr);
        const orderRoute = await run('topicRoute', '-t', otherTopic);
        expect(orderRoute).toMatch(/"readQueueNums":2/);
        expect(orderRoute).toMatch(/"writeQueueNums":3/);
        // -o true also put "<broker>:<writeQueueNums>" under ORDER_TOPIC_CONFIG on the namesrv (PUT_KV_CONFIG).
        expect(fs.readFileSync(kvConfigFile(), 'utf8')).toContain(`"${otherTopic}":"${BROKER}:3"`);

        const status = await run('topicStatus', '-t', otherTopic);
        const rows = status.split('\n').filter((l) => l.startsWith(BROKER));
        expect(rows.map((l) => l.split(/\s+/).slice(0, 4))).toEqual([0, 1, 2].map((q) => [BROKER, String(q), '0', '0']));

        expect((await run('topicClusterList', '-t', topic)).trim()).toBe(CLUSTER);

        const del = await run('deleteTopic', '-c', CLUSTER, '-t', otherTopic);
        expect(del).toContain(`delete topic [${otherTopic}] from cluster [${CLUSTER}] success.`);
        expect(del).toContain(`delete topic [${otherTopic}] from NameServer success.`);
        expect((await run('topicList')).split('\n')).not.toContain(otherTopic);
      }, TEST_TIMEOUT_MS);

      it('topics: a system topic can be neither redefined nor deleted (the broker\'s remark is what the tool prints)', async () => {
        const remark = 'The topic[SCHEDULE_TOPIC_XXXX] is conflict with system topic.';
        const create = await attempt('updateTopic', '-b', server.brokerAddr, '-t', 'SCHEDULE_TOPIC_XXXX', '-r', '1', '-w', '1');
        expect(create.failed, create.output).toBe(true);
        expect(create.output).toContain(remark);
        const del = await attempt('deleteTopic', '-c', CLUSTER, '-t', 'SCHEDULE_TOPIC_XXXX');
        expect(del.failed, del.output).toBe(true);
        expect(del.output).toContain(remark);
        expect(del.output).not.toContain('from NameServer success');
      }, TEST_TIMEOUT_MS);

      it('groups: updateSubGroup sets every option, deleteSubGroup removes it', async () => {
        const out = await run('updateSubGroup', '-c', CLUSTER, '-g', cfgGroup, '-q', '3', '-r', '5', '-m', 'true', '-d', 'false', '-w', '2', '-i', '0');
        expect(out).toContain(`create subscription group to ${server.brokerAddr} success.`);
        const file = path.join(server.dir, 'store', 'config', 'subscriptionGroup.json');
        const saved = JSON.parse(fs.readFileSync(file, 'utf8')).subscriptionGroupTable[cfgGroup];
        expect(saved).toMatchObject({
          groupName: cfgGroup, retryQueueNums: 3, retryMaxTimes: 5, consumeFromMinEnable: true,
          consumeBroadcastEnable: false, whichBrokerWhenConsumeSlowly: 2, brokerId: 0,
        });
        const del = await run('deleteSubGroup', '-c', CLUSTER, '-g', cfgGroup);
        expect(del).toContain(`delete subscription group [${cfgGroup}] from broker [${server.brokerAddr}]`);
        expect(JSON.parse(fs.readFileSync(file, 'utf8')).subscriptionGroupTable[cfgGroup]).toBeUndefined();
      }, TEST_TIMEOUT_MS);

      it('consumerProgress shows the lag of a held consumer, consumerConnection/producerConnection/consumerStatus see the clients', async () => {
        clientId = await traffic.consume(group, topic);
        sent = await traffic.produce(topic, MESSAGES, `Key_${tag}_`);
        expect(sent).toHaveLength(MESSAGES);

        // The consumer commits its (still zero) offsets 10 s after start; then every row shows the full lag.
        const progress = await until('lag of the held consumer', () => attempt('consumerProgress', '-g', group), (o) => diffTotal(o) === MESSAGES, 60_000);
        const rows = progress.split('\n').filter((l) => l.startsWith(topic));
        expect(rows).toHaveLength(4);
        const perQueue = new Map<number, number>();
        for (const m of sent) perQueue.set(m.queueId, (perQueue.get(m.queueId) ?? 0) + 1);
        for (const row of rows) {
          const [, broker, qid, brokerOffset, consumerOffset, diff] = row.split(/\s+/);
          expect(broker).toBe(BROKER);
          expect(Number(brokerOffset)).toBe(perQueue.get(Number(qid)) ?? 0);
          expect(consumerOffset).toBe('0');
          expect(Number(diff)).toBe(perQueue.get(Number(qid)) ?? 0);
        }
        expect(progress).toContain(`%RETRY%${group}`);

        const withIp = await run('consumerProgress', '-g', group, '-s', 'true');
        expect(withIp).toContain('#Client IP');
        expect(withIp).toContain(clientId.split('@')[0]);
        // 5.3.3 also prints what the consumer pulled but has not committed: everything, it is held.
        if (version === '5.3.3') expect(withIp).toContain(`Consume Inflight Total: ${MESSAGES}`);

        const all = await run('consumerProgress');
        expect(all).toMatch(new RegExp(`${group}\\s+1\\s+V4_9_8\\s+PUSH\\s+CLUSTERING`));

        const conn = await run('consumerConnection', '-g', group);
        expect(conn).toMatch(new RegExp(`${clientId.replace(/[.]/g, '\\.')}\\s+127\\.0\\.0\\.1:\\d+\\s+JAVA\\s+V4_9_8`));
        expect(conn).toMatch(new RegExp(`${topic}\\s+\\*`));
        expect(conn).toContain('ConsumeType: CONSUME_PASSIVELY');
        expect(conn).toContain('MessageModel: CLUSTERING');
        expect(conn).toContain('ConsumeFromWhere: CONSUME_FROM_FIRST_OFFSET');

        // The producer registers with a broker by heartbeat, which it sends every 30 s (not on first send).
        const prod = await until('producer registered', () => attempt('producerConnection', '-g', PRODUCER_GROUP, '-t', topic), () => true, 40_000);
        expect(prod).toMatch(/0001\s+\S+@admin-traffic-producer\s+127\.0\.0\.1:\d+\s+JAVA\s+V4_9_8/);

        // GET_CONSUMER_RUNNING_INFO relayed by the broker to the consumer and back.
        const status = await run('consumerStatus', '-g', group);
        expect(status).toContain(clientId);
        expect(status).toContain('Same subscription in the same group of consumer');
        expect(status).toContain('Rebalance OK');
        const detail = await run('consumerStatus', '-g', group, '-i', clientId);
        expect(detail).toContain('#Consumer Subscription#');
        expect(detail).toContain(`%RETRY%${group}`);
      }, TEST_TIMEOUT_MS);

      it('consumerProgress: the lag drains to zero once the consumer runs, with a measured consume TPS', async () => {
        await traffic.open(group);
        const done = await until('lag drained', () => attempt('consumerProgress', '-g', group), (o) => diffTotal(o) === 0 && consumeTps(o) > 0, 90_000);
        for (const row of done.split('\n').filter((l) => l.startsWith(topic))) {
          const cols = row.split(/\s+/);
          expect(cols[3]).toBe(cols[4]); // broker offset == consumer offset
          if (Number(cols[3]) > 0) expect(row).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/); // last consumed message's store time
        }
      }, TEST_TIMEOUT_MS);

      it('messages: queryMsgByKey, queryMsgByUniqueKey, queryMsgById (and consume directly), queryMsgByOffset', async () => {
        const m = sent[3];
        const byKey = await run('queryMsgByKey', '-t', topic, '-k', m.key);
        expect(byKey).toMatch(new RegExp(`${m.uniqId}\\s+${m.queueId}\\s+${m.queueOffset}`));

        const byUnique = await run('queryMsgByUniqueKey', '-t', topic, '-i', m.uniqId);
        expect(byUnique).toMatch(new RegExp(`Topic:\\s+${topic}`));
        expect(byUnique).toMatch(new RegExp(`Keys:\\s+\\[${m.key}\\]`));
        expect(byUnique).toMatch(new RegExp(`MessageTrack \\[consumerGroup=${group}, trackType=CONSUMED`));

        // 5.3.3 requires the topic for queryMsgById.
        const topicArg = version === '5.3.3' ? ['-t', topic] : [];
        const byId = await run('queryMsgById', ...topicArg, '-i', m.offsetMsgId);
        expect(byId).toMatch(new RegExp(`OffsetID:\\s+${m.offsetMsgId}`));
        expect(byId).toMatch(new RegExp(`Queue Offset:\\s+${m.queueOffset}`));
        expect(byId).toMatch(new RegExp(`Store Host:\\s+${server.brokerAddr.replace(/\./g, '\\.')}`));

        // CONSUME_MESSAGE_DIRECTLY relayed to the consumer.
        const direct = await run('queryMsgById', ...topicArg, '-i', m.offsetMsgId, '-g', group, '-d', clientId);
        expect(direct).toContain('ConsumeMessageDirectlyResult');
        expect(direct).toContain('consumeResult=CR_SUCCESS');

        const byOffset = await run('queryMsgByOffset', '-t', topic, '-b', BROKER, '-i', String(m.queueId), '-o', String(m.queueOffset));
        expect(byOffset).toMatch(new RegExp(`Keys:\\s+\\[${m.key}\\]`));
        expect(byOffset).toMatch(new RegExp(`Queue Offset:\\s+${m.queueOffset}`));
      }, TEST_TIMEOUT_MS);

      it('messages: printMsg, consumeMessage, sendMessage, sendMsgStatus', async () => {
        const printed = await run('printMsg', '-t', topic);
        expect(printed.split('\n').filter((l) => l.startsWith('MSGID: '))).toHaveLength(MESSAGES);

        const consumed = await run('consumeMessage', '-t', topic, '-c', '5');
        expect(consumed).toContain('Consume ok');
        expect(consumed.split('\n').filter((l) => l.startsWith('MSGID: ')).length).toBeGreaterThan(0);

        const send = await run('sendMessage', '-t', topic, '-p', `hello from mqadmin ${version}`, '-k', `SendKey_${tag}`, '-c', 'TagA');
        expect(send).toMatch(new RegExp(`${BROKER}\\s+\\d\\s+SEND_OK\\s+[0-9A-F]{32}`));
        const found = await run('queryMsgByKey', '-t', topic, '-k', `SendKey_${tag}`);
        // Unique ids are 32 hex digits for an IPv4 client address, 56 for IPv6.
        expect(found.split('\n').filter((l) => /^[0-9A-F]{32,}\s/.test(l))).toHaveLength(1);

        const status = await run('sendMsgStatus', '-b', BROKER, '-c', '2');
        const results = status.split('\n').filter((l) => l.includes('SendResult'));
        expect(results).toHaveLength(2);
        for (const l of results) expect(l).toContain('sendStatus=SEND_OK');
      }, TEST_TIMEOUT_MS);

      it('cluster and brokers: clusterList (TPS columns), brokerStatus, statsAll show measured traffic', async () => {
        const cluster = await run('clusterList');
        const row = cluster.split('\n').find((l) => l.startsWith(CLUSTER))!;
        expect(row).toMatch(new RegExp(`${CLUSTER}\\s+${BROKER}\\s+0\\s+${server.brokerAddr.replace(/\./g, '\\.')}\\s+V4_9_\\d`));
        expect(row).toMatch(/\d+\.\d{2}\(\d+,\d+ms/); // #InTPS(LOAD)
        // 5.3.3 adds #Timer(Progress) (three tokens) before #PCWait, #Hour and #SPACE.
        const space = Number(row.trim().split(/\s+/)[version === '5.3.3' ? 12 : 9]);
        expect(space).toBeGreaterThan(0); // #SPACE: commit log disk used ratio
        expect(space).toBeLessThan(1);

        const more = await run('clusterList', '-m');
        const totals = more.split('\n').find((l) => l.startsWith(CLUSTER))!.trim().split(/\s+/);
        expect(Number(totals[4])).toBeGreaterThanOrEqual(MESSAGES); // #InTotalToday
        expect(Number(totals[5])).toBeGreaterThanOrEqual(MESSAGES); // #OutTotalToday

        const status = await run('brokerStatus', '-b', server.brokerAddr);
        const kv = new Map(status.split('\n').filter((l) => l.includes(':')).map((l) => {
          const i = l.indexOf(':');
          return [l.slice(0, i).trim(), l.slice(i + 1).trim()] as [string, string];
        }));
        expect(kv.get('brokerVersionDesc')).toMatch(/^V4_9_\d$/);
        expect(Number(kv.get('msgPutTotalTodayNow'))).toBeGreaterThanOrEqual(MESSAGES);
        expect(Number(kv.get('msgGetTotalTodayNow'))).toBeGreaterThanOrEqual(MESSAGES);
        // "10 s, 1 min, 10 min" rates; the Java broker leaves a window empty until it has samples to fill it.
        expect(kv.get('putTps')).toMatch(/^[\d.E-]+( [\d.E-]*)*$/);
        expect(Number(kv.get('putMessageSizeTotal'))).toBeGreaterThan(0);
        expect(Number(kv.get('commitLogMaxOffset'))).toBeGreaterThan(0);
        // The Java broker reads 2 × maxMessageSize at the first offset for this and reports -1 while the
        // CommitLog holds less than that (8 MiB by default); we report the oldest message's store time.
        if (target.name === 'rocketmq-ts') expect(Number(kv.get('earliestMessageTimeStamp'))).toBeGreaterThan(0);

        // TOPIC_PUT_NUMS / GROUP_GET_NUMS items are sampled every 10 s, as on the Java broker; #Accumulation
        // reaches 0 once the consumer has committed the message sendMessage added (it commits every second).
        await until('statsAll counts', () => attempt('statsAll', '-t', topic), (o) => {
          const cols = o.split('\n').find((l) => l.startsWith(topic) && l.includes(group))?.trim().split(/\s+/);
          return cols !== undefined && cols[2] === '0' && Number(cols[5]) >= MESSAGES && Number(cols[6]) >= MESSAGES;
        }, 60_000, 5_000);
      }, TEST_TIMEOUT_MS);

      it('broker config: getBrokerConfig, updateBrokerConfig applied live and persisted', async () => {
        const before = await run('getBrokerConfig', '-b', server.brokerAddr);
        expect(before).toContain(`============${server.brokerAddr}============`);
        expect(before).toMatch(/brokerName\s+=\s+broker-a/);

        const reserved = version === '5.3.3' ? '36' : '48';
        expect(await run('updateBrokerConfig', '-b', server.brokerAddr, '-k', 'fileReservedTime', '-v', reserved)).toContain(`update broker config success, ${server.brokerAddr}`);
        expect(await run('getBrokerConfig', '-b', server.brokerAddr)).toMatch(new RegExp(`fileReservedTime\\s+=\\s+${reserved}\\n`));
        expect(fs.readFileSync(path.join(server.dir, 'broker.conf'), 'utf8')).toMatch(new RegExp(`^fileReservedTime=${reserved}$`, 'm'));

        // brokerPermission takes effect at once: the broker re-registers its topics read-only.
        await run('updateBrokerConfig', '-c', CLUSTER, '-k', 'brokerPermission', '-v', '4');
        await until('read-only route', () => attempt('topicRoute', '-t', topic), (o) => routePerm(o) === 4, 20_000, 1_000);
        await run('updateBrokerConfig', '-c', CLUSTER, '-k', 'brokerPermission', '-v', '6');
        await until('writable route', () => attempt('topicRoute', '-t', topic), (o) => routePerm(o) === 6, 20_000, 1_000);
      }, TEST_TIMEOUT_MS);

      it('namesrv: wipeWritePerm/addWritePerm, updateKvConfig/deleteKvConfig; broker: cleanExpiredCQ, cleanUnusedTopic, deleteExpiredCommitLog, brokerConsumeStats', async () => {
        const wipe = await run('wipeWritePerm', '-b', BROKER);
        expect(wipe).toMatch(new RegExp(`wipe write perm of broker\\[${BROKER}\\] in name server\\[${server.namesrvAddr.replace(/\./g, '\\.')}\\] OK, [1-9]\\d*`));
        expect(routePerm(await run('topicRoute', '-t', topic))).toBe(4);
        const add = await run('addWritePerm', '-b', BROKER);
        expect(add).toMatch(new RegExp(`add write perm of broker\\[${BROKER}\\] in name server\\[.*\\] OK, [1-9]\\d*`));
        expect(routePerm(await run('topicRoute', '-t', topic))).toBe(6);

        const kvFile = kvConfigFile();
        expect(await run('updateKvConfig', '-s', `NS_${tag}`, '-k', 'answer', '-v', '42')).toContain('create or update kv config to namespace success.');
        expect(fs.readFileSync(kvFile, 'utf8')).toContain(`"NS_${tag}":{"answer":"42"}`);
        expect(await run('deleteKvConfig', '-s', `NS_${tag}`, '-k', 'answer')).toContain('delete kv config from namespace success.');
        expect(fs.readFileSync(kvFile, 'utf8')).not.toContain('"answer"');

        expect(await run('cleanExpiredCQ', '-c', CLUSTER)).toContain('success');
        expect(await run('cleanUnusedTopic', '-c', CLUSTER)).toContain('success');
        expect(await run('deleteExpiredCommitLog', '-c', CLUSTER)).toContain('success');
        // GET_BROKER_CONSUME_STATS: every group's progress on this broker.
        const consumeStats = await run('brokerConsumeStats', '-b', server.brokerAddr);
        expect(consumeStats).toMatch(new RegExp(`${topic}\\s+${group}\\s+${BROKER}\\s+0\\s`));
        expect(consumeStats).toMatch(/Diff Total: \d+/);
      }, TEST_TIMEOUT_MS);

      it('resetOffsetByTime rewinds the online consumer, which consumes everything again', async () => {
        const out = await run('resetOffsetByTime', '-g', group, '-t', topic, '-s', '0');
        // 4.9.8: "rollback consumer offset by specified group[..]"; 5.3.3: "start reset consumer offset by specified, group[..]".
        expect(out).toContain(`group[${group}], topic[${topic}]`);
        const rows = out.split('\n').filter((l) => l.startsWith(BROKER));
        expect(rows).toHaveLength(4);
        for (const r of rows) expect(r.trim().split(/\s+/)[2]).toBe('0');
        await until('reconsumed after reset', () => attempt('consumerProgress', '-g', group), (o) => diffTotal(o) === 0, 60_000);
      }, TEST_TIMEOUT_MS);
    });
  }
});
