/**
 * The two servers a run compares, started the same way on free loopback ports in a fresh directory:
 *  - ours: `node dist/cli.js standalone` (NameServer + broker in one process);
 *  - apache: NamesrvStartup + BrokerStartup 4.9.7 from Maven Central jars (4.9.8 server jars are not
 *    published), launched as compat-tests/apache does (its pom for the classpath, its conf/logback_*.xml
 *    as rocketmq.home.dir, which 4.9.x requires), with the JVM sizes running-apache-rocketmq.md gives for
 *    2 cores.
 * Both get the same broker.conf keys. Each returns { name, pids(), stop(), logs }.
 */
import { phaseProfiler } from './profile.mjs';
import fs from 'node:fs';
import path from 'node:path';
import { brokerPort, freePort } from './ports.mjs';
import { Tracked, toProperties } from './processes.mjs';
import { mavenClasspath } from './maven.mjs';

export const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
export const APACHE_DIR = path.join(REPO_ROOT, 'compat-tests', 'apache');
export const BROKER_NAME = 'broker-a';

export const READY_TIMEOUT_MS = 90_000;
/** Both brokers flush and unregister on SIGTERM; far more than that takes. */
export const STOP_GRACE_MS = 30_000;

/** Needed by the 4.9.x broker on JDK 17 (it reaches into NIO internals for mmap cleanup). */
export const JDK17_OPENS = [
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-exports=java.base/sun.nio.ch=ALL-UNNAMED',
];
/**
 * running-apache-rocketmq.md, "On 2 cores". runbroker.sh's -XX:+AlwaysPreTouch is left out on purpose:
 * it would make the broker's RSS its whole heap from the start.
 */
export const NAMESRV_JVM = ['-Xms128m', '-Xmx256m'];
export const BROKER_JVM = ['-Xms1g', '-Xmx1g', '-XX:MaxDirectMemorySize=1g'];

/** broker.conf keys both servers get (Java names). */
export function commonBrokerConf(dir, listenPort, opts) {
  return {
    brokerClusterName: 'DefaultCluster',
    brokerName: BROKER_NAME,
    brokerId: 0,
    listenPort,
    brokerIP1: '127.0.0.1',
    storePathRootDir: path.join(dir, 'store'),
    autoCreateTopicEnable: true,
    autoCreateSubscriptionGroup: true,
    flushDiskType: opts.flushDiskType,
    mappedFileSizeCommitLog: opts.segmentBytes,
    // The standalone's gRPC endpoint on a free port, so runs side by side never collide on 8081.
    grpcServerPort: opts.grpcServerPort ?? 0,
    // Keys a phase needs beyond these (bench/curves.mjs: maxMessageSize for 4 MiB messages).
    ...(opts.extraConf ?? {}),
  };
}

export const readyBroker = (listenPort) => new RegExp(`The broker\\[${BROKER_NAME}, 127\\.0\\.0\\.1:${listenPort}\\] boot success`);

/** @param {{ dir: string, flushDiskType: string, segmentBytes: number, cpuProfileDir?: string }} opts */
export async function startOurs(opts) {
  const cli = path.join(REPO_ROOT, 'dist', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error(`${cli} does not exist: run \`npm run build\` first (npm run bench does)`);
  fs.mkdirSync(opts.dir, { recursive: true });
  const namesrvPort = await freePort();
  const listenPort = await brokerPort();
  const confPath = path.join(opts.dir, 'broker.conf');
  fs.writeFileSync(confPath, toProperties(commonBrokerConf(opts.dir, listenPort, opts)));
  const logFile = path.join(opts.dir, 'server.log');
  // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") goes to our server's node, for profiling a phase.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = new Tracked('rocketmq-ts standalone', process.execPath,
    [...nodeArgs, cli, 'standalone', '-c', confPath, '--namesrv-port', String(namesrvPort), '--data', opts.dir,
      ...(opts.cpuProfileDir ? ['--cpu-profile-dir', opts.cpuProfileDir] : [])],
    { cwd: opts.dir, logFile });
  try {
    await proc.waitFor([/The Name Server boot success/, readyBroker(listenPort)], READY_TIMEOUT_MS);
  } catch (err) {
    await proc.stop('SIGKILL', 1000);
    throw err;
  }
  return {
    name: 'rocketmq-ts',
    namesrvAddr: `127.0.0.1:${namesrvPort}`,
    brokerAddr: `127.0.0.1:${listenPort}`,
    processes: [proc],
    // --profile: SIGUSR2 around each phase (lib/profile.mjs).
    profiler: opts.cpuProfileDir ? phaseProfiler(proc, opts.cpuProfileDir) : undefined,
    pids: () => (proc.running ? [proc.pid] : []),
    logs: [logFile],
    async stop() {
      return [{ name: proc.name, ...(await proc.stop('SIGTERM', STOP_GRACE_MS)) }];
    },
  };
}

