import type { RemotingCommand } from '../../remoting/command.js';
import { ACCESS_KEY, signatureMatches } from '../signature.js';
import { AuthenticationError, isAuthError } from './errors.js';
import type { UserStore } from './user-store.js';

/**
 * 5.3.3's DefaultAuthenticationHandler for a remoting request (context from
 * DefaultAuthenticationContextBuilder): the AccessKey extField names the user, who must exist and not be
 * disabled, and the Signature must be the HmacSHA1 of the request content under the user's password
 * (signature.ts builds the content the same way, `_UNIQUE_KEY_QUERY` rule included). Throws the
 * AuthenticationException Java throws; any other failure becomes the strategy's generic message.
 */
export function authenticate(request: RemotingCommand, users: UserStore): void {
  try {
    const fields = request.extFields ?? {};
    const username = ACCESS_KEY in fields ? fields[ACCESS_KEY] : undefined;
    if (username === undefined || username === '') throw new AuthenticationError('username cannot be null.');
    const user = users.peek(username);
    if (!user) throw new AuthenticationError(`User:${username} is not found.`);
    if (user.userStatus === 'disable') throw new AuthenticationError(`User:${username} is disabled.`);
    // A user without a password cannot sign: Java's signer fails (the generic message below).
    if (typeof user.password !== 'string') throw new TypeError(`User:${username} has no password`);
    if (!signatureMatches(request, user.password)) throw new AuthenticationError('check signature failed.');
  } catch (e) {
    if (isAuthError(e)) throw e;
    throw new AuthenticationError('Authentication failed. Please verify the credentials and try again.', { cause: e });
  }
}
