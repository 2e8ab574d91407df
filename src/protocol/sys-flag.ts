// Message sysFlag bits (common/sysflag/MessageSysFlag.java).
export const MessageSysFlag = {
  COMPRESSED_FLAG: 0x1,
  MULTI_TAGS_FLAG: 0x2,
  TRANSACTION_NOT_TYPE: 0x0,
  TRANSACTION_PREPARED_TYPE: 0x4,
  TRANSACTION_COMMIT_TYPE: 0x8,
  TRANSACTION_ROLLBACK_TYPE: 0xc,
  BORNHOST_V6_FLAG: 0x10,
  STOREHOSTADDRESS_V6_FLAG: 0x20,
  NEED_UNWRAP_FLAG: 0x40,
  INNER_BATCH_FLAG: 0x80,
  COMPRESSION_TYPE_MASK: 0x700,
} as const;

export const transactionType = (sysFlag: number): number => sysFlag & MessageSysFlag.TRANSACTION_ROLLBACK_TYPE;
export const resetTransactionType = (sysFlag: number, type: number): number =>
  (sysFlag & ~MessageSysFlag.TRANSACTION_ROLLBACK_TYPE) | type;

// PULL_MESSAGE request header sysFlag (common/sysflag/PullSysFlag.java).
export const PullSysFlag = {
  FLAG_COMMIT_OFFSET: 0x1,
  FLAG_SUSPEND: 0x2,
  FLAG_SUBSCRIPTION: 0x4,
  FLAG_CLASS_FILTER: 0x8,
  FLAG_LITE_PULL_MESSAGE: 0x10,
} as const;

// Topic sysFlag (common/sysflag/TopicSysFlag.java).
export const TopicSysFlag = {
  FLAG_UNIT: 0x1,
  FLAG_UNIT_SUB: 0x2,
} as const;
