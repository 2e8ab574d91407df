import zlib from 'node:zlib';
import { parseFastJson, toFastJson } from './fastjson.js';
import type { DataVersion } from '../protocol/data-version.js';
import type { TopicConfigView } from '../protocol/route-data.js';

export interface RegisterBrokerBody {
  dataVersion?: DataVersion;
  topicConfigs: TopicConfigView[];
  filterServerList: string[];
}

/**
 * RegisterBrokerBody in either form: fastjson text, or (header `compressed=true`) a zlib stream of
 * [int32 len][DataVersion JSON][int32 n] n×[int32 len]["name read write perm filterType"] [int32 len][filter list JSON].
 */
export function decodeRegisterBrokerBody(body: Buffer | undefined, compressed: boolean, wrapperOnly: boolean): RegisterBrokerBody {
  if (!body || body.length === 0) return { topicConfigs: [], filterServerList: [] };
  if (compressed) return decodeCompressed(zlib.inflateSync(body));
  const obj = parseFastJson(body.toString('utf8')) as Record<string, unknown>;
  // Brokers older than V3_0_11 send the TopicConfigSerializeWrapper itself.
  const wrapper = (wrapperOnly ? obj : obj.topicConfigSerializeWrapper) as Record<string, unknown> | undefined;
  const table = (wrapper?.topicConfigTable ?? {}) as Record<string, Record<string, unknown>> | Map<unknown, Record<string, unknown>>;
  const values = table instanceof Map ? [...table.values()] : Object.values(table);
  return {
    dataVersion: toDataVersion(wrapper?.dataVersion),
    topicConfigs: values.map(toTopicConfig),
    filterServerList: ((wrapperOnly ? [] : obj.filterServerList) as string[] | undefined) ?? [],
  };
}

function decodeCompressed(buf: Buffer): RegisterBrokerBody {
  let p = 0;
  const next = (): string => {
    const len = buf.readInt32BE(p);
    p += 4;
    const s = buf.toString('utf8', p, p + len);
    p += len;
    return s;
  };
  const dataVersion = toDataVersion(parseFastJson(next()));
  const count = buf.readInt32BE(p);
  p += 4;
  const topicConfigs: TopicConfigView[] = [];
  for (let i = 0; i < count; i++) {
    const parts = next().split(' ');
    if (parts.length !== 5) continue;
    topicConfigs.push({
      topicName: parts[0],
      readQueueNums: Number(parts[1]),
      writeQueueNums: Number(parts[2]),
      perm: Number(parts[3]),
      topicFilterType: parts[4],
    });
  }
  const filterServerList = p < buf.length ? ((parseFastJson(next()) as string[]) ?? []) : [];
  return { dataVersion, topicConfigs, filterServerList };
}

function toDataVersion(v: unknown): DataVersion | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  return { counter: Number(o.counter ?? 0), timestamp: Number(o.timestamp ?? 0) };
}

function toTopicConfig(o: Record<string, unknown>): TopicConfigView {
  return {
    topicName: String(o.topicName),
    readQueueNums: Number(o.readQueueNums ?? 16),
    writeQueueNums: Number(o.writeQueueNums ?? 16),
    perm: Number(o.perm ?? 6),
    topicSysFlag: Number(o.topicSysFlag ?? 0),
    order: o.order === true,
    topicFilterType: typeof o.topicFilterType === 'string' ? o.topicFilterType : 'SINGLE_TAG',
  };
}

/** The uncompressed JSON form our broker sends (RegisterBrokerBody.encode()). */
export function encodeRegisterBrokerBody(dataVersion: DataVersion, topicConfigTable: Map<string, object>): Buffer {
  return Buffer.from(
    toFastJson({ filterServerList: [], topicConfigSerializeWrapper: { dataVersion, topicConfigTable } }),
    'utf8',
  );
}
