/**
 * Remoting TLS in process: the first-byte sniff in each tls.server.mode (plain and TLS clients), client
 * certificates per need.client.auth and authClient, a key with a password, tls.config.file overriding
 * the config, a malformed hello, and back-pressure on a TLS connection. Certificates are made with the
 * openssl CLI in a temp dir: a CA, a server and a client certificate it signs, and a self-signed client.
 */
import { describe, test, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { RemotingServer } from '../../src/remoting/server.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, createResponse } from '../../src/remoting/command.js';
import { encodeFrameToBuffer } from '../../src/remoting/frame.js';
import { remotingTotals } from '../../src/remoting/limits-state.js';
import { tlsClientOptions, tlsServerSide, resolveTlsConfig } from '../../src/remoting/tls.js';
import { TLS_CONFIG_DEFAULTS, type TlsConfig } from '../../src/config/security.js';
import { ConfigError } from '../../src/config/config-rules.js';
import { requestBody } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { NamesrvController } from '../../src/server/namesrv-controller.js';
import { BrokerController } from '../../src/server/broker-controller.js';
import { DefaultMessageStore } from '../../src/store/default-message-store.js';
import { BROKER_CONFIG_DEFAULTS, type BrokerConfig } from '../../src/config/broker-config.js';
import { NAMESRV_CONFIG_DEFAULTS } from '../../src/config/namesrv-config.js';
import { freeBrokerPort } from '../server/in-process.js';
import { createTopicRequest, sendV2 } from '../support/wire.js';

let dir = '';
const f = (name: string): string => path.join(dir, name);
const servers: RemotingServer[] = [];
const clients: RemotingClient[] = [];
const sockets: net.Socket[] = [];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmqts-tls-'));
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=rocketmq-ts test CA');
  for (const who of ['server', 'client']) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who}`);
    openssl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.pem`, '-days', '2');
  }
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rogue.key', '-out', 'rogue.pem', '-days', '2', '-subj', '/CN=rogue');
  openssl('pkcs8', '-topk8', '-in', 'server.key', '-out', 'server-enc.key', '-passout', 'pass:s3cret', '-v2', 'aes-256-cbc');
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await s.close();
});

function config(over: Partial<TlsConfig> = {}): TlsConfig {
  // No machine-wide /etc/rocketmq/tls.properties may leak into a test.
  return { ...TLS_CONFIG_DEFAULTS, 'tls.config.file': f('absent.properties'), ...over };
}

const withCert = (over: Partial<TlsConfig> = {}): TlsConfig =>
  config({ 'tls.server.certPath': f('server.pem'), 'tls.server.keyPath': f('server.key'), ...over });

/** A server that answers every request with code 0 and the request's code as remark. */
async function serve(cfg: TlsConfig, extra: { channelMaxIdleMs?: number; limits?: object } = {}): Promise<string> {
  const server = new RemotingServer({ host: '127.0.0.1', port: 0, tls: tlsServerSide(cfg, 'test'), ...extra }, (conn, req) => {
    conn.send(createResponse(req, 0, `code ${req.code}`));
  });
  await server.listen();
  servers.push(server);
  return `127.0.0.1:${server.port}`;
}

function client(tlsOptions?: tls.ConnectionOptions): RemotingClient {
  const c = new RemotingClient(undefined, { tls: tlsOptions });
  clients.push(c);
  return c;
}

const TRUST_ANY: tls.ConnectionOptions = { rejectUnauthorized: false };

async function served(c: RemotingClient, addr: string): Promise<boolean> {
  try {
    const r = await c.invoke(addr, createRequest(105), 3000);
    return r.code === 0 && r.remark === 'code 105';
  } catch {
    return false;
  }
}

