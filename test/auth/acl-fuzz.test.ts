/**
 * Nothing leaks: 10,000 requests per ACL version, across every request code the broker serves plus
 * unknown ones, each with missing, unknown, wrong or tampered credentials, against an in-process broker
 * with ACL on. Every one must be answered with that version's refusal (ACL 1.0: SYSTEM_ERROR with an
 * AclException remark; ACL 2.0: NO_PERMISSION), and afterwards no topic, group, offset, message, account
 * or user exists that was not there before. A correctly signed request before and after shows the
 * harness would notice an accepted request.
 *
 * Signatures here are computed with node:crypto over the documented content (values of the sorted
 * extFields, then the body), not with src/auth/signature.ts, so a wrong signing rule there cannot hide.
 * ACL_FUZZ_REQUESTS and ACL_FUZZ_SEED change the count and the random sequence.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcess, type InProcessServer } from '../server/in-process.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { SerializeType, createRequest, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { BROKER_REQUESTS } from '../../src/processors/broker/table.js';
import type { BrokerConfig } from '../../src/config/broker-config.js';

const COUNT = Number(process.env.ACL_FUZZ_REQUESTS ?? 10_000);
const SEED = Number(process.env.ACL_FUZZ_SEED ?? 20261129);
const CONCURRENCY = 64;

const ADMIN = { ak: 'fuzzAdmin01', sk: 'fuzzAdminSecret01' };
const USER = { ak: 'fuzzUser001', sk: 'fuzzUserSecret01' };

/** Java String order = UTF-16 code units = JS default sort for these keys. */
function sign(fields: Record<string, string>, body: Buffer | undefined, secret: string): string {
  const text = Object.keys(fields).filter((k) => k !== 'Signature').sort().map((k) => fields[k]).join('');
  const content = body ? Buffer.concat([Buffer.from(text, 'utf8'), body]) : Buffer.from(text, 'utf8');
  return crypto.createHmac('sha1', Buffer.from(secret, 'utf8')).update(content).digest('base64');
}

