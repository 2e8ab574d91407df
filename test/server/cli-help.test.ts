/**
 * The CLI an operator meets before anything runs: `--help` names every command and option, `--version`,
 * unknown commands and options refused, and the log level from --log-level, ROCKETMQ_TS_LOG_LEVEL and the
 * logLevel key (a NameServer alone: the quickest server to start). Runs dist/cli.js from a snapshot.
 */
import { describe, test, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { snapshotDist } from '../support/our-server.js';
import { freePort } from '../support/ports.js';
import { startTracked, toProperties } from '../support/processes.js';
import { REPO_ROOT, makeTempDir, removeDir } from '../support/server.js';

/** Every command an operator may run, and every option; the help must name each. */
const COMMANDS = ['standalone', 'namesrv', 'broker', 'proxy'];
const OPTIONS = ['-c, --config', '-n, --namesrv', '--namesrv-port', '--data', '--console', '--grpc-port', '--log-level', '--log-file', '--log-file-max-bytes', '-v, --version', '-h, --help'];

let snapshot = '';
let cli = '';
let dir = '';
beforeAll(() => {
  snapshot = snapshotDist();
  cli = path.join(snapshot, 'cli.js');
  dir = makeTempDir('rmqts-cli-help');
});
afterAll(() => {
  fs.rmSync(snapshot, { recursive: true, force: true });
  removeDir(dir);
});

const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });

describe('rocketmq-ts --help, --version, refusals', () => {
  test('--help lists every command and option', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    for (const o of OPTIONS) expect(r.stdout).toContain(o);
    expect(r.stdout).toMatch(/shutdownTimeoutMills/);
    // `<command> --help` and `help` print the same text.
    expect(run(['broker', '--help']).stdout).toBe(r.stdout);
    expect(run(['help']).stdout).toBe(r.stdout);
  });

  test('--version is the package version; an unknown command or option is refused', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(execFileSync(process.execPath, [cli, '--version'], { encoding: 'utf8' }).trim()).toBe(pkg.version);
    const unknown = run(['brokr']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^unknown command "brokr"\n\nusage: rocketmq-ts/);
    const badOption = run(['namesrv', '--log-levle', 'warn']);
    expect(badOption.status).toBe(2);
    expect(badOption.stderr).toContain("Unknown option '--log-levle'");
  });
});

describe('log level', () => {
  /** Starts a NameServer with `args`/`env`, waits for its ready line, stops it; returns its output. */
  async function namesrvOutput(args: string[], env: NodeJS.ProcessEnv = {}, conf: Record<string, string | number> = {}): Promise<string> {
    const confPath = path.join(dir, `namesrv-${Date.now()}.conf`);
    fs.writeFileSync(confPath, toProperties({ listenPort: await freePort(), kvConfigPath: path.join(dir, 'kv.json'), ...conf }));
    const p = startTracked('namesrv', process.execPath, [cli, 'namesrv', '-c', confPath, ...args], { cwd: dir, env: { ...process.env, ...env } });
    try {
      await p.waitFor([/The Name Server boot success/], 15_000);
      const r = await p.stop('SIGTERM', 10_000);
      expect(r).toMatchObject({ code: 0, killed: false });
      return p.output;
    } finally {
      await p.kill();
    }
  }
  const infoLines = (out: string) => out.split('\n').filter((l) => / INFO /.test(l));

  test('info by default: the start-up report and the shutdown lines', async () => {
    const out = await namesrvOutput([], { ROCKETMQ_TS_LOG_LEVEL: '', ROCKETMQ_TS_LOG: '' });
    expect(out).toMatch(/ INFO listening: namesrv 127\.0\.0\.1:\d+\n/);
    expect(out).toMatch(/ INFO shutdown complete in \d+ ms\n/);
  });

  test('--log-level warn beats the env, the env beats the key; the ready line is printed at any level', async () => {
    const flag = await namesrvOutput(['--log-level', 'warn'], { ROCKETMQ_TS_LOG_LEVEL: 'debug' });
    expect(infoLines(flag)).toEqual([]);
    expect(flag).toContain('The Name Server boot success. serializeType=JSON');
    const env = await namesrvOutput([], { ROCKETMQ_TS_LOG_LEVEL: 'error' }, { logLevel: 'info' });
    expect(infoLines(env)).toEqual([]);
    const key = await namesrvOutput([], { ROCKETMQ_TS_LOG_LEVEL: '' }, { logLevel: 'warn' });
    expect(infoLines(key)).toEqual([]);
    expect(key).not.toMatch(/unknown config key/);
  });

  test('a level that is not one names where it came from', () => {
    const r = run(['namesrv', '--log-level', 'loud']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('start failed: --log-level loud is not one of debug, info, warn, error');
  });
});
