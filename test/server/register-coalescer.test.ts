/** Topic changes made while a registration runs lead to exactly one more, never to two at once. */
import { describe, expect, test } from 'vitest';
import { RegisterCoalescer } from '../../src/server/register-coalescer.js';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('RegisterCoalescer', () => {
  test('changes over many turns while a registration runs make one more registration, not one per turn', async () => {
    let running = 0;
    let most = 0;
    let started = 0;
    let release: (() => void) | undefined;
    const c = new RegisterCoalescer(async () => {
      started++;
      most = Math.max(most, ++running);
      await new Promise<void>((r) => (release = r));
      running--;
    }, () => true);
    c.request();
    c.request(); // same turn: shares the first
    await turn();
    await turn();
    expect(started).toBe(1);
    for (let i = 0; i < 20; i++) {
      c.request(); // a heartbeat slice auto-creating topics, once per turn
      await turn();
    }
    expect(started).toBe(1);
    release!();
    for (let i = 0; i < 5; i++) await turn();
    expect(started).toBe(2);
    release!();
    for (let i = 0; i < 5; i++) await turn();
    expect(started).toBe(2);
    expect(most).toBe(1);
  });

  test('nothing starts while the broker is not active, and a failed registration does not stop later ones', async () => {
    let active = false;
    let calls = 0;
    const c = new RegisterCoalescer(async () => {
      calls++;
      throw new Error('namesrv down');
    }, () => active);
    c.request();
    await turn();
    expect(calls).toBe(0);
    active = true;
    c.request();
    await turn();
    await turn();
    c.request();
    await turn();
    await turn();
    expect(calls).toBe(2);
  });
});
