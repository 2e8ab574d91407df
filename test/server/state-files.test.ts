/**
 * Crash-safe state files, through a real server process: a truncated or corrupt config file falls back
 * to its `.bak` with a warning instead of failing the start, and a file with no usable copy at all stops
 * the start with a message naming it (starting empty would silently forget every topic or offset).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { parseFastJson } from '../../src/codec/fastjson.js';
import { startOurServer } from '../support/our-server.js';
import type { RunningServer } from '../support/server.js';
import { createTopicRequest } from '../support/wire.js';

const client = new RemotingClient(() => {});
let srv: RunningServer;
let configDir: string;

async function topicNames(): Promise<string[]> {
  const res = await client.invoke(srv.brokerAddr, createRequest(RequestCode.GET_ALL_TOPIC_CONFIG), 5_000);
  expect(res.code).toBe(ResponseCode.SUCCESS);
  const body = parseFastJson(res.body!.toString()) as { topicConfigTable: Map<string, unknown> | Record<string, unknown> };
  const table = body.topicConfigTable;
  return table instanceof Map ? [...table.keys()] : Object.keys(table);
}

beforeAll(async () => {
  srv = await startOurServer();
  configDir = path.join(srv.dir, 'store', 'config');
  for (const t of ['KeptA', 'KeptB']) expect((await client.invoke(srv.brokerAddr, createTopicRequest(t), 5_000)).code).toBe(ResponseCode.SUCCESS);
}, 60_000);

afterAll(async () => {
  client.close();
  await srv?.dispose();
});

describe('state files', () => {
  it('starts from topics.json.bak when topics.json was cut short', async () => {
    await srv.stop();
    const file = path.join(configDir, 'topics.json');
    expect(fs.readFileSync(`${file}.bak`, 'utf8')).toContain('"KeptA"');
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
    await srv.restart();
    expect(await topicNames()).toContain('KeptA');
    expect(srv.output()).toMatch(/topics\.json[^\n]*loaded the backup/);
  });

  it('refuses to start when neither topics.json nor its backup can be read', async () => {
    await srv.stop();
    const file = path.join(configDir, 'topics.json');
    fs.writeFileSync(file, '{"topicConfigTable":');
    fs.writeFileSync(`${file}.bak`, 'not json');
    await expect(srv.restart()).rejects.toThrow();
    expect(srv.output()).toMatch(/cannot load [^\n]*topics\.json/);
  });
});
