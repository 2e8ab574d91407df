/**
 * A master and a slave broker in this process, behind our NameServer: the slave learns its master from
 * the NameServer's registration answer (no haMasterAddress), replicates what is sent to the master over
 * TCP, serves it to pulls with the master's queue offsets and message bytes, counts the replicated
 * records as its puts, and leaves an unset haMasterAddress out of GET_BROKER_CONFIG as Java does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKER_CONFIG_DEFAULTS, type BrokerConfig } from '../../src/config/broker-config.js';
import { BrokerController } from '../../src/server/broker-controller.js';
import { DefaultMessageStore } from '../../src/store/default-message-store.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, requestBody } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { parseFastJson } from '../../src/codec/fastjson-parse.js';
import { freeBrokerPort, startInProcess, type InProcessServer } from './in-process.js';
import { consumerHeartbeat, createTopicRequest, pullRequest, pulledRecords, sendV2 } from '../support/wire.js';

const client = new RemotingClient();
let master: InProcessServer;
let slave: BrokerController;
let slaveAddr = '';

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function runtimeInfo(addr: string): Promise<Record<string, string>> {
  const res = await client.invoke(addr, createRequest(RequestCode.GET_BROKER_RUNTIME_INFO), 3000);
  return (parseFastJson(requestBody(res)!.toString('utf8')) as { table: Record<string, string> }).table;
}

beforeAll(async () => {
  master = await startInProcess({ brokerRole: 'SYNC_MASTER' });
  const listenPort = await freeBrokerPort();
  const cfg: BrokerConfig = {
    ...BROKER_CONFIG_DEFAULTS,
    brokerName: master.broker.config.brokerName,
    brokerRole: 'SLAVE',
    brokerId: 1,
    listenPort,
    haListenPort: listenPort + 1,
    storePathRootDir: path.join(master.dir, 'slave'),
    storePathCommitLog: path.join(master.dir, 'slave', 'commitlog'),
    mappedFileSizeCommitLog: master.broker.config.mappedFileSizeCommitLog,
    namesrvAddr: master.namesrvAddr,
  };
  slave = new BrokerController(cfg, new DefaultMessageStore(cfg));
  await slave.start();
  slaveAddr = slave.brokerAddr;
}, 60_000);

afterAll(async () => {
  await slave?.shutdown();
  await master?.stop();
  client.close();
});

describe('a master and a slave broker behind our NameServer', () => {
  it('the slave finds its master through the NameServer, and SYNC_MASTER sends are acknowledged once it has them', async () => {
    const created = await client.invoke(master.brokerAddr, createTopicRequest('TopicRG', 2), 3000);
    expect([created.code, created.remark]).toEqual([ResponseCode.SUCCESS, undefined]);
    await until('the slave to connect', async () => (await runtimeInfo(master.brokerAddr)).haConnectionCount === '1');
    const sent: Array<{ queueId: number; queueOffset: number; msgId: string }> = [];
    for (let i = 0; i < 20; i++) {
      const res = await client.invoke(master.brokerAddr, sendV2('TopicRG', `body-${i}`, { queueId: i % 2, props: { KEYS: `k${i}`, TAGS: 'T' } }), 5000);
      expect(res.code).toBe(ResponseCode.SUCCESS);
      sent.push({ queueId: i % 2, queueOffset: Number(res.extFields!.queueOffset), msgId: res.extFields!.msgId });
    }
    // SYNC_MASTER: each acknowledged send is already on the slave. A pull needs the topic in the slave's
    // table, which SlaveSynchronize copies (first after 3 s, then every 10 s), as on a Java slave.
    await until('the topic table to be copied', () => {
      const f = path.join(master.dir, 'slave', 'config', 'topics.json');
      return fs.existsSync(f) && fs.readFileSync(f, 'utf8').includes('TopicRG');
    });
    for (const addr of [master.brokerAddr, slaveAddr]) {
      expect((await client.invoke(addr, consumerHeartbeat('rg-client', 'rg-group', 'TopicRG'), 3000)).code).toBe(ResponseCode.SUCCESS);
    }
    for (const q of [0, 1]) {
      const res = await client.invoke(slaveAddr, pullRequest('rg-group', 'TopicRG', q, 0), 3000);
      expect(res.code).toBe(ResponseCode.SUCCESS);
      const records = pulledRecords(res);
      expect(records.map((r) => r.queueOffset)).toEqual(sent.filter((s) => s.queueId === q).map((s) => s.queueOffset));
      expect(records.map((r) => r.body.toString())).toEqual(sent.filter((s) => s.queueId === q).map((_, j) => `body-${j * 2 + q}`));
      // The master's own pull returns the same bytes.
      const fromMaster = await client.invoke(master.brokerAddr, pullRequest('rg-group', 'TopicRG', q, 0), 3000);
      expect(requestBody(res)!.equals(requestBody(fromMaster)!)).toBe(true);
    }
  });

  it('the slave counts replicated records as puts, refuses sends with code 14, and leaves an unset haMasterAddress out of its config', async () => {
    const info = await runtimeInfo(slaveAddr);
    expect(Number(info.putMessageTimesTotal)).toBeGreaterThanOrEqual(20);
    expect(info.haMasterConnected).toBe('true');
    const refused = await client.invoke(slaveAddr, sendV2('TopicRG', 'to the slave'), 3000);
    expect(refused.code).toBe(ResponseCode.SERVICE_NOT_AVAILABLE);
    const conf = requestBody(await client.invoke(slaveAddr, createRequest(RequestCode.GET_BROKER_CONFIG), 3000))!.toString('utf8');
    expect(conf).toMatch(/^brokerRole=SLAVE$/m);
    expect(conf).not.toMatch(/^haMasterAddress=/m);
  });
});
