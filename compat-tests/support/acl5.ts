/**
 * ACL 2.0 (RocketMQ 5.3 authentication + authorization) helpers for compat-tests/acl-v2.test.ts: the broker
 * keys that turn it on, an mqadmin 5.3.3 home whose conf/tools.yml makes the tool sign as the super user,
 * parsers for what the 5.3.3 user and acl sub-commands print, and the Java 5.3.3 client driver
 * (compat-tests/java5 AclClient) as one long-lived JVM. No vitest imports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LineDrivenJvm } from './mqadmin.js';
import { java5Classpath } from './java5.js';

export interface Credentials {
  username: string;
  password: string;
}

/** The super user every secured broker here creates at start (initAuthenticationUser) and signs its own requests with. */
export const SUPER_USER: Credentials = { username: 'rocketmq', password: '12345678' };

/**
 * broker.conf keys of a broker with authentication and authorization on. The Apache 5.3.3 broker loads no
 * metadata provider unless one is named (AuthenticationFactory/AuthorizationFactory#getMetadataProvider
 * return null for a blank class name, and every user command and check then fails), so the Local (RocksDB)
 * providers are named; the two provider keys are the defaults, spelled out. Ours accepts the class-name
 * keys without effect (src/config/security.ts AUTH_CLASS_KEYS).
 */
export function authBrokerConf(superUser: Credentials = SUPER_USER): Record<string, string | boolean> {
  return {
    authenticationEnabled: true,
    authorizationEnabled: true,
    authenticationProvider: 'org.apache.rocketmq.auth.authentication.provider.DefaultAuthenticationProvider',
    authenticationMetadataProvider: 'org.apache.rocketmq.auth.authentication.provider.LocalAuthenticationMetadataProvider',
    authorizationProvider: 'org.apache.rocketmq.auth.authorization.provider.DefaultAuthorizationProvider',
    authorizationMetadataProvider: 'org.apache.rocketmq.auth.authorization.provider.LocalAuthorizationMetadataProvider',
    initAuthenticationUser: JSON.stringify({ username: superUser.username, password: superUser.password }),
    innerClientAuthenticationCredentials: JSON.stringify({ accessKey: superUser.username, secretKey: superUser.password }),
  };
}

/**
 * A rocketmq.home.dir for mqadmin 5.3.3 under `dir`: MQAdminStartup signs every sub-command with the
 * accessKey/secretKey of ${rocketmq.home.dir}/conf/tools.yml (MixAll.ACL_CONF_TOOLS_FILE).
 */
export function toolsHome(dir: string, who: Credentials = SUPER_USER): string {
  fs.mkdirSync(path.join(dir, 'conf'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'conf', 'tools.yml'), `accessKey: ${who.username}\nsecretKey: ${who.password}\n`);
  return dir;
}

export interface UserRow {
  username: string;
  password: string;
  userType: string;
  userStatus: string;
}

export interface AclRow {
  subject: string;
  policyType: string;
  resource: string;
  actions: string;
  sourceIp: string;
  decision: string;
}

/**
 * The data rows of a table printed by getUser/listUser/getAcl/listAcl 5.3.3: a "#Header  #Header" line,
 * then one line per row with columns padded by printf and separated by at least two spaces (a value such
 * as "[Pub, Sub]" holds single spaces only).
 */
function tableRows(output: string, firstHeader: string, columns: number): string[][] {
  const lines = output.split('\n');
  const at = lines.findIndex((l) => l.startsWith(firstHeader));
  if (at < 0) return [];
  const rows: string[][] = [];
  for (const line of lines.slice(at + 1)) {
    if (!line.trim() || /^(get|list) \w+ from .* success\.$/.test(line.trim())) continue;
    const cells = line.trim().split(/\s{2,}/);
    if (cells.length !== columns) throw new Error(`table row with ${cells.length} cells, expected ${columns}: ${JSON.stringify(line)}`);
    rows.push(cells);
  }
  return rows;
}

export function parseUsers(output: string): UserRow[] {
  return tableRows(output, '#UserName', 4).map(([username, password, userType, userStatus]) => ({ username, password, userType, userStatus }));
}

export function parseAcls(output: string): AclRow[] {
  return tableRows(output, '#Subject', 6).map(([subject, policyType, resource, actions, sourceIp, decision]) =>
    ({ subject, policyType, resource, actions, sourceIp, decision }));
}

/** What one AclClient command answered (the JSON of its RESULT line). */
export interface ClientResult {
  op: string;
  ok: boolean;
  /** The broker's response code of a refusal (MQBrokerException), else the client exception's code or null. */
  code?: number | null;
  remark?: string | null;
  error?: string;
  sent?: number;
  received?: number;
  found?: number;
  msgIds?: string[];
  lastError?: ClientResult | null;
  users?: string[];
  topics?: string[];
}

/** A Java 5.3.3 client with or without AclClientRPCHook; user '-' means no hook. */
export type Who = Credentials | 'no-hook';

