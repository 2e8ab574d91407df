/**
 * ACL 1.0 (4.9 plain ACL) helpers for compat-tests/acl-v1.test.ts: a ROCKETMQ_HOME holding
 * conf/plain_acl.yml, conf/acl/ and (for mqadmin) conf/tools.yml; our broker and the Apache 4.9.7 broker
 * started with aclEnable=true on that home; and the Java 4.9.8 client driver (compat-tests/java AclProbe)
 * as one long-lived JVM whose operations each carry their own credentials. No vitest imports.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { APACHE_PROJECT_DIR } from './apache.js';
import { apacheBroker, ourBroker, type Node } from './cluster.js';
import { baseJvmArgs, javaClasspath } from './java.js';
import { LineDrivenJvm, MQADMIN_DIR } from './mqadmin.js';
import { makeTempDir, removeDir } from '../../test/support/server.js';

/** One entry of plain_acl.yml `accounts` (acl/src/main/java/org/apache/rocketmq/acl/common/AclConstants.java names). */
export interface PlainAclAccount {
  accessKey: string;
  secretKey: string;
  whiteRemoteAddress?: string;
  admin?: boolean;
  defaultTopicPerm?: string;
  defaultGroupPerm?: string;
  topicPerms?: string[];
  groupPerms?: string[];
}

export interface PlainAclFile {
  globalWhiteRemoteAddresses?: string[];
  accounts?: PlainAclAccount[];
  dataVersion?: Array<{ counter: number; timestamp: number }>;
}

export interface AclHome {
  dir: string;
  /** conf/plain_acl.yml */
  plainAclFile: string;
  /** conf/acl/: every *.yml under it is an ACL file too. */
  aclDir: string;
}

/**
 * A ROCKETMQ_HOME for a broker with ACL on: conf/plain_acl.yml, an empty conf/acl/, and the logback file
 * the Apache 4.9.7 broker exits without (copied from compat-tests/apache/conf).
 */
export function makeAclHome(acl: PlainAclFile): AclHome {
  const dir = makeTempDir('rocketmq-ts-acl-home');
  const conf = path.join(dir, 'conf');
  fs.mkdirSync(path.join(conf, 'acl'), { recursive: true });
  fs.copyFileSync(path.join(APACHE_PROJECT_DIR, 'conf', 'logback_broker.xml'), path.join(conf, 'logback_broker.xml'));
  const home = { dir, plainAclFile: path.join(conf, 'plain_acl.yml'), aclDir: path.join(conf, 'acl') };
  writeAclFile(home.plainAclFile, acl);
  return home;
}

/** A rocketmq.home.dir for mqadmin 4.9.8: conf/logback_tools.xml and conf/tools.yml with these keys. */
export function makeToolsHome(accessKey: string, secretKey: string): string {
  const dir = makeTempDir('rocketmq-ts-acl-tools');
  fs.mkdirSync(path.join(dir, 'conf'), { recursive: true });
  fs.copyFileSync(path.join(MQADMIN_DIR, 'conf', 'logback_tools.xml'), path.join(dir, 'conf', 'logback_tools.xml'));
  writeToolsYml(dir, accessKey, secretKey);
  return dir;
}

/** mqadmin re-reads $ROCKETMQ_HOME/conf/tools.yml for every command (MQAdminStartup → AclUtils.getAclRPCHook). */
export function writeToolsYml(toolsHome: string, accessKey: string, secretKey: string): void {
  fs.writeFileSync(path.join(toolsHome, 'conf', 'tools.yml'), YAML.stringify({ accessKey, secretKey }));
}

/** Written to a temp name and renamed, so a broker polling the file never reads half of it. */
export function writeAclFile(file: string, acl: PlainAclFile): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, YAML.stringify(acl));
  fs.renameSync(tmp, file);
}

export function readAclFile(file: string): PlainAclFile {
  return (YAML.parse(fs.readFileSync(file, 'utf8')) ?? {}) as PlainAclFile;
}

export function accountOf(acl: PlainAclFile, accessKey: string): PlainAclAccount | undefined {
  return acl.accounts?.find((a) => a.accessKey === accessKey);
}

