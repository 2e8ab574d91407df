/**
 * A real full disk: our server (a separate process) keeps its store on a small tmpfs that the test fills
 * with a filler file. Checked through the wire, as a client sees it:
 *   - a nearly full disk never truncates config/topics.json (a short write is an error, the old file stays);
 *   - sends are refused with SERVICE_NOT_AVAILABLE (14) and Java's disk-usage remark from the first
 *     failed write on, while reads, and heartbeats of groups the broker has never seen, keep working;
 *   - once space is freed, sends are accepted again without a restart, and the topic created while the
 *     disk was full reaches topics.json;
 *   - SIGTERM on a full disk exits cleanly, and the broker restarts on the full disk, after a SIGTERM
 *     and after a SIGKILL, with every acknowledged message readable.
 * Mounting needs root; elsewhere the suite is skipped (test/store/no-space.test.ts covers the same
 * rules with injected ENOSPC).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RemotingClient } from '../../src/remoting/client.js';
import type { RemotingCommand } from '../../src/remoting/command.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { parseFastJson } from '../../src/codec/fastjson.js';
import { startOurServer } from '../support/our-server.js';
import type { RunningServer } from '../support/server.js';
import { consumerHeartbeat, createTopicRequest, pullRequest, pulledRecords, sendV2 } from '../support/wire.js';

const TMPFS_BYTES = 24 * 1024 * 1024;
const TOPIC = 'FullDiskT';
const TIMEOUT_MS = 5_000;

function tryMount(dir: string): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'needs root on Linux to mount a tmpfs';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES}`, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return `cannot mount a tmpfs here: ${(e as Error).message.split('\n')[0]}`;
  }
}

const mountDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmqts-full-'));
const cannotMount = tryMount(mountDir);
if (cannotMount) console.warn(`disk-full suite skipped: ${cannotMount}`);

const client = new RemotingClient(() => {});
let srv: RunningServer | undefined;
const filler = path.join(mountDir, 'filler');
const topicsJson = path.join(mountDir, 'store', 'config', 'topics.json');

/** Writes the filler until at most `leaveBytes` of the tmpfs are free. */
function fill(leaveBytes: number): void {
  const fd = fs.openSync(filler, 'a');
  try {
    for (let chunk = 1024 * 1024; chunk >= 4096; chunk /= 2) {
      const buf = Buffer.alloc(chunk, 1);
      while (fs.statfsSync(mountDir).bavail * fs.statfsSync(mountDir).bsize - chunk >= leaveBytes) {
        try {
          fs.writeSync(fd, buf);
        } catch {
          break;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

const freeBytes = () => fs.statfsSync(mountDir).bavail * fs.statfsSync(mountDir).bsize;
const invoke = (req: RemotingCommand) => client.invoke(srv!.brokerAddr, req, TIMEOUT_MS);

/** Every body in TOPIC/0, read with pulls from offset 0. */
async function readAll(group = 'reader'): Promise<string[]> {
  // A pull needs the group's subscription, which the consumer's heartbeat registers.
  expect((await invoke(consumerHeartbeat(`${group}@1`, group, TOPIC))).code).toBe(ResponseCode.SUCCESS);
  const out: string[] = [];
  let offset = 0;
  for (;;) {
    const res = await invoke(pullRequest(group, TOPIC, 0, offset));
    if (res.code !== ResponseCode.SUCCESS) return out;
    for (const r of pulledRecords(res)) out.push(r.body.toString());
    offset = Number(res.extFields!.nextBeginOffset);
  }
}

async function eventually(what: string, ok: () => Promise<boolean>, ms = 8_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(cannotMount !== undefined)('a full disk (real tmpfs)', () => {
  const acked: string[] = [];
  const send = async (body: string) => {
    const res = await invoke(sendV2(TOPIC, body));
    if (res.code === ResponseCode.SUCCESS) {
      expect(Number(res.extFields!.queueOffset)).toBe(acked.length);
      acked.push(body);
    }
    return res;
  };

  beforeAll(async () => {
    srv = await startOurServer({
      conf: {
        storePathRootDir: path.join(mountDir, 'store'),
        mappedFileSizeCommitLog: 4 * 1024 * 1024,
        maxMessageSize: 64 * 1024,
        flushConsumerOffsetInterval: 1_000,
        defaultTopicQueueNums: 1,
      },
    });
    for (let i = 0; i < 20; i++) expect((await send(`before-${i}`)).code).toBe(ResponseCode.SUCCESS);
  }, 60_000);

  afterAll(async () => {
    client.close();
    await srv?.dispose();
    try {
      execFileSync('umount', [mountDir], { stdio: 'pipe' });
    } catch {
      // not mounted (skipped suite)
    }
    fs.rmSync(mountDir, { recursive: true, force: true });
  });

  it('keeps topics.json whole when a topic is created on a nearly full disk', async () => {
    for (let i = 0; i < 40; i++) expect((await invoke(createTopicRequest(`Padding${i}`, 1))).code).toBe(ResponseCode.SUCCESS);
    const before = fs.readFileSync(topicsJson, 'utf8');
    expect(before.length).toBeGreaterThan(4096); // longer than the one page left free: the write comes up short
    fill(4096);
    expect(freeBytes()).toBeLessThanOrEqual(4096);
    const res = await invoke(createTopicRequest('CreatedWhileFull', 1));
    // ConfigManager#persist logs a failed write and the create still succeeds in memory, as in Java.
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(fs.readFileSync(topicsJson, 'utf8')).toBe(before);
    expect(() => parseFastJson(fs.readFileSync(topicsJson, 'utf8'))).not.toThrow();
  });

  it('refuses sends with SERVICE_NOT_AVAILABLE from the first failed write, and keeps serving reads and new groups', async () => {
    fill(0);
    let refused: RemotingCommand | undefined;
    for (let i = 0; i < 64 && !refused; i++) {
      const res = await send(`full-${i}`.padEnd(3000, '.'));
      if (res.code !== ResponseCode.SUCCESS) refused = res;
    }
    expect(refused?.code).toBe(ResponseCode.SERVICE_NOT_AVAILABLE);
    expect(refused?.remark).toMatch(/the broker's disk is full \[CL: +1\.00 CQ: +1\.00 INDEX: +1\.00\]/);
    // From then on every send is refused at once.
    for (let i = 0; i < 3; i++) expect((await send('refused')).code).toBe(ResponseCode.SERVICE_NOT_AVAILABLE);
    expect(await readAll()).toEqual(acked);
  });

  it('lets a group the broker has never seen join and read while the disk is full', async () => {
    expect(freeBytes()).toBe(0);
    // Its heartbeat creates the group; writing subscriptionGroup.json fails, the heartbeat does not.
    const hb = await invoke(consumerHeartbeat('client-full@1', 'GroupBornOnFullDisk', TOPIC));
    expect(hb.code).toBe(ResponseCode.SUCCESS);
    expect(await readAll('GroupBornOnFullDisk')).toEqual(acked);
  });

  it('accepts sends again once space is freed, without a restart, and writes the pending topics.json', async () => {
    fs.rmSync(filler);
    await eventually('a send is accepted', async () => (await send('after-free')).code === ResponseCode.SUCCESS);
    await eventually('topics.json has the topic created while full', async () =>
      fs.readFileSync(topicsJson, 'utf8').includes('"CreatedWhileFull"'));
    expect(await readAll()).toEqual(acked);
  });

  it('stops cleanly on a full disk and restarts on it, after SIGTERM and after SIGKILL, with every acknowledged message', async () => {
    fill(0);
    for (let i = 0; i < 64; i++) if ((await send(`more-${i}`.padEnd(3000, '.'))).code !== ResponseCode.SUCCESS) break;
    const [stopped] = await srv!.stop();
    expect(stopped.killed).toBe(false);
    expect(stopped.code).toBe(0);
    await srv!.restart(); // boots with the disk still full
    expect(freeBytes()).toBeLessThan(64 * 1024);
    expect(await readAll()).toEqual(acked);
    await srv!.kill();
    await srv!.restart();
    expect(await readAll()).toEqual(acked);
    fs.rmSync(filler);
    await eventually('a send is accepted', async () => (await send('end')).code === ResponseCode.SUCCESS);
    await srv!.restart();
    expect(await readAll()).toEqual(acked);
  });
});
