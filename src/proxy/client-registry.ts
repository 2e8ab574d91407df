/**
 * The gRPC clients the proxy knows, by x-mq-client-id (GrpcClientSettingsManager + GrpcChannelManager
 * in the Apache proxy): each one's Settings as its Telemetry stream last sent them, its open
 * Telemetry stream (where server-initiated commands go: RecoverOrphanedTransactionCommand,
 * PrintThreadStackTraceCommand, VerifyMessageCommand), and when it was last heard from. A client
 * silent for grpcClientIdleTimeMills is dropped, as the proxy drops idle channels.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { RequestMeta } from './request-meta.js';

export type ClientType = 'PRODUCER' | 'PUSH_CONSUMER' | 'SIMPLE_CONSUMER' | 'PULL_CONSUMER' | 'CLIENT_TYPE_UNSPECIFIED';

export interface ClientState {
  readonly clientId: string;
  language: string;
  clientVersion: string;
  remoteAddr: string;
  /** The client's Settings as decoded from its last Telemetry settings command (camelCase, enum names). */
  settings?: any;
  clientType: ClientType;
  /** Topics a producer publishes to (settings.publishing.topics names): also its producer groups. */
  producerTopics: string[];
  /** A consumer's group (settings.subscription.group name, or the heartbeat's group). */
  consumerGroup?: string;
  telemetry?: ServerDuplexStream<any, any>;
  lastSeenMs: number;
}

export type ClientListener = (client: ClientState, event: 'settings' | 'removed') => void;

export class ClientRegistry {
  private readonly clients = new Map<string, ClientState>();
  private readonly listeners: ClientListener[] = [];

  /** The client's state, created on first sight; refreshes its last-seen time and address. */
  touch(meta: RequestMeta): ClientState {
    let c = this.clients.get(meta.clientId);
    if (!c) {
      c = {
        clientId: meta.clientId, language: meta.language, clientVersion: meta.clientVersion, remoteAddr: meta.remoteAddr,
        clientType: 'CLIENT_TYPE_UNSPECIFIED', producerTopics: [], lastSeenMs: Date.now(),
      };
      this.clients.set(meta.clientId, c);
    }
    c.lastSeenMs = Date.now();
    c.remoteAddr = meta.remoteAddr || c.remoteAddr;
    return c;
  }

  get(clientId: string): ClientState | undefined {
    return this.clients.get(clientId);
  }

  /** Records a client's Settings (from Telemetry) and tells the listeners. */
  setSettings(client: ClientState, settings: any): void {
    client.settings = settings;
    client.clientType = (settings?.clientType ?? 'CLIENT_TYPE_UNSPECIFIED') as ClientType;
    if (settings?.pubSub === 'publishing') {
      client.producerTopics = (settings.publishing?.topics ?? []).map((t: { name: string }) => t.name);
    } else if (settings?.pubSub === 'subscription') {
      client.consumerGroup = settings.subscription?.group?.name || client.consumerGroup;
    }
    for (const l of this.listeners) l(client, 'settings');
  }

  /** Clients publishing to `topic` (the producer group the proxy uses is the topic name) with an open Telemetry stream. */
  producersWithTelemetry(topic: string): ClientState[] {
    const out: ClientState[] = [];
    for (const c of this.clients.values()) if (c.telemetry && c.producerTopics.includes(topic)) out.push(c);
    return out;
  }

  /** Every client whose consumer group is `group`. */
  consumersOf(group: string): ClientState[] {
    const out: ClientState[] = [];
    for (const c of this.clients.values()) if (c.consumerGroup === group) out.push(c);
    return out;
  }

  /** Producer groups (topic names) that clients with settings publish to. */
  producerTopics(): Set<string> {
    const out = new Set<string>();
    for (const c of this.clients.values()) for (const t of c.producerTopics) out.add(t);
    return out;
  }

  /** Writes one TelemetryCommand to the client's stream; false when it has none open. */
  sendTelemetry(clientId: string, command: object): boolean {
    const c = this.clients.get(clientId);
    if (!c?.telemetry) return false;
    try {
      c.telemetry.write(command);
      return true;
    } catch {
      return false;
    }
  }

  remove(clientId: string): ClientState | undefined {
    const c = this.clients.get(clientId);
    if (!c) return undefined;
    this.clients.delete(clientId);
    for (const l of this.listeners) l(c, 'removed');
    return c;
  }

  /** Listen to settings changes and removals (the consumer side tracks its groups this way). */
  onChange(listener: ClientListener): void {
    this.listeners.push(listener);
  }

  /** Drops clients idle past `idleMs` that have no open Telemetry stream. */
  sweep(idleMs: number, nowMs = Date.now()): void {
    for (const c of [...this.clients.values()]) {
      if (!c.telemetry && nowMs - c.lastSeenMs > idleMs) this.remove(c.clientId);
    }
  }

  /** Ends every open Telemetry stream with status OK (the endpoint is stopping; the SDKs reconnect elsewhere or later). */
  endStreams(): void {
    for (const c of this.clients.values()) {
      const call = c.telemetry;
      c.telemetry = undefined;
      try {
        call?.end();
      } catch {
        // already closed
      }
    }
  }

  all(): IterableIterator<ClientState> {
    return this.clients.values();
  }
}
