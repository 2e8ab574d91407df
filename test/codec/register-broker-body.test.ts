import { test, expect } from 'vitest';
import { encodeRegisterBrokerBody, encodeRegisterBrokerBodySliced, decodeRegisterBrokerBody } from '../../src/codec/register-broker-body.js';
import { topicConfig } from '../../src/broker/metadata/topic-config-manager.js';

test('the sliced REGISTER_BROKER body is byte for byte the one-go body, and yields on a large table', async () => {
  const table = new Map<string, object>();
  for (let i = 0; i < 20_000; i++) {
    const name = i % 97 === 0 ? `%RETRY%grüppe_${i}` : `Topic_${i}`;
    table.set(name, { ...topicConfig(name), readQueueNums: 1 + (i % 8), writeQueueNums: 1 + (i % 8), order: i % 5 === 0 });
  }
  const dv = { timestamp: 1_700_000_000_123, counter: 42 };
  let ticks = 0;
  const counter = setInterval(() => ticks++, 0);
  const sliced = await encodeRegisterBrokerBodySliced(dv, table);
  clearInterval(counter);
  expect(sliced.equals(encodeRegisterBrokerBody(dv, table))).toBe(true);
  const decoded = decodeRegisterBrokerBody(sliced, false, false);
  expect(decoded.topicConfigs).toHaveLength(20_000);
  expect(decoded.dataVersion).toEqual(dv);
  // 20,000 topics take longer than one 5 ms slice: timers ran in between.
  expect(ticks).toBeGreaterThan(0);
  expect((await encodeRegisterBrokerBodySliced(dv, new Map())).equals(encodeRegisterBrokerBody(dv, new Map()))).toBe(true);
});
