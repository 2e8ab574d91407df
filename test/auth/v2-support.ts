/**
 * Helpers for the ACL 2.0 tests: requests signed the way AclClientRPCHook signs them, computed here
 * from the documented rule (values of every extField but Signature, sorted by key, then the body,
 * HmacSHA1 under the secret, Base64) with node:crypto, not with src/auth/signature.ts.
 */
import crypto from 'node:crypto';
import { createRequest, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';

export function sign(req: RemotingCommand, accessKey: string, secretKey: string): RemotingCommand {
  const fields = { ...(req.extFields ?? {}), AccessKey: accessKey };
  delete (fields as Record<string, string>).Signature;
  const keys = Object.keys(fields).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const head = Buffer.from(keys.map((k) => fields[k]).join(''), 'utf8');
  const body = req.body ? (Buffer.isBuffer(req.body) ? req.body : Buffer.concat(req.body)) : Buffer.alloc(0);
  const mac = crypto.createHmac('sha1', secretKey).update(Buffer.concat([head, body])).digest('base64');
  req.extFields = { ...fields, Signature: mac };
  return req;
}

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v), 'utf8');

export const createUser = (username: string, password: string, userType?: string, userStatus?: string): RemotingCommand =>
  createRequest(RequestCode.AUTH_CREATE_USER, { username }, json({ username, password, userType, userStatus }));
export const updateUser = (username: string, info: Record<string, string>): RemotingCommand =>
  createRequest(RequestCode.AUTH_UPDATE_USER, { username }, json({ username, ...info }));
export const deleteUser = (username: string): RemotingCommand => createRequest(RequestCode.AUTH_DELETE_USER, { username });
export const getUser = (username: string): RemotingCommand => createRequest(RequestCode.AUTH_GET_USER, { username });
export const listUser = (filter?: string): RemotingCommand =>
  createRequest(RequestCode.AUTH_LIST_USER, filter === undefined ? {} : { filter });

export interface EntryInfo {
  resource: string;
  actions: string[];
  sourceIps?: string[];
  decision: string;
}

/** AclInfo as mqadmin createAcl builds it: one policy (type unset, the broker makes it Custom). */
export const createAcl = (subject: string, entries: EntryInfo[], policyType?: string, code: number = RequestCode.AUTH_CREATE_ACL): RemotingCommand =>
  createRequest(code, { subject }, json({ subject, policies: [{ policyType, entries }] }));
export const deleteAcl = (subject: string, resource?: string, policyType?: string): RemotingCommand =>
  createRequest(RequestCode.AUTH_DELETE_ACL, {
    subject, ...(resource === undefined ? {} : { resource }), ...(policyType === undefined ? {} : { policyType }),
  });
export const getAcl = (subject: string): RemotingCommand => createRequest(RequestCode.AUTH_GET_ACL, { subject });
export const listAcl = (subjectFilter?: string, resourceFilter?: string): RemotingCommand =>
  createRequest(RequestCode.AUTH_LIST_ACL, {
    ...(subjectFilter === undefined ? {} : { subjectFilter }), ...(resourceFilter === undefined ? {} : { resourceFilter }),
  });

export const bodyJson = (r: RemotingCommand): unknown =>
  r.body ? JSON.parse((Buffer.isBuffer(r.body) ? r.body : Buffer.concat(r.body)).toString('utf8')) : undefined;