describe('tls.server.mode', () => {
  test('permissive with a certificate serves plain and TLS clients on one port', async () => {
    const addr = await serve(withCert({ 'tls.server.mode': 'permissive' }));
    expect(await served(client(), addr)).toBe(true);
    expect(await served(client(TRUST_ANY), addr)).toBe(true);
  });

  test('enforcing closes a plain client and serves a TLS one', async () => {
    const addr = await serve(withCert({ 'tls.server.mode': 'enforcing' }));
    expect(await served(client(), addr)).toBe(false);
    expect(await served(client(TRUST_ANY), addr)).toBe(true);
  });

  test('disabled closes a TLS hello and serves a plain client', async () => {
    const addr = await serve(withCert({ 'tls.server.mode': 'disabled' }));
    expect(await served(client(TRUST_ANY), addr)).toBe(false);
    expect(await served(client(), addr)).toBe(true);
  });

  test('permissive without a certificate closes a TLS hello (Java: null sslContext) and serves plain', async () => {
    const addr = await serve(config({ 'tls.server.mode': 'permissive' }));
    expect(await served(client(TRUST_ANY), addr)).toBe(false);
    expect(await served(client(), addr)).toBe(true);
  });

  test('enforcing without a certificate and key does not start', () => {
    expect(() => tlsServerSide(config({ 'tls.server.mode': 'enforcing' }), 'namesrv')).toThrow(ConfigError);
    expect(() => tlsServerSide(config({ 'tls.server.mode': 'enforcing', 'tls.server.certPath': f('server.pem') }), 'namesrv'))
      .toThrow(/tls.server.certPath and tls.server.keyPath/);
    expect(() => tlsServerSide(withCert({ 'tls.server.mode': 'enforcing', 'tls.server.keyPath': f('nope.key') }), 'broker'))
      .toThrow(/tls.server.keyPath=.*nope.key cannot be read/);
  });

  test('a client with tls.client.authServer=true checks the server against tls.client.trustCertPath', async () => {
    const addr = await serve(withCert({ 'tls.server.mode': 'enforcing' }));
    const verifying = tlsClientOptions(config({ 'tls.enable': true, 'tls.test.mode.enable': false, 'tls.client.authServer': true, 'tls.client.trustCertPath': f('ca.pem') }));
    expect(await served(client(verifying), addr)).toBe(true);
    const wrongCa = tlsClientOptions(config({ 'tls.enable': true, 'tls.test.mode.enable': false, 'tls.client.authServer': true, 'tls.client.trustCertPath': f('rogue.pem') }));
    expect(await served(client(wrongCa), addr)).toBe(false);
    expect(tlsClientOptions(config({ 'tls.enable': false }))).toBeUndefined();
  });

  test('a key with tls.server.keyPassword', async () => {
    const cfg = withCert({ 'tls.server.mode': 'enforcing', 'tls.server.keyPath': f('server-enc.key') });
    expect(() => tlsServerSide(cfg, 'broker')).toThrow(ConfigError);
    const addr = await serve({ ...cfg, 'tls.server.keyPassword': 's3cret' });
    expect(await served(client(TRUST_ANY), addr)).toBe(true);
  });
});

