/**
 * Permission bits and their text, as org.apache.rocketmq.acl.common.Permission (4.9.7) defines them.
 * Topics and groups share one resource map; a group is stored under its retry topic `%RETRY%<group>`, and
 * any resource starting with `%RETRY%` is judged as a group.
 */
import { JavaError, javaTrim, splitChars } from './java-text.js';
import { RETRY_GROUP_TOPIC_PREFIX } from '../../protocol/topic-validator.js';

export const Perm = { DENY: 1, ANY: 2, PUB: 4, SUB: 8 } as const;

/** Permission.parsePermFromString: PUB, SUB, PUB|SUB, SUB|PUB (trimmed); anything else, or nothing, is DENY. */
export function parsePerm(text: string | null | undefined): number {
  if (text == null) return Perm.DENY;
  switch (javaTrim(text)) {
    case 'PUB': return Perm.PUB;
    case 'SUB': return Perm.SUB;
    case 'PUB|SUB':
    case 'SUB|PUB': return Perm.PUB | Perm.SUB;
    default: return Perm.DENY;
  }
}

/** Permission.checkPermission: an owned DENY refuses all; ANY wants PUB or SUB; otherwise a shared bit. */
export function permits(needed: number, owned: number): boolean {
  if ((owned & Perm.DENY) !== 0) return false;
  if ((needed & Perm.ANY) !== 0) return (owned & (Perm.PUB | Perm.SUB)) !== 0;
  return (needed & owned) !== 0;
}

export const isRetryTopic = (resource: string): boolean => resource.startsWith(RETRY_GROUP_TOPIC_PREFIX);
export const retryTopicOf = (group: string): string => RETRY_GROUP_TOPIC_PREFIX + group;

/** PlainAccessResource.printStr: `group:<g>` for a retry-topic resource, else `topic:<t>`. */
export function describeResource(resource: string): string {
  return isRetryTopic(resource) ? `group:${resource.slice(RETRY_GROUP_TOPIC_PREFIX.length)}` : `topic:${resource}`;
}

/**
 * Permission.parseResourcePerms: `name=PERM` entries into `into` (groups under their retry topic). An entry
 * that does not split into exactly two non-empty parts around `=` is an error.
 */
export function parseResourcePerms(into: Map<string, number>, isTopic: boolean, entries: readonly (string | null)[] | undefined): void {
  if (!entries) return;
  for (const entry of entries) {
    const items = entry == null ? [] : splitChars(entry, '=');
    if (items.length !== 2) throw new JavaError(`Parse resource permission failed for ${isTopic ? 'topic' : 'group'}:${entry}`);
    const name = javaTrim(items[0]!);
    into.set(isTopic ? name : retryTopicOf(name), parsePerm(javaTrim(items[1]!)));
  }
}

/** Permission.checkResourcePerms: what an UPDATE_AND_CREATE_ACL_CONFIG request's perm lists must look like. */
export function checkResourcePerms(entries: readonly string[] | undefined): void {
  if (!entries) return;
  for (const entry of entries) {
    const items = splitChars(entry, '=');
    if (items.length !== 2) {
      throw new JavaError(`Parse Resource format error for ${entry}.\nThe expected resource format is 'Res=Perm'. For example: topicA=SUB`);
    }
    const perm = javaTrim(items[1]!);
    if (perm !== 'DENY' && parsePerm(perm) === Perm.DENY) {
      throw new JavaError(`Parse resource permission error for ${entry}.\nThe expected permissions are 'SUB' or 'PUB' or 'SUB|PUB' or 'PUB|SUB'.`);
    }
  }
}
