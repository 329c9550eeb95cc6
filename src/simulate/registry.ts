/**
 * The simulator's view of Adresseregisteret: the registry.json snapshot the practice system uses, read
 * with Timebok's own parser, with queues and certificates inherited from the parent chain (as AR does).
 * It answers three questions: who is this HER-id (names for MsgHead addressing), which queues does it
 * read, and which certificates does it sign and encrypt with.
 */
import { readFileSync } from 'node:fs';
import { loadRegistryFile } from '../registry/registry.file.js';
import type { PartyQueues, RegistryRecord } from '../registry/types.js';
import type { Address, AddressLevel } from '../reply/addressing.js';
import { SimulatorError } from './errors.js';

export interface ResolvedParty {
  record: RegistryRecord;
  parent: RegistryRecord | null;
  queues: PartyQueues;
  /** The party whose own queues these are (the party itself, or the ancestor it inherits them from). */
  queueOwnerHerId: number;
  signingCertificatePem: string[];
  encryptionCertificatePem: string | null;
  address: Address;
}

export class SimRegistry {
  private constructor(private readonly byHerId: ReadonlyMap<number, RegistryRecord>) {}

  static async load(file: string): Promise<SimRegistry> {
    const parsed = await loadRegistryFile(file);
    return new SimRegistry(new Map(parsed.parties.map((p) => [p.herId, p])));
  }

  static fromRecords(records: RegistryRecord[]): SimRegistry {
    return new SimRegistry(new Map(records.map((p) => [p.herId, p])));
  }

  has(herId: number): boolean {
    return this.byHerId.has(herId);
  }

  /** @throws SimulatorError SIM_REGISTRY when the HER-id is not in the registry. */
  resolve(herId: number): ResolvedParty {
    const record = this.byHerId.get(herId);
    if (!record) throw new SimulatorError('SIM_REGISTRY', `HER-id ${herId} is not in the registry file`);
    const parent = record.parentHerId === null ? null : this.byHerId.get(record.parentHerId) ?? null;
    let queues = record.queues;
    let certificates = record.certificates;
    let queueOwnerHerId = herId;
    for (let up = record.parentHerId, depth = 0; (queues === null || certificates === null) && up !== null && depth < 16; depth += 1) {
      const ancestor = this.byHerId.get(up);
      if (!ancestor) break;
      if (queues === null && ancestor.queues !== null) queueOwnerHerId = ancestor.herId;
      queues ??= ancestor.queues;
      certificates ??= ancestor.certificates;
      up = ancestor.parentHerId;
    }
    return {
      record,
      parent,
      // Without registered queues the convention of docs/amqp.md applies.
      queues: queues ?? { sync: `${herId}_sync`, async: `${herId}_async`, error: `${herId}_error` },
      queueOwnerHerId,
      signingCertificatePem: certificates?.signing ? readPemFile(certificates.signing) : [],
      encryptionCertificatePem: certificates?.encryption ? (readPemFile(certificates.encryption)[0] ?? null) : null,
      address: addressOf(record, parent),
    };
  }
}

function readPemFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new SimulatorError('SIM_REGISTRY', `certificate file ${path} named in the registry cannot be read`);
  }
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => `${m[0]}\n`);
}

function level(p: RegistryRecord): AddressLevel {
  return {
    herId: p.herId,
    name: p.name,
    kind: p.type === 'Person' ? 'person' : 'organisation',
    organisationNumber: p.organizationNumber,
    hprNumber: p.hprNumber,
  };
}

function addressOf(record: RegistryRecord, parent: RegistryRecord | null): Address {
  return parent === null ? { level1: level(record), level2: null } : { level1: level(parent), level2: level(record) };
}
