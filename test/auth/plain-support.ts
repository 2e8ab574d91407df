/**
 * Shared by the ACL 1.0 tests: a temporary ROCKETMQ_HOME with conf/plain_acl.yml, and request signing done
 * here with node:crypto over the documented content (the values of the extFields sorted by key, Signature
 * left out, then the body), not with src/auth/signature.ts, so a wrong rule there cannot hide.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequest, type RemotingCommand } from '../../src/remoting/command.js';

export const USER = { ak: 'RocketMQ', sk: '12345678' };
export const ADMIN = { ak: 'rocketmqAdmin', sk: 'adminSecret1' };
export const WHITE = { ak: 'whiteUser01', sk: 'whiteSecret1' };

/** The sample of distribution/conf/plain_acl.yml, plus an admin and an account white-listed for 127.0.0.1. */
export const SAMPLE_YML = `globalWhiteRemoteAddresses:
- 10.10.103.*
- 192.168.0.*

accounts:
- accessKey: RocketMQ
  secretKey: 12345678
  whiteRemoteAddress:
  admin: false
  defaultTopicPerm: DENY
  defaultGroupPerm: SUB
  topicPerms:
  - topicA=DENY
  - topicB=PUB|SUB
  - topicC=SUB
  groupPerms:
  # the group should convert to retry topic
  - groupA=DENY
  - groupB=PUB|SUB
  - groupC=SUB

- accessKey: rocketmqAdmin
  secretKey: adminSecret1
  admin: true

- accessKey: whiteUser01
  secretKey: whiteSecret1
  whiteRemoteAddress: 127.0.0.1
  defaultTopicPerm: DENY
`;

/** A temp ROCKETMQ_HOME with conf/plain_acl.yml holding `yml` (and conf/acl/ for more files). */
export function makeHome(yml: string = SAMPLE_YML): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'rmqts-acl-'));
  fs.mkdirSync(path.join(home, 'conf', 'acl'), { recursive: true });
  fs.writeFileSync(path.join(home, 'conf', 'plain_acl.yml'), yml);
  return home;
}

export function hmac(fields: Record<string, string>, body: Buffer | undefined, secret: string): string {
  const text = Object.keys(fields).filter((k) => k !== 'Signature').sort().map((k) => fields[k]).join('');
  const content = body ? Buffer.concat([Buffer.from(text, 'utf8'), body]) : Buffer.from(text, 'utf8');
  return crypto.createHmac('sha1', Buffer.from(secret, 'utf8')).update(content).digest('base64');
}

/** A request signed as AclClientRPCHook signs it (AccessKey added, then every extField value signed). */
export function signed(code: number, fields: Record<string, string>, who: { ak: string; sk: string }, body?: Buffer): RemotingCommand {
  const f = { ...fields, AccessKey: who.ak };
  f.Signature = hmac(f, body, who.sk);
  return createRequest(code, f, body);
}

const REMARK_HEAD = 'org.apache.rocketmq.acl.common.AclException: ';
const MANAGER = 'org.apache.rocketmq.acl.plain.PlainPermissionManager';

/** The remark the Apache 4.9.7 broker sends for each refusal (rocketmq-acl-4.9.7 line numbers). */
export const REMARK = {
  noAccessKey: `${REMARK_HEAD}No accessKey is configured, ${MANAGER}.validate(PlainPermissionManager.java:663)`,
  unknown: (ak: string) => `${REMARK_HEAD}No acl config for ${ak}, ${MANAGER}.validate(PlainPermissionManager.java:667)`,
  noAccount: (ak: string) => `${REMARK_HEAD}No PlainAccessResource for accessKey=${ak}, ${MANAGER}.validate(PlainPermissionManager.java:674)`,
  signature: (ak: string) => `${REMARK_HEAD}Check signature failed for accessKey=${ak}, ${MANAGER}.validate(PlainPermissionManager.java:683)`,
  admin: (code: number, ak: string) => `${REMARK_HEAD}Need admin permission for request code=${code}, but accessKey=${ak} is not, ${MANAGER}.checkPerm(PlainPermissionManager.java:580)`,
  defaultPerm: (what: string) => `${REMARK_HEAD}No default permission for ${what}, ${MANAGER}.checkPerm(PlainPermissionManager.java:605)`,
  listedPerm: (what: string) => `${REMARK_HEAD}No default permission for ${what}, ${MANAGER}.checkPerm(PlainPermissionManager.java:610)`,
  parse: (msg: string) => `${REMARK_HEAD}${msg}, org.apache.rocketmq.acl.plain.PlainAccessValidator.parse(PlainAccessValidator.java:134)`,
};
