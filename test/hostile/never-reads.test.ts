/**
 * Hostile input (issue #14): a client that pipelines PULL_MESSAGE requests and never reads its socket.
 * Observed before the fix: the server grew from 129 to 677 MiB in 120 s, never closed the connection,
 * and kept the memory after the client left. The bound being built: stop reading a connection above
 * writeBufferHighWaterMark (4 MiB) of unsent replies, close it above writeBufferMaxBytes (64 MiB),
 * writeBufferTotalMaxBytes (512 MiB) over all connections.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import net from 'node:net';
import { MIB, RECOVERY_WINDOW_MS, checkBounds, measureAttack, sleep, startHostile, type Hostile } from './support/harness.js';
import { WireConn, encode, hostPort, nextOpaque, pull, createTopic, sendV2 } from './support/frames.js';

const LONG = process.env.HOSTILE_LONG === '1';
/** How long the client pipelines pulls without reading. */
const ATTACK_MS = LONG ? 120_000 : 15_000;
/** Messages in the queue the pulls read: 64 of 16 KiB, so one pull of 32 answers with 512 KiB. */
const PREFILL_MESSAGES = 64;
const MESSAGE_BYTES = 16 * 1024;
/**
 * RSS may grow by at most writeBufferMaxBytes (64 MiB: the most replies one connection may hold before it
 * is closed) plus 64 MiB for what serving the pulls costs besides the queued replies (V8 heap growth,
 * the read cache filling, socket buffers). Before the fix the same 15 s added several hundred MiB.
 */
const RSS_GROWTH_BOUND_MIB = 64 + 64;
/** One connection misbehaving is worth a few log lines, not one per request. */
const LOG_BOUND_BYTES = 20_000;

const TOPIC = 'HostileNeverRead';
const GROUP = 'hostile_never_read_group';

describe('a reader that never reads', () => {
  let h: Hostile;

  beforeAll(async () => {
    h = await startHostile();
    const c = await WireConn.open(h.server.brokerAddr);
    expect((await c.request(createTopic(TOPIC, 1), 10_000)).code).toBe(0);
    const body = Buffer.alloc(MESSAGE_BYTES, 'n');
    for (let i = 0; i < PREFILL_MESSAGES; i++) expect((await c.request(sendV2(TOPIC, body, 0), 10_000)).code).toBe(0);
    c.destroy();
  }, 180_000);

  afterAll(async () => {
    await h?.dispose();
  }, 60_000);

  test('pipelined PULL_MESSAGE without reading the answers: bounded memory, returned when the client leaves', async () => {
    const r = await measureAttack(h, `never-reading client pipelining pulls for ${ATTACK_MS / 1000} s`, async (notes) => {
      const socket = net.connect(hostPort(h.server.brokerAddr));
      socket.on('error', () => {});
      let closedByServer = false;
      socket.on('close', () => (closedByServer = true));
      await new Promise<void>((res, rej) => {
        socket.once('connect', res);
        socket.once('error', rej);
      });
      socket.pause(); // never read
      const deadline = Date.now() + ATTACK_MS;
      let written = 0;
      let stalledAtMs: number | undefined;
      while (Date.now() < deadline && !closedByServer) {
        let ok = true;
        for (let i = 0; i < 64 && ok; i++) {
          ok = socket.write(encode({ ...pull(GROUP, TOPIC, 0, 0, 32), opaque: nextOpaque() }));
          written++;
        }
        if (!ok) {
          // The server has stopped reading (or is slow): wait for it, but never past the deadline.
          stalledAtMs ??= Date.now();
          await Promise.race([new Promise((r) => socket.once('drain', r)), sleep(Math.max(0, deadline - Date.now()))]);
        } else {
          await new Promise((r) => setImmediate(r));
        }
      }
      notes.push(`${written} pulls written (${(written * 400 / MIB).toFixed(1)} MiB of requests), client write side first blocked ` +
        `${stalledAtMs === undefined ? 'never' : `after ${stalledAtMs - (deadline - ATTACK_MS)} ms`}; ` +
        `connection ${closedByServer ? 'closed by the server' : 'still open'} at the end`);
      socket.destroy();
    });
    checkBounds(h, r, { rssGrowthMiB: RSS_GROWTH_BOUND_MIB, logBytes: LOG_BOUND_BYTES });
  }, ATTACK_MS + RECOVERY_WINDOW_MS + 60_000);
});
