/**
 * The gRPC endpoint's producer side through a raw grpc-js client: QueryRoute, the Telemetry settings
 * handshake, Heartbeat, SendMessage (normal, FIFO, delay, transactional, refusals), EndTransaction
 * and the transaction check-back through Telemetry, against an in-process broker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProducerRig, type ProducerRig } from './producer-rig.js';

let rig: ProducerRig;

beforeAll(async () => {
  // Short transaction timers so the check-back test waits about a second.
  rig = await startProducerRig({ transactionTimeOut: 300, transactionCheckInterval: 300 });
  await rig.createTopic('GrpcNormal', 4, 'NORMAL');
  await rig.createTopic('GrpcFifo', 4, 'FIFO');
  await rig.createTopic('GrpcDelay', 2, 'DELAY');
  await rig.createTopic('GrpcTx', 2, 'TRANSACTION');
  await rig.createTopic('GrpcPlain', 2);
}, 30_000);

afterAll(async () => {
  await rig?.stop();
});

let seq = 0;
const nextId = (): string => `01AABBCCDDEEFF${(Date.now() % 1e8).toString(16).toUpperCase()}${String(seq++).padStart(6, '0')}`;
const ts = (ms: number): object => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });

function message(topic: string, body: string, sys: Record<string, unknown> = {}, user: Record<string, string> = {}): object {
  return {
    topic: { name: topic },
    userProperties: user,
    systemProperties: { messageId: nextId(), bornTimestamp: ts(Date.now()), bornHost: '10.0.0.9', messageType: 'NORMAL', ...sys },
    body: Buffer.from(body),
  };
}

/** Opens a Telemetry stream and completes the settings handshake; resolves with the answer and the stream. */
function handshake(clientId: string, settings: object): Promise<{ answer: any; call: any; commands: any[] }> {
  return new Promise((resolve, reject) => {
    const call = rig.client.Telemetry(rig.metadata(clientId));
    const commands: any[] = [];
    let first = true;
    call.on('data', (c: any) => {
      if (first) {
        first = false;
        resolve({ answer: c, call, commands });
      } else commands.push(c);
    });
    call.on('error', (e: Error) => (first ? reject(e) : undefined));
    call.write({ settings });
  });
}

const producerSettings = (topics: string[]): object => ({
  clientType: 'PRODUCER',
  accessPoint: { scheme: 'IPv4', addresses: [{ host: '127.0.0.1', port: rig.proxy.port }] },
  requestTimeout: { seconds: 3 },
  publishing: { topics: topics.map((name) => ({ name })), validateMessageType: true },
  userAgent: { language: 'NODE_JS', version: '5.0.7', platform: 'test', hostname: 'h' },
});

describe('QueryRoute', () => {
  it('lists the queues with this endpoint as every broker, and the accepted type', async () => {
    const res = await rig.unary('QueryRoute', {
      topic: { name: 'GrpcFifo' },
      endpoints: { scheme: 'IPv4', addresses: [{ host: '127.0.0.1', port: 1 }] },
    });
    expect(res.status).toEqual({ code: 'OK', message: 'OK' });
    expect(res.messageQueues).toHaveLength(4);
    const q = res.messageQueues[0];
    expect(q.permission).toBe('READ_WRITE');
    expect(q.acceptMessageTypes).toEqual(['FIFO']);
    expect(q.broker.id).toBe(0);
    expect(q.broker.endpoints.addresses).toEqual([{ host: '127.0.0.1', port: rig.proxy.port }]);
    expect(res.messageQueues.map((m: any) => m.id)).toEqual([0, 1, 2, 3]);
  });

  it('answers TOPIC_NOT_FOUND, ILLEGAL_TOPIC and CLIENT_ID_REQUIRED as the Apache proxy', async () => {
    const missing = await rig.unary('QueryRoute', { topic: { name: 'NoSuchTopicHere' }, endpoints: {} });
    expect(missing.status.code).toBe('TOPIC_NOT_FOUND');
    const bad = await rig.unary('QueryRoute', { topic: { name: 'bad topic!' } });
    expect(bad.status).toEqual({ code: 'ILLEGAL_TOPIC', message: 'The specified topic[bad topic!] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$' });
    const system = await rig.unary('QueryRoute', { topic: { name: 'RMQ_SYS_TRANS_HALF_TOPIC' } });
    expect(system.status).toEqual({ code: 'ILLEGAL_TOPIC', message: 'cannot access system topic' });
    const anonymous = await rig.unary('QueryRoute', { topic: { name: 'GrpcNormal' } }, null);
    expect(anonymous.status).toEqual({ code: 'CLIENT_ID_REQUIRED', message: 'client id cannot be empty' });
  });
});

