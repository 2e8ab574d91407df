/**
 * ACL 1.0 (the 4.9 plain ACL: aclEnable=true, ${rocketmqHome}/conf/plain_acl.yml and conf/acl/*.yml)
 * with the real clients: the Java 4.9.8 client signing with AclClientRPCHook (compat-tests/java AclProbe,
 * one JVM, every operation its own client instance and credentials), the Go client with
 * WithCredentials (compat-tests/go acl.go) and mqadmin 4.9.8 signing from conf/tools.yml.
 *
 * Every step runs against our broker and against the Apache RocketMQ 4.9.7 broker (each with its own
 * NameServer and ACL home, same account and topic names), and each refusal's response code and remark as
 * the client sees it must be the same text on both, Java stack frame included. The Apache answers are
 * also kept below (APACHE_497), captured from Apache 4.9.7 on 2026-11-29: with COMPAT_APACHE=0 (ours
 * alone) ours is compared with them; when Apache runs, it is checked against them too, so they cannot
 * go stale silently. COMPAT_OURS=0 runs Apache alone. COMPAT_KEEP_DIRS=1 keeps the temp dirs.
 *
 * One known difference is asserted on purpose: QUERY_MESSAGE by unique key (viewMessage, queryMsgById)
 * from a 4.9.4+ client fails "Check signature failed" on Apache 4.9.x, which leaves _UNIQUE_KEY_QUERY
 * out of the content it verifies while the client signs it (apache/rocketmq#5310); ours follows the
 * 5.1 fix (drop it only for request version <= 399) and finds the message.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AclProbe, accountOf, apacheAclBroker, makeAclHome, makeToolsHome, ourAclBroker, readAclFile, until, writeAclFile,
  writeToolsYml, type AclHome, type PlainAclFile, type ProbeCredentials, type ProbeResult,
} from './support/acl.js';
import { apacheNamesrv, disposeAll, nodeTail, ourNamesrv, type Node } from './support/cluster.js';
import { buildGoScenarios, describeGoFailure, runGoScenario, type GoResult, type GoScenarios } from './support/go.js';
import { MqadminSession, mqadminClasspath, type CommandResult } from './support/mqadmin.js';
import { javaClasspath } from './support/java.js';
import { makeTempDir, removeDir } from '../test/support/server.js';
import { needsTool } from '../test/support/tools.js';

const SETUP_TIMEOUT_MS = 600_000; // a cold ~/.m2 or Go module cache downloads the clients
const TEST_TIMEOUT_MS = 120_000;
/** Brokers poll the ACL files every 5 s; a change must show within two polls. */
const RELOAD_TIMEOUT_MS = 12_000;

const ADMIN = { accessKey: 'aclAdmin01', secretKey: 'adminSecret01' };
const USER = { accessKey: 'aclUser01', secretKey: 'userSecret01' };
const SUB_ONLY = { accessKey: 'aclSubOnly01', secretKey: 'subSecret01' };
const WHITE = { accessKey: 'aclWhite01', secretKey: 'whiteSecret01' };
const TEMP = { accessKey: 'aclTemp01', secretKey: 'tempSecret01' };
const HOT = { accessKey: 'aclHot01', secretKey: 'hotSecret01' };
const NEW = { accessKey: 'aclNew01', secretKey: 'newSecret01' };
const NEW_SECRET_2 = 'newSecret02';

const TOPIC = 'AclTopicA';
const TOPIC_DENY = 'AclTopicDeny';
const TOPIC_MQADMIN = 'AclTopicMqadmin';
const CLUSTER = 'DefaultCluster';
const BROKER = 'broker-a';
const OTHER_WHITE = '10.10.103.*';

