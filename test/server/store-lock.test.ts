/**
 * One process per store, black-box with real processes: a second server on a store another one is
 * serving must refuse to start (with the Apache broker's message) before it reads or writes anything
 * there, the first must keep serving, and the OS must free the lock when its holder is SIGKILLed.
 * The lock must also exclude the Apache broker's own (Java FileChannel.tryLock), and the other way round.
 * Needs `npm run build` (runs dist/cli.js) and a JDK (the single-file launcher runs the Java lock holder).
 * The last block checks the same in one process, where only a clean shutdown can hand the lock back.
 */
import { needsTool } from '../support/tools.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotDist, startOurServer } from '../support/our-server.js';
import { startTracked, type ExitStatus, type Tracked } from '../support/processes.js';
import { brokerPort, freePort } from '../support/ports.js';
import { REPO_ROOT, type RunningServer } from '../support/server.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, requestBody, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { PullSysFlag } from '../../src/protocol/sys-flag.js';
import { decodeRecord } from '../../src/codec/message-record.js';
import { BrokerController } from '../../src/server/broker-controller.js';
import { DefaultMessageStore } from '../../src/store/default-message-store.js';
import { StoreLock } from '../../src/store/store-lock.js';
import { BROKER_CONFIG_DEFAULTS, type BrokerConfig } from '../../src/config/broker-config.js';
import { freeBrokerPort } from './in-process.js';

const TIMEOUT_MS = 5000;
/** A refused start exits at once; a start that was not refused would still be running after this. */
const EXIT_WAIT_MS = 30_000;
const READY_WAIT_MS = 30_000;
/** Longer than the first server's flush intervals, so its own writes have landed before the snapshot. */
const QUIET_MS = 1500;
const TOPIC = 'StoreLockT';
const LOCK_MESSAGE = 'Lock failed,MQ already started';
/** The Java lock holder runs as a JDK single-file program; without a JDK those two tests are left out. */
const HAS_JAVA = needsTool('java');
const JAVA_LOCK_HOLDER = path.join(REPO_ROOT, 'test', 'fixtures', 'java', 'StoreLockHolder.java');
/**
 * Files the live first server itself may rewrite while the test watches (checkpoint and consume
 * progress on timers); everything else in the store must be byte- and mtime-identical.
 */
const WRITTEN_BY_LIVE_SERVER = /^(checkpoint|config\/(consumerOffset|delayOffset|consumerFilter|timerCheckpoint)\.json(\.bak|\.tmp)?)$/;

let snapshot: string;
let cli: string;
let first: RunningServer;
let storeRoot: string;
let confPath: string;
const client = new RemotingClient(() => {});
const sent: string[] = [];

function send(addr: string, body: string): Promise<RemotingCommand> {
  return client.invoke(addr, createRequest(RequestCode.SEND_MESSAGE_V2, {
    a: 'lock-test-pg', b: TOPIC, c: 'TBW102', d: '1', e: '0', f: '0', g: String(Date.now()), h: '0', i: '', j: '0', k: 'false', m: 'false',
  }, Buffer.from(body)), TIMEOUT_MS);
}

async function sendOk(addr: string, body: string): Promise<void> {
  const r = await send(addr, body);
  expect(r.code, r.remark).toBe(ResponseCode.SUCCESS);
  sent.push(body);
}

/** Bodies of queue 0 of TOPIC from offset 0, as a consumer pulls them. */
async function pullAll(addr: string): Promise<string[]> {
  const r = await client.invoke(addr, createRequest(RequestCode.PULL_MESSAGE, {
    consumerGroup: 'lock-test-cg', topic: TOPIC, queueId: '0', queueOffset: '0', maxMsgNums: '64',
    // The subscription travels with the pull: this group never sent a heartbeat.
    sysFlag: String(PullSysFlag.FLAG_SUBSCRIPTION), subscription: '*', expressionType: 'TAG',
    commitOffset: '0', suspendTimeoutMillis: '0', subVersion: '0',
  }), TIMEOUT_MS);
  expect(r.code).toBe(ResponseCode.SUCCESS);
  const body = requestBody(r) ?? Buffer.alloc(0);
  const out: string[] = [];
  for (let pos = 0; pos < body.length; pos += body.readInt32BE(pos)) out.push(decodeRecord(body, pos).body.toString('utf8'));
  return out;
}

