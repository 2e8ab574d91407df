// Ground truth: test/fixtures/fastjson/*.json were written by fastjson 1.2.69 through the real
// RocketMQ 4.9.8 classes (tools/fastjson-capture/FastJsonCapture.java). Each value below is
// built by hand to match what that program built in Java; Java HashMap iteration order is
// reproduced by inserting Map entries in the order the fixture shows.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type FastJsonOptions,
  JavaDouble,
  formatJavaDouble,
  parseFastJson,
  toFastJson,
  toFastJsonPretty,
} from '../../src/codec/fastjson.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'fastjson');
const fixture = (name: string): string => readFileSync(join(FIXTURES, `${name}.json`), 'utf8');

const TS = 1690000000000;
const STANDARD: FastJsonOptions = { browserCompatible: true, sortMapKeys: true };
const BROWSER: FastJsonOptions = { browserCompatible: true };

const mq = (topic: string, brokerName: string, queueId: number) => ({ brokerName, queueId, topic });

const sub = (topic: string, subString: string, tags: string[], codes: number[]) => ({
  classFilterMode: false,
  codeSet: new Set(codes),
  expressionType: 'TAG',
  filterClassSource: undefined, // @JSONField(serialize=false) in Java; absent here
  subString,
  subVersion: TS,
  tagsSet: new Set(tags),
  topic,
});

const brokerData = (name: string, addrs: [number, string][]) => ({
  brokerAddrs: new Map(addrs),
  brokerName: name,
  cluster: 'DefaultCluster',
});

const queueData = (brokerName: string, nums: number, perm: number) => ({
  brokerName,
  perm,
  readQueueNums: nums,
  topicSysFlag: 0,
  writeQueueNums: nums,
});

const topicConfig = (topicName: string, nums: number, perm: number, order: boolean) => ({
  order,
  perm,
  readQueueNums: nums,
  topicFilterType: 'SINGLE_TAG',
  topicName,
  topicSysFlag: 0,
  writeQueueNums: nums,
});

const groupConfig = (groupName: string, overrides: Record<string, unknown> = {}) => ({
  brokerId: 0,
  consumeBroadcastEnable: true,
  consumeEnable: true,
  consumeFromMinEnable: true,
  groupName,
  notifyConsumerIdsChangedEnable: true,
  retryMaxTimes: 16,
  retryQueueNums: 1,
  whichBrokerWhenConsumeSlowly: 1,
  ...overrides,
});

const route = (addrOrder: 'java' | 'reversed') => ({
  brokerDatas: [
    brokerData(
      'broker-a',
      addrOrder === 'java'
        ? [[0, '192.168.0.10:10911'], [1, '192.168.0.11:10911']]
        : [[1, '192.168.0.11:10911'], [0, '192.168.0.10:10911']],
    ),
    brokerData('broker-b', [[0, '192.168.0.12:10911']]),
  ],
  filterServerTable: new Map([['192.168.0.10:10911', ['192.168.0.10:30000']]]),
  orderTopicConf: 'broker-a:4;broker-b:8',
  queueDatas: [queueData('broker-a', 4, 6), queueData('broker-b', 8, 4)],
});

const routeMinimal = () => ({
  brokerDatas: [brokerData('broker-a', [[0, '192.168.0.10:10911'], [1, '192.168.0.11:10911']])],
  filterServerTable: new Map(),
  orderTopicConf: null,
  queueDatas: [queueData('broker-a', 4, 6)],
});

const consumeStats = () => ({
  consumeTps: new JavaDouble(10 / 3),
  offsetTable: new Map([
    [mq('TopicTest', 'broker-a', 1), { brokerOffset: 101, consumerOffset: 99, lastTimestamp: TS + 1 }],
    [mq('TopicTest', 'broker-b', 2), { brokerOffset: 102, consumerOffset: 100, lastTimestamp: 0 }],
    [mq('TopicTest', 'broker-a', 0), { brokerOffset: 100, consumerOffset: 98, lastTimestamp: TS }],
  ]),
});

