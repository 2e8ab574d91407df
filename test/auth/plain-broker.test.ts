/**
 * ACL 1.0 over TCP against an in-process broker (aclEnable=true, a temp ROCKETMQ_HOME): refusals answered
 * SYSTEM_ERROR with the 4.9.7 remarks on the main and the VIP port, signed requests served, and the admin
 * codes 50–54 round-tripped with what they write to plain_acl.yml. Then a broker with ACL off answers
 * 50/51/53 with Java's NullPointerException text and never answers 52/54.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcess, type InProcessServer } from '../server/in-process.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, type RemotingCommand } from '../../src/remoting/command.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { ADMIN, REMARK, USER, makeHome, signed } from './plain-support.js';

const TIMEOUT_MS = 5_000;
let srv: InProcessServer;
let home: string;
const client = new RemotingClient(() => {});
const invoke = (req: RemotingCommand, timeoutMs = TIMEOUT_MS) => client.invoke(srv.brokerAddr, req, timeoutMs);
const vip = () => srv.brokerAddr.replace(/:(\d+)$/, (_m, p) => `:${Number(p) - 2}`);
const ymlOf = () => YAML.parse(fs.readFileSync(path.join(home, 'conf', 'plain_acl.yml'), 'utf8'), { version: '1.1' });

const sendV2 = (topic: string, who = USER) => signed(310, {
  a: 'pg', b: topic, c: 'TBW102', d: '4', e: '0', f: '0', g: String(Date.now()), h: '0', i: '', j: '0', k: 'false', m: 'false',
}, who, Buffer.from('hello'));

beforeAll(async () => {
  home = makeHome();
  srv = await startInProcess({ aclEnable: true, rocketmqHome: home });
});
afterAll(async () => {
  client.close();
  await srv?.stop();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('ACL 1.0 on the wire', () => {
  it('refusals are SYSTEM_ERROR with the Apache 4.9.7 remark, on the main and the VIP port', async () => {
    for (const addr of [srv.brokerAddr, vip()]) {
      const r = await client.invoke(addr, createRequest(26, {}), TIMEOUT_MS);
      expect([r.code, r.remark]).toEqual([ResponseCode.SYSTEM_ERROR, REMARK.noAccessKey]);
    }
    expect((await invoke(signed(26, {}, { ak: 'unknownKey', sk: 'whatever1' }))).remark).toBe(REMARK.unknown('unknownKey'));
    expect((await invoke(signed(26, {}, { ak: USER.ak, sk: 'wrongSecret' }))).remark).toBe(REMARK.signature(USER.ak));
    expect((await invoke(signed(17, { topic: 'topicB' }, USER))).remark).toBe(REMARK.admin(17, USER.ak));
    expect((await invoke(sendV2('topicA'))).remark).toBe(REMARK.listedPerm('topic:topicA'));
    expect((await invoke(sendV2('topicQ'))).remark).toBe(REMARK.defaultPerm('topic:topicQ'));
  });

  it('signed requests with the needed permission are served', async () => {
    const create = await invoke(signed(17, {
      topic: 'topicB', defaultTopic: 'TBW102', readQueueNums: '4', writeQueueNums: '4', perm: '6', topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false',
    }, ADMIN));
    expect(create.code).toBe(ResponseCode.SUCCESS);
    const sent = await invoke(sendV2('topicB'));
    expect([sent.code, sent.remark]).toEqual([ResponseCode.SUCCESS, undefined]);
  });

  it('a one-way refused request gets no answer', async () => {
    const r = createRequest(26, {});
    r.flag |= 0x2;
    await expect(invoke(r, 500)).rejects.toThrow();
  });
});

describe('ACL admin codes 50–54', () => {
  it('52 reports the version of every file and the broker', async () => {
    const r = await invoke(signed(52, {}, USER));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    const h = r.extFields!;
    expect(h.brokerAddr).toBe(srv.brokerAddr);
    expect(h.brokerName).toBe(srv.broker.ctx.config.brokerName);
    expect(h.clusterName).toBe(srv.broker.ctx.config.brokerClusterName);
    expect(JSON.parse(h.version!)).toMatchObject({ counter: 0 });
    const file = path.join(home, 'conf', 'plain_acl.yml');
    expect(Object.keys(JSON.parse(h.allAclFileVersion!))).toEqual([file]);
  });

  it('50 creates an account in plain_acl.yml (admin only), bumping its dataVersion; the account works at once', async () => {
    const header = {
      accessKey: 'newUser01', secretKey: 'newSecret01', admin: 'false', defaultTopicPerm: 'PUB', defaultGroupPerm: 'SUB',
      topicPerms: 'topicB=PUB|SUB,topicD=DENY', groupPerms: 'groupD=DENY', whiteRemoteAddress: '10.9.9.9',
    };
    expect((await invoke(signed(50, header, USER))).remark).toBe(REMARK.admin(50, USER.ak));
    const r = await invoke(signed(50, header, ADMIN));
    expect([r.code, r.remark]).toEqual([ResponseCode.SUCCESS, undefined]);
    const yml = ymlOf();
    const entry = yml.accounts.find((a: { accessKey: string }) => a.accessKey === 'newUser01');
    expect(entry).toEqual({
      accessKey: 'newUser01', secretKey: 'newSecret01', whiteRemoteAddress: '10.9.9.9', admin: false, defaultTopicPerm: 'PUB',
      defaultGroupPerm: 'SUB', topicPerms: ['topicB=PUB|SUB', 'topicD=DENY'], groupPerms: ['groupD=DENY'],
    });
    expect(yml.dataVersion[0].counter).toBe(1);
    const me = { ak: 'newUser01', sk: 'newSecret01' };
    expect((await invoke(sendV2('topicB', me))).code).toBe(ResponseCode.SUCCESS);
    expect((await invoke(sendV2('topicD', me))).remark).toBe(REMARK.listedPerm('topic:topicD'));
    const info = await invoke(signed(52, {}, USER));
    expect(JSON.parse(info.extFields!.allAclFileVersion!)[path.join(home, 'conf', 'plain_acl.yml')].counter).toBe(1);
  });

  it('50 updates an existing account in its file; absent fields keep their values', async () => {
    const r = await invoke(signed(50, { accessKey: 'newUser01', secretKey: 'newSecret02', topicPerms: 'topicD=PUB' }, ADMIN));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    const entry = ymlOf().accounts.at(-1);
    expect(entry).toMatchObject({ accessKey: 'newUser01', secretKey: 'newSecret02', defaultTopicPerm: 'PUB', topicPerms: ['topicD=PUB'], groupPerms: ['groupD=DENY'] });
    expect(ymlOf().dataVersion[0].counter).toBe(2);
    expect((await invoke(sendV2('topicD', { ak: 'newUser01', sk: 'newSecret02' }))).code).toBe(ResponseCode.SUCCESS);
    expect((await invoke(sendV2('topicD', { ak: 'newUser01', sk: 'newSecret01' }))).remark).toBe(REMARK.signature('newUser01'));
  });

  it('50 failures answer 209 with Java\'s text', async () => {
    const short = await invoke(signed(50, { accessKey: 'abc', secretKey: '12345678' }, ADMIN));
    expect([short.code, short.remark]).toEqual([209, 'The accessKey=abc and secretKey=12345678 cannot be null and length should longer than 6']);
    const noKey = await invoke(signed(50, { secretKey: '12345678' }, ADMIN));
    expect([noKey.code, noKey.remark]).toEqual([209, 'The accessKey=null and secretKey=12345678 cannot be null and length should longer than 6']);
    const perm = await invoke(signed(50, { accessKey: 'someone1', secretKey: '12345678', topicPerms: 'x=ALL' }, ADMIN));
    expect([perm.code, perm.remark]).toEqual([209, "Parse resource permission error for x=ALL.\nThe expected permissions are 'SUB' or 'PUB' or 'SUB|PUB' or 'PUB|SUB'."]);
    const addr = await invoke(signed(50, { accessKey: 'someone1', secretKey: '12345678', whiteRemoteAddress: 'abc' }, ADMIN));
    expect([addr.code, addr.remark]).toEqual([209, 'Netaddress examine Exception netaddress is abc']);
    expect(ymlOf().accounts.some((a: { accessKey: string }) => a.accessKey === 'someone1')).toBe(false);
  });

  it('54 lists the white addresses and every account as fastjson writes them (admin only here: secrets)', async () => {
    expect((await invoke(signed(54, {}, USER))).remark).toBe(REMARK.admin(54, USER.ak));
    const r = await invoke(signed(54, {}, ADMIN));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect(r.extFields).toEqual({});
    const text = (r.body as Buffer).toString('utf8');
    const body = JSON.parse(text);
    expect(body.globalWhiteAddrs).toEqual(['10.10.103.*', '192.168.0.*']);
    expect(body.plainAccessConfigs.map((c: { accessKey: string }) => c.accessKey)).toEqual(['RocketMQ', 'rocketmqAdmin', 'whiteUser01', 'newUser01']);
    expect(text).toContain('{"accessKey":"RocketMQ","admin":false,"defaultGroupPerm":"SUB","defaultTopicPerm":"DENY","groupPerms":["groupA=DENY","groupB=PUB|SUB","groupC=SUB"],"secretKey":"12345678","topicPerms":["topicA=DENY","topicB=PUB|SUB","topicC=SUB"]}');
  });

  it('53 replaces plain_acl.yml\'s global white list (no aclFileFullPath: the default file); 211 when refused', async () => {
    const refused = await invoke(createRequest(26, {}));
    expect(refused.remark).toBe(REMARK.noAccessKey);
    expect((await invoke(signed(53, { globalWhiteAddrs: '127.0.0.1,10.10.103.*' }, USER))).remark).toBe(REMARK.admin(53, USER.ak));
    const ok = await invoke(signed(53, { globalWhiteAddrs: '127.0.0.1,10.10.103.*' }, ADMIN));
    expect([ok.code, ok.remark]).toEqual([ResponseCode.SUCCESS, undefined]);
    expect(ymlOf().globalWhiteRemoteAddresses).toEqual(['127.0.0.1', '10.10.103.*']);
    expect((await invoke(createRequest(26, {}))).code).toBe(ResponseCode.SUCCESS);
    // Global white now: unsigned admin requests pass too; put the list back.
    expect((await invoke(createRequest(53, { globalWhiteAddrs: '10.10.103.*' }))).code).toBe(ResponseCode.SUCCESS);
    expect((await invoke(createRequest(26, {}))).remark).toBe(REMARK.noAccessKey);
    const yaml = await invoke(signed(53, { globalWhiteAddrs: '1.1.1.1', aclFileFullPath: path.join(home, 'conf', 'x.yaml') }, ADMIN));
    expect([yaml.code, yaml.remark]).toEqual([211, 'The globalWhiteAddresses[1.1.1.1] has been updated failed.']);
    const outside = await invoke(signed(53, { globalWhiteAddrs: '1.1.1.1', aclFileFullPath: '/etc/hostname' }, ADMIN));
    expect(outside.code).toBe(211);
  });

  it('51 deletes the account from its file; the key is then unknown; 210 for an unknown key', async () => {
    const r = await invoke(signed(51, { accessKey: 'newUser01' }, ADMIN));
    expect([r.code, r.remark]).toEqual([ResponseCode.SUCCESS, undefined]);
    expect(ymlOf().accounts.some((a: { accessKey: string }) => a.accessKey === 'newUser01')).toBe(false);
    expect((await invoke(sendV2('topicB', { ak: 'newUser01', sk: 'newSecret02' }))).remark).toBe(REMARK.unknown('newUser01'));
    const again = await invoke(signed(51, { accessKey: 'newUser01' }, ADMIN));
    expect([again.code, again.remark]).toEqual([210, 'The accesskey[newUser01] corresponding to accessConfig has been deleted failed.']);
    const counter = ymlOf().dataVersion[0].counter;
    expect(counter).toBeGreaterThanOrEqual(5);
    // `version` is plain_acl.yml's as of the watcher's last reload of it (Java's deprecated single version).
    srv.broker.ctx.plainAcl!.checkFiles();
    const info = await invoke(signed(52, {}, USER));
    expect(JSON.parse(info.extFields!.version!).counter).toBe(counter);
  });
});

describe('ACL admin codes with aclEnable=false', () => {
  let off: InProcessServer;
  beforeAll(async () => {
    off = await startInProcess();
  });
  afterAll(async () => {
    await off?.stop();
  });
  const call = (req: RemotingCommand, timeoutMs = TIMEOUT_MS) => client.invoke(off.brokerAddr, req, timeoutMs);

  it('50, 51, 53 answer their failure code with the NullPointerException text of the Java broker on JDK 17', async () => {
    const npe = (m: string) => `Cannot invoke "org.apache.rocketmq.acl.AccessValidator.${m}" because "accessValidator" is null`;
    const a = await call(createRequest(50, { accessKey: 'someone1', secretKey: '12345678' }));
    expect([a.code, a.remark]).toEqual([209, npe('updateAccessConfig(org.apache.rocketmq.common.PlainAccessConfig)')]);
    const d = await call(createRequest(51, { accessKey: 'someone1' }));
    expect([d.code, d.remark]).toEqual([210, npe('deleteAccessConfig(String)')]);
    const w = await call(createRequest(53, { globalWhiteAddrs: '1.1.1.1' }));
    expect([w.code, w.remark]).toEqual([211, npe('updateGlobalWhiteAddrsConfig(java.util.List, String)')]);
  });
  it('52 and 54 get no answer', async () => {
    await expect(call(createRequest(52, {}), 800)).rejects.toThrow();
    await expect(call(createRequest(54, {}), 800)).rejects.toThrow();
  });
});
