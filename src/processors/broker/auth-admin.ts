/**
 * ACL 2.0 administration, AUTH_CREATE_USER (3001) … AUTH_LIST_ACL (3010): what mqadmin 5.3 createUser,
 * updateUser, deleteUser, getUser, listUser, createAcl, updateAcl, deleteAcl, getAcl and listAcl send
 * (AdminBrokerProcessor of 5.3.3). Outcomes as Java answers them: a blank username is INVALID_PARAMETER;
 * an AuthenticationException or AuthorizationException of the managers is NO_PERMISSION with its
 * message; any other failure inside the managers is SYSTEM_ERROR "An system error occurred, please try
 * again later."; what Java throws out of the processor itself (a missing body, an unreadable one) is
 * SYSTEM_ERROR with the exception's description, as its remoting layer words it.
 */
import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse, requestBody } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { toFastJson } from '../../codec/fastjson.js';
import type { AuthManager } from '../../auth/v2/auth-manager.js';
import { isAuthError } from '../../auth/v2/errors.js';
import { ACCESS_KEY } from '../../auth/signature.js';
import { resourceOf, subjectUsername } from '../../auth/v2/model.js';
import {
  BodyError, aclDraftFromInfo, aclInfo, decodeBean, hasPolicies, policyTypeByName, userFromInfo, userInfo,
} from '../../auth/v2/auth-info.js';

const SYSTEM_ERROR_REMARK = 'An system error occurred, please try again later.';
const PROCESSOR = 'org.apache.rocketmq.broker.processor.AdminBrokerProcessor';

const json = (v: unknown): Buffer => Buffer.from(toFastJson(v), 'utf8');

/** Thrown out of a processor step: answered SYSTEM_ERROR with `remark` (UtilAll#exceptionSimpleDesc in Java). */
class Escaped extends Error {}

/** AdminBrokerProcessor#handleAuthException. */
function managerFailure(req: RemotingCommand, e: unknown): RemotingCommand {
  if (e instanceof Escaped) return createResponse(req, ResponseCode.SYSTEM_ERROR, e.message);
  if (isAuthError(e)) return createResponse(req, ResponseCode.NO_PERMISSION, e.message);
  return createResponse(req, ResponseCode.SYSTEM_ERROR, SYSTEM_ERROR_REMARK);
}

/** What the processors use of the AuthManager. */
type AuthAdmin = Pick<AuthManager, 'users' | 'acls'>;

/**
 * Without ACL 2.0 configured the Java broker has no metadata provider: its admin steps run as usual (a
 * blank username is still INVALID_PARAMETER) and every call into the managers fails, a system error.
 */
const unconfigured = new Proxy({}, {
  get: () => () => {
    throw new Error('The authenticationMetadataProvider is not configured');
  },
});
const NO_AUTH = { users: unconfigured, acls: unconfigured } as unknown as AuthAdmin;

/** Runs an admin step with Java's three kinds of failure. */
function withAuth(ctx: BrokerContext, req: RemotingCommand, step: (auth: AuthAdmin) => RemotingCommand): RemotingCommand {
  try {
    return step(ctx.auth ?? NO_AUTH);
  } catch (e) {
    return managerFailure(req, e);
  }
}

function bodyBean(req: RemotingCommand): Record<string, unknown> | null {
  try {
    return decodeBean(requestBody(req));
  } catch (e) {
    if (e instanceof BodyError) throw new Escaped(`${e.name}: ${e.message}`);
    throw e;
  }
}

/** The request's bean body, a missing one being the NullPointerException Java meets at `line`. */
function requiredBean(req: RemotingCommand, method: string, line: number): Record<string, unknown> {
  const bean = bodyBean(req);
  if (!bean) throw new Escaped(`java.lang.NullPointerException, ${PROCESSOR}.${method}(AdminBrokerProcessor.java:${line})`);
  return bean;
}

/**
 * AdminBrokerProcessor#isNotSuperUserLogin: no AccessKey counts as a super user (authentication may be
 * off). An unknown AccessKey throws; `direct` says whether Java meets it outside the future chain, where
 * it escapes the processor as a CompletionException instead of becoming NO_PERMISSION.
 */
function notSuperLogin(auth: AuthAdmin, req: RemotingCommand, direct: boolean): boolean {
  const ak = req.extFields?.[ACCESS_KEY];
  if (ak === undefined || ak === '') return false;
  try {
    return !auth.users.isSuper(ak);
  } catch (e) {
    if (!direct || !isAuthError(e)) throw e;
    throw new Escaped(`java.util.concurrent.CompletionException: org.apache.rocketmq.auth.authentication.exception.${e.name}: ${e.message}`);
  }
}

const ok = (req: RemotingCommand, body?: Buffer): RemotingCommand => createResponse(req, ResponseCode.SUCCESS, undefined, undefined, body);
const invalid = (req: RemotingCommand): RemotingCommand => createResponse(req, ResponseCode.INVALID_PARAMETER, 'The username is blank');

/** AUTH_CREATE_USER (3001): header `username`, body UserInfo. Only a Super user may create a Super user. */
export function authCreateUser(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  return withAuth(ctx, req, (auth) => {
    const username = req.extFields?.username;
    if (!username) return invalid(req);
    const user = userFromInfo(requiredBean(req, 'createUser', 3014), username);
    if (user.userType === 'Super' && notSuperLogin(auth, req, true)) {
      return createResponse(req, ResponseCode.SYSTEM_ERROR, 'The super user can only be create by super user');
    }
    auth.users.create(user);
    return ok(req);
  });
}

