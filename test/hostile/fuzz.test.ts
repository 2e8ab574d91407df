/**
 * Hostile input (issue #14): the frame fuzzer. Mutations of valid frames of the common codes (sends,
 * pulls, heartbeats, routes, offsets, topic creation, ...) and pure random bytes, at least 100,000
 * frames (HOSTILE_FUZZ_FRAMES raises it; HOSTILE_FUZZ_SEED replays a run), over many connections to
 * the broker and the NameServer, reconnecting whenever one ends.
 *
 * Observed before the fix: the fuzz run wrote 19.5 MB of log (189,000 lines, 3,394 stack traces).
 * The fix: client-caused problems logged a few lines per kind per 10 s plus a summary line.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import net from 'node:net';
import { prng } from '../support/prng.js';
import { checkBounds, measureAttack, startHostile, type Hostile } from './support/harness.js';
import { Code, FrameSplitter, WireConn, createTopic, encode, hostPort, nextOpaque } from './support/frames.js';
import { hardFrame, softFrame, type Rnd, type Target } from './support/fuzz.js';

/** At least this many frames; HOSTILE_FUZZ_FRAMES (or HOSTILE_LONG=1: a million) for longer runs. */
const FRAMES = Number(process.env.HOSTILE_FUZZ_FRAMES ?? (process.env.HOSTILE_LONG === '1' ? 1_000_000 : 100_000));
const SEED = Number(process.env.HOSTILE_FUZZ_SEED ?? 0x14f022);
/** Connections fuzzing at once. */
const WORKERS = Number(process.env.HOSTILE_FUZZ_WORKERS ?? 8);
/** Soft (decodable) frames per connection before its last, hard one: 1..this. */
const SOFT_PER_CONNECTION_MAX = 60;
/**
 * Growth allowed: what the fuzz keeps by design (RETAINED_MIB below: read cache and index slots, 52 MiB),
 * the batches in flight (8 connections x up to 60 frames, a few with 64-320 KiB bodies: ~16 MiB), and
 * 96 MiB for the V8 heap under the suite's heaviest allocation rate (~2,500 decoded requests a second:
 * new space up to 2 x 16 MiB semi-spaces, old space growing between full collections). A per-frame leak
 * over 100,000 frames (kilobytes each) would not fit.
 */
const RSS_GROWTH_BOUND_MIB = 52 + 16 + 96;
/**
 * The fuzz meets perhaps thirty kinds of client fault (bad lengths, bad headers, bad fields of every
 * code, bad bodies); rate-limited to a few lines per kind per 10 s plus a summary line, a run of a minute
 * (attack and recovery) logs at most 6 windows x 30 kinds x 5 lines x ~200 B = 180 KB. Before the fix
 * it logged 19.5 MB.
 */
const LOG_BOUND_BYTES = 200_000;
/**
 * What the fuzz may leave behind by design: its sends fill the CommitLog read cache
 * (commitLogRecentCacheBytes, 32 MiB) and touch the index file's slot table (maxHashSlotNum 5,000,000 x
 * 4 B = 19 MiB, held in memory while the file is written).
 */
const RETAINED_MIB = 32 + 20;
/**
 * Stack traces are for our own bugs, not for what a client sent: every one in a fuzz run is either a
 * client fault logged as our error or a bug of ours, and both fail.
 */
const STACK_TRACES_MAX = 0;
/** A valid request on a fuzzed connection must be answered (the probe's bound, with room for a batch ahead of it). */
const SENTINEL_TIMEOUT_MS = 10_000;
/** After our FIN (or a frame that breaks the stream) the server must close the connection. */
const CLOSE_TIMEOUT_MS = 5_000;

interface Counters {
  soft: number;
  hard: number;
  hardKinds: Map<string, number>;
  connections: number;
  closedBeforeSentinel: number;
  sentinelTimeouts: number;
  notClosed: number;
  answers: number;
  unreadableAnswers: number;
}

function sentinel(target: Target, opaque: number): Buffer {
  return target === 'broker'
    ? encode({ code: Code.GET_MAX_OFFSET, opaque, ext: { topic: 'HostileFuzzA', queueId: '0' } })
    : encode({ code: Code.GET_BROKER_CLUSTER_INFO, opaque });
}

