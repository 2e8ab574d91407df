/**
 * Remoting TLS with the official Java tools: rocketmq-client 4.9.8 (compat-tests/java, the send-sync
 * scenario: 32 sync sends, then a push consumer reads them back) and mqadmin 4.9.8, each started with
 * -Dtls.enable=true (and the default tls.test.mode.enable=true, so they trust any server certificate).
 *
 * Two groups of our processes, certificates made with the openssl CLI:
 *   enforcing   NameServer, SYNC_MASTER and SLAVE, every port tls.server.mode=enforcing, the brokers with
 *               tls.enable=true (registration, the slave's calls to its master and its HA connection);
 *   permissive  NameServer and broker with tls.server.mode=permissive and a certificate.
 * The TLS client passes against both; the same client without TLS is closed by the enforcing NameServer
 * (its log says why) and passes against the permissive one. mqadmin runs clusterList, topicList and
 * updateTopic over TLS. A message sent to the enforcing master is pulled back from its slave.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ourBroker, ourNamesrv, type Node } from './support/cluster.js';
import { describeFailure, javaClasspath, runJavaScenario, type ScenarioResult } from './support/java.js';
import { MqadminSession, mqadminClasspath } from './support/mqadmin.js';
import { makeTempDir, removeDir } from '../test/support/server.js';
import { RemotingClient } from '../src/remoting/client.js';
import { createRequest, requestBody } from '../src/remoting/command.js';
import { RequestCode } from '../src/protocol/request-code.js';
import { ResponseCode } from '../src/protocol/response-code.js';
import { consumerHeartbeat, createTopicRequest, pullRequest, pulledRecords, sendV2 } from '../test/support/wire.js';

const SETUP_TIMEOUT_MS = 240_000; // a cold ~/.m2 builds the client and tools classpaths
const TLS_CLIENT = ['-Dtls.enable=true'];
/** A plain client against an enforcing NameServer never gets a route; its sends give up within this. */
const REFUSED_RUN_TIMEOUT_MS = 45_000;
const REGISTER = { registerNameServerPeriod: 10_000 } as const;

let dir = '';
let tlsKeys: Record<string, string | boolean> = {};
const nodes: Node[] = [];
let enforcing: { namesrv: Node; master: Node; slave: Node } | undefined;
let permissive: { namesrv: Node; broker: Node } | undefined;
let mqadmin: MqadminSession | undefined;
const node = new RemotingClient(undefined, { tls: { rejectUnauthorized: false } });

async function started(n: Promise<Node>): Promise<Node> {
  const s = await n;
  nodes.push(s);
  return s;
}

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !(await cond()); await new Promise((r) => setTimeout(r, 200))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  }
}

beforeAll(async () => {
  dir = makeTempDir('rocketmq-ts-tls-compat');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.pem',
    '-days', '2', '-subj', '/CN=rocketmq-ts'], { cwd: dir, stdio: 'pipe' });
  tlsKeys = {
    'tls.server.certPath': path.join(dir, 'server.pem'),
    'tls.server.keyPath': path.join(dir, 'server.key'),
    // Not the machine's /etc/rocketmq/tls.properties.
    'tls.config.file': path.join(dir, 'absent.properties'),
  };
  const classpaths = Promise.all([javaClasspath(), mqadminClasspath('4.9.8')]);
  const enforcingKeys = { ...tlsKeys, 'tls.server.mode': 'enforcing', 'tls.enable': true };
  const [en, pn] = await Promise.all([started(ourNamesrv(enforcingKeys)), started(ourNamesrv({ ...tlsKeys, 'tls.server.mode': 'permissive' }))]);
  const [master, broker] = await Promise.all([
    started(ourBroker('broker-tls', en.addr, { ...enforcingKeys, brokerRole: 'SYNC_MASTER', brokerIP2: '127.0.0.1', ...REGISTER })),
    started(ourBroker('broker-permissive', pn.addr, { ...tlsKeys, 'tls.server.mode': 'permissive' })),
  ]);
  // The slave learns its master's HA address from its first registration answer.
  const slave = await started(ourBroker('broker-tls', en.addr, { ...enforcingKeys, brokerRole: 'SLAVE', brokerId: 1, brokerIP2: '127.0.0.1', ...REGISTER }));
  enforcing = { namesrv: en, master, slave };
  permissive = { namesrv: pn, broker };
  await classpaths;
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  node.close();
  await mqadmin?.stop();
  await Promise.all(nodes.map((n) => n.dispose()));
  if (dir) removeDir(dir);
}, SETUP_TIMEOUT_MS);

