/**
 * How one mqadmin command ended, as a short string two servers can be compared by: "ok", "ok (stopped)"
 * for a command that runs until the user stops it, "exit N" (System.exit: a bad option), or the failure:
 * the innermost exception's simple class name and, where the server answered, its response code
 * ("MQBrokerException CODE: 14"). Messages, addresses and stack frames are left out: they differ between
 * any two runs. No vitest imports.
 */
import type { AdminResult } from './mqadmin-all.js';

/** The stack trace MQAdminStartup prints for a failed command, or an exception the command printed itself. */
const EXCEPTION_LINE = /^(?:Caused by: )?((?:[a-z][\w$]*\.)+([A-Z][\w$]*(?:Exception|Error)))(?::\s*(.*))?$/;

export function outcome(r: AdminResult): string {
  if (r.status.startsWith('exit')) return r.status;
  const lines = r.output.split('\n').map((l) => l.trimEnd());
  const thrown = lines.map((l) => EXCEPTION_LINE.exec(l.trim())).filter((m): m is RegExpExecArray => m !== null);
  if (thrown.length === 0) return r.status === 'timeout' ? 'ok (stopped)' : 'ok';
  // The last "Caused by" is the root; without one, the first exception printed.
  const causes = lines.filter((l) => l.trim().startsWith('Caused by: '));
  const root = causes.length > 0 ? EXCEPTION_LINE.exec(causes[causes.length - 1].trim()) ?? thrown[0] : thrown[0];
  // The runner interrupts a command that loops until the user stops it (clusterRT): it sleeps when stopped.
  if (r.status === 'timeout' && root[2] === 'InterruptedException') return 'ok (stopped)';
  const code = /CODE:\s*(-?\d+)/.exec(root[3] ?? '');
  return `${root[2]}${code ? ` CODE: ${code[1]}` : ''}`;
}
