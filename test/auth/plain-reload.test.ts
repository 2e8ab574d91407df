/**
 * ACL 1.0 files: plain_acl.yml plus conf/acl/**.yml, first definition of a key wins, the watcher reloads
 * an edited file without a restart (AclFileWatchService, here polled every 50 ms or on demand), a file
 * that no longer parses keeps the accounts in force, and start-up refuses a missing rocketmqHome or a bad file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PlainAclManager } from '../../src/auth/plain/plain-acl-manager.js';
import { ACL_CONFIG_DEFAULTS } from '../../src/config/security.js';
import { ADMIN, REMARK, SAMPLE_YML, USER, makeHome, signed } from './plain-support.js';

const homes: string[] = [];
const managers: PlainAclManager[] = [];
afterEach(() => {
  for (const m of managers.splice(0)) m.close();
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});

function start(yml = SAMPLE_YML, watchIntervalMs = 60_000): { home: string; acl: PlainAclManager } {
  const home = makeHome(yml);
  homes.push(home);
  const acl = new PlainAclManager({ ...ACL_CONFIG_DEFAULTS, aclEnable: true, rocketmqHome: home }, { watchIntervalMs });
  managers.push(acl);
  return { home, acl };
}
const IP = '172.16.0.1';
const ask = (acl: PlainAclManager, who: { ak: string; sk: string }, topic = 'topicB') => acl.gate.check(IP, signed(10, { topic }, who))?.remark;
/** Rewrites a file with a modification time clearly after the last one seen. */
function edit(file: string, text: string): void {
  fs.writeFileSync(file, text);
  const t = new Date(Date.now() + 2000);
  fs.utimesSync(file, t, t);
}

describe('reload on change', () => {
  it('an edited secret applies after the watcher\'s next poll, without a restart', async () => {
    const { home, acl } = start(SAMPLE_YML, 50);
    expect(ask(acl, USER)).toBeUndefined();
    edit(path.join(home, 'conf', 'plain_acl.yml'), SAMPLE_YML.replace('secretKey: 12345678', 'secretKey: changed123'));
    await vi.waitFor(() => expect(ask(acl, USER)).toBe(REMARK.signature(USER.ak)), { timeout: 3000, interval: 20 });
    expect(ask(acl, { ak: USER.ak, sk: 'changed123' })).toBeUndefined();
  });

  it('a file that fails to parse keeps the accounts in force', () => {
    const { home, acl } = start();
    edit(path.join(home, 'conf', 'plain_acl.yml'), 'accounts: [\n  - { accessKey: broken');
    acl.checkFiles();
    expect(ask(acl, USER)).toBeUndefined();
    edit(path.join(home, 'conf', 'plain_acl.yml'), SAMPLE_YML.replace('secretKey: 12345678', 'secretKey: short'));
    acl.checkFiles();
    expect(ask(acl, USER)).toBeUndefined();
  });

  it('an account removed by an edit is refused as Java refuses it until the next full load', () => {
    const { home, acl } = start();
    const withoutUser = SAMPLE_YML.replace(/- accessKey: RocketMQ[\s\S]*?(?=- accessKey: rocketmqAdmin)/, '');
    edit(path.join(home, 'conf', 'plain_acl.yml'), withoutUser);
    acl.checkFiles();
    expect(ask(acl, USER)).toBe(REMARK.noAccount(USER.ak));
    expect(ask(acl, ADMIN)).toBeUndefined();
    // A new file changes the number of files: everything is loaded again, and the key is unknown.
    fs.writeFileSync(path.join(home, 'conf', 'acl', 'more.yml'), 'accounts:\n- accessKey: moreUser1\n  secretKey: moreSecret1\n  defaultTopicPerm: PUB\n');
    acl.checkFiles();
    expect(ask(acl, USER)).toBe(REMARK.unknown(USER.ak));
    expect(ask(acl, { ak: 'moreUser1', sk: 'moreSecret1' })).toBeUndefined();
  });
});