describe('client certificates (tls.test.mode.enable=false)', () => {
  /** A TLS client trusting any server and presenting `who`.pem / `who`.key. */
  const opts = (who: string): tls.ConnectionOptions => ({ ...TRUST_ANY, cert: fs.readFileSync(f(`${who}.pem`)), key: fs.readFileSync(f(`${who}.key`)) });
  const clientCert = 'client';
  const rogueCert = 'rogue';

  test('need.client.auth=require refuses a client without a certificate and serves one with', async () => {
    const addr = await serve(withCert({ 'tls.server.mode': 'enforcing', 'tls.test.mode.enable': false, 'tls.server.need.client.auth': 'require' }));
    expect(await served(client(TRUST_ANY), addr)).toBe(false);
    expect(await served(client(opts(clientCert)), addr)).toBe(true);
    // authClient=false: Java's InsecureTrustManagerFactory, any certificate is taken.
    expect(await served(client(opts(rogueCert)), addr)).toBe(true);
  });

  test('require with authClient=true takes only certificates signed by tls.server.trustCertPath', async () => {
    const addr = await serve(withCert({
      'tls.server.mode': 'enforcing', 'tls.test.mode.enable': false, 'tls.server.need.client.auth': 'require',
      'tls.server.authClient': true, 'tls.server.trustCertPath': f('ca.pem'),
    }));
    expect(await served(client(opts(clientCert)), addr)).toBe(true);
    expect(await served(client(opts(rogueCert)), addr)).toBe(false);
    expect(await served(client(TRUST_ANY), addr)).toBe(false);
  });

  test('optional with authClient=true: no certificate is fine, an untrusted one is not', async () => {
    const addr = await serve(withCert({
      'tls.server.mode': 'enforcing', 'tls.test.mode.enable': false, 'tls.server.need.client.auth': 'optional',
      'tls.server.authClient': true, 'tls.server.trustCertPath': f('ca.pem'),
    }));
    expect(await served(client(TRUST_ANY), addr)).toBe(true);
    expect(await served(client(opts(clientCert)), addr)).toBe(true);
    expect(await served(client(opts(rogueCert)), addr)).toBe(false);
  });

  test('test mode (the default) asks for no certificate whatever need.client.auth says, as Java test mode', async () => {
    const addr = await serve(withCert({ 'tls.server.mode': 'enforcing', 'tls.server.need.client.auth': 'require' }));
    expect(await served(client(TRUST_ANY), addr)).toBe(true);
  });
});

describe('tls.config.file', () => {
  test('its keys override the config, except tls.server.mode and tls.enable', async () => {
    const file = f('tls.properties');
    fs.writeFileSync(file, [
      '# as TlsHelper#extractTlsConfigFromFile reads it',
      `tls.server.certPath=${f('server.pem')}`,
      `tls.server.keyPath=${f('server.key')}`,
      'tls.test.mode.enable=false',
      'tls.server.need.client.auth=require',
      'tls.server.mode=disabled',
      'tls.enable=false',
    ].join('\n'));
    const cfg = config({ 'tls.config.file': file, 'tls.server.mode': 'enforcing', 'tls.enable': true, 'tls.server.need.client.auth': 'none' });
    const r = resolveTlsConfig(cfg);
    expect(r['tls.server.certPath']).toBe(f('server.pem'));
    expect(r['tls.server.need.client.auth']).toBe('require');
    expect(r['tls.server.mode']).toBe('enforcing');
    expect(r['tls.enable']).toBe(true);
    const addr = await serve(cfg);
    expect(await served(client(), addr)).toBe(false);
    expect(await served(client(TRUST_ANY), addr)).toBe(false);
    expect(await served(client({ ...TRUST_ANY, cert: fs.readFileSync(f('client.pem')), key: fs.readFileSync(f('client.key')) }), addr)).toBe(true);
  });

  test('a bad value in it stops the start', () => {
    const file = f('bad-tls.properties');
    fs.writeFileSync(file, 'tls.server.need.client.auth=sometimes\n');
    expect(() => tlsServerSide(config({ 'tls.config.file': file }), 'broker')).toThrow(/need.client.auth=sometimes/);
  });
});