/** @param {{ dir: string, flushDiskType: string, segmentBytes: number }} opts */
export async function startApache(opts) {
  const pom = path.join(APACHE_DIR, 'pom.xml');
  if (!fs.existsSync(pom) || !fs.existsSync(path.join(APACHE_DIR, 'conf', 'logback_broker.xml'))) {
    throw new Error(`${APACHE_DIR}/pom.xml and conf/logback_{namesrv,broker}.xml are needed to start the Apache broker`);
  }
  const cp = await mavenClasspath(pom, path.join(REPO_ROOT, 'bench', 'java', 'target', 'apache-classpath.txt'));
  fs.mkdirSync(opts.dir, { recursive: true });
  const namesrvPort = await freePort();
  const listenPort = await brokerPort();
  const namesrvAddr = `127.0.0.1:${namesrvPort}`;
  const namesrvConf = path.join(opts.dir, 'namesrv.conf');
  fs.writeFileSync(namesrvConf, toProperties({ listenPort: namesrvPort, kvConfigPath: path.join(opts.dir, 'namesrv', 'kvConfig.json') }));
  const brokerConf = path.join(opts.dir, 'broker.conf');
  fs.writeFileSync(brokerConf, toProperties({
    ...commonBrokerConf(opts.dir, listenPort, opts),
    brokerRole: 'ASYNC_MASTER',
    namesrvAddr,
    brokerIP2: '127.0.0.1',
    storePathCommitLog: path.join(opts.dir, 'store', 'commitlog'),
  }));
  // user.home moves ~/store, ~/logs and ~/namesrv into the run directory.
  const common = [`-Drocketmq.home.dir=${APACHE_DIR}`, `-Duser.home=${opts.dir}`, '-Duser.language=en', '-cp', cp];
  const procs = [];
  const stop = async () => {
    const results = [];
    // Broker first, so it unregisters from a NameServer that is still there.
    for (const p of [...procs].reverse()) results.push({ name: p.name, ...(await p.stop('SIGTERM', STOP_GRACE_MS)) });
    return results;
  };
  try {
    const namesrv = new Tracked('apache namesrv', 'java',
      [...NAMESRV_JVM, ...common, 'org.apache.rocketmq.namesrv.NamesrvStartup', '-c', namesrvConf],
      { cwd: opts.dir, logFile: path.join(opts.dir, 'namesrv.out') });
    procs.push(namesrv);
    await namesrv.waitFor([/The Name Server boot success/], READY_TIMEOUT_MS);
    const broker = new Tracked('apache broker', 'java',
      [...BROKER_JVM, ...JDK17_OPENS, ...common, 'org.apache.rocketmq.broker.BrokerStartup', '-c', brokerConf, '-n', namesrvAddr],
      { cwd: opts.dir, logFile: path.join(opts.dir, 'broker.out') });
    procs.push(broker);
    await broker.waitFor([readyBroker(listenPort)], READY_TIMEOUT_MS);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    name: 'apache-4.9.7',
    namesrvAddr,
    brokerAddr: `127.0.0.1:${listenPort}`,
    processes: procs,
    pids: () => procs.filter((p) => p.running).map((p) => p.pid),
    logs: [path.join(opts.dir, 'namesrv.out'), path.join(opts.dir, 'broker.out'), path.join(opts.dir, 'logs', 'broker.log')],
    stop,
  };
}
