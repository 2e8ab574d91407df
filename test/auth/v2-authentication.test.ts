/**
 * ACL 2.0 authentication and user administration against an in-process broker started with
 * authenticationEnabled (authorization off) and initAuthenticationUser: refusals are NO_PERMISSION with
 * 5.3.3's remarks, the admin codes answer as AdminBrokerProcessor does, and users survive a restart.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcess, type InProcessServer } from '../server/in-process.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { AuthManager } from '../../src/auth/v2/auth-manager.js';
import { sendV2 } from '../support/wire.js';
import { bodyJson, createUser, deleteUser, getUser, listUser, sign, updateUser } from './v2-support.js';

const TIMEOUT_MS = 5_000;
const ROOT = { username: 'rocketmq2', password: '12345678' };
let srv: InProcessServer;
const client = new RemotingClient(() => {});
const invoke = (req: RemotingCommand) => client.invoke(srv.brokerAddr, req, TIMEOUT_MS);
const asRoot = (req: RemotingCommand) => invoke(sign(req, ROOT.username, ROOT.password));
const runtimeInfo = () => createRequest(RequestCode.GET_BROKER_RUNTIME_INFO);

beforeAll(async () => {
  srv = await startInProcess({
    authenticationEnabled: true,
    initAuthenticationUser: JSON.stringify(ROOT),
    authenticationWhitelist: ' 26 ,',
  });
});
afterAll(async () => {
  client.close();
  await srv?.stop();
});

describe('ACL 2.0 authentication', () => {
  it('refuses an unsigned request with "username cannot be null."', async () => {
    const r = await invoke(runtimeInfo());
    expect([r.code, r.remark]).toEqual([ResponseCode.NO_PERMISSION, 'username cannot be null.']);
  });

  it('refuses an unknown user, then a wrong signature, and lets the right one through', async () => {
    let r = await invoke(sign(runtimeInfo(), 'nobody', 'whatever1'));
    expect([r.code, r.remark]).toEqual([ResponseCode.NO_PERMISSION, 'User:nobody is not found.']);
    r = await invoke(sign(runtimeInfo(), ROOT.username, 'not-the-password'));
    expect([r.code, r.remark]).toEqual([ResponseCode.NO_PERMISSION, 'check signature failed.']);
    // The body is signed too: changing it after signing breaks the signature.
    const send = sign(sendV2('AuthnTopic', 'hello'), ROOT.username, ROOT.password);
    send.body = Buffer.from('hellO');
    r = await invoke(send);
    expect([r.code, r.remark]).toEqual([ResponseCode.NO_PERMISSION, 'check signature failed.']);
    r = await asRoot(runtimeInfo());
    expect(r.code).toBe(ResponseCode.SUCCESS);
  });

  it('lets whitelisted request codes through unsigned', async () => {
    const r = await invoke(createRequest(RequestCode.GET_BROKER_CONFIG));
    expect(r.code).toBe(ResponseCode.SUCCESS);
  });

  it('creates, reads, lists, updates, disables and deletes users as AdminBrokerProcessor does', async () => {
    expect((await asRoot(createUser('alice', 'alice-secret'))).code).toBe(ResponseCode.SUCCESS);
    let r = await asRoot(createUser('alice', 'other'));
    expect([r.code, r.remark]).toEqual([ResponseCode.NO_PERMISSION, 'The user is existed']);
    r = await asRoot(createUser('bob', ''));
    expect([r.code, r.remark]).toEqual([ResponseCode.NO_PERMISSION, 'password can not be blank']);
    r = await asRoot(createRequest(RequestCode.AUTH_CREATE_USER, {}, Buffer.from('{}')));
    expect([r.code, r.remark]).toEqual([ResponseCode.INVALID_PARAMETER, 'The username is blank']);

    r = await asRoot(getUser('alice'));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    // fastjson order: properties sorted by name.
    expect(Buffer.from(r.body as Buffer).toString()).toBe('{"password":"alice-secret","userStatus":"enable","userType":"Normal","username":"alice"}');
    r = await asRoot(getUser('nobody'));
    expect([r.code, r.body]).toEqual([ResponseCode.SUCCESS, undefined]);

    r = await asRoot(listUser());
    expect((bodyJson(r) as Array<{ username: string }>).map((u) => u.username)).toEqual(['alice', ROOT.username]);
    r = await asRoot(listUser('lic'));
    expect((bodyJson(r) as Array<{ username: string }>).map((u) => u.username)).toEqual(['alice']);
    r = await asRoot(listUser('zzz'));
    expect([r.code, r.body]).toEqual([ResponseCode.SUCCESS, undefined]);

    // alice signs with her password; a normal user may not make herself Super.
    r = await invoke(sign(updateUser('alice', { userType: 'Super' }), 'alice', 'alice-secret'));
    expect([r.code, r.remark]).toEqual([ResponseCode.SYSTEM_ERROR, 'The super user can only be update by super user']);
    r = await invoke(sign(createUser('carol', 'carol-secret', 'Super'), 'alice', 'alice-secret'));
    expect([r.code, r.remark]).toEqual([ResponseCode.SYSTEM_ERROR, 'The super user can only be create by super user']);
    r = await invoke(sign(deleteUser(ROOT.username), 'alice', 'alice-secret'));
    expect([r.code, r.remark]).toEqual([ResponseCode.NO_PERMISSION, 'The super user can only be update by super user']);

    r = await asRoot(updateUser('nobody', { password: 'x' }));
    expect([r.code, r.remark]).toEqual([ResponseCode.NO_PERMISSION, 'The user is not exist']);
    expect((await asRoot(updateUser('alice', { password: 'new-secret' }))).code).toBe(ResponseCode.SUCCESS);
    r = await invoke(sign(runtimeInfo(), 'alice', 'alice-secret'));
    expect(r.remark).toBe('check signature failed.');
    expect((await invoke(sign(runtimeInfo(), 'alice', 'new-secret'))).code).toBe(ResponseCode.SUCCESS);

    expect((await asRoot(updateUser('alice', { userStatus: 'disable' }))).code).toBe(ResponseCode.SUCCESS);
    r = await invoke(sign(runtimeInfo(), 'alice', 'new-secret'));
    expect([r.code, r.remark]).toEqual([ResponseCode.NO_PERMISSION, 'User:alice is disabled.']);

    expect((await asRoot(deleteUser('alice'))).code).toBe(ResponseCode.SUCCESS);
    expect((await asRoot(deleteUser('alice'))).code).toBe(ResponseCode.SUCCESS);
    r = await invoke(sign(runtimeInfo(), 'alice', 'new-secret'));
    expect(r.remark).toBe('User:alice is not found.');
  });

  it('keeps users in config/users.json across a restart, and does not re-create the init user', async () => {
    expect((await asRoot(createUser('dave', 'dave-secret'))).code).toBe(ResponseCode.SUCCESS);
    const store = srv.broker.ctx.config.storePathRootDir;
    const file = path.join(store, 'config', 'users.json');
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { users: Array<{ username: string; userType: string }> };
    expect(saved.users.map((u) => [u.username, u.userType])).toEqual([['dave', 'Normal'], [ROOT.username, 'Super']]);
    // The same directory with a different init password: the stored Super user keeps its password.
    const again = new AuthManager({ ...srv.broker.ctx.config, initAuthenticationUser: JSON.stringify({ ...ROOT, password: 'changed' }) }, store);
    expect(again.users.get('dave')?.password).toBe('dave-secret');
    expect(again.users.get(ROOT.username)?.password).toBe(ROOT.password);
  });
});
