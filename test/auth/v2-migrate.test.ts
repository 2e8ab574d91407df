/**
 * migrateAuthFromV1Enabled: ACL 1.0 accounts (conf/acl/*.yml, then plain_acl.yml) become ACL 2.0 users and
 * policies at start, as 5.3.3's AuthMigrator makes them; existing users are left alone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ACL_CONFIG_DEFAULTS } from '../../src/config/security.js';
import { AuthManager } from '../../src/auth/v2/auth-manager.js';
import { aclInfo } from '../../src/auth/v2/auth-info.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function home(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmqts-migrate-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('ACL 1.0 to 2.0 migration', () => {
  it('makes users and Custom/Default policies from plain_acl.yml accounts', () => {
    const dir = home({
      'conf/plain_acl.yml': [
        'accounts:',
        '- accessKey: RocketMQ',
        '  secretKey: 12345678',
        '  admin: false',
        '  defaultTopicPerm: DENY',
        '  defaultGroupPerm: SUB',
        '  topicPerms:',
        '  - topicA=DENY',
        '  - topicB=PUB|SUB',
        '  - bad',
        '  groupPerms:',
        '  - groupA=DENY',
        '  - "%RETRY%groupB=SUB"',
        '- accessKey: rocketmq2',
        '  secretKey: 12345678',
        '  admin: true',
        '- accessKey: existing',
        '  secretKey: from-yml',
        '',
      ].join('\n'),
      'conf/acl/extra.yml': 'accounts:\n- accessKey: RocketMQ\n  secretKey: first-file-wins\n  topicPerms:\n  - only=PUB\n',
    });
    const store = path.join(dir, 'store');
    const base = { ...ACL_CONFIG_DEFAULTS, authorizationEnabled: true, rocketmqHome: dir };
    const first = new AuthManager({ ...base, initAuthenticationUser: JSON.stringify({ username: 'existing', password: 'kept' }) }, store);
    expect(first.users.get('existing')?.password).toBe('kept');
    const m = new AuthManager({ ...base, migrateAuthFromV1Enabled: true }, store);
    expect(m.users.list().map((u) => [u.username, u.password, u.userType])).toEqual([
      ['RocketMQ', 'first-file-wins', 'Normal'], ['existing', 'kept', 'Super'], ['rocketmq2', '12345678', 'Super'],
    ]);
    expect(aclInfo(m.acls.get('RocketMQ')!)).toEqual({
      subject: 'User:RocketMQ',
      policies: [{ policyType: 'Custom', entries: [{ resource: 'Topic:only', actions: ['Pub'], decision: 'Allow', sourceIps: undefined }] }],
    });
    expect(m.acls.get('rocketmq2')).toBeUndefined();

    // The same accounts in plain_acl.yml alone.
    fs.rmSync(path.join(dir, 'conf', 'acl'), { recursive: true });
    const m2 = new AuthManager({ ...base, migrateAuthFromV1Enabled: true }, path.join(dir, 'store2'));
    expect(aclInfo(m2.acls.get('RocketMQ')!)).toEqual({
      subject: 'User:RocketMQ',
      policies: [
        {
          policyType: 'Custom',
          entries: [
            { resource: 'Topic:topicA', actions: ['All'], decision: 'Deny', sourceIps: undefined },
            { resource: 'Topic:topicB', actions: ['Pub', 'Sub'], decision: 'Allow', sourceIps: undefined },
            { resource: 'Group:groupA', actions: ['All'], decision: 'Deny', sourceIps: undefined },
            { resource: 'Group:groupB', actions: ['Sub'], decision: 'Allow', sourceIps: undefined },
          ],
        },
        {
          policyType: 'Default',
          entries: [
            { resource: 'Topic:*', actions: ['All'], decision: 'Deny', sourceIps: undefined },
            { resource: 'Group:*', actions: ['Sub'], decision: 'Allow', sourceIps: undefined },
          ],
        },
      ],
    });
  });
});