describe('hostile and slow peers', () => {
  test('a malformed TLS hello closes only its own connection', async () => {
    const addr = await serve(withCert({ 'tls.server.mode': 'permissive' }));
    const good = client(TRUST_ANY);
    const plain = client();
    expect(await served(good, addr)).toBe(true);
    expect(await served(plain, addr)).toBe(true);
    for (const garbage of [
      Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]), // a record too short for a hello
      Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff, ...Buffer.alloc(64, 0x41)]), // a record longer than allowed
      Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00, 0x00, 0x3c]), Buffer.alloc(60, 0xee)]), // a hello of junk
    ]) {
      const [host, port] = addr.split(':');
      const s = net.connect({ host, port: Number(port) });
      sockets.push(s);
      s.on('error', () => {});
      s.on('data', () => {});
      await new Promise((r) => s.once('connect', r));
      s.write(garbage);
      await new Promise((r) => s.once('close', r));
    }
    expect(await served(good, addr)).toBe(true);
    expect(await served(plain, addr)).toBe(true);
  });

  test('a peer that sends nothing is closed after channelMaxIdleMs, before any sniffing', async () => {
    const addr = await serve(withCert({ 'tls.server.mode': 'enforcing' }), { channelMaxIdleMs: 300 });
    const [host, port] = addr.split(':');
    const s = net.connect({ host, port: Number(port) });
    sockets.push(s);
    s.on('error', () => {});
    const t0 = Date.now();
    await new Promise((r) => s.once('close', r));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });

  test('a TLS handshake left unfinished is closed after the handshake timeout', async () => {
    const server = new RemotingServer({
      host: '127.0.0.1', port: 0, tls: { ...tlsServerSide(withCert({ 'tls.server.mode': 'enforcing' }), 'test'), handshakeTimeoutMs: 300 },
    }, (conn, req) => void conn.send(createResponse(req, 0)));
    await server.listen();
    servers.push(server);
    const s = net.connect({ host: '127.0.0.1', port: server.port });
    sockets.push(s);
    s.on('error', () => {});
    await new Promise((r) => s.once('connect', r));
    // The start of a ClientHello record that never ends.
    s.write(Buffer.from([0x16, 0x03, 0x01, 0x01, 0x00, 0x01, 0x00, 0x00, 0xfc, 0x03, 0x03]));
    const t0 = Date.now();
    await new Promise((r) => s.once('close', r));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(server.connections.size).toBe(0);
  });

  test('a TLS peer that leaves a frame unfinished is closed after frameReadTimeoutMills', async () => {
    const addr = await serve(withCert({ 'tls.server.mode': 'enforcing' }), { limits: { frameReadTimeoutMills: 300 } });
    const [host, port] = addr.split(':');
    const s = tls.connect({ host, port: Number(port), rejectUnauthorized: false });
    sockets.push(s);
    s.on('error', () => {});
    await new Promise((r) => s.once('secureConnect', r));
    const frame = encodeFrameToBuffer(createRequest(105));
    s.write(frame.subarray(0, frame.length - 3));
    const t0 = Date.now();
    await new Promise((r) => s.once('close', r));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });

  test('back-pressure holds on a TLS connection: a peer that never reads stops being read', async () => {
    const body = Buffer.alloc(64 * 1024, 1);
    const server = new RemotingServer({
      host: '127.0.0.1', port: 0, tls: tlsServerSide(withCert({ 'tls.server.mode': 'enforcing' }), 'test'),
      limits: { writeBufferHighWaterMark: 256 * 1024, writeBufferMaxBytes: 64 * 1024 * 1024 },
    }, (conn, req) => void conn.send(createResponse(req, 0, `code ${req.code}`, undefined, req.code === 1 ? body : undefined)));
    await server.listen();
    servers.push(server);
    const pausedBefore = remotingTotals.pausedConnections;
    const s = tls.connect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false });
    sockets.push(s);
    s.on('error', () => {});
    await new Promise((r) => s.once('secureConnect', r));
    s.pause();
    s.write(Buffer.concat(Array.from({ length: 200 }, (_, i) => encodeFrameToBuffer({ ...createRequest(1), opaque: i }))));
    for (const end = Date.now() + 10_000; remotingTotals.pausedConnections === pausedBefore; await sleep(5)) {
      if (Date.now() > end) throw new Error('the TLS connection was never paused');
    }
    // Another TLS client is served meanwhile.
    expect(await served(client(TRUST_ANY), `127.0.0.1:${server.port}`)).toBe(true);
    s.resume();
    let got = 0;
    s.on('data', (d: Buffer) => (got += d.length));
    for (const end = Date.now() + 10_000; remotingTotals.pausedConnections !== pausedBefore; await sleep(5)) {
      if (Date.now() > end) throw new Error('the TLS connection was never resumed');
    }
    expect(got).toBeGreaterThan(0);
  });
});

/**
 * A NameServer, a SYNC_MASTER and its SLAVE in this process. Every server has `mode` and a certificate;
 * the master connects out with TLS when the mode is enforcing, the slave when `slaveTls`.
 */
