#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BROKER_CONFIG_DEFAULTS, loadBrokerConfig, type BrokerConfig } from './config/broker-config.js';
import { NAMESRV_CONFIG_DEFAULTS, loadNamesrvConfig, type NamesrvConfig } from './config/namesrv-config.js';
import { OPERATOR_CONFIG_DEFAULTS } from './config/operator.js';
import { readPropertiesFile } from './config/properties.js';
import { ConfigError } from './config/config-rules.js';
import { parseJavaInt } from './protocol/java-number.js';
import { NamesrvController } from './server/namesrv-controller.js';
import { BrokerController } from './server/broker-controller.js';
import { DefaultMessageStore } from './store/default-message-store.js';
import { StoreLockedError } from './store/store-lock.js';
import { startStandalone } from './server/standalone.js';
import { startupReport } from './server/startup-report.js';
import { runProxyCommand } from './proxy/cli-command.js';
import { LOG_FILE_MAX_BYTES_DEFAULT, LOG_LEVELS, isLogLevel, log, logToFile, loggingToFile, setLogLevel } from './logger.js';
import { COMMANDS, parseArgsOptions, usage } from './cli/usage.js';
import { SignalGate } from './cli/shutdown.js';
import { installProfileSignal } from './cli/profile-signal.js';

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

/**
 * The level from --log-level, else ROCKETMQ_TS_LOG_LEVEL (read by the logger at load), else the config
 * file's logLevel key: set before the servers start, so their start-up lines already obey it.
 */
function setUpLogLevel(flag: string | undefined, configFile: string | undefined): void {
  const env = process.env.ROCKETMQ_TS_LOG_LEVEL || undefined;
  const [level, source] = flag !== undefined ? [flag, '--log-level']
    : env !== undefined ? [env, 'ROCKETMQ_TS_LOG_LEVEL']
    : [configFile && readPropertiesFile(configFile).get('logLevel')?.trim(), `${configFile}: logLevel`];
  if (level === undefined || level === '') return;
  if (!isLogLevel(level)) throw new ConfigError(`${source} ${level} is not one of ${LOG_LEVELS.join(', ')}`);
  setLogLevel(level);
}

/** The start-up report (what listens where, store, config differences), one log line each. */
function report(lines: string[]): void {
  for (const line of lines) log.info(line);
}

/** The version in the package.json above dist/ (installed, or in the repository; tests run a copy of dist/ a level deeper). */
function packageVersion(): string {
  for (let up = '../'; up.length <= 9; up += '../') {
    const file = new URL(`${up}package.json`, import.meta.url);
    if (!fs.existsSync(file)) continue;
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'rocketmq-ts' && pkg.version) return pkg.version;
  }
  return 'unknown';
}

async function startBroker(cfg: BrokerConfig, configFile?: string): Promise<BrokerController> {
  const store = new DefaultMessageStore(cfg, { recentCacheBytes: cfg.commitLogRecentCacheBytes });
  const broker = new BrokerController(cfg, store, configFile && path.resolve(configFile));
  await broker.start();
  const ns = cfg.namesrvAddr || '(none)';
  // Same ready line as BrokerStartup, so scripts written for the Java broker can wait for it.
  console.log(`The broker[${cfg.brokerName}, ${broker.brokerAddr}] boot success. serializeType=JSON and name server is ${ns}`);
  report(startupReport({ broker }, cfg, BROKER_CONFIG_DEFAULTS));
  return broker;
}

