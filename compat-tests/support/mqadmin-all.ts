/**
 * Every subcommand MQAdminStartup#initCommand registers in rocketmq-tools 4.9.8 (56) and 5.3.3 (89), each
 * with the arguments a user would give it, and the one-JVM runner for them (compat-tests/mqadmin/MqadminAll.java).
 * Placeholders in arguments are filled from the running setup: {cluster} {broker} {brokerAddr} {ns} {topic}
 * {group} (a push consumer online) {pgroup} (producer group) {clientId} {msgId}
 * (offset message id) {uniqId} {key} {queueId} {offset} {work} (a temp dir with the input files) {now}
 * {commitLogFile} (the broker's first CommitLog file).
 * No vitest imports.
 */
import path from 'node:path';
import { LineDrivenJvm, MQADMIN_DIR, mqadminClasspath, type MqadminVersion } from './mqadmin.js';

export interface AdminCommand {
  /** The subcommand, with "#label" when it appears more than once (updateOrderConf#put). */
  id: string;
  args: string[];
  /** Seconds before the runner stops it: only commands that never return on their own get a short one. */
  timeoutS?: number;
}

const c = (id: string, args = '', timeoutS?: number): AdminCommand => ({ id, args: args ? args.split(' ') : [], timeoutS });

/** Both versions, in the order run; commands that change shared state undo it (wipe/add write perm). */
const COMMON_HEAD: AdminCommand[] = [
  c('updateTopic', '-c {cluster} -t AllTopic2 -r 4 -w 4'),
  c('deleteTopic', '-c {cluster} -t AllTopic2'),
  c('updateSubGroup', '-c {cluster} -g AllCfgGroup -r 3'),
  c('deleteSubGroup', '-c {cluster} -g AllCfgGroup'),
  c('updateBrokerConfig', '-b {brokerAddr} -k fileReservedTime -v 48'),
  c('updateTopicPerm', '-c {cluster} -t {topic} -p 6'),
  c('topicRoute', '-t {topic}'),
  c('topicStatus', '-t {topic}'),
  c('topicClusterList', '-t {topic}'),
  c('brokerStatus', '-b {brokerAddr}'),
];

const COMMON_MESSAGES: AdminCommand[] = [
  c('queryMsgByKey', '-t {topic} -k {key}'),
  c('queryMsgByUniqueKey', '-t {topic} -i {uniqId}'),
  c('queryMsgByOffset', '-t {topic} -b {broker} -i {queueId} -o {offset}'),
  c('queryMsgTraceById', '-i {uniqId}'),
  c('printMsg', '-t {topic}'),
  c('printMsgByQueue', '-t {topic} -a {broker} -i {queueId}'),
  c('sendMsgStatus', '-b {broker} -c 2'),
  c('brokerConsumeStats', '-b {brokerAddr}'),
  c('producerConnection', '-g {pgroup} -t {topic}'),
  c('consumerConnection', '-g {group}'),
  c('consumerProgress', '-g {group}'),
  c('consumerStatus', '-g {group}'),
  c('cloneGroupOffset', '-s {group} -d AllCloneGroup -t {topic}'),
  c('producer', '-b {brokerAddr}'),
  c('clusterList', ''),
  c('topicList', ''),
  c('updateKvConfig', '-s AllNs -k k1 -v v1'),
  c('deleteKvConfig', '-s AllNs -k k1'),
  c('wipeWritePerm', '-b {broker}'),
  c('addWritePerm', '-b {broker}'),
  c('resetOffsetByTime', '-g {group} -t {topic} -s {now}'),
  c('skipAccumulatedMessage', '-g {group} -t {topic}'),
  c('updateOrderConf#put', '-t {topic} -m put -v {broker}:4'),
  c('updateOrderConf#get', '-t {topic} -m get'),
  c('updateOrderConf#delete', '-t {topic} -m delete'),
  c('cleanExpiredCQ', '-c {cluster}'),
  c('deleteExpiredCommitLog', '-c {cluster}'),
  c('cleanUnusedTopic', '-c {cluster}'),
  // Starts a monitoring consumer and returns; the service keeps running (a user stops it with Ctrl-C).
  c('startMonitoring', '', 4),
  c('statsAll', '-t {topic}'),
  c('allocateMQ', '-t {topic} -i 127.0.0.1,127.0.0.2'),
  c('checkMsgSendRT', '-t {topic} -a 5 -s 64'),
  // Sends and prints a round every -i seconds until stopped.
  c('clusterRT', '-a 2 -s 64 -c {cluster} -i 1', 4),
  c('getNamesrvConfig', ''),
  c('updateNamesrvConfig', '-k orderMessageEnable -v false'),
  c('getBrokerConfig', '-b {brokerAddr}'),
  c('getConsumerConfig', '-g {group}'),
  c('queryCq', '-t {topic} -q 0 -i 0 -c 5 -b {brokerAddr}'),
  c('sendMessage', '-t {topic} -p hello -k AllSendKey'),
  c('consumeMessage', '-t {topic} -c 3'),
  c('exportMetadata', '-c {cluster} -f {work}/export'),
  c('exportConfigs', '-c {cluster} -f {work}/export'),
  c('exportMetrics', '-c {cluster} -f {work}/export'),
];