describe('the port', () => {
  it('serves TLS on the same port (a certificate made at start), as the Java and Go SDKs dial by default', async () => {
    const grpc = await import('@grpc/grpc-js');
    const { loadMessagingPackage } = await import('../../src/proxy/grpc/proto.js');
    const pkg = loadMessagingPackage() as any;
    const creds = grpc.credentials.createSsl(null, null, null, { rejectUnauthorized: false, checkServerIdentity: () => undefined });
    const tlsClient = new pkg.apache.rocketmq.v2.MessagingService(`127.0.0.1:${rig.proxy.port}`, creds);
    try {
      const res: any = await new Promise((resolve, reject) =>
        tlsClient.QueryRoute({ topic: { name: 'GrpcNormal' } }, rig.metadata('tls-client'), (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r))),
      );
      expect(res.status.code).toBe('OK');
      expect(res.messageQueues).toHaveLength(4);
    } finally {
      tlsClient.close();
    }
  });
});

describe('Telemetry settings and Heartbeat', () => {
  it('refuses a heartbeat before the settings, answers the producer settings with the proxy policy', async () => {
    const before = await rig.unary('Heartbeat', { clientType: 'PRODUCER' }, 'hb-client');
    expect(before.status).toEqual({ code: 'UNRECOGNIZED_CLIENT_TYPE', message: 'cannot find client settings for this client' });
    const { answer, call } = await handshake('hb-client', producerSettings(['GrpcNormal']));
    try {
      expect(answer.status.code).toBe('OK');
      expect(answer.settings.backoffPolicy.maxAttempts).toBe(3);
      expect(answer.settings.backoffPolicy.exponentialBackoff.multiplier).toBe(2);
      expect(answer.settings.publishing.maxBodySize).toBe(4 * 1024 * 1024);
      expect(answer.settings.publishing.validateMessageType).toBe(true);
      const after = await rig.unary('Heartbeat', { clientType: 'PRODUCER' }, 'hb-client');
      expect(after.status.code).toBe('OK');
      const bye = await rig.unary('NotifyClientTermination', {}, 'hb-client');
      expect(bye.status.code).toBe('OK');
      const gone = await rig.unary('Heartbeat', { clientType: 'PRODUCER' }, 'hb-client');
      expect(gone.status.code).toBe('UNRECOGNIZED_CLIENT_TYPE');
    } finally {
      call.end();
    }
  });

  it('keeps a Telemetry stream opened with a 60-year deadline, as rocketmq-client-java opens it', async () => {
    const call = rig.client.Telemetry(rig.metadata('java-like'), { deadline: Date.now() + 60 * 365 * 86_400_000 });
    const events: string[] = [];
    call.on('data', () => events.push('data'));
    call.on('error', (e: any) => events.push(`error ${e.code}`));
    call.write({ settings: producerSettings(['GrpcNormal']) });
    await new Promise((r) => setTimeout(r, 1500));
    try {
      // The settings answer (twice: see telemetry.ts), and no DEADLINE_EXCEEDED (code 4).
      expect(events).toEqual(['data', 'data']);
    } finally {
      call.end();
    }
  });

  it('ends a stream whose settings name an illegal topic with INVALID_ARGUMENT', async () => {
    await expect(handshake('bad-settings', producerSettings(['bad topic']))).rejects.toMatchObject({ code: 3 });
  });
});

