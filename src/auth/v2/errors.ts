/**
 * 5.3.3's AuthenticationException and AuthorizationException. Their message is what a client reads:
 * the request pipelines answer NO_PERMISSION with it, and the auth admin codes do the same
 * (AdminBrokerProcessor#handleAuthException). Any other error is a system error there.
 */
export class AuthenticationError extends Error {
  override name = 'AuthenticationException';
}

export class AuthorizationError extends Error {
  override name = 'AuthorizationException';
}

export const isAuthError = (e: unknown): e is AuthenticationError | AuthorizationError =>
  e instanceof AuthenticationError || e instanceof AuthorizationError;