const INITIAL_ACL: PlainAclFile = {
  globalWhiteRemoteAddresses: [OTHER_WHITE],
  accounts: [
    { ...ADMIN, admin: true },
    {
      ...USER, admin: false, defaultTopicPerm: 'DENY', defaultGroupPerm: 'SUB',
      topicPerms: [`${TOPIC}=PUB|SUB`, `${TOPIC_DENY}=DENY`], groupPerms: ['AclGroupDeny=DENY'],
    },
    { ...SUB_ONLY, admin: false, defaultTopicPerm: 'SUB', defaultGroupPerm: 'SUB' },
    // A matching whiteRemoteAddress skips the signature and the permission checks of this key.
    { ...WHITE, admin: false, whiteRemoteAddress: '127.0.0.1', defaultTopicPerm: 'DENY', defaultGroupPerm: 'DENY' },
    { ...TEMP, admin: false, defaultTopicPerm: 'PUB|SUB', defaultGroupPerm: 'SUB' },
  ],
};

/** A refusal as the client sees it: the broker's code and remark; for the Java client also the exception thrown to the caller and its code. */
interface Refusal {
  code: number;
  remark: string;
  exception?: string;
  clientCode?: number;
}

const ACL_EXCEPTION = 'org.apache.rocketmq.acl.common.AclException';
const VALIDATE = 'org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java';
const CHECK_PERM = 'org.apache.rocketmq.acl.plain.PlainPermissionManager.checkPerm(PlainPermissionManager.java';
const CLIENT_EXCEPTION = 'org.apache.rocketmq.client.exception.MQClientException';
const BROKER_EXCEPTION = 'org.apache.rocketmq.client.exception.MQBrokerException';
const signatureFailed = (ak: string): string => `${ACL_EXCEPTION}: Check signature failed for accessKey=${ak}, ${VALIDATE}:683)`;
const noAclConfig = (ak: string): string => `${ACL_EXCEPTION}: No acl config for ${ak}, ${VALIDATE}:667)`;
/** A resource listed with a permission that lacks the one needed (line 610), or not listed and the default lacks it (605). */
const noPermission = (what: string, line: 605 | 610): string => `${ACL_EXCEPTION}: No default permission for ${what}, ${CHECK_PERM}:${line})`;
const needAdmin = (code: number, ak: string): string => `${ACL_EXCEPTION}: Need admin permission for request code=${code}, but accessKey=${ak} is not, ${CHECK_PERM}:580)`;
/** A refused send: the producer retries SYSTEM_ERROR (1) and then throws MQClientException carrying the last MQBrokerException's code. */
const sendRefused = (remark: string): Refusal => ({ code: 1, remark, exception: CLIENT_EXCEPTION, clientCode: 1 });
/** A refused pull: DefaultMQPullConsumer#pull throws the MQBrokerException itself. */
const pullRefused = (remark: string): Refusal => ({ code: 1, remark, exception: BROKER_EXCEPTION });

/**
 * What the Apache RocketMQ 4.9.7 broker answered each refusal, captured on 2026-11-29 (the Java 4.9.8
 * client's MQBrokerException / MQClientException code and remark; Go's error text; mqadmin's DESC).
 */
const APACHE_497: Record<string, Refusal> = {
  'createTopic non-admin': { code: 1, remark: needAdmin(17, USER.accessKey), exception: CLIENT_EXCEPTION, clientCode: 1 },
  'send wrong secret': sendRefused(signatureFailed(USER.accessKey)),
  'send no hook': sendRefused(`${ACL_EXCEPTION}: No accessKey is configured, ${VALIDATE}:663)`),
  'send unknown key': sendRefused(noAclConfig('aclNobody01')),
  'send topic DENY': sendRefused(noPermission(`topic:${TOPIC_DENY}`, 610)),
  'send SUB-only account': sendRefused(noPermission(`topic:${TOPIC}`, 605)),
  'pull topic DENY': pullRefused(noPermission(`topic:${TOPIC_DENY}`, 610)),
  'pull group DENY': pullRefused(noPermission('group:AclGroupDeny', 610)),
  'pull wrong secret': pullRefused(signatureFailed(USER.accessKey)),
  // QUERY_MESSAGE by unique key (apache/rocketmq#5310): the raw answer; the client then reports no message.
  'queryUniq raw': { code: 1, remark: signatureFailed(USER.accessKey) },
  'queryUniq client': { code: 208, remark: 'query message by key finished, but no message.', exception: CLIENT_EXCEPTION, clientCode: 208 },
  'go send wrong secret': { code: 1, remark: signatureFailed(USER.accessKey) },
  'mqadmin updateTopic non-admin': { code: 1, remark: needAdmin(17, USER.accessKey) },
  'send deleted account': sendRefused(noAclConfig(NEW.accessKey)),
  'send removed account': sendRefused(noAclConfig(TEMP.accessKey)),
};

