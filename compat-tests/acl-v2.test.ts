/**
 * ACL 2.0 (RocketMQ 5.3 authentication + authorization) on our broker and on the Apache RocketMQ 5.3.3
 * broker, the same steps on both, compared. Each broker runs behind its own NameServer (ours) with
 * authenticationEnabled + authorizationEnabled and the super user rocketmq/12345678 (support/acl5.ts
 * authBrokerConf); both start in parallel.
 *
 *   - mqadmin 5.3.3, signing as the super user through conf/tools.yml, manages a normal user and its
 *     policies: createUser, getUser, listUser, updateUser (password, status), createAcl, getAcl, listAcl,
 *     updateAcl, deleteAcl, deleteUser. The printed tables are parsed and must be the same on both brokers
 *     and equal to what Apache 5.3.3 printed when this suite was written; so must its failures (an existing
 *     user, a policy for an unknown user).
 *   - Policy matching with literal and prefixed resources and a sourceIp condition, including the cases where
 *     Apache 5.3.3's entry sorting lets the later-created or the shorter-prefix entry decide.
 *   - The Java 5.3.3 client (compat-tests/java5 AclClient, AclClientRPCHook + SessionCredentials): the
 *     allowed user sends and consumes; a wrong password, no hook, an unknown user, a disabled user, a topic
 *     without a policy, a Deny policy, a group without a policy and a normal user calling AUTH_LIST_USER are
 *     refused. Every refusal's response code and remark must equal Apache's (APACHE_REFUSALS, recorded from
 *     the Apache broker; the live Apache broker is held to the same table).
 *   - authenticationWhitelist / authorizationWhitelist (request codes): a whitelisted send passes unsigned,
 *     a pull whitelisted for authentication only is authorized by its AccessKey alone. Ours against the
 *     recorded Apache values; the live Apache 5.3.3 broker too with COMPAT_APACHE_REFERENCE=1.
 *   - A secured replication group: master + slave (brokerId 1), both secured and signing their own requests
 *     with innerClientAuthenticationCredentials: messages sent to the master with the super user's
 *     credentials are read back from the slave, whose topic table came from the master (the slave's topic
 *     sync is a signed request the master authenticates). Ours always; the Apache 5.3.3 pair with
 *     COMPAT_APACHE_REFERENCE=1 (its slave syncs topics only after a full 60 s period).
 *
 * COMPAT_ACL_IMPLS=ours (or apache) runs the first part against one broker only (then only against the
 * recorded values). Needs `npm run build` first; our nodes run a snapshot of dist/.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AclClientSession, SUPER_USER, authBrokerConf, parseAcls, parseUsers, toolsHome,
  type AclRow, type ClientResult, type Credentials, type UserRow, type Who,
} from './support/acl5.js';
import { SLAVE_CONF, apache5Broker, apache5Classpath, disposeAll, nodeTail, ourBroker, ourNamesrv, type Node } from './support/cluster.js';
import { java5Classpath } from './support/java5.js';
import { MqadminSession, mqadminClasspath, type CommandResult } from './support/mqadmin.js';
import { snapshotDist } from '../test/support/our-server.js';
import { onExitCleanup } from '../test/support/processes.js';
import { makeTempDir, removeDir } from '../test/support/server.js';

type Impl = 'ours' | 'apache';
const LABEL: Record<Impl, string> = { ours: 'rocketmq-ts', apache: 'Apache 5.3.3' };
const IMPLS = (process.env.COMPAT_ACL_IMPLS ?? 'ours,apache').split(',').map((s) => s.trim()).filter((s): s is Impl => s === 'ours' || s === 'apache');
const REFERENCE = process.env.COMPAT_APACHE_REFERENCE === '1';
/** The whitelist brokers and the replication groups: ours always, Apache 5.3.3's (a second broker start, ~60 s of slave sync) with the flag. */
const REFERENCE_ONLY_APACHE = IMPLS.filter((impl) => impl === 'ours' || REFERENCE);

const ALICE: Credentials = { username: 'alice', password: 'alice-pw-1' };
const ALICE_NEW: Credentials = { username: 'alice', password: 'alice-pw-2' };
const TOPIC = 'AclT';
const OTHER_TOPIC = 'AclOther';
const DENIED_TOPIC = 'AclDeny';
const GROUP = 'AclG';
const OTHER_GROUP = 'AclG2';
/** As in support/apache.ts: the Apache broker's send-queue flow control would answer SYSTEM_BUSY on a busy 2-core machine. */
const APACHE_CONF = { waitTimeMillsInSendQueue: 3000, osPageCacheBusyTimeOutMills: 5000 };
const SETUP_TIMEOUT_MS = 240_000;
const STEP_TIMEOUT_MS = 120_000;

interface Refusal {
  code: number | null | undefined;
  remark: string | null | undefined;
}

/**
 * What the Apache RocketMQ 5.3.3 broker answered each refused request of this suite (rocketmq-broker 5.3.3,
 * authBrokerConf, the Java 5.3.3 client on 127.0.0.1; captured by this suite on 2026-11-29): NO_PERMISSION
 * (16) with the authentication or authorization exception's plain message as the remark.
 */