/** mulberry32: a small seeded generator, so a failing sequence can be replayed with ACL_FUZZ_SEED. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIELD_NAMES = [
  'topic', 'consumerGroup', 'group', 'producerGroup', 'a', 'b', 'c', 'd', 'e', 'queueId', 'queueOffset', 'maxMsgNums',
  'sysFlag', 'commitOffset', 'key', 'maxNum', 'beginTimestamp', 'endTimestamp', 'groupName', 'accessKey', 'secretKey',
  'admin', 'defaultTopicPerm', 'topicPerms', 'globalWhiteAddrs', 'username', 'password', 'subject', 'offset', 'delayLevel',
  'statsName', 'statsKey', 'clientId', 'bname', '_UNIQUE_KEY_QUERY',
];
const TOPICS = ['FuzzTopic', '%RETRY%FuzzGroup', 'RMQ_SYS_TRACE_TOPIC', 'TBW102', 'SCHEDULE_TOPIC_XXXX', '%DLQ%FuzzGroup'];

type Mode = 'none' | 'keyOnly' | 'unknownKey' | 'wrongSecret' | 'tampered' | 'garbage' | 'emptyKey' | 'bodyTampered';
const MODES: Mode[] = ['none', 'keyOnly', 'unknownKey', 'wrongSecret', 'tampered', 'garbage', 'emptyKey', 'bodyTampered'];

function randomRequest(r: () => number, codes: number[]): { req: RemotingCommand; mode: Mode } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const code = r() < 0.9 ? pick(codes) : Math.floor(r() * 32768);
  const fields: Record<string, string> = {};
  const n = Math.floor(r() * 8);
  for (let i = 0; i < n; i++) {
    const name = pick(FIELD_NAMES);
    fields[name] = r() < 0.5 ? pick(TOPICS) : String(Math.floor(r() * 100));
  }
  if (r() < 0.5) fields.topic = pick(TOPICS);
  if (r() < 0.3) fields.b = pick(TOPICS);
  let body: Buffer | undefined;
  const b = r();
  if (b < 0.2) body = crypto.randomBytes(Math.floor(r() * 64));
  else if (b < 0.3) {
    body = Buffer.from(JSON.stringify({
      clientID: 'fuzz@1', consumerDataSet: [{ groupName: 'FuzzGroup', consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING', consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET', subscriptionDataSet: [{ topic: 'FuzzTopic', subString: '*', tagsSet: [], codeSet: [], subVersion: 1 }], unitMode: false }],
      producerDataSet: [{ groupName: 'FuzzPG' }],
    }));
  } else if (b < 0.35) body = Buffer.from('{"accessKey":"fuzzNewKey1","secretKey":"fuzzNewSecret1","admin":true,"username":"fuzzNew","password":"12345678","userType":"Super"}');
  const mode = pick(MODES);
  const account = r() < 0.5 ? ADMIN : USER;
  switch (mode) {
    case 'none':
      break;
    case 'keyOnly':
      fields.AccessKey = account.ak;
      break;
    case 'emptyKey':
      fields.AccessKey = '';
      fields.Signature = sign(fields, body, account.sk);
      break;
    case 'unknownKey':
      fields.AccessKey = 'fuzzNobody' + Math.floor(r() * 1000);
      fields.Signature = sign(fields, body, account.sk);
      break;
    case 'wrongSecret':
      fields.AccessKey = account.ak;
      fields.Signature = sign(fields, body, account.sk + 'x');
      break;
    case 'tampered':
      // Signed correctly, then a field is added: what a man in the middle would do.
      fields.AccessKey = account.ak;
      fields.Signature = sign(fields, body, account.sk);
      fields[r() < 0.5 ? 'topic' : 'admin'] = 'tampered' + Math.floor(r() * 10);
      break;
    case 'bodyTampered':
      fields.AccessKey = account.ak;
      fields.Signature = sign(fields, body, account.sk);
      body = Buffer.concat([body ?? Buffer.alloc(0), Buffer.from('x')]);
      break;
    case 'garbage':
      fields.AccessKey = account.ak;
      fields.Signature = crypto.randomBytes(20).toString(r() < 0.5 ? 'base64' : 'hex');
      break;
  }
  // The ROCKETMQ header holds the code in 16 bits: larger codes (the 5.x POP family) travel as JSON.
  const binary = r() < 0.5 && code <= 0x7fff;
  const req = createRequest(code, fields, body, binary ? SerializeType.ROCKETMQ : SerializeType.JSON);
  // Old and new client versions (the _UNIQUE_KEY_QUERY rule depends on it).
  req.version = pick([0, 399, 401, 453]);
  return { req, mode };
}

interface Snapshot {
  topics: string[];
  groups: string[];
  offsets: string[];
  maxPhyOffset: number;
}

function snapshot(srv: InProcessServer): Snapshot {
  const ctx = srv.broker.ctx;
  return {
    topics: [...ctx.topics.table.keys()].sort(),
    groups: [...ctx.groups.table.keys()].sort(),
    offsets: [...ctx.offsets.offsetTable.keys()].sort(),
    maxPhyOffset: ctx.store.getMaxPhyOffset(),
  };
}

async function fuzz(srv: InProcessServer, isRefusal: (r: RemotingCommand) => boolean): Promise<{ accepted: string[]; byMode: Record<string, number> }> {
  const client = new RemotingClient(() => {});
  const r = rng(SEED);
  const codes = [...new Set(BROKER_REQUESTS.map((e) => e.code))];
  const accepted: string[] = [];
  const byMode: Record<string, number> = {};
  let next = 0;
  try {
    const worker = async (): Promise<void> => {
      while (next < COUNT) {
        next++;
        const { req, mode } = randomRequest(r, codes);
        byMode[mode] = (byMode[mode] ?? 0) + 1;
        const res = await client.invoke(srv.brokerAddr, req, 10_000);
        if (!isRefusal(res)) accepted.push(`code ${req.code} mode ${mode} fields ${JSON.stringify(req.extFields)} -> ${res.code} ${res.remark ?? ''}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } finally {
    client.close();
  }
  return { accepted, byMode };
}

/** A correctly signed GET_BROKER_CONFIG by the admin: must succeed, or the fuzz proves nothing. */
async function signedControl(srv: InProcessServer): Promise<number> {
  const client = new RemotingClient(() => {});
  try {
    const fields: Record<string, string> = { AccessKey: ADMIN.ak };
    fields.Signature = sign(fields, undefined, ADMIN.sk);
    return (await client.invoke(srv.brokerAddr, createRequest(RequestCode.GET_BROKER_CONFIG, fields), 5_000)).code;
  } finally {
    client.close();
  }
}

