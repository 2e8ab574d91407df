/**
 * Hostile input (issue #14): a send flood. Many connections pipeline SEND_MESSAGE_V2 as fast as the
 * server answers. What the server may answer is what the Java broker answers: SUCCESS, or SYSTEM_BUSY
 * (code 2) with one of Java's flow-control remarks (NettyRemotingAbstract, BrokerFastFailure), e.g.
 * "[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control for a while, period in queue: 205ms, size of
 * queue: 12". Every request is answered, memory stays bounded, and a real client still gets its answer
 * (a send, or a prompt SYSTEM_BUSY) within the round-trip bound.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkBounds, measureAttack, startHostile, type Hostile } from './support/harness.js';
import { FrameSplitter, WireConn, createTopic, decodeContent, encode, nextOpaque, sendV2, RESPONSE_FLAG } from './support/frames.js';
import { connectRaw } from './support/raw.js';

const LONG = process.env.HOSTILE_LONG === '1';
const FLOOD_MS = LONG ? 120_000 : 10_000;
const CONNECTIONS = 16;
/** Requests in flight per connection: 16 x 256 = 4,096 queued at once at most. */
const WINDOW = 256;
const BODY = Buffer.alloc(1024, 0x66);
/** Every flood request is answered within this of the flood's end (or its connection is closed). */
const DRAIN_MS = 10_000;
/**
 * Kept by design once the flood has stored its messages: the CommitLog read cache
 * (commitLogRecentCacheBytes, 32 MiB) and the index file's slot table (maxHashSlotNum 5,000,000 x 4 B =
 * 19 MiB, in memory while written).
 */
const RETAINED_MIB = 32 + 20;
/**
 * Growth allowed: what is kept by design (52 MiB), the 4,096 requests in flight with their decoded
 * messages, answers and the write pipeline's batches (~20 MiB), and 120 MiB for the V8 heap under an
 * allocation-heavy load. The flood sends ~200,000 requests (~260 MiB): a queue that grew with it fails.
 */
const RSS_GROWTH_BOUND_MIB = 192;
/** Flow control is logged as a summary, not per refused request. */
const LOG_BOUND_BYTES = 20_000;
/** The remarks a Java 4.9 broker gives with SYSTEM_BUSY. */
const JAVA_BUSY_REMARK = /^\[(OVERLOAD|REJECTREQUEST|TIMEOUT_CLEAN_QUEUE|PCBUSY_CLEAN_QUEUE|PC_SYNCHRONIZED)\]/;
const TOPIC = 'HostileFlood';

describe('a send flood', () => {
  let h: Hostile;

  beforeAll(async () => {
    h = await startHostile();
    const c = await WireConn.open(h.server.brokerAddr);
    expect((await c.request(createTopic(TOPIC, 8), 10_000)).code).toBe(0);
    c.destroy();
  }, 180_000);

  afterAll(async () => {
    await h?.dispose();
  }, 60_000);

  test(`${CONNECTIONS} connections pipelining ${WINDOW} sends each for ${FLOOD_MS / 1000} s`, async () => {
    const codes = new Map<string, number>();
    const odd: string[] = [];
    let sent = 0;
    let answered = 0;
    let unanswered = 0;
    let closedByServer = 0;
    const r = await measureAttack(h, `send flood: ${CONNECTIONS} connections x ${WINDOW} in flight for ${FLOOD_MS / 1000} s`, async (notes) => {
      const deadline = Date.now() + FLOOD_MS;
      await Promise.all(Array.from({ length: CONNECTIONS }, async (_, ci) => {
        const s = await connectRaw(h.server.brokerAddr);
        const inFlight = new Set<number>();
        let closed = false;
        let wake: (() => void) | undefined;
        s.once('close', () => {
          closed = true;
          wake?.();
        });
        const splitter = new FrameSplitter((content) => {
          const res = decodeContent(content);
          if ((res.flag & RESPONSE_FLAG) === 0 || !inFlight.delete(res.opaque)) return;
          answered++;
          const key = res.code === 2 ? `2 ${/^\[[A-Z_]+\]/.exec(res.remark ?? '')?.[0] ?? '(no Java remark)'}` : String(res.code);
          codes.set(key, (codes.get(key) ?? 0) + 1);
          if (res.code !== 0 && !(res.code === 2 && JAVA_BUSY_REMARK.test(res.remark ?? ''))) {
            if (odd.length < 10) odd.push(`code ${res.code}: ${res.remark}`);
          }
          wake?.();
        });
        s.on('data', (d: Buffer) => splitter.push(d));
        while (Date.now() < deadline && !closed) {
          const batch: Buffer[] = [];
          while (inFlight.size < WINDOW) {
            const opaque = nextOpaque();
            inFlight.add(opaque);
            batch.push(encode({ ...sendV2(TOPIC, BODY, ci % 8, 'hostile_flood_producer'), opaque }));
          }
          if (batch.length) {
            sent += batch.length;
            s.write(Buffer.concat(batch));
          }
          await new Promise<void>((res) => {
            wake = res;
            setTimeout(res, 50);
          });
        }
        const drainUntil = Date.now() + DRAIN_MS;
        while (inFlight.size && !closed && Date.now() < drainUntil) {
          await new Promise<void>((res) => {
            wake = res;
            setTimeout(res, 50);
          });
        }
        if (closed) closedByServer++;
        unanswered += inFlight.size;
        s.destroy();
      }));
      notes.push(`${sent} sends, ${answered} answered (${[...codes].map(([k, v]) => `${k}: ${v}`).join(', ')}), ${unanswered} unanswered, ` +
        `${closedByServer} connections closed by the server`);
      if (odd.length) notes.push(`other answers: ${odd.join(' | ')}`);
    });
    // A flood is the one attack where a real client may be told to back off: SYSTEM_BUSY is an answer
    // within the bound, not a stall, and is what the Java broker gives. Anything else fails as usual.
    checkBounds(h, r, { rssGrowthMiB: RSS_GROWTH_BOUND_MIB, logBytes: LOG_BOUND_BYTES, retainedMiB: RETAINED_MIB, busyAllowed: true });
    expect(odd, 'answers other than SUCCESS or SYSTEM_BUSY with a Java remark').toEqual([]);
    expect(unanswered, `flood requests unanswered ${DRAIN_MS} ms after the flood`).toBe(0);
    expect(closedByServer, 'flood connections closed by the server').toBe(0);
  }, 300_000);
});