const heartbeat = () => ({
  clientID: '192.168.0.5@12345#123456789',
  consumerDataSet: new Set([
    {
      consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
      consumeType: 'CONSUME_PASSIVELY',
      groupName: '消费组-cg',
      messageModel: 'CLUSTERING',
      subscriptionDataSet: new Set([
        sub('TopicTest', 'TagA || TagB || 标签', ['TagA', '标签', 'TagB'], [2598919, 857175, 2598920]),
      ]),
      unitMode: false,
    },
  ]),
  producerDataSet: new Set([{ groupName: '生产组' }]),
});

const topicConfigWrapper = () => ({
  dataVersion: { counter: 2, timestamp: TS },
  topicConfigTable: new Map([
    ['%RETRY%cg', topicConfig('%RETRY%cg', 1, 6, false)],
    ['TopicTest', topicConfig('TopicTest', 4, 6, true)],
    ['TBW102', topicConfig('TBW102', 8, 7, false)],
  ]),
});

const subscriptionGroupWrapper = () => ({
  dataVersion: { counter: 3, timestamp: TS },
  subscriptionGroupTable: new Map([
    ['SELF_TEST_C_GROUP', groupConfig('SELF_TEST_C_GROUP')],
    ['cg', groupConfig('cg', { consumeBroadcastEnable: false, retryMaxTimes: 3 })],
    ['TOOLS_CONSUMER', groupConfig('TOOLS_CONSUMER')],
  ]),
});

const consumerOffsets = () => ({
  offsetTable: new Map<string, Map<number, number | bigint>>([
    ['%RETRY%cg@cg', new Map([[0, 9007199254740993n]])],
    ['TopicTest@cg', new Map([[0, 250], [1, 251], [2, 0]])],
    ['Empty@cg', new Map()],
  ]),
});

const topicList = (brokerAddr?: string) => ({
  brokerAddr,
  topicList: new Set(['%RETRY%cg', 'TopicTest', 'TBW102', 'SELF_TEST_TOPIC', 'DefaultCluster']),
});

const generic = () =>
  new Map<string, unknown>([
    ['list', ['a', 'b']],
    ['emptyList', []],
    ['emptyMap', new Map()],
    ['set', new Set(['s1'])],
    ['beans', [mq('T', 'b', 1)]],
    ['emptyBean', { brokerAddr: null, topicList: new Set() }],
    ['addrs', new Map([[0, 'addr0']])],
    ['mqs', new Map([[mq('T', 'b', 1), 5]])],
    ['double', new JavaDouble(1.5)],
    ['bool', true],
  ]);

const controlChars = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)).join('');
const escapeStrings = [
  'plain',
  '',
  'he said "hi"',
  'back\\slash',
  'tab\there',
  'new\nline',
  'cr\rlf\n',
  'slash/and</script>',
  "single'quote",
  controlChars,
  'del\u007f',
  'c1\u0080\u009f\u00a0\u00ff',
  'line\u2028para\u2029',
  '中文',
  'é',
  'emoji\u{1F600}',
  'bom\uFEFF',
  '\uFFFF',
];

const stringKeys = () =>
  new Map([
    ['a"b', 'q'],
    ['c\\d', 'bs'],
    ['e\nf', 'nl'],
    ['中/文', 'cjk'],
  ]);

const longs = [
  0,
  -1,
  9007199254740991,
  9007199254740992n,
  -9007199254740991,
  -9007199254740992n,
  9223372036854775807n,
  -9223372036854775808n,
  TS,
];

const doubles = [
  0.0, 0.1, 1.5, 1e20, 123456789.125, -0.0, 1.0, 100.0, 0.001, 0.0001, 1e-5, 1e7, 9999999.0, 12345678.9, 1e21,
  1e22, 1e23, 2.5e-3, 1.0 / 3, 2.0 / 3, 10.0 / 3, -1.25, 4.35, 0.3, 1e-300, Number.MIN_VALUE, Number.MAX_VALUE,
  2.2250738585072014e-308, 9007199254740992, 123456.789e-10, 5e-324, 1.7976931348623157e308, 65536.0, 1234567.0,
];

interface Case {
  /** Fixture file name without `.json`. */
  name: string;
  build: () => unknown;
  opts?: FastJsonOptions;
  pretty?: boolean;
  /**
   * Why parse-then-encode cannot reach a fixed point, if it cannot: parsing gives plain
   * numbers, so a Java double that is integral (1.0E20) comes back as an integer, and a
   * NaN written as null comes back as null, which a bean then omits.
   */
  noRoundTrip?: string;
}

