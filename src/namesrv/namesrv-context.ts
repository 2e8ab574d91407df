import type { RouteInfoManager } from './route-info-manager.js';
import type { KVConfigManager } from './kv-config-manager.js';
import type { NamesrvConfig } from '../config/namesrv-config.js';

export interface NamesrvContext {
  config: NamesrvConfig;
  routes: RouteInfoManager;
  kv: KVConfigManager;
}

/** KV namespace holding "brokerName:queueNums;…" per ordered topic (NamesrvUtil.NAMESPACE_ORDER_TOPIC_CONFIG). */
export const NAMESPACE_ORDER_TOPIC_CONFIG = 'ORDER_TOPIC_CONFIG';
