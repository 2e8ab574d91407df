import { defineConfig } from 'vitest/config';
import path from 'node:path';
import { onPath } from './test/support/tools.js';

/**
 * The compatibility suites drive the real Java clients (java + mvn) and the Go client (go). Outside CI a
 * missing tool leaves those suites out with one line naming it, instead of a spawn ENOENT trace per test;
 * in CI (CI=true) nothing is left out, so a missing install fails loudly.
 */
const GO_SUITES = [
  'compat-tests/go-client.test.ts', 'compat-tests/broker-failover.test.ts', 'compat-tests/mixed-cluster.test.ts',
  'compat-tests/replication-groups.test.ts', 'compat-tests/replication-faults.test.ts', 'compat-tests/acl-v1.test.ts',
  'compat-tests/grpc-go.test.ts',
];
const exclude: string[] = [];
if (process.env.CI !== 'true') {
  const missingJvm = ['java', 'mvn'].filter((t) => !onPath(t));
  if (missingJvm.length) {
    console.warn(`compat-tests left out: ${missingJvm.join(' and ')} not found on PATH (the suites run the official Java clients)`);
    exclude.push('compat-tests/**');
  } else if (!onPath('go')) {
    console.warn(`compat-tests using the Go client left out: go not found on PATH (${GO_SUITES.map((s) => path.basename(s)).join(', ')})`);
    exclude.push(...GO_SUITES);
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'compat-tests/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...exclude],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    // Compat suites start servers and JVMs; running files in parallel on 2 cores only makes them flaky.
    // `npm run test:unit` turns parallelism on for the unit suites alone (no JVMs).
    fileParallelism: false,
  },
});
