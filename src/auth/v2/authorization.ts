import { type Acl, type PolicyEntry, resourceKey, resourceMatches, userSubjectKey } from './model.js';
import type { AuthzContext } from './context-builder.js';
import { ipInRange } from './ip-range.js';
import { AuthorizationError, isAuthError } from './errors.js';
import type { UserStore } from './user-store.js';
import type { AclStore } from './acl-store.js';

/**
 * 5.3.3's DefaultAuthorizationProvider for one context: UserAuthorizationHandler (a Super user may do
 * anything) then AclAuthorizationHandler (the subject's Custom policy entries that match the resource,
 * an asked action and the client IP; only when none match, its Default policy entries; the first after
 * sorting decides). Any error that is not an authorization refusal becomes the strategy's generic
 * message, as AbstractAuthorizationStrategy#doEvaluate words it (a request without AccessKey fails so).
 */
export function authorize(ctx: AuthzContext, users: UserStore, acls: AclStore): void {
  try {
    if (ctx.username === undefined) throw new TypeError('no subject');
    const user = users.peek(ctx.username);
    if (!user) throw new AuthorizationError(`User:${ctx.username} not found.`);
    if (user.userType === 'Super') return;
    const acl = acls.peek(userSubjectKey(ctx.username));
    if (!acl) deny(ctx, 'no matched policies.');
    const entry = decidingEntry(ctx, acl);
    if (!entry) deny(ctx, 'no matched policies.');
    if (entry.decision === 'Deny') deny(ctx, 'the decision is deny.');
  } catch (e) {
    if (isAuthError(e)) throw e;
    throw new AuthorizationError('Authorization failed. Please verify your access rights and try again.', { cause: e });
  }
}

function deny(ctx: AuthzContext, detail: string): never {
  throw new AuthorizationError(
    `${userSubjectKey(ctx.username!)} has no permission to access ${resourceKey(ctx.resource)} from ${ctx.sourceIp}, ${detail}`,
  );
}

/** The entry that decides for `ctx` (exported for the tests that hold it to 5.3.3's choice). */
export function decidingEntry(ctx: AuthzContext, acl: Readonly<Acl>): PolicyEntry | undefined {
  let matched = matching(ctx, acl.policies.find((p) => p.policyType === 'Custom')?.entries);
  if (matched.length === 0) matched = matching(ctx, acl.policies.find((p) => p.policyType === 'Default')?.entries);
  if (matched.length === 0) return undefined;
  javaListSort(matched, compareEntries);
  return matched[0];
}

function matching(ctx: AuthzContext, entries: readonly PolicyEntry[] | undefined): PolicyEntry[] {
  return (entries ?? []).filter((e) => resourceMatches(e.resource, ctx.resource) && actionMatches(e, ctx) && ipMatches(e, ctx));
}

/** PolicyEntry#isMatchAction: a granted `All` covers every action; asking for `Any` is covered by any grant. */
function actionMatches(e: PolicyEntry, ctx: AuthzContext): boolean {
  if (e.actions.length === 0) return false;
  if (ctx.actions.includes('Any')) return true;
  return ctx.actions.some((a) => e.actions.includes(a) || e.actions.includes('All'));
}

function ipMatches(e: PolicyEntry, ctx: AuthzContext): boolean {
  if (!e.sourceIps || e.sourceIps.length === 0) return true;
  // Environment.of("") is null in Java, and matching against it throws (the generic failure).
  if (!ctx.sourceIp) throw new TypeError('no source ip');
  return e.sourceIps.some((cidr) => ipInRange(ctx.sourceIp, cidr));
}

/**
 * AclAuthorizationHandler#comparePolicyEntries of 5.3.3, kept as it is, quirks included (the lead's
 * README should say so): a typed resource sorts before `*`; among PREFIXED entries the SHORTER prefix
 * sorts first; between a LITERAL or PREFIXED entry and another pattern of the same type the left one is
 * always "smaller" (so the order of the entries decides); on a tie an Allow sorts before a Deny.
 */
function compareEntries(o1: PolicyEntry, o2: PolicyEntry): number {
  const r1 = o1.resource;
  const r2 = o2.resource;
  let compare = 0;
  if (r1.type !== r2.type) {
    if (r1.type === 'Any') compare = 1;
    if (r2.type === 'Any') compare = -1;
  } else if (r1.pattern === r2.pattern) {
    if (r1.pattern === 'PREFIXED') compare = Math.sign((r1.name ?? '').length - (r2.name ?? '').length);
  } else if (r1.pattern === 'LITERAL' || r1.pattern === 'PREFIXED') {
    compare = -1;
  }
  if (compare !== 0) return compare;
  return o1.decision === 'Deny' ? 1 : o2.decision === 'Deny' ? -1 : 0;
}

/**
 * java.util.List#sort (TimSort) for lists shorter than its MIN_MERGE of 32: the leading run is found
 * (a strictly descending one reversed), then binary insertion. With a comparator that is not a total
 * order, as above, the result depends on exactly these steps, so they are reproduced. Longer lists (32+
 * matching entries for one request) fall back to a stable merge, which can differ from Java's galloping
 * merge only under such a comparator.
 */
export function javaListSort<T>(a: T[], cmp: (x: T, y: T) => number): void {
  const n = a.length;
  if (n < 2) return;
  if (n >= 32) {
    const sorted = mergeSort(a, cmp);
    for (let i = 0; i < n; i++) a[i] = sorted[i];
    return;
  }
  let runHi = 1;
  if (cmp(a[runHi++], a[0]) < 0) {
    while (runHi < n && cmp(a[runHi], a[runHi - 1]) < 0) runHi++;
    a.splice(0, runHi, ...a.slice(0, runHi).reverse());
  } else {
    while (runHi < n && cmp(a[runHi], a[runHi - 1]) >= 0) runHi++;
  }
  for (let start = runHi; start < n; start++) {
    const pivot = a[start];
    let left = 0;
    let right = start;
    while (left < right) {
      const mid = (left + right) >>> 1;
      if (cmp(pivot, a[mid]) < 0) right = mid;
      else left = mid + 1;
    }
    for (let i = start; i > left; i--) a[i] = a[i - 1];
    a[left] = pivot;
  }
}

function mergeSort<T>(a: T[], cmp: (x: T, y: T) => number): T[] {
  if (a.length < 2) return a.slice();
  const mid = a.length >>> 1;
  const l = mergeSort(a.slice(0, mid), cmp);
  const r = mergeSort(a.slice(mid), cmp);
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < l.length && j < r.length) out.push(cmp(r[j], l[i]) < 0 ? r[j++] : l[i++]);
  return out.concat(l.slice(i), r.slice(j));
}
