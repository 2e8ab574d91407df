import { RemotingClient, type RemotingClientOptions } from '../../remoting/client.js';
import { createRequest } from '../../remoting/command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { crc32 } from '../../codec/crc32.js';
import { encodeRegisterBrokerBodySliced } from '../../codec/register-broker-body.js';
import type { DataVersion } from '../../protocol/data-version.js';
import { log } from '../../logger.js';

export interface BrokerIdentity {
  clusterName: string;
  brokerName: string;
  brokerId: number;
  brokerAddr: string;
  haServerAddr: string;
}

export interface RegisterResult {
  accepted: number;
  /** The first accepted answer (BrokerController#doRegisterBrokerAll uses the first). */
  first?: { masterAddr?: string; haServerAddr?: string };
}

/** Broker → NameServer calls (broker/out/BrokerOuterAPI.java). */
export class BrokerOuterAPI {
  private readonly client: RemotingClient;

  constructor(
    private readonly timeoutMs: number,
    options: RemotingClientOptions = {},
  ) {
    this.client = new RemotingClient(undefined, options);
  }

  /**
   * REGISTER_BROKER to every namesrv in parallel; failures are logged, the next period retries. Returns how
   * many accepted, and the first answer's master addresses (a slave learns its master from them).
   */
  async registerBrokerAll(namesrvAddrs: string[], id: BrokerIdentity, dataVersion: DataVersion, topicConfigTable: Map<string, object>): Promise<RegisterResult> {
    const body = await encodeRegisterBrokerBodySliced(dataVersion, topicConfigTable);
    const results = await Promise.all(
      namesrvAddrs.map(async (addr) => {
        const req = createRequest(
          RequestCode.REGISTER_BROKER,
          {
            brokerAddr: id.brokerAddr,
            brokerId: String(id.brokerId),
            brokerName: id.brokerName,
            clusterName: id.clusterName,
            haServerAddr: id.haServerAddr,
            compressed: 'false',
            bodyCrc32: String(crc32(body)),
          },
          body,
        );
        try {
          const res = await this.client.invoke(addr, req, this.timeoutMs);
          if (res.code !== ResponseCode.SUCCESS) {
            log.warn(`broker: register to namesrv ${addr} refused: code ${res.code} ${res.remark ?? ''}`);
            return undefined;
          }
          // RegisterBrokerResponseHeader: absent when this broker is a master or its master is not alive.
          return { masterAddr: res.extFields?.masterAddr || undefined, haServerAddr: res.extFields?.haServerAddr || undefined };
        } catch (e) {
          log.warn(`broker: register to namesrv ${addr} failed: ${(e as Error).message}`);
          return undefined;
        }
      }),
    );
    const ok = results.filter((r) => r !== undefined);
    return { accepted: ok.length, first: ok[0] };
  }

  async unregisterBrokerAll(namesrvAddrs: string[], id: BrokerIdentity): Promise<void> {
    await Promise.all(
      namesrvAddrs.map(async (addr) => {
        const req = createRequest(RequestCode.UNREGISTER_BROKER, {
          brokerAddr: id.brokerAddr,
          brokerId: String(id.brokerId),
          brokerName: id.brokerName,
          clusterName: id.clusterName,
        });
        try {
          await this.client.invoke(addr, req, 3000);
        } catch (e) {
          log.warn(`broker: unregister from namesrv ${addr} failed: ${(e as Error).message}`);
        }
      }),
    );
  }

  close(): void {
    this.client.close();
  }
}