describe('SendMessage', () => {
  it('stores a normal message with tag, keys, user properties and the SDK message id', async () => {
    const m = message('GrpcNormal', 'hello grpc', { tag: 'TagA', keys: ['k1', 'k2'] }, { color: 'red' });
    const res = await rig.unary('SendMessage', { messages: [m] });
    expect(res.status).toEqual({ code: 'OK', message: 'OK' });
    expect(res.entries).toHaveLength(1);
    const id = (m as any).systemProperties.messageId;
    expect(res.entries[0].messageId).toBe(id);
    const rec = (await rig.stored('GrpcNormal')).find((r) => r.props.get('UNIQ_KEY') === id)!;
    expect(rec.body.toString()).toBe('hello grpc');
    expect(rec.queueOffset).toBe(res.entries[0].offset);
    expect(rec.props.get('TAGS')).toBe('TagA');
    expect(rec.props.get('KEYS')).toBe('k1 k2');
    expect(rec.props.get('color')).toBe('red');
    expect(rec.props.get('PGROUP')).toBe('GrpcNormal');
    expect(rec.props.get('__BORNHOST')).toBe('10.0.0.9');
  });

  it('keeps one message group on one queue and stores the group as __SHARDINGKEY', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const m = message('GrpcFifo', `fifo-${i}`, { messageType: 'FIFO', messageGroup: 'x' });
      const res = await rig.unary('SendMessage', { messages: [m] });
      expect(res.status.code).toBe('OK');
      ids.push((m as any).systemProperties.messageId);
    }
    const recs = (await rig.stored('GrpcFifo')).filter((r) => ids.includes(r.props.get('UNIQ_KEY')!));
    expect(recs).toHaveLength(6);
    // Guava Hashing.consistentHash("x".hashCode(), 4) is 1 (run against guava 16.0.1 on 2026-11-29).
    expect(new Set(recs.map((r) => r.queueId))).toEqual(new Set([1]));
    expect(recs.map((r) => r.body.toString())).toEqual(['fifo-0', 'fifo-1', 'fifo-2', 'fifo-3', 'fifo-4', 'fifo-5']);
    expect(recs[0].props.get('__SHARDINGKEY')).toBe('x');
  });

  it('refuses a message whose type is not the topic message.type', async () => {
    const res = await rig.unary('SendMessage', { messages: [message('GrpcFifo', 'x')] });
    expect(res.status).toEqual({
      code: 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
      message: 'TopicMessageType validate failed, the expected type is FIFO, but actual type is NORMAL',
    });
  });

  it('sends a delay message as TIMER_DELIVER_MS', async () => {
    const at = Date.now() + 60_000;
    const m = message('GrpcDelay', 'later', { messageType: 'DELAY', deliveryTimestamp: ts(at) });
    const res = await rig.unary('SendMessage', { messages: [m] });
    expect(res.status.code).toBe('OK');
    // Parked in the timer: not yet in the topic.
    const id = (m as any).systemProperties.messageId;
    expect((await rig.stored('GrpcDelay')).some((r) => r.props.get('UNIQ_KEY') === id)).toBe(false);
    const far = await rig.unary('SendMessage', {
      messages: [message('GrpcDelay', 'too late', { messageType: 'DELAY', deliveryTimestamp: ts(Date.now() + 2 * 86_400_000) })],
    });
    expect(far.status).toEqual({ code: 'ILLEGAL_DELIVERY_TIME', message: 'the max delay time of message is too large, max is 86400000' });
  });

  it('refuses bodies empty or too large, reserved property names and a missing message id', async () => {
    const empty = await rig.unary('SendMessage', { messages: [message('GrpcPlain', '')] });
    expect(empty.status).toEqual({ code: 'MESSAGE_BODY_EMPTY', message: 'message body cannot be empty' });
    const big = message('GrpcPlain', 'x');
    (big as any).body = Buffer.alloc(4 * 1024 * 1024 + 1, 1);
    const large = await rig.unary('SendMessage', { messages: [big] });
    expect(large.status).toEqual({ code: 'MESSAGE_BODY_TOO_LARGE', message: 'message body cannot exceed the max 4194304' });
    const reserved = await rig.unary('SendMessage', { messages: [message('GrpcPlain', 'x', {}, { KEYS: 'k' })] });
    expect(reserved.status).toEqual({ code: 'ILLEGAL_MESSAGE_PROPERTY_KEY', message: 'property is used by system: KEYS' });
    const noId = await rig.unary('SendMessage', { messages: [message('GrpcPlain', 'x', { messageId: '' })] });
    expect(noId.status).toEqual({ code: 'ILLEGAL_MESSAGE_ID', message: 'message id cannot be empty' });
    const none = await rig.unary('SendMessage', { messages: [] });
    expect(none.status).toEqual({ code: 'MESSAGE_CORRUPTED', message: 'no message to send' });
    const missing = await rig.unary('SendMessage', { messages: [message('NoSuchTopicForSend', 'x')] });
    expect(missing.status.code).toBe('TOPIC_NOT_FOUND');
  });

  it('sends several messages as one batch, one entry each', async () => {
    const ms = [message('GrpcPlain', 'b0'), message('GrpcPlain', 'b1'), message('GrpcPlain', 'b2')];
    const res = await rig.unary('SendMessage', { messages: ms });
    expect(res.status.code).toBe('OK');
    expect(res.entries.map((e: any) => e.messageId)).toEqual(ms.map((m: any) => m.systemProperties.messageId));
    const stored = await rig.stored('GrpcPlain');
    const bodies = ms.map((m: any) => stored.find((r) => r.props.get('UNIQ_KEY') === m.systemProperties.messageId)?.body.toString());
    expect(bodies).toEqual(['b0', 'b1', 'b2']);
  });
});

