#!/usr/bin/env node
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadBrokerConfig, type BrokerConfig } from './config/broker-config.js';
import { NAMESRV_CONFIG_DEFAULTS, loadNamesrvConfig, type NamesrvConfig } from './config/namesrv-config.js';
import { ConfigError } from './config/config-rules.js';
import { parseJavaInt } from './protocol/java-number.js';
import { NamesrvController } from './server/namesrv-controller.js';
import { BrokerController } from './server/broker-controller.js';
import { DefaultMessageStore } from './store/default-message-store.js';
import { StoreLockedError } from './store/store-lock.js';
import { startStandalone } from './server/standalone.js';
import { LOG_FILE_MAX_BYTES_DEFAULT, log, logToFile, loggingToFile } from './logger.js';

const USAGE = `usage: rocketmq-ts <command> [options]

commands:
  standalone [-c broker.conf] [--namesrv-port 9876] [--data ./data]
      NameServer and broker in one process; data under --data (default ./data).
      The broker's namesrvAddr is the embedded NameServer.
  namesrv [-c namesrv.conf]
      A NameServer alone (keys: listenPort, kvConfigPath).
  broker [-c broker.conf] [-n "addr;addr"]
      A broker alone (Java broker.conf keys: brokerClusterName, brokerName, brokerId,
      namesrvAddr, listenPort, storePathRootDir, brokerIP1, flushDiskType, ...).

options:
  -c, --config FILE      Java-style properties file
  -n, --namesrv ADDRS    NameServer addresses, ';'-separated (overrides namesrvAddr)
  --log-file FILE        log to FILE instead of stderr (env ROCKETMQ_TS_LOG_FILE); appended, and
                         rotated to FILE.1 .. FILE.3 when it would pass --log-file-max-bytes
  --log-file-max-bytes N size cap of the log file, bytes or with K/M/G (env ROCKETMQ_TS_LOG_FILE_MAX_BYTES,
                         default 64M)
  -h, --help             this text
`;

/** "67108864", "64M", "512k": a byte count for --log-file-max-bytes. */
function parseByteSize(s: string): number | undefined {
  const m = /^(\d+)([kmg]?)$/i.exec(s.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase());
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** Takes the log over to a file before anything else logs, so config warnings land there too. */
function setUpLogFile(file: string | undefined, maxBytesText: string | undefined): void {
  if (!file) return;
  const maxBytes = maxBytesText === undefined ? LOG_FILE_MAX_BYTES_DEFAULT : parseByteSize(maxBytesText);
  if (maxBytes === undefined) throw new ConfigError(`--log-file-max-bytes ${maxBytesText} is not a size in bytes (e.g. 67108864 or 64M)`);
  try {
    logToFile(path.resolve(file), { maxBytes });
  } catch (e) {
    throw new ConfigError(`--log-file ${file}: ${(e as Error).message}`);
  }
}

async function startBroker(cfg: BrokerConfig, configFile?: string): Promise<BrokerController> {
  const store = new DefaultMessageStore(cfg, { recentCacheBytes: cfg.commitLogRecentCacheBytes });
  const broker = new BrokerController(cfg, store, configFile && path.resolve(configFile));
  await broker.start();
  const ns = cfg.namesrvAddr || '(none)';
  // Same ready line as BrokerStartup, so scripts written for the Java broker can wait for it.
  console.log(`The broker[${cfg.brokerName}, ${broker.brokerAddr}] boot success. serializeType=JSON and name server is ${ns}`);
  return broker;
}

async function startNamesrv(cfg: NamesrvConfig): Promise<NamesrvController> {
  const namesrv = new NamesrvController(cfg);
  await namesrv.start();
  console.log('The Name Server boot success. serializeType=JSON');
  return namesrv;
}

function onSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (sig: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${sig} received, shutting down`);
    stop().then(
      () => process.exit(0),
      (e) => {
        log.error(`shutdown failed: ${(e as Error).stack}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => handler('SIGTERM'));
  process.on('SIGINT', () => handler('SIGINT'));
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string', short: 'c' },
      namesrv: { type: 'string', short: 'n' },
      'namesrv-port': { type: 'string' },
      data: { type: 'string' },
      'log-file': { type: 'string' },
      'log-file-max-bytes': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (!command || command === '--help' || command === '-h' || values.help) {
    process.stdout.write(USAGE);
    return;
  }
  setUpLogFile(values['log-file'] ?? process.env.ROCKETMQ_TS_LOG_FILE, values['log-file-max-bytes'] ?? process.env.ROCKETMQ_TS_LOG_FILE_MAX_BYTES);
  switch (command) {
    case 'standalone': {
      const namesrvPort = values['namesrv-port'] === undefined ? NAMESRV_CONFIG_DEFAULTS.listenPort : parseJavaInt(values['namesrv-port']);
      if (namesrvPort === undefined) throw new ConfigError(`--namesrv-port ${values['namesrv-port']} is not a port number`);
      const server = await startStandalone({
        dataDir: values.data ?? 'data', configFile: values.config, namesrvPort, namesrvAddr: values.namesrv,
      });
      // The ready lines NamesrvStartup and BrokerStartup print, so scripts written for Java can wait for them.
      console.log('The Name Server boot success. serializeType=JSON');
      console.log(`The broker[${server.broker.config.brokerName}, ${server.brokerAddr}] boot success. serializeType=JSON and name server is ${server.broker.config.namesrvAddr}`);
      for (const [name, address] of Object.entries(server.endpoints)) console.log(`${name} listening on ${address}`);
      onSignals(() => server.stop());
      return;
    }
    case 'namesrv': {
      const namesrv = await startNamesrv(loadNamesrvConfig(values.config));
      onSignals(() => namesrv.shutdown());
      return;
    }
    case 'broker': {
      const cfg = loadBrokerConfig(values.config);
      if (values.namesrv) cfg.namesrvAddr = values.namesrv;
      if (!cfg.namesrvAddr) cfg.namesrvAddr = process.env.NAMESRV_ADDR ?? '';
      const broker = await startBroker(cfg, values.config);
      onSignals(() => broker.shutdown());
      return;
    }
    default:
      process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
      process.exit(2);
  }
}

main(process.argv.slice(2)).catch((e) => {
  // An expected refusal gets one line, not a stack trace.
  let line: string;
  if (e instanceof StoreLockedError) line = `start failed: ${e.message} (${e.file} is locked by another process)`;
  else if (e instanceof ConfigError) line = `start failed: ${e.message}`;
  else line = `start failed: ${(e as Error).stack ?? e}`;
  log.error(line);
  // With --log-file the reason would otherwise be only in the file; whoever started the process sees it too.
  if (loggingToFile()) process.stderr.write(`${line.split('\n')[0]}\n`);
  process.exit(1);
});
