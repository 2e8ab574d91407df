/**
 * Fast failure counts only the time a request waited behind its own family: a send with none ahead of it
 * that waited because other work held the event loop (a large heartbeat, a state file written) is served;
 * one that waited behind a backlog of sends is refused [TIMEOUT_CLEAN_QUEUE].
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, test } from 'vitest';
import { FamilyQueue, QueueDrainer, type Queued, type Refusal } from '../../src/remoting/request-queues.js';
import type { Connection } from '../../src/remoting/connection.js';
import type { RemotingCommand } from '../../src/remoting/command.js';

const conn = { closed: false } as unknown as Connection;
const request = {} as RemotingCommand;

function holdLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // another family's work, or a collection: the loop is held
  }
}

function setup(maxWaitMs: number, budgetMs: number) {
  const fam = new FamilyQueue<null, number>('send', { capacity: () => 10_000, maxWaitMs: () => maxWaitMs });
  const served: number[] = [];
  const refused: Array<[number, Refusal]> = [];
  const drainer = new QueueDrainer<null, number>(null, [fam], () => budgetMs, () => true,
    (q) => {
      served.push(q.entry);
      holdLoop(2); // each send costs 2 ms of loop time
    },
    (q, why) => refused.push([q.entry, why]));
  const enqueue = (entry: number): void => {
    const q: Queued<number> = { conn, request, entry, at: performance.now() };
    fam.push(q);
    drainer.schedule();
  };
  return { served, refused, enqueue };
}

const drained = (): Promise<void> => new Promise((r) => setTimeout(r, 50));

describe('fast failure and the time a request waited', () => {
  test('a lone send held up by other work on the loop is served, not refused', async () => {
    const { served, refused, enqueue } = setup(20, 100);
    enqueue(1);
    holdLoop(60); // three times the wait limit, but nothing of its own family ahead of it
    await drained();
    expect(refused).toEqual([]);
    expect(served).toEqual([1]);
  });

  test('sends that waited past the limit behind other sends are refused, with the whole wait in the remark', async () => {
    // Budget 1 ms and 2 ms per send: one send per turn, so a burst of 40 builds a backlog of ~80 ms.
    const { served, refused, enqueue } = setup(20, 1);
    for (let i = 0; i < 40; i++) enqueue(i);
    await new Promise((r) => setTimeout(r, 300));
    expect(served.length + refused.length).toBe(40);
    expect(served.slice(0, 3)).toEqual([0, 1, 2]);
    expect(refused.length).toBeGreaterThan(0);
    for (const [, why] of refused) {
      expect(why.kind).toBe('timeout');
      expect(why.waitedMs).toBeGreaterThanOrEqual(20);
    }
    // Refused ones are the later arrivals: everything served came before everything refused.
    expect(Math.max(...served)).toBeLessThan(Math.min(...refused.map(([n]) => n)));
  });
});