const APACHE_REFUSALS = {
  wrongPassword: { code: 16, remark: 'check signature failed.' },
  noHook: { code: 16, remark: 'username cannot be null.' },
  unknownUser: { code: 16, remark: 'User:mallory is not found.' },
  topicWithoutPolicy: { code: 16, remark: `User:alice has no permission to access Topic:${OTHER_TOPIC} from 127.0.0.1, no matched policies.` },
  deniedTopic: { code: 16, remark: `User:alice has no permission to access Topic:${DENIED_TOPIC} from 127.0.0.1, the decision is deny.` },
  groupWithoutPolicy: { code: 16, remark: `User:alice has no permission to access Group:${OTHER_GROUP} from 127.0.0.1, no matched policies.` },
  oldPassword: { code: 16, remark: 'check signature failed.' },
  disabledUser: { code: 16, remark: 'User:alice is disabled.' },
  deletedPolicy: { code: 16, remark: `User:alice has no permission to access Topic:${TOPIC} from 127.0.0.1, no matched policies.` },
  deletedUser: { code: 16, remark: 'User:alice is not found.' },
} satisfies Record<string, Refusal>;

/** AUTH_LIST_USER / AUTH_CREATE_USER sent by the normal user alice (captured with APACHE_REFUSALS). */
const APACHE_ADMIN_REFUSALS = {
  list: { code: 16, remark: 'User:alice has no permission to access Cluster:DefaultCluster from 127.0.0.1, no matched policies.' },
  create: { code: 16, remark: 'User:alice has no permission to access Cluster:DefaultCluster from 127.0.0.1, no matched policies.' },
} satisfies Record<string, Refusal>;

/** The tables Apache 5.3.3's mqadmin printed for the same steps (parsed; captured with APACHE_REFUSALS). */
const ALICE_ROW: UserRow = { username: 'alice', password: ALICE.password, userType: 'Normal', userStatus: 'enable' };
const BOB_ROW: UserRow = { username: 'bob', password: 'bob-pw-1', userType: 'Normal', userStatus: 'enable' };
const SUPER_ROW: UserRow = { username: 'rocketmq', password: '12345678', userType: 'Super', userStatus: 'enable' };
function aclRow(resource: string, actions: string, decision: string): AclRow {
  return { subject: 'User:alice', policyType: 'Custom', resource, actions, sourceIp: 'null', decision };
}
const ALICE_ACLS: AclRow[] = [
  aclRow(`Topic:${TOPIC}`, '[Pub, Sub]', 'Allow'),
  aclRow(`Group:${GROUP}`, '[Sub]', 'Allow'),
  aclRow(`Topic:${DENIED_TOPIC}`, '[Pub]', 'Deny'),
];

/**
 * bob's policy, created in this order. Apache 5.3.3 (AclAuthorizationHandler#comparePolicyEntries) sorts the
 * entries that match a request with a comparator that, for a literal and a prefixed entry, answers -1 whichever
 * comes first, so with two matches the later-created entry decides; two prefixed entries sort shorter prefix
 * first, so the shorter prefix decides.
 */
const BOB: Credentials = { username: 'bob', password: 'bob-pw-1' };
/** One createAcl per line (its resources become entries in this order): every Deny entry is created before the Allow entries. */
const BOB_POLICY: Array<[resources: string[], decision: 'Allow' | 'Deny', sourceIp?: string]> = [
  [['Topic:AclPx', 'Topic:AclQ*', 'Topic:AclSx*'], 'Deny'],
  [['Topic:AclP*', 'Topic:AclQx', 'Topic:AclS*'], 'Allow'],
  [['Topic:AclIp'], 'Allow', '10.10.10.10'],
];
const MATCH_TOPICS = ['AclPx', 'AclPy', 'AclQx', 'AclQy', 'AclSxy', 'AclIp'];
/** What Apache 5.3.3 showed and decided for bob (captured with APACHE_REFUSALS): AclPx and AclSxy are sent. */
const APACHE_POLICY_MATCHING = {
  acl: BOB_POLICY.flatMap(([resources, decision, ip]) => resources.map((resource) => ({
    subject: 'User:bob', policyType: 'Custom', resource, actions: '[Pub]', sourceIp: ip ? `[${ip}]` : 'null', decision,
  }))),
  sends: {
    AclPx: 'sent',
    AclPy: 'sent',
    AclQx: 'sent',
    AclQy: { code: 16, remark: 'User:bob has no permission to access Topic:AclQy from 127.0.0.1, the decision is deny.' },
    AclSxy: 'sent',
    AclIp: { code: 16, remark: 'User:bob has no permission to access Topic:AclIp from 127.0.0.1, no matched policies.' },
  } as Record<string, Refusal | 'sent'>,
};
/** mqadmin's failures as Apache 5.3.3 answered them (captured with APACHE_REFUSALS); deleting an unknown user succeeds. */
const APACHE_ADMIN_ERRORS = {
  duplicateUser: { code: 16, remark: 'The user is existed' } as Refusal | undefined,
  aclForUnknownUser: { code: 16, remark: 'The subject of User:ghost is not exist.' } as Refusal | undefined,
  deleteUnknownUser: 'delete user to <broker> success.',
};