const parsedDoubles = (name: string) => (parseFastJson(fixture(name)) as number[]).map((d) => new JavaDouble(d));

const CASES: Case[] = [
  { name: 'topic-route-plain', build: () => route('java') },
  // Inserted out of order: MapSortField must sort the broker ids.
  { name: 'topic-route-standard', build: () => route('reversed'), opts: STANDARD },
  { name: 'topic-route-minimal-plain', build: routeMinimal },
  { name: 'topic-route-minimal-standard', build: routeMinimal, opts: STANDARD },
  {
    name: 'cluster-info',
    build: () => ({
      brokerAddrTable: new Map([
        ['broker-b', brokerData('broker-b', [[0, '192.168.0.12:10911']])],
        ['broker-a', brokerData('broker-a', [[0, '192.168.0.10:10911'], [1, '192.168.0.11:10911']])],
      ]),
      clusterAddrTable: new Map([['DefaultCluster', new Set(['broker-b', 'broker-a'])]]),
    }),
  },
  { name: 'consume-stats', build: consumeStats },
  { name: 'consume-stats-browser', build: consumeStats, opts: BROWSER },
  {
    name: 'consume-stats-nan',
    build: () => ({ consumeTps: new JavaDouble(NaN), offsetTable: new Map() }),
    noRoundTrip: 'NaN is written null; parsed back, a null property is omitted',
  },
  {
    name: 'topic-stats-table',
    build: () => ({
      offsetTable: new Map([
        [mq('TopicTest', 'broker-a', 1), { lastUpdateTimestamp: TS + 1, maxOffset: 11, minOffset: 1 }],
        [mq('TopicTest', 'broker-a', 0), { lastUpdateTimestamp: TS, maxOffset: 10, minOffset: 0 }],
      ]),
    }),
  },
  {
    name: 'reset-offset-body',
    build: () => ({
      offsetTable: new Map<object, number | bigint>([
        [mq('TopicTest', 'broker-b', 0), 9007199254740993n],
        [mq('TopicTest', 'broker-a', 1), 13],
        [mq('TopicTest', 'broker-a', 0), 12],
      ]),
    }),
  },
  { name: 'heartbeat-data', build: heartbeat },
  { name: 'heartbeat-data-browser', build: heartbeat, opts: BROWSER },
  {
    name: 'lock-batch-response-body',
    build: () => ({ lockOKMQSet: new Set([mq('TopicTest', 'broker-a', 1), mq('TopicTest', 'broker-a', 0)]) }),
  },
  {
    name: 'consumer-connection',
    build: () => ({
      connectionSet: new Set([
        { clientAddr: '192.168.0.5:53000', clientId: '192.168.0.5@12340', language: 'JAVA', version: 409 },
        { clientAddr: '192.168.0.6:53001', clientId: '192.168.0.6@12341', language: 'GO', version: 409 },
      ]),
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
      consumeType: 'CONSUME_PASSIVELY',
      messageModel: 'CLUSTERING',
      subscriptionTable: new Map([
        ['%RETRY%cg', sub('%RETRY%cg', '*', [], [])],
        ['TopicTest', sub('TopicTest', 'TagA', ['TagA'], [2598919])],
      ]),
    }),
  },
  { name: 'subscription-group-wrapper', build: subscriptionGroupWrapper },
  { name: 'subscription-group-wrapper-pretty', build: subscriptionGroupWrapper, pretty: true },
  { name: 'topic-config-wrapper', build: topicConfigWrapper },
  { name: 'topic-config-wrapper-pretty', build: topicConfigWrapper, pretty: true },
  { name: 'consumer-offset', build: consumerOffsets },
  { name: 'consumer-offset-pretty', build: consumerOffsets, pretty: true },
  {
    name: 'kv-table',
    build: () => ({
      table: new Map([
        ['msgPutTotalTodayNow', '12'],
        ['commitLogDirCapacity', 'Total : 100 GiB, Free : 50 GiB.'],
        ['brokerVersion', '409'],
        ['putTps', '0.0 0.0 0.0'],
        ['bootTimestamp', '1690000000000'],
      ]),
    }),
  },
  { name: 'topic-list', build: () => topicList() },
  { name: 'topic-list-broker-addr', build: () => topicList('192.168.0.10:10911') },
  {
    name: 'consumer-list-by-group',
    build: () => ({ consumerIdList: ['192.168.0.5@12345#123456789', '192.168.0.6@23456#223456789'] }),
  },
  {
    name: 'register-broker-body',
    build: () => ({ filterServerList: ['192.168.0.10:30000'], topicConfigSerializeWrapper: topicConfigWrapper() }),
  },
  { name: 'doubles', build: () => doubles.map((d) => new JavaDouble(d)), noRoundTrip: 'integral doubles' },
  {
    name: 'doubles-special',
    build: () => [NaN, Infinity, -Infinity, 1].map((d) => new JavaDouble(d)),
  },
  // 300 seeded random doubles and 62 subnormals: the values come from the fixture, the text from Java.
  { name: 'doubles-random', build: () => parsedDoubles('doubles-random'), noRoundTrip: 'integral doubles' },
  { name: 'doubles-subnormal', build: () => parsedDoubles('doubles-subnormal') },
  { name: 'longs', build: () => longs },
  { name: 'longs-browser', build: () => longs, opts: BROWSER },
  { name: 'ints-browser', build: () => [0, 2147483647, -2147483648], opts: BROWSER },
  { name: 'long-keys', build: () => new Map<bigint | number, string>([[9223372036854775807n, 'max'], [0, 'zero']]) },
  {
    name: 'long-keys-browser',
    build: () => new Map<bigint | number, string>([[9223372036854775807n, 'max'], [0, 'zero']]),
    opts: BROWSER,
  },
  { name: 'strings', build: () => escapeStrings },
  { name: 'strings-browser', build: () => escapeStrings, opts: BROWSER },
  { name: 'string-keys', build: stringKeys },
  { name: 'string-keys-browser', build: stringKeys, opts: BROWSER },
  {
    name: 'nulls',
    build: () =>
      new Map<string, unknown>([
        ['a', 'x'],
        ['b', null],
        ['c', ['y', null, 'z']],
        ['d', new Map([[1, null], [2, 'two']])],
        ['e', { brokerAddr: null, topicList: new Set() }],
      ]),
  },
  { name: 'generic', build: generic },
  { name: 'generic-pretty', build: generic, pretty: true },
  {
    name: 'pretty-nulls',
    build: () =>
      new Map<string, unknown>([
        ['nullBean', { brokerAddr: null, topicList: null }],
        ['nullMap', new Map([['k', null]])],
      ]),
    pretty: true,
    noRoundTrip: 'all-null containers parse back as empty ones, which print without line breaks',
  },
];