/**
 * The Apache 4.9.7 broker with aclEnable=true reading the ACL files of `home` (-Drocketmq.home.dir).
 * Its send-queue flow control is relaxed as in apache.ts: on a loaded 2-core machine a send that waited
 * 200 ms in the queue is otherwise answered SYSTEM_BUSY before the ACL hook has even looked at it.
 */
export function apacheAclBroker(brokerName: string, namesrvAddr: string, home: AclHome): Promise<Node> {
  return apacheBroker(brokerName, namesrvAddr, { aclEnable: true, waitTimeMillsInSendQueue: 3000, osPageCacheBusyTimeOutMills: 5000 }, home.dir);
}

/** Our broker with aclEnable=true reading the ACL files of `home` (broker.conf rocketmqHome). */
export function ourAclBroker(brokerName: string, namesrvAddr: string, home: AclHome, cliPath?: string): Promise<Node> {
  return ourBroker(brokerName, namesrvAddr, { aclEnable: true, rocketmqHome: home.dir }, cliPath ? { cliPath } : {});
}

/** Credentials of one probe operation; null: no RPC hook at all (unsigned requests). */
export type ProbeCredentials = { accessKey: string; secretKey: string } | null;

/** One AclProbe answer (see AclProbe.java): ok, and for a refusal the broker's code and remark as the client sees them. */
export interface ProbeResult {
  op: string;
  ok: boolean;
  code?: number;
  remark?: string;
  exception?: string;
  message?: string;
  clientCode?: number;
  tookMs: number;
  msgIds?: string[];
  offsetMsgIds?: string[];
  received?: number;
  found?: number;
  rawCode?: number;
  rawRemark?: string;
  foundMsgId?: string;
}

const PROBE_START_TIMEOUT_MS = 60_000;
/** Sends retry twice with a 5 s timeout; a push consume waits its own timeout on top. */
const PROBE_OP_TIMEOUT_MS = 60_000;

/** The Java 4.9.8 client (AclProbe) in one JVM; operations run concurrently, each with its own client instance. */
export class AclProbe {
  private n = 0;

  private constructor(
    private readonly jvm: LineDrivenJvm,
    /** The client log (rocketmq_client.log); kept with COMPAT_KEEP_DIRS=1. */
    readonly logDir: string,
  ) {}

  static async start(): Promise<AclProbe> {
    const cp = await javaClasspath();
    const logDir = makeTempDir('rocketmq-ts-acl-probe');
    const jvm = new LineDrivenJvm('java AclProbe', [...baseJvmArgs(logDir), '-cp', cp, 'rocketmqts.compat.AclProbe'], logDir);
    try {
      await jvm.waitFor(0, /@@@ ready\n/, PROBE_START_TIMEOUT_MS);
    } catch (err) {
      await jvm.stop();
      removeDir(logDir);
      throw err;
    }
    return new AclProbe(jvm, logDir);
  }

  async run(op: string, namesrvAddr: string, cred: ProbeCredentials, ...args: Array<string | number>): Promise<ProbeResult> {
    const id = this.n++;
    const from = this.jvm.output.length;
    const wait = this.jvm.waitFor(from, new RegExp(`^@@@ ${id} (.*)\\n`, 'm'), PROBE_OP_TIMEOUT_MS);
    this.jvm.send([id, op, namesrvAddr, cred?.accessKey ?? '-', cred?.secretKey ?? '-', ...args].join('\t'));
    const text = await wait;
    const line = new RegExp(`^@@@ ${id} (.*)$`, 'm').exec(text)![1];
    return JSON.parse(line) as ProbeResult;
  }

  output(): string {
    return this.jvm.output;
  }

  async stop(): Promise<void> {
    await this.jvm.stop();
    removeDir(this.logDir);
  }
}

/**
 * Repeats `attempt` until `done` holds (the brokers pick up an edited ACL file on their next 5 s poll) and
 * returns the last result with how long it took; the last result is returned unmet after timeoutMs.
 */
export async function until<T>(attempt: () => Promise<T>, done: (r: T) => boolean, timeoutMs: number, everyMs = 500): Promise<{ result: T; afterMs: number; met: boolean }> {
  const started = Date.now();
  for (;;) {
    const result = await attempt();
    if (done(result)) return { result, afterMs: Date.now() - started, met: true };
    if (Date.now() - started > timeoutMs) return { result, afterMs: Date.now() - started, met: false };
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
