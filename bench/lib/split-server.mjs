/**
 * A NameServer and a broker as separate processes (ours: `dist/cli.js namesrv` / `dist/cli.js broker`;
 * Apache 4.9.7: NamesrvStartup / BrokerStartup with the JVM flags of lib/servers.mjs), so a phase can put
 * something between them (bench/lib/frame-proxy.mjs) or restart the broker alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { brokerPort, freePort } from './ports.mjs';
import { Tracked, toProperties } from './processes.mjs';
import { mavenClasspath } from './maven.mjs';
import { APACHE_DIR, BROKER_JVM, JDK17_OPENS, NAMESRV_JVM, READY_TIMEOUT_MS, REPO_ROOT, commonBrokerConf, readyBroker } from './servers.mjs';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

async function apacheCp() {
  return mavenClasspath(path.join(APACHE_DIR, 'pom.xml'), path.join(REPO_ROOT, 'bench', 'java', 'target', 'apache-classpath.txt'));
}

const apacheCommon = (cp, dir) => [`-Drocketmq.home.dir=${APACHE_DIR}`, `-Duser.home=${dir}`, '-Duser.language=en', '-cp', cp];

/** @param {'ours'|'apache'} side */
export async function startNamesrv(side, dir) {
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = path.join(dir, 'namesrv.conf');
  fs.writeFileSync(conf, toProperties({ listenPort: port, kvConfigPath: path.join(dir, 'kvConfig.json') }));
  const proc = side === 'ours'
    ? new Tracked('rocketmq-ts namesrv', process.execPath, [CLI, 'namesrv', '-c', conf], { cwd: dir, logFile: path.join(dir, 'namesrv.log') })
    : new Tracked('apache namesrv', 'java', [...NAMESRV_JVM, ...apacheCommon(await apacheCp(), dir), 'org.apache.rocketmq.namesrv.NamesrvStartup', '-c', conf],
      { cwd: dir, logFile: path.join(dir, 'namesrv.log') });
  await proc.waitFor([/The Name Server boot success/], READY_TIMEOUT_MS);
  return { proc, addr: `127.0.0.1:${port}` };
}

/**
 * Writes the broker's config once (same store on every start) and returns start(): a spawn that resolves
 * when the broker prints its ready line, with the ms that took.
 * @param {'ours'|'apache'} side
 */
export async function brokerLauncher(side, dir, namesrvAddr, extraConf = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const listenPort = await brokerPort();
  const conf = path.join(dir, 'broker.conf');
  fs.writeFileSync(conf, toProperties({
    ...commonBrokerConf(dir, listenPort, { flushDiskType: 'ASYNC_FLUSH', segmentBytes: 1024 * 1024 * 1024, extraConf }),
    namesrvAddr,
    brokerIP2: '127.0.0.1',
    storePathCommitLog: path.join(dir, 'store', 'commitlog'),
  }));
  const cp = side === 'apache' ? await apacheCp() : undefined;
  let n = 0;
  return {
    brokerAddr: `127.0.0.1:${listenPort}`,
    async start() {
      const logFile = path.join(dir, `broker-${++n}.log`);
      const t0 = performance.now();
      const proc = side === 'ours'
        ? new Tracked('rocketmq-ts broker', process.execPath, [CLI, 'broker', '-c', conf], { cwd: dir, logFile })
        : new Tracked('apache broker', 'java', [...BROKER_JVM, ...JDK17_OPENS, ...apacheCommon(cp, dir), 'org.apache.rocketmq.broker.BrokerStartup', '-c', conf, '-n', namesrvAddr],
          { cwd: dir, logFile });
      await proc.waitFor([readyBroker(listenPort)], READY_TIMEOUT_MS);
      return { proc, startMs: performance.now() - t0 };
    },
  };
}
