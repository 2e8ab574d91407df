/**
 * Which external tools this machine has. The unit suites run without a JVM or Go; the few tests that
 * drive a Java program use `needsTool` to be left out (with the reason) where the tool is missing, except
 * in CI (CI=true), where a missing tool must fail rather than hide a test.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Whether an executable is on PATH (what `spawn` would find). */
export function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, tool), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** True when the tests that need `tool` should run; otherwise says once why they are left out. */
export function needsTool(tool: string): boolean {
  if (process.env.CI === 'true' || onPath(tool)) return true;
  console.warn(`tests that need ${tool} left out: ${tool} not found on PATH`);
  return false;
}
