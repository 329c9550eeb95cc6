import path from 'node:path';
import type { Database } from '../../../src/db/database.js';
import { OurPartyEntity, PartyEntity, type PartyRow } from '../../../src/registry/registry.entities.js';
import { loadRegistryFile } from '../../../src/registry/registry.file.js';
import { importRegistry, setOurParties } from '../../../src/registry/registry.import.js';
import { FixedClock } from '../../../src/shared/clock.js';
import { TimebokError } from '../../../src/shared/errors.js';
import { DEMO_REGISTRY, openRegistryDb, registryFixture } from './helpers.js';

const T0 = new Date('2026-03-01T07:00:00Z');

async function rows(db: Database): Promise<PartyRow[]> {
  return db.manager.find(PartyEntity, { order: { herId: 'ASC' } });
}

describe('importRegistry', () => {
  let db: Database;
  let clock: FixedClock;
  beforeEach(async () => {
    db = await openRegistryDb();
    clock = new FixedClock(T0);
  });
  afterEach(async () => {
    await db.close();
  });

  it('stores every party as written in the file, with its source and import time', async () => {
    const summary = await importRegistry(db, await loadRegistryFile(DEMO_REGISTRY), DEMO_REGISTRY, clock);
    expect(summary).toEqual({ added: 8, updated: 0, removed: 0, unchanged: 0 });
    const office = (await rows(db)).find((r) => r.herId === 8142519);
    expect(office).toEqual({
      herId: 8142519,
      name: 'Testlegekontoret',
      type: 'Organization',
      parentHerId: null,
      organizationNumber: '999999999',
      hprNumber: null,
      active: true,
      processes: [],
      queues: { async: '8142519_async', sync: '8142519_sync', error: '8142519_error' },
      certificates: {
        signing: path.join(path.dirname(DEMO_REGISTRY), 'certs/8142519-sign.pem'),
        encryption: path.join(path.dirname(DEMO_REGISTRY), 'certs/8142519-enc.pem'),
      },
      source: DEMO_REGISTRY,
      importedAt: T0.toISOString(),
    });
    const service = (await rows(db)).find((r) => r.herId === 8142520);
    expect(service?.queues).toBeNull();
    expect(service?.certificates).toBeNull();
  });

  it('changes nothing when the same file is imported twice', async () => {
    const file = await loadRegistryFile(DEMO_REGISTRY);
    await importRegistry(db, file, DEMO_REGISTRY, clock);
    const before = await rows(db);
    clock.advance(3_600_000);
    const summary = await importRegistry(db, await loadRegistryFile(DEMO_REGISTRY), DEMO_REGISTRY, clock);
    expect(summary).toEqual({ added: 0, updated: 0, removed: 0, unchanged: 8 });
    expect(await rows(db)).toEqual(before);
  });

  it('adds, updates and removes parties to match a changed file', async () => {
    await importRegistry(db, await loadRegistryFile(DEMO_REGISTRY), DEMO_REGISTRY, clock);
    const t1 = new Date(T0.getTime() + 86_400_000);
    clock.set(t1);
    const changed = registryFixture('demo-changed.json');
    const summary = await importRegistry(db, await loadRegistryFile(changed), changed, clock);
    // 8142521 gone and 8142531 new; every other row now names the new file as its source
    expect(summary).toEqual({ added: 1, updated: 7, removed: 1, unchanged: 0 });
    const after = await rows(db);
    expect(after.map((r) => r.herId)).toEqual([115851, 8093248, 8142519, 8142520, 8142522, 8142529, 8142530, 8142531]);
    expect(after.find((r) => r.herId === 8142520)?.name).toBe('Vaksinasjon og reisevaksiner');
    expect(after.find((r) => r.herId === 8142519)?.certificates?.signing).toBe(
      path.join(path.dirname(changed), 'certs/8142519-sign-2027.pem'),
    );
    expect(after.every((r) => r.importedAt === t1.toISOString() && r.source === changed)).toBe(true);
  });

  it('rewrites only the rows whose content changed', async () => {
    await importRegistry(db, await loadRegistryFile(DEMO_REGISTRY), DEMO_REGISTRY, clock);
    clock.advance(60_000);
    const changed = registryFixture('demo-changed.json');
    // same source label: 115851 (certificate folder), 8142519 (certificates), 8142520 (name) differ
    const summary = await importRegistry(db, await loadRegistryFile(changed), DEMO_REGISTRY, clock);
    expect(summary).toEqual({ added: 1, updated: 3, removed: 1, unchanged: 4 });
    const after = await rows(db);
    const rewritten = after.filter((r) => r.importedAt !== T0.toISOString()).map((r) => r.herId);
    expect(rewritten).toEqual([115851, 8142519, 8142520, 8142531]);
  });

  it('re-adds a party that comes back and keeps the import time of unchanged ones', async () => {
    const changed = registryFixture('demo-changed.json');
    await importRegistry(db, await loadRegistryFile(changed), changed, clock);
    clock.advance(60_000);
    await importRegistry(db, await loadRegistryFile(DEMO_REGISTRY), changed, clock);
    const after = await rows(db);
    const changedAt = (herId: number): string | undefined => after.find((r) => r.herId === herId)?.importedAt;
    expect(changedAt(8142520)).toBe(new Date(T0.getTime() + 60_000).toISOString());
    expect(changedAt(8142521)).toBe(new Date(T0.getTime() + 60_000).toISOString());
    expect(changedAt(8142522)).toBe(T0.toISOString());
    expect(changedAt(8142531)).toBeUndefined();
  });
});

describe('setOurParties', () => {
  let db: Database;
  beforeEach(async () => {
    db = await openRegistryDb();
  });
  afterEach(async () => {
    await db.close();
  });

  async function ours(): Promise<number[]> {
    return (await db.manager.find(OurPartyEntity, { order: { herId: 'ASC' } })).map((r) => r.herId);
  }

  it('makes the set exactly the given HER-ids, idempotently', async () => {
    await setOurParties(db, [8142520, 8142530, 8142520]);
    await setOurParties(db, [8142530, 8142520]);
    expect(await ours()).toEqual([8142520, 8142530]);
    await setOurParties(db, [8142522]);
    expect(await ours()).toEqual([8142522]);
    await setOurParties(db, []);
    expect(await ours()).toEqual([]);
  });

  it('refuses something that is not a HER-id with ERR_CONFIG', async () => {
    await expect(setOurParties(db, [0])).rejects.toMatchObject({ code: 'ERR_CONFIG' });
    await expect(setOurParties(db, [1.5])).rejects.toBeInstanceOf(TimebokError);
  });
});

describe('RegistryMigration1732233600000', () => {
  it('can be reverted and applied again', async () => {
    const db = await openRegistryDb();
    try {
      await db.dataSource.undoLastMigration();
      expect(await db.dataSource.createQueryRunner().hasTable('registry_party')).toBe(false);
      await db.dataSource.runMigrations();
      expect(await db.dataSource.createQueryRunner().hasTable('registry_party')).toBe(true);
      expect(await db.dataSource.createQueryRunner().hasTable('registry_our_party')).toBe(true);
    } finally {
      await db.close();
    }
  });
});