/** AUTH_UPDATE_USER (3002): header `username`, body UserInfo with what changes. */
export function authUpdateUser(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  return withAuth(ctx, req, (auth) => {
    const username = req.extFields?.username;
    if (!username) return invalid(req);
    const user = userFromInfo(requiredBean(req, 'updateUser', 3046), username);
    if (user.userType === 'Super' && notSuperLogin(auth, req, true)) {
      return createResponse(req, ResponseCode.SYSTEM_ERROR, 'The super user can only be update by super user');
    }
    const old = auth.users.get(username);
    if (!old) return createResponse(req, ResponseCode.NO_PERMISSION, 'The user is not exist');
    if (old.userType === 'Super' && notSuperLogin(auth, req, false)) {
      return createResponse(req, ResponseCode.NO_PERMISSION, 'The super user can only be update by super user');
    }
    auth.users.update(user);
    return ok(req);
  });
}

/** AUTH_DELETE_USER (3003): header `username`; an unknown user is a success; the user's ACL goes too. */
export function authDeleteUser(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  return withAuth(ctx, req, (auth) => {
    const username = req.extFields?.username;
    const user = auth.users.get(username);
    if (!user) return ok(req);
    if (user.userType === 'Super' && notSuperLogin(auth, req, false)) {
      return createResponse(req, ResponseCode.NO_PERMISSION, 'The super user can only be update by super user');
    }
    auth.users.delete(username);
    return ok(req);
  });
}

/** AUTH_GET_USER (3004): header `username`; body UserInfo, or none when there is no such user. */
export function authGetUser(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  return withAuth(ctx, req, (auth) => {
    const username = req.extFields?.username;
    if (!username || username.trim() === '') return invalid(req);
    const user = auth.users.get(username);
    return ok(req, user ? json(userInfo(user)) : undefined);
  });
}

/** AUTH_LIST_USER (3005): header `filter` (a substring of the name); body a UserInfo list, none when empty. */
export function authListUser(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  return withAuth(ctx, req, (auth) => {
    const users = auth.users.list(req.extFields?.filter);
    return ok(req, users.length > 0 ? json(users.map(userInfo)) : undefined);
  });
}

function upsertAcl(ctx: BrokerContext, req: RemotingCommand, method: 'createAcl' | 'updateAcl', line: number): RemotingCommand {
  return withAuth(ctx, req, (auth) => {
    const info = bodyBean(req);
    if (!hasPolicies(info)) {
      throw new Escaped(
        `org.apache.rocketmq.auth.authorization.exception.AuthorizationException: The body of acl is null, ${PROCESSOR}.${method}(AdminBrokerProcessor.java:${line})`,
      );
    }
    let draft;
    try {
      draft = aclDraftFromInfo(info);
    } catch (e) {
      if (e instanceof BodyError) throw new Escaped(`${e.name}: ${e.message}`);
      throw new Escaped('java.lang.NullPointerException, org.apache.rocketmq.broker.auth.converter.AclConverter.convertAcl(AclConverter.java:54)');
    }
    if (draft.username === undefined) draft.username = subjectUsername(req.extFields?.subject);
    auth.acls.upsert(draft);
    return ok(req);
  });
}

/** AUTH_CREATE_ACL (3006): header `subject`, body AclInfo; merges into the subject's ACL when it has one. */
export const authCreateAcl = (ctx: BrokerContext, req: RemotingCommand): RemotingCommand => upsertAcl(ctx, req, 'createAcl', 3158);

/** AUTH_UPDATE_ACL (3007): the same as create in 5.3.3. */
export const authUpdateAcl = (ctx: BrokerContext, req: RemotingCommand): RemotingCommand => upsertAcl(ctx, req, 'updateAcl', 3185);

/** AUTH_DELETE_ACL (3008): header `subject`, optional `policyType` (default Custom) and `resource` (else the whole ACL). */
export function authDeleteAcl(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  return withAuth(ctx, req, (auth) => {
    const h = req.extFields ?? {};
    auth.acls.delete(subjectUsername(h.subject), policyTypeByName(h.policyType), resourceOf(h.resource));
    return ok(req);
  });
}

/** AUTH_GET_ACL (3009): header `subject`; body AclInfo, or none when the user has no ACL. */
export function authGetAcl(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  return withAuth(ctx, req, (auth) => {
    const username = subjectUsername(req.extFields?.subject);
    if (username === undefined) {
      throw new Escaped('java.lang.NullPointerException, org.apache.rocketmq.auth.authorization.manager.AuthorizationMetadataManagerImpl.getAcl(AuthorizationMetadataManagerImpl.java:180)');
    }
    const acl = auth.acls.get(username);
    return ok(req, acl ? json(aclInfo(acl)) : undefined);
  });
}

/** AUTH_LIST_ACL (3010): headers `subjectFilter`, `resourceFilter`; body an AclInfo list, none when empty. */
export function authListAcl(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  return withAuth(ctx, req, (auth) => {
    const acls = auth.acls.list(req.extFields?.subjectFilter, req.extFields?.resourceFilter);
    return ok(req, acls.length > 0 ? json(acls.map(aclInfo)) : undefined);
  });
}
