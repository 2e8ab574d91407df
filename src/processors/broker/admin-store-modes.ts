/**
 * 5.x admin codes about store modes this broker does not have in the Java form: cold-read flow control
 * (mqadmin getColdDataFlowCtrInfo, updateColdDataFlowCtrGroupConfig, removeColdDataFlowCtrGroupConfig),
 * CommitLog read-ahead (setCommitLogReadAheadMode), the slave's master flush offset
 * (resetMasterFlushOffset), the RocksDB consume queue and config store (checkRocksdbCqWriteProgress,
 * rocksDBConfigToJson) and the RocksDB POP store (exportPopRecord sends POP_ROLLBACK). Each answers what
 * a 5.3.3 broker with its defaults answers, and says in the log what it did not do and why.
 */
import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse, requestBody } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { toFastJson } from '../../codec/fastjson.js';
import { log } from '../../logger.js';

/** BrokerConfig#cgColdReadThreshold and #globalColdReadThreshold defaults (3 MiB, 100 MiB). */
const CG_COLD_READ_THRESHOLD = 3 * 1024 * 1024;
const GLOBAL_COLD_READ_THRESHOLD = 100 * 1024 * 1024;
/** LibC.MADV_NORMAL and MADV_RANDOM: the only modes setCommitLogReadAheadMode accepts. */
const MADV_NORMAL = 0;
const MADV_RANDOM = 1;
/** CheckRocksdbCqWriteResult.CheckStatus.CHECK_IN_PROGRESS: the answer comes before the check, which logs. */
const CHECK_IN_PROGRESS = 2;

/**
 * Per-group cold-read thresholds set by mqadmin (ColdDataCgCtrService#cgColdThresholdMapConfig, kept in
 * memory there too). Java throttles cold reads with them only when coldDataFlowControlEnable (false by
 * default); this broker keeps and reports them but throttles nothing.
 */
const coldThresholds = new WeakMap<BrokerContext, Map<string, number>>();

function thresholdsOf(ctx: BrokerContext): Map<string, number> {
  let m = coldThresholds.get(ctx);
  if (!m) coldThresholds.set(ctx, (m = new Map()));
  return m;
}

/** Properties text (MixAll#string2Properties): key=value lines. */
function properties(body: Buffer | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of (body?.toString('utf8') ?? '').split(/\r?\n/)) {
    const t = line.trim();
    if (!t || t.startsWith('#') || t.startsWith('!')) continue;
    const at = t.search(/[=:]/);
    if (at > 0) out.set(t.slice(0, at).trim(), t.slice(at + 1).trim());
  }
  return out;
}

/** UPDATE_COLD_DATA_FLOW_CTR_CONFIG (2001): body "group=threshold" lines; a non-numeric threshold is skipped, as Java logs and skips it. */
export function updateColdDataFlowCtrConfig(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const table = thresholdsOf(ctx);
  for (const [group, value] of properties(requestBody(req))) {
    if (/^-?\d+$/.test(value)) table.set(group, Number(value));
    else log.warn(`broker: updateColdDataFlowCtrGroupConfig: threshold "${value}" of ${group} is not a number`);
  }
  return createResponse(req, ResponseCode.SUCCESS);
}

/** REMOVE_COLD_DATA_FLOW_CTR_CONFIG (2002): body is the group name. */
export function removeColdDataFlowCtrConfig(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const body = requestBody(req);
  if (body) thresholdsOf(ctx).delete(body.toString('utf8'));
  return createResponse(req, ResponseCode.SUCCESS);
}

/** GET_COLD_DATA_FLOW_CTR_INFO (2003): ColdDataCgCtrService#getColdDataFlowCtrInfo; no cold reads are counted (globalAcc 0, runtimeTable empty). */
export function getColdDataFlowCtrInfo(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const info = {
    runtimeTable: {},
    configTable: Object.fromEntries(thresholdsOf(ctx)),
    cgColdReadThreshold: CG_COLD_READ_THRESHOLD,
    globalColdReadThreshold: GLOBAL_COLD_READ_THRESHOLD,
    globalAcc: 0,
  };
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, Buffer.from(toFastJson(info), 'utf8'));
}

/**
 * SET_COMMITLOG_READ_MODE (2004): Java madvises the mapped CommitLog files; this store reads its files
 * with positioned reads and leaves read-ahead to the OS, so a valid mode is accepted with Java's answer.
 */
export function setCommitLogReadMode(_ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const mode = Number(req.extFields?.READ_AHEAD_MODE);
  if (req.extFields?.READ_AHEAD_MODE === undefined || Number.isNaN(mode)) {
    return createResponse(req, ResponseCode.SYSTEM_ERROR, 'set commitlog readahead mode failed');
  }
  if (mode !== MADV_NORMAL && mode !== MADV_RANDOM) {
    return createResponse(req, ResponseCode.INVALID_PARAMETER, 'set commitlog readahead mode param value error');
  }
  log.info(`broker: setCommitLogReadAheadMode ${mode}: accepted; reads here do not use mmap, the OS decides read-ahead`);
  return createResponse(req, ResponseCode.SUCCESS, `set commitlog readahead mode success, mode: ${mode}`);
}

/**
 * RESET_MASTER_FLUSH_OFFSET (908): Java ignores it on a master; a slave records the offset for the
 * controller-mode truncation this broker does not have, so it is acknowledged and logged.
 */
export function resetMasterFlushOffset(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  if (ctx.config.brokerRole === 'SLAVE') log.info(`broker: resetMasterFlushOffset ${req.extFields?.masterFlushOffset ?? ''} ignored (no controller mode)`);
  return createResponse(req, ResponseCode.SUCCESS);
}

/** CHECK_ROCKSDB_CQ_WRITE_PROGRESS (354): the check runs after the answer, as in Java; without rocksdbCQDoubleWriteEnable it finds nothing to check. */
export function checkRocksdbCqWriteProgress(_ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  log.info('broker: checkRocksdbCqWriteProgress: rocksdbCQWriteEnable is false, checkRocksdbCqWriteProgressCommand is invalid');
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, Buffer.from(toFastJson({ checkStatus: CHECK_IN_PROGRESS }), 'utf8'));
}

/** EXPORT_ROCKSDB_CONFIG_TO_JSON (355): Java exports only RocksDB-backed config managers; this broker's are JSON files already. */
export function exportRocksDBConfigToJson(_ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  return createResponse(req, ResponseCode.SUCCESS);
}

/** POP_ROLLBACK (200056, mqadmin exportPopRecord): moves POP records from the RocksDB POP store, which exists only with popConsumerKVServiceEnable; none here. */
export function popRollback(_ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  return createResponse(req, ResponseCode.SUCCESS);
}