describe('admin updates and the files', () => {
  it('an update goes to the file that defines the key; a new key to plain_acl.yml; versions move per file', () => {
    const { home, acl } = start();
    const team = path.join(home, 'conf', 'acl', 'team.yml');
    fs.writeFileSync(team, 'accounts:\n- accessKey: teamUser01\n  secretKey: teamSecret1\n  defaultTopicPerm: SUB\n  defaultGroupPerm: SUB\n');
    acl.checkFiles();
    const base = { secretKey: null, whiteRemoteAddress: null, admin: false, defaultTopicPerm: 'PUB', defaultGroupPerm: null, topicPerms: null, groupPerms: null };
    // Java checks both keys on every update: a secret is always needed.
    expect(() => acl.updateAccessConfig({ ...base, accessKey: 'teamUser01' })).toThrowError('The accessKey=teamUser01 and secretKey=null cannot be null');
    expect(acl.updateAccessConfig({ ...base, accessKey: 'teamUser01', secretKey: 'teamSecret2' })).toBe(true);
    expect(fs.readFileSync(team, 'utf8')).toContain('defaultTopicPerm: PUB');
    expect(fs.readFileSync(team, 'utf8')).toContain('defaultGroupPerm: SUB');
    expect(ask(acl, { ak: 'teamUser01', sk: 'teamSecret2' })).toBeUndefined();
    expect(acl.updateAccessConfig({ ...base, accessKey: 'brandNew01', secretKey: 'brandSecret1' })).toBe(true);
    expect(fs.readFileSync(path.join(home, 'conf', 'plain_acl.yml'), 'utf8')).toContain('accessKey: brandNew01');
    const versions = JSON.parse(acl.allAclFileVersionJson());
    expect(versions[team].counter).toBe(1);
    expect(versions[path.join(home, 'conf', 'plain_acl.yml')].counter).toBe(1);
    // The deprecated single version follows plain_acl.yml only when the watcher reloads it.
    expect(JSON.parse(acl.aclConfigVersionJson()).counter).toBe(0);
    acl.checkFiles();
    expect(JSON.parse(acl.aclConfigVersionJson()).counter).toBe(1);
  });
});

describe('global white addresses of a file that had none at the last full load', () => {
  it('accumulate until the next full load, as on the Apache 4.9.7 broker', () => {
    const { home, acl } = start('accounts:\n- accessKey: rocketmqAdmin\n  secretKey: adminSecret1\n  admin: true\n');
    const unsigned = () => acl.gate.check('127.0.0.1', signed(26, {}, { ak: 'nobody99', sk: 'x' }))?.remark;
    expect(unsigned()).toBe(REMARK.unknown('nobody99'));
    expect(acl.updateGlobalWhiteAddrsConfig(['127.0.0.1'], null)).toBe(true);
    expect(unsigned()).toBeUndefined();
    expect(acl.updateGlobalWhiteAddrsConfig(['10.0.0.1'], null)).toBe(true);
    acl.checkFiles();
    expect(unsigned()).toBeUndefined();
    fs.writeFileSync(path.join(home, 'conf', 'acl', 'more.yml'), 'accounts: []\n');
    acl.checkFiles();
    expect(unsigned()).toBe(REMARK.unknown('nobody99'));
  });
  it('a file that had some at the last full load has them replaced', () => {
    const { acl } = start();
    expect(acl.updateGlobalWhiteAddrsConfig(['127.0.0.1'], null)).toBe(true);
    expect(acl.gate.check('10.10.103.5', signed(26, {}, { ak: 'nobody99', sk: 'x' }))?.remark).toBe(REMARK.unknown('nobody99'));
    expect(acl.gate.check('127.0.0.1', signed(26, {}, { ak: 'nobody99', sk: 'x' }))).toBeUndefined();
  });
});

