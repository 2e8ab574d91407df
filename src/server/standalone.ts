import path from 'node:path';
import { loadBrokerConfig, type BrokerConfig } from '../config/broker-config.js';
import { NAMESRV_CONFIG_DEFAULTS, loadNamesrvConfig } from '../config/namesrv-config.js';
import { tlsKeysOf } from '../config/security.js';
import { remotingLimits } from '../remoting/limits-state.js';
import { DefaultMessageStore } from '../store/default-message-store.js';
import { StoreLock } from '../store/store-lock.js';
import { NamesrvController } from './namesrv-controller.js';
import { BrokerController } from './broker-controller.js';

/** What `startStandalone` takes: where the data goes, and broker.conf keys by their Java names. */
export interface StandaloneOptions {
  /** Root of the data: the store under <dataDir>/store, the NameServer's kvConfig under <dataDir>/namesrv. */
  dataDir: string;
  /** A Java-style broker.conf to read first; `config` keys override it. */
  configFile?: string;
  /** broker.conf keys (brokerName, listenPort, flushDiskType, grpcServerPort, ...). */
  config?: Partial<BrokerConfig>;
  /** The NameServer's port; 0 takes a free one. Default 9876. */
  namesrvPort?: number;
  /** Register with these NameServers instead of the embedded one (';'-separated). */
  namesrvAddr?: string;
}

/** One running NameServer + broker (and what the config asked to stand beside them). */
export interface Standalone {
  readonly namesrvAddr: string;
  readonly brokerAddr: string;
  readonly broker: BrokerController;
  readonly namesrv: NamesrvController;
  /** Where the listeners beside the broker are, when they run: e.g. { grpc: '127.0.0.1:8081' }. */
  readonly endpoints: Record<string, string>;
  /** Flushes, unregisters and closes everything; resolves once all ports are closed. */
  stop(): Promise<void>;
}

/** A part started after the broker (gRPC endpoint, console); stopped first, in reverse order. */
interface Extra {
  name: string;
  address: string;
  stop(): Promise<void>;
}

/**
 * Starts the NameServer, then the broker registered with it, in this process. The CLI's `standalone`
 * command and the embedding API (`import { startStandalone } from 'rocketmq-ts'`) both come here.
 */
export async function startStandalone(options: StandaloneOptions): Promise<Standalone> {
  const data = path.resolve(options.dataDir);
  const cfg = loadBrokerConfig(options.configFile, { storePathRootDir: path.join(data, 'store'), brokerIP1: '127.0.0.1' });
  Object.assign(cfg, options.config ?? {});
  // One process, one memory: the NameServer's connections take the remoting bounds and the turn
  // budget of the broker.conf given (the README's limits are broker.conf keys), and its TLS keys, as
  // one Java JVM's -Dtls.* properties apply to every server in it.
  const namesrvCfg = loadNamesrvConfig(undefined, {
    listenPort: options.namesrvPort ?? NAMESRV_CONFIG_DEFAULTS.listenPort,
    kvConfigPath: path.join(data, 'namesrv', 'kvConfig.json'),
    ...remotingLimits(cfg), requestTurnBudgetMills: cfg.requestTurnBudgetMills,
    ...tlsKeysOf(cfg),
  });
  // The store's lock first: a second standalone on a store in use fails before its NameServer
  // binds a port or reads the kvConfig beside the store.
  const storeLock = StoreLock.acquire(cfg.storePathRootDir);
  const namesrv = new NamesrvController(namesrvCfg);
  try {
    await namesrv.start();
  } catch (e) {
    storeLock.release();
    throw e;
  }
  cfg.namesrvAddr = options.namesrvAddr ?? `127.0.0.1:${namesrv.port}`;
  const store = new DefaultMessageStore(cfg, { recentCacheBytes: cfg.commitLogRecentCacheBytes });
  const broker = new BrokerController(cfg, store, options.configFile && path.resolve(options.configFile), storeLock);
  try {
    await broker.start();
  } catch (e) {
    await namesrv.shutdown();
    throw e;
  }
  const extras: Extra[] = [];
  const stopAll = async (): Promise<void> => {
    for (const extra of extras.splice(0).reverse()) await extra.stop();
    await broker.shutdown();
    await namesrv.shutdown();
  };
  try {
    // [grpc] the 5.x gRPC endpoint (enableGrpcServer, grpcServerPort) is started here.
    // [console] the web console (consoleEnable, consolePort) is started here.
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
    endpoints: Object.fromEntries(extras.map((e) => [e.name, e.address])),
    stop: () => (stopped ??= stopAll()),
  };
}
