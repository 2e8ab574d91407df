/**
 * Broker groups: one master (brokerId 0) and one slave (brokerId 1, brokerRole SLAVE) with the same
 * brokerName and cluster, in every pairing of our broker with the Apache ones, each running one scenario:
 *   (a) rocketmq-ts master + rocketmq-ts slave (our NameServer)
 *   (b) rocketmq-ts master + Apache 4.9.7 slave (our NameServer)
 *   (c) Apache 4.9.7 master + rocketmq-ts slave (the Apache 4.9.7 NameServer)
 *   (d) rocketmq-ts master + Apache 5.3.3 slave (our NameServer)
 *   (e) Apache 4.9.7 master + Apache 4.9.7 slave (the Apache NameServer) and
 *   (f) Apache 4.9.7 master + Apache 5.3.3 slave (the Apache NameServer): the references that validate the
 *       scenario and the 5.3.3 node itself, with COMPAT_APACHE_REFERENCE=1.
 *
 * The scenario: the topic is created on the master, then the slave starts (it learns the master's HA address
 * from its NameServer registration answer). The Java 4.9.8 sender (compat-tests/java ReplicationScenarios
 * repl-send) waits until the slave is attached (a probe send is SEND_OK and the slave's commitLogMaxOffset
 * reaches the master's), then sends single, batch, delayed (level 1) and transactional messages (committed,
 * plus one rolled back) to the master through the NameServer; the Go client (compat-tests/go replsend.go)
 * sends the same kinds. Both write what they sent and each SendResult to one state file. The Java reader
 * (repl-read, ReplicaReader) then reads the topic from the master and from the slave's address, which the
 * route must list as brokerId 1, with the client's own pull path, and checks that every message is on the
 * slave with the same body, properties, msgId, offsetMsgId (the master's store host and commit-log offset)
 * and queue offset as on the master and in its SendResult, field for field, and that the rolled-back one is
 * nowhere. The Go messages are read by the Java reader rather than by a Go consumer failing over to the
 * slave: the Go client only reads a slave after the master is gone and then re-reads from its stored offsets,
 * which proves less and takes ~30 s of route polling.
 *
 * Masters are SYNC_MASTER (COMPAT_REPL_MASTER_ROLE overrides), so every SEND_OK also says the slave acknowledged
 * the message. COMPAT_REPL_GROUPS=a,c runs only those groups.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SLAVE_CONF, apache5Broker, apache5Classpath, apacheBroker, apacheNamesrv, disposeAll, nodeLogLines, nodeTail, ourBroker, ourNamesrv,
  type Node,
} from './support/cluster.js';
import { GO_BUILD_TIMEOUT_MS, buildGoScenarios, describeGoFailure, runGoScenario, type GoScenarios } from './support/go.js';
import { describeFailure, javaClasspath, runJavaScenario, type ScenarioResult } from './support/java.js';
import { recordMatrix } from './support/matrix.js';
import { createTopicOnBrokers } from './support/topics.js';
import { snapshotDist } from '../test/support/our-server.js';
import { onExitCleanup } from '../test/support/processes.js';
import { makeTempDir, removeDir } from '../test/support/server.js';

type Impl = 'ours' | 'apache-4.9.7' | 'apache-5.3.3';
interface Group {
  id: string;
  namesrv: 'ours' | 'apache-4.9.7';
  master: Impl;
  slave: Impl;
}

const GROUPS: Group[] = [
  { id: 'a', namesrv: 'ours', master: 'ours', slave: 'ours' },
  { id: 'b', namesrv: 'ours', master: 'ours', slave: 'apache-4.9.7' },
  { id: 'c', namesrv: 'apache-4.9.7', master: 'apache-4.9.7', slave: 'ours' },
  { id: 'd', namesrv: 'ours', master: 'ours', slave: 'apache-5.3.3' },
  { id: 'e', namesrv: 'apache-4.9.7', master: 'apache-4.9.7', slave: 'apache-4.9.7' },
  { id: 'f', namesrv: 'apache-4.9.7', master: 'apache-4.9.7', slave: 'apache-5.3.3' },
];
const REFERENCE_GROUPS = ['e', 'f'];
const SELECTED = process.env.COMPAT_REPL_GROUPS?.split(',').map((s) => s.trim());
const REFERENCE = process.env.COMPAT_APACHE_REFERENCE === '1';
const RUN = GROUPS.filter((g) => (SELECTED ? SELECTED.includes(g.id) : !REFERENCE_GROUPS.includes(g.id) || REFERENCE));

const MASTER_ROLE = process.env.COMPAT_REPL_MASTER_ROLE ?? 'SYNC_MASTER';
const BROKER_NAME = 'broker-r';
/** Every broker re-registers every 10 s (the floor), so a slave learns of a master that came later within ~30 s. */
const COMMON_CONF = { registerNameServerPeriod: 10_000 };
/** As in support/apache.ts: the Apache broker's send-queue flow control would answer SYSTEM_BUSY on a busy 2-core machine. */
const APACHE_CONF = { waitTimeMillsInSendQueue: 3000, osPageCacheBusyTimeOutMills: 5000 };
/** The reader's own deadline: delayed delivery (1 s), transaction commits, replication, and the slave's first topic sync: ≤ 13 s after start on 4.9, ~60 s on 5.3.3 (its first syncAll waits a full period). */
const READ_TIMEOUT_MS = 90_000;
const JAVA_TIMEOUT_MS = 150_000;
const GROUP_TIMEOUT_MS = 300_000;
const LABELS: Record<Impl, string> = { ours: 'rocketmq-ts', 'apache-4.9.7': 'Apache 4.9.7', 'apache-5.3.3': 'Apache 5.3.3' };
const READER_MAIN = 'rocketmqts.compat.ReplicationScenarios';
/** HA connect/disconnect lines, both implementations' wording, kept in a failure report. */
const HA_LINE = /HAClient|HAService|HAConnection|[Hh][Aa] (client|connection|service)|master.*(connect|attach)|slave.*(connect|attach)/;

