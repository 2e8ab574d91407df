/**
 * How a controller-mode broker gets and keeps its controller id (ReplicasManager#register):
 *   1. the identity file exists → the id is known; else the temp file exists → an id was being applied for;
 *   2. neither: CONTROLLER_GET_NEXT_BROKER_ID, then the temp file (id + `brokerAddr;nowMs` check code);
 *   3. CONTROLLER_APPLY_BROKER_ID with the temp file's id and code; refused → temp file gone, back to 2;
 *      accepted → the identity file written, the temp file removed;
 *   4. CONTROLLER_REGISTER_BROKER (this address under that id): the answer names the set's master, if any.
 * Each file step survives a crash: a restart resumes from the file found. Files naming another cluster or
 * broker name stop registration (the operator must fix the config or remove the files).
 */
import type { BrokerConfig } from '../../config/broker-config.js';
import type { AutoSwitchHa } from '../../store/ha/autoswitch/types.js';
import type { ControllerApi, MasterInfo } from './controller-api.js';
import {
  type BrokerIdentityData, type IdentityFile, type TempBrokerIdentityData, brokerIdentityFile, tempBrokerIdentityFile,
} from './identity-files.js';
import { log } from '../../logger.js';

export type RegisterState = 'INITIAL' | 'CREATE_TEMP_METADATA_FILE_DONE' | 'CREATE_METADATA_FILE_DONE' | 'REGISTERED';

/** What registration reads from and hands back to the controller client (ReplicasManager). */
export interface RegistrationHost {
  readonly config: BrokerConfig;
  readonly api: ControllerApi;
  readonly controllerLeaderAddress: string;
  readonly brokerAddr: string;
  readonly ha: AutoSwitchHa;
  /** Set once the identity file holds the controller's id. */
  brokerControllerId: number | undefined;
  /** The controller's answer to CONTROLLER_REGISTER_BROKER names the set's master, if any. */
  applyMaster(r: MasterInfo): Promise<void>;
}

export class Registration {
  state: RegisterState = 'INITIAL';
  readonly identity: IdentityFile<BrokerIdentityData>;
  readonly temp: IdentityFile<TempBrokerIdentityData>;
  private tempData: TempBrokerIdentityData | undefined;
  private idData: BrokerIdentityData | undefined;

  constructor(
    private readonly m: RegistrationHost,
    identityPath: string,
  ) {
    this.identity = brokerIdentityFile(identityPath);
    this.temp = tempBrokerIdentityFile(identityPath);
  }

  /** One registration attempt; true when the controller has this broker registered. */
  async register(): Promise<boolean> {
    try {
      await this.confirmState();
      if (!this.valid()) return false;
      if (this.state === 'INITIAL') {
        const c = this.m.config;
        const next = await this.m.api.getNextBrokerId(this.m.controllerLeaderAddress, c.brokerClusterName, c.brokerName);
        if (next === undefined) return false;
        this.tempData = {
          clusterName: c.brokerClusterName, brokerName: c.brokerName, brokerId: next, registerCheckCode: `${this.m.brokerAddr};${Date.now()}`,
        };
        await this.temp.write(this.tempData);
        this.state = 'CREATE_TEMP_METADATA_FILE_DONE';
      }
      if (this.state === 'CREATE_TEMP_METADATA_FILE_DONE') {
        if (!(await this.applyBrokerId())) return false;
        this.state = 'CREATE_METADATA_FILE_DONE';
      }
      if (this.state === 'CREATE_METADATA_FILE_DONE') {
        if (!(await this.registerBrokerToController())) return false;
        this.state = 'REGISTERED';
      }
      return true;
    } catch (e) {
      log.warn(`controller: register failed: ${(e as Error).message}`);
      return false;
    }
  }

  /** confirmNowRegisteringState: the files say how far an earlier attempt (or run) got. */
  private async confirmState(): Promise<void> {
    const id = await this.identity.read();
    if (id) {
      this.state = 'CREATE_METADATA_FILE_DONE';
      this.idData = id;
      this.useId(id);
      return;
    }
    this.tempData = await this.temp.read();
    if (this.tempData) this.state = 'CREATE_TEMP_METADATA_FILE_DONE';
  }

  /** checkMetadataValid: the file's cluster and broker name must be the config's. */
  private valid(): boolean {
    const c = this.m.config;
    const d = this.state === 'CREATE_TEMP_METADATA_FILE_DONE' ? this.tempData : this.state === 'CREATE_METADATA_FILE_DONE' ? this.idData : undefined;
    if (!d) return true;
    if (d.clusterName !== c.brokerClusterName || d.brokerName !== c.brokerName) {
      log.error(`controller: identity file names ${d.clusterName}/${d.brokerName}, the config ${c.brokerClusterName}/${c.brokerName}: fix the config or remove the file`);
      return false;
    }
    return true;
  }

  private async applyBrokerId(): Promise<boolean> {
    const t = this.tempData;
    if (!t) return false;
    const c = this.m.config;
    try {
      await this.m.api.applyBrokerId(this.m.controllerLeaderAddress, c.brokerClusterName, c.brokerName, t.brokerId, t.registerCheckCode);
    } catch (e) {
      // The id went to another broker meanwhile: start over with a new one.
      log.warn(`controller: broker id ${t.brokerId} not applied: ${(e as Error).message}`);
      await this.temp.clear();
      this.tempData = undefined;
      this.state = 'INITIAL';
      return false;
    }
    const id = { clusterName: c.brokerClusterName, brokerName: c.brokerName, brokerId: t.brokerId };
    await this.identity.write(id);
    await this.temp.clear();
    this.idData = id;
    this.useId(id);
    return true;
  }

  private useId(id: BrokerIdentityData): void {
    this.m.brokerControllerId = id.brokerId;
    this.m.ha.setLocalBrokerId(id.brokerId);
  }

  /** CONTROLLER_REGISTER_BROKER, then the master it names (if any) is applied. Call inside `exclusive`. */
  async registerBrokerToController(): Promise<boolean> {
    const id = this.m.brokerControllerId;
    if (id === undefined) return false;
    const c = this.m.config;
    try {
      const r = await this.m.api.registerBroker(this.m.controllerLeaderAddress, c.brokerClusterName, c.brokerName, id, this.m.brokerAddr);
      await this.m.applyMaster(r);
      return true;
    } catch (e) {
      log.warn(`controller: register broker ${id} failed: ${(e as Error).message}`);
      return false;
    }
  }
}