/** Every store file but the live server's own timer writes: path → size, mtime, content hash. */
function storeState(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      const rel = path.relative(root, p).split(path.sep).join('/');
      if (e.isDirectory()) walk(p);
      else if (!WRITTEN_BY_LIVE_SERVER.test(rel)) {
        const st = fs.statSync(p);
        const hash = crypto.createHash('sha1').update(fs.readFileSync(p)).digest('hex');
        out.set(rel, `${st.size} ${st.mtimeMs} ${hash}`);
      }
    }
  };
  walk(root);
  return out;
}

/** Runs a process that is expected to exit; one still running after EXIT_WAIT_MS is killed and reported as such. */
async function runToExit(name: string, command: string, args: string[]): Promise<{ status: ExitStatus | 'still running'; output: string }> {
  const p = startTracked(name, command, args, { cwd: first.dir, env: { ...process.env } });
  let timer: NodeJS.Timeout | undefined;
  const status = await Promise.race([
    p.exited,
    new Promise<'still running'>((resolve) => {
      timer = setTimeout(() => resolve('still running'), EXIT_WAIT_MS);
    }),
  ]);
  clearTimeout(timer);
  if (status === 'still running') await p.kill();
  return { status, output: p.output };
}

/** The first server's broker.conf with another listenPort: a second server that shares only the store. */
async function confWithOtherPorts(): Promise<string> {
  const text = fs.readFileSync(confPath, 'utf8').replace(/^listenPort=.*$/m, `listenPort=${await brokerPort()}`);
  const file = path.join(first.dir, 'broker-second.conf');
  fs.writeFileSync(file, text);
  return file;
}

function startJavaLockHolder(): Tracked {
  return startTracked('java StoreLockHolder', 'java', [JAVA_LOCK_HOLDER, path.join(storeRoot, 'lock')], { cwd: first.dir });
}

beforeAll(async () => {
  snapshot = snapshotDist();
  cli = path.join(snapshot, 'cli.js');
  first = await startOurServer({ cliPath: cli });
  storeRoot = path.join(first.dir, 'store');
  confPath = path.join(first.dir, 'broker.conf');
  for (let i = 0; i < 5; i++) await sendOk(first.brokerAddr, `before-${i}`);
});

afterAll(async () => {
  client.close();
  await first?.dispose();
  if (snapshot) fs.rmSync(snapshot, { recursive: true, force: true });
});

