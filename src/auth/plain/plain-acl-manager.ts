import type { AclConfig } from '../../config/security.js';
import type { AccessGate } from '../access.js';

/** ACL 1.0: the accounts of plain_acl.yml and conf/acl/*.yml, and the check every request passes. */
export class PlainAclManager {
  readonly gate: AccessGate;
  constructor(readonly config: AclConfig) {
    this.gate = { check: () => { throw new Error('ACL 1.0 is being built'); } };
  }
  close(): void {}
}
