/**
 * `--cpu-profile-dir`: two SIGUSR2s around some work write one V8 CPU profile of that span, and the
 * server keeps serving (bench/run.mjs --profile relies on this to profile one phase). Runs dist/cli.js
 * from a snapshot: a broker alone, whose NameServer is a port nobody answers on (registration fails, logged).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { snapshotDist } from '../support/our-server.js';
import { brokerPort, freePort } from '../support/ports.js';
import { startTracked, toProperties, type Tracked } from '../support/processes.js';
import { makeTempDir, removeDir } from '../support/server.js';

let dir = '';
let snapshot = '';
let proc: Tracked | undefined;

beforeAll(() => {
  dir = makeTempDir('rmqts-cpu-profile');
  snapshot = snapshotDist();
});
afterAll(async () => {
  await proc?.kill();
  fs.rmSync(snapshot, { recursive: true, force: true });
  removeDir(dir);
});

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !check();) {
    if (Date.now() > end) throw new Error(`not within ${timeoutMs} ms: ${what}\n${proc?.output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('SIGUSR2 starts a profile, the next writes it; the server stays up and stops cleanly', async () => {
  const listenPort = await brokerPort();
  const conf = path.join(dir, 'broker.conf');
  fs.writeFileSync(conf, toProperties({
    listenPort, storePathRootDir: path.join(dir, 'store'), mappedFileSizeCommitLog: 4 * 1024 * 1024,
    namesrvAddr: `127.0.0.1:${await freePort()}`, enableGrpcServer: false,
  }));
  const profiles = path.join(dir, 'profiles');
  proc = startTracked('rocketmq-ts broker', process.execPath, [path.join(snapshot, 'cli.js'), 'broker', '-c', conf, '--cpu-profile-dir', profiles], { cwd: dir });
  await proc.waitFor([new RegExp(`The broker\\[broker-a, 127\\.0\\.0\\.1:${listenPort}\\] boot success`)], 30_000);
  const running = proc;
  const pid = running.child.pid as number;
  process.kill(pid, 'SIGUSR2');
  await until('the profile started', () => running.output.includes('SIGUSR2: CPU profile 1 started'));
  expect(fs.readdirSync(profiles)).toEqual([]);
  process.kill(pid, 'SIGUSR2');
  await until('the profile written', () => running.output.includes('SIGUSR2: CPU profile written to'));
  const files = fs.readdirSync(profiles);
  expect(files).toEqual([`cpu-${pid}-1.cpuprofile`]);
  const profile = JSON.parse(fs.readFileSync(path.join(profiles, files[0]), 'utf8')) as { nodes: unknown[]; samples: number[]; startTime: number; endTime: number };
  expect(profile.nodes.length).toBeGreaterThan(0);
  expect(profile.endTime).toBeGreaterThan(profile.startTime);
  const stopped = await running.stop('SIGTERM', 15_000);
  expect(stopped).toMatchObject({ code: 0, killed: false });
  proc = undefined;
}, 60_000);
