/**
 * The README's "Request codes and the permission they need" table lists every request code the broker
 * serves with what ACL 1.0 and ACL 2.0 ask of it, and is the table the code answers from: it is
 * generated from BROKER_REQUESTS, PLAIN_CODE_NEEDS and AUTH_CODE_NEEDS. When a code or a rule changes,
 * `WRITE_ACL_TABLE=1 npx vitest run test/auth/permission-readme.test.ts` rewrites the section.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { BROKER_REQUESTS } from '../../src/processors/broker/table.js';
import { requestCodeName } from '../../src/protocol/request-code.js';
import { PLAIN_CODE_NEEDS, PLAIN_DEFAULT_NEED } from '../../src/auth/plain/code-needs.js';
import { AUTH_CODE_NEEDS } from '../../src/auth/v2/code-needs.js';
import { REPO_ROOT } from '../support/server.js';

const TITLE = '### Request codes and the permission they need';
const README = path.join(REPO_ROOT, 'README.md');

function expectedTable(): string {
  const codes = [...new Set(BROKER_REQUESTS.map((e) => e.code))].sort((a, b) => a - b);
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = codes.map((c) => {
    const v1 = PLAIN_CODE_NEEDS.get(c) ?? PLAIN_DEFAULT_NEED;
    const v2 = AUTH_CODE_NEEDS.get(c) ?? 'authenticated only';
    return `| ${c} | \`${requestCodeName(c)}\` | ${cell(v1)} | ${cell(v2)} |`;
  });
  return ['| code | name | ACL 1.0 (`aclEnable`) | ACL 2.0 (`authorizationEnabled`) |', '|---|---|---|---|', ...rows].join('\n');
}

/** The table lines under the title, up to the first line that is not a table row. */
function readmeTable(text: string): { start: number; end: number; table: string } {
  const at = text.indexOf(TITLE);
  expect(at, `README has "${TITLE}"`).toBeGreaterThanOrEqual(0);
  const start = text.indexOf('\n| code |', at);
  expect(start, 'the section has a table').toBeGreaterThan(at);
  let end = start + 1;
  for (;;) {
    const nl = text.indexOf('\n', end);
    const line = text.slice(end, nl < 0 ? undefined : nl);
    if (!line.startsWith('|')) break;
    if (nl < 0) {
      end = text.length;
      break;
    }
    end = nl + 1;
  }
  return { start: start + 1, end, table: text.slice(start + 1, end).trimEnd() };
}

test('the README lists every broker request code with the permission each ACL version needs', () => {
  const text = fs.readFileSync(README, 'utf8');
  const want = expectedTable();
  const { start, end, table } = readmeTable(text);
  if (process.env.WRITE_ACL_TABLE === '1' && table !== want) {
    fs.writeFileSync(README, text.slice(0, start) + want + '\n' + text.slice(end));
    return;
  }
  expect(table).toBe(want);
});
