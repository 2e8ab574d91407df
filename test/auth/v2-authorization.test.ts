/**
 * ACL 2.0 authorization against in-process brokers: one with authentication and authorization, one with
 * authorization alone. Policies are made through the admin codes (3006…3010) as mqadmin makes them;
 * refusals are NO_PERMISSION with AclAuthorizationHandler's wording.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcess, type InProcessServer } from '../server/in-process.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { consumerHeartbeat, createTopicRequest, pullRequest, sendV2 } from '../support/wire.js';
import { bodyJson, createAcl, createUser, deleteAcl, deleteUser, getAcl, listAcl, sign } from './v2-support.js';

const TIMEOUT_MS = 5_000;
const ROOT = { username: 'root', password: 'root-secret' };
const U = { username: 'u1', password: 'u1-secret' };
let full: InProcessServer;
let authzOnly: InProcessServer;
const client = new RemotingClient(() => {});
const call = (srv: InProcessServer, req: RemotingCommand) => client.invoke(srv.brokerAddr, req, TIMEOUT_MS);
const asRoot = (srv: InProcessServer, req: RemotingCommand) => call(srv, sign(req, ROOT.username, ROOT.password));
const asU = (req: RemotingCommand) => call(full, sign(req, U.username, U.password));
const refusal = (r: RemotingCommand) => [r.code, r.remark];
const denied = (resource: string, detail: string) =>
  [ResponseCode.NO_PERMISSION, `User:u1 has no permission to access ${resource} from 127.0.0.1, ${detail}`];

beforeAll(async () => {
  const common = { initAuthenticationUser: JSON.stringify(ROOT), authorizationWhitelist: '26' };
  full = await startInProcess({ ...common, authenticationEnabled: true, authorizationEnabled: true });
  authzOnly = await startInProcess({ ...common, authorizationEnabled: true });
  for (const srv of [full, authzOnly]) {
    expect((await asRoot(srv, createUser(U.username, U.password))).code).toBe(ResponseCode.SUCCESS);
    for (const t of ['T1', 'Other', 'SecretX', 'IpT']) expect((await asRoot(srv, createTopicRequest(t))).code).toBe(ResponseCode.SUCCESS);
  }
});
afterAll(async () => {
  client.close();
  await full?.stop();
  await authzOnly?.stop();
});

describe('ACL 2.0 authorization', () => {
  it('lets a Super user do anything and refuses a user without an ACL', async () => {
    expect((await asRoot(full, sendV2('Other', 'x'))).code).toBe(ResponseCode.SUCCESS);
    expect(refusal(await asU(sendV2('T1', 'x')))).toEqual(denied('Topic:T1', 'no matched policies.'));
  });

  it('matches resources, actions, Allow and Deny, and falls back to the Default policy', async () => {
    let r = await asRoot(full, createAcl('User:u1', [
      { resource: 'Topic:T1', actions: ['Pub'], decision: 'Allow' },
      { resource: 'Topic:Secret*', actions: ['Pub', 'Sub'], decision: 'Deny' },
      { resource: 'Group:G1', actions: ['Sub'], decision: 'Allow' },
    ]));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect((await asU(sendV2('T1', 'x'))).code).toBe(ResponseCode.SUCCESS);
    expect(refusal(await asU(sendV2('Other', 'x')))).toEqual(denied('Topic:Other', 'no matched policies.'));
    expect(refusal(await asU(sendV2('SecretX', 'x')))).toEqual(denied('Topic:SecretX', 'the decision is deny.'));
    // A retry topic is judged as its group, with Sub.
    expect((await asU(sendV2('%RETRY%G1', 'x', { producerGroup: '' }))).code).not.toBe(ResponseCode.NO_PERMISSION);
    // PULL_MESSAGE asks Sub on the topic first, then on the group.
    expect(refusal(await asU(pullRequest('G1', 'T1', 0, 0)))).toEqual(denied('Topic:T1', 'no matched policies.'));
    // Only when no Custom entry matches is the Default policy consulted.
    r = await asRoot(full, createAcl('User:u1', [{ resource: 'Topic:*', actions: ['Sub'], decision: 'Allow' }], 'Default'));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect((await asU(pullRequest('G1', 'T1', 0, 0))).code).not.toBe(ResponseCode.NO_PERMISSION);
    expect(refusal(await asU(pullRequest('G1', 'SecretX', 0, 0)))).toEqual(denied('Topic:SecretX', 'the decision is deny.'));
    expect(refusal(await asU(pullRequest('G2', 'T1', 0, 0)))).toEqual(denied('Group:G2', 'no matched policies.'));
    // HEART_BEAT: the consumer group, then each subscribed topic.
    expect((await asU(consumerHeartbeat('c1', 'G1', 'T1'))).code).toBe(ResponseCode.SUCCESS);
    expect(refusal(await asU(consumerHeartbeat('c1', 'G3', 'T1')))).toEqual(denied('Group:G3', 'no matched policies.'));
  });

  it('checks source IPs of an entry, as text or as a CIDR', async () => {
    await asRoot(full, createAcl('User:u1', [{ resource: 'Topic:IpT', actions: ['Pub'], sourceIps: ['10.0.0.0/8'], decision: 'Allow' }]));
    expect(refusal(await asU(sendV2('IpT', 'x')))).toEqual(denied('Topic:IpT', 'no matched policies.'));
    await asRoot(full, createAcl('User:u1', [{ resource: 'Topic:IpT', actions: ['Pub'], sourceIps: ['127.0.0.0/8'], decision: 'Allow' }]));
    expect((await asU(sendV2('IpT', 'x'))).code).toBe(ResponseCode.SUCCESS);
    await asRoot(full, createAcl('User:u1', [{ resource: 'Topic:IpT', actions: ['Pub'], sourceIps: ['127.0.0.1'], decision: 'Allow' }]));
    expect((await asU(sendV2('IpT', 'x'))).code).toBe(ResponseCode.SUCCESS);
  });

  it('asks for Cluster Update on the admin codes, and lets whitelisted codes pass', async () => {
    expect(refusal(await asU(createUser('x', 'y')))).toEqual(denied('Cluster:DefaultCluster', 'no matched policies.'));
    expect(refusal(await asU(createTopicRequest('NewT')))).toEqual(denied('Topic:NewT', 'no matched policies.'));
    expect((await asU(createRequest(RequestCode.GET_BROKER_CONFIG))).code).toBe(ResponseCode.SUCCESS);
    // A code with neither a rule nor an annotation needs authentication only.
    expect((await asU(createRequest(RequestCode.GET_BROKER_RUNTIME_INFO))).code).toBe(ResponseCode.SUCCESS);
  });

  it('with authorization alone: no AccessKey fails generically, a signature is not checked', async () => {
    let r = await call(authzOnly, sendV2('T1', 'x'));
    expect(refusal(r)).toEqual([ResponseCode.NO_PERMISSION, 'Authorization failed. Please verify your access rights and try again.']);
    expect((await call(authzOnly, createRequest(RequestCode.GET_BROKER_RUNTIME_INFO))).code).toBe(ResponseCode.SUCCESS);
    r = await call(authzOnly, sign(sendV2('T1', 'x'), 'ghost', 'x'));
    expect(refusal(r)).toEqual([ResponseCode.NO_PERMISSION, 'User:ghost not found.']);
    await asRoot(authzOnly, createAcl('User:u1', [{ resource: 'Topic:T1', actions: ['All'], decision: 'Allow' }]));
    expect((await call(authzOnly, sign(sendV2('T1', 'x'), U.username, 'wrong-password'))).code).toBe(ResponseCode.SUCCESS);
  });
});

describe('ACL 2.0 policy administration', () => {
  const acl = (srv: InProcessServer, req: RemotingCommand) => asRoot(srv, req);

  it('validates ACLs with 5.3.3 messages', async () => {
    const cases: Array<[Parameters<typeof createAcl>[1], string]> = [
      [[{ resource: 'Bogus:x', actions: ['Pub'], decision: 'Allow' }], 'The resource is null.'],
      [[{ resource: 'Topic:a', actions: ['Nope'], decision: 'Allow' }], 'The actions is empty.'],
      [[{ resource: 'Topic:a', actions: ['Any'], decision: 'Allow' }], 'The actions can not be Any.'],
      [[{ resource: 'Topic:a', actions: ['Pub'], sourceIps: ['1.2.3'], decision: 'Allow' }], 'The source ip is invalid.'],
      [[{ resource: 'Topic:a', actions: ['Pub'], sourceIps: [' '], decision: 'Allow' }], 'The source ip is empty.'],
      [[{ resource: 'Topic:a', actions: ['Pub'], decision: 'Maybe' }], 'The decision is null or illegal.'],
    ];
    for (const [entries, remark] of cases) expect(refusal(await acl(full, createAcl('User:u1', entries)))).toEqual([ResponseCode.NO_PERMISSION, remark]);
    expect(refusal(await acl(full, createAcl('User:nobody', [{ resource: 'Topic:a', actions: ['Pub'], decision: 'Allow' }]))))
      .toEqual([ResponseCode.NO_PERMISSION, 'The subject of User:nobody is not exist.']);
    const r = await acl(full, createRequest(RequestCode.AUTH_CREATE_ACL, { subject: 'User:u1' }, Buffer.from('{"policies":[]}')));
    expect(r.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(r.remark).toMatch(/^org\.apache\.rocketmq\.auth\.authorization\.exception\.AuthorizationException: The body of acl is null, /);
  });

  it('merges, reads, lists, filters and deletes policies', async () => {
    await acl(authzOnly, createUser('u2', 'u2-secret'));
    await acl(authzOnly, createAcl('User:u2', [
      { resource: 'Topic:A', actions: ['Pub'], decision: 'Allow' },
      { resource: 'Group:B*', actions: ['Sub', 'Get'], sourceIps: ['192.168.0.0/16'], decision: 'Deny' },
    ]));
    // Same resource replaces the entry; a new one is added (updateAcl does the same as createAcl).
    await acl(authzOnly, createAcl('User:u2', [
      { resource: 'Topic:A', actions: ['Sub'], decision: 'Deny' },
      { resource: 'Topic:C', actions: ['All'], decision: 'Allow' },
    ], undefined, RequestCode.AUTH_UPDATE_ACL));
    let r = await acl(authzOnly, getAcl('User:u2'));
    expect(Buffer.from(r.body as Buffer).toString()).toBe(
      '{"policies":[{"entries":[' +
        '{"actions":["Sub"],"decision":"Deny","resource":"Topic:A"},' +
        '{"actions":["Sub","Get"],"decision":"Deny","resource":"Group:B*","sourceIps":["192.168.0.0/16"]},' +
        '{"actions":["All"],"decision":"Allow","resource":"Topic:C"}' +
      '],"policyType":"Custom"}],"subject":"User:u2"}',
    );
    r = await acl(authzOnly, listAcl('u2', 'Topic'));
    const listed = bodyJson(r) as Array<{ subject: string; policies: Array<{ entries: Array<{ resource: string }> }> }>;
    expect(listed.map((a) => [a.subject, a.policies[0].entries.map((e) => e.resource)])).toEqual([['User:u2', ['Topic:A', 'Topic:C']]]);
    r = await acl(authzOnly, listAcl());
    expect((bodyJson(r) as Array<{ subject: string }>).map((a) => a.subject)).toEqual(['User:u1', 'User:u2']);

    expect((await acl(authzOnly, deleteAcl('User:u2', 'Topic:A'))).code).toBe(ResponseCode.SUCCESS);
    r = await acl(authzOnly, getAcl('User:u2'));
    expect((bodyJson(r) as { policies: Array<{ entries: unknown[] }> }).policies[0].entries).toHaveLength(2);
    expect(refusal(await acl(authzOnly, deleteAcl('User:nobody')))).toEqual([ResponseCode.NO_PERMISSION, 'The subject is not exist.']);
    expect((await acl(authzOnly, deleteAcl('User:u2'))).code).toBe(ResponseCode.SUCCESS);
    expect(refusal(await acl(authzOnly, deleteAcl('User:u2')))).toEqual([ResponseCode.NO_PERMISSION, 'The acl is not exist.']);
    r = await acl(authzOnly, getAcl('User:u2'));
    expect([r.code, r.body]).toEqual([ResponseCode.SUCCESS, undefined]);

    // Deleting a user deletes the user's ACL.
    await acl(authzOnly, createAcl('User:u2', [{ resource: 'Topic:A', actions: ['Pub'], decision: 'Allow' }]));
    expect((await acl(authzOnly, deleteUser('u2'))).code).toBe(ResponseCode.SUCCESS);
    await acl(authzOnly, createUser('u2', 'again'));
    r = await acl(authzOnly, getAcl('User:u2'));
    expect(r.body).toBeUndefined();
  });
});
