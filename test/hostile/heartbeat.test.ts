/**
 * Hostile input (issue #14): a HEART_BEAT naming 2,000 new consumer groups (~610 KB). Observed before the
 * fix: it took 32 s to answer, and real sends and route requests timed out meanwhile. The fix being
 * built: bounded work per request (groups written once per request, off the request's tick; heartbeats
 * processed in slices).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkBounds, measureAttack, startHostile, type Hostile } from './support/harness.js';
import { WireConn, consumerData, createTopic, heartbeat } from './support/frames.js';

const LONG = process.env.HOSTILE_LONG === '1';
const GROUPS_PER_HEARTBEAT = 2000;
/** Heartbeats sent one after the other, each naming 2,000 groups the server has not seen. */
const ROUNDS = LONG ? 10 : 3;
/**
 * The heartbeat itself must be answered within the Java client's own heartbeat timeout
 * (MQClientInstance#sendHeartbeatToAllBroker: 3 s); past it the client counts the broker as failed.
 */
const HEARTBEAT_ANSWER_BOUND_MS = 3000;
/**
 * 6,000 groups are legitimately kept, each with its subscription group, %RETRY% topic (in the broker and
 * the NameServer's routes), consumer info and filter: ~5 KiB each, ~30 MiB. In flight per round: the
 * 651 KiB body parsed, the state files rewritten once, and the broker's re-registration with the
 * NameServer naming every topic (6,000 by the third round), a few MiB of JSON each way and its parse.
 * 128 MiB covers both with the V8 heap's growth.
 */
const RSS_GROWTH_BOUND_MIB = 128;
/**
 * Creating a group is worth a log line (Java logs each auto-created subscription group at INFO), but
 * 6,000 of them from one client must not be 6,000 lines: with the flood guard, a few lines per message
 * template per interval plus a summary. 50 KB is about 250 such lines.
 */
const LOG_BOUND_BYTES = 50_000;
const TOPIC = 'HostileHeartbeat';

describe('a heartbeat naming 2,000 groups', () => {
  let h: Hostile;

  beforeAll(async () => {
    h = await startHostile();
    const c = await WireConn.open(h.server.brokerAddr);
    expect((await c.request(createTopic(TOPIC, 4), 10_000)).code).toBe(0);
    c.destroy();
  }, 180_000);

  afterAll(async () => {
    await h?.dispose();
  }, 60_000);

  test(`${ROUNDS} heartbeats of ${GROUPS_PER_HEARTBEAT} new consumer groups each`, async () => {
    const answers: string[] = [];
    const r = await measureAttack(h, `${ROUNDS} HEART_BEATs naming ${GROUPS_PER_HEARTBEAT} new groups each`, async (notes) => {
      const c = await WireConn.open(h.server.brokerAddr);
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const consumers = Array.from({ length: GROUPS_PER_HEARTBEAT }, (_, i) => consumerData(`hostile_hb_${round}_group_${i}`, TOPIC));
          const req = heartbeat(`127.0.0.1@hostile-heartbeat-${round}`, consumers);
          const t = Date.now();
          try {
            const res = await c.request(req, 60_000);
            answers.push(`round ${round} (${(req.body!.length / 1024).toFixed(0)} KiB): code ${res.code} in ${Date.now() - t} ms`);
          } catch (e) {
            answers.push(`round ${round} (${(req.body!.length / 1024).toFixed(0)} KiB): ${(e as Error).message} after ${Date.now() - t} ms`);
          }
        }
      } finally {
        c.destroy();
      }
      notes.push(...answers);
    });
    checkBounds(h, r, { rssGrowthMiB: RSS_GROWTH_BOUND_MIB, logBytes: LOG_BOUND_BYTES });
    for (const a of answers) expect(a, answers.join('\n')).toMatch(/: code 0 in \d+ ms$/);
    for (const a of answers) expect(Number(/in (\d+) ms$/.exec(a)?.[1]), answers.join('\n')).toBeLessThanOrEqual(HEARTBEAT_ANSWER_BOUND_MS);
  }, 600_000);
});
