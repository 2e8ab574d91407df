/** Route data that brokers and the NameServer exchange (common/protocol/route, RegisterBrokerBody). */

/** TopicConfig as carried in a registration. */
export interface TopicConfigView {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag?: number;
  order?: boolean;
  topicFilterType?: string;
}
