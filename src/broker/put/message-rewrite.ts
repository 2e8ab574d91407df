import { MessageConst, NAME_VALUE_SEPARATOR as NV, PROPERTY_SEPARATOR as PS } from '../../protocol/message-const.js';
import { parseProperties, propertiesToString } from '../../codec/message-properties.js';

const WAIT_ENTRY = MessageConst.PROPERTY_WAIT_STORE_MSG_OK + NV;
const CLUSTER_ENTRY = MessageConst.PROPERTY_CLUSTER + NV;

/**
 * The property string a message is stored with.
 * Single message (batchProps undefined): the sender's properties without WAIT (the Java broker
 * saves those 9 bytes) plus CLUSTER=<brokerClusterName>.
 * Batch item: the item's own properties, then the batch-level properties (which keep WAIT) plus CLUSTER.
 * The common case is handled with string operations only; anything unusual goes through a map.
 */
export function storedProperties(msgProps: string, batchProps: string | undefined, clusterName: string): string {
  if (batchProps === undefined) {
    if (!msgProps.includes(WAIT_ENTRY) && !msgProps.includes(CLUSTER_ENTRY)) {
      const base = msgProps.endsWith(PS) ? msgProps.slice(0, -1) : msgProps;
      return base ? base + PS + CLUSTER_ENTRY + clusterName : CLUSTER_ENTRY + clusterName;
    }
    const map = parseProperties(msgProps);
    map.delete(MessageConst.PROPERTY_WAIT_STORE_MSG_OK);
    map.set(MessageConst.PROPERTY_CLUSTER, clusterName);
    return propertiesToString(map);
  }
  const batchMap = parseProperties(batchProps);
  batchMap.set(MessageConst.PROPERTY_CLUSTER, clusterName);
  const tail = propertiesToString(batchMap);
  if (!msgProps) return tail;
  return msgProps.endsWith(PS) ? msgProps + tail : msgProps + PS + tail;
}