describe('files', () => {
  it('conf/acl/ is read recursively (.yml and .yaml), before plain_acl.yml: the first definition of a key wins', () => {
    const home = makeHome();
    homes.push(home);
    fs.mkdirSync(path.join(home, 'conf', 'acl', 'team'), { recursive: true });
    fs.writeFileSync(path.join(home, 'conf', 'acl', 'team', 'a.yaml'), 'accounts:\n- accessKey: RocketMQ\n  secretKey: otherSecret\n  defaultTopicPerm: PUB\n');
    fs.writeFileSync(path.join(home, 'conf', 'acl', 'b.yml'), 'globalWhiteRemoteAddresses:\n- 172.16.9.*\naccounts:\n- accessKey: teamUser01\n  secretKey: teamSecret1\n  defaultTopicPerm: PUB\n');
    fs.writeFileSync(path.join(home, 'conf', 'acl', 'ignored.txt'), 'accounts: nonsense');
    const acl = new PlainAclManager({ ...ACL_CONFIG_DEFAULTS, aclEnable: true, rocketmqHome: home }, { watchIntervalMs: 60_000 });
    managers.push(acl);
    expect(ask(acl, USER)).toBe(REMARK.signature(USER.ak));
    expect(ask(acl, { ak: USER.ak, sk: 'otherSecret' }, 'topicA')).toBeUndefined();
    expect(ask(acl, { ak: 'teamUser01', sk: 'teamSecret1' })).toBeUndefined();
    expect(acl.gate.check('172.16.9.4', signed(17, {}, { ak: 'nobody99', sk: 'x' }))).toBeUndefined();
    expect(Object.keys(JSON.parse(acl.allAclFileVersionJson())).sort()).toEqual([
      path.join(home, 'conf', 'acl', 'b.yml'), path.join(home, 'conf', 'acl', 'team', 'a.yaml'), path.join(home, 'conf', 'plain_acl.yml'),
    ].sort());
  });

  it('rocketmq.acl.plain.file names another default file; a missing one is created empty', () => {
    const home = makeHome();
    homes.push(home);
    const acl = new PlainAclManager({ ...ACL_CONFIG_DEFAULTS, aclEnable: true, rocketmqHome: home, 'rocketmq.acl.plain.file': 'conf/other_acl.yml' });
    managers.push(acl);
    expect(fs.readFileSync(path.join(home, 'conf', 'other_acl.yml'), 'utf8')).toBe('');
    // plain_acl.yml is not read at all then.
    expect(ask(acl, USER)).toBe(REMARK.unknown(USER.ak));
  });

  it('start-up fails without rocketmqHome, or with a file Java would not load', () => {
    expect(() => new PlainAclManager({ ...ACL_CONFIG_DEFAULTS, aclEnable: true, rocketmqHome: '' })).toThrowError(/ROCKETMQ_HOME/);
    const home = makeHome(SAMPLE_YML.replace('secretKey: 12345678', 'secretKey: 123'));
    homes.push(home);
    expect(() => new PlainAclManager({ ...ACL_CONFIG_DEFAULTS, aclEnable: true, rocketmqHome: home }))
      .toThrowError('The accessKey=RocketMQ and secretKey=123 cannot be null and length should longer than 6');
    const bad = makeHome('globalWhiteRemoteAddresses:\n- 10.1.1.20-10\n');
    homes.push(bad);
    expect(() => new PlainAclManager({ ...ACL_CONFIG_DEFAULTS, aclEnable: true, rocketmqHome: bad }))
      .toThrowError('RangeRemoteAddressStrategy netaddress examine scope Exception start is 20 , end is 10');
  });

  it('YAML 1.1 values as SnakeYAML reads them: numbers as text, yes as true', () => {
    const { acl } = start('accounts:\n- accessKey: 12345678\n  secretKey: 87654321\n  admin: yes\n- accessKey: 12345678901234567890123\n  secretKey: abcdefgh\n');
    expect(acl.gate.check(IP, signed(17, { topic: 'x' }, { ak: '12345678', sk: '87654321' }))).toBeUndefined();
    const long = { ak: '12345678901234567890123', sk: 'abcdefgh' };
    expect(acl.gate.check(IP, signed(17, { topic: 'x' }, long))?.remark).toBe(REMARK.admin(17, long.ak));
  });
});
