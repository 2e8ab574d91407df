import path from 'node:path';
import type { AclConfig } from '../../config/security.js';
import type { AccessGate, AccessRefusal } from '../access.js';
import type { RemotingCommand } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { log } from '../../logger.js';
import { USER_STATUSES, byName, type User } from './model.js';
import { UserStore } from './user-store.js';
import { AclStore } from './acl-store.js';
import { UserManager } from './user-manager.js';
import { AclManager } from './acl-manager.js';
import { authenticate } from './authentication.js';
import { authorize } from './authorization.js';
import { buildContexts } from './context-builder.js';
import { AuthenticationError, isAuthError } from './errors.js';
import { javaHostAddress } from './ip-range.js';
import { migrateFromV1 } from './migrate-v1.js';

/** AbstractAuthenticationStrategy / AbstractAuthorizationStrategy: the whitelists are request codes, comma-separated. */
function codeList(text: string): Set<string> {
  return new Set(text.split(',').map((s) => s.trim()).filter((s) => s !== ''));
}

/**
 * ACL 2.0 (5.3.3 AuthConfig with the Default providers and the Local metadata providers): users and ACL
 * policies under `${storePathRootDir}/config/` (users.json, acls.json), and the gate every request passes:
 * authentication first (when `authenticationEnabled`), then authorization of every context the request
 * builds (when `authorizationEnabled`), as BrokerController#initialRequestPipeline chains them. A refusal
 * is NO_PERMISSION with the exception's message, as the pipelines answer it. `brokerClusterName` names
 * the Cluster resource of cluster-wide codes (AuthConfig#clusterName is set from it in BrokerStartup).
 */
export class AuthManager {
  readonly gate: AccessGate;
  readonly users: UserManager;
  readonly acls: AclManager;
  private readonly authnWhitelist: Set<string>;
  private readonly authzWhitelist: Set<string>;
  private readonly clusterName: string;

  constructor(readonly config: AclConfig & { brokerClusterName?: string }, readonly storePathRootDir: string) {
    const dir = path.join(storePathRootDir, 'config');
    const userStore = new UserStore(dir);
    const aclStore = new AclStore(dir);
    this.users = new UserManager(userStore, aclStore);
    this.acls = new AclManager(userStore, aclStore);
    this.authnWhitelist = codeList(config.authenticationWhitelist);
    this.authzWhitelist = codeList(config.authorizationWhitelist);
    this.clusterName = config.brokerClusterName ?? '';
    this.initUsers();
    if (config.migrateAuthFromV1Enabled) migrateFromV1(config, this.users, this.acls);
    const check = (ip: string, req: RemotingCommand): AccessRefusal | undefined => {
      try {
        if (config.authenticationEnabled && !this.authnWhitelist.has(String(req.code))) authenticate(req, userStore);
        if (config.authorizationEnabled && !this.authzWhitelist.has(String(req.code))) {
          for (const ctx of buildContexts(req, javaHostAddress(ip), this.clusterName)) authorize(ctx, userStore, aclStore);
        }
        return undefined;
      } catch (e) {
        if (isAuthError(e)) return { code: ResponseCode.NO_PERMISSION, remark: e.message };
        // Java rethrows anything else and the remoting layer answers SYSTEM_ERROR.
        log.error(`auth check of request ${req.code} failed: ${(e as Error).stack ?? e}`);
        return { code: ResponseCode.SYSTEM_ERROR, remark: `${(e as Error).name}: ${(e as Error).message}` };
      }
    };
    this.gate = { check };
  }

  /**
   * AuthenticationMetadataManagerImpl#initUser: `initAuthenticationUser` and the inner client credentials
   * become Super users when no user of that name exists (so a broker's own signed requests, a slave's
   * synchronization among them, pass on a peer configured with the same credentials).
   */
  private initUsers(): void {
    const init = this.config.initAuthenticationUser.trim();
    if (init) {
      try {
        const u = JSON.parse(init) as Record<string, unknown>;
        const user: User = {
          username: typeof u.username === 'string' ? u.username : '',
          password: typeof u.password === 'string' ? u.password : undefined,
          userStatus: byName(USER_STATUSES, u.userStatus),
        };
        this.users.ensureSuper(user);
      } catch (e) {
        throw new AuthenticationError(`Init authentication user error. ${(e as Error).message}`, { cause: e });
      }
    }
    const inner = this.config.innerClientAuthenticationCredentials.trim();
    if (inner) {
      try {
        const c = JSON.parse(inner) as Record<string, unknown>;
        this.users.ensureSuper({
          username: typeof c.accessKey === 'string' ? c.accessKey : '',
          password: typeof c.secretKey === 'string' ? c.secretKey : undefined,
        });
      } catch (e) {
        throw new AuthenticationError(`Init inner client authentication credentials error: ${(e as Error).message}`, { cause: e });
      }
    }
  }

  close(): void {}
}
