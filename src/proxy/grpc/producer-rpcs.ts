import type { RpcTable } from './rpc-types.js';

export const PRODUCER_RPCS: RpcTable = {};
