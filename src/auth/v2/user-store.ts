import path from 'node:path';
import { loadStateFile, writeFileAtomic } from '../../config/persist.js';
import { USER_STATUSES, USER_TYPES, byName, type User } from './model.js';
import { AuthenticationError } from './errors.js';

/** RocksDB iterates keys in byte order; listings keep that order. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * The users (LocalAuthenticationMetadataProvider), kept in memory and written whole to
 * `${storePathRootDir}/config/users.json` after every change (Java keeps them in the RocksDB store
 * `config/users`). A change that cannot be written is undone and refused with Java's message.
 */
export class UserStore {
  private readonly users = new Map<string, User>();
  readonly file: string;

  constructor(configDir: string) {
    this.file = path.join(configDir, 'users.json');
    const loaded = loadStateFile(this.file, decodeUsers);
    for (const u of loaded ?? []) this.users.set(u.username, u);
  }

  get(username: string): User | undefined {
    const u = this.users.get(username);
    return u && { ...u };
  }

  /** The stored user itself, for the per-request checks (no copy on the hot path); callers must not change it. */
  peek(username: string): Readonly<User> | undefined {
    return this.users.get(username);
  }

  /** LocalAuthenticationMetadataProvider#listUser: names containing `filter` (all when blank), in key order. */
  list(filter?: string): User[] {
    const blank = !filter || filter.trim() === '';
    return [...this.users.values()]
      .filter((u) => blank || u.username.includes(filter!))
      .sort((a, b) => byteOrder(a.username, b.username))
      .map((u) => ({ ...u }));
  }

  put(user: User, failure: string): void {
    const before = this.users.get(user.username);
    this.users.set(user.username, { ...user });
    this.write(failure, () => (before ? this.users.set(user.username, before) : this.users.delete(user.username)));
  }

  delete(username: string): void {
    const before = this.users.get(username);
    if (!before) return;
    this.users.delete(username);
    this.write('delete user from RocksDB failed', () => this.users.set(username, before));
  }

  private write(failure: string, undo: () => void): void {
    try {
      const users = [...this.users.values()].sort((a, b) => byteOrder(a.username, b.username));
      writeFileAtomic(this.file, JSON.stringify({ users }, null, 2) + '\n');
    } catch (e) {
      undo();
      throw new AuthenticationError(failure, { cause: e });
    }
  }
}

function decodeUsers(text: string): User[] {
  const doc = JSON.parse(text) as { users?: unknown };
  if (!Array.isArray(doc.users)) throw new Error('no "users" array');
  return doc.users.map((raw, i) => {
    const u = raw as Record<string, unknown>;
    if (typeof u.username !== 'string' || u.username === '') throw new Error(`users[${i}] has no username`);
    return {
      username: u.username,
      password: typeof u.password === 'string' ? u.password : undefined,
      userType: byName(USER_TYPES, u.userType),
      userStatus: byName(USER_STATUSES, u.userStatus),
    };
  });
}
