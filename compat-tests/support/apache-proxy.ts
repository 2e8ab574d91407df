/**
 * The Apache RocketMQ 5.3.3 gRPC proxy in local mode, the reference the 5.x SDK suites (Java, Go, Node.js)
 * validate their scenarios against: a 5.3.3 NameServer (NamesrvStartup) and ProxyStartup `-pm local`,
 * which builds its broker inside the same JVM (BrokerStartup.createBrokerController) and serves gRPC
 * (grpcServerPort) and the proxy's remoting port (remotingListenPort, default 8080) beside the broker's own
 * listenPort. Jars from Maven Central (compat-tests/apache-proxy/pom.xml); every port free on 127.0.0.1;
 * one temp dir (user.home: store, logs). Ready when the NameServer prints its boot line and the proxy
 * prints "rocketmq-proxy startup successfully" (after its broker has started and registered).
 * restart() stops and starts the proxy JVM (broker inside) on the same ports and store; the NameServer
 * stays up. No vitest imports: benchmarks and other suites use this too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { mavenClasspath } from './maven.js';
import { brokerPort, freePort } from '../../test/support/ports.js';
import { startTracked, toProperties, type Tracked } from '../../test/support/processes.js';
import { REPO_ROOT, makeTempDir, removeDir } from '../../test/support/server.js';

export const APACHE_PROXY_PROJECT_DIR = path.join(REPO_ROOT, 'compat-tests', 'apache-proxy');
/** A cold JVM builds broker + proxy in ~10 s on an idle machine; 2 shared cores are far from idle. */
const READY_TIMEOUT_MS = 120_000;
/** grpcShutdownTimeSeconds is set to 1 below; the broker flushes and unregisters on SIGTERM. */
const STOP_GRACE_MS = 30_000;
const JDK17_OPENS = [
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-exports=java.base/sun.nio.ch=ALL-UNNAMED',
];
/** running-apache-rocketmq.md's 2-core sizes: namesrv 256m; broker 512m to 1g (the proxy shares its JVM). */
const NAMESRV_JVM = ['-Xms128m', '-Xmx256m'];
const PROXY_JVM_DEFAULT = ['-Xms512m', '-Xmx1g', '-XX:MaxDirectMemorySize=512m'];
const BROKER_NAME = 'broker-a';

export interface ApacheProxyOptions {
  /** broker.conf keys of the broker inside the proxy JVM, over the defaults below. */
  brokerConf?: Record<string, string | number | boolean>;
  /** rmq-proxy.json keys (ProxyConfig field names) over the defaults below. */
  proxyConf?: Record<string, unknown>;
  /** Heap flags of the proxy JVM instead of PROXY_JVM_DEFAULT. */
  proxyJvm?: string[];
}

export interface ApacheProxy {
  readonly kind: 'apache-5.3.3-proxy-local';
  /** 127.0.0.1:port of the 5.3.3 NameServer. */
  readonly namesrvAddr: string;
  /** 127.0.0.1:port of the broker inside the proxy JVM (remoting: mqadmin, wire requests). */
  readonly brokerAddr: string;
  /** 127.0.0.1:port the gRPC SDKs take as their endpoint (plaintext; TLS too, the proxy's permissive mode). */
  readonly grpcEndpoint: string;
  /** 127.0.0.1:port of the proxy's remoting (4.x/5.x remoting clients through the proxy). */
  readonly proxyRemotingAddr: string;
  readonly dir: string;
  /** The proxy log (proxy + broker loggers, INFO), under dir. */
  readonly logFile: string;
  /** Process ids, for CPU and RSS sampling: the proxy JVM (broker inside) and the NameServer JVM. */
  pids(): { proxy?: number; namesrv?: number };
  /** SIGTERM the proxy JVM, wait, start it again on the same ports and store. */
  restart(): Promise<void>;
  /** SIGKILL the proxy JVM (no flush, no unregister); start() brings it back. */
  kill(): Promise<void>;
  /** Starts the proxy JVM again after kill() or stopProxy(). */
  start(): Promise<void>;
  stopProxy(): Promise<void>;
  /** Stops both JVMs. */
  stop(): Promise<void>;
  /** stop() and remove the temp dir. */
  dispose(): Promise<void>;
  output(): string;
}

/** rocketmq-proxy + rocketmq-namesrv 5.3.3 classpath, built once and cached under compat-tests/apache-proxy/target. */
export function apacheProxyClasspath(): Promise<string> {
  return mavenClasspath(APACHE_PROXY_PROJECT_DIR, false);
}

function javaBase(dir: string, cp: string): string[] {
  const logback = path.join(APACHE_PROXY_PROJECT_DIR, 'conf', 'rmq.proxy.logback.xml');
  return [...JDK17_OPENS, `-Drocketmq.home.dir=${APACHE_PROXY_PROJECT_DIR}`, `-Duser.home=${dir}`, '-Duser.language=en',
    `-Drmq.logback.configurationFile=${logback}`, '-cp', cp];
}

/**
 * Starts the NameServer and the proxy (local mode). Whatever fails during start-up, the processes
 * started so far are stopped and the temp dir removed before the error is thrown.
 */