/** One connection: a batch of soft frames and a sentinel, then a hard frame (or only a hard frame), then FIN. */
async function fuzzConnection(rnd: Rnd, addrs: Record<Target, string>, c: Counters): Promise<void> {
  const target: Target = rnd() < 0.25 ? 'namesrv' : 'broker';
  const soft: Buffer[] = [];
  if (rnd() < 0.6) {
    const n = 1 + Math.floor(rnd() * SOFT_PER_CONNECTION_MAX);
    while (soft.length < n) {
      const f = softFrame(rnd);
      if (f.target === target || rnd() < 0.1) soft.push(f.frame);
    }
  }
  const hard = soft.length === 0 || rnd() < 0.7 ? hardFrame(rnd) : undefined;
  const sentinelOpaque = nextOpaque();
  const sentinelFrame = sentinel(target, sentinelOpaque);

  const socket = net.connect(hostPort(addrs[target]));
  socket.setNoDelay(true);
  socket.on('error', () => {});
  c.connections++;
  let sentinelAnswered: (() => void) | undefined;
  const splitter = new FrameSplitter((content) => {
    c.answers++;
    try {
      const mark = content.readUInt32BE(0);
      if (mark >>> 24 === 0) {
        const h = JSON.parse(content.toString('utf8', 4, 4 + (mark & 0xffffff))) as { opaque: number };
        if (h.opaque === sentinelOpaque) sentinelAnswered?.();
      }
    } catch {
      c.unreadableAnswers++;
    }
  });
  socket.on('data', (d: Buffer) => {
    try {
      splitter.push(d);
    } catch {
      c.unreadableAnswers++;
      socket.destroy();
    }
  });
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  let isClosed = false;
  void closed.then(() => (isClosed = true));
  await new Promise<void>((res) => {
    socket.once('connect', res);
    socket.once('close', res);
  });
  if (isClosed) return;

  if (soft.length) {
    const answered = new Promise<'answered'>((r) => (sentinelAnswered = () => r('answered')));
    socket.write(Buffer.concat([...soft, sentinelFrame]));
    c.soft += soft.length;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      answered,
      closed.then(() => 'closed' as const),
      new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), SENTINEL_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (outcome === 'closed') c.closedBeforeSentinel++;
    if (outcome === 'timeout') c.sentinelTimeouts++;
  }
  if (hard && !isClosed) {
    socket.write(hard.frame);
    c.hard++;
    c.hardKinds.set(hard.kind, (c.hardKinds.get(hard.kind) ?? 0) + 1);
  }
  if (!isClosed) socket.end();
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), CLOSE_TIMEOUT_MS)))]);
  clearTimeout(timer);
  if (!ended) {
    c.notClosed++;
    socket.destroy();
  }
}

describe('frame fuzzer', () => {
  let h: Hostile;

  beforeAll(async () => {
    h = await startHostile();
    const c = await WireConn.open(h.server.brokerAddr);
    for (const t of ['HostileFuzzA', 'HostileFuzzB']) expect((await c.request(createTopic(t, 4), 10_000)).code).toBe(0);
    c.destroy();
  }, 180_000);

  afterAll(async () => {
    await h?.dispose();
  }, 60_000);

  test(`${FRAMES} mutated and random frames (seed ${SEED}) over many connections`, async () => {
    const c: Counters = {
      soft: 0, hard: 0, hardKinds: new Map(), connections: 0, closedBeforeSentinel: 0, sentinelTimeouts: 0, notClosed: 0, answers: 0, unreadableAnswers: 0,
    };
    const addrs = { broker: h.server.brokerAddr, namesrv: h.server.namesrvAddr };
    const r = await measureAttack(h, `fuzz: ${FRAMES} frames, seed ${SEED}`, async (notes) => {
      const started = Date.now();
      await Promise.all(Array.from({ length: WORKERS }, async (_, w) => {
        // One PRNG per worker: the frames each worker sends do not depend on timing.
        const rnd = prng(SEED * 31 + w);
        while (c.soft + c.hard < FRAMES) await fuzzConnection(rnd, addrs, c);
      }));
      const secs = (Date.now() - started) / 1000;
      notes.push(`${c.soft + c.hard} frames (${c.soft} soft, ${c.hard} hard: ${[...c.hardKinds].map(([k, n]) => `${k} ${n}`).join(', ')}) ` +
        `in ${secs.toFixed(1)} s (${Math.round((c.soft + c.hard) / secs)}/s) over ${c.connections} connections; ${c.answers} answers read`);
      notes.push(`closed before the sentinel: ${c.closedBeforeSentinel}; sentinel unanswered: ${c.sentinelTimeouts}; ` +
        `not closed ${CLOSE_TIMEOUT_MS} ms after FIN: ${c.notClosed}; unreadable answers: ${c.unreadableAnswers}`);
    });
    expect(c.soft + c.hard).toBeGreaterThanOrEqual(FRAMES);
    checkBounds(h, r, { rssGrowthMiB: RSS_GROWTH_BOUND_MIB, logBytes: LOG_BOUND_BYTES, retainedMiB: RETAINED_MIB });
    expect(r.stackTraces, `stack traces in the log during the fuzz\n${r.logSample}`).toBeLessThanOrEqual(STACK_TRACES_MAX);
    expect(c.sentinelTimeouts, 'valid requests left unanswered on fuzzed connections').toBe(0);
    expect(c.notClosed, 'connections the server kept open after our FIN').toBe(0);
    expect(c.unreadableAnswers, 'answers that did not decode').toBe(0);
  }, Math.max(600_000, FRAMES * 2));
});
