/**
 * The message as the broker hands it to the store (MessageExtBrokerInner): every field a CommitLog
 * record holds except the offsets and store time the store assigns.
 */

/** Host as stored in a record: IPv4 (4 bytes) or IPv6 (16 bytes) plus port. */
export interface HostAddress {
  ip: string;
  port: number;
}

/** One message ready to be appended (MessageExtBrokerInner). */
export interface MessageInner {
  topic: string;
  queueId: number;
  flag: number;
  body: Buffer;
  /** Properties already serialized (`k\u0001v\u0002k\u0001v`), as they will be stored. */
  propertiesString: string;
  /** Tag hash or, for SCHEDULE_TOPIC_XXXX, the delivery time; goes into the ConsumeQueue unit. */
  tagsCode: number;
  sysFlag: number;
  /** Any long the producer sent: a number while it is a safe integer, a bigint beyond ±2^53 (stored exactly). */
  bornTimestamp: number | bigint;
  bornHost: HostAddress;
  storeHost: HostAddress;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
}
