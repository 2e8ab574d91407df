/**
 * The crash test, end to end through the official Java client: our broker, a child process on small
 * segments, runs under continuous load from CrashLoad (compat-tests/java: producers with sync sends, a push
 * consumer group, and a pull-loop group that commits its offsets every 100 ms) and is SIGKILLed at random
 * moments, KILLS times in a row per flush mode, restarting on the same store each time (every 4th time it
 * is killed once more while starting up). After each restart:
 * - the store recovered abnormally (the abort marker was there) and the broker came back;
 * - every send acknowledged since the previous check is readable at the queue offset its SendResult named,
 *   intact (CrashLoad's check: bodies carry their own seq and CRC);
 * - both groups' committed offsets on disk (config/consumerOffset.json, read while the broker is dead) never
 *   decreased from one kill to the next, never exceed what the client sent, and the broker reports at least
 *   those after restarting.
 * At the end a fresh JVM (CrashVerify) reads every queue from offset 0: every acknowledged send at its
 * offset, nothing corrupt anywhere, offsets dense, a sample of keys found through the index, committed
 * offsets within bounds and not behind the last ones on disk. Both consumers check every body, throughout.
 *
 * ASYNC_FLUSH acknowledges once the bytes are written to the OS and SYNC_FLUSH after fdatasync: a SIGKILL
 * ends the process, not the machine, so both must keep every acknowledged message (FLUSH_DISK_TIMEOUT
 * included: that message was written, only not synced in time).
 *
 * What the Java broker would not promise and this test therefore does not check: that offsets committed in
 * the last flushConsumerOffsetInterval before a kill survive it (they are persisted on that timer; 200 ms
 * here), and that the push consumer sees nothing twice (it re-consumes from the last persisted offsets).
 *
 * A third run adds malformed sends to the ASYNC_FLUSH load (compat-tests/malformed-sends.ts): header values
 * outside their Java types, sent to the load's own topic between the good sends. Every one must be refused,
 * and CrashVerify's dense-offset and read-back checks then prove that none of them took a queue offset or
 * CommitLog space that later acknowledged sends depend on, across the kills.
 *
 * CRASH_KILLS=n changes the number of kills per run (default 20).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeAll, ourBroker, ourNamesrv, type Node } from './support/cluster.js';
import { baseJvmArgs, describeFailure, javaClasspath, runJavaScenario } from './support/java.js';
import { snapshotDist } from '../test/support/our-server.js';
import { onExitCleanup, startTracked, type Tracked } from '../test/support/processes.js';
import { makeTempDir, removeDir } from '../test/support/server.js';
import { MalformedSender } from './malformed-sends.js';

const KILLS = Number(process.env.CRASH_KILLS ?? 20);
/** The runs: each flush mode under the Java load, and ASYNC_FLUSH again with malformed sends mixed in. */
const RUNS = [
  { flush: 'ASYNC_FLUSH', malformed: false },
  { flush: 'SYNC_FLUSH', malformed: false },
  { flush: 'ASYNC_FLUSH', malformed: true },
] as const;
/** How long the broker runs under load between ready and SIGKILL: random in this range. */
const UP_MS_MIN = 400;
const UP_MS_MAX = 2000;
/**
 * Every STARTUP_KILL_EVERY-th round the restarted broker is first killed again while starting (loading,
 * recovering, or just ready): recovery must survive a crash of itself. The range is where a restart spends
 * its first ~0.5 s here: loading modules, then recovering (from ~0.25 s), then serving.
 */
