/**
 * SIGKILL at random moments against a store child process on real files: every send the child
 * acknowledged must be there after restart, intact and at its queue offset (ASYNC_FLUSH: bytes are
 * written before the ack; SYNC_FLUSH: synced before the ack).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokerConfig } from '../../src/config/broker-config.js';
import { decodeRecord, verifyRecord } from '../../src/codec/message-record.js';
import { DefaultMessageStore } from '../../src/store/default-message-store.js';

/** Opt-in (each round starts a vite-node child, seconds on a loaded 2-core box): STORE_KILLS=20 npx vitest run test/store/kill.test.ts */
const KILLS = Number(process.env.STORE_KILLS ?? 0);
const VITE_NODE = path.resolve('node_modules/.bin/vite-node');

function runAndKill(dir: string, flush: string, firstSeq: number, killAfterMs: number): Promise<Array<[number, number, string]>> {
  return new Promise((resolve, reject) => {
    const child = spawn(VITE_NODE, ['test/store/kill-child.ts', dir, flush, String(firstSeq)], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ROCKETMQ_TS_LOG: 'error' },
    });
    const acks: Array<[number, number, string]> = [];
    let buf = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === 'ready') setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        else if (line.startsWith('ack ')) {
          const [, q, off, body] = line.split(' ');
          acks.push([Number(q), Number(off), body]);
        }
      }
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(acks) : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
}

describe.skipIf(KILLS === 0).each(['ASYNC_FLUSH', 'SYNC_FLUSH'])('SIGKILL of a store process (%s)', (flush) => {
  it(`keeps every acknowledged send through ${KILLS} kills`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmq-kill-'));
    const acked = new Map<string, string>(); // "q/off" -> body
    let seq = 0;
    try {
      for (let round = 0; round < KILLS; round++) {
        const acks = await runAndKill(dir, flush, seq, 200 + Math.floor(Math.random() * 600));
        seq += 1_000_000;
        for (const [q, off, body] of acks) acked.set(`${q}/${off}`, body);
        const s = new DefaultMessageStore(brokerConfig({
          storePathRootDir: dir, flushDiskType: flush, mappedFileSizeCommitLog: 256 * 1024, mappedFileSizeConsumeQueue: 20 * 1000,
          maxHashSlotNum: 1000, maxIndexNum: 5000,
        }), { replication: false });
        await s.start();
        try {
          for (const [key, body] of acked) {
            const [q, off] = key.split('/').map(Number);
            const g = s.getMessage('check', 'Kill', q, off, 1);
            expect(g.status, `${key} after round ${round}`).toBe('FOUND');
            const b = g.buffers[0];
            expect(verifyRecord(b, 0, b.length)).toBeUndefined();
            expect(decodeRecord(b).body.toString()).toBe(body);
          }
          const some = [...acked.values()][Math.floor(acked.size / 2)];
          if (some) expect(s.queryMessage('Kill', `s${Number(some.split('-')[1]) + 1}`, 4, 0, Number.MAX_SAFE_INTEGER).messageCount).toBeGreaterThan(0);
        } finally {
          await s.shutdown();
        }
        // The next child starts from a clean shutdown half the time, from a crash state otherwise.
        if (round % 2 === 1) fs.writeFileSync(path.join(dir, 'abort'), '');
      }
      expect(acked.size).toBeGreaterThan(100);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000 + KILLS * 30_000);
});
