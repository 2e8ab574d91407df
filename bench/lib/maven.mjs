/**
 * Classpaths from throwaway poms (`mvn dependency:build-classpath`), cached in a file that is rebuilt
 * only when the pom is newer than it. A warm ~/.m2 makes a rebuild take seconds.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** A cold ~/.m2 downloads the jars and the dependency plugin; a warm one takes seconds. */
const MAVEN_TIMEOUT_MS = 10 * 60_000;

export async function mavenClasspath(pom, cacheFile) {
  const fresh = fs.existsSync(cacheFile) && fs.statSync(cacheFile).mtimeMs >= fs.statSync(pom).mtimeMs;
  if (!fresh) {
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
    try {
      await run('mvn', ['-q', '-B', '-f', pom, 'dependency:build-classpath', `-Dmdep.outputFile=${cacheFile}`],
        { timeout: MAVEN_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
    } catch (err) {
      throw new Error(`mvn dependency:build-classpath -f ${pom} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
    }
  }
  return fs.readFileSync(cacheFile, 'utf8').trim();
}
