#!/usr/bin/env node
// Renders compat-tests/results/matrix.json (written by the compat tests) as the README's interop tables:
// one client × scenario table per server setup. Prints markdown to stdout; with --write FILE it replaces
// the text between <!-- matrix:start --> and <!-- matrix:end --> in FILE instead.
//   node scripts/matrix.mjs [--in compat-tests/results/matrix.json] [--write README.md]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const input = opt('--in') ?? path.join(root, 'compat-tests', 'results', 'matrix.json');
const target = opt('--write');
const START = '<!-- matrix:start -->';
const END = '<!-- matrix:end -->';

/** Scenario columns in this order first; any others after, alphabetically. */
const SCENARIO_ORDER = [
  'send-sync', 'send-async', 'send-batch', 'push-clustering', 'push-broadcasting',
  'orderly', 'delay', 'retry', 'transaction', 'tag-filter', 'lite-pull', 'spread', 'failover',
];

const results = Object.values(JSON.parse(fs.readFileSync(input, 'utf8')).results);
const byServer = new Map();
// The 5.x gRPC SDKs get tables of their own (their scenarios are not the remoting clients').
const GRPC_PREFIX = 'grpc ';
const tableOf = (r) => (r.scenario.startsWith(GRPC_PREFIX) ? `${r.server}, gRPC SDKs` : r.server);
for (const r of results) {
  const key = tableOf(r);
  if (!byServer.has(key)) byServer.set(key, []);
  byServer.get(key).push(r);
}

const order = (a, b) => {
  const ia = SCENARIO_ORDER.indexOf(a);
  const ib = SCENARIO_ORDER.indexOf(b);
  if (ia >= 0 || ib >= 0) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
  return a.localeCompare(b);
};

const mark = (r) => (r ? (r.passed ? '✅' : '❌') : '—');
const CLUSTER_SCENARIOS = new Set(['spread', 'failover', 'replication']);
const sections = [];
const ours = (k) => k.startsWith('rocketmq-ts');
const servers = [...byServer.keys()].sort((a, b) => (ours(a) !== ours(b) ? (ours(a) ? -1 : 1) : a.localeCompare(b)));

// One client × scenario table per single-server target (ours first, then Apache, which validates the scenarios).
for (const server of servers) {
  const rows = byServer.get(server).filter((r) => !CLUSTER_SCENARIOS.has(r.scenario));
  if (rows.length === 0) continue;
  const scenarios = [...new Set(rows.map((r) => r.scenario))].sort(order);
  const label = (sc) => (sc.startsWith(GRPC_PREFIX) ? sc.slice(GRPC_PREFIX.length) : sc);
  const clients = [...new Set(rows.map((r) => r.client))].sort();
  sections.push([
    `**Clients against ${server}**`,
    '',
    `| Client | ${scenarios.map(label).join(' | ')} |`,
    `|---|${scenarios.map(() => ':-:').join('|')}|`,
    ...clients.map((c) => `| ${c} | ${scenarios.map((sc) => mark(rows.find((x) => x.client === c && x.scenario === sc))).join(' | ')} |`),
  ].join('\n'));
}

// Multi-node setups: one row per setup and scenario, one column per client.
const clusterRows = results.filter((r) => CLUSTER_SCENARIOS.has(r.scenario));
if (clusterRows.length > 0) {
  const clients = [...new Set(clusterRows.map((r) => r.client))].sort();
  const setups = [...new Set(clusterRows.map((r) => `${r.scenario}\u0000${r.server}`))].sort();
  sections.push([
    '**Clusters**',
    '',
    `| Scenario | Setup | ${clients.join(' | ')} |`,
    `|---|---|${clients.map(() => ':-:').join('|')}|`,
    ...setups.map((key) => {
      const [scenario, server] = key.split('\u0000');
      return `| ${scenario} | ${server} | ${clients.map((c) => mark(clusterRows.find((x) => x.client === c && x.server === server && x.scenario === scenario))).join(' | ')} |`;
    }),
  ].join('\n'));
}
const commits = [...new Set(results.map((r) => r.commit))].join(', ');
const last = results.map((r) => r.at).sort().at(-1) ?? 'never';
const table = `${sections.join('\n\n')}\n\n✅ passed, ❌ failed, — not run. From \`${path.relative(root, input)}\` (commit ${commits}, last run ${last}); regenerate with \`node scripts/matrix.mjs\`.\n`;

if (!target) {
  process.stdout.write(table);
} else {
  const text = fs.readFileSync(target, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) {
    console.error(`${target}: no ${START} ... ${END} block to replace`);
    process.exit(1);
  }
  fs.writeFileSync(target, `${text.slice(0, a + START.length)}\n${table}${text.slice(b)}`);
  console.log(`${target}: matrix updated`);
}
