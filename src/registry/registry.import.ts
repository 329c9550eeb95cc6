import path from 'node:path';
import { In, type EntityManager } from 'typeorm';
import type { Database } from '../db/database.js';
import type { Clock } from '../shared/clock.js';
import { TimebokError } from '../shared/errors.js';
import { OurPartyEntity, PartyEntity, rowToRecord, type PartyRow } from './registry.entities.js';
import type { RegistryFile } from './registry.file.js';
import type { RegistryRecord } from './types.js';

export interface RegistryImportSummary {
  added: number;
  updated: number;
  /** Parties in the database that are no longer in the file: deleted. */
  removed: number;
  unchanged: number;
}

/** Rows per statement: well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 200;

/**
 * Makes the registry cache equal to `file` (already validated by `parseRegistryFile`), in one
 * transaction.
 *
 * The file is a full snapshot, so a party that is not in it is **deleted**, whatever file it came from:
 * from then on it is unknown, exactly as if Adresseregisteret had removed it (its messages get E21; a
 * sender gets `transport:invalid-field-value`). Nothing else references registry rows, so nothing
 * dangles; appointments keep the HER-ids they were booked with.
 *
 * Idempotent: a row is written only when its content or source path differs, and only then does its
 * `importedAt` change, so importing the same file twice changes nothing.
 *
 * A running `RegistryService` keeps its cache until the TTL ends: call `invalidate()` on it after an
 * import that must be seen at once.
 */
export async function importRegistry(
  db: Database,
  file: RegistryFile,
  sourcePath: string,
  clock: Clock,
): Promise<RegistryImportSummary> {
  const source = path.resolve(sourcePath);
  const importedAt = clock.now().toISOString();
  return db.transaction(async (em) => {
    const existing = new Map((await em.find(PartyEntity)).map((row) => [Number(row.herId), row]));
    const toInsert: PartyRow[] = [];
    const toUpdate: PartyRow[] = [];
    let unchanged = 0;
    for (const record of file.parties) {
      const row: PartyRow = { ...copyRecord(record), source, importedAt };
      const before = existing.get(record.herId);
      existing.delete(record.herId);
      if (before === undefined) toInsert.push(row);
      else if (sameContent(before, row)) unchanged += 1;
      else toUpdate.push(row);
    }
    const gone = [...existing.keys()];
    for (const chunk of chunks(gone)) await em.delete(PartyEntity, { herId: In(chunk) });
    for (const chunk of chunks(toInsert)) await em.insert(PartyEntity, chunk);
    for (const row of toUpdate) await em.update(PartyEntity, { herId: row.herId }, updateColumns(row));
    return { added: toInsert.length, updated: toUpdate.length, removed: gone.length, unchanged };
  });
}

/**
 * Declares which HER-ids this Timebok serves (docs/decisions.md §1: timebook owners plus configured ones): after
 * the call the set is exactly `herIds`. Idempotent.
 *
 * @throws TimebokError `ERR_CONFIG` for a HER-id that is not a positive integer.
 */
export async function setOurParties(db: Database, herIds: readonly number[]): Promise<void> {
  for (const herId of herIds) {
    if (!Number.isSafeInteger(herId) || herId <= 0) {
      throw new TimebokError('ERR_CONFIG', `our parties: ${String(herId)} is not a HER-id`);
    }
  }
  const wanted = new Set(herIds);
  await db.transaction(async (em: EntityManager) => {
    const current = new Set((await em.find(OurPartyEntity)).map((r) => Number(r.herId)));
    const gone = [...current].filter((h) => !wanted.has(h));
    const added = [...wanted].filter((h) => !current.has(h));
    for (const chunk of chunks(gone)) await em.delete(OurPartyEntity, { herId: In(chunk) });
    for (const chunk of chunks(added)) await em.insert(OurPartyEntity, chunk.map((herId) => ({ herId })));
  });
}

function copyRecord(r: RegistryRecord): RegistryRecord {
  return {
    herId: r.herId,
    name: r.name,
    type: r.type,
    parentHerId: r.parentHerId,
    organizationNumber: r.organizationNumber,
    hprNumber: r.hprNumber,
    active: r.active,
    processes: [...r.processes],
    queues: r.queues === null ? null : { async: r.queues.async, sync: r.queues.sync, error: r.queues.error },
    certificates:
      r.certificates === null
        ? null
        : { signing: r.certificates.signing, encryption: r.certificates.encryption },
  };
}

/** Compares what the row says, in a canonical form (fixed key order), ignoring `importedAt`. */
function sameContent(stored: PartyRow, next: PartyRow): boolean {
  const canonical = (row: PartyRow): string =>
    JSON.stringify([copyRecord(rowToRecord(row)), row.source]);
  return canonical(stored) === canonical(next);
}

function updateColumns(row: PartyRow): Omit<PartyRow, 'herId'> {
  const { herId: _herId, ...columns } = row;
  return columns;
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}