const V4: AdminCommand[] = [
  ...COMMON_HEAD,
  c('queryMsgById', '-i {msgId}'),
  ...COMMON_MESSAGES,
  c('updateAclConfig', '-b {brokerAddr} -a AllUser -s 12345678 -t {topic}=PUB'),
  c('deleteAclConfig', '-b {brokerAddr} -a AllUser'),
  c('clusterAclConfigVersion', '-c {cluster}'),
  c('updateGlobalWhiteAddr', '-b {brokerAddr} -g 10.10.10.*'),
];

const V5: AdminCommand[] = [
  ...COMMON_HEAD,
  c('updateTopicList', '-c {cluster} -f {work}/topics.json'),
  c('updateSubGroupList', '-c {cluster} -f {work}/groups.json'),
  c('setConsumeMode', '-c {cluster} -t {topic} -g AllPopGroup -m POP -q 2'),
  c('addBroker', '-c {brokerAddr} -b {work}/added-broker.conf'),
  c('removeBroker', '-c {brokerAddr} -b {cluster}:broker-x:0'),
  c('resetMasterFlushOffset', '-b {brokerAddr} -o 0'),
  c('queryMsgById', '-t {topic} -i {msgId}'),
  ...COMMON_MESSAGES,
  c('updateStaticTopic', '-t AllStatic -qn 4 -c {cluster}'),
  c('remappingStaticTopic', '-t AllStatic -c {cluster}'),
  c('exportMetadataInRocksDB', '-p {work}/rocksdb -t topics'),
  c('exportPopRecord', '-b {brokerAddr} -d true'),
  c('haStatus', '-b {brokerAddr}'),
  // The controller commands point at the NameServer: no controller runs in this setup (nor by default).
  c('getSyncStateSet', '-a {ns} -b {broker}'),
  c('getBrokerEpoch', '-b {broker}'),
  c('getControllerMetaData', '-a {ns}'),
  c('getControllerConfig', '-a {ns}'),
  c('updateControllerConfig', '-a {ns} -k scanNotActiveBrokerInterval -v 5000'),
  c('electMaster', '-a {ns} -b 1 -bn {broker} -c {cluster}'),
  c('cleanBrokerMetadata', '-a {ns} -bn {broker} -c {cluster} -b 1'),
  // Reads a file locally; a compaction log holds CommitLog records, so the broker's first CommitLog file is one.
  c('dumpCompactionLog', '-f {commitLogFile}'),
  c('getColdDataFlowCtrInfo', '-b {brokerAddr}'),
  c('updateColdDataFlowCtrGroupConfig', '-b {brokerAddr} -g {group} -v 100'),
  c('removeColdDataFlowCtrGroupConfig', '-b {brokerAddr} -g {group}'),
  c('setCommitLogReadAheadMode', '-b {brokerAddr} -m 0'),
  c('createUser', '-b {brokerAddr} -u alluser -p secret1'),
  c('updateUser', '-b {brokerAddr} -u alluser -p secret2'),
  c('getUser', '-b {brokerAddr} -u alluser'),
  c('listUser', '-b {brokerAddr}'),
  c('copyUser', '-f {brokerAddr} -t {brokerAddr}'),
  c('createAcl', '-b {brokerAddr} -s User:alluser -r Topic:{topic} -a Pub -d Allow'),
  c('updateAcl', '-b {brokerAddr} -s User:alluser -r Topic:{topic} -a Pub,Sub -d Allow'),
  c('getAcl', '-b {brokerAddr} -s User:alluser'),
  c('listAcl', '-b {brokerAddr}'),
  c('copyAcl', '-f {brokerAddr} -t {brokerAddr}'),
  c('deleteAcl', '-b {brokerAddr} -s User:alluser'),
  c('deleteUser', '-b {brokerAddr} -u alluser'),
  c('rocksDBConfigToJson', '-c {cluster} -t topics'),
  c('checkRocksdbCqWriteProgress', '-c {cluster} -t {topic}'),
];