const encode = (c: Case, value: unknown) => (c.pretty ? toFastJsonPretty(value) : toFastJson(value, c.opts));

describe('fastjson fixtures', () => {
  it('every fixture file has a case (repeated-ref and parser-cases are tested below)', () => {
    const files = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .sort();
    const named = [...CASES.map((c) => c.name), 'repeated-ref', 'parser-cases'].sort();
    expect(named).toEqual(files);
  });

  for (const c of CASES) {
    it(`${c.name}: encodes byte for byte and round-trips`, () => {
      const text = fixture(c.name);
      expect(encode(c, c.build())).toBe(text);
      if (c.noRoundTrip !== undefined) return;
      // Parsing our output gives what parsing Java's output gives, and encoding that again
      // reaches the same fixed point.
      const parsed = parseFastJson(text);
      const reEncoded = encode(c, parsed);
      expect(parseFastJson(reEncoded)).toEqual(parsed);
      expect(encode(c, parseFastJson(reEncoded))).toBe(reEncoded);
    });
  }
});

describe('parseFastJson on Java output', () => {
  it('route data: numeric keys make a Map with number keys; quoted ones stay an object', () => {
    const plain = parseFastJson(fixture('topic-route-plain')) as any;
    const addrs = plain.brokerDatas[0].brokerAddrs;
    expect(addrs).toBeInstanceOf(Map);
    expect([...addrs.keys()]).toEqual([0, 1]);
    expect(addrs.get(0)).toBe('192.168.0.10:10911');
    expect(plain.orderTopicConf).toBe('broker-a:4;broker-b:8');
    expect(plain.filterServerTable).toEqual({ '192.168.0.10:10911': ['192.168.0.10:30000'] });
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);

    const standard = parseFastJson(fixture('topic-route-standard')) as any;
    expect(standard.brokerDatas[0].brokerAddrs).toEqual({ '0': '192.168.0.10:10911', '1': '192.168.0.11:10911' });
    expect(standard.brokerDatas[0].brokerAddrs).not.toBeInstanceOf(Map);
  });

  it('ConsumeStats: MessageQueue keys become plain-object keys of a Map; the double is a number', () => {
    const cs = parseFastJson(fixture('consume-stats')) as any;
    expect(cs.consumeTps).toBe(10 / 3);
    expect(cs.offsetTable).toBeInstanceOf(Map);
    const keys = [...cs.offsetTable.keys()];
    expect(keys).toEqual([mq('TopicTest', 'broker-a', 1), mq('TopicTest', 'broker-b', 2), mq('TopicTest', 'broker-a', 0)]);
    expect(cs.offsetTable.get(keys[2])).toEqual({ brokerOffset: 100, consumerOffset: 98, lastTimestamp: TS });
  });

  it('ConsumeStats under BrowserCompatible: object keys arrive as strings holding JSON', () => {
    const cs = parseFastJson(fixture('consume-stats-browser')) as any;
    expect(cs.offsetTable).not.toBeInstanceOf(Map);
    const key = Object.keys(cs.offsetTable)[0]!;
    expect(parseFastJson(key)).toEqual(mq('TopicTest', 'broker-a', 1));
  });

  it('ResetOffsetBody: longs beyond 2^53 are bigints, the rest numbers', () => {
    const body = parseFastJson(fixture('reset-offset-body')) as any;
    expect([...body.offsetTable.values()]).toEqual([9007199254740993n, 13, 12]);
    expect(typeof [...body.offsetTable.values()][1]).toBe('number');
  });

  it('consumerOffset.json (pretty): String-keyed outer object, Integer-keyed inner Maps', () => {
    const file = parseFastJson(fixture('consumer-offset-pretty')) as any;
    expect(file.offsetTable).not.toBeInstanceOf(Map);
    expect(Object.keys(file.offsetTable)).toEqual(['%RETRY%cg@cg', 'TopicTest@cg', 'Empty@cg']);
    expect(file.offsetTable['TopicTest@cg']).toEqual(new Map([[0, 250], [1, 251], [2, 0]]));
    expect(file.offsetTable['%RETRY%cg@cg'].get(0)).toBe(9007199254740993n);
    expect(file.offsetTable['Empty@cg']).toEqual({});
    expect(file).toEqual(parseFastJson(fixture('consumer-offset')));
  });

  it('topics.json (pretty) parses like the compact form', () => {
    const pretty = parseFastJson(fixture('topic-config-wrapper-pretty')) as any;
    expect(pretty).toEqual(parseFastJson(fixture('topic-config-wrapper')));
    expect(pretty.topicConfigTable.TopicTest.order).toBe(true);
    expect(pretty.dataVersion).toEqual({ counter: 2, timestamp: TS });
  });

  it('HeartbeatData: raw UTF-8 and \\uXXXX escapes decode to the same strings', () => {
    const raw = parseFastJson(fixture('heartbeat-data')) as any;
    expect(raw.producerDataSet[0].groupName).toBe('生产组');
    expect(raw.consumerDataSet[0].subscriptionDataSet[0].tagsSet).toEqual(['TagA', '标签', 'TagB']);
    expect(raw.consumerDataSet[0].subscriptionDataSet[0].subVersion).toBe(TS);
    expect(parseFastJson(fixture('heartbeat-data-browser'))).toEqual(raw);
  });

  it('strings: every escape fastjson writes decodes back, default and browser form', () => {
    expect(parseFastJson(fixture('strings'))).toEqual(escapeStrings);
    expect(parseFastJson(fixture('strings-browser'))).toEqual(escapeStrings);
    expect(parseFastJson(fixture('string-keys-browser'))).toEqual(Object.fromEntries(stringKeys()));
  });

  it('longs: bigint beyond the safe range; BrowserCompatible strings stay strings', () => {
    const plain = parseFastJson(fixture('longs')) as unknown[];
    expect(plain).toEqual(longs);
    expect(typeof plain[2]).toBe('number');
    expect(typeof plain[3]).toBe('bigint');
    expect((parseFastJson(fixture('longs-browser')) as unknown[])[6]).toBe('9223372036854775807');
    expect(parseFastJson(fixture('long-keys'))).toEqual(new Map<unknown, string>([[9223372036854775807n, 'max'], [0, 'zero']]));
  });

  it('doubles: Java notation parses to the same numbers, -0.0 included', () => {
    const parsed = parseFastJson(fixture('doubles')) as number[];
    expect(parsed).toEqual(doubles);
    expect(Object.is(parsed[5], -0)).toBe(true);
    expect(parseFastJson(fixture('doubles-special'))).toEqual([null, null, null, 1]);
    expect(parseFastJson(fixture('consume-stats-nan'))).toEqual({ consumeTps: null, offsetTable: {} });
  });

  it('nulls: null list elements survive; null map values were never written', () => {
    expect(parseFastJson(fixture('nulls'))).toEqual({
      a: 'x',
      c: ['y', null, 'z'],
      d: new Map([[2, 'two']]),
      e: { topicList: [] },
    });
  });

  it('generic pretty output parses like its compact form', () => {
    expect(parseFastJson(fixture('generic-pretty'))).toEqual(parseFastJson(fixture('generic')));
  });

  it('repeated instances: fastjson writes $ref; we parse it as a plain object and write copies', () => {
    const text = fixture('repeated-ref');
    expect(parseFastJson(text)).toEqual([mq('TopicTest', 'broker-a', 0), { $ref: '$[0]' }]);
    const q = mq('TopicTest', 'broker-a', 0);
    expect(toFastJson([q, q])).toBe(
      '[{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"},{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}]',
    );
  });
});