describe('TLS with the Java client 4.9.8 and mqadmin 4.9.8', () => {
  it('send-sync over TLS passes against enforcing and permissive; without TLS it is closed by enforcing and served by permissive', async () => {
    const { namesrv } = enforcing!;
    const runs = await Promise.all([
      runJavaScenario('send-sync', namesrv.addr, { jvmArgs: TLS_CLIENT }),
      runJavaScenario('send-sync', namesrv.addr, { timeoutMs: REFUSED_RUN_TIMEOUT_MS }),
      runJavaScenario('send-sync', permissive!.namesrv.addr),
      runJavaScenario('send-sync', permissive!.namesrv.addr, { jvmArgs: TLS_CLIENT }),
    ]);
    const [tlsEnforcing, plainEnforcing, plainPermissive, tlsPermissive] = runs;
    const fail = (r: ScenarioResult, n: Node) => describeFailure(r, n.output().slice(-3000));
    expect(tlsEnforcing.passed, fail(tlsEnforcing, enforcing!.master)).toBe(true);
    expect(plainPermissive.passed, fail(plainPermissive, permissive!.broker)).toBe(true);
    expect(tlsPermissive.passed, fail(tlsPermissive, permissive!.broker)).toBe(true);
    expect(plainEnforcing.passed, plainEnforcing.output.slice(-3000)).toBe(false);
    expect(namesrv.output()).toMatch(/intends an insecure connection while this server is running in SSL enforcing mode; closed/);
    for (const r of runs) console.log(`${r.tookMs} ms ${r.verdict}`);
  }, 180_000);

  it('mqadmin 4.9.8 with -Dtls.enable=true: clusterList, updateTopic, topicList against the enforcing group', async () => {
    const { namesrv, master, slave } = enforcing!;
    mqadmin = await MqadminSession.start('4.9.8', namesrv.addr, makeTempDir('rocketmq-ts-tls-mqadmin'), undefined, TLS_CLIENT);
    const clusters = await mqadmin.run('clusterList');
    expect(clusters.failed, clusters.output).toBe(false);
    expect(clusters.output).toContain(master.addr);
    expect(clusters.output).toContain(slave.addr);
    const update = await mqadmin.run('updateTopic', ['-c', 'DefaultCluster', '-t', 'TlsAdminTopic', '-r', '2', '-w', '2']);
    expect(update.failed, update.output).toBe(false);
    expect(update.output).toContain(`create topic to ${master.addr} success.`);
    const topics = await mqadmin.run('topicList');
    expect(topics.failed, topics.output).toBe(false);
    expect(topics.output.split('\n').map((l) => l.trim())).toContain('TlsAdminTopic');
  }, 120_000);

  it('replication over TLS: the slave copies the topic from its master, and a message sent to the master is pulled from the slave', async () => {
    const { master, slave } = enforcing!;
    expect(master.output()).toMatch(/ha: slave \S+ connected over TLS/);
    const topic = 'TlsReplTopic';
    expect((await node.invoke(master.addr, createTopicRequest(topic, 1), 5000)).code).toBe(ResponseCode.SUCCESS);
    const sent = await node.invoke(master.addr, sendV2(topic, 'replicated over tls', { queueId: 0 }), 10_000);
    // SYNC_MASTER: SUCCESS only once the slave has the bytes (FLUSH_SLAVE_TIMEOUT or SLAVE_NOT_AVAILABLE otherwise).
    expect([sent.code, sent.remark]).toEqual([ResponseCode.SUCCESS, undefined]);
    // SlaveSynchronize (the slave's remoting calls to its master, over TLS) brings the topic over.
    const slaveTopics = path.join(slave.dir, 'store', 'config', 'topics.json');
    await until('the slave to copy the topic table', () => fs.existsSync(slaveTopics) && fs.readFileSync(slaveTopics, 'utf8').includes(topic));
    expect((await node.invoke(slave.addr, consumerHeartbeat('tls-client', 'tls-group', topic), 5000)).code).toBe(ResponseCode.SUCCESS);
    const pulled = await node.invoke(slave.addr, pullRequest('tls-group', topic, 0, 0), 5000);
    expect(pulled.code).toBe(ResponseCode.SUCCESS);
    const records = pulledRecords(pulled);
    expect(records.map((r) => r.body.toString())).toEqual(['replicated over tls']);
    expect(records[0].queueOffset).toBe(Number(sent.extFields!.queueOffset));
    const info = requestBody(await node.invoke(slave.addr, createRequest(RequestCode.GET_BROKER_RUNTIME_INFO), 5000))!.toString();
    expect(info).toContain('"haMasterConnected":"true"');
  }, 90_000);
});
