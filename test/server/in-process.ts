import net from 'node:net';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { NamesrvController } from '../../src/server/namesrv-controller.js';
import { BrokerController } from '../../src/server/broker-controller.js';
import { DefaultMessageStore } from '../../src/store/default-message-store.js';
import { BROKER_CONFIG_DEFAULTS, type BrokerConfig } from '../../src/config/broker-config.js';
import { NAMESRV_CONFIG_DEFAULTS } from '../../src/config/namesrv-config.js';

/** A port p on 127.0.0.1 with p-2 and p+1 free too (the broker's VIP and HA neighbours). */
export async function freeBrokerPort(): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p > 1026 && (await isFree(p - 2)) && (await isFree(p + 1))) return p;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '0.0.0.0', () => s.close(() => resolve(true)));
  });
}

export interface InProcessServer {
  namesrv: NamesrvController;
  broker: BrokerController;
  namesrvAddr: string;
  brokerAddr: string;
  dir: string;
  stop(): Promise<void>;
}

/** NameServer + broker in this process on free loopback ports, data in a temp dir. */
export async function startInProcess(overrides: Partial<BrokerConfig> = {}): Promise<InProcessServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmqts-'));
  const namesrv = new NamesrvController({ ...NAMESRV_CONFIG_DEFAULTS, listenPort: 0, kvConfigPath: path.join(dir, 'kvConfig.json') });
  await namesrv.start();
  const listenPort = await freeBrokerPort();
  const cfg: BrokerConfig = {
    ...BROKER_CONFIG_DEFAULTS,
    listenPort,
    haListenPort: listenPort + 1,
    storePathRootDir: path.join(dir, 'store'),
    storePathCommitLog: path.join(dir, 'store', 'commitlog'),
    mappedFileSizeCommitLog: 4 * 1024 * 1024,
    namesrvAddr: `127.0.0.1:${namesrv.port}`,
    ...overrides,
  };
  const broker = new BrokerController(cfg, new DefaultMessageStore(cfg));
  await broker.start();
  return {
    namesrv,
    broker,
    namesrvAddr: `127.0.0.1:${namesrv.port}`,
    brokerAddr: broker.brokerAddr,
    dir,
    async stop() {
      await broker.shutdown();
      await namesrv.shutdown();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
