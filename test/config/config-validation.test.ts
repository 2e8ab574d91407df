/**
 * loadBrokerConfig / loadNamesrvConfig: every value is converted by its Java type's rules and checked at
 * start, a bad one stops the start with one line naming the file and the key, and keys that change
 * nothing are warned about instead of silently ignored.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { BROKER_CONFIG_DEFAULTS, applyConfig, brokerConfig, loadBrokerConfig } from '../../src/config/broker-config.js';
import { loadNamesrvConfig } from '../../src/config/namesrv-config.js';
import { ConfigError } from '../../src/config/config-rules.js';
import { LIMITS } from '../../src/config/limits.js';
import { BrokerController } from '../../src/server/broker-controller.js';
import type { MessageStore } from '../../src/store/types.js';
import { log } from '../../src/logger.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmqts-config-'));
let n = 0;
function conf(text: string): string {
  const f = path.join(dir, `broker-${n++}.conf`);
  fs.writeFileSync(f, text);
  return f;
}
const base = { storePathRootDir: path.join(dir, 'store') };
/** The message of the ConfigError loading `text` throws. */
function refusal(text: string): string {
  const f = conf(text);
  try {
    loadBrokerConfig(f, base);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message.replace(f, 'FILE');
  }
  throw new Error(`accepted: ${text}`);
}