/**
 * What mqadmin 4.9.8 printed for each ACL command against Apache 4.9.7 (captured 2026-11-29), through
 * shape(): addresses, times, object hashes and the home dir left out. `counters`: the dataVersion counter
 * of plain_acl.yml after create, change, white list, white list again, delete.
 */
const APACHE_497_MQADMIN: Record<string, string> = {
  create: 'create or update plain access config to <addr> success.\norg.apache.rocketmq.common.PlainAccessConfig@<hash>',
  change: 'create or update plain access config to <addr> success.\norg.apache.rocketmq.common.PlainAccessConfig@<hash>',
  white: 'update global white remote addresses to <addr> success.',
  version: '#Cluster Name #Broker Name #Broker Addr #AclFilePath #AclConfigVersionNum #AclLastUpdateTime \n'
    + 'DefaultCluster broker-a <addr> <home>/conf/plain_acl.yml 4 <time> \n'
    + 'get cluster\'s plain access config version success.',
  delete: 'delete plain access config account from <addr> success.\naccount\'s accesskey is:aclNew01',
  counters: '1,2,3,4,5',
};

/** The cases whose refusal must read the same on ours as on Apache. */
type CaseName = string;

interface Target {
  name: 'ours' | 'apache';
  home: AclHome;
  toolsHome: string;
  namesrv: Node;
  broker: Node;
  admin: MqadminSession;
  /** Every probe answer and mqadmin refusal by case, for the comparison. */
  refusals: Map<CaseName, Refusal>;
  transcript: string[];
}

const RUN_OURS = process.env.COMPAT_OURS !== '0';
const RUN_APACHE = process.env.COMPAT_APACHE !== '0';
/** Outside CI a missing Go toolchain leaves the Go test out (with one line), as vitest.config.ts does for the Go suites. */
const RUN_GO = needsTool('go');

