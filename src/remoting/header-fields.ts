import type { ExtFields } from './command.js';
import { clampToSafe, numberFormatExceptionText, parseJavaInt, parseJavaLong } from '../protocol/java-number.js';

/**
 * Typed reads of custom-header fields (RemotingCommand#decodeCommandCustomHeader): values are strings
 * on the wire, parsed as the Java type of the header class's field: Integer.parseInt for Integer,
 * Long.parseLong for Long, Boolean.parseBoolean for Boolean. A missing field is `undefined` (the
 * fallback, or an error for a required one); a present field Java cannot parse, the empty string
 * included, is an error the client sees as the remark, before the request does anything.
 */
export class HeaderError extends Error {}

/**
 * A request whose body the client got wrong (empty where one is needed, not the JSON the code takes, not
 * an object): answered SYSTEM_ERROR with the reason, as the Java broker answers its decoder's exception,
 * and logged as a client fault, without a stack.
 */
export class RequestBodyError extends Error {}

/**
 * The Java broker's header decoder lets the NumberFormatException out, and NettyRemotingAbstract#
 * processRequestCommand answers any exception with SYSTEM_ERROR and its text: the dispatcher does the same
 * with a HeaderError.
 */
const numberFormatError = (value: string): HeaderError => new HeaderError(numberFormatExceptionText(value));

const missing = (name: string): HeaderError => new HeaderError(`the custom field <${name}> is null`);

/** An Integer field. */
export function int(h: ExtFields | undefined, name: string): number;
export function int(h: ExtFields | undefined, name: string, fallback: number): number;
export function int(h: ExtFields | undefined, name: string, fallback?: number): number {
  const v = h?.[name];
  if (v == null) {
    if (fallback === undefined) throw missing(name);
    return fallback;
  }
  const n = parseJavaInt(v);
  if (n === undefined) throw numberFormatError(v);
  return n;
}

export function optInt(h: ExtFields | undefined, name: string): number | undefined {
  return h?.[name] == null ? undefined : int(h, name);
}

/**
 * A Long field used as an offset, a time or an id: parsed exactly, then held as a safe integer. A value
 * beyond ±2^53 becomes ±(2^53 - 1), which compares with every real offset and time (all far below
 * 2^53) as the exact value would, and still prints as a long Java can read back.
 */
export function long(h: ExtFields | undefined, name: string): number;
export function long(h: ExtFields | undefined, name: string, fallback: number): number;
export function long(h: ExtFields | undefined, name: string, fallback?: number): number {
  const v = h?.[name];
  if (v == null) {
    if (fallback === undefined) throw missing(name);
    return fallback;
  }
  return clampToSafe(exact(v));
}

/** A Long field stored as it came (bornTimestamp): a number while safe, a bigint beyond ±2^53. */
export function exactLong(h: ExtFields | undefined, name: string): number | bigint {
  const v = h?.[name];
  if (v == null) throw missing(name);
  return exact(v);
}

function exact(v: string): number | bigint {
  const n = parseJavaLong(v);
  if (n === undefined) throw numberFormatError(v);
  return n;
}

/** Boolean.parseBoolean: only "true" (any case) is true; absent is false. */
export function bool(h: ExtFields | undefined, name: string): boolean {
  return h?.[name]?.toLowerCase() === 'true';
}

export function str(h: ExtFields | undefined, name: string): string {
  const v = h?.[name];
  if (v == null) throw missing(name);
  return v;
}
