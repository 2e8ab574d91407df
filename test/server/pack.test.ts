/**
 * The published package as a user gets it: `npm pack` (of the dist/ `npm test` builds first), `npm install
 * <tarball> --omit=dev` into an empty temp project (the runtime dependencies come from the registry), then
 * `npx rocketmq-ts standalone` there on free ports: the ready lines, one send and one pull over TCP, a
 * clean SIGTERM. Also that the entry's type declarations are real (a misspelled key fails to compile).
 * Most of the time is the install (about 20 s here). PACK_TEST=0 leaves the suite out (no registry).
 */
import { describe, test, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RemotingClient } from '../../src/remoting/client.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { consumerHeartbeat, pullRequest, pulledRecords, sendV2 } from '../support/wire.js';
import { brokerPort, freePort } from '../support/ports.js';
import { toProperties } from '../support/processes.js';
import { REPO_ROOT } from '../support/server.js';

const INSTALL_TIMEOUT_MS = 120_000;
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rmqts-pack-'));
const project = path.join(tmp, 'project');
let tarball = '';
let child: ChildProcess | undefined;
let output = '';
const client = new RemotingClient();

function run(cmd: string, args: string[], cwd: string, timeout = INSTALL_TIMEOUT_MS): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Waits until `re` matches the output; fails with the output on exit or timeout. */
function waitFor(re: RegExp, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = setInterval(() => {
      if (re.test(output)) done();
      else if (child?.exitCode !== null || Date.now() - started > ms) done(new Error(`no ${re} (exit ${child?.exitCode}):\n${output}`));
    }, 50);
    const done = (e?: Error) => {
      clearInterval(tick);
      if (e) reject(e);
      else resolve();
    };
  });
}

describe.skipIf(process.env.PACK_TEST === '0')('npm pack → npm install → npx rocketmq-ts standalone', () => {
  beforeAll(() => {
    if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'index.d.ts'))) throw new Error('dist/ is not built: run `npm run build` first');
    // --ignore-scripts: the tarball of the dist/ this run built (prepack would rebuild it in the shared tree).
    const packed = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], REPO_ROOT)) as Array<{
      filename: string; size: number; files: Array<{ path: string }>;
    }>;
    tarball = path.join(tmp, packed[0].filename);
    const files = packed[0].files.map((f) => f.path);
    console.log(`[pack] ${packed[0].filename}: ${packed[0].size} bytes, ${files.length} files`);
    expect(files).toEqual(expect.arrayContaining(['dist/cli.js', 'dist/index.js', 'dist/index.d.ts', 'proto/apache/rocketmq/v2/service.proto',
      'dist/console/console.js', 'dist/console/assets/index-html.js']));
    // Neither sources nor tests nor source maps: the package is what runs.
    expect(files.filter((f) => /^(src|test|compat-tests|bench)\/|\.map$/.test(f))).toEqual([]);
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'pack-check', private: true, type: 'module' }));
    const began = Date.now();
    run('npm', ['install', tarball, '--omit=dev', '--no-audit', '--no-fund'], project);
    console.log(`[pack] npm install took ${Date.now() - began} ms`);
  }, INSTALL_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    client.close();
    // The whole group (npx and the server it started), if anything of it is left after a failure.
    try {
      if (child?.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // ESRCH: the group ended with the test.
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the installed bin starts, takes a message, and stops on SIGTERM', async () => {
    const namesrvPort = await freePort();
    const listenPort = await brokerPort();
    fs.writeFileSync(path.join(project, 'broker.conf'), toProperties({ listenPort, grpcServerPort: 0, mappedFileSizeCommitLog: 4 * 1024 * 1024 }));
    child = spawn('npx', ['--no-install', 'rocketmq-ts', 'standalone', '-c', 'broker.conf', '--namesrv-port', String(namesrvPort), '--data', 'data'], {
      cwd: project, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (b: Buffer) => (output += b));
    child.stderr?.on('data', (b: Buffer) => (output += b));
    await waitFor(new RegExp(`The broker\\[broker-a, 127\\.0\\.0\\.1:${listenPort}\\] boot success`), READY_TIMEOUT_MS);
    expect(output).toContain('The Name Server boot success. serializeType=JSON');
    // The gRPC endpoint loads proto/ from the installed package at start.
    await waitFor(/grpc listening on 127\.0\.0\.1:\d+\n/, READY_TIMEOUT_MS);

    const brokerAddr = `127.0.0.1:${listenPort}`;
    expect((await client.invoke(brokerAddr, sendV2('PackTopic', 'from the tarball'), 5000)).code).toBe(ResponseCode.SUCCESS);
    expect((await client.invoke(brokerAddr, consumerHeartbeat('pack@1', 'PackGroup', 'PackTopic'), 5000)).code).toBe(ResponseCode.SUCCESS);
    const pulled = await client.invoke(brokerAddr, pullRequest('PackGroup', 'PackTopic', 0, 0), 5000);
    expect(pulledRecords(pulled).map((r) => r.body.toString())).toEqual(['from the tarball']);

    // To the group: npx does not pass SIGTERM on to the server it started.
    process.kill(-(child.pid as number), 'SIGTERM');
    await waitFor(/shutdown complete in \d+ ms/, STOP_TIMEOUT_MS);
  });

  test('the entry is typed: startStandalone compiles, a misspelled config key does not', () => {
    fs.writeFileSync(path.join(project, 'use.ts'), [
      "import { startStandalone, type Standalone } from 'rocketmq-ts';",
      "const s: Promise<Standalone> = startStandalone({ config: { brokerName: 'a', flushDiskType: 'SYNC_FLUSH' } });",
      'void s.then((x) => x.stop());',
      '// @ts-expect-error: not a broker.conf key',
      "void startStandalone({ config: { brokerNmae: 'a' } });",
    ].join('\n'));
    const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    // An unused @ts-expect-error is itself an error, so untyped (any) declarations fail here too.
    run(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022',
      '--typeRoots', path.join(REPO_ROOT, 'node_modules', '@types'), '--types', 'node', 'use.ts'], project);
  });
});
