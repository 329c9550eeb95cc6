import { EntitySchema } from 'typeorm';
import type { PartyCertificates, PartyQueues, PartyType, RegistryRecord } from './types.js';

/**
 * One communication party of the imported registry snapshot, as written in the file: queues and
 * certificates are the party's own (null = inherit from the parent), certificate paths are absolute.
 */
export interface PartyRow {
  herId: number;
  name: string;
  type: PartyType;
  parentHerId: number | null;
  organizationNumber: string | null;
  hprNumber: string | null;
  active: boolean;
  processes: string[];
  queues: PartyQueues | null;
  certificates: PartyCertificates | null;
  /** Path of the registry.json the row was imported from. */
  source: string;
  /** ISO-8601 UTC; changes only when the row's content changes. */
  importedAt: string;
}

/** A HER-id served by this Timebok (docs/decisions.md §1). */
export interface OurPartyRow {
  herId: number;
}

export const PartyEntity = new EntitySchema<PartyRow>({
  name: 'RegistryParty',
  tableName: 'registry_party',
  columns: {
    herId: { type: 'integer', primary: true },
    name: { type: 'varchar', length: 500 },
    type: { type: 'varchar', length: 20 },
    parentHerId: { type: 'integer', nullable: true },
    organizationNumber: { type: 'varchar', length: 20, nullable: true },
    hprNumber: { type: 'varchar', length: 20, nullable: true },
    active: { type: 'boolean' },
    processes: { type: 'simple-json' },
    queues: { type: 'simple-json', nullable: true },
    certificates: { type: 'simple-json', nullable: true },
    source: { type: 'varchar', length: 4096 },
    importedAt: { type: 'varchar', length: 32 },
  },
  indices: [{ name: 'IDX_registry_party_parent', columns: ['parentHerId'] }],
});

export const OurPartyEntity = new EntitySchema<OurPartyRow>({
  name: 'RegistryOurParty',
  tableName: 'registry_our_party',
  columns: {
    herId: { type: 'integer', primary: true },
  },
});

/** The registry stage's entities, for `Database.open` (listed in src/db/schema.ts). */
export const registryEntities: EntitySchema[] = [
  PartyEntity as unknown as EntitySchema,
  OurPartyEntity as unknown as EntitySchema,
];

/** The record a row holds (without the import bookkeeping). */
export function rowToRecord(row: PartyRow): RegistryRecord {
  return {
    herId: Number(row.herId),
    name: row.name,
    type: row.type,
    parentHerId: row.parentHerId === null ? null : Number(row.parentHerId),
    organizationNumber: row.organizationNumber,
    hprNumber: row.hprNumber,
    active: Boolean(row.active),
    processes: row.processes,
    queues: row.queues,
    certificates: row.certificates,
  };
}
