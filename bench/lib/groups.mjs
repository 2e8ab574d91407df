/**
 * Replication groups for the --replication phases: a NameServer, a master (brokerRole SYNC_MASTER or
 * ASYNC_MASTER, brokerId 0) and a slave (brokerRole SLAVE, brokerId 1, same brokerName), three processes
 * on free loopback ports, each broker with its own store (and, for Apache, its own user.home, where its
 * log goes). The slave learns the master's HA address (listenPort + 1) from its NameServer registration
 * answer, so the master is started first.
 *  - ours: `node dist/cli.js namesrv` and `node dist/cli.js broker` twice;
 *  - apache: NamesrvStartup + BrokerStartup 4.9.7 twice, with the same JVM flags as lib/servers.mjs.
 * Both sides get the same broker.conf keys. Returns { name, namesrvAddr, masterAddr, slaveAddr,
 * roles: { namesrv, master, slave } (Tracked), processes, pids(), pidsOf(role), logs (every output file),
 * brokerLogs (each broker's full log, once: ours' output, Apache's logs/broker.log), stop() }.
 */
import fs from 'node:fs';
import path from 'node:path';
import { brokerPort, freePort } from './ports.mjs';
import { Tracked, toProperties } from './processes.mjs';
import { mavenClasspath } from './maven.mjs';
import {
  APACHE_DIR, BROKER_JVM, JDK17_OPENS, NAMESRV_JVM, READY_TIMEOUT_MS, REPO_ROOT, STOP_GRACE_MS, commonBrokerConf, readyBroker,
} from './servers.mjs';

const ROLES = ['namesrv', 'master', 'slave'];

function brokerConf(dir, listenPort, namesrvAddr, role, opts) {
  return {
    ...commonBrokerConf(dir, listenPort, opts),
    brokerId: role === 'SLAVE' ? 1 : 0,
    brokerRole: role,
    namesrvAddr,
    brokerIP2: '127.0.0.1',
    storePathCommitLog: path.join(dir, 'store', 'commitlog'),
  };
}

function group(name, namesrvAddr, masterPort, slavePort, procs, logs, brokerLogs) {
  const roles = Object.fromEntries(ROLES.map((r, i) => [r, procs[i]]));
  const running = (ps) => ps.filter((p) => p?.running).map((p) => p.pid);
  return {
    name,
    namesrvAddr,
    masterAddr: `127.0.0.1:${masterPort}`,
    slaveAddr: `127.0.0.1:${slavePort}`,
    roles,
    processes: procs,
    pids: () => running(procs),
    pidsOf: (role) => running([roles[role]]),
    logs,
    brokerLogs,
    async stop() {
      const results = [];
      // Slave, master, then the NameServer, so each broker unregisters from a NameServer that is still up.
      for (const p of [...procs].reverse()) if (p) results.push({ name: p.name, ...(await p.stop('SIGTERM', STOP_GRACE_MS)) });
      return results;
    },
  };
}

/** Starts each spawn() in order, waiting for its ready patterns; on failure stops what started and rethrows. */
async function startInOrder(steps) {
  const procs = [];
  try {
    for (const { spawn, ready } of steps) {
      const p = spawn();
      procs.push(p);
      await p.waitFor(ready, READY_TIMEOUT_MS);
    }
  } catch (err) {
    for (const p of procs.reverse()) await p.stop('SIGTERM', STOP_GRACE_MS);
    throw err;
  }
  return procs;
}

