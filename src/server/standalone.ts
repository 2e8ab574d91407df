import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadBrokerConfig, type BrokerConfig } from '../config/broker-config.js';
import { loadNamesrvConfig } from '../config/namesrv-config.js';
import { tlsKeysOf } from '../config/security.js';
import { remotingLimits } from '../remoting/limits-state.js';
import { DefaultMessageStore } from '../store/default-message-store.js';
import { StoreLock } from '../store/store-lock.js';
import { NamesrvController } from './namesrv-controller.js';
import { BrokerController } from './broker-controller.js';
import { startConsole } from '../console/console.js';
import { brokerClientOptions } from '../broker/out/client-options.js';
import { freeBrokerPort } from './free-ports.js';
import { isLogLevel, setLogLevel } from '../logger.js';
import { startGrpcProxy } from '../proxy/grpc-proxy.js';

/** What `startStandalone` takes: where the data goes, and broker.conf keys by their Java names. */
export interface StandaloneOptions {
  /**
   * Root of the data: the store under <dataDir>/store, the NameServer's kvConfig under <dataDir>/namesrv.
   * Default: a new temp directory, removed by stop().
   */
  dataDir?: string;
  /** A Java-style broker.conf to read first; `config` keys override it. */
  configFile?: string;
  /**
   * broker.conf keys (brokerName, listenPort, flushDiskType, grpcServerPort, ...), checked as broker.conf's
   * are: an unknown key or a value out of its range throws a ConfigError naming the key.
   */
  config?: Partial<BrokerConfig>;
  /** The NameServer's port; 0 takes a free one. Default 0 (the CLI passes 9876). */
  namesrvPort?: number;
  /** Register with these NameServers instead of the embedded one (';'-separated). */
  namesrvAddr?: string;
  /**
   * Default true: the ports neither `configFile` nor `config` sets are free ones (a broker listenPort whose
   * VIP and HA neighbours are free, gRPC / metrics / console on 0), so servers side by side never collide.
   * The CLI passes false: its ports are broker.conf's defaults (10911, 8081, ...), as the Java broker's.
   */
  freePorts?: boolean;
}

/** One running NameServer + broker (and what the config asked to stand beside them). */
export interface Standalone {
  readonly namesrvAddr: string;
  readonly brokerAddr: string;
  readonly broker: BrokerController;
  readonly namesrv: NamesrvController;
  /** The data root (a temp directory unless `dataDir` was given) and the store under it. */
  readonly dataDir: string;
  readonly storePath: string;
  /** Where the listeners beside the broker are, when they run: e.g. { grpc: '127.0.0.1:8081' }. */
  readonly endpoints: Record<string, string>;
  /** Flushes, unregisters and closes everything; resolves once all ports are closed (and a temp dataDir removed). */
  stop(): Promise<void>;
}

/** A part started after the broker (gRPC endpoint, console); stopped first, in reverse order. */
interface Extra {
  name: string;
  address: string;
  stop(): Promise<void>;
}

/** Start attempts when a free listenPort picked here is taken before the broker binds it. */
const FREE_PORT_ATTEMPTS_MAX = 3;

/**
 * Starts the NameServer, then the broker registered with it, in this process. The CLI's `standalone`
 * command and the embedding API (`import { startStandalone } from 'rocketmq-ts'`) both come here.
 */
export async function startStandalone(options: StandaloneOptions = {}): Promise<Standalone> {
  const tempDir = options.dataDir === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), 'rocketmq-ts-embedded-')) : undefined;
  const removeTemp = (): void => {
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  };
  try {
    return await start(options, path.resolve(tempDir ?? (options.dataDir as string)), removeTemp);
  } catch (e) {
    removeTemp();
    throw e;
  }
}

