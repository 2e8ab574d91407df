import type { ParseArgsConfig } from 'node:util';

/**
 * The CLI's commands and options, each with its help text: `--help` is built from these tables and the
 * argument parser from OPTIONS, so nothing the CLI accepts can be missing from its help.
 */
export interface CommandDoc {
  name: string;
  args: string;
  text: string[];
}

export interface OptionDoc {
  name: string;
  short?: string;
  /** The value's placeholder; none for a flag. */
  arg?: string;
  text: string[];
}

export const COMMANDS: CommandDoc[] = [
  {
    name: 'standalone',
    args: '[-c broker.conf] [--namesrv-port 9876] [--data ./data] [--console]',
    text: [
      'NameServer and broker in one process (and the gRPC endpoint, console and metrics when configured);',
      'data under --data (default ./data). The broker registers with the embedded NameServer.',
    ],
  },
  {
    name: 'namesrv',
    args: '[-c namesrv.conf]',
    text: ['A NameServer alone (keys: listenPort, kvConfigPath, ...).'],
  },
  {
    name: 'broker',
    args: '[-c broker.conf] [-n "addr;addr"]',
    text: [
      'A broker alone (Java broker.conf keys: brokerClusterName, brokerName, brokerId,',
      'namesrvAddr, listenPort, storePathRootDir, brokerIP1, flushDiskType, ...).',
    ],
  },
  {
    name: 'proxy',
    args: '-n <namesrv:port[;...]> [--grpc-port 8081] [-c proxy.conf]',
    text: [
      'The 5.x gRPC endpoint alone, in front of the brokers the NameServer knows (ours and Apache 4.9/5.x),',
      'as mqproxy runs in cluster mode (-c: ProxyConfig and tls.* keys).',
    ],
  },
];

export const OPTIONS: OptionDoc[] = [
  { name: 'config', short: 'c', arg: 'FILE', text: ['Java-style properties file (broker.conf or namesrv.conf)'] },
  { name: 'namesrv', short: 'n', arg: 'ADDRS', text: ['NameServer addresses, \';\'-separated (overrides namesrvAddr)'] },
  { name: 'namesrv-port', arg: 'PORT', text: ['standalone: the embedded NameServer\'s port (default 9876; 0 = a free one)'] },
  { name: 'data', arg: 'DIR', text: ['standalone: data directory (default ./data): store/ and namesrv/ under it'] },
  { name: 'grpc-port', arg: 'PORT', text: ['proxy: the gRPC port (default grpcServerPort from -c, else 8081; 0 = a free one)'] },
  {
    name: 'console',
    text: ['standalone: serve the web console (consoleEnable=true) on consoleListenAddress:consolePort,', 'default 127.0.0.1:8080 (`npm start` turns it on)'],
  },
  {
    name: 'log-level', arg: 'LEVEL',
    text: ['debug, info, warn or error (env ROCKETMQ_TS_LOG_LEVEL, else the logLevel key; default info)'],
  },
  {
    name: 'log-file', arg: 'FILE',
    text: ['log to FILE instead of stderr (env ROCKETMQ_TS_LOG_FILE); appended, and', 'rotated to FILE.1 .. FILE.3 when it would pass --log-file-max-bytes'],
  },
  {
    name: 'log-file-max-bytes', arg: 'N',
    text: ['size cap of the log file, bytes or with K/M/G (env ROCKETMQ_TS_LOG_FILE_MAX_BYTES,', 'default 64M)'],
  },
  {
    name: 'cpu-profile-dir', arg: 'DIR',
    text: ['SIGUSR2 starts a V8 CPU profile, the next SIGUSR2 writes it to DIR as', 'cpu-<pid>-<n>.cpuprofile (for profiling one phase of a benchmark)'],
  },
  { name: 'version', short: 'v', text: ['the package version'] },
  { name: 'help', short: 'h', text: ['this text'] },
];

/** Adds a command (the `proxy` command registers itself here) before the help is printed. */
export function addCommand(doc: CommandDoc): void {
  COMMANDS.push(doc);
}

export function parseArgsOptions(): NonNullable<ParseArgsConfig['options']> {
  const out: NonNullable<ParseArgsConfig['options']> = {};
  for (const o of OPTIONS) out[o.name] = { type: o.arg ? 'string' : 'boolean', ...(o.short ? { short: o.short } : {}) };
  return out;
}

export function usage(): string {
  const lines = ['usage: rocketmq-ts <command> [options]', '', 'commands:'];
  for (const c of COMMANDS) {
    lines.push(`  ${c.name} ${c.args}`);
    for (const t of c.text) lines.push(`      ${t}`);
  }
  lines.push('', 'options:');
  const heads = OPTIONS.map((o) => `  ${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.arg ? ` ${o.arg}` : ''}`);
  const column = Math.max(...heads.map((h) => h.length)) + 2;
  OPTIONS.forEach((o, n) => o.text.forEach((t, i) => lines.push(`${(i === 0 ? heads[n] : '').padEnd(column)}${t}`)));
  lines.push(
    '',
    'On start-up the log says what listens where, the store path, and each config key that differs from',
    'its default. SIGTERM or SIGINT shuts down cleanly (flush, unregister) within shutdownTimeoutMills',
    '(default 15000); a second signal, or the bound passing, exits at once and says which.',
  );
  return lines.join('\n') + '\n';
}
