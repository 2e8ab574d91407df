/**
 * The embedding API as a user's test meets it: `import { startStandalone } from 'rocketmq-ts'` (the
 * package entry, dist/index.js through package.json "exports": run `npm run build` first), free ports
 * by default, a temp store removed at stop, a message sent and pulled back over TCP, and broker.conf's
 * key checks on `config`.
 */
import { describe, test, expect, afterAll } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startStandalone, ConfigError, type Standalone } from 'rocketmq-ts';
import { RemotingClient } from '../../src/remoting/client.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { consumerHeartbeat, pullRequest, pulledRecords, sendV2 } from '../support/wire.js';

const client = new RemotingClient();
const started: Standalone[] = [];
afterAll(async () => {
  client.close();
  for (const s of started) await s.stop();
});

const portOf = (addr: string): number => Number(addr.slice(addr.lastIndexOf(':') + 1));

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '0.0.0.0', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

describe('startStandalone from the package entry', () => {
  test('free ports and a temp store; send + pull; stop frees the ports and removes the store', async () => {
    const s = await startStandalone({ config: { brokerName: 'embedded-a' } });
    started.push(s);
    const namesrvPort = portOf(s.namesrvAddr);
    const brokerPort = portOf(s.brokerAddr);
    // The gRPC endpoint (enableGrpcServer defaults to true) on a free port too.
    expect(s.endpoints.grpc).toMatch(/^127\.0\.0\.1:\d+$/);
    const grpcPort = portOf(s.endpoints.grpc);
    expect(grpcPort).not.toBe(8081);
    expect(namesrvPort).not.toBe(9876);
    expect(brokerPort).not.toBe(10911);
    expect(s.dataDir.startsWith(os.tmpdir())).toBe(true);
    expect(fs.existsSync(path.join(s.dataDir, 'store'))).toBe(true);
    // The broker's ports (main, VIP = main-2, HA = main+1), the NameServer's and gRPC's are bound while it runs.
    for (const p of [namesrvPort, brokerPort, brokerPort - 2, brokerPort + 1, grpcPort]) expect(await canBind(p)).toBe(false);

    const sent = await client.invoke(s.brokerAddr, sendV2('EmbedTopic', 'hello from a test'), 5000);
    expect(sent.code).toBe(ResponseCode.SUCCESS);
    // A pull needs the group's subscription, which the consumer's heartbeat registers.
    expect((await client.invoke(s.brokerAddr, consumerHeartbeat('embed@1', 'EmbedGroup', 'EmbedTopic'), 5000)).code).toBe(ResponseCode.SUCCESS);
    const pulled = await client.invoke(s.brokerAddr, pullRequest('EmbedGroup', 'EmbedTopic', 0, 0), 5000);
    expect(pulled.code).toBe(ResponseCode.SUCCESS);
    expect(pulledRecords(pulled).map((r) => r.body.toString())).toEqual(['hello from a test']);

    await s.stop();
    for (const p of [namesrvPort, brokerPort, brokerPort - 2, brokerPort + 1, grpcPort]) expect(await canBind(p)).toBe(true);
    expect(fs.existsSync(s.dataDir)).toBe(false);
  });

  test('two side by side; a given dataDir is kept at stop', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmqts-embed-'));
    try {
      const [a, b] = await Promise.all([startStandalone(), startStandalone({ dataDir })]);
      started.push(a, b);
      expect(new Set([a.namesrvAddr, b.namesrvAddr]).size).toBe(2);
      expect(new Set([a.brokerAddr, b.brokerAddr]).size).toBe(2);
      expect(b.storePath).toBe(path.join(dataDir, 'store'));
      await Promise.all([a.stop(), b.stop()]);
      expect(fs.existsSync(a.dataDir)).toBe(false);
      expect(fs.existsSync(path.join(dataDir, 'store', 'commitlog'))).toBe(true);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('config keys are checked as broker.conf: an unknown key or a bad value names the key', async () => {
    const unknown = startStandalone({ config: { brokerNmae: 'x' } as never });
    await expect(unknown).rejects.toThrow(ConfigError);
    await expect(unknown).rejects.toThrow(/unknown config key "brokerNmae"/);
    await expect(startStandalone({ config: { flushDiskType: 'SOMETIMES' } as never })).rejects.toThrow(/flushDiskType=SOMETIMES is not one of/);
    await expect(startStandalone({ config: { listenPort: 70000 } })).rejects.toThrow(/listenPort=70000 is out of range/);
  });
});