/** @param {{ dir: string, brokerRole: 'SYNC_MASTER'|'ASYNC_MASTER', flushDiskType: string, segmentBytes: number }} opts */
export async function startOursGroup(opts) {
  const cli = path.join(REPO_ROOT, 'dist', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error(`${cli} does not exist: run \`npm run build\` first (npm run bench does)`);
  const namesrvPort = await freePort();
  const namesrvAddr = `127.0.0.1:${namesrvPort}`;
  const ports = { master: await brokerPort(), slave: await brokerPort() };
  const files = {};
  for (const role of ROLES) {
    const d = path.join(opts.dir, role);
    fs.mkdirSync(d, { recursive: true });
    const conf = role === 'namesrv'
      ? { listenPort: namesrvPort, kvConfigPath: path.join(d, 'kvConfig.json') }
      : brokerConf(d, ports[role], namesrvAddr, role === 'slave' ? 'SLAVE' : opts.brokerRole, opts);
    files[role] = { dir: d, conf: path.join(d, `${role === 'namesrv' ? 'namesrv' : 'broker'}.conf`), log: path.join(d, 'server.log') };
    fs.writeFileSync(files[role].conf, toProperties(conf));
  }
  const spawn = (role) => () => new Tracked(`rocketmq-ts ${role}`, process.execPath,
    [cli, role === 'namesrv' ? 'namesrv' : 'broker', '-c', files[role].conf], { cwd: files[role].dir, logFile: files[role].log });
  const procs = await startInOrder([
    { spawn: spawn('namesrv'), ready: [/The Name Server boot success/] },
    { spawn: spawn('master'), ready: [readyBroker(ports.master)] },
    { spawn: spawn('slave'), ready: [readyBroker(ports.slave)] },
  ]);
  return group('rocketmq-ts', namesrvAddr, ports.master, ports.slave, procs, ROLES.map((r) => files[r].log), [files.master.log, files.slave.log]);
}

/** @param {{ dir: string, brokerRole: 'SYNC_MASTER'|'ASYNC_MASTER', flushDiskType: string, segmentBytes: number }} opts */
export async function startApacheGroup(opts) {
  const pom = path.join(APACHE_DIR, 'pom.xml');
  if (!fs.existsSync(pom) || !fs.existsSync(path.join(APACHE_DIR, 'conf', 'logback_broker.xml'))) {
    throw new Error(`${APACHE_DIR}/pom.xml and conf/logback_{namesrv,broker}.xml are needed to start the Apache broker`);
  }
  const cp = await mavenClasspath(pom, path.join(REPO_ROOT, 'bench', 'java', 'target', 'apache-classpath.txt'));
  const namesrvPort = await freePort();
  const namesrvAddr = `127.0.0.1:${namesrvPort}`;
  const ports = { master: await brokerPort(), slave: await brokerPort() };
  const files = {};
  for (const role of ROLES) {
    const d = path.join(opts.dir, role);
    fs.mkdirSync(d, { recursive: true });
    const conf = role === 'namesrv'
      ? { listenPort: namesrvPort, kvConfigPath: path.join(d, 'namesrv', 'kvConfig.json') }
      : brokerConf(d, ports[role], namesrvAddr, role === 'slave' ? 'SLAVE' : opts.brokerRole, opts);
    files[role] = { dir: d, conf: path.join(d, `${role === 'namesrv' ? 'namesrv' : 'broker'}.conf`), out: path.join(d, 'stdout.log'), log: path.join(d, 'logs', 'broker.log') };
    fs.writeFileSync(files[role].conf, toProperties(conf));
  }
  // user.home moves ~/store, ~/logs and ~/namesrv into each process's directory.
  const common = (role) => [`-Drocketmq.home.dir=${APACHE_DIR}`, `-Duser.home=${files[role].dir}`, '-Duser.language=en', '-cp', cp];
  const spawn = (role) => () => (role === 'namesrv'
    ? new Tracked('apache namesrv', 'java', [...NAMESRV_JVM, ...common(role), 'org.apache.rocketmq.namesrv.NamesrvStartup', '-c', files[role].conf],
      { cwd: files[role].dir, logFile: files[role].out })
    : new Tracked(`apache ${role}`, 'java', [...BROKER_JVM, ...JDK17_OPENS, ...common(role), 'org.apache.rocketmq.broker.BrokerStartup', '-c', files[role].conf, '-n', namesrvAddr],
      { cwd: files[role].dir, logFile: files[role].out }));
  const procs = await startInOrder([
    { spawn: spawn('namesrv'), ready: [/The Name Server boot success/] },
    { spawn: spawn('master'), ready: [readyBroker(ports.master)] },
    { spawn: spawn('slave'), ready: [readyBroker(ports.slave)] },
  ]);
  return group('apache-4.9.7', namesrvAddr, ports.master, ports.slave, procs,
    [files.namesrv.out, files.master.out, files.master.log, files.slave.out, files.slave.log], [files.master.log, files.slave.log]);
}