interface Target {
  impl: Impl;
  namesrv: Node;
  broker: Node;
  adm: MqadminSession;
}

function refusal(r: ClientResult): Refusal {
  return { code: r.code, remark: r.remark };
}

/** A command's output with the broker address replaced, so both brokers' outputs compare. */
function shown(r: CommandResult, addr: string): string {
  return r.output.split(addr).join('<broker>').trim();
}

/** "CODE: 16  DESC: <remark>" of a failed mqadmin command (MQBrokerException's message). */
function brokerError(r: CommandResult): Refusal | undefined {
  const m = /MQBrokerException: CODE: (\d+)\s+DESC: (.*)$/m.exec(r.output);
  return m ? { code: Number(m[1]), remark: m[2].trim() } : undefined;
}

describe.runIf(IMPLS.length > 0)('ACL 2.0: mqadmin 5.3.3 user/acl commands and the Java 5.3.3 client, rocketmq-ts vs Apache 5.3.3', () => {
  const targets = new Map<Impl, Target>();
  const nodes: Node[] = [];
  const sessions: MqadminSession[] = [];
  const dirs: string[] = [];
  let client: AclClientSession | undefined;
  let cli: string | undefined;
  let dropSnapshot: (() => void) | undefined;

  /** Runs step(target) on every broker at once; the results keyed by implementation. */
  async function onEach<T>(step: (t: Target) => Promise<T>): Promise<Record<Impl, T>> {
    const entries = await Promise.all([...targets.values()].map(async (t) => [t.impl, await step(t)] as const));
    return Object.fromEntries(entries) as Record<Impl, T>;
  }

  /** Every broker's value must equal `expected` (Apache's); the diff names the broker that differs. */
  function expectEach<T>(what: string, got: Record<Impl, T>, expected: T): void {
    const want = Object.fromEntries(Object.keys(got).map((k) => [k, expected]));
    expect(got, what).toEqual(want);
  }

  async function adm(t: Target, command: string, args: string[], expectFailed = false): Promise<CommandResult> {
    const started = Date.now();
    const r = await t.adm.run(command, args);
    if (process.env.COMPAT_ACL_TRACE === '1') console.log(`[${t.impl} mqadmin ${Date.now() - started} ms] ${command} ${args.join(' ')}`);
    if (r.failed !== expectFailed) throw new Error(`${LABEL[t.impl]}: mqadmin ${command} ${args.join(' ')} ${r.failed ? 'failed' : 'succeeded'}:\n${r.output}\n${nodeTail(t.broker)}`);
    return r;
  }

  function send(t: Target, topic: string, who: Who, count = 1): Promise<ClientResult> {
    return client!.send(t.namesrv.addr, topic, who, count);
  }

  beforeAll(async () => {
    if (IMPLS.includes('ours')) {
      const snapshot = snapshotDist();
      dropSnapshot = onExitCleanup(() => removeDir(snapshot));
      cli = path.join(snapshot, 'cli.js');
    }
    const t0 = Date.now();
    const trace = (what: string) => { if (process.env.COMPAT_ACL_TRACE === '1') console.log(`[setup ${Date.now() - t0} ms] ${what}`); };
    await Promise.all([java5Classpath('5.3.3'), mqadminClasspath('5.3.3'), IMPLS.includes('apache') ? apache5Classpath() : undefined]);
    trace('classpaths');
    const work = makeTempDir('rocketmq-ts-acl-v2');
    dirs.push(work);
    const clientStarting = AclClientSession.start(work).then((c) => (client = c));
    // allSettled: every node started is in `nodes` before afterAll runs, even when the other broker fails.
    const started = await Promise.allSettled([clientStarting, ...IMPLS.map(async (impl) => {
      const namesrv = await ourNamesrv({}, { cliPath: cli });
      nodes.push(namesrv);
      const broker = impl === 'ours'
        ? await ourBroker('acl-ours', namesrv.addr, authBrokerConf(), { cliPath: cli })
        : await apache5Broker('acl-apache', namesrv.addr, { ...APACHE_CONF, ...authBrokerConf() });
      nodes.push(broker);
      trace(`${impl} broker up`);
      const home = makeTempDir(`rocketmq-ts-acl-mqadmin-${impl}`);
      dirs.push(home);
      const session = await MqadminSession.start('5.3.3', namesrv.addr, home, toolsHome(home));
      sessions.push(session);
      const t: Target = { impl, namesrv, broker, adm: session };
      for (const topic of [TOPIC, OTHER_TOPIC, DENIED_TOPIC]) await adm(t, 'updateTopic', ['-b', broker.addr, '-t', topic, '-r', '2', '-w', '2']);
      targets.set(impl, t);
      trace(`${impl} topics created`);
    })]);
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.allSettled([client?.stop(), ...sessions.map((s) => s.stop())]);
    await disposeAll(nodes);
    for (const d of dirs) removeDir(d);
    dropSnapshot?.();
  }, SETUP_TIMEOUT_MS);

  it('createUser, getUser, listUser (mqadmin 5.3.3 as the super user): the same users on both brokers', async () => {
    const r = await onEach(async (t) => {
      const created = await adm(t, 'createUser', ['-b', t.broker.addr, '-u', ALICE.username, '-p', ALICE.password]);
      const got = await adm(t, 'getUser', ['-b', t.broker.addr, '-u', ALICE.username]);
      const missing = await adm(t, 'getUser', ['-b', t.broker.addr, '-u', 'nobody']);
      const listed = await adm(t, 'listUser', ['-b', t.broker.addr]);
      return { created: shown(created, t.broker.addr), got: parseUsers(got.output), missing: shown(missing, t.broker.addr), listed: parseUsers(listed.output) };
    });
    expectEach('users', r, { created: 'create user to <broker> success.', got: [ALICE_ROW], missing: '', listed: [ALICE_ROW, SUPER_ROW] });
  }, STEP_TIMEOUT_MS);

  it('createAcl, getAcl, listAcl: the same policies on both brokers', async () => {
    const r = await onEach(async (t) => {
      const created: string[] = [];
      for (const [resource, actions, decision] of [[`Topic:${TOPIC}`, 'Pub,Sub', 'Allow'], [`Group:${GROUP}`, 'Sub', 'Allow'], [`Topic:${DENIED_TOPIC}`, 'Pub', 'Deny']]) {
        created.push(shown(await adm(t, 'createAcl', ['-b', t.broker.addr, '-s', 'User:alice', '-r', resource, '-a', actions, '-d', decision]), t.broker.addr));
      }
      const got = await adm(t, 'getAcl', ['-b', t.broker.addr, '-s', 'User:alice']);
      const listed = await adm(t, 'listAcl', ['-b', t.broker.addr]);
      return { created, got: parseAcls(got.output), listed: parseAcls(listed.output) };
    });
    expectEach('acls', r, { created: Array(3).fill('create acl to <broker> success.'), got: ALICE_ACLS, listed: ALICE_ACLS });
  }, STEP_TIMEOUT_MS);

  it('the allowed user sends (Pub on the topic) and consumes (Sub on topic and group); the super user needs no policy', async () => {
    const r = await onEach(async (t) => {
      const sent = await send(t, TOPIC, ALICE, 3);
      const consumed = await client!.consume(t.namesrv.addr, TOPIC, GROUP, ALICE, 3, 40_000);
      const pulled = await client!.pull(t.namesrv.addr, TOPIC, GROUP, ALICE);
      const superSent = await send(t, TOPIC, SUPER_USER, 1);
      return { sent, consumed, pulled, superSent };
    });
    for (const [impl, x] of Object.entries(r)) {
      expect(x.sent, `${impl} send`).toMatchObject({ ok: true, sent: 3 });
      expect(x.consumed, `${impl} consume`).toMatchObject({ ok: true, received: 3 });
      expect(new Set(x.consumed.msgIds), `${impl}: the consumed messages are the sent ones`).toEqual(new Set(x.sent.msgIds));
      expect(x.pulled, `${impl} pull`).toMatchObject({ ok: true, found: 3 });
      expect(x.superSent, `${impl} super user send`).toMatchObject({ ok: true, sent: 1 });
    }
  }, STEP_TIMEOUT_MS);

  it('a redelivery through %RETRY% needs only Sub on the group: CONSUMER_SEND_MSG_BACK and the retry-topic pull are allowed', async () => {
    const r = await onEach(async (t) => {
      const sent = await send(t, TOPIC, ALICE, 2);
      if (!sent.ok || !sent.msgIds) return { sent, retried: undefined };
      return { sent, retried: await client!.retry(t.namesrv.addr, TOPIC, GROUP, ALICE, sent.msgIds, 40_000) };
    });
    for (const [impl, x] of Object.entries(r)) {
      expect(x.sent, `${impl} send`).toMatchObject({ ok: true, sent: 2 });
      expect(x.retried, `${impl}: both messages delivered, sent back and redelivered`).toMatchObject({ ok: true, received: 2, found: 2 });
    }
  }, STEP_TIMEOUT_MS);

  it('refused with NO_PERMISSION and Apache\'s remark: wrong password, no hook, unknown user, topic without policy, Deny, group without policy', async () => {
    const r = await onEach(async (t) => ({
      wrongPassword: refusal(await send(t, TOPIC, { username: 'alice', password: 'not-her-password' })),
      noHook: refusal(await send(t, TOPIC, 'no-hook')),
      unknownUser: refusal(await send(t, TOPIC, { username: 'mallory', password: 'whatever1' })),
      topicWithoutPolicy: refusal(await send(t, OTHER_TOPIC, ALICE)),
      deniedTopic: refusal(await send(t, DENIED_TOPIC, ALICE)),
      groupWithoutPolicy: refusal(await client!.pull(t.namesrv.addr, TOPIC, OTHER_GROUP, ALICE)),
    }));
    const { wrongPassword, noHook, unknownUser, topicWithoutPolicy, deniedTopic, groupWithoutPolicy } = APACHE_REFUSALS;
    expectEach('refusals', r, { wrongPassword, noHook, unknownUser, topicWithoutPolicy, deniedTopic, groupWithoutPolicy });
  }, STEP_TIMEOUT_MS);

  it('a normal user may not manage users (AUTH_LIST_USER, AUTH_CREATE_USER); the super user may', async () => {
    const r = await onEach(async (t) => ({
      list: refusal(await client!.listUsers(t.namesrv.addr, t.broker.addr, ALICE)),
      create: refusal(await client!.createUser(t.namesrv.addr, t.broker.addr, ALICE, { username: 'eve', password: 'eve-pw-1' })),
      superList: (await client!.listUsers(t.namesrv.addr, t.broker.addr, SUPER_USER)).users,
    }));
    expectEach('user management', r, {
      list: APACHE_ADMIN_REFUSALS.list, create: APACHE_ADMIN_REFUSALS.create, superList: ['alice', 'rocketmq'],
    });
  }, STEP_TIMEOUT_MS);

  it('updateUser: the new password replaces the old one; a disabled user is refused until enabled again', async () => {
    const r = await onEach(async (t) => {
      const updated = shown(await adm(t, 'updateUser', ['-b', t.broker.addr, '-u', 'alice', '-p', ALICE_NEW.password]), t.broker.addr);
      const got = parseUsers((await adm(t, 'getUser', ['-b', t.broker.addr, '-u', 'alice'])).output);
      const oldPassword = refusal(await send(t, TOPIC, ALICE));
      const newPassword = (await send(t, TOPIC, ALICE_NEW)).ok;
      await adm(t, 'updateUser', ['-b', t.broker.addr, '-u', 'alice', '-s', 'disable']);
      const disabledRow = parseUsers((await adm(t, 'getUser', ['-b', t.broker.addr, '-u', 'alice'])).output);
      const disabledUser = refusal(await send(t, TOPIC, ALICE_NEW));
      await adm(t, 'updateUser', ['-b', t.broker.addr, '-u', 'alice', '-s', 'enable']);
      const enabledAgain = (await send(t, TOPIC, ALICE_NEW)).ok;
      return { updated, got, oldPassword, newPassword, disabledRow, disabledUser, enabledAgain };
    });
    const newRow = { ...ALICE_ROW, password: ALICE_NEW.password };
    expectEach('updateUser', r, {
      updated: 'update user to <broker> success.', got: [newRow], oldPassword: APACHE_REFUSALS.oldPassword, newPassword: true,
      disabledRow: [{ ...newRow, userStatus: 'disable' }], disabledUser: APACHE_REFUSALS.disabledUser, enabledAgain: true,
    });
  }, STEP_TIMEOUT_MS);

  it('updateAcl adds a policy that takes effect; deleteAcl removes one and the topic is refused again', async () => {
    const r = await onEach(async (t) => {
      const updated = shown(await adm(t, 'updateAcl', ['-b', t.broker.addr, '-s', 'User:alice', '-r', `Topic:${OTHER_TOPIC}`, '-a', 'Pub', '-d', 'Allow']), t.broker.addr);
      const got = parseAcls((await adm(t, 'getAcl', ['-b', t.broker.addr, '-s', 'User:alice'])).output);
      const nowAllowed = (await send(t, OTHER_TOPIC, ALICE_NEW)).ok;
      const deleted = shown(await adm(t, 'deleteAcl', ['-b', t.broker.addr, '-s', 'User:alice', '-r', `Topic:${TOPIC}`]), t.broker.addr);
      const listed = parseAcls((await adm(t, 'listAcl', ['-b', t.broker.addr, '-s', 'User:alice'])).output);
      const deletedPolicy = refusal(await send(t, TOPIC, ALICE_NEW));
      return { updated, got, nowAllowed, deleted, listed, deletedPolicy };
    });
    const other = aclRow(`Topic:${OTHER_TOPIC}`, '[Pub]', 'Allow');
    expectEach('updateAcl/deleteAcl', r, {
      updated: 'update acl to <broker> success.', got: [...ALICE_ACLS, other], nowAllowed: true,
      deleted: 'delete acl to <broker> success.', listed: [...ALICE_ACLS.slice(1), other], deletedPolicy: APACHE_REFUSALS.deletedPolicy,
    });
  }, STEP_TIMEOUT_MS);

  it('policy matching as Apache 5.3.3 does it: literal and prefixed resources, entry order, sourceIp', async () => {
    const r = await onEach(async (t) => {
      for (const topic of MATCH_TOPICS) {
        const created = await client!.createTopic(t.namesrv.addr, t.broker.addr, SUPER_USER, topic, 1);
        if (!created.ok) throw new Error(`${LABEL[t.impl]}: creating ${topic}: ${JSON.stringify(created)}`);
      }
      await adm(t, 'createUser', ['-b', t.broker.addr, '-u', BOB.username, '-p', BOB.password]);
      for (const [resources, decision, ip] of BOB_POLICY) {
        await adm(t, 'createAcl', ['-b', t.broker.addr, '-s', 'User:bob', '-r', resources.join(','), '-a', 'Pub', '-d', decision, ...(ip ? ['-i', ip] : [])]);
      }
      const acl = parseAcls((await adm(t, 'getAcl', ['-b', t.broker.addr, '-s', 'User:bob'])).output);
      const sends: Record<string, Refusal | 'sent'> = {};
      for (const topic of MATCH_TOPICS) {
        const x = await send(t, topic, BOB);
        sends[topic] = x.ok ? 'sent' : refusal(x);
      }
      return { acl, sends };
    });
    expectEach('policy matching', r, APACHE_POLICY_MATCHING);
  }, STEP_TIMEOUT_MS);

  it('mqadmin errors: an existing user, a policy for an unknown user, deleting an unknown user', async () => {
    const r = await onEach(async (t) => ({
      duplicateUser: brokerError(await adm(t, 'createUser', ['-b', t.broker.addr, '-u', BOB.username, '-p', 'other-pw-1'], true)),
      aclForUnknownUser: brokerError(await adm(t, 'createAcl', ['-b', t.broker.addr, '-s', 'User:ghost', '-r', `Topic:${TOPIC}`, '-a', 'Pub', '-d', 'Allow'], true)),
      deleteUnknownUser: shown(await adm(t, 'deleteUser', ['-b', t.broker.addr, '-u', 'ghost']), t.broker.addr),
    }));
    expectEach('mqadmin errors', r, APACHE_ADMIN_ERRORS);
  }, STEP_TIMEOUT_MS);

  it('deleteUser removes the user and its policies; the user is refused as unknown', async () => {
    const r = await onEach(async (t) => {
      const deleted = shown(await adm(t, 'deleteUser', ['-b', t.broker.addr, '-u', 'alice']), t.broker.addr);
      const users = parseUsers((await adm(t, 'listUser', ['-b', t.broker.addr])).output);
      const acls = parseAcls((await adm(t, 'listAcl', ['-b', t.broker.addr])).output).filter((row) => row.subject !== 'User:bob');
      const getAcl = brokerError(await adm(t, 'getAcl', ['-b', t.broker.addr, '-s', 'User:alice'], true));
      const deletedUser = refusal(await send(t, TOPIC, ALICE_NEW));
      return { deleted, users, acls, getAcl, deletedUser };
    });
    expectEach('deleteUser', r, {
      deleted: 'delete user to <broker> success.', users: [BOB_ROW, SUPER_ROW], acls: [],
      getAcl: { code: 16, remark: 'The subject is not exist.' }, deletedUser: APACHE_REFUSALS.deletedUser,
    });
  }, STEP_TIMEOUT_MS);
});