async function replicate(mode: 'enforcing' | 'permissive', slaveTls: boolean, check: (m: BrokerController, haPort: number) => Promise<void>): Promise<void> {
  const base = fs.mkdtempSync(path.join(dir, 'servers-'));
  const keys = withCert({ 'tls.server.mode': mode });
  const namesrv = new NamesrvController({ ...NAMESRV_CONFIG_DEFAULTS, ...keys, listenPort: 0, kvConfigPath: path.join(base, 'kv.json') });
  const brokers: BrokerController[] = [];
  const tlsClient = client(TRUST_ANY);
  try {
    await namesrv.start();
    const namesrvAddr = `127.0.0.1:${namesrv.port}`;
    const brokerConfig = async (role: 'SYNC_MASTER' | 'SLAVE'): Promise<BrokerConfig> => {
      const listenPort = await freeBrokerPort();
      const root = path.join(base, role);
      return {
        ...BROKER_CONFIG_DEFAULTS, ...keys, 'tls.enable': role === 'SLAVE' ? slaveTls : mode === 'enforcing',
        brokerName: 'tls-b', brokerRole: role, brokerId: role === 'SLAVE' ? 1 : 0,
        listenPort, haListenPort: listenPort + 1, storePathRootDir: root, storePathCommitLog: path.join(root, 'commitlog'),
        mappedFileSizeCommitLog: 4 * 1024 * 1024, namesrvAddr,
      };
    };
    const mcfg = await brokerConfig('SYNC_MASTER');
    const master = new BrokerController(mcfg, new DefaultMessageStore(mcfg));
    brokers.push(master);
    await master.start();
    const scfg = await brokerConfig('SLAVE');
    const slave = new BrokerController(scfg, new DefaultMessageStore(scfg));
    brokers.push(slave);
    await slave.start();
    // Both registered (over TLS when enforcing, or that NameServer would not know them).
    const route = await tlsClient.invoke(namesrvAddr, createRequest(RequestCode.GET_BROKER_CLUSTER_INFO), 3000);
    expect(route.code).toBe(ResponseCode.SUCCESS);
    expect(requestBody(route)!.toString()).toContain(master.brokerAddr);
    expect(requestBody(route)!.toString()).toContain(slave.brokerAddr);
    expect((await tlsClient.invoke(master.brokerAddr, createTopicRequest('TopicTLS', 1), 3000)).code).toBe(ResponseCode.SUCCESS);
    for (const end = Date.now() + 15_000; master.store.haStatus().slaves.length === 0; await sleep(50)) {
      if (Date.now() > end) throw new Error('the slave never connected to the HA port');
    }
    const sent = await tlsClient.invoke(master.brokerAddr, sendV2('TopicTLS', 'over tls', { queueId: 0 }), 5000);
    // SYNC_MASTER answers SUCCESS only once the slave has the bytes (FLUSH_SLAVE_TIMEOUT otherwise).
    expect(sent.code).toBe(ResponseCode.SUCCESS);
    expect(slave.store.getMaxPhyOffset()).toBe(master.store.getMaxPhyOffset());
    await check(master, mcfg.haListenPort);
  } finally {
    for (const b of brokers.reverse()) await b.shutdown();
    await namesrv.shutdown();
  }
}

describe('namesrv, master and slave in this process', () => {
  test('enforcing: the brokers register over TLS, the slave replicates over a TLS HA connection, a plain HA peer is closed', async () => {
    await replicate('enforcing', true, async (master, haPort) => {
      const plainHa = net.connect({ host: '127.0.0.1', port: haPort });
      sockets.push(plainHa);
      plainHa.on('error', () => {});
      await new Promise((r) => plainHa.once('connect', r));
      plainHa.write(Buffer.alloc(8));
      await new Promise((r) => plainHa.once('close', r));
      expect(master.store.haStatus().slaves.length).toBe(1);
    });
  }, 60_000);

  test('permissive with a certificate: a plain slave replicates on the same HA port', async () => {
    await replicate('permissive', false, async () => {});
  }, 60_000);
});
