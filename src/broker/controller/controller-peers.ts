/**
 * Which controllers this broker talks to (ReplicasManager#updateControllerAddr, #scanAvailableControllerAddresses,
 * #updateControllerMetadata): controllerAddr split on `;`, the reachable ones found by connecting (every
 * scan period), and the leader as any reachable controller names it (CONTROLLER_GET_METADATA_INFO). Every
 * request but the heartbeat goes to the leader; heartbeats go to every reachable controller.
 */
import type { ControllerApi } from './controller-api.js';
import { log } from '../../logger.js';

export class ControllerPeers {
  addresses: string[] = [];
  readonly available = new Set<string>();
  leaderAddress = '';

  constructor(
    private readonly api: ControllerApi,
    private readonly controllerAddr: () => string,
  ) {}

  updateAddresses(): void {
    this.addresses = this.controllerAddr().split(';').map((s) => s.trim()).filter((s) => s.length > 0);
    for (const a of [...this.available]) if (!this.addresses.includes(a)) this.available.delete(a);
  }

  async scan(): Promise<void> {
    await Promise.all(this.addresses.map(async (a) => {
      if (await this.api.reachable(a)) this.available.add(a);
      else if (this.available.delete(a)) log.warn(`controller: ${a} unreachable`);
    }));
  }

  /** CONTROLLER_GET_METADATA_INFO to each reachable controller until one names the leader. */
  async updateLeader(): Promise<boolean> {
    for (const addr of this.available) {
      try {
        const md = await this.api.getControllerMetadata(addr);
        if (md.controllerLeaderAddress) {
          if (md.controllerLeaderAddress !== this.leaderAddress) log.info(`controller: leader is ${md.controllerLeaderAddress}`);
          this.leaderAddress = md.controllerLeaderAddress;
          return true;
        }
      } catch (e) {
        log.warn(`controller: metadata from ${addr} failed: ${(e as Error).message}`);
      }
    }
    return false;
  }
}