export async function startApacheProxy(options: ApacheProxyOptions = {}): Promise<ApacheProxy> {
  const cp = await apacheProxyClasspath();
  const dir = makeTempDir('rocketmq-ts-apache-proxy');
  const namesrvPort = await freePort();
  const listenPort = await brokerPort();
  const grpcPort = await freePort();
  const remotingPort = await freePort();
  const namesrvAddr = `127.0.0.1:${namesrvPort}`;

  const namesrvConf = path.join(dir, 'namesrv.conf');
  fs.writeFileSync(namesrvConf, toProperties({ listenPort: namesrvPort, kvConfigPath: path.join(dir, 'namesrv', 'kvConfig.json') }));
  const brokerConf = path.join(dir, 'broker.conf');
  fs.writeFileSync(brokerConf, toProperties({
    brokerClusterName: 'DefaultCluster',
    brokerName: BROKER_NAME,
    brokerId: 0,
    brokerRole: 'ASYNC_MASTER',
    flushDiskType: 'ASYNC_FLUSH',
    namesrvAddr,
    brokerIP1: '127.0.0.1',
    brokerIP2: '127.0.0.1',
    listenPort,
    storePathRootDir: path.join(dir, 'store'),
    storePathCommitLog: path.join(dir, 'store', 'commitlog'),
    autoCreateTopicEnable: true,
    autoCreateSubscriptionGroup: true,
    mappedFileSizeCommitLog: 64 * 1024 * 1024,
    // The SDK suites' transaction check-back: first check 10 s after the half message, not 60 s.
    transactionCheckInterval: 10_000,
    transactionTimeOut: 3_000,
    ...options.brokerConf,
  }));
  const proxyConf = path.join(dir, 'rmq-proxy.json');
  fs.writeFileSync(proxyConf, JSON.stringify({
    rocketMQClusterName: 'DefaultCluster',
    proxyMode: 'local',
    namesrvAddr,
    brokerConfigPath: brokerConf,
    grpcServerPort: grpcPort,
    remotingListenPort: remotingPort,
    // A restart should not wait the default 30 s for gRPC calls to drain.
    grpcShutdownTimeSeconds: 1,
    enablePrintJstack: false,
    ...options.proxyConf,
  }, null, 2));

  let namesrv: Tracked | undefined;
  let proxy: Tracked | undefined;
  let earlier = '';
  const retire = (p: Tracked | undefined, note: string) => {
    if (p) earlier += `${p.output}\n[${p.name} ${note}]\n`;
  };

  const startNamesrv = async () => {
    namesrv = startTracked('apache 5.3.3 namesrv', 'java',
      [...NAMESRV_JVM, ...javaBase(dir, cp), 'org.apache.rocketmq.namesrv.NamesrvStartup', '-c', namesrvConf], { cwd: dir });
    await namesrv.waitFor([/The Name Server boot success/], READY_TIMEOUT_MS);
  };
  const startProxy = async () => {
    if (proxy?.running) throw new Error('apache proxy already running');
    const p = startTracked('apache 5.3.3 proxy (local)', 'java',
      [...(options.proxyJvm ?? PROXY_JVM_DEFAULT), ...javaBase(dir, cp), 'org.apache.rocketmq.proxy.ProxyStartup',
        '-pc', proxyConf, '-pm', 'local', '-bc', brokerConf, '-n', namesrvAddr], { cwd: dir });
    proxy = p;
    try {
      await p.waitFor([/rocketmq-proxy startup successfully/], READY_TIMEOUT_MS);
    } catch (err) {
      await p.kill();
      retire(p, 'failed to start');
      proxy = undefined;
      throw err;
    }
  };
  const stopProxy = async () => {
    const p = proxy;
    if (!p) return;
    const r = await p.stop('SIGTERM', STOP_GRACE_MS);
    retire(p, `stopped ${JSON.stringify(r)}`);
    proxy = undefined;
  };
  const stopAll = async () => {
    await stopProxy();
    if (namesrv) {
      const r = await namesrv.stop('SIGTERM', STOP_GRACE_MS);
      retire(namesrv, `stopped ${JSON.stringify(r)}`);
      namesrv = undefined;
    }
  };

  try {
    await startNamesrv();
    await startProxy();
  } catch (err) {
    await stopAll();
    const log = path.join(dir, 'logs', 'proxy.log');
    const tail = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter((l) => /WARN|ERROR|Exception/.test(l)).slice(-40).join('\n') : '';
    removeDir(dir);
    throw new Error(`${(err as Error).message}${tail ? `\n--- proxy.log WARN/ERROR:\n${tail}` : ''}`);
  }

  return {
    kind: 'apache-5.3.3-proxy-local',
    namesrvAddr,
    brokerAddr: `127.0.0.1:${listenPort}`,
    grpcEndpoint: `127.0.0.1:${grpcPort}`,
    proxyRemotingAddr: `127.0.0.1:${remotingPort}`,
    dir,
    logFile: path.join(dir, 'logs', 'proxy.log'),
    pids: () => ({ proxy: proxy?.child.pid, namesrv: namesrv?.child.pid }),
    async restart() {
      await stopProxy();
      await startProxy();
    },
    async kill() {
      const p = proxy;
      if (!p) return;
      await p.kill();
      retire(p, 'SIGKILLed');
      proxy = undefined;
    },
    start: startProxy,
    stopProxy,
    stop: stopAll,
    async dispose() {
      await stopAll();
      removeDir(dir);
    },
    output: () => earlier + (namesrv?.output ?? '') + (proxy?.output ?? ''),
  };
}