const STARTUP_KILL_EVERY = 4;
const STARTUP_KILL_MS_MIN = 150;
const STARTUP_KILL_MS_MAX = 550;
const BROKER_NAME = 'broker-crash';
const BROKER_CONF = {
  // ~300 sends/s of ~3 KiB: a CommitLog roll every few seconds, so kills land around rolls too.
  mappedFileSizeCommitLog: 1024 * 1024,
  // 1,000 units per ConsumeQueue segment: those roll during the run as well.
  mappedFileSizeConsumeQueue: 1000 * 20,
  // Offsets persisted 5 times a second (Java's default is 5 s, longer than the broker lives between kills
  // here), so the file has moved on between most kills and there is something to go backwards.
  flushConsumerOffsetInterval: 200,
};
/** JVM start, topic auto-creation, first acknowledged send, on a loaded 2-core box. */
const LOAD_READY_TIMEOUT_MS = 120_000;
/** CrashLoad gives its read-back 30 s; this also covers a slow JVM. */
const CHECK_TIMEOUT_MS = 90_000;
/** Producers finish their current send (1.5 s timeout), clients shut down. */
const LOAD_STOP_TIMEOUT_MS = 60_000;
const VERIFY_TIMEOUT_MS = 180_000;
const TEST_TIMEOUT_MS = 10 * 60_000;
const RECOVERY_LINE = /store: (abnormal|normal) recovery of \S+ took ([\d.]+) ms: .*?scanned (\d+) records \(([\d.]+) MiB\)/;

interface Round {
  kill: number;
  upMs: number;
  restartMs: number;
  recovery: 'abnormal' | 'normal';
  recoveryMs: number;
  scannedRecords: number;
  scannedMiB: number;
  acked: number;
  /** When the round also killed the broker during start-up: after how long, and in which phase. */
  startupKill?: string;
  /** Both groups' committed offsets in consumerOffset.json right after the kill: "push ... / pull ...". */
  diskOffsets: string;
}

type Offsets = Map<number, number>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The group's offsets in config/consumerOffset.json (fastjson: unquoted integer queue keys); empty if none yet. */
function diskOffsets(storeDir: string, topic: string, group: string): Offsets {
  const file = path.join(storeDir, 'config', 'consumerOffset.json');
  const out: Offsets = new Map();
  if (!fs.existsSync(file)) return out;
  const text = fs.readFileSync(file, 'utf8');
  const block = new RegExp(`"${topic}@${group}":\\{([^}]*)\\}`).exec(text);
  if (!block) return out;
  for (const m of block[1].matchAll(/(\d+):(-?\d+)/g)) out.set(Number(m[1]), Number(m[2]));
  return out;
}

/** "0:12,1:34" → offsets. */
function parseOffsets(text: string): Offsets {
  return new Map(text.split(',').filter(Boolean).map((p) => p.split(':').map(Number) as [number, number]));
}

const render = (o: Offsets) => [...o].sort(([a], [b]) => a - b).map(([q, v]) => `${q}:${v}`).join(',') || '(none)';

/** Queues where `later` is below `earlier` (a queue missing from later counts as -1). */
function wentBack(earlier: Offsets, later: Offsets): string[] {
  const out: string[] = [];
  for (const [q, v] of earlier) {
    const now = later.get(q) ?? -1;
    if (now < v) out.push(`queue ${q}: ${v} → ${now}`);
  }
  return out;
}

function stats(xs: number[]): string {
  if (xs.length === 0) return 'n/a';
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return `min ${s[0].toFixed(1)} / median ${median.toFixed(1)} / max ${s[s.length - 1].toFixed(1)}`;
}

/** One flush mode's run: the processes, what each round measured, and every broken expectation. */
class Run {
  readonly nodes: Node[] = [];
  load: Tracked | undefined;
  readonly rounds: Round[] = [];
  readonly problems: string[] = [];
  readonly workDir: string;
  readonly runId: string;
  readonly topic: string;
  /** CrashLoad's groups: a push consumer, and a pull loop that commits its offsets every 100 ms. */
  readonly groups: { push: string; pull: string };
  /** Both groups' offsets in the broker's file after the latest kill. */
  lastDisk = { push: new Map() as Offsets, pull: new Map() as Offsets };
  summary = '';
  malformedSender: MalformedSender | undefined;