describe('one process per store', () => {
  it('a second standalone on the same store (other ports) exits non-zero with the Apache message and touches nothing', async () => {
    await new Promise((r) => setTimeout(r, QUIET_MS));
    const before = storeState(storeRoot);
    expect([...before.keys()]).toEqual(expect.arrayContaining(['lock', 'abort', 'config/topics.json', `consumequeue/${TOPIC}/0/00000000000000000000`]));
    const r = await runToExit('second standalone', process.execPath,
      [cli, 'standalone', '-c', await confWithOtherPorts(), '--namesrv-port', String(await freePort())]);
    expect(r.status, r.output).not.toBe('still running');
    expect((r.status as ExitStatus).code, r.output).not.toBe(0);
    expect(r.output).toContain(LOCK_MESSAGE);
    // Refused before its NameServer or broker came up.
    expect(r.output).not.toMatch(/boot success/);
    expect(storeState(storeRoot)).toEqual(before);
    // The first is still serving: a new message is acknowledged and everything acknowledged is readable.
    await sendOk(first.brokerAddr, 'after-second-standalone');
    expect(await pullAll(first.brokerAddr)).toEqual(sent);
  });

  it('a second broker on the same store and the same ports fails on the lock, not the port, and runs no recovery', async () => {
    await new Promise((r) => setTimeout(r, QUIET_MS));
    const before = storeState(storeRoot);
    const r = await runToExit('second broker', process.execPath, [cli, 'broker', '-c', confPath, '-n', first.namesrvAddr]);
    expect(r.status, r.output).not.toBe('still running');
    expect((r.status as ExitStatus).code, r.output).not.toBe(0);
    expect(r.output).toContain(LOCK_MESSAGE);
    expect(r.output).not.toMatch(/recovery|EADDRINUSE/);
    expect(storeState(storeRoot)).toEqual(before);
    await sendOk(first.brokerAddr, 'after-second-broker');
    expect(await pullAll(first.brokerAddr)).toEqual(sent);
  });

  it.skipIf(!HAS_JAVA)('the Apache broker\'s lock (Java FileChannel.tryLock on byte 0) is refused while we hold the store', async () => {
    const r = await runToExit('java StoreLockHolder', 'java', [JAVA_LOCK_HOLDER, path.join(storeRoot, 'lock')]);
    expect(r.status, r.output).toMatchObject({ code: 3 });
    expect(r.output).toContain(LOCK_MESSAGE);
  });

  it.skipIf(!HAS_JAVA)('after SIGKILL the OS frees the lock: a Java holder excludes us, then a new instance starts and serves what was acknowledged', async () => {
    await first.kill();
    // The killed process's lock is gone: the Java broker's way of locking gets it...
    const java = startJavaLockHolder();
    try {
      await java.waitFor([/^locked$/m], READY_WAIT_MS);
      // ...and while Java holds it, we refuse to start.
      const r = await runToExit('standalone against Java', process.execPath,
        [cli, 'standalone', '-c', await confWithOtherPorts(), '--namesrv-port', String(await freePort())]);
      expect(r.status, r.output).not.toBe('still running');
      expect((r.status as ExitStatus).code, r.output).not.toBe(0);
      expect(r.output).toContain(LOCK_MESSAGE);
    } finally {
      await java.kill();
    }
    // Java killed: a new instance on the first's store and ports starts and serves every acknowledged message.
    const namesrvPort = first.namesrvAddr.split(':')[1];
    const again = startTracked('restarted standalone', process.execPath, [cli, 'standalone', '-c', confPath, '--namesrv-port', namesrvPort], { cwd: first.dir });
    try {
      await again.waitFor([/The broker\[broker-a, 127\.0\.0\.1:\d+\] boot success/], READY_WAIT_MS);
      expect(await pullAll(first.brokerAddr)).toEqual(sent);
      await sendOk(first.brokerAddr, 'after-restart');
      expect(await pullAll(first.brokerAddr)).toEqual(sent);
    } finally {
      const stopped = await again.stop('SIGTERM', 15_000);
      expect(stopped.killed, again.output).toBe(false);
    }
  });
});

describe('in one process', () => {
  it('a broker holds the lock from the start of start() to the end of a clean shutdown', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmqts-lock-'));
    const config = async (): Promise<BrokerConfig> => {
      const listenPort = await freeBrokerPort();
      return {
        ...BROKER_CONFIG_DEFAULTS, listenPort, haListenPort: listenPort + 1, namesrvAddr: '',
        storePathRootDir: dir, storePathCommitLog: path.join(dir, 'commitlog'), mappedFileSizeCommitLog: 4 * 1024 * 1024,
      };
    };
    try {
      const cfg = await config();
      const broker = new BrokerController(cfg, new DefaultMessageStore(cfg));
      await broker.start();
      expect(() => StoreLock.acquire(dir)).toThrow(LOCK_MESSAGE);
      // A second broker in the same process is refused as well, before its store is opened.
      const cfg2 = await config();
      const store2 = new DefaultMessageStore(cfg2);
      await expect(new BrokerController(cfg2, store2).start()).rejects.toThrow(LOCK_MESSAGE);
      expect(fs.readFileSync(path.join(dir, 'lock'), 'utf8')).toBe('lock');
      await broker.shutdown();
      const again = StoreLock.acquire(dir);
      expect(again.held).toBe(true);
      again.release();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
