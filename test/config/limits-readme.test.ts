/**
 * Every bound in src/config/limits.ts is documented in the README's "Limits and failure behaviour" section,
 * and is a key of the config it belongs to, so an operator can find and set each one.
 */
import { test, expect } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { LIMITS } from '../../src/config/limits.js';
import { BROKER_CONFIG_DEFAULTS } from '../../src/config/broker-config.js';
import { NAMESRV_CONFIG_DEFAULTS } from '../../src/config/namesrv-config.js';
import { REPO_ROOT } from '../support/server.js';

const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

function section(title: string): string {
  const start = readme.indexOf(`## ${title}`);
  expect(start, `README has a "${title}" section`).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n## ', start + 3);
  return readme.slice(start, end < 0 ? undefined : end);
}

test('each limit is in the README table and is a config key with the limit as its default', () => {
  const text = section('Limits and failure behaviour');
  const rows = text.split('\n').filter((l) => l.startsWith('| `'));
  for (const [key, limit] of Object.entries(LIMITS)) {
    const row = rows.find((r) => r.split('|')[1].includes(`\`${key}\``) || (key.startsWith('waitTimeMillsIn') && r.includes(`\`…${key.slice('waitTimeMills'.length)}\``)));
    expect(row, `README limits table row for ${key}`).toBeDefined();
    const inBroker = (BROKER_CONFIG_DEFAULTS as Record<string, unknown>)[key];
    const inNamesrv = (NAMESRV_CONFIG_DEFAULTS as Record<string, unknown>)[key];
    expect(inBroker ?? inNamesrv, `${key} is a config key`).toBe(limit.value);
  }
});
