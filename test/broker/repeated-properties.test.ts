/**
 * A property repeated in a message's property string: the Java broker reads properties into a HashMap,
 * so the last occurrence wins (empty values dropped), on the send path and when recovery rebuilds the
 * ConsumeQueue and index from the CommitLog alike. A message with TAGS twice must therefore get one
 * ConsumeQueue tags code, the hash of the last TAGS, before and after a crash; with KEYS twice, only the
 * last KEYS is indexed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcess, type InProcessServer } from '../server/in-process.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { javaStringHash } from '../../src/codec/message-properties.js';
import { decodeRecord } from '../../src/codec/message-record.js';
import { DefaultMessageStore } from '../../src/store/default-message-store.js';
import type { MessageStore } from '../../src/store/types.js';

const TIMEOUT_MS = 3000;
const TOPIC = 'RepeatedProps';
let srv: InProcessServer;
const client = new RemotingClient(() => {});

/** SEND_MESSAGE_V2 with a raw property string (so a key can appear twice). */
function send(queueId: number, properties: string, body: string): Promise<RemotingCommand> {
  const req = createRequest(RequestCode.SEND_MESSAGE_V2, {
    a: 'pg', b: TOPIC, c: 'TBW102', d: '4', e: String(queueId), f: '0', g: String(Date.now()), h: '0', i: properties, j: '0', k: 'false', m: 'false',
  }, Buffer.from(body));
  return client.invoke(srv.brokerAddr, req, TIMEOUT_MS);
}

const props = (...kv: string[]): string => {
  const items: string[] = [];
  for (let i = 0; i < kv.length; i += 2) items.push(`${kv[i]}\u0001${kv[i + 1]}`);
  return items.join('\u0002');
};

/** The tags code each ConsumeQueue unit of a queue holds, in queue order. */
function unitTagsCodes(store: MessageStore, queueId: number): number[] {
  const codes: number[] = [];
  const filter = { isMatchedByConsumeQueue: (code: number) => (codes.push(code), true) };
  store.getMessage('g', TOPIC, queueId, 0, 32, filter);
  return codes;
}

const queried = (store: MessageStore, key: string): string[] =>
  store.queryMessage(TOPIC, key, 32, 0, Number.MAX_SAFE_INTEGER).buffers.map((b) => decodeRecord(b).body.toString());

/** What the Java broker answers for both sends, live and after recovery. */
function expectLastWins(store: MessageStore): void {
  expect(unitTagsCodes(store, 0)).toEqual([javaStringHash('second')]);
  expect(unitTagsCodes(store, 1)).toEqual([javaStringHash('second')]);
  for (const q of [0, 1]) {
    expect(queried(store, `last-${q}`)).toEqual([`m${q}`]);
    expect(queried(store, `first-${q}`)).toEqual([]);
  }
}

beforeAll(async () => {
  srv = await startInProcess({ flushIntervalConsumeQueue: 60_000 });
});
afterAll(async () => {
  client.close();
  await srv?.stop();
});

describe('a property repeated in one message (last occurrence wins)', () => {
  it('gives the same tags code and index entries live and after crash recovery', async () => {
    // Queue 0 as a client sends it without WAIT, queue 1 with WAIT (the broker then rewrites the string).
    const r0 = await send(0, props('TAGS', 'first', 'KEYS', 'first-0', 'TAGS', 'second', 'KEYS', 'last-0', 'TAGS', ''), 'm0');
    const r1 = await send(1, props('WAIT', 'true', 'TAGS', 'first', 'KEYS', 'first-1', 'TAGS', 'second', 'KEYS', 'last-1'), 'm1');
    expect([r0.code, r1.code]).toEqual([ResponseCode.SUCCESS, ResponseCode.SUCCESS]);
    expectLastWins(srv.broker.ctx.store);

    // A crash before the ConsumeQueue and index reached disk: the CommitLog as written, no queues, no
    // index, no checkpoint, the abort marker left behind. Recovery rebuilds both from the log.
    const cfg = srv.broker.ctx.config;
    const copy = path.join(srv.dir, 'crashed');
    fs.cpSync(cfg.storePathCommitLog, path.join(copy, 'commitlog'), { recursive: true });
    fs.writeFileSync(path.join(copy, 'abort'), '');
    const recovered = new DefaultMessageStore({ ...cfg, storePathRootDir: copy, storePathCommitLog: path.join(copy, 'commitlog') }, { replication: false });
    await recovered.start();
    try {
      expectLastWins(recovered);
    } finally {
      await recovered.shutdown();
    }
  });
});