describe('ACL 1.0 (plain ACL): Java 4.9.8 AclClientRPCHook, Go WithCredentials and mqadmin 4.9.8 tools.yml against ours and Apache 4.9.7', () => {
  const targets: Target[] = [];
  let probe: AclProbe | undefined;
  let go: GoScenarios | undefined;
  let work = '';
  const cleanup: Array<() => Promise<void> | void> = [];
  const sent = new Map<string, string[]>(); // target → msgIds of the first accepted send

  async function startTarget(name: Target['name']): Promise<void> {
    const home = makeAclHome(INITIAL_ACL);
    const toolsHome = makeToolsHome(ADMIN.accessKey, ADMIN.secretKey);
    cleanup.push(() => removeDir(home.dir), () => removeDir(toolsHome));
    const namesrv = name === 'ours' ? await ourNamesrv() : await apacheNamesrv();
    cleanup.push(() => disposeAll([namesrv]));
    const broker = name === 'ours'
      ? await ourAclBroker(BROKER, namesrv.addr, home, process.env.COMPAT_CLI)
      : await apacheAclBroker(BROKER, namesrv.addr, home);
    cleanup.unshift(() => disposeAll([broker]));
    const dir = path.join(work, name);
    fs.mkdirSync(dir);
    const admin = await MqadminSession.start('4.9.8', namesrv.addr, dir, toolsHome);
    cleanup.unshift(() => admin.stop());
    targets.push({ name, home, toolsHome, namesrv, broker, admin, refusals: new Map(), transcript: [] });
  }

  beforeAll(async () => {
    work = makeTempDir('rocketmq-ts-acl-v1');
    cleanup.push(() => removeDir(work));
    await Promise.all([javaClasspath(), mqadminClasspath('4.9.8')]);
    const goBuilt = !RUN_GO ? undefined : buildGoScenarios().then((g) => {
      go = g;
      cleanup.push(() => g.dispose());
    });
    const probeStarted = AclProbe.start().then((p) => {
      probe = p;
      cleanup.unshift(() => p.stop());
    });
    await Promise.all([
      ...(RUN_OURS ? [startTarget('ours')] : []),
      ...(RUN_APACHE ? [startTarget('apache')] : []),
      goBuilt, probeStarted,
    ]);
    targets.sort((a, b) => a.name.localeCompare(b.name)); // apache first in every comparison message
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    // ACL_V1_TRANSCRIPT_DIR: every probe answer and mqadmin output per server, and the ACL file it ended with.
    const dir = process.env.ACL_V1_TRANSCRIPT_DIR;
    if (dir) {
      for (const t of targets) {
        const file = fs.existsSync(t.home.plainAclFile) ? fs.readFileSync(t.home.plainAclFile, 'utf8') : '';
        fs.writeFileSync(path.join(dir, `acl-v1-${t.name}.txt`), `${t.transcript.join('\n')}\n### plain_acl.yml\n${file}`);
      }
    }
    for (const c of cleanup) {
      try {
        await c();
      } catch (err) {
        console.error('acl-v1 cleanup:', err);
      }
    }
  }, SETUP_TIMEOUT_MS);

  const byName = (name: Target['name']): Target | undefined => targets.find((t) => t.name === name);

  /** Runs a probe operation on one target; a result that is not what `expectOk` says fails with everything needed to see why. */
  async function op(t: Target, caseName: CaseName, expectOk: boolean, operation: string, cred: ProbeCredentials,
    ...args: Array<string | number>): Promise<ProbeResult> {
    const r = await probe!.run(operation, t.namesrv.addr, cred, ...args);
    t.transcript.push(`${caseName}: ${JSON.stringify(r)}`);
    if (r.ok !== expectOk) throw new Error(`${t.name} ${caseName}: expected ${expectOk ? 'success' : 'refusal'}, got ${JSON.stringify(r)}\n${nodeTail(t.broker)}`);
    if (!expectOk) t.refusals.set(caseName, javaRefusal(r));
    return r;
  }

  /** Every target, in parallel. */
  const each = <T>(f: (t: Target) => Promise<T>): Promise<T[]> => Promise.all(targets.map(f));

  /** Ours must refuse `caseName` with Apache's code and remark (live if Apache ran, else the captured values). */
  function compareRefusals(...cases: CaseName[]): void {
    const apache = byName('apache');
    const ours = byName('ours');
    for (const c of cases) {
      const live = apache?.refusals.get(c);
      const recorded = APACHE_497[c];
      if (live) console.log(`[acl-v1] Apache 4.9.7 ${c}: ${JSON.stringify(live)}`);
      if (live && recorded) expect(live, `Apache 4.9.7 no longer answers ${c} as recorded in APACHE_497`).toEqual(recorded);
      const reference = live ?? recorded;
      if (!ours) continue;
      expect(reference, `no Apache reference for ${c}`).toBeDefined();
      expect(ours.refusals.get(c), `ours vs Apache 4.9.7 on ${c}`).toEqual(reference);
    }
  }

  it('an admin account creates topics (UPDATE_AND_CREATE_TOPIC); a non-admin account is refused', async () => {
    await each(async (t) => {
      for (const topic of [TOPIC, TOPIC_DENY]) await op(t, `createTopic admin ${topic}`, true, 'createTopic', ADMIN, t.broker.addr, topic);
      await op(t, 'createTopic non-admin', false, 'createTopic', USER, t.broker.addr, 'AclTopicNotCreated');
    });
    compareRefusals('createTopic non-admin');
  }, TEST_TIMEOUT_MS);

  it('send: the right key is accepted; wrong secret, no hook, unknown key, DENY topic and a SUB-only account are refused; a white-listed account needs no valid signature', async () => {
    await each(async (t) => {
      const [okSend] = await Promise.all([
        op(t, 'send right key', true, 'send', USER, TOPIC, 3),
        op(t, 'send wrong secret', false, 'send', { ...USER, secretKey: 'wrongSecret99' }, TOPIC, 1),
        op(t, 'send no hook', false, 'send', null, TOPIC, 1),
        op(t, 'send unknown key', false, 'send', { accessKey: 'aclNobody01', secretKey: 'nobodySecret01' }, TOPIC, 1),
        op(t, 'send topic DENY', false, 'send', USER, TOPIC_DENY, 1),
        op(t, 'send SUB-only account', false, 'send', SUB_ONLY, TOPIC, 1),
        op(t, 'send white account, wrong secret', true, 'send', { ...WHITE, secretKey: 'wrongSecret99' }, TOPIC, 1),
      ]);
      expect(okSend.msgIds).toHaveLength(3);
      sent.set(t.name, okSend.msgIds!);
    });
    compareRefusals('send wrong secret', 'send no hook', 'send unknown key', 'send topic DENY', 'send SUB-only account');
  }, TEST_TIMEOUT_MS);

  it('consume: a push consumer with the right key receives what was sent; pulls on a DENY topic, a DENY group or with a wrong secret are refused', async () => {
    await each(async (t) => {
      const [pushed, pulled] = await Promise.all([
        op(t, 'consume right key', true, 'consume', USER, 'AclGroupPush', TOPIC, 4, 30_000),
        op(t, 'pull SUB-only account', true, 'pull', SUB_ONLY, 'AclGroupSub', TOPIC),
        op(t, 'pull topic DENY', false, 'pull', USER, 'AclGroupA', TOPIC_DENY),
        op(t, 'pull group DENY', false, 'pull', USER, 'AclGroupDeny', TOPIC),
        op(t, 'pull wrong secret', false, 'pull', { ...USER, secretKey: 'wrongSecret99' }, 'AclGroupA', TOPIC),
      ]);
      expect(pushed.msgIds).toEqual(expect.arrayContaining(sent.get(t.name)!));
      expect(pulled.found).toBeGreaterThanOrEqual(4);
    });
    compareRefusals('pull topic DENY', 'pull group DENY', 'pull wrong secret');
  }, TEST_TIMEOUT_MS);

  it('QUERY_MESSAGE by unique key from the 4.9.8 client: found on ours (the 5.1 signature rule), "Check signature failed" on Apache 4.9.7 (apache/rocketmq#5310)', async () => {
    await each(async (t) => {
      const uniq = sent.get(t.name)![0];
      if (t.name === 'ours') {
        // The index is written behind the commit log: allow it a moment.
        const { result } = await until(() => probe!.run('queryUniq', t.namesrv.addr, USER, t.broker.addr, TOPIC, uniq), (r) => r.ok, 10_000);
        t.transcript.push(`queryUniq: ${JSON.stringify(result)}`);
        expect(result, JSON.stringify(result)).toMatchObject({ ok: true, rawCode: 0, foundMsgId: uniq });
        const shown = await mq(t, 'queryMsgByUniqueKey', '-t', TOPIC, '-i', uniq);
        expect(shown.failed, shown.output).toBe(false);
        expect(shown.output).toMatch(new RegExp(`^Topic: +${TOPIC}$`, 'm'));
        expect(shown.output).toMatch(/^Keys: +\[K-acl-probe-\d+-0\]$/m);
      } else {
        const r = await op(t, 'queryUniq client', false, 'queryUniq', USER, t.broker.addr, TOPIC, uniq);
        t.refusals.set('queryUniq raw', { code: r.rawCode!, remark: r.rawRemark! });
        expect(t.refusals.get('queryUniq raw')).toEqual(APACHE_497['queryUniq raw']);
        expect(t.refusals.get('queryUniq client')).toEqual(APACHE_497['queryUniq client']);
        const shown = await mq(t, 'queryMsgByUniqueKey', '-t', TOPIC, '-i', uniq);
        expect(shown.failed, shown.output).toBe(true);
        expect(mqadminRefusal(shown)).toEqual({ code: 208, remark: 'query message by key finished, but no message.' });
      }
    });
  }, TEST_TIMEOUT_MS);

  it.skipIf(!RUN_GO)('Go client: sends and consumes with the right credentials; a wrong secret is refused with the same code and remark', async () => {
    const results = await each(async (t) => {
      const [good, bad] = await Promise.all([
        runGoScenario(go!, 'acl-send-consume', t.namesrv.addr, [USER.accessKey, USER.secretKey, TOPIC, 'AclGroupGo']),
        runGoScenario(go!, 'acl-send-refused', t.namesrv.addr, [USER.accessKey, 'wrongSecret99', TOPIC]),
      ]);
      return { t, good, bad };
    });
    for (const { t, good, bad } of results) {
      expect(good.passed, describeGoFailure(good, nodeTail(t.broker))).toBe(true);
      expect(bad.passed, describeGoFailure(bad, nodeTail(t.broker))).toBe(true);
      t.refusals.set('go send wrong secret', goRefusal(bad));
    }
    compareRefusals('go send wrong secret');
  }, TEST_TIMEOUT_MS);

  it('mqadmin 4.9.8 signing with tools.yml: topicList and updateTopic work with an admin key, updateTopic is refused with a non-admin key', async () => {
    await each(async (t) => {
      const created = await mq(t, 'updateTopic', '-b', t.broker.addr, '-t', TOPIC_MQADMIN, '-r', '2', '-w', '2');
      expect(created.failed, created.output).toBe(false);
      expect(created.output).toContain(`create topic to ${t.broker.addr} success.`);
      const list = await mq(t, 'topicList');
      expect(list.output.split('\n')).toEqual(expect.arrayContaining([TOPIC, TOPIC_DENY, TOPIC_MQADMIN]));
      writeToolsYml(t.toolsHome, USER.accessKey, USER.secretKey);
      try {
        const refused = await mq(t, 'updateTopic', '-b', t.broker.addr, '-t', 'AclTopicMqadminRefused', '-r', '1', '-w', '1');
        expect(refused.failed, refused.output).toBe(true);
        t.refusals.set('mqadmin updateTopic non-admin', mqadminRefusal(refused));
      } finally {
        writeToolsYml(t.toolsHome, ADMIN.accessKey, ADMIN.secretKey);
      }
    });
    compareRefusals('mqadmin updateTopic non-admin');
  }, TEST_TIMEOUT_MS);

  it('mqadmin 4.9.8 ACL commands: updateAclConfig creates then changes an account, updateGlobalWhiteAddr, clusterAclConfigVersion, deleteAclConfig; the file follows and the clients see each change', async () => {
    const outputs = await each(async (t) => {
      const out: Record<string, string> = {};
      const addr = t.broker.addr;
      // Create: the file gains the account and the Java client can send with it.
      const created = await mqOk(t, 'updateAclConfig', '-b', addr, '-a', NEW.accessKey, '-s', NEW.secretKey, '-i', 'PUB', '-u', 'SUB', '-m', 'false');
      out.create = created;
      const counters = [fileCounter(t)];
      expect(accountOf(readAclFile(t.home.plainAclFile), NEW.accessKey)).toMatchObject({ secretKey: NEW.secretKey, defaultTopicPerm: 'PUB', admin: false });
      await reloaded(t, 'new account sends', () => probe!.run('send', t.namesrv.addr, NEW, TOPIC, 1), true);

      // Change the secret: the old one is refused, the new one accepted.
      out.change = await mqOk(t, 'updateAclConfig', '-b', addr, '-a', NEW.accessKey, '-s', NEW_SECRET_2);
      expect(accountOf(readAclFile(t.home.plainAclFile), NEW.accessKey)).toMatchObject({ secretKey: NEW_SECRET_2, defaultTopicPerm: 'PUB' });
      counters.push(fileCounter(t));
      await reloaded(t, 'changed account, old secret', () => probe!.run('send', t.namesrv.addr, NEW, TOPIC, 1), false);
      await reloaded(t, 'changed account, new secret', () => probe!.run('send', t.namesrv.addr, { ...NEW, secretKey: NEW_SECRET_2 }, TOPIC, 1), true);

      // Global white list: 127.0.0.1 lets an unsigned client in; putting the other address back shuts it out.
      out.white = await mqOk(t, 'updateGlobalWhiteAddr', '-b', addr, '-g', '127.0.0.1');
      expect(readAclFile(t.home.plainAclFile).globalWhiteRemoteAddresses).toEqual(['127.0.0.1']);
      counters.push(fileCounter(t));
      await reloaded(t, 'globally white-listed, no hook', () => probe!.run('send', t.namesrv.addr, null, TOPIC, 1), true);
      await mqOk(t, 'updateGlobalWhiteAddr', '-b', addr, '-g', OTHER_WHITE);
      expect(readAclFile(t.home.plainAclFile).globalWhiteRemoteAddresses).toEqual([OTHER_WHITE]);
      counters.push(fileCounter(t));
      await reloaded(t, 'white list restored, no hook', () => probe!.run('send', t.namesrv.addr, null, TOPIC, 1), false);

      out.version = await mqOk(t, 'clusterAclConfigVersion', '-c', CLUSTER);
      // #Cluster Name #Broker Name #Broker Addr #AclFilePath #AclConfigVersionNum #AclLastUpdateTime
      expect(out.version.replaceAll(t.home.plainAclFile, '<plain_acl.yml>')).toMatch(new RegExp(
        `^${CLUSTER}\\s+${BROKER}\\s+${addr.replace(/\./g, '\\.')}\\s+<plain_acl\\.yml>\\s+\\d+\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s*$`, 'm'));

      // Delete: the account leaves the file and its key is refused.
      out.delete = await mqOk(t, 'deleteAclConfig', '-b', addr, '-a', NEW.accessKey);
      expect(accountOf(readAclFile(t.home.plainAclFile), NEW.accessKey)).toBeUndefined();
      counters.push(fileCounter(t));
      out.counters = counters.join(',');
      console.log(`[acl-v1] ${t.name}: plain_acl.yml dataVersion counter after create, change, white, white, delete: ${out.counters}`);
      const gone = await reloaded(t, 'deleted account', () => probe!.run('send', t.namesrv.addr, { ...NEW, secretKey: NEW_SECRET_2 }, TOPIC, 1), false);
      t.refusals.set('send deleted account', javaRefusal(gone));
      return { t, out };
    });
    // The same output as Apache 4.9.7's (live Apache is held to the captured text too) once addresses, times and hashes are left out.
    const shapes = outputs.map(({ t, out }) => Object.fromEntries(Object.entries(out).map(([k, v]) => [k, shape(v.replaceAll(t.home.dir, '<home>'))])));
    for (const [i, s] of shapes.entries()) expect(s, `${outputs[i].t.name}: mqadmin ACL command outputs`).toEqual(APACHE_497_MQADMIN);
    compareRefusals('send deleted account');
  }, TEST_TIMEOUT_MS);

  it('a running broker picks up edited files: a key added in conf/acl/extra.yml works and a key removed from plain_acl.yml is refused, without a restart', async () => {
    await each(async (t) => {
      await op(t, 'temp account before the edit', true, 'send', TEMP, TOPIC, 1);
      fs.writeFileSync(path.join(t.home.aclDir, 'extra.yml'),
        `accounts:\n- accessKey: ${HOT.accessKey}\n  secretKey: ${HOT.secretKey}\n  admin: false\n  defaultTopicPerm: PUB|SUB\n  defaultGroupPerm: SUB\n`);
      const acl = readAclFile(t.home.plainAclFile);
      writeAclFile(t.home.plainAclFile, { ...acl, accounts: acl.accounts!.filter((a) => a.accessKey !== TEMP.accessKey) });
      const [, removed] = await Promise.all([
        reloaded(t, 'added in conf/acl/extra.yml', () => probe!.run('send', t.namesrv.addr, HOT, TOPIC, 1), true),
        reloaded(t, 'removed from plain_acl.yml', () => probe!.run('send', t.namesrv.addr, TEMP, TOPIC, 1), false),
      ]);
      t.refusals.set('send removed account', javaRefusal(removed));
    });
    compareRefusals('send removed account');
  }, TEST_TIMEOUT_MS);

  /** Runs an mqadmin command on a target's session (signed with its tools.yml). */
  async function mq(t: Target, command: string, ...args: string[]): Promise<CommandResult> {
    const r = await t.admin.run(command, args);
    t.transcript.push(`mqadmin ${r.args.join(' ')}\n${r.output}`);
    return r;
  }

  async function mqOk(t: Target, command: string, ...args: string[]): Promise<string> {
    const r = await mq(t, command, ...args);
    if (r.failed) throw new Error(`${t.name}: mqadmin ${r.args.join(' ')} failed:\n${r.output}\n${nodeTail(t.broker)}`);
    return r.output;
  }

  /** The dataVersion counter of plain_acl.yml: each ACL command that writes the file counts one up (clusterAclConfigVersion shows it). */
  const fileCounter = (t: Target): number | undefined => readAclFile(t.home.plainAclFile).dataVersion?.[0]?.counter;

  /** Retries a probe operation until it succeeds (or is refused) within RELOAD_TIMEOUT_MS; logs how long the change took. */
  async function reloaded(t: Target, what: string, attempt: () => Promise<ProbeResult>, expectOk: boolean): Promise<ProbeResult> {
    const { result, afterMs, met } = await until(attempt, (r) => r.ok === expectOk, RELOAD_TIMEOUT_MS);
    t.transcript.push(`${what}: after ${afterMs} ms ${JSON.stringify(result)}`);
    console.log(`[acl-v1] ${t.name}: ${what}: ${expectOk ? 'accepted' : 'refused'} after ${afterMs} ms`);
    if (!met) throw new Error(`${t.name}: ${what}: still ${result.ok ? 'accepted' : 'refused'} after ${afterMs} ms: ${JSON.stringify(result)}\n${nodeTail(t.broker)}`);
    return result;
  }
});