describe('toFastJson beyond the fixtures', () => {
  it('sortMapKeys sorts strings by UTF-16 code unit and numbers numerically', () => {
    const m = new Map<unknown, number>([['b', 1], ['B', 2], ['a', 3]]);
    expect(toFastJson(m, { sortMapKeys: true })).toBe('{"B":2,"a":3,"b":1}');
    const n = new Map<unknown, string>([[10, 'x'], [2n, 'y'], [-1, 'z']]);
    expect(toFastJson(n, { sortMapKeys: true })).toBe('{-1:"z",2:"y",10:"x"}');
    expect(toFastJson(n)).toBe('{10:"x",2:"y",-1:"z"}');
  });

  it('a non-integer JS number is written as a Java double; integers never are', () => {
    expect(toFastJson({ a: 0.5, b: 2, c: 1e20, d: new JavaDouble(2) })).toBe('{"a":0.5,"b":2,"c":100000000000000000000,"d":2.0}');
    expect(formatJavaDouble(1e7)).toBe('1.0E7');
    expect(formatJavaDouble(-123.456)).toBe('-123.456');
    expect(formatJavaDouble(0.00099)).toBe('9.9E-4');
  });

  it('undefined properties are omitted like null ones', () => {
    expect(toFastJson({ b: undefined, a: 1, c: null })).toBe('{"a":1}');
  });

  it('refuses cycles and functions with a clear error', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => toFastJson(a)).toThrow(/nested deeper than 512/);
    expect(() => toFastJson({ f: () => 1 })).toThrow(/cannot serialize a function/);
  });
});

