/**
 * A master secured with ACL 2.0 (authentication and authorization) and its slaves, in this process: the
 * master's innerClientAuthenticationCredentials become a Super user at its start (as 5.3.3's initUser
 * does), so a slave signing its synchronization requests with the same credentials copies the master's
 * topics, groups and offsets, and a slave without them is refused ("username cannot be null.").
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKER_CONFIG_DEFAULTS, type BrokerConfig } from '../../src/config/broker-config.js';
import { BrokerController } from '../../src/server/broker-controller.js';
import { DefaultMessageStore } from '../../src/store/default-message-store.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import type { SlaveSynchronize } from '../../src/broker/slave/slave-synchronize.js';
import { freeBrokerPort, startInProcess, type InProcessServer } from '../server/in-process.js';
import { createTopicRequest } from '../support/wire.js';
import { createUser, sign } from './v2-support.js';

const INNER = JSON.stringify({ accessKey: 'inner-sync', secretKey: 'inner-sync-secret' });
const ROOT = { username: 'root', password: 'root-secret' };
const client = new RemotingClient();
let master: InProcessServer;
const slaves: BrokerController[] = [];

async function startSlave(brokerId: number, credentials: string): Promise<BrokerController> {
  const listenPort = await freeBrokerPort();
  const dir = path.join(master.dir, `slave${brokerId}`);
  const cfg: BrokerConfig = {
    ...BROKER_CONFIG_DEFAULTS,
    brokerName: master.broker.config.brokerName,
    brokerRole: 'SLAVE',
    brokerId,
    listenPort,
    haListenPort: listenPort + 1,
    storePathRootDir: dir,
    storePathCommitLog: path.join(dir, 'commitlog'),
    mappedFileSizeCommitLog: master.broker.config.mappedFileSizeCommitLog,
    namesrvAddr: master.namesrvAddr,
    innerClientAuthenticationCredentials: credentials,
  };
  const slave = new BrokerController(cfg, new DefaultMessageStore(cfg));
  slaves.push(slave);
  await slave.start();
  return slave;
}

/** The slave's synchronizer, run on demand instead of waiting for its 3 s / 10 s timer. */
const syncOf = (b: BrokerController): SlaveSynchronize => (b as unknown as { slaveSync: SlaveSynchronize }).slaveSync;

async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  master = await startInProcess({
    brokerRole: 'ASYNC_MASTER',
    authenticationEnabled: true,
    authorizationEnabled: true,
    initAuthenticationUser: JSON.stringify(ROOT),
    innerClientAuthenticationCredentials: INNER,
  });
}, 60_000);

afterAll(async () => {
  for (const s of slaves) await s.shutdown();
  await master?.stop();
  client.close();
});

describe('a secured master and its slaves', () => {
  it('creates the inner credentials as a Super user and answers requests signed with them', async () => {
    const inner = master.broker.ctx.auth!.users.get('inner-sync');
    expect([inner?.userType, inner?.password]).toEqual(['Super', 'inner-sync-secret']);
    const vip = master.brokerAddr.replace(/:(\d+)$/, (_, p: string) => `:${Number(p) - 2}`);
    let r = await client.invoke(vip, createRequest(RequestCode.GET_ALL_TOPIC_CONFIG), 3000);
    expect([r.code, r.remark]).toEqual([ResponseCode.NO_PERMISSION, 'username cannot be null.']);
    r = await client.invoke(vip, sign(createRequest(RequestCode.GET_ALL_TOPIC_CONFIG), 'inner-sync', 'inner-sync-secret'), 3000);
    expect(r.code).toBe(ResponseCode.SUCCESS);
  });

  it('a slave with the inner credentials copies the topics; one without them is refused', async () => {
    const created = await client.invoke(master.brokerAddr, sign(createTopicRequest('SecuredSyncT'), ROOT.username, ROOT.password), 3000);
    expect(created.code).toBe(ResponseCode.SUCCESS);
    // A normal user without policies may not create topics: the master is really enforcing authorization.
    await client.invoke(master.brokerAddr, sign(createUser('plain', 'plain-secret'), ROOT.username, ROOT.password), 3000);
    const refused = await client.invoke(master.brokerAddr, sign(createTopicRequest('NotAllowedT'), 'plain', 'plain-secret'), 3000);
    expect(refused.code).toBe(ResponseCode.NO_PERMISSION);

    const good = await startSlave(1, INNER);
    const bad = await startSlave(2, '');
    await until('both slaves to learn the master', () => syncOf(good).masterAddr !== undefined && syncOf(bad).masterAddr !== undefined);
    await syncOf(good).syncAll();
    await syncOf(bad).syncAll();
    expect(good.ctx.topics.table.has('SecuredSyncT')).toBe(true);
    expect(bad.ctx.topics.table.has('SecuredSyncT')).toBe(false);
  }, 60_000);
});
