import type { AclConfig } from '../../config/security.js';
import type { AccessGate } from '../access.js';

/** ACL 2.0: users and ACL policies, authentication then authorization for every request. */
export class AuthManager {
  readonly gate: AccessGate;
  constructor(readonly config: AclConfig, readonly storePathRootDir: string) {
    this.gate = { check: () => { throw new Error('ACL 2.0 is being built'); } };
  }
  close(): void {}
}