describe('parseFastJson leniency (fastjson default parser features)', () => {
  it('accepts single quotes, unquoted identifier keys and whitespace anywhere', () => {
    expect(parseFastJson(" { 'a' : 'b' , $c_d1 : [ 1 , 2 ] } ")).toEqual({ a: 'b', $c_d1: [1, 2] });
    expect(parseFastJson('{ 0 : "x" ,\n\t{ "t" : 1 } : 2 }')).toEqual(
      new Map<unknown, unknown>([[0, 'x'], [{ t: 1 }, 2]]),
    );
  });

  it('a mixed object becomes a Map keeping string keys as strings, in order', () => {
    const m = parseFastJson('{"a":1,2:3,"c":4}') as Map<unknown, unknown>;
    expect([...m.entries()]).toEqual([['a', 1], [2, 3], ['c', 4]]);
  });

  it('skips repeated and trailing commas (AllowArbitraryCommas)', () => {
    expect(parseFastJson('{"a":1,,"b":2,}')).toEqual({ a: 1, b: 2 });
    expect(parseFastJson('[1,,2,]')).toEqual([1, 2]);
    expect(parseFastJson('[1 -2 {"a":[true false]}]')).toEqual([1, -2, { a: [true, false] }]);
    expect(parseFastJson(' \n ')).toBeNull();
  });

  it('accepts Java escapes and number suffixes', () => {
    expect(parseFastJson('"\\x41\\v\\0\\\'\\/\\u4E2d"')).toBe("A\u000b\u0000'/中");
    expect(parseFastJson('[12L,1.5D,3F,-0,1e3,1.]')).toEqual([12, 1.5, 3, 0, 1000, 1]);
    expect(parseFastJson('"raw\ttab"')).toBe('raw\ttab');
  });

  it('a __proto__ key is data, not a prototype change', () => {
    const o = parseFastJson('{"__proto__":{"polluted":true},"a":1}') as any;
    expect(o.polluted).toBeUndefined();
    expect(Object.keys(o)).toEqual(['__proto__', 'a']);
    expect(({} as any).polluted).toBeUndefined();
  });

  it('large negative and positive integers', () => {
    expect(parseFastJson('-9223372036854775808')).toBe(-9223372036854775808n);
    expect(parseFastJson('9007199254740991')).toBe(9007199254740991);
    expect(parseFastJson('0009007199254740993')).toBe(9007199254740993n);
  });
});

