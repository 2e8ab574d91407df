import fs from 'node:fs';

/**
 * ConfigManager#persist semantics: write `<f>.tmp`, keep the previous content as `<f>.bak`,
 * rename into place, so a crash mid-write never leaves a half file; fsync before rename.
 */
export function writeFileAtomic(file: string, content: string): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (fs.existsSync(file)) fs.copyFileSync(file, `${file}.bak`);
  fs.renameSync(tmp, file);
}

/** Reads a config file, falling back to `<f>.bak` when the file is missing or empty (ConfigManager#load). */
export function readConfigFile(file: string): string | undefined {
  for (const f of [file, `${file}.bak`]) {
    try {
      const text = fs.readFileSync(f, 'utf8');
      if (text.trim()) return text;
    } catch {
      // try the next candidate
    }
  }
  return undefined;
}