/** Both whitelists name request codes: 310 SEND_MESSAGE_V2 skips both checks, 11 PULL_MESSAGE only authentication. */
const WHITELIST_CONF = { authenticationWhitelist: '310,11', authorizationWhitelist: '310' };
const WL_TOPIC = 'AclWl';
/** Apache 5.3.3 with WHITELIST_CONF (captured with APACHE_REFUSALS). */
const APACHE_WHITELIST = {
  unsignedSend: 'sent',
  wrongPasswordSend: 'sent',
  unsignedPull: { code: 16, remark: 'Authorization failed. Please verify your access rights and try again.' } as Refusal | 'pulled',
  wrongPasswordPull: 'pulled' as Refusal | 'pulled',
  unsignedTopicConfig: APACHE_REFUSALS.noHook as Refusal | 'listed',
};

describe.runIf(REFERENCE_ONLY_APACHE.length > 0)('ACL 2.0: authenticationWhitelist and authorizationWhitelist list request codes', () => {
  const nodes: Node[] = [];
  const dirs: string[] = [];
  const brokers = new Map<Impl, { namesrv: Node; broker: Node }>();
  let client: AclClientSession | undefined;
  let cli: string | undefined;
  let dropSnapshot: (() => void) | undefined;

  afterAll(async () => {
    await client?.stop();
    await disposeAll(nodes);
    for (const d of dirs) removeDir(d);
    dropSnapshot?.();
  }, SETUP_TIMEOUT_MS);

  it('whitelisted codes pass unsigned or with a wrong password; the others are still refused', async () => {
    if (REFERENCE_ONLY_APACHE.includes('ours')) {
      const snapshot = snapshotDist();
      dropSnapshot = onExitCleanup(() => removeDir(snapshot));
      cli = path.join(snapshot, 'cli.js');
    }
    const work = makeTempDir('rocketmq-ts-acl-wl');
    dirs.push(work);
    const clientStarting = AclClientSession.start(work).then((c) => (client = c));
    const started = await Promise.allSettled([clientStarting, ...REFERENCE_ONLY_APACHE.map(async (impl) => {
      const namesrv = await ourNamesrv({}, { cliPath: cli });
      nodes.push(namesrv);
      const broker = impl === 'ours'
        ? await ourBroker('acl-wl-ours', namesrv.addr, { ...authBrokerConf(), ...WHITELIST_CONF }, { cliPath: cli })
        : await apache5Broker('acl-wl-apache', namesrv.addr, { ...APACHE_CONF, ...authBrokerConf(), ...WHITELIST_CONF });
      nodes.push(broker);
      brokers.set(impl, { namesrv, broker });
    })]);
    const failed = started.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (failed) throw failed.reason;
    const c = client!;
    const wrongPassword: Credentials = { ...SUPER_USER, password: 'wrong-pw-1' };
    const entries = await Promise.all([...brokers.entries()].map(async ([impl, { namesrv, broker }]) => {
      const created = await c.createTopic(namesrv.addr, broker.addr, SUPER_USER, WL_TOPIC, 2);
      if (!created.ok) throw new Error(`${impl}: creating ${WL_TOPIC}: ${JSON.stringify(created)}`);
      const sent = (x: ClientResult) => (x.ok ? 'sent' : refusal(x));
      const pulled = (x: ClientResult) => (x.ok && x.found === 2 ? 'pulled' : x.ok ? `pulled ${x.found}` : refusal(x));
      return [impl, {
        unsignedSend: sent(await c.send(namesrv.addr, WL_TOPIC, 'no-hook', 1)),
        wrongPasswordSend: sent(await c.send(namesrv.addr, WL_TOPIC, wrongPassword, 1)),
        unsignedPull: pulled(await c.pull(namesrv.addr, WL_TOPIC, 'AclWlG', 'no-hook')),
        wrongPasswordPull: pulled(await c.pull(namesrv.addr, WL_TOPIC, 'AclWlG', wrongPassword)),
        unsignedTopicConfig: ((x: ClientResult) => (x.ok ? 'listed' : refusal(x)))(await c.topics(namesrv.addr, broker.addr, 'no-hook')),
      }] as const;
    }));
    const got = Object.fromEntries(entries);
    expect(got, 'whitelists').toEqual(Object.fromEntries(Object.keys(got).map((k) => [k, APACHE_WHITELIST])));
  }, SETUP_TIMEOUT_MS);
});