describe('parseFastJson accepts and rejects what fastjson does', () => {
  // [input, "ok" | "error", JSON.toJSONString(JSON.parse(input)) or fastjson's message]
  const rows = parseFastJson(fixture('parser-cases')) as [string, 'ok' | 'error', string][];
  // fastjson's JSONObject turns numeric keys into strings; we keep them as numbers in a Map.
  const keyTypeDiffers = new Set(['{"a":1,2:3}', '{0:"x",{"t":1}:2}']);
  for (const [input, outcome, result] of rows) {
    it(`${outcome}: ${JSON.stringify(input)}`, () => {
      if (outcome === 'error') {
        expect(() => parseFastJson(input)).toThrow(/fastjson parse error at offset \d+/);
        return;
      }
      const parsed = parseFastJson(input);
      if (!keyTypeDiffers.has(input)) expect(parsed).toEqual(parseFastJson(result));
    });
  }
});

describe('parseFastJson errors name the position and what was expected', () => {
  const cases: [string, RegExp][] = [
    ['{"a":', /offset 5 .*expected a value.*found end of input/],
    ['{"a":1', /offset 6 .*expected ',' or '}' after object value, found end of input/],
    ['{"a" 1}', /offset 5 .*expected ':' after object key, found "1}"/],
    ['{:1}', /offset 1 .*expected an object key or '}'/],
    ['[1 x]', /offset 3 .*expected a value/],
    ['[1,2', /offset 4 .*expected ',' or ']', found end of input/],
    ['{"a":1 "b":2}', /offset 7 .*expected ',' or '}' after object value/],
    ['{a$:1}', /offset 2 .*expected ':' after object key, found "\$:1}"/],
    ['{"a":"open}', /expected closing " of the string starting at offset 5/],
    ['{"a":tru}', /offset 5 .*expected 'true'/],
    ['{"a":1}x', /offset 7 .*expected end of input, found "x"/],
    ['"\\q"', /offset 1 .*expected a valid escape/],
    ['"\\u12G4"', /offset 1 .*expected 4 hex digits after '\\u'/],
    ['-', /offset 1 .*expected a digit/],
    ['1e+', /offset 3 .*expected a digit in the exponent/],
    ['[' .repeat(600), /at most 512 levels of nesting/],
  ];
  for (const [input, message] of cases) {
    it(JSON.stringify(input.slice(0, 20)), () => {
      expect(() => parseFastJson(input)).toThrow(message);
    });
  }

  it('reports line and column for multi-line input', () => {
    expect(() => parseFastJson('{\n\t"a":1\n\t"b":2\n}')).toThrow(/offset 10 \(line 3, column 2\)/);
  });
});
