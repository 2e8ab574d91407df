import crypto from 'node:crypto';
import type { RemotingCommand } from '../remoting/command.js';

/** The extFields an ACL-signing client adds (SessionCredentials). */
export const ACCESS_KEY = 'AccessKey';
export const SECRET_KEY = 'SecretKey';
export const SIGNATURE = 'Signature';
export const SECURITY_TOKEN = 'SecurityToken';
/** Set by QUERY_MESSAGE for a query by unique key; older clients did not sign it (see signedContent). */
export const UNIQUE_KEY_QUERY = '_UNIQUE_KEY_QUERY';
/** MQVersion V4_9_3: requests of this version or older were signed without `_UNIQUE_KEY_QUERY`. */
const V4_9_3 = 399;

/**
 * Keys in Java String order (UTF-16 code units), which is what the clients sort by (a TreeMap). For
 * the ASCII keys RocketMQ uses this equals byte order; JS's default sort compares UTF-16 units too.
 */
function sortedKeys(fields: Record<string, string>): string[] {
  return Object.keys(fields).sort();
}

/**
 * What a client signs: every extField value (not the keys) in key order, `Signature` itself left out,
 * as UTF-8, then the body bytes. A server checking a request also leaves out `_UNIQUE_KEY_QUERY` when the
 * request's `version` is 4.9.3 or older, because those clients added it after signing.
 */
export function signedContent(fields: Record<string, string>, body: Buffer | undefined, requestVersion?: number): Buffer {
  const dropUniqueKey = requestVersion !== undefined && requestVersion <= V4_9_3;
  let text = '';
  for (const k of sortedKeys(fields)) {
    if (k === SIGNATURE) continue;
    if (dropUniqueKey && k === UNIQUE_KEY_QUERY) continue;
    const v = fields[k];
    if (v !== undefined && v !== null) text += v;
  }
  const head = Buffer.from(text, 'utf8');
  return body && body.length > 0 ? Buffer.concat([head, body]) : head;
}

/** Base64 (standard, padded) HmacSHA1 of `content` under `secretKey`, as AclSigner computes it. */
export function hmacSha1Base64(content: Buffer, secretKey: string): string {
  return crypto.createHmac('sha1', Buffer.from(secretKey, 'utf8')).update(content).digest('base64');
}

function bodyOf(cmd: RemotingCommand): Buffer | undefined {
  const b = cmd.body;
  if (!b) return undefined;
  return Buffer.isBuffer(b) ? b : Buffer.concat(b);
}

/** Whether the request's `Signature` is the one `secretKey` gives. Compared in constant time. */
export function signatureMatches(request: RemotingCommand, secretKey: string): boolean {
  const fields = request.extFields ?? {};
  const got = fields[SIGNATURE];
  if (typeof got !== 'string' || got === '') return false;
  const want = hmacSha1Base64(signedContent(fields, bodyOf(request), request.version), secretKey);
  const a = Buffer.from(got, 'utf8');
  const b = Buffer.from(want, 'utf8');
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

export interface Credentials {
  accessKey: string;
  secretKey: string;
  securityToken?: string;
}

/** Signs an outgoing request as AclClientRPCHook does (this broker's own calls to namesrv and peers). */
export function signRequest(request: RemotingCommand, cred: Credentials): void {
  const fields = (request.extFields ??= {});
  delete fields[SIGNATURE];
  fields[ACCESS_KEY] = cred.accessKey;
  if (cred.securityToken) fields[SECURITY_TOKEN] = cred.securityToken;
  fields[SIGNATURE] = hmacSha1Base64(signedContent(fields, bodyOf(request)), cred.secretKey);
}
