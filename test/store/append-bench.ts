/**
 * Store micro-benchmark (not a test): `npx vite-node test/store/append-bench.ts [count] [inflight]`.
 * Appends 128-byte records on real files with `inflight` sends outstanding (as many concurrent
 * producers would), then pulls them all back, then restarts the store and times recovery.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brokerConfig } from '../../src/config/broker-config.js';
import { DefaultMessageStore } from '../../src/store/default-message-store.js';
import { msg } from './helpers.js';

const count = Number(process.argv[2] ?? 300_000);
const inflight = Number(process.argv[3] ?? 256);
const flushDiskType = process.argv[4] ?? 'ASYNC_FLUSH';
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rmq-bench-'));
const config = brokerConfig({ storePathRootDir: root, mappedFileSizeCommitLog: 64 * 1024 * 1024, flushDiskType });

async function main(): Promise<void> {
  let store = new DefaultMessageStore(config);
  await store.start();
  const body = Buffer.alloc(128, 0x61);
  const m = (i: number) => msg('BenchTopic', i % 8, body, { tags: 'TagA', keys: `k${i}` });
  let sent = 0;
  let done = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (sent < count && sent - done < inflight) {
        store.putMessage(m(sent++)).then((r) => {
          if (r.status !== 'PUT_OK') throw new Error(r.status);
          if (++done === count) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  const tPut = performance.now() - t0;
  const cPut = process.cpuUsage(c0);
  const t1 = performance.now();
  let got = 0;
  for (let q = 0; q < 8; q++) {
    let off = 0;
    for (;;) {
      const g = store.getMessage('g', 'BenchTopic', q, off, 32);
      if (g.status !== 'FOUND') break;
      got += g.messageCount;
      off = g.nextBeginOffset;
    }
  }
  const tGet = performance.now() - t1;
  const bytes = store.getMaxPhyOffset();
  await store.shutdown();
  // Crash-style restart without a checkpoint: the whole log is scanned, verified and re-indexed.
  fs.rmSync(path.join(root, 'checkpoint'), { force: true });
  fs.writeFileSync(path.join(root, 'abort'), '');
  const t2 = performance.now();
  store = new DefaultMessageStore(config);
  await store.start();
  const tRecover = performance.now() - t2;
  await store.shutdown();
  console.log(JSON.stringify({
    node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, flushDiskType, count, inflight,
    putPerSec: Math.round(count / (tPut / 1000)), putPerCpuSec: Math.round(count / ((cPut.user + cPut.system) / 1e6)), logMB: +(bytes / 1048576).toFixed(1),
    pulled: got, getPerSec: Math.round(got / (tGet / 1000)), recoverMs: Math.round(tRecover),
    rssMB: Math.round(process.memoryUsage().rss / 1048576),
  }));
  fs.rmSync(root, { recursive: true, force: true });
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