describe('transactions', () => {
  it('commits and rolls back half messages with EndTransaction', async () => {
    const commit = message('GrpcTx', 'tx-commit', { messageType: 'TRANSACTION' });
    const rollback = message('GrpcTx', 'tx-rollback', { messageType: 'TRANSACTION' });
    const r1 = await rig.unary('SendMessage', { messages: [commit] });
    const r2 = await rig.unary('SendMessage', { messages: [rollback] });
    expect(r1.status.code).toBe('OK');
    expect(r1.entries[0].transactionId).not.toBe('');
    const idOf = (m: any): string => m.systemProperties.messageId;
    expect((await rig.stored('GrpcTx')).some((r) => r.props.get('UNIQ_KEY') === idOf(commit))).toBe(false);
    const e1 = await rig.unary('EndTransaction', {
      topic: { name: 'GrpcTx' }, messageId: idOf(commit), transactionId: r1.entries[0].transactionId, resolution: 'COMMIT', source: 'SOURCE_CLIENT',
    });
    const e2 = await rig.unary('EndTransaction', {
      topic: { name: 'GrpcTx' }, messageId: idOf(rollback), transactionId: r2.entries[0].transactionId, resolution: 'ROLLBACK', source: 'SOURCE_CLIENT',
    });
    expect(e1.status.code).toBe('OK');
    expect(e2.status.code).toBe('OK');
    await waitFor(async () => (await rig.stored('GrpcTx')).some((r) => r.props.get('UNIQ_KEY') === idOf(commit)));
    expect((await rig.stored('GrpcTx')).some((r) => r.props.get('UNIQ_KEY') === idOf(rollback))).toBe(false);
    const again = await rig.unary('EndTransaction', {
      topic: { name: 'GrpcTx' }, messageId: idOf(commit), transactionId: r1.entries[0].transactionId, resolution: 'COMMIT',
    });
    expect(again.status).toEqual({ code: 'INTERNAL_SERVER_ERROR', message: 'cannot found transaction data' });
  });

  it('relays the broker check-back as RecoverOrphanedTransactionCommand and commits on the answer', async () => {
    const { call, commands } = await handshake('tx-producer', producerSettings(['GrpcTx']));
    try {
      const m: any = message('GrpcTx', 'orphan', { messageType: 'TRANSACTION', tag: 'T1' });
      const res = await rig.unary('SendMessage', { messages: [m] }, 'tx-producer');
      expect(res.status.code).toBe('OK');
      // No EndTransaction: the broker asks the producer group (the topic) through the proxy.
      const cmd = await waitFor(async () => commands.find((c) => c.recoverOrphanedTransactionCommand?.message?.systemProperties?.messageId === m.systemProperties.messageId));
      const recover = cmd.recoverOrphanedTransactionCommand;
      expect(recover.transactionId).toBe(res.entries[0].transactionId);
      expect(recover.message.body.toString()).toBe('orphan');
      expect(recover.message.topic.name).toBe('GrpcTx');
      expect(recover.message.systemProperties.tag).toBe('T1');
      const end = await rig.unary('EndTransaction', {
        topic: { name: 'GrpcTx' }, messageId: m.systemProperties.messageId, transactionId: recover.transactionId,
        resolution: 'COMMIT', source: 'SOURCE_SERVER_CHECK',
      }, 'tx-producer');
      expect(end.status.code).toBe('OK');
      await waitFor(async () => (await rig.stored('GrpcTx')).some((r) => r.props.get('UNIQ_KEY') === m.systemProperties.messageId));
    } finally {
      call.end();
    }
  }, 20_000);
});

async function waitFor<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
