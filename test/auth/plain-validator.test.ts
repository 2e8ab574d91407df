/**
 * The ACL 1.0 check (PlainPermissionManager.validate's order) on requests built here and signed with
 * node:crypto, against a manager over a temp ROCKETMQ_HOME: each refusal's exact remark, each per-code
 * need, admin codes, white addresses, the trace-topic skip and the _UNIQUE_KEY_QUERY rule.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlainAclManager } from '../../src/auth/plain/plain-acl-manager.js';
import { ACL_CONFIG_DEFAULTS } from '../../src/config/security.js';
import { createRequest } from '../../src/remoting/command.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { ADMIN, REMARK, USER, WHITE, hmac, makeHome, signed } from './plain-support.js';

let home: string;
let acl: PlainAclManager;
const OUTSIDE = '172.16.5.9';
const check = (req: ReturnType<typeof createRequest>, ip = OUTSIDE) => acl.gate.check(ip, req);
const remark = (req: ReturnType<typeof createRequest>, ip = OUTSIDE) => check(req, ip)?.remark;

beforeAll(() => {
  home = makeHome();
  acl = new PlainAclManager({ ...ACL_CONFIG_DEFAULTS, aclEnable: true, rocketmqHome: home }, { watchIntervalMs: 60_000 });
});
afterAll(() => {
  acl.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('refusals, in the Java order, with the 4.9.7 remarks', () => {
  it('no AccessKey (and no extFields at all)', () => {
    expect(check(createRequest(14, { topic: 'T' }))).toEqual({ code: ResponseCode.SYSTEM_ERROR, remark: REMARK.noAccessKey });
    expect(remark(createRequest(34, undefined, Buffer.from('{}')))).toBe(REMARK.noAccessKey);
  });
  it('unknown AccessKey', () => {
    expect(remark(signed(14, { topic: 'T' }, { ak: 'nobody123', sk: '12345678' }))).toBe(REMARK.unknown('nobody123'));
  });
  it('bad signature: wrong secret, tampered field, missing Signature', () => {
    expect(remark(signed(14, { topic: 'T' }, { ak: USER.ak, sk: 'wrong-secret' }))).toBe(REMARK.signature(USER.ak));
    const r = signed(14, { topic: 'T' }, USER);
    r.extFields!.topic = 'U';
    expect(remark(r)).toBe(REMARK.signature(USER.ak));
    expect(remark(createRequest(14, { topic: 'T', AccessKey: USER.ak }))).toBe(REMARK.signature(USER.ak));
  });
  it('the body is signed too', () => {
    const r = signed(320, { b: 'topicB' }, USER, Buffer.from('payload'));
    expect(check(r)).toBeUndefined();
    r.body = Buffer.from('payloaX');
    expect(remark(r)).toBe(REMARK.signature(USER.ak));
  });
  it('admin codes: Java set and this project\'s additions', () => {
    for (const code of [17, 25, 215, 200, 207, 50, 51, 53, 54, 401, 306, 316, 329]) {
      expect(remark(signed(code, { topic: 'topicB' }, USER))).toBe(REMARK.admin(code, USER.ak));
      expect(check(signed(code, { topic: 'topicB' }, ADMIN))).toBeUndefined();
    }
    for (const code of [52, 26, 28]) expect(check(signed(code, {}, USER))).toBeUndefined();
  });
  it('listed DENY (line 610) and default DENY (line 605) give the same text', () => {
    expect(remark(signed(10, { topic: 'topicA' }, USER))).toBe(REMARK.listedPerm('topic:topicA'));
    expect(remark(signed(10, { topic: 'topicZ' }, USER))).toBe(REMARK.defaultPerm('topic:topicZ'));
    expect(remark(signed(10, { topic: 'topicC' }, USER))).toBe(REMARK.listedPerm('topic:topicC'));
    expect(check(signed(10, { topic: 'topicB' }, USER))).toBeUndefined();
  });
  it('groups: listed DENY, default SUB', () => {
    expect(remark(signed(38, { consumerGroup: 'groupA' }, USER))).toBe(REMARK.listedPerm('group:groupA'));
    expect(check(signed(38, { consumerGroup: 'anyGroup' }, USER))).toBeUndefined();
    expect(check(signed(38, { consumerGroup: 'groupC' }, USER))).toBeUndefined();
  });
  it('several refused resources: the first in Java HashMap order is reported', () => {
    // PULL_MESSAGE puts topic then %RETRY%group; Java's HashMap iterates %RETRY%groupA before topicZ.
    expect(remark(signed(11, { topic: 'topicZ', consumerGroup: 'groupA' }, USER))).toBe(REMARK.listedPerm('group:groupA'));
    expect(remark(signed(11, { topic: 'topicA', consumerGroup: 'groupB' }, USER))).toBe(REMARK.listedPerm('topic:topicA'));
  });
  it('a bad HEART_BEAT body is refused before the white lists (PlainAccessValidator.java:134)', () => {
    const r = createRequest(34, { AccessKey: USER.ak });
    expect(remark(r, '10.10.103.7')).toBe(REMARK.parse('Cannot read the array length because "bytes" is null'));
    const n = createRequest(34, { AccessKey: USER.ak }, Buffer.from('null'));
    expect(remark(n)).toBe(REMARK.parse('Cannot invoke "org.apache.rocketmq.common.protocol.heartbeat.HeartbeatData.getConsumerDataSet()" because "heartbeatData" is null'));
    // These texts were read off the Apache 4.9.7 broker on JDK 17.
    const setNull = signed(34, {}, USER, Buffer.from('{"clientID":"c","consumerDataSet":null}'));
    expect(remark(setNull)).toBe(REMARK.parse('Cannot invoke "java.util.Set.iterator()" because the return value of "org.apache.rocketmq.common.protocol.heartbeat.HeartbeatData.getConsumerDataSet()" is null'));
    const subNull = signed(34, {}, USER, Buffer.from('{"clientID":"c","consumerDataSet":[{"groupName":"groupB","subscriptionDataSet":null}]}'));
    expect(remark(subNull)).toBe(REMARK.parse('Cannot invoke "java.util.Set.iterator()" because the return value of "org.apache.rocketmq.common.protocol.heartbeat.ConsumerData.getSubscriptionDataSet()" is null'));
  });
});

describe('per-code needs on the wire format', () => {
  const body = (consumers: Array<{ groupName: string; topics: string[] }>) => Buffer.from(JSON.stringify({
    clientID: 'c1', producerDataSet: [{ groupName: 'producerGroupNotChecked' }],
    consumerDataSet: consumers.map((c) => ({ groupName: c.groupName, subscriptionDataSet: c.topics.map((topic) => ({ topic, subString: '*' })) })),
  }));
  it('SEND_MESSAGE_V2: b PUB; retry topic needs a SUB', () => {
    expect(check(signed(310, { a: 'pg', b: 'topicB' }, USER))).toBeUndefined();
    expect(remark(signed(310, { a: 'pg', b: 'topicC' }, USER))).toBe(REMARK.listedPerm('topic:topicC'));
    expect(remark(signed(310, { a: 'groupA', b: '%RETRY%groupA' }, USER))).toBe(REMARK.listedPerm('group:groupA'));
    expect(check(signed(310, { a: 'groupC', b: '%RETRY%groupC' }, USER))).toBeUndefined();
  });
  it('CONSUMER_SEND_MSG_BACK, QUERY_MESSAGE, UNREGISTER_CLIENT, UPDATE_CONSUMER_OFFSET', () => {
    expect(remark(signed(36, { group: 'groupA', offset: '0', delayLevel: '0' }, USER))).toBe(REMARK.listedPerm('group:groupA'));
    expect(check(signed(36, { group: 'groupB', offset: '0', delayLevel: '0' }, USER))).toBeUndefined();
    expect(remark(signed(12, { topic: 'topicZ' }, USER))).toBe(REMARK.defaultPerm('topic:topicZ'));
    expect(check(signed(12, { topic: 'topicC' }, USER))).toBeUndefined();
    expect(remark(signed(35, { clientID: 'c', consumerGroup: 'groupA' }, USER))).toBe(REMARK.listedPerm('group:groupA'));
    expect(check(signed(35, { clientID: 'c', producerGroup: 'groupA' }, USER))).toBeUndefined();
    expect(remark(signed(15, { consumerGroup: 'groupB', topic: 'topicA', queueId: '0', commitOffset: '3' }, USER))).toBe(REMARK.listedPerm('topic:topicA'));
    expect(check(signed(15, { consumerGroup: 'groupB', topic: 'topicB', queueId: '0', commitOffset: '3' }, USER))).toBeUndefined();
  });
  it('HEART_BEAT: every consumer group and subscribed topic', () => {
    expect(check(signed(34, {}, USER, body([{ groupName: 'groupB', topics: ['topicB', 'topicC', '%RETRY%groupB'] }])))).toBeUndefined();
    expect(remark(signed(34, {}, USER, body([{ groupName: 'groupB', topics: ['topicZ'] }])))).toBe(REMARK.defaultPerm('topic:topicZ'));
    expect(remark(signed(34, {}, USER, body([{ groupName: 'groupB', topics: [] }, { groupName: 'groupA', topics: [] }])))).toBe(REMARK.listedPerm('group:groupA'));
  });
  it('codes without a rule need only the signature (QUERY_CONSUMER_OFFSET, locks, reply sends)', () => {
    for (const code of [14, 41, 42, 324, 325]) expect(check(signed(code, { topic: 'topicA', consumerGroup: 'groupA', b: 'topicA' }, USER))).toBeUndefined();
  });
  it('this project checks the POP codes as a pull: topic SUB and consumerGroup SUB', () => {
    for (const code of [200050, 200051, 200052, 200053, 200054, 200055]) {
      expect(remark(signed(code, { topic: 'topicA', consumerGroup: 'groupB' }, USER))).toBe(REMARK.listedPerm('topic:topicA'));
      expect(check(signed(code, { topic: 'topicB', consumerGroup: 'groupB' }, USER))).toBeUndefined();
    }
  });
  it('this project checks SEND_BATCH_MESSAGE as SEND_MESSAGE_V2 and LITE_PULL_MESSAGE as PULL_MESSAGE', () => {
    expect(remark(signed(320, { b: 'topicA', a: 'pg' }, USER))).toBe(REMARK.listedPerm('topic:topicA'));
    expect(check(signed(320, { b: 'topicB', a: 'pg' }, USER))).toBeUndefined();
    expect(remark(signed(361, { topic: 'topicB', consumerGroup: 'groupA' }, USER))).toBe(REMARK.listedPerm('group:groupA'));
    expect(check(signed(361, { topic: 'topicB', consumerGroup: 'groupB' }, USER))).toBeUndefined();
  });
  it('RMQ_SYS_TRACE_TOPIC sends skip the permission check', () => {
    expect(check(signed(10, { topic: 'RMQ_SYS_TRACE_TOPIC' }, USER))).toBeUndefined();
    expect(remark(signed(12, { topic: 'RMQ_SYS_TRACE_TOPIC' }, USER))).toBe(REMARK.defaultPerm('topic:RMQ_SYS_TRACE_TOPIC'));
  });
  it('an admin without listed perms may use everything; a plain account is judged by its defaults', () => {
    expect(check(signed(10, { topic: 'anything' }, ADMIN))).toBeUndefined();
    expect(check(signed(11, { topic: 'anything', consumerGroup: 'g' }, ADMIN))).toBeUndefined();
  });
});

describe('white addresses', () => {
  it('global white patterns skip everything, even the AccessKey', () => {
    expect(check(createRequest(17, { topic: 'x' }), '10.10.103.200')).toBeUndefined();
    expect(check(createRequest(17, { topic: 'x' }), '192.168.0.1')).toBeUndefined();
    expect(remark(createRequest(17, { topic: 'x' }), '192.168.1.1')).toBe(REMARK.noAccessKey);
  });
  it('an account white address skips the signature and the permissions', () => {
    const r = createRequest(10, { topic: 'topicDenied', AccessKey: WHITE.ak, Signature: 'garbage' });
    expect(check(r, '127.0.0.1')).toBeUndefined();
    expect(remark(r, '127.0.0.2')).toBe(REMARK.signature(WHITE.ak));
    expect(remark(signed(10, { topic: 'topicDenied' }, WHITE), '127.0.0.2')).toBe(REMARK.defaultPerm('topic:topicDenied'));
  });
});

describe('_UNIQUE_KEY_QUERY (5.x rule)', () => {
  const fields = { topic: 'topicC', key: 'K', maxNum: '32', beginTimestamp: '0', endTimestamp: '1', _UNIQUE_KEY_QUERY: 'true' };
  it('a 4.9.4+ client signs it and passes', () => {
    const r = signed(12, fields, USER);
    r.version = 401;
    expect(check(r)).toBeUndefined();
  });
  it('a 4.9.3 client signed without it and passes', () => {
    const f: Record<string, string> = { ...fields, AccessKey: USER.ak };
    const { _UNIQUE_KEY_QUERY: _u, ...withoutFlag } = f;
    f.Signature = hmac(withoutFlag, undefined, USER.sk);
    const r = createRequest(12, f);
    r.version = 399;
    expect(check(r)).toBeUndefined();
    r.version = 401;
    expect(remark(r)).toBe(REMARK.signature(USER.ak));
  });
});
