import type { ExtFields } from '../remoting/command.js';

/**
 * Typed reads of custom-header fields (RemotingCommand#decodeCommandCustomHeader): values are
 * strings on the wire; a present but unparsable number is an error the client sees as a remark.
 */
export class HeaderError extends Error {}

export function int(h: ExtFields | undefined, name: string): number;
export function int(h: ExtFields | undefined, name: string, fallback: number): number;
export function int(h: ExtFields | undefined, name: string, fallback?: number): number {
  const v = h?.[name];
  if (v == null || v === '') {
    if (fallback === undefined) throw new HeaderError(`the custom field <${name}> is null`);
    return fallback;
  }
  const n = Number(v);
  if (!Number.isInteger(n)) throw new HeaderError(`the custom field <${name}> is not a number: ${v}`);
  return n;
}

export function optInt(h: ExtFields | undefined, name: string): number | undefined {
  const v = h?.[name];
  return v == null || v === '' ? undefined : int(h, name);
}

/** Boolean.parseBoolean: only "true" (any case) is true. */
export function bool(h: ExtFields | undefined, name: string): boolean {
  return h?.[name]?.toLowerCase() === 'true';
}

export function str(h: ExtFields | undefined, name: string): string {
  const v = h?.[name];
  if (v == null) throw new HeaderError(`the custom field <${name}> is null`);
  return v;
}
