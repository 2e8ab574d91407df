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

/** QueueData (common/protocol/route/QueueData.java). */
export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

/** BrokerData: brokerAddrs maps brokerId (0 = master) to "ip:port". */
export interface BrokerData {
  cluster: string;
  brokerName: string;
  brokerAddrs: Map<number, string>;
}