export const ADMIN_COMMANDS: Record<MqadminVersion, AdminCommand[]> = { '4.9.8': V4, '5.3.3': V5 };

/** What a command ended as: "ok", or the failure that ended it ("timeout" for those stopped on purpose). */
export interface AdminResult {
  id: string;
  argv: string[];
  status: string;
  output: string;
  /** Wall time of the command in the tool JVM, as the runner saw it. */
  ms: number;
}

const COMMAND_TIMEOUT_S_DEFAULT = 40;
const START_TIMEOUT_MS = 120_000;

/** One JVM running MqadminAll.java for one tool version. */
export class MqadminAllSession {
  private constructor(private readonly jvm: LineDrivenJvm, readonly namesrvAddr: string) {}

  static async start(version: MqadminVersion, namesrvAddr: string, workDir: string): Promise<MqadminAllSession> {
    const cp = await mqadminClasspath(version);
    const jvm = new LineDrivenJvm(`mqadmin-all ${version}`, [
      '-Xms64m', '-Xmx384m', '-XX:TieredStopAtLevel=1', '-Djava.security.manager=allow',
      `-Duser.home=${workDir}`,
      `-Drocketmq.home.dir=${MQADMIN_DIR}`,
      `-Drmq.logback.configurationFile=${path.join(MQADMIN_DIR, 'conf', 'logback_tools.xml')}`,
      '-Duser.language=en',
      '-cp', cp,
      path.join(MQADMIN_DIR, 'MqadminAll.java'),
    ], workDir);
    return new MqadminAllSession(jvm, namesrvAddr);
  }

  private n = 0;

  /** Runs `mqadmin <argv...> -n <namesrv>`. */
  async run(id: string, argv: string[], timeoutS = COMMAND_TIMEOUT_S_DEFAULT): Promise<AdminResult> {
    const n = this.n++;
    const started = Date.now();
    const from = this.jvm.output.length;
    const [command, ...rest] = argv;
    this.jvm.send([String(n), String(timeoutS), command, '-n', this.namesrvAddr, ...rest].join('\t'));
    const text = await this.jvm.waitFor(from, new RegExp(`@@@ END ${n} ([^\\n]*)\\n`), (timeoutS + 10) * 1000 + (n === 0 ? START_TIMEOUT_MS : 0));
    const begin = text.indexOf(`@@@ BEGIN ${n}\n`);
    const end = text.lastIndexOf(`@@@ END ${n} `);
    const status = text.slice(end + `@@@ END ${n} `.length).trim();
    return { id, argv, status, output: text.slice(begin + `@@@ BEGIN ${n}\n`.length, end), ms: Date.now() - started };
  }

  stop(): Promise<void> {
    return this.jvm.stop();
  }
}

/** Fills the placeholders of a command's arguments. */
export function fillArgs(cmd: AdminCommand, values: Record<string, string>): string[] {
  const name = cmd.id.split('#')[0];
  return [name, ...cmd.args.map((a) => a.replace(/\{(\w+)\}/g, (_, k: string) => {
    if (!(k in values)) throw new Error(`no value for {${k}} in ${cmd.id}`);
    return values[k];
  }))];
}
