import type { User } from './model.js';
import { userSubjectKey } from './model.js';
import { AuthenticationError } from './errors.js';
import type { UserStore } from './user-store.js';
import type { AclStore } from './acl-store.js';

const blank = (s: string | undefined | null): boolean => s === undefined || s === null || s.trim() === '';

/**
 * User administration with 5.3.3's rules and messages (AuthenticationMetadataManagerImpl): what mqadmin
 * createUser, updateUser, deleteUser, getUser and listUser reach through the admin codes.
 */
export class UserManager {
  constructor(private readonly users: UserStore, private readonly acls: AclStore) {}

  private validate(user: User, isCreate: boolean): void {
    if (blank(user.username)) throw new AuthenticationError('username can not be blank');
    if (isCreate && blank(user.password)) throw new AuthenticationError('password can not be blank');
  }

  /** A new user: Normal and enabled unless said otherwise. */
  create(user: User): void {
    this.validate(user, true);
    const created: User = { ...user, userType: user.userType ?? 'Normal', userStatus: user.userStatus ?? 'enable' };
    if (this.users.get(created.username)) throw new AuthenticationError('The user is existed');
    this.users.put(created, 'create user to RocksDB failed');
  }

  /** Changes what the update names: a non-blank password, a type, a status. */
  update(user: User): void {
    this.validate(user, false);
    const old = this.users.get(user.username);
    if (!old) throw new AuthenticationError('The user is not exist');
    if (!blank(user.password)) old.password = user.password;
    if (user.userType) old.userType = user.userType;
    if (user.userStatus) old.userStatus = user.userStatus;
    this.users.put(old, 'update user to RocksDB failed');
  }

  /** Removes the user and the user's ACL. */
  delete(username: string | undefined): void {
    if (blank(username)) throw new AuthenticationError('username can not be blank');
    this.users.delete(username!);
    this.acls.delete(userSubjectKey(username!));
  }

  get(username: string | undefined): User | undefined {
    if (blank(username)) throw new AuthenticationError('username can not be blank');
    return this.users.get(username!);
  }

  list(filter?: string): User[] {
    return this.users.list(filter);
  }

  /** isSuperUser: an unknown name is an error, worded without a final period as in Java. */
  isSuper(username: string): boolean {
    const user = this.get(username);
    if (!user) throw new AuthenticationError(`User:${username} is not found`);
    return user.userType === 'Super';
  }

  /** initUser: creates `user` as a Super user unless a user of that name exists. */
  ensureSuper(user: User): void {
    if (this.get(user.username)) return;
    this.create({ ...user, userType: 'Super' });
  }
}
