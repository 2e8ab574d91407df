/**
 * Maven builds for the compat tests, cached on disk under each project's target/ so that test files
 * (separate vitest workers) and benchmarks build at most once per change of the pom or the sources.
 * No vitest imports.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { withFileLock } from '../../test/support/file-lock.js';

const run = promisify(execFile);
/** A cold ~/.m2 downloads the client and plugins; a warm build takes seconds. */
const MAVEN_TIMEOUT_MS = 10 * 60_000;

function newestMtimeMs(p: string): number {
  if (!fs.existsSync(p)) return 0;
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of fs.readdirSync(p)) newest = Math.max(newest, newestMtimeMs(path.join(p, e)));
  return newest;
}

async function mvn(pom: string, args: string[]): Promise<void> {
  try {
    await run('mvn', ['-q', '-B', '-f', pom, ...args], { timeout: MAVEN_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`mvn ${args.join(' ')} -f ${pom} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/**
 * The project's dependency classpath (and, with packageJar, its own jar first), rebuilt only when the
 * pom or src/ changed since the cached classpath file was written.
 */
export function mavenClasspath(projectDir: string, packageJar: boolean): Promise<string> {
  // Two vitest processes may build the same project at once; mvn writing one target/ twice breaks both.
  return withFileLock(path.join(projectDir, 'target', '.build-lock'), MAVEN_TIMEOUT_MS, () => buildClasspath(projectDir, packageJar));
}

async function buildClasspath(projectDir: string, packageJar: boolean): Promise<string> {
  const pom = path.join(projectDir, 'pom.xml');
  const target = path.join(projectDir, 'target');
  const cpFile = path.join(target, 'classpath.txt');
  const inputsMs = Math.max(newestMtimeMs(pom), newestMtimeMs(path.join(projectDir, 'src')));
  const jar = packageJar ? findJar(target) : undefined;
  const fresh = fs.existsSync(cpFile) && newestMtimeMs(cpFile) >= inputsMs && (!packageJar || jar !== undefined);
  if (!fresh) {
    if (packageJar) await mvn(pom, ['package', '-DskipTests']);
    fs.mkdirSync(target, { recursive: true });
    await mvn(pom, ['dependency:build-classpath', `-Dmdep.outputFile=${cpFile}`]);
    // build-classpath leaves an unchanged file untouched; its mtime is what marks this build as done.
    const now = new Date();
    fs.utimesSync(cpFile, now, now);
  }
  const deps = fs.readFileSync(cpFile, 'utf8').trim();
  if (!packageJar) return deps;
  const built = findJar(target);
  if (!built) throw new Error(`mvn package left no jar in ${target}`);
  return `${snapshotJar(built)}${path.delimiter}${deps}`;
}

/**
 * A copy of the jar named by its mtime and size: a rebuild (another test run in the same tree) rewrites
 * target/*.jar in place, which would break JVMs still reading it; copies are never rewritten.
 */
function snapshotJar(jar: string): string {
  const st = fs.statSync(jar);
  const dir = path.join(path.dirname(jar), 'jar-snapshots');
  const snap = path.join(dir, `${path.basename(jar, '.jar')}-${Math.floor(st.mtimeMs)}-${st.size}.jar`);
  if (!fs.existsSync(snap)) {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${snap}.${process.pid}.tmp`;
    fs.copyFileSync(jar, tmp);
    fs.renameSync(tmp, snap);
  }
  return snap;
}

function findJar(target: string): string | undefined {
  if (!fs.existsSync(target)) return undefined;
  const jar = fs.readdirSync(target).find((f) => f.endsWith('.jar'));
  return jar ? path.join(target, jar) : undefined;
}
