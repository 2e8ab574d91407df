import path from 'node:path';
import { loadStateFile, writeFileAtomic } from '../../config/persist.js';
import {
  ACTIONS, DECISIONS, POLICY_TYPES, RESOURCE_TYPES, byName, type Acl, type Action, type PolicyEntry, type Resource,
  type ResourcePattern,
} from './model.js';
import { AuthorizationError } from './errors.js';
import { byteOrder } from './user-store.js';

const copy = (acl: Acl): Acl => structuredClone(acl);

/**
 * The ACL policies by subject key (LocalAuthorizationMetadataProvider), in memory and written whole to
 * `${storePathRootDir}/config/acls.json` after every change (Java: the RocksDB store `config/acls`).
 * Callers get and give copies, so a policy is only changed through `put`.
 */
export class AclStore {
  private readonly acls = new Map<string, Acl>();
  readonly file: string;

  constructor(configDir: string) {
    this.file = path.join(configDir, 'acls.json');
    for (const acl of loadStateFile(this.file, decodeAcls) ?? []) this.acls.set(acl.subject, acl);
  }

  get(subjectKey: string): Acl | undefined {
    const acl = this.acls.get(subjectKey);
    return acl && copy(acl);
  }

  /** The stored ACL itself, for the per-request check (no copy on the hot path); callers must not change it. */
  peek(subjectKey: string): Readonly<Acl> | undefined {
    return this.acls.get(subjectKey);
  }

  /** Every ACL, in subject-key byte order (the RocksDB iteration order). */
  list(): Acl[] {
    return [...this.acls.values()].sort((a, b) => byteOrder(a.subject, b.subject)).map(copy);
  }

  put(acl: Acl, failure: string): void {
    const before = this.acls.get(acl.subject);
    this.acls.set(acl.subject, copy(acl));
    this.write(failure, () => (before ? this.acls.set(acl.subject, before) : this.acls.delete(acl.subject)));
  }

  delete(subjectKey: string): void {
    const before = this.acls.get(subjectKey);
    if (!before) return;
    this.acls.delete(subjectKey);
    this.write('delete Acl from RocksDB failed.', () => this.acls.set(subjectKey, before));
  }

  private write(failure: string, undo: () => void): void {
    try {
      writeFileAtomic(this.file, JSON.stringify({ acls: this.list() }, null, 2) + '\n');
    } catch (e) {
      undo();
      throw new AuthorizationError(failure, { cause: e });
    }
  }
}

const PATTERNS: readonly ResourcePattern[] = ['ANY', 'LITERAL', 'PREFIXED'];

function decodeAcls(text: string): Acl[] {
  const doc = JSON.parse(text) as { acls?: unknown };
  if (!Array.isArray(doc.acls)) throw new Error('no "acls" array');
  return doc.acls.map((raw, i) => {
    const a = raw as { subject?: unknown; policies?: unknown };
    if (typeof a.subject !== 'string' || !Array.isArray(a.policies)) throw new Error(`acls[${i}] needs subject and policies`);
    return {
      subject: a.subject,
      policies: a.policies.map((p: { policyType?: unknown; entries?: unknown }) => {
        const policyType = byName(POLICY_TYPES, p.policyType);
        if (!policyType || !Array.isArray(p.entries)) throw new Error(`acls[${i}] has a bad policy`);
        return { policyType, entries: p.entries.map((e) => decodeEntry(e, i)) };
      }),
    };
  });
}

function decodeEntry(raw: unknown, i: number): PolicyEntry {
  const e = raw as { resource?: Partial<Resource>; actions?: unknown; sourceIps?: unknown; decision?: unknown };
  const type = byName(RESOURCE_TYPES, e.resource?.type);
  const pattern = PATTERNS.find((p) => p === e.resource?.pattern);
  const decision = byName(DECISIONS, e.decision);
  if (!type || !pattern || !decision || !Array.isArray(e.actions)) throw new Error(`acls[${i}] has a bad entry`);
  const name = typeof e.resource?.name === 'string' ? e.resource.name : null;
  const actions = e.actions.map((a) => byName(ACTIONS, a)).filter((a): a is Action => a !== undefined);
  const sourceIps = Array.isArray(e.sourceIps) ? e.sourceIps.filter((s): s is string => typeof s === 'string') : undefined;
  return { resource: { type, name, pattern }, actions, sourceIps, decision };
}