function tempHome(): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'rmqts-acl-fuzz-'));
  fs.mkdirSync(path.join(home, 'conf'), { recursive: true });
  fs.writeFileSync(path.join(home, 'conf', 'plain_acl.yml'), [
    'globalWhiteRemoteAddresses:',
    '  - 10.10.103.*',
    'accounts:',
    `  - accessKey: ${ADMIN.ak}`,
    `    secretKey: ${ADMIN.sk}`,
    '    admin: true',
    `  - accessKey: ${USER.ak}`,
    `    secretKey: ${USER.sk}`,
    '    admin: false',
    '    defaultTopicPerm: PUB|SUB',
    '    defaultGroupPerm: PUB|SUB',
    '',
  ].join('\n'));
  return home;
}

describe.each([
  {
    name: 'ACL 1.0 (aclEnable)',
    conf: (home: string): Partial<BrokerConfig> => ({ aclEnable: true, rocketmqHome: home }),
    isRefusal: (r: RemotingCommand) => r.code === ResponseCode.SYSTEM_ERROR && (r.remark ?? '').startsWith('org.apache.rocketmq.acl.common.AclException: '),
  },
  {
    name: 'ACL 2.0 (authenticationEnabled, authorizationEnabled)',
    conf: (): Partial<BrokerConfig> => ({
      authenticationEnabled: true,
      authorizationEnabled: true,
      // USER is a normal user with no policy; ADMIN is the super user.
      initAuthenticationUser: JSON.stringify({ username: ADMIN.ak, password: ADMIN.sk }),
    }),
    isRefusal: (r: RemotingCommand) => r.code === ResponseCode.NO_PERMISSION,
  },
])('nothing leaks: $name', ({ conf, isRefusal }) => {
  let srv: InProcessServer;
  let home: string;
  let aclFileBefore: string;

  beforeAll(async () => {
    home = tempHome();
    aclFileBefore = fs.readFileSync(path.join(home, 'conf', 'plain_acl.yml'), 'utf8');
    srv = await startInProcess({ autoCreateTopicEnable: true, autoCreateSubscriptionGroup: true, ...conf(home) });
  });
  afterAll(async () => {
    await srv?.stop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it(`answers ${COUNT} unsigned or wrongly signed requests with a refusal and changes nothing`, async () => {
    expect(await signedControl(srv)).toBe(ResponseCode.SUCCESS);
    const before = snapshot(srv);
    const usersFile = path.join(srv.broker.ctx.config.storePathRootDir, 'config');
    const configFilesBefore = fs.existsSync(usersFile) ? fs.readdirSync(usersFile).map((f) => [f, fs.readFileSync(path.join(usersFile, f), 'utf8')]) : [];
    const t0 = Date.now();
    const { accepted, byMode } = await fuzz(srv, isRefusal);
    const ms = Date.now() - t0;
    console.log(`acl fuzz: ${COUNT} requests in ${ms} ms, modes ${JSON.stringify(byMode)}, accepted ${accepted.length}`);
    expect(accepted.slice(0, 10)).toEqual([]);
    expect(snapshot(srv)).toEqual(before);
    expect(fs.readFileSync(path.join(home, 'conf', 'plain_acl.yml'), 'utf8')).toBe(aclFileBefore);
    const configFilesAfter = fs.existsSync(usersFile) ? fs.readdirSync(usersFile).map((f) => [f, fs.readFileSync(path.join(usersFile, f), 'utf8')]) : [];
    // Only the users/acls files may be compared: topics/groups/offsets are checked above through the managers.
    const authFiles = (xs: string[][]) => xs.filter(([f]) => /^(users|acls)/.test(f));
    expect(authFiles(configFilesAfter)).toEqual(authFiles(configFilesBefore));
    expect(await signedControl(srv)).toBe(ResponseCode.SUCCESS);
  }, 180_000);
});