const REPL_TOPIC = 'AclRepl';
const REPL_QUEUES = 2;
const REPL_COUNT = 4;
/** Ours syncs the slave's topics within seconds; the Apache 5.3.3 slave's first topic sync waits a full 60 s period. */
const REPL_READ_TIMEOUT_MS: Record<Impl, number> = { ours: 45_000, apache: 100_000 };

describe.each(REFERENCE_ONLY_APACHE)('ACL 2.0: a secured replication group, %s master + slave', (impl) => {
  const nodes: Node[] = [];
  const dirs: string[] = [];
  let adm: MqadminSession | undefined;
  let client: AclClientSession | undefined;
  let cli: string | undefined;
  let dropSnapshot: (() => void) | undefined;
  let group: { namesrv: Node; master: Node; slave: Node; unsignedSlave: Node } | undefined;

  afterAll(async () => {
    await Promise.allSettled([client?.stop(), adm?.stop()]);
    await disposeAll(nodes);
    for (const d of dirs) removeDir(d);
    dropSnapshot?.();
  }, SETUP_TIMEOUT_MS);

  it('a message sent to the master with the super user\'s credentials is read back from the slave; unsigned reads of the slave are refused', async () => {
    if (impl === 'ours') {
      const snapshot = snapshotDist();
      dropSnapshot = onExitCleanup(() => removeDir(snapshot));
      cli = path.join(snapshot, 'cli.js');
    }
    const brokerNode = (name: string, namesrvAddr: string, conf: Record<string, string | number | boolean>) => impl === 'ours'
      ? ourBroker(name, namesrvAddr, { ...authBrokerConf(), registerNameServerPeriod: 10_000, ...conf }, { cliPath: cli })
      : apache5Broker(name, namesrvAddr, { ...APACHE_CONF, ...authBrokerConf(), registerNameServerPeriod: 10_000, ...conf });
    const work = makeTempDir(`rocketmq-ts-acl-repl-${impl}`);
    dirs.push(work);
    const clientStarting = AclClientSession.start(work).then((c) => (client = c));
    const namesrv = await ourNamesrv({}, { cliPath: cli });
    nodes.push(namesrv);
    const master = await brokerNode('acl-repl', namesrv.addr, { brokerRole: 'ASYNC_MASTER' });
    nodes.push(master);
    adm = await MqadminSession.start('5.3.3', namesrv.addr, work, toolsHome(work));
    const created = await adm.run('updateTopic', ['-b', master.addr, '-t', REPL_TOPIC, '-r', String(REPL_QUEUES), '-w', String(REPL_QUEUES)]);
    if (created.failed) throw new Error(`updateTopic on the master failed:\n${created.output}\n${nodeTail(master)}`);
    // A second slave (brokerId 2) without innerClientAuthenticationCredentials: its unsigned topic sync must be refused.
    const { innerClientAuthenticationCredentials: _signing, ...unsignedConf } = authBrokerConf();
    const [slave, unsignedSlave] = await Promise.all([
      brokerNode('acl-repl', namesrv.addr, SLAVE_CONF),
      impl === 'ours'
        ? ourBroker('acl-repl', namesrv.addr, { ...unsignedConf, ...SLAVE_CONF, brokerId: 2 }, { cliPath: cli })
        : apache5Broker('acl-repl', namesrv.addr, { ...APACHE_CONF, ...unsignedConf, ...SLAVE_CONF, brokerId: 2 }),
    ]);
    nodes.push(slave, unsignedSlave);
    group = { namesrv, master, slave, unsignedSlave };
    await clientStarting;
    if (!client) throw new Error('no client');

    const sent = await client.send(namesrv.addr, REPL_TOPIC, SUPER_USER, REPL_COUNT);
    expect(sent, 'send to the master').toMatchObject({ ok: true, sent: REPL_COUNT });
    const read = await client.read(namesrv.addr, slave.addr, REPL_TOPIC, REPL_QUEUES, 'AclReplReader', SUPER_USER, REPL_COUNT, REPL_READ_TIMEOUT_MS[impl]);
    if (!read.ok) throw new Error(`not read back from the slave: ${JSON.stringify(read)}\n${nodeTail(slave)}\n${nodeTail(master)}`);
    expect(new Set(read.msgIds), 'the slave holds the sent messages').toEqual(new Set(sent.msgIds));
    const slaveTopics = await client.topics(namesrv.addr, slave.addr, SUPER_USER);
    expect(slaveTopics.topics, 'the slave\'s topic table (synced from the master)').toContain(REPL_TOPIC);
    const unsignedSlaveTopics = await client.topics(namesrv.addr, unsignedSlave.addr, SUPER_USER);
    expect(unsignedSlaveTopics.topics, 'the topic table of the slave without credentials (its sync is refused)').not.toContain(REPL_TOPIC);

    const unsigned = await client.read(namesrv.addr, slave.addr, REPL_TOPIC, REPL_QUEUES, 'AclReplReader', 'no-hook', 1, 0);
    expect(unsigned.lastError ? refusal(unsigned.lastError) : unsigned, 'an unsigned pull from the slave').toEqual(APACHE_REFUSALS.noHook);
    const wrong = await client.read(namesrv.addr, slave.addr, REPL_TOPIC, REPL_QUEUES, 'AclReplReader', { ...SUPER_USER, password: 'wrong-pw-1' }, 1, 0);
    expect(wrong.lastError ? refusal(wrong.lastError) : wrong, 'a pull from the slave with a wrong password').toEqual(APACHE_REFUSALS.wrongPassword);
  }, SETUP_TIMEOUT_MS);

  it('mqadmin -c DefaultCluster creates a user and its policy on the master and every slave; that user reads from the slave', async () => {
    if (!group || !adm || !client) throw new Error('the group did not start (this test runs after the one above)');
    const { namesrv, master, slave, unsignedSlave } = group;
    const carol: Credentials = { username: 'carol', password: 'carol-pw-1' };
    const all = [master.addr, slave.addr, unsignedSlave.addr].sort();
    const addrsIn = (r: CommandResult, verb: string) => {
      if (r.failed) throw new Error(`mqadmin failed:\n${r.output}`);
      return [...r.output.matchAll(new RegExp(`^${verb} to (\\S+) success\\.$`, 'gm'))].map((m) => m[1]).sort();
    };
    expect(addrsIn(await adm.run('createUser', ['-c', 'DefaultCluster', '-u', carol.username, '-p', carol.password]), 'create user'), 'createUser -c').toEqual(all);
    expect(addrsIn(await adm.run('createAcl', ['-c', 'DefaultCluster', '-s', 'User:carol', '-r', `Topic:${REPL_TOPIC},Group:AclReplReader`, '-a', 'Sub', '-d', 'Allow']), 'create acl'),
      'createAcl -c').toEqual(all);
    const onSlave = await adm.run('getUser', ['-b', slave.addr, '-u', 'carol']);
    expect(parseUsers(onSlave.output), 'getUser on the slave').toEqual([{ username: 'carol', password: carol.password, userType: 'Normal', userStatus: 'enable' }]);
    const read = await client.read(namesrv.addr, slave.addr, REPL_TOPIC, REPL_QUEUES, 'AclReplReader', carol, REPL_COUNT, 10_000);
    expect(read, 'carol reads from the slave').toMatchObject({ ok: true, found: REPL_COUNT });
    const otherGroup = await client.read(namesrv.addr, slave.addr, REPL_TOPIC, REPL_QUEUES, 'AclReplOther', carol, 1, 0);
    expect(otherGroup.lastError ? refusal(otherGroup.lastError) : otherGroup, 'carol with a group she has no policy for, on the slave').toEqual({
      code: 16, remark: 'User:carol has no permission to access Group:AclReplOther from 127.0.0.1, no matched policies.',
    });
  }, STEP_TIMEOUT_MS);
});
