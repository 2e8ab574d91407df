import path from 'node:path';
import type { BrokerConfig } from '../../config/broker-config.js';
import { StateFile } from '../../config/persist.js';
import { parseFastJson, toFastJsonPretty } from '../../codec/fastjson.js';

/** SetMessageRequestModeRequestBody: how a group consumes a topic (MessageRequestMode PULL or POP). */
export interface MessageRequestModeBody {
  topic: string;
  consumerGroup: string;
  mode: 'PULL' | 'POP';
  popShareQueueNum: number;
}

type FileShape = { messageRequestModeMap?: Record<string, Record<string, MessageRequestModeBody>> };

/**
 * SET_MESSAGE_REQUEST_MODE settings per topic and group, persisted as config/messageRequestMode.json
 * in MessageRequestModeManager's shape (`messageRequestModeMap: {topic: {group: body}}`,
 * BrokerPathConfigHelper#getMessageRequestModePath).
 */
export class MessageRequestModeManager {
  private readonly map = new Map<string, Map<string, MessageRequestModeBody>>();
  private readonly state: StateFile<FileShape>;

  constructor(config: BrokerConfig) {
    const file = path.join(config.storePathRootDir, 'config', 'messageRequestMode.json');
    const render = (): string => {
      const obj: Record<string, Record<string, MessageRequestModeBody>> = {};
      for (const [t, groups] of this.map) obj[t] = Object.fromEntries(groups);
      return toFastJsonPretty({ messageRequestModeMap: obj });
    };
    this.state = new StateFile(file, render, parseFastJson);
  }

  load(): void {
    const obj = this.state.load();
    for (const [topic, groups] of Object.entries(obj?.messageRequestModeMap ?? {})) {
      for (const [group, b] of Object.entries(groups)) {
        const mode = b.mode === 'POP' ? 'POP' : 'PULL';
        this.set({ topic, consumerGroup: group, mode, popShareQueueNum: Number(b.popShareQueueNum ?? 0) }, false);
      }
    }
  }

  get(topic: string, group: string): MessageRequestModeBody | undefined {
    return this.map.get(topic)?.get(group);
  }

  /** Records a setting; written to disk before the caller answers (`persist`). */
  set(b: MessageRequestModeBody, write = true): void {
    let groups = this.map.get(b.topic);
    if (!groups) this.map.set(b.topic, (groups = new Map()));
    groups.set(b.consumerGroup, b);
    if (write) this.state.changed();
  }

  persist(): Promise<boolean> {
    return this.state.flush();
  }
}
