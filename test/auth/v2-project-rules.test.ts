/**
 * ACL 2.0 rules this project adds where 5.3.3 asks nothing (src/auth/v2/project-rules.ts): broker-wide
 * changes need Cluster Update (a Normal user allowed everything on topics and groups is still refused
 * UPDATE_BROKER_CONFIG), and LITE_PULL_MESSAGE is authorized as PULL_MESSAGE.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcess, type InProcessServer } from '../server/in-process.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { createTopicRequest, pullRequest, sendV2 } from '../support/wire.js';
import { createAcl, createUser, sign } from './v2-support.js';

const ROOT = { username: 'root', password: 'root-secret' };
const U = { username: 'u2', password: 'u2-secret' };
let srv: InProcessServer;
const client = new RemotingClient(() => {});
const call = (req: RemotingCommand) => client.invoke(srv.brokerAddr, req, 5_000);
const asRoot = (req: RemotingCommand) => call(sign(req, ROOT.username, ROOT.password));
const asU = (req: RemotingCommand) => call(sign(req, U.username, U.password));
const updateConfig = () => createRequest(RequestCode.UPDATE_BROKER_CONFIG, {}, Buffer.from('defaultTopicQueueNums=5\n'));
const litePull = (): RemotingCommand => {
  const req = pullRequest('G2', 'T2', 0, 0);
  req.code = RequestCode.LITE_PULL_MESSAGE;
  return req;
};

beforeAll(async () => {
  srv = await startInProcess({ authenticationEnabled: true, authorizationEnabled: true, initAuthenticationUser: JSON.stringify(ROOT) });
  expect((await asRoot(createUser(U.username, U.password))).code).toBe(ResponseCode.SUCCESS);
  expect((await asRoot(createTopicRequest('T2'))).code).toBe(ResponseCode.SUCCESS);
});
afterAll(async () => {
  client.close();
  await srv?.stop();
});

describe('ACL 2.0 rules added by rocketmq-ts', () => {
  it('refuses broker-wide changes to a Normal user without Cluster Update, and lets a Super user through', async () => {
    expect((await asRoot(createAcl('User:u2', [
      { resource: 'Topic:*', actions: ['All'], decision: 'Allow' },
      { resource: 'Group:*', actions: ['All'], decision: 'Allow' },
    ]))).code).toBe(ResponseCode.SUCCESS);
    expect((await asU(sendV2('T2', 'x'))).code).toBe(ResponseCode.SUCCESS);
    const r = await asU(updateConfig());
    expect([r.code, r.remark]).toEqual([ResponseCode.NO_PERMISSION, `User:u2 has no permission to access Cluster:${srv.broker.ctx.config.brokerClusterName} from 127.0.0.1, no matched policies.`]);
    expect(srv.broker.ctx.config.defaultTopicQueueNums).toBe(8);
    expect((await asRoot(updateConfig())).code).toBe(ResponseCode.SUCCESS);
    expect(srv.broker.ctx.config.defaultTopicQueueNums).toBe(5);
  });

  it('authorizes LITE_PULL_MESSAGE as PULL_MESSAGE', async () => {
    const r = await call(sign(litePull(), ROOT.username, ROOT.password));
    expect(r.code).not.toBe(ResponseCode.NO_PERMISSION);
    expect((await asRoot(createUser('u3', 'u3-secret'))).code).toBe(ResponseCode.SUCCESS);
    const refused = await call(sign(litePull(), 'u3', 'u3-secret'));
    expect([refused.code, refused.remark]).toEqual([ResponseCode.NO_PERMISSION, 'User:u3 has no permission to access Topic:T2 from 127.0.0.1, no matched policies.']);
  });
});