async function start(options: StandaloneOptions, data: string, removeTemp: () => void): Promise<Standalone> {
  const freePorts = options.freePorts ?? true;
  // An embedding test that asks for a level gets it (the CLI sets its own from --log-level first).
  if (options.config?.logLevel !== undefined && isLogLevel(options.config.logLevel)) setLogLevel(options.config.logLevel);
  const base: Partial<BrokerConfig> = { storePathRootDir: path.join(data, 'store'), brokerIP1: '127.0.0.1' };
  if (freePorts) Object.assign(base, { grpcServerPort: 0, metricsPromExporterPort: 0, consolePort: 0 });
  // A listenPort we picked may be taken by someone else before the broker binds it: then pick again.
  const pickPort = freePorts && options.config?.listenPort === undefined;
  const loadCfg = async (): Promise<BrokerConfig> =>
    loadBrokerConfig(options.configFile, pickPort ? { ...base, listenPort: await freeBrokerPort() } : base, options.config);
  let cfg = await loadCfg();
  // One process, one memory: the NameServer's connections take the remoting bounds and the turn
  // budget of the broker.conf given (the README's limits are broker.conf keys), and its TLS keys, as
  // one Java JVM's -Dtls.* properties apply to every server in it.
  const namesrvCfg = loadNamesrvConfig(undefined, {
    listenPort: options.namesrvPort ?? 0,
    kvConfigPath: path.join(data, 'namesrv', 'kvConfig.json'),
    ...remotingLimits(cfg), requestTurnBudgetMills: cfg.requestTurnBudgetMills,
    ...tlsKeysOf(cfg),
    // One process, one scrape target: the NameServer's request metrics are served on the broker's /metrics.
    metricsExporterType: cfg.metricsExporterType === 'PROM' ? 'PROM' : 'DISABLE',
  });
  // The store's lock first: a second standalone on a store in use fails before its NameServer
  // binds a port or reads the kvConfig beside the store.
  let storeLock: StoreLock | undefined = StoreLock.acquire(cfg.storePathRootDir);
  const namesrv = new NamesrvController(namesrvCfg, { ownExporter: false });
  try {
    await namesrv.start();
  } catch (e) {
    storeLock.release();
    throw e;
  }
  let broker: BrokerController;
  for (let attempt = 1; ; attempt++) {
    cfg.namesrvAddr = options.namesrvAddr ?? `127.0.0.1:${namesrv.port}`;
    const store = new DefaultMessageStore(cfg, { recentCacheBytes: cfg.commitLogRecentCacheBytes });
    broker = new BrokerController(cfg, store, options.configFile && path.resolve(options.configFile), storeLock);
    try {
      await broker.start();
      break;
    } catch (e) {
      // The broker releases the store lock as it shuts down; a retry takes it again.
      await broker.shutdown();
      storeLock = undefined;
      const retry = pickPort && (e as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < FREE_PORT_ATTEMPTS_MAX;
      if (!retry) {
        await namesrv.shutdown();
        throw e;
      }
      cfg = await loadCfg();
    }
  }
  const extras: Extra[] = [];
  // metricsExporterType=PROM: the broker's exporter (metricsPromExporterPort) shows the NameServer's series too.
  if (namesrv.metrics) broker.ctx.metrics?.extraSources.push(namesrv.metrics);
  if (broker.metricsAddress) extras.push({ name: 'metrics', address: broker.metricsAddress, stop: async () => {} });
  const stopAll = async (): Promise<void> => {
    for (const extra of extras.splice(0).reverse()) await extra.stop();
    await broker.shutdown();
    await namesrv.shutdown();
    removeTemp();
  };
  try {
    // [grpc] the 5.x gRPC endpoint (enableGrpcServer, grpcServerPort), in front of this broker through its NameServer.
    if (cfg.enableGrpcServer) {
      const grpcProxy = await startGrpcProxy({
        namesrvAddr: cfg.namesrvAddr, port: cfg.grpcServerPort, maxMessageSize: cfg.maxMessageSize, tls: tlsKeysOf(cfg),
      });
      extras.push({ name: 'grpc', address: `127.0.0.1:${grpcProxy.port}`, stop: () => grpcProxy.stop() });
    }
    // [console] the web console (consoleEnable, consolePort) is started here.
    if (cfg.consoleEnable) {
      const web = await startConsole({
        namesrvAddr: cfg.namesrvAddr, consoleListenAddress: cfg.consoleListenAddress, consolePort: cfg.consolePort,
        consoleSampleIntervalMills: cfg.consoleSampleIntervalMills, client: brokerClientOptions(cfg),
      });
      extras.push({ name: 'console', address: web.url, stop: () => web.stop() });
    }
  } catch (e) {
    await stopAll();
    throw e;
  }
  let stopped: Promise<void> | undefined;
  return {
    namesrvAddr: `127.0.0.1:${namesrv.port}`,
    brokerAddr: broker.brokerAddr,
    broker,
    namesrv,
    dataDir: data,
    storePath: cfg.storePathRootDir,
    endpoints: Object.fromEntries(extras.map((e) => [e.name, e.address])),
    stop: () => (stopped ??= stopAll()),
  };
}
