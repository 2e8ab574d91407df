/**
 * writeFileAtomic: the state file is never missing. A kill just before the final rename (simulated by
 * making that rename fail) leaves the old content in place under the file's own name, for readers that
 * know nothing of `.bak` (a crash test reading consumerOffset.json while the broker is dead, a Java broker).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { writeFileAtomic } from '../../src/config/persist.js';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('keeps the previous version as .bak and the file itself in place at every step', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'persist-'));
    dirs.push(dir);
    const file = path.join(dir, 'consumerOffset.json');
    writeFileAtomic(file, 'v1');
    writeFileAtomic(file, 'v2');
    expect(fs.readFileSync(file, 'utf8')).toBe('v2');
    expect(fs.readFileSync(`${file}.bak`, 'utf8')).toBe('v1');
    // The process dies where the new content would be renamed in: the file still holds v2.
    const rename = fs.renameSync;
    vi.spyOn(fs, 'renameSync').mockImplementation((from, to) => {
      if (String(from).endsWith('.tmp')) throw new Error('killed');
      return rename(from, to);
    });
    expect(() => writeFileAtomic(file, 'v3')).toThrow('killed');
    expect(fs.readFileSync(file, 'utf8')).toBe('v2');
    expect(fs.readFileSync(`${file}.bak`, 'utf8')).toBe('v2');
  });
});