function javaRefusal(r: ProbeResult): Refusal {
  const out: Refusal = { code: r.code!, remark: r.remark!, exception: r.exception };
  if (r.clientCode !== undefined) out.clientCode = r.clientCode;
  return out;
}

/** Go prints the broker's answer as "CODE: <code>, DESC: <remark>" (rocketmq-client-go ProcessSendResponse). */
function goRefusal(r: GoResult): Refusal {
  const line = /^RESULT (.*)$/m.exec(r.output)?.[1];
  const error = line ? (JSON.parse(line) as { error: string }).error : '';
  const m = /^CODE: (\d+), DESC: ([\s\S]*)$/.exec(error);
  if (!m) throw new Error(`Go refusal without a broker code: ${error || r.output.slice(-2000)}`);
  return { code: Number(m[1]), remark: m[2] };
}

/** mqadmin prints the MQClientException: "CODE: <code>  DESC: <remark>" (then the FAQ url). */
function mqadminRefusal(r: CommandResult): Refusal {
  const m = /CODE: (\d+)\s+DESC: (.*?)(?:\nFor more information|$)/m.exec(r.output);
  if (!m) throw new Error(`mqadmin refusal without a broker code:\n${r.output}`);
  return { code: Number(m[1]), remark: m[2] };
}

/** An mqadmin output without what differs between runs: broker addresses and times. */
function shape(out: string): string {
  return out
    .replace(/\b\d{1,3}(\.\d{1,3}){3}:\d+/g, '<addr>')
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/g, '<time>')
    .replace(/@[0-9a-f]{1,8}\b/g, '@<hash>') // PlainAccessConfig has no toString
    .replace(/[ \t]+/g, ' ') // the columns are padded to the width of the address
    .trim();
}