afterEach(() => vi.restoreAllMocks());
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('broker config values', () => {
  it('refuses an enum value outside its set, naming the key and the values allowed', () => {
    expect(refusal('flushDiskType=SYNC\n')).toBe('FILE: flushDiskType=SYNC is not one of ASYNC_FLUSH, SYNC_FLUSH');
    expect(refusal('brokerRole=sync_master\n')).toBe('FILE: brokerRole=sync_master is not one of ASYNC_MASTER, SYNC_MASTER, SLAVE');
    expect(loadBrokerConfig(conf('brokerRole=SYNC_MASTER\nflushDiskType=SYNC_FLUSH\n'), base)).toMatchObject({ brokerRole: 'SYNC_MASTER', flushDiskType: 'SYNC_FLUSH' });
  });

  it('refuses values out of range', () => {
    expect(refusal('listenPort=70000\n')).toBe('FILE: listenPort=70000 is out of range 1..65535');
    expect(refusal('listenPort=0\n')).toBe('FILE: listenPort=0 is out of range 1..65535');
    expect(refusal('mappedFileSizeCommitLog=0\n')).toBe('FILE: mappedFileSizeCommitLog=0 is out of range 1..∞');
    expect(refusal('diskMaxUsedSpaceRatio=101\n')).toBe('FILE: diskMaxUsedSpaceRatio=101 is out of range 0..100');
    expect(refusal('brokerPermission=8\n')).toBe('FILE: brokerPermission=8 is out of range 0..7');
    expect(refusal('frameMaxLength=1024\n')).toBe(`FILE: frameMaxLength=1024 is out of range ${LIMITS.frameMaxLength.min}..∞`);
    expect(refusal('deleteWhen=04;25\n')).toBe('FILE: deleteWhen=04;25 has "25", not an hour 0..23');
    expect(refusal('messageDelayLevel=1s 5x\n')).toBe('FILE: messageDelayLevel=1s 5x has "5x", not a number followed by s, m, h or d');
  });

  it('reads numbers as Integer.parseInt / Long.parseLong do', () => {
    expect(refusal('maxMessageSize=4M\n')).toBe('FILE: maxMessageSize=4M is not a Java int');
    expect(refusal('maxMessageSize=1e6\n')).toBe('FILE: maxMessageSize=1e6 is not a Java int');
    expect(refusal('maxMessageSize=0x100000\n')).toBe('FILE: maxMessageSize=0x100000 is not a Java int');
    expect(refusal('maxMessageSize=\n')).toBe('FILE: maxMessageSize= is not a Java int');
    expect(refusal('maxMessageSize=2147483648\n')).toBe('FILE: maxMessageSize=2147483648 is not a Java int');
    // (A slave keeps its id; a master's is forced to 0, below.)
    const cfg = loadBrokerConfig(conf('maxMessageSize=+0524288\nbrokerRole=SLAVE\nbrokerId=2147483648\n'), base);
    expect(cfg.maxMessageSize).toBe(524288);
    expect(cfg.brokerId).toBe(2147483648);
  });

  it('applies BrokerStartup\'s role rules: a master\'s brokerId is 0, a slave needs one above 0', () => {
    expect(loadBrokerConfig(conf('brokerRole=SYNC_MASTER\nbrokerId=3\n'), base).brokerId).toBe(0);
    expect(loadBrokerConfig(conf('brokerRole=SLAVE\nbrokerId=1\n'), base).brokerId).toBe(1);
    expect(() => loadBrokerConfig(conf('brokerRole=SLAVE\nbrokerId=0\n'), base)).toThrow("Slave's brokerId must be > 0");
    expect(() => loadBrokerConfig(conf('brokerRole=SLAVE\n'), base)).toThrow("Slave's brokerId must be > 0");
    // With enableControllerMode the controller gives role and id at run time: BrokerStartup 5.3.3 applies neither rule.
    expect(loadBrokerConfig(conf('enableControllerMode=true\nbrokerRole=SYNC_MASTER\nbrokerId=3\n'), base).brokerId).toBe(3);
    expect(loadBrokerConfig(conf('enableControllerMode=true\nbrokerRole=SLAVE\n'), base).brokerId).toBe(0);
  });

  it('reads booleans in any case, as Boolean.parseBoolean, and refuses other words', () => {
    const cfg = loadBrokerConfig(conf('autoCreateTopicEnable=FALSE\nlongPollingEnable=False\nenablePropertyFilter=TRUE\n'), base);
    expect(cfg).toMatchObject({ autoCreateTopicEnable: false, longPollingEnable: false, enablePropertyFilter: true });
    expect(refusal('autoCreateTopicEnable=yes\n')).toBe('FILE: autoCreateTopicEnable=yes is not true or false');
  });

  it('warns about unknown keys and about keys accepted without effect, and applies the rest', () => {
    const warn = vi.spyOn(log, 'warn').mockImplementation(() => {});
    const f = conf('brokerName=broker-x\nbrokerNmae=typo\nauthenticationProvider=org.example.P\ncompressedRegister=true\n');
    const cfg = loadBrokerConfig(f, base);
    expect(cfg.brokerName).toBe('broker-x');
    const lines = warn.mock.calls.map((c) => c[0]);
    expect(lines).toContain(`${f}: unknown config key "brokerNmae" ignored`);
    expect(lines.find((l) => l.startsWith(`${f}: config key "authenticationProvider" is accepted but has no effect here`))).toBeDefined();
    expect(lines.find((l) => l.startsWith(`${f}: config key "compressedRegister" is accepted but has no effect here`))).toBeDefined();
    expect(lines).toHaveLength(3);
  });

  it('resolves the derived values and leaves the defaults valid', () => {
    const cfg = loadBrokerConfig(conf('listenPort=20911\n'), base);
    expect(cfg.haListenPort).toBe(20912);
    expect(cfg.storePathCommitLog).toBe(path.join(dir, 'store', 'commitlog'));
    expect(cfg.heldPullRequestsMax).toBe(LIMITS.heldPullRequestsMax.value);
    expect(loadBrokerConfig(undefined, base).listenPort).toBe(BROKER_CONFIG_DEFAULTS.listenPort);
  });

  it('UPDATE_BROKER_CONFIG values are checked the same way and leave the target unchanged when refused', () => {
    const target = brokerConfig();
    expect(() => applyConfig(target, new Map([['brokerPermission', '4'], ['flushDiskType', 'NOPE']]), 'UPDATE_BROKER_CONFIG')).toThrow(
      'UPDATE_BROKER_CONFIG: flushDiskType=NOPE is not one of ASYNC_FLUSH, SYNC_FLUSH',
    );
    expect(target.brokerPermission).toBe(6);
  });

  it('a config built in code is checked when the broker is constructed', () => {
    const cfg = brokerConfig({ ...base, flushDiskType: 'LATER' });
    expect(() => new BrokerController(cfg, {} as MessageStore)).toThrow('broker config: flushDiskType=LATER is not one of ASYNC_FLUSH, SYNC_FLUSH');
  });
});

describe('namesrv config values', () => {
  it('checks the namesrv keys the same way', () => {
    const f = path.join(dir, 'namesrv.conf');
    fs.writeFileSync(f, 'orderMessageEnable=TRUE\nscanNotActiveBrokerInterval=5000\n');
    expect(loadNamesrvConfig(f)).toMatchObject({ orderMessageEnable: true, scanNotActiveBrokerInterval: 5000 });
    fs.writeFileSync(f, 'listenPort=99999\n');
    expect(() => loadNamesrvConfig(f)).toThrow(`${f}: listenPort=99999 is out of range 0..65535`);
    fs.writeFileSync(f, 'scanNotActiveBrokerInterval=10s\n');
    expect(() => loadNamesrvConfig(f)).toThrow(`${f}: scanNotActiveBrokerInterval=10s is not a Java int`);
  });
});