/** A scenario's last few "waiting for ..." and "attached" progress lines, indented, for the per-group log line. */
function waits(r: ScenarioResult | undefined): string {
  const lines = (r?.output ?? '').split('\n').filter((l) => /^INFO (waiting|slave attached)/.test(l)).slice(-4);
  return lines.map((l) => `\n    ${l.slice(0, 400)}`).join('');
}

function groupLabel(g: Group): string {
  return `${LABELS[g.namesrv]} namesrv + ${LABELS[g.master]} master + ${LABELS[g.slave]} slave`;
}

describe.runIf(RUN.length > 0)('broker groups: master + slave, read back from the slave', () => {
  let go: GoScenarios | undefined;
  let cli: string | undefined;
  let dropSnapshot: (() => void) | undefined;

  beforeAll(async () => {
    // Our nodes run a copy of dist/, so a rebuild in the tree during the run changes nothing under them.
    if (RUN.some((g) => g.master === 'ours' || g.slave === 'ours' || g.namesrv === 'ours')) {
      const snapshot = snapshotDist();
      dropSnapshot = onExitCleanup(() => removeDir(snapshot));
      cli = path.join(snapshot, 'cli.js');
    }
    await javaClasspath();
    if (RUN.some((g) => g.slave === 'apache-5.3.3')) await apache5Classpath();
    go = await buildGoScenarios();
  }, GO_BUILD_TIMEOUT_MS);

  afterAll(() => {
    go?.dispose();
    dropSnapshot?.();
  });

  async function broker(impl: Impl, namesrvAddr: string, conf: Record<string, string | number | boolean>): Promise<Node> {
    if (impl === 'ours') return ourBroker(BROKER_NAME, namesrvAddr, { ...COMMON_CONF, ...conf }, { cliPath: cli });
    if (impl === 'apache-4.9.7') return apacheBroker(BROKER_NAME, namesrvAddr, { ...COMMON_CONF, ...APACHE_CONF, ...conf });
    return apache5Broker(BROKER_NAME, namesrvAddr, { ...COMMON_CONF, ...APACHE_CONF, ...conf });
  }

  for (const g of RUN) {
    describe(`(${g.id}) ${groupLabel(g)}`, () => {
      const nodes: Node[] = [];
      let stateDir = '';

      afterAll(async () => {
        await disposeAll(nodes);
        if (stateDir) removeDir(stateDir);
      }, GROUP_TIMEOUT_MS);

      it('Java 4.9.8 and Go send single, batch, delayed and transactional messages to the master; all read back from the slave', async () => {
        if (!go) throw new Error('Go build missing');
        const started = Date.now();
        const namesrv = g.namesrv === 'ours' ? await ourNamesrv({}, { cliPath: cli }) : await apacheNamesrv();
        nodes.push(namesrv);
        const master = await broker(g.master, namesrv.addr, { brokerRole: MASTER_ROLE });
        nodes.push(master);
        const topic = `Repl${g.id}_${Date.now().toString(36)}`;
        await createTopicOnBrokers(namesrv.addr, [master.addr], topic, 4);
        const slave = await broker(g.slave, namesrv.addr, SLAVE_CONF);
        nodes.push(slave);
        const upMs = Date.now() - started;
        stateDir = makeTempDir(`rocketmq-ts-repl-${g.id}`);
        const stateFile = path.join(stateDir, 'sent.jsonl');

        const javaSend = await runJavaScenario('repl-send', namesrv.addr,
          { mainClass: READER_MAIN, args: [topic, stateFile, master.addr, slave.addr], timeoutMs: JAVA_TIMEOUT_MS });
        const goSend = javaSend.passed ? await runGoScenario(go, 'repl-send', namesrv.addr, [topic, stateFile]) : undefined;
        const read: ScenarioResult | undefined = javaSend.passed
          ? await runJavaScenario('repl-read', namesrv.addr,
            { mainClass: READER_MAIN, args: [topic, master.addr, slave.addr, String(READ_TIMEOUT_MS), stateFile], timeoutMs: JAVA_TIMEOUT_MS })
          : undefined;
        const tookMs = Date.now() - started;

        const server = groupLabel(g);
        const readVerdict = read ? read.verdict : 'not run (the Java sender failed)';
        recordMatrix({ client: 'Java 4.9.8', server, scenario: 'replication', passed: javaSend.passed && !!read?.passed,
          verdict: javaSend.passed ? readVerdict : javaSend.verdict, tookMs });
        recordMatrix({ client: go.clientLabel, server, scenario: 'replication', passed: !!goSend?.passed && !!read?.passed,
          verdict: goSend?.passed ? readVerdict : goSend?.verdict ?? 'not run (the Java sender failed)', tookMs });
        const sentLines = fs.existsSync(stateFile) ? fs.readFileSync(stateFile, 'utf8').trim().split('\n').length : 0;
        console.log(`(${g.id}) ${server}: ${javaSend.passed && goSend?.passed && read?.passed ? 'PASS' : 'FAIL'} in ${tookMs} ms `
          + `(nodes up ${upMs} ms, Java send ${javaSend.tookMs} ms, Go send ${goSend?.tookMs ?? '-'} ms, read ${read?.tookMs ?? '-'} ms; `
          + `${sentLines} messages sent)\n  ${javaSend.verdict.split('\n')[0]}`
          + `${waits(javaSend)}\n  ${goSend?.verdict.split('\n')[0] ?? ''}\n  ${readVerdict.split('\n')[0]}${waits(read)}`);

        const haLines = [master, slave].map((n) => `${n.kind} HA lines:\n${nodeLogLines(n, HA_LINE).slice(-15).join('\n')}`).join('\n');
        const tails = `${haLines}\n${nodes.map((n) => nodeTail(n)).join('\n')}`;
        const failures: string[] = [];
        if (!javaSend.passed) failures.push(describeFailure(javaSend, tails));
        if (goSend && !goSend.passed) failures.push(describeGoFailure(goSend, tails));
        if (read && !read.passed) failures.push(describeFailure(read, tails));
        expect(failures.join('\n\n'), `group (${g.id}) ${server}`).toBe('');
      }, GROUP_TIMEOUT_MS);
    });
  }
});
