/**
 * Waiting for a topic's route on a NameServer. An Apache broker prints "boot success" before its first
 * registration lands, so a client started right then finds no route for TBW102 and its first send fails.
 * No vitest imports.
 */
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';

const POLL_INTERVAL_MS = 500;
const REQUEST_TIMEOUT_MS = 5000;

export async function waitForRoute(namesrvAddr: string, topic: string, timeoutMs = 30_000): Promise<void> {
  const client = new RemotingClient();
  try {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS))) {
      const res = await client.invoke(namesrvAddr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }), REQUEST_TIMEOUT_MS);
      if (res.code === ResponseCode.SUCCESS) return;
    }
    throw new Error(`no route for ${topic} on ${namesrvAddr} within ${timeoutMs} ms`);
  } finally {
    client.close();
  }
}
