/**
 * Starts OUR server (`node dist/cli.js standalone`: NameServer + broker in one process) on free loopback
 * ports in a temp dir, and waits for the same ready lines the Java NamesrvStartup/BrokerStartup print.
 * No vitest imports: benchmarks use this too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { brokerPort, freePort } from './ports.js';
import { onExitCleanup, startTracked, toProperties, type Tracked } from './processes.js';
import { REPO_ROOT, assertCleanStops, makeTempDir, removeDir, type RunningServer, type StopResult } from './server.js';

export interface OurServerOptions {
  /** broker.conf keys (Java names) overriding the defaults below. */
  conf?: Record<string, string | number | boolean>;
  /** Defaults to <repo>/dist/cli.js (`npm run build`), run from a snapshot (see snapshotDist). */
  cliPath?: string;
  readyTimeoutMs?: number;
  /** Extra node flags, e.g. ['--inspect']. */
  nodeArgs?: string[];
}

const READY_TIMEOUT_MS_DEFAULT = 30_000;
/** Our server flushes and unregisters on SIGTERM; this is far more than that should take. */
const STOP_GRACE_MS = 15_000;

/**
 * Copies dist/ to <repo>/.tmp/dist-*, so a rebuild of dist/ while a test runs (other work in the same tree)
 * cannot change the code under test between start and restart. Inside the repo so that node_modules
 * and package.json ("type": "module") still resolve as they do for dist/.
 */
export function snapshotDist(): string {
  const dist = path.join(REPO_ROOT, 'dist');
  const cli = path.join(dist, 'cli.js');
  if (!fs.existsSync(cli)) throw new Error(`${cli} does not exist: run \`npm run build\` first`);
  const tmp = path.join(REPO_ROOT, '.tmp');
  fs.mkdirSync(tmp, { recursive: true });
  const snapshot = fs.mkdtempSync(path.join(tmp, 'dist-'));
  fs.cpSync(dist, snapshot, { recursive: true });
  return snapshot;
}

/** Our server also serves the 5.x SDKs' gRPC (enableGrpcServer, on by default). */
export interface OurRunningServer extends RunningServer {
  /** 127.0.0.1:port of the gRPC endpoint (grpcServerPort); the same after restart(). */
  readonly grpcEndpoint: string;
}

export async function startOurServer(options: OurServerOptions = {}): Promise<OurRunningServer> {
  const snapshot = options.cliPath ? undefined : snapshotDist();
  const cli = options.cliPath ?? path.join(snapshot as string, 'cli.js');
  if (!fs.existsSync(cli)) throw new Error(`${cli} does not exist: run \`npm run build\` first`);
  const dir = makeTempDir('rocketmq-ts-ours');
  const namesrvPort = await freePort();
  const listenPort = await brokerPort();
  // A fixed free port rather than 0, so the gRPC endpoint keeps its address across restart().
  const grpcPort = await freePort();
  const brokerName = 'broker-a';
  const conf = {
    brokerClusterName: 'DefaultCluster',
    brokerName,
    brokerId: 0,
    listenPort,
    brokerIP1: '127.0.0.1',
    storePathRootDir: path.join(dir, 'store'),
    autoCreateTopicEnable: true,
    autoCreateSubscriptionGroup: true,
    flushDiskType: 'ASYNC_FLUSH',
    // Small segments: tests write little, and a restart test should not preallocate 1 GiB.
    mappedFileSizeCommitLog: 64 * 1024 * 1024,
    // The gRPC endpoint on a free port, so servers side by side never collide on 8081.
    grpcServerPort: grpcPort,
    ...options.conf,
  };
  const confPath = path.join(dir, 'broker.conf');
  fs.writeFileSync(confPath, toProperties(conf));
  const readyTimeoutMs = options.readyTimeoutMs ?? READY_TIMEOUT_MS_DEFAULT;
  let proc: Tracked | undefined;
  let earlier = '';

  const start = async () => {
    proc = startTracked('rocketmq-ts standalone', process.execPath,
      [...(options.nodeArgs ?? []), cli, 'standalone', '-c', confPath, '--namesrv-port', String(namesrvPort)],
      { cwd: dir, env: { ...process.env } });
    try {
      await proc.waitFor([
        /The Name Server boot success/,
        new RegExp(`The broker\\[${brokerName}, 127\\.0\\.0\\.1:${listenPort}\\] boot success`),
      ], readyTimeoutMs);
    } catch (err) {
      await proc.kill();
      throw err;
    }
  };
  const stop = async (): Promise<StopResult[]> => {
    if (!proc) return [];
    const r = await proc.stop('SIGTERM', STOP_GRACE_MS);
    earlier += proc.output + `\n[exited ${JSON.stringify(r)}]\n`;
    proc = undefined;
    return [r];
  };

  const removeSnapshot = onExitCleanup(() => {
    if (snapshot) fs.rmSync(snapshot, { recursive: true, force: true });
  });
  try {
    await start();
  } catch (err) {
    removeSnapshot();
    throw err;
  }
  const server: OurRunningServer = {
    kind: 'rocketmq-ts',
    namesrvAddr: `127.0.0.1:${namesrvPort}`,
    brokerAddr: `127.0.0.1:${listenPort}`,
    grpcEndpoint: `127.0.0.1:${String(conf.grpcServerPort)}`,
    dir,
    stop,
    async kill() {
      if (proc) {
        await proc.kill();
        earlier += proc.output + '\n[SIGKILLed]\n';
        proc = undefined;
      }
    },
    async restart() {
      assertCleanStops('rocketmq-ts standalone', await stop(), earlier);
      await start();
    },
    async dispose() {
      await stop();
      removeDir(dir);
      removeSnapshot();
    },
    output: () => earlier + (proc?.output ?? ''),
  };
  return server;
}
