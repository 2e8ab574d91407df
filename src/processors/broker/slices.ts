/**
 * Work in slices. NameServer and broker share one event loop, so a request whose work grows with a
 * number the client chose (queues of a topic, groups in a heartbeat, queues in a lock batch) holds
 * every other client while it runs. Such a processor checks `due()` per item and, when its slice is
 * used up, awaits `yield()`: the loop then reads and answers other connections' requests (their frames
 * arrive in the poll phase, which runs before setImmediate callbacks) and comes back to it.
 *
 * A processor that never reaches `due()` runs in one go, on the tick that received it, as before.
 */
import { toFastJson } from '../../codec/fastjson.js';

/** Longest run before other clients get the loop. */
const SLICE_MS = 5;
/** Items between two looks at the clock: most items cost less than reading it. */
const CHECK_EVERY = 16;
/** Containers smaller than this are encoded in one call (splitting them would cost more than it saves). */
const SPLIT_AT = 64;

export class Slices {
  private start = performance.now();
  private items = 0;

  /** Counts one item; true when this slice has run for SLICE_MS. */
  due(): boolean {
    if (++this.items % CHECK_EVERY !== 0) return false;
    return performance.now() - this.start >= SLICE_MS;
  }

  /** Lets the other clients' requests run, then starts a new slice. */
  async yield(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.start = performance.now();
  }
}

/** `fn` on each item, yielding between slices. */
export async function forEachSliced<T>(items: Iterable<T>, fn: (item: T) => void, s = new Slices()): Promise<void> {
  for (const item of items) {
    if (s.due()) await s.yield();
    fn(item);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Exactly `toFastJson(value)` (compact, default features), built in slices: a Map, array or plain
 * object with many entries is written entry by entry with a yield check between them, everything else
 * by toFastJson itself. Encoding is most of the time of a large stats answer (a MessageQueue
 * key and an offset bean per queue). It follows toFastJson's rules for these containers: a bean's properties
 * sorted by name, null or undefined values left out of beans and maps, an undefined list item written
 * null, and a map key written as toFastJson writes the key alone (quoted string, bare number, an
 * object key as its own JSON). test/broker/bounded-work.test.ts compares the two on such values and
 * prints how long a large answer takes.
 */
export async function toFastJsonSliced(value: unknown, s = new Slices()): Promise<string> {
  if (!large(value)) return toFastJson(value);
  const parts: string[] = [];
  if (value instanceof Map) {
    for (const [k, v] of value) {
      if (v === null || v === undefined) continue;
      if (s.due()) await s.yield();
      parts.push(`${toFastJson(k)}:${await toFastJsonSliced(v, s)}`);
    }
    return `{${parts.join(',')}}`;
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      if (s.due()) await s.yield();
      parts.push(await toFastJsonSliced(item === undefined ? null : item, s));
    }
    return `[${parts.join(',')}]`;
  }
  const bean = value as Record<string, unknown>;
  for (const key of Object.keys(bean).sort()) {
    const v = bean[key];
    if (v === null || v === undefined) continue;
    parts.push(`${toFastJson(key)}:${await toFastJsonSliced(v, s)}`);
  }
  return `{${parts.join(',')}}`;
}

/** A Map, array or plain object that is, or holds at any depth, a Map or array of SPLIT_AT entries or more. */
function large(v: unknown): boolean {
  if (v instanceof Map) {
    if (v.size >= SPLIT_AT) return true;
    for (const x of v.values()) if (large(x)) return true;
    return false;
  }
  if (Array.isArray(v)) return v.length >= SPLIT_AT || v.some(large);
  if (isPlainObject(v)) return Object.values(v).some(large);
  return false;
}

/** The response body: toFastJsonSliced's text as UTF-8. */
export async function jsonBodySliced(value: unknown, s = new Slices()): Promise<Buffer> {
  return Buffer.from(await toFastJsonSliced(value, s), 'utf8');
}