  constructor(readonly flush: string, private readonly cliPath: string, readonly malformed = false) {
    this.workDir = makeTempDir(`rocketmq-ts-crash-${flush}`);
    // CrashBody.topic / .group / .pullGroup name them the same way.
    this.runId = `${malformed ? 'm' : flush === 'ASYNC_FLUSH' ? 'a' : 's'}${Date.now().toString(36)}`;
    this.topic = `Crash_${this.runId}`;
    this.groups = { push: `CG_Crash_${this.runId}`, pull: `CG_CrashPull_${this.runId}` };
  }

  get namesrv(): Node {
    return this.nodes[0];
  }

  get broker(): Node {
    return this.nodes[1];
  }

  async start(): Promise<void> {
    this.nodes.push(await ourNamesrv({}, { cliPath: this.cliPath }));
    this.nodes.push(await ourBroker(BROKER_NAME, this.namesrv.addr, { flushDiskType: this.flush, ...BROKER_CONF }, { cliPath: this.cliPath }));
    const cp = await javaClasspath();
    this.load = startTracked('java CrashLoad', 'java',
      [...baseJvmArgs(this.workDir), '-cp', cp, 'rocketmqts.compat.CrashLoad', this.namesrv.addr, this.broker.addr, this.workDir, this.runId],
      { cwd: this.workDir });
    await this.load.waitFor([/^INFO load running/m], LOAD_READY_TIMEOUT_MS);
    if (this.malformed) {
      this.malformedSender = new MalformedSender(this.broker.addr, this.topic);
      this.malformedSender.start();
    }
  }

  /** Random uptime under load, SIGKILL, offsets on disk, restart, CrashLoad's check. */
  async round(kill: number): Promise<void> {
    const load = this.load as Tracked;
    const upMs = UP_MS_MIN + Math.floor(Math.random() * (UP_MS_MAX - UP_MS_MIN));
    await sleep(upMs);
    await this.broker.kill();
    const storeDir = path.join(this.broker.dir, 'store');
    const disk = { push: diskOffsets(storeDir, this.topic, this.groups.push), pull: diskOffsets(storeDir, this.topic, this.groups.pull) };
    for (const g of ['push', 'pull'] as const) {
      const back = wentBack(this.lastDisk[g], disk[g]);
      if (back.length) this.problems.push(`kill ${kill}: ${g} group's committed offsets on disk went back: ${back.join('; ')}`);
    }
    this.lastDisk = disk;
    const startupKill = kill % STARTUP_KILL_EVERY === 0 ? await this.killDuringStart(kill) : undefined;

    const outputAt = this.broker.output().length;
    const t0 = performance.now();
    await this.broker.start();
    const restartMs = performance.now() - t0;
    const rec = RECOVERY_LINE.exec(this.broker.output().slice(outputAt));
    if (!rec) throw new Error(`restart ${kill}: no recovery line in the broker's output`);
    if (rec[1] !== 'abnormal') this.problems.push(`restart ${kill}: ${rec[1]} recovery after a SIGKILL (abort marker missing?)`);

    fs.writeFileSync(path.join(this.workDir, `check-${kill}`), '');
    await load.waitFor([new RegExp(`^CHECK ${kill} `, 'm')], CHECK_TIMEOUT_MS);
    const line = new RegExp(`^CHECK ${kill} (.*)$`, 'm').exec(load.output)![1];
    const field = (name: string) => new RegExp(`\\b${name}=(\\S+)`).exec(line)?.[1] ?? '';
    for (const m of load.output.matchAll(new RegExp(`^PROBLEM check ${kill}: (.*)$`, 'gm'))) this.problems.push(`check ${kill}: ${m[1]}`);
    const reported = { push: parseOffsets(field('offsets')), pull: parseOffsets(field('pullOffsets')) };
    for (const g of ['push', 'pull'] as const) {
      const behind = wentBack(disk[g], reported[g]);
      if (behind.length) this.problems.push(`restart ${kill}: broker reports ${g} group offsets behind its own file: ${behind.join('; ')}`);
      for (const [q, v] of reported[g]) if (v === -2) this.problems.push(`restart ${kill}: QUERY_CONSUMER_OFFSET (${g} group, queue ${q}) failed`);
    }
    // Nor ahead of anything the client ever sent (a torn or mixed-up file would show here).
    const beyond = wentBack(disk.pull, parseOffsets(field('pullCommitsSent')));
    if (beyond.length) this.problems.push(`kill ${kill}: pull group's offsets on disk beyond any it committed: ${beyond.join('; ')}`);
    this.rounds.push({
      kill, upMs, startupKill, restartMs: Math.round(restartMs), recovery: rec[1] as Round['recovery'], recoveryMs: Number(rec[2]),
      scannedRecords: Number(rec[3]), scannedMiB: Number(rec[4]), acked: Number(field('acked')),
      diskOffsets: `push ${render(disk.push)} / pull ${render(disk.pull)}`,
    });
  }

