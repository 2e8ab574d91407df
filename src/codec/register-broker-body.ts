import { performance } from 'node:perf_hooks';
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
  const obj = parseRegisterJson(body.toString('utf8'));
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
  const dv: DataVersion = { counter: Number(o.counter ?? 0), timestamp: Number(o.timestamp ?? 0) };
  // 5.x brokers send the epoch of their last role change (controller mode); the NameServer compares it.
  if (o.stateVersion !== undefined && o.stateVersion !== null) dv.stateVersion = Number(o.stateVersion);
  return dv;
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

/**
 * A registration body is plain JSON from our broker and from Java's (names, small numbers, booleans), and
 * the engine's JSON.parse reads it several times faster than the fastjson-dialect parser: 6,000 topics held
 * the NameServer's loop ~100 ms with the latter. Anything it refuses goes to the dialect parser.
 */
function parseRegisterJson(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object') return v as Record<string, unknown>;
  } catch {
    // not strict JSON: the fastjson dialect below
  }
  return parseFastJson(text) as Record<string, unknown>;
}

/** Longest stretch of encoding before the sliced encoder lets other work run. */
const ENCODE_SLICE_MS = 5;

/**
 * The same bytes as encodeRegisterBrokerBody, built a slice at a time so a broker with thousands of topics
 * does not hold the event loop (and every client) for the whole encode: 6,000 topics took ~100 ms in one
 * go. The table is copied first, so the body is the table as it was when called, with that data version.
 */
export async function encodeRegisterBrokerBodySliced(dataVersion: DataVersion, topicConfigTable: Map<string, object>): Promise<Buffer> {
  const entries = [...topicConfigTable];
  // fastjson writes a bean's fields in name order: filterServerList, topicConfigSerializeWrapper; then
  // dataVersion, topicConfigTable; the table's keys in the Map's order.
  const parts: string[] = [`{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":${toFastJson(dataVersion)},"topicConfigTable":{`];
  let start = performance.now();
  for (let i = 0; i < entries.length; i++) {
    const [name, config] = entries[i];
    parts.push(`${i ? ',' : ''}${toFastJson(name)}:${toFastJson(config)}`);
    if ((i & 63) === 63 && performance.now() - start > ENCODE_SLICE_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      start = performance.now();
    }
  }
  parts.push('}}}');
  return Buffer.from(parts.join(''), 'utf8');
}

/** The uncompressed JSON form our broker sends (RegisterBrokerBody.encode()). */
export function encodeRegisterBrokerBody(dataVersion: DataVersion, topicConfigTable: Map<string, object>): Buffer {
  return Buffer.from(
    toFastJson({ filterServerList: [], topicConfigSerializeWrapper: { dataVersion, topicConfigTable } }),
    'utf8',
  );
}
