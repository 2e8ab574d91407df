/**
 * The log in a real process: lines batched for the file must reach it when the process exits
 * (process.exit, an uncaught exception), and the CLI's --log-file must take the log off stderr.
 * Sources are bundled with esbuild into <repo>/.tmp so the test does not depend on a build of dist/.
 */
import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/server.js';

let work: string;
let tmp: string;
beforeAll(() => {
  fs.mkdirSync(path.join(REPO_ROOT, '.tmp'), { recursive: true });
  work = fs.mkdtempSync(path.join(REPO_ROOT, '.tmp', 'log-test-'));
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rocketmq-ts-log-'));
});
afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(tmp, { recursive: true, force: true });
});

function bundle(name: string, entry: string): string {
  const outfile = path.join(work, `${name}.mjs`);
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile, logLevel: 'error' });
  return outfile;
}

function script(name: string, body: string): string {
  const src = path.join(work, `${name}.ts`);
  fs.writeFileSync(src, `import { log, logToFile } from ${JSON.stringify(path.join(REPO_ROOT, 'src', 'logger.ts'))};\n${body}\n`);
  return bundle(name, src);
}

describe('log file in a real process', () => {
  it('process.exit right after logging: every line and the pending summary are in the file', () => {
    const file = path.join(tmp, 'exit.log');
    const js = script('exit', `
      logToFile(${JSON.stringify(file)});
      log.info('starting');
      for (let i = 0; i < 10000; i++) log.client('bad frame', 'closing 127.0.0.1:' + i + ': frame length 99999999');
      log.error('last words');
      process.exit(3);`);
    const r = spawnSync(process.execPath, [js], { encoding: 'utf8' });
    expect(r.status).toBe(3);
    expect(r.stderr).toBe('');
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1 + 5 + 1 + 1);
    expect(lines[0]).toMatch(/ INFO starting$/);
    expect(lines[6]).toMatch(/ ERROR last words$/);
    expect(lines[7]).toMatch(/ WARN client faults in the last \d+ s: bad frame 10000 \(9995 not logged, last: closing 127\.0\.0\.1:9999: frame length 99999999\)$/);
  });

  it('an uncaught exception: lines logged just before it are in the file', () => {
    const file = path.join(tmp, 'crash.log');
    const js = script('crash', `
      logToFile(${JSON.stringify(file)});
      log.warn('about to fail');
      setImmediate(() => { log.error('failing now'); throw new Error('crash'); });`);
    const r = spawnSync(process.execPath, [js], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Error: crash');
    expect(fs.readFileSync(file, 'utf8')).toMatch(/ WARN about to fail\n.* ERROR failing now\n$/);
  });

  describe('CLI', () => {
    let cli: string;
    beforeAll(() => {
      cli = bundle('cli', path.join(REPO_ROOT, 'src', 'cli.ts'));
    });

    it('namesrv --log-file: config warnings and shutdown lines go to the file, not stderr', async () => {
      const file = path.join(tmp, 'ns', 'namesrv.log');
      const conf = path.join(tmp, 'namesrv.conf');
      fs.writeFileSync(conf, `listenPort=0\nkvConfigPath=${path.join(tmp, 'kv', 'kvConfig.json')}\nnoSuchKey=1\n`);
      const child = spawn(process.execPath, [cli, 'namesrv', '-c', conf, '--log-file', file, '--log-file-max-bytes', '1M'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      for (let waited = 0; !stdout.includes('boot success') && waited < 20_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
      expect(stdout).toContain('The Name Server boot success');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toBe('');
      const text = fs.readFileSync(file, 'utf8');
      expect(text).toMatch(/ WARN .*unknown config key "noSuchKey" ignored\n/);
      expect(text).toMatch(/ INFO namesrv listening on 127\.0\.0\.1:\d+\n/);
      expect(text).toMatch(/ INFO SIGTERM received: shutting down \(flush, unregister; at most shutdownTimeoutMills=\d+ ms/);
      expect(text).toMatch(/ INFO shutdown complete in \d+ ms\n$/);
    });

    it('a bad --log-file-max-bytes stops the start with one line on stderr', () => {
      const r = spawnSync(process.execPath, [cli, 'namesrv', '--log-file', path.join(tmp, 'x.log'), '--log-file-max-bytes', '12 apples'], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^\S+ ERROR start failed: --log-file-max-bytes 12 apples is not a size in bytes \(e\.g\. 67108864 or 64M\)\n$/);
    });

    it('ROCKETMQ_TS_LOG_FILE: a start failure is in the file and, once, on stderr', () => {
      const file = path.join(tmp, 'env.log');
      const r = spawnSync(process.execPath, [cli, 'namesrv', '-c', path.join(tmp, 'missing.conf')], {
        encoding: 'utf8', env: { ...process.env, ROCKETMQ_TS_LOG_FILE: file },
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^start failed: .*missing\.conf.*\n$/);
      expect(fs.readFileSync(file, 'utf8')).toMatch(/^\S+ ERROR start failed: .*missing\.conf/);
    });
  });
});
