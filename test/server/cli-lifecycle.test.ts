/**
 * What the CLI says while it runs: the start-up report after the ready lines (what listens where, the
 * store, config keys that differ from defaults, hidden keys left out), a clean SIGTERM in one line, and
 * the two forced endings: the shutdownTimeoutMills bound passing, and a second signal. The forced ones use
 * a broker alone whose NameServer accepts connections and never answers, so its unregister hangs for
 * registerBrokerTimeoutMills. Runs dist/cli.js from a snapshot.
 */
import { describe, test, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { snapshotDist, startOurServer } from '../support/our-server.js';
import { brokerPort } from '../support/ports.js';
import { startTracked, toProperties, type Tracked } from '../support/processes.js';
import { makeTempDir, removeDir } from '../support/server.js';

const SECRET = 'hunter2-not-for-logs';

describe('standalone: start-up report and a clean SIGTERM', () => {
  test('listeners, store, config differences without hidden keys; "shutdown complete"', async () => {
    const server = await startOurServer({
      conf: { brokerClusterName: 'ReportCluster', deleteWhen: '05', 'tls.server.keyPassword': SECRET, shutdownTimeoutMills: 7000 },
    });
    try {
      const listenPort = Number(server.brokerAddr.split(':')[1]);
      // The report follows the ready lines; its last line is the last config key.
      for (const until = Date.now() + 5000; !server.output().includes('INFO config: shutdownTimeoutMills=7000\n') && Date.now() < until;) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const out = server.output();
      // The ready lines first, unchanged.
      const ready = out.indexOf(`The broker[broker-a, 127.0.0.1:${listenPort}] boot success. serializeType=JSON and name server is ${server.namesrvAddr}`);
      expect(ready).toBeGreaterThan(out.indexOf('The Name Server boot success. serializeType=JSON'));
      const report = out.slice(ready);
      // A failure shows the whole report (e.g. a VIP port another process took between the check and the bind).
      const why = `the output after the ready line:\n${report}`;
      expect(report, why).toContain(`INFO listening: namesrv ${server.namesrvAddr}\n`);
      expect(report, why).toContain(`INFO listening: broker 0.0.0.0:${listenPort} (main), 0.0.0.0:${listenPort - 2} (VIP), 0.0.0.0:${listenPort + 1} (HA)\n`);
      expect(report, why).toMatch(/INFO listening: grpc 127\.0\.0\.1:\d+\n/);
      expect(report, why).toContain(`INFO store: ${path.join(server.dir, 'store')} (commitlog ${path.join(server.dir, 'store', 'commitlog')})\n`);
      for (const kv of ['brokerClusterName=ReportCluster', 'deleteWhen=05', 'shutdownTimeoutMills=7000', `listenPort=${listenPort}`]) expect(report, why).toContain(`INFO config: ${kv}\n`);
      // Keys at their defaults are not listed; hidden keys never are.
      expect(report, why).not.toContain('INFO config: flushDiskType=');
      expect(out).not.toContain(SECRET);
      expect(out).not.toMatch(/config: tls\./);

      const [stopped] = await server.stop();
      expect(stopped).toMatchObject({ code: 0, killed: false });
      const tail = server.output().slice(out.length);
      expect(tail).toMatch(/INFO SIGTERM received: shutting down \(flush, unregister; at most shutdownTimeoutMills=7000 ms, a second signal exits at once\)\n/);
      expect(tail).toMatch(/INFO namesrv: broker unregistered broker-a@/);
      expect(tail).toMatch(/INFO shutdown complete in \d+ ms\n/);
    } finally {
      await server.dispose();
    }
  });
});

describe('broker: forced endings when the shutdown hangs', () => {
  let dir = '';
  let snapshot = '';
  let silent: net.Server;
  const sockets = new Set<net.Socket>();
  let proc: Tracked | undefined;

  beforeAll(async () => {
    dir = makeTempDir('rmqts-cli-life');
    snapshot = snapshotDist();
    // A NameServer that takes connections and never answers: registration and unregister wait out their timeout.
    silent = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await proc?.kill();
    for (const s of sockets) s.destroy();
    silent.close();
    fs.rmSync(snapshot, { recursive: true, force: true });
    removeDir(dir);
  });

  async function startBroker(shutdownTimeoutMills: number): Promise<Tracked> {
    const listenPort = await brokerPort();
    const conf = path.join(dir, 'broker.conf');
    fs.writeFileSync(conf, toProperties({
      listenPort, storePathRootDir: path.join(dir, 'store'), mappedFileSizeCommitLog: 4 * 1024 * 1024,
      namesrvAddr: `127.0.0.1:${(silent.address() as net.AddressInfo).port}`, registerBrokerTimeoutMills: 3000, shutdownTimeoutMills,
    }));
    proc = startTracked('rocketmq-ts broker', process.execPath, [path.join(snapshot, 'cli.js'), 'broker', '-c', conf], { cwd: dir });
    await proc.waitFor([new RegExp(`The broker\\[broker-a, 127\\.0\\.0\\.1:${listenPort}\\] boot success`)], 30_000);
    return proc;
  }

  test('the bound passing exits and says so', async () => {
    const p = await startBroker(500);
    const t0 = Date.now();
    p.child.kill('SIGTERM');
    expect(await p.exited).toEqual({ code: 1, signal: null });
    // 500 ms bound, well before the 3 s unregister timeout; slack for a loaded machine.
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(p.output).toMatch(/ERROR shutdown did not finish within shutdownTimeoutMills=500 ms: exiting now\n/);
    expect(p.output).not.toContain('shutdown complete');
  });

  test('a second signal exits at once and says so', async () => {
    const p = await startBroker(20_000);
    p.child.kill('SIGTERM');
    await p.waitFor([/SIGTERM received: shutting down/], 5000);
    p.child.kill('SIGINT');
    expect(await p.exited).toEqual({ code: 1, signal: null });
    expect(p.output).toMatch(/WARN SIGINT received again during shutdown: exiting now, shutdown not finished\n/);
    expect(p.output).not.toContain('shutdown complete');
  });
});