  /** Starts the broker and SIGKILLs it a random moment later; returns when and in which phase it died. */
  private async killDuringStart(kill: number): Promise<string> {
    const afterMs = STARTUP_KILL_MS_MIN + Math.floor(Math.random() * (STARTUP_KILL_MS_MAX - STARTUP_KILL_MS_MIN));
    const r = await this.broker.killDuringStart(afterMs);
    if (r.signal !== 'SIGKILL') {
      this.problems.push(`restart ${kill}: the broker ended by itself while starting (${JSON.stringify({ code: r.code, signal: r.signal })}):\n${r.output.slice(-3000)}`);
    }
    // The store logs the checkpoint as recovery begins and the recovery line when it is done.
    const phase = /boot success/.test(r.output) ? 'ready' : RECOVERY_LINE.test(r.output) ? 'recovered'
      : /checkpoint: /.test(r.output) ? 'recovering' : 'loading';
    return `${afterMs} ms, ${phase}`;
  }

  /** Stop the load, read everything back in a fresh JVM, and sum up. */
  async finish(): Promise<void> {
    const load = this.load as Tracked;
    const bad = this.malformedSender;
    if (bad) {
      await bad.stop();
      for (const w of bad.wronglyAccepted) this.problems.push(`malformed send acknowledged: ${w}`);
      if (bad.refused.length === 0) this.problems.push('no malformed send was refused: did they reach the broker?');
      this.problems.push(...(await bad.verifyExtreme()));
    }
    fs.writeFileSync(path.join(this.workDir, 'stop'), '');
    await load.waitFor([/^DONE /m], LOAD_STOP_TIMEOUT_MS);
    await load.exited;
    for (const m of load.output.matchAll(/^PROBLEM (?!check )(.*)$/gm)) this.problems.push(`load: ${m[1]}`);
    const logDir = path.join(this.workDir, 'verify');
    fs.mkdirSync(logDir);
    const verify = await runJavaScenario('crash-verify', this.namesrv.addr, {
      mainClass: 'rocketmqts.compat.CrashVerify', args: [this.workDir, this.runId, this.broker.addr], timeoutMs: VERIFY_TIMEOUT_MS, logDir,
    });
    if (!verify.passed) this.problems.push(describeFailure(verify));
    const finalOffsets = {
      push: parseOffsets(/^INFO committed (.*)$/m.exec(verify.output)?.[1] ?? ''),
      pull: parseOffsets(/^INFO pullCommitted (.*)$/m.exec(verify.output)?.[1] ?? ''),
    };
    for (const g of ['push', 'pull'] as const) {
      const back = wentBack(this.lastDisk[g], finalOffsets[g]);
      if (back.length) this.problems.push(`final ${g} group offsets ${render(finalOffsets[g])} behind the last on disk: ${back.join('; ')}`);
    }

    const rounds = this.rounds;
    const ackedGrew = rounds.filter((r, i) => r.acked > (i === 0 ? 0 : rounds[i - 1].acked)).length;
    const offsetsMoved = rounds.filter((r, i) => i > 0 && r.diskOffsets !== rounds[i - 1].diskOffsets).length;
    // The load must really have been running through the kills, not stalled after the first.
    if (ackedGrew < rounds.length / 2) this.problems.push(`acknowledged sends grew in only ${ackedGrew} of ${rounds.length} rounds`);
    this.summary = [
      `crash test ${this.flush}: ${rounds.length} SIGKILLs under load, ${rounds.filter((r) => r.startupKill).length} more during start-up; ` +
        `load ${/^DONE (.*)$/m.exec(load.output)![1]}`,
      `  rounds with new acknowledged sends: ${ackedGrew}/${rounds.length}; committed offsets on disk moved between ` +
        `${offsetsMoved}/${rounds.length - 1} kills, last ${rounds.at(-1)?.diskOffsets}, final push ${render(finalOffsets.push)} / pull ${render(finalOffsets.pull)}`,
      `  restart to ready (ms): ${stats(rounds.map((r) => r.restartMs))}`,
      `  also killed during start-up: ${rounds.filter((r) => r.startupKill).map((r) => `[${r.startupKill}]`).join(' ')}`,
      `  store recovery (ms, from the broker's log): ${stats(rounds.map((r) => r.recoveryMs))}; ` +
        `records scanned: ${stats(rounds.map((r) => r.scannedRecords))}`,
      `  verify: ${verify.verdict.split('\n')[0]}`,
      ...(bad ? [`  ${bad.summary()}`] : []),
    ].join('\n');
  }