function whoArgs(who: Who): string[] {
  return who === 'no-hook' ? ['-', '-'] : [who.username, who.password];
}

const CLIENT_MAIN = 'rocketmqts.compat5.AclClient';
/** JVM start plus one send; a command never waits longer than its own timeout plus client shutdown. */
const FIRST_COMMAND_TIMEOUT_MS = 120_000;

/** The AclClient JVM (rocketmq-client 5.3.3), commands answered one at a time. */
export class AclClientSession {
  private n = 0;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly jvm: LineDrivenJvm) {}

  static async start(workDir: string): Promise<AclClientSession> {
    const cp = await java5Classpath('5.3.3');
    return new AclClientSession(new LineDrivenJvm('java 5.3.3 acl client', [
      '-Xms64m', '-Xmx256m', '-XX:TieredStopAtLevel=1',
      '-Duser.language=en',
      `-Duser.home=${workDir}`,
      '-Drocketmq.client.rebalance.waitInterval=1000',
      '-Drocketmq.client.logUseSlf4j=false',
      `-Drocketmq.client.logRoot=${path.join(workDir, 'logs')}`,
      '-cp', cp, CLIENT_MAIN,
    ], workDir));
  }

  get output(): string {
    return this.jvm.output;
  }

  /** Runs one command (serialized: the JVM answers in order). */
  run(args: Array<string | number>, timeoutMs = 60_000): Promise<ClientResult> {
    const next = this.queue.then(async () => {
      const n = this.n++;
      const started = Date.now();
      const from = this.jvm.output.length;
      this.jvm.send(args.map(String).join('\t'));
      const text = await this.jvm.waitFor(from, new RegExp(`@@@ END ${n}\\n`), n === 0 ? Math.max(timeoutMs, FIRST_COMMAND_TIMEOUT_MS) : timeoutMs);
      const line = text.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) throw new Error(`no RESULT for ${args.join(' ')}:\n${text.slice(-4000)}`);
      const result = JSON.parse(line.slice('RESULT '.length)) as ClientResult;
      if (process.env.COMPAT_ACL_TRACE === '1') console.log(`[acl client ${Date.now() - started} ms] ${args.join(' ')} => ${JSON.stringify(result).slice(0, 300)}`);
      return result;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  send(namesrv: string, topic: string, who: Who, count: number): Promise<ClientResult> {
    return this.run(['send', namesrv, topic, ...whoArgs(who), count]);
  }

  consume(namesrv: string, topic: string, group: string, who: Who, count: number, timeoutMs: number): Promise<ClientResult> {
    return this.run(['consume', namesrv, topic, group, ...whoArgs(who), count, timeoutMs], timeoutMs + 30_000);
  }

  /**
   * A push consumer that answers RECONSUME_LATER (delay level 1) at the first delivery of each of `msgIds`
   * and waits for their redelivery through %RETRY%<group>; found = how many came back.
   */
  retry(namesrv: string, topic: string, group: string, who: Who, msgIds: string[], timeoutMs: number): Promise<ClientResult> {
    return this.run(['retry', namesrv, topic, group, ...whoArgs(who), msgIds.join(','), timeoutMs], timeoutMs + 30_000);
  }

  pull(namesrv: string, topic: string, group: string, who: Who): Promise<ClientResult> {
    return this.run(['pull', namesrv, topic, group, ...whoArgs(who)]);
  }

  /** PULL_MESSAGE straight to `addr` (a slave) on queues 0..queues-1 until `count` messages are there or timeoutMs passes. */
  read(namesrv: string, addr: string, topic: string, queues: number, group: string, who: Who, count: number, timeoutMs: number): Promise<ClientResult> {
    return this.run(['read', namesrv, addr, topic, queues, group, ...whoArgs(who), count, timeoutMs], timeoutMs + 30_000);
  }

  /** AUTH_LIST_USER to `addr` as `who`: the usernames, or the refusal. */
  listUsers(namesrv: string, addr: string, who: Who): Promise<ClientResult> {
    return this.run(['list-users', namesrv, addr, ...whoArgs(who)]);
  }

  /** AUTH_CREATE_USER of `user` to `addr` as `who`. */
  createUser(namesrv: string, addr: string, who: Who, user: Credentials): Promise<ClientResult> {
    return this.run(['create-user', namesrv, addr, ...whoArgs(who), user.username, user.password]);
  }

  /** UPDATE_AND_CREATE_TOPIC of `topic` (read/write queues, perm 6) to `addr` as `who`. */
  createTopic(namesrv: string, addr: string, who: Who, topic: string, queues: number): Promise<ClientResult> {
    return this.run(['create-topic', namesrv, addr, ...whoArgs(who), topic, queues]);
  }

  /** GET_ALL_TOPIC_CONFIG to `addr` as `who`: the topic names that broker holds. */
  topics(namesrv: string, addr: string, who: Who): Promise<ClientResult> {
    return this.run(['topics', namesrv, addr, ...whoArgs(who)]);
  }

  stop(): Promise<void> {
    return this.jvm.stop();
  }
}