async function startNamesrv(cfg: NamesrvConfig): Promise<NamesrvController> {
  const namesrv = new NamesrvController(cfg);
  await namesrv.start();
  console.log('The Name Server boot success. serializeType=JSON');
  report(startupReport({ namesrv }, cfg, NAMESRV_CONFIG_DEFAULTS));
  return namesrv;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: rest, options: parseArgsOptions(), strict: true }).values as typeof values;
  } catch (e) {
    // A mistyped option is a usage error (exit 2, as an unknown command), not a failed start.
    process.stderr.write(`${(e as Error).message}\n\nrocketmq-ts --help lists the commands and options\n`);
    process.exit(2);
  }
  const text = (name: string): string | undefined => values[name] as string | undefined;
  if (command === '--version' || command === '-v' || values.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  if (!command || command === '--help' || command === '-h' || command === 'help' || values.help) {
    process.stdout.write(usage());
    return;
  }
  if (!COMMANDS.some((c) => c.name === command)) {
    process.stderr.write(`unknown command "${command}"\n\n${usage()}`);
    process.exit(2);
  }
  setUpLogFile(text('log-file') ?? process.env.ROCKETMQ_TS_LOG_FILE, text('log-file-max-bytes') ?? process.env.ROCKETMQ_TS_LOG_FILE_MAX_BYTES);
  setUpLogLevel(text('log-level'), text('config'));
  const signals = new SignalGate(OPERATOR_CONFIG_DEFAULTS.shutdownTimeoutMills);
  const profileDir = text('cpu-profile-dir');
  if (profileDir !== undefined) installProfileSignal(profileDir);
  switch (command) {
    case 'standalone': {
      const namesrvPort = text('namesrv-port') === undefined ? NAMESRV_CONFIG_DEFAULTS.listenPort : parseJavaInt(text('namesrv-port') as string);
      if (namesrvPort === undefined) throw new ConfigError(`--namesrv-port ${text('namesrv-port')} is not a port number`);
      const server = await startStandalone({
        dataDir: text('data') ?? 'data', configFile: text('config'), namesrvPort, namesrvAddr: text('namesrv'), freePorts: false,
        // --console overrides the file's consoleEnable, as `config` overrides a configFile in the embedding API.
        config: values.console ? { consoleEnable: true } : undefined,
      });
      const cfg = server.broker.config;
      // The ready lines NamesrvStartup and BrokerStartup print, so scripts written for Java can wait for them.
      console.log('The Name Server boot success. serializeType=JSON');
      console.log(`The broker[${cfg.brokerName}, ${server.brokerAddr}] boot success. serializeType=JSON and name server is ${cfg.namesrvAddr}`);
      for (const [name, address] of Object.entries(server.endpoints)) console.log(`${name} listening on ${address}`);
      report(startupReport(server, cfg, BROKER_CONFIG_DEFAULTS));
      signals.ready(() => server.stop(), cfg.shutdownTimeoutMills);
      return;
    }
    case 'namesrv': {
      const cfg = loadNamesrvConfig(text('config'));
      const namesrv = await startNamesrv(cfg);
      signals.ready(() => namesrv.shutdown(), cfg.shutdownTimeoutMills);
      return;
    }
    case 'proxy': {
      const portText = text('grpc-port');
      const grpcPort = portText === undefined ? undefined : parseJavaInt(portText);
      if (portText !== undefined && (grpcPort === undefined || grpcPort < 0 || grpcPort > 65535)) throw new ConfigError(`--grpc-port ${portText} is not a port number`);
      const proxy = await runProxyCommand({ namesrvAddr: text('namesrv'), grpcPort, configFile: text('config') });
      console.log(`grpc listening on ${proxy.address}`);
      report([`listening: grpc ${proxy.address}`]);
      signals.ready(() => proxy.stop(), OPERATOR_CONFIG_DEFAULTS.shutdownTimeoutMills);
      return;
    }
    case 'broker': {
      const cfg = loadBrokerConfig(text('config'));
      if (text('namesrv')) cfg.namesrvAddr = text('namesrv') as string;
      if (!cfg.namesrvAddr) cfg.namesrvAddr = process.env.NAMESRV_ADDR ?? '';
      const broker = await startBroker(cfg, text('config'));
      signals.ready(() => broker.shutdown(), cfg.shutdownTimeoutMills);
      return;
    }
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
