/**
 * The plain ACL's files: which ones there are (plain_acl.yml and every *.yml / *.yaml under conf/acl/), how
 * they are read (YAML 1.1, as SnakeYAML reads it, duplicate keys allowed with the last one winning) and
 * written (block style, sequences not indented, as SnakeYAML's dumpAsMap; through a temp file and a rename,
 * so the file watcher and a crash never see half a file).
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { JavaError } from './java-text.js';
import { writeFileAtomic } from '../../config/persist.js';

export type YamlMap = Record<string, unknown>;

/** Every *.yml / *.yaml under `dir`, recursively, names sorted (Java takes File.listFiles order). */
export function listAclDir(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names) {
    const full = path.join(dir, name);
    if (name.endsWith('.yml') || name.endsWith('.yaml')) out.push(full);
    else if (isDirectory(full)) out.push(...listAclDir(full));
  }
  return out;
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The files PlainPermissionManager reads: those under conf/acl/, then plain_acl.yml when it exists. */
export function aclFileList(aclDir: string, defaultFile: string): string[] {
  const files = listAclDir(aclDir);
  if (fs.existsSync(defaultFile) && !files.includes(defaultFile)) files.push(defaultFile);
  return files;
}

/**
 * A yml file as a map: null when the file is missing, unreadable as a file, empty, or holds only null
 * (Java: "No data in file"). Throws JavaError with the parser's reason when the text is not YAML or not a map.
 */
export function readAclYaml(file: string): YamlMap | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  // intAsBigInt: a long numeric key or secret keeps every digit, as SnakeYAML's BigInteger does.
  const doc = YAML.parseDocument(text, { version: '1.1', uniqueKeys: false, merge: true, intAsBigInt: true });
  if (doc.errors.length > 0) throw new JavaError(doc.errors[0]!.message);
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw new JavaError(`${file} does not hold a map`);
  return Object.keys(value).length === 0 ? null : (value as YamlMap);
}

/** AclUtils.writeDataObject, made safe: written to a temp file, synced, then renamed over the target. */
export function writeAclYaml(file: string, data: YamlMap): void {
  const text = YAML.stringify(data, { version: '1.1', indentSeq: false, singleQuote: true, lineWidth: 0 });
  try {
    writeFileAtomic(file, text);
  } catch (e) {
    throw new JavaError((e as Error).message);
  }
}