  /** Everything needed to diagnose a failure without re-running. */
  context(): string {
    return [
      `rounds so far: ${JSON.stringify(this.rounds)}`,
      `--- load JVM (tail):\n${this.load?.tail(6000) ?? ''}`,
      ...this.nodes.map((n) => `--- ${n.kind} (tail):\n${n.output().slice(-5000)}`),
      `kept for diagnosis: work dir ${this.workDir} (acked.log, rocketmq_client.log), broker dir ${this.broker?.dir ?? '?'}`,
    ].join('\n');
  }

  /** Stops everything; the dirs (store, acked log, client log) are kept when something broke, as evidence. */
  async dispose(): Promise<void> {
    await this.malformedSender?.stop();
    this.malformedSender?.close();
    await this.load?.kill();
    if (this.problems.length === 0) {
      await disposeAll(this.nodes);
      removeDir(this.workDir);
      return;
    }
    for (const n of [...this.nodes].reverse()) await n.stop();
  }
}

describe('broker SIGKILLed under Java client load', () => {
  let cliPath = '';
  let removeSnapshot = () => {};

  beforeAll(async () => {
    await javaClasspath();
    // The broker restarts KILLS times: all of them must run the same code even if dist/ is rebuilt meanwhile.
    const snapshot = snapshotDist();
    cliPath = path.join(snapshot, 'cli.js');
    removeSnapshot = onExitCleanup(() => fs.rmSync(snapshot, { recursive: true, force: true }));
  });

  afterAll(() => removeSnapshot());

  for (const { flush, malformed } of RUNS) {
    it(`${flush}${malformed ? ' with malformed sends mixed in' : ''}: ${KILLS} kills, every acknowledged message kept intact, committed offsets never back`, async () => {
      const run = new Run(flush, cliPath, malformed);
      try {
        try {
          await run.start();
          // Stop at the first broken round: later rounds would only pile up consequences of it.
          for (let kill = 1; kill <= KILLS && run.problems.length === 0; kill++) await run.round(kill);
          if (run.problems.length === 0) await run.finish();
        } catch (err) {
          // A broken harness step (a JVM that died, a broker that did not come back) is reported like a broken check.
          run.problems.push(`aborted after ${run.rounds.length} rounds: ${(err as Error).message}`);
        }
        if (run.summary) console.log(run.summary);
        expect(run.problems, `${run.problems.join('\n')}\n${run.context()}`).toEqual([]);
        expect(run.rounds.length).toBe(KILLS);
      } finally {
        await run.dispose();
      }
    }, TEST_TIMEOUT_MS);
  }
});
