/**
 * The package entry (`import { startStandalone } from 'rocketmq-ts'`): a NameServer and broker started in
 * the calling process, for tests of applications that use RocketMQ. docs/embedding.md shows a test.
 */
export { startStandalone, type Standalone, type StandaloneOptions } from './server/standalone.js';
export { BROKER_CONFIG_DEFAULTS, type BrokerConfig } from './config/broker-config.js';
export { ConfigError } from './config/config-rules.js';
export { StoreLockedError } from './store/store-lock.js';
