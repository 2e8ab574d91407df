/**
 * StateFile#later: changes made together are written once, after the current tick, through
 * fs.promises; writes of one file never overlap; `hold` keeps a request's changes in one write (for at
 * most a second); `flush` writes at once; a failed write leaves the previous file whole and is retried
 * by the next flush. writeFileAtomicAsync keeps writeFileAtomic's guarantee: the file is never missing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StateFile, writeFileAtomic, writeFileAtomicAsync } from '../../src/config/persist.js';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A StateFile rendering `table` as JSON, and the completed writes (renames onto the file) with the content each left. */
function setup(): { table: Record<string, number>; state: StateFile<object>; file: string; writes: string[]; maxConcurrent: () => number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rocketmq-ts-statefile-'));
  dirs.push(dir);
  const file = path.join(dir, 'subscriptionGroup.json');
  const table: Record<string, number> = {};
  const state = new StateFile<object>(file, () => JSON.stringify(table), JSON.parse);
  const writes: string[] = [];
  let open = 0;
  let max = 0;
  const realOpen = fs.promises.open;
  vi.spyOn(fs.promises, 'open').mockImplementation(async (p, ...rest) => {
    if (String(p).endsWith('.tmp')) max = Math.max(max, ++open);
    return realOpen(p, ...(rest as [string]));
  });
  const realRename = fs.promises.rename;
  vi.spyOn(fs.promises, 'rename').mockImplementation(async (from, to) => {
    await realRename(from, to);
    if (String(to) === file) {
      open--;
      writes.push(fs.readFileSync(file, 'utf8'));
    }
  });
  return { table, state, file, writes, maxConcurrent: () => max };
}

describe('StateFile#later', () => {
  it('writes many changes made on one tick once, after that tick', async () => {
    const { table, state, file, writes } = setup();
    const done: Array<Promise<boolean>> = [];
    for (let i = 0; i < 1000; i++) {
      table[`g${i}`] = i;
      done.push(state.later());
    }
    expect(fs.existsSync(file)).toBe(false);
    expect(await Promise.all(done)).toEqual(done.map(() => true));
    expect(writes).toHaveLength(1);
    expect(Object.keys(JSON.parse(writes[0]))).toHaveLength(1000);
    expect(state.pending).toBe(false);
  });

  it('never runs two writes of the file at once; changes made during a write go into one more', async () => {
    const { table, state, writes, maxConcurrent } = setup();
    table.a = 1;
    const first = state.later();
    await tick(); // the first write has started
    for (let i = 0; i < 50; i++) {
      table[`b${i}`] = i;
      void state.later();
      await tick();
    }
    await first;
    await state.flush();
    expect(maxConcurrent()).toBe(1);
    // At most one write per tick that changed something, each ending with everything made before it.
    expect(writes.length).toBeLessThanOrEqual(1 + 50);
    expect(JSON.parse(writes.at(-1)!)).toEqual(table);
  });

  it('holds writes until the holder releases them, then writes once', async () => {
    const { table, state, writes } = setup();
    const release = state.hold();
    for (let i = 0; i < 20; i++) {
      table[`g${i}`] = i;
      void state.later();
      await tick();
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(writes).toHaveLength(0);
    release();
    await state.flush();
    expect(writes).toHaveLength(1);
    expect(Object.keys(JSON.parse(writes[0]))).toHaveLength(20);
  });

  it('writes held changes anyway after a second, and at once on flush', async () => {
    const { table, state, writes } = setup();
    state.hold(); // never released
    table.a = 1;
    const written = state.later();
    await new Promise((r) => setTimeout(r, 300));
    expect(writes).toHaveLength(0);
    expect(await written).toBe(true);
    expect(writes).toHaveLength(1);
    table.b = 2;
    void state.later();
    const t0 = performance.now();
    expect(await state.flush()).toBe(true);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(JSON.parse(writes.at(-1)!)).toEqual({ a: 1, b: 2 });
  });

  it('a failed write is logged, leaves the file as it was, and the next flush writes it', async () => {
    const { table, state, file } = setup();
    table.a = 1;
    void state.later();
    expect(await state.flush()).toBe(true);
    vi.spyOn(fs.promises, 'rename').mockImplementationOnce(async () => {
      throw new Error('disk gone');
    });
    table.b = 2;
    expect(await state.later()).toBe(false);
    expect(state.pending).toBe(true);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ a: 1 });
    expect(await state.flush()).toBe(true);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ a: 1, b: 2 });
    expect(state.pending).toBe(false);
  });

  it('a synchronous persist while a coalesced write is pending joins it instead of writing beside it', async () => {
    const { table, state, file, writes } = setup();
    table.a = 1;
    void state.later();
    table.b = 2;
    expect(state.persist()).toBe(false);
    await state.flush();
    expect(writes).toHaveLength(1);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ a: 1, b: 2 });
    // With nothing pending, persist writes at once, as before.
    table.c = 3;
    expect(state.persist()).toBe(true);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ a: 1, b: 2, c: 3 });
  });
});

describe('writeFileAtomicAsync', () => {
  it('keeps the previous version as .bak and the file in place when killed before the rename', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rocketmq-ts-statefile-'));
    dirs.push(dir);
    const file = path.join(dir, 'topics.json');
    await writeFileAtomicAsync(file, 'v1');
    writeFileAtomic(file, 'v2');
    await writeFileAtomicAsync(file, 'v3');
    expect(fs.readFileSync(file, 'utf8')).toBe('v3');
    expect(fs.readFileSync(`${file}.bak`, 'utf8')).toBe('v2');
    const rename = fs.promises.rename;
    vi.spyOn(fs.promises, 'rename').mockImplementation(async (from, to) => {
      if (String(from).endsWith('.tmp')) throw new Error('killed');
      return rename(from, to);
    });
    await expect(writeFileAtomicAsync(file, 'v4')).rejects.toThrow('killed');
    expect(fs.readFileSync(file, 'utf8')).toBe('v3');
    expect(fs.readFileSync(`${file}.bak`, 'utf8')).toBe('v3');
  });

  it('removes the .tmp when the write itself fails, leaving the file whole', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rocketmq-ts-statefile-'));
    dirs.push(dir);
    const file = path.join(dir, 'topics.json');
    await writeFileAtomicAsync(file, 'v1');
    const open = fs.promises.open;
    vi.spyOn(fs.promises, 'open').mockImplementation(async (p, ...rest) => {
      const fh = await open(p, ...(rest as [string]));
      if (String(p).endsWith('.tmp')) vi.spyOn(fh, 'sync').mockRejectedValue(new Error('ENOSPC'));
      return fh;
    });
    await expect(writeFileAtomicAsync(file, 'v2')).rejects.toThrow('ENOSPC');
    expect(fs.readFileSync(file, 'utf8')).toBe('v1');
    expect(fs.existsSync(`${file}.tmp`)).toBe(false);
  });
});
