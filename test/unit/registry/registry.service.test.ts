import path from 'node:path';
import type { Database } from '../../../src/db/database.js';
import { PartyEntity } from '../../../src/registry/registry.entities.js';
import { FileRegistrySource, loadRegistryFile } from '../../../src/registry/registry.file.js';
import { importRegistry, setOurParties } from '../../../src/registry/registry.import.js';
import { RegistryService } from '../../../src/registry/registry.service.js';
import { FixedClock } from '../../../src/shared/clock.js';
import { DEMO_REGISTRY, openRegistryDb, registryFixture } from './helpers.js';

const DEMO_DIR = path.dirname(DEMO_REGISTRY);
const OFFICE_QUEUES = { async: '8142519_async', sync: '8142519_sync', error: '8142519_error' };
const OFFICE_CERTS = {
  signing: path.join(DEMO_DIR, 'certs/8142519-sign.pem'),
  encryption: path.join(DEMO_DIR, 'certs/8142519-enc.pem'),
};
const MINUTE = 60_000;

describe('RegistryService', () => {
  let db: Database;
  let clock: FixedClock;
  let registry: RegistryService;

  /** A database holding one snapshot (an import replaces the previous one). */
  async function useRegistry(file: string, ours: number[]): Promise<void> {
    if (db !== undefined) await db.close();
    db = await openRegistryDb();
    await importRegistry(db, await loadRegistryFile(file), file, clock);
    await setOurParties(db, ours);
    registry = new RegistryService(db, { clock });
  }

  beforeEach(async () => {
    clock = new FixedClock(new Date('2026-03-02T08:00:00Z'));
    await useRegistry(DEMO_REGISTRY, [8142520, 8142522, 8142529, 8142530]);
  });
  afterEach(async () => {
    await db.close();
  });

  describe('getParty', () => {
    it('inherits queues and certificates from the parent when the party has none', async () => {
      const party = await registry.getParty(8142520);
      expect(party).toMatchObject({
        herId: 8142520,
        name: 'Vaksinasjon',
        type: 'Service',
        parentHerId: 8142519,
        active: true,
        queues: OFFICE_QUEUES,
        certificates: OFFICE_CERTS,
      });
    });

    it('returns null for an unknown HER-id', async () => {
      expect(await registry.getParty(424242)).toBeNull();
    });

    it('returns the parent of a party, and null for a level-1 party', async () => {
      expect((await registry.getParent(8142530))?.herId).toBe(8142519);
      expect(await registry.getParent(8142519)).toBeNull();
      expect(await registry.getParent(424242)).toBeNull();
    });
  });

  describe('checkReceiver', () => {
    const level1HerId = 8142519;

    it('accepts our active receiver under its registered parent with the process activated', async () => {
      const check = await registry.checkReceiver({
        level1HerId,
        level2HerId: 8142520,
        process: 'DIALOG_INNBYGGER_TIMERESERVASJON',
      });
      expect(check.ok).toBe(true);
      if (!check.ok) return;
      expect(check.party.herId).toBe(8142520);
      expect(check.party.queues).toEqual(OFFICE_QUEUES);
      expect(check.parent?.herId).toBe(8142519);
    });

    it.each([
      ['unknown', 8142519, 424242, 'DIALOG_INNBYGGER_TIMERESERVASJON'],
      ['wrong-parent', 115851, 8142520, 'DIALOG_INNBYGGER_TIMERESERVASJON'],
      ['inactive', 8142519, 8142529, 'DIALOG_INNBYGGER_TIMERESERVASJON'],
      ['not-ours', 8142519, 8142521, 'DIALOG_INNBYGGER_TIMERESERVASJON'],
      ['process-not-activated', 8142519, 8142520, 'DIALOG_INNBYGGER_TIMEONSKE'],
      ['not-ours', 8142519, 8142521, 'APPREC'],
      ['wrong-parent', null, 8142520, 'DIALOG_INNBYGGER_TIMERESERVASJON'],
      ['unknown', null, null, 'DIALOG_INNBYGGER_TIMERESERVASJON'],
    ])('refuses with %s (level 1 %p, level 2 %p, %s)', async (reason, l1, l2, process) => {
      expect(await registry.checkReceiver({ level1HerId: l1, level2HerId: l2, process })).toEqual({
        ok: false,
        reason,
      });
    });

    it('treats a receiver under an inactive organisation as inactive', async () => {
      await useRegistry(registryFixture('world.json'), [401]);
      expect(
        await registry.checkReceiver({ level1HerId: 400, level2HerId: 401, process: 'DIALOG_INNBYGGER_TIMERESERVASJON' }),
      ).toEqual({ ok: false, reason: 'inactive' });
    });

    it.each([
      ['an AR spelling', 8142530, 'Dialog_Innbygger_Timeonske'],
      ['the AVTALEBESTILLING alias', 8142520, 'DIALOG_INNBYGGER_AVTALEBESTILLING'],
      ['APPREC, which no party lists', 8142520, 'APPREC'],
      ['apprec in lower case', 8142522, 'apprec'],
    ])('accepts %s as the process', async (_what, level2HerId, process) => {
      expect((await registry.checkReceiver({ level1HerId, level2HerId, process })).ok).toBe(true);
    });

    it('matches processes written in AR spelling and by the alias in the registry', async () => {
      await useRegistry(registryFixture('world.json'), [121]);
      for (const process of ['DIALOG_INNBYGGER_TIMERESERVASJON', 'dialog_innbygger_avtaleavbestilling']) {
        expect((await registry.checkReceiver({ level1HerId: 120, level2HerId: 121, process })).ok).toBe(true);
      }
    });

    it('checks a receiver addressed at level 1 only without a parent check', async () => {
      await setOurParties(db, [8142519]);
      registry.invalidate();
      expect(
        await registry.checkReceiver({ level1HerId: 8142519, level2HerId: null, process: 'DIALOG_INNBYGGER_TIMERESERVASJON' }),
      ).toEqual({ ok: false, reason: 'process-not-activated' });
      expect((await registry.checkReceiver({ level1HerId: 8142519, level2HerId: null, process: 'APPREC' })).ok).toBe(true);
    });
  });

  describe('checkSender', () => {
    it('accepts Helsenorge, with queues and certificates inherited from level 1', async () => {
      const check = await registry.checkSender(8093248);
      expect(check.ok).toBe(true);
      if (!check.ok) return;
      expect(check.party.queues?.async).toBe('115851_async');
      expect(check.party.certificates?.signing).toBe(path.join(DEMO_DIR, 'certs/115851-sign.pem'));
      expect(check.parent?.herId).toBe(115851);
    });

    it('refuses a sender that is not in the registry', async () => {
      expect(await registry.checkSender(424242)).toEqual({ ok: false, reason: 'unknown' });
    });

    it('refuses an inactive sender', async () => {
      expect(await registry.checkSender(8142529)).toEqual({ ok: false, reason: 'inactive' });
    });

    it('refuses an active sender under an inactive organisation', async () => {
      await useRegistry(registryFixture('world.json'), []);
      expect(await registry.checkSender(401)).toEqual({ ok: false, reason: 'inactive' });
    });
  });

  describe('inheritance through two levels', () => {
    const WORLD_DIR = path.dirname(registryFixture('world.json'));
    beforeEach(() => useRegistry(registryFixture('world.json'), []));

    it('takes queues and certificates from the grandparent when neither level has them', async () => {
      const person = await registry.getParty(111);
      expect(person?.queues).toEqual({ async: '100_async', sync: '100_sync', error: '100_error' });
      expect(person?.certificates).toEqual({
        signing: path.join(WORLD_DIR, 'certs/100-sign.pem'),
        encryption: path.join(WORLD_DIR, 'certs/100-enc.pem'),
      });
    });

    it('takes each of queues and certificates from the nearest ancestor that has it', async () => {
      const service = await registry.getParty(121);
      expect(service?.queues?.async).toBe('100_async');
      const both = path.join(WORLD_DIR, 'certs/120-both.pem');
      expect(service?.certificates).toEqual({ signing: both, encryption: both });
    });

    it('keeps a party\'s own queues', async () => {
      expect((await registry.getParty(130))?.queues?.async).toBe('130_async');
    });
  });

  describe('practitionersOfOffice', () => {
    it('lists the Person parties whose parent is the office', async () => {
      const people = await registry.practitionersOfOffice(8142519);
      expect(people.map((p) => p.herId)).toEqual([8142530]);
      expect(people[0]?.hprNumber).toBe('9144889');
      expect(people[0]?.queues).toEqual(OFFICE_QUEUES);
    });

    it('includes inactive practitioners and leaves out those under a department', async () => {
      await useRegistry(registryFixture('world.json'), []);
      const people = await registry.practitionersOfOffice(100);
      expect(people.map((p) => [p.herId, p.active])).toEqual([[140, false]]);
    });

    it('returns nothing for an office without practitioners or an unknown HER-id', async () => {
      expect(await registry.practitionersOfOffice(115851)).toEqual([]);
      expect(await registry.practitionersOfOffice(424242)).toEqual([]);
    });
  });

  describe('isOurs and ourParties', () => {
    it('knows our parties exactly', async () => {
      expect(await registry.isOurs(8142520)).toBe(true);
      expect(await registry.isOurs(8142519)).toBe(false);
      expect((await registry.ourParties()).map((p) => p.herId)).toEqual([8142520, 8142522, 8142529, 8142530]);
    });
  });

  describe('cache', () => {
    async function rename(herId: number, name: string): Promise<void> {
      await db.transaction((em) => em.update(PartyEntity, { herId }, { name }));
    }

    it('answers from memory until the TTL ends', async () => {
      registry = new RegistryService(db, { clock, ttlMs: 5 * MINUTE });
      expect((await registry.getParty(8142520))?.name).toBe('Vaksinasjon');
      await rename(8142520, 'Ny tjeneste');
      clock.advance(5 * MINUTE - 1);
      expect((await registry.getParty(8142520))?.name).toBe('Vaksinasjon');
      clock.advance(1);
      expect((await registry.getParty(8142520))?.name).toBe('Ny tjeneste');
    });

    it('keeps the default TTL of 5 minutes', async () => {
      expect((await registry.getParty(8142520))?.name).toBe('Vaksinasjon');
      await rename(8142520, 'Ny tjeneste');
      clock.advance(4 * MINUTE);
      expect((await registry.getParty(8142520))?.name).toBe('Vaksinasjon');
      clock.advance(MINUTE);
      expect((await registry.getParty(8142520))?.name).toBe('Ny tjeneste');
    });

    it('reads a party again after invalidate(herId), including the parent it inherits from', async () => {
      expect((await registry.getParty(8142520))?.certificates).toEqual(OFFICE_CERTS);
      const renewed = { signing: '/pki/8142519-sign-new.pem', encryption: '/pki/8142519-enc-new.pem' };
      await db.transaction((em) => em.update(PartyEntity, { herId: 8142519 }, { certificates: renewed }));
      expect((await registry.getParty(8142520))?.certificates).toEqual(OFFICE_CERTS);
      registry.invalidate(8142520);
      expect((await registry.getParty(8142520))?.certificates).toEqual(renewed);
    });

    it('leaves other parties cached after invalidate(herId)', async () => {
      await registry.getParty(8142520);
      await registry.getParty(8142522);
      await rename(8142522, 'Ny tjeneste');
      registry.invalidate(8142520);
      expect((await registry.getParty(8142522))?.name).toBe('Koronatesting');
    });

    it('remembers an unknown HER-id until invalidate() after an import', async () => {
      expect(await registry.getParty(8142531)).toBeNull();
      const changed = registryFixture('demo-changed.json');
      await importRegistry(db, await loadRegistryFile(changed), changed, clock);
      expect(await registry.getParty(8142531)).toBeNull();
      registry.invalidate();
      expect((await registry.getParty(8142531))?.name).toBe('Oktober November');
      expect(await registry.getParty(8142521)).toBeNull();
    });

    it('sees a changed set of our parties after invalidate()', async () => {
      expect(await registry.isOurs(8142521)).toBe(false);
      await setOurParties(db, [8142521]);
      expect(await registry.isOurs(8142521)).toBe(false);
      registry.invalidate();
      expect(await registry.isOurs(8142521)).toBe(true);
    });

    it('does not let a caller change the cached party', async () => {
      const first = await registry.getParty(8142520);
      first?.processes.push('APPREC');
      if (first?.queues) first.queues.async = 'elsewhere';
      const again = await registry.getParty(8142520);
      expect(again?.processes).not.toContain('APPREC');
      expect(again?.queues).toEqual(OFFICE_QUEUES);
    });
  });

  describe('fallback source', () => {
    it('asks the fallback for a HER-id the database does not know', async () => {
      const empty = await openRegistryDb();
      try {
        const source = new FileRegistrySource(await loadRegistryFile(DEMO_REGISTRY));
        const viaFallback = new RegistryService(empty, { clock, fallback: source });
        expect((await viaFallback.checkSender(8093248)).ok).toBe(true);
        expect(await viaFallback.getParty(424242)).toBeNull();
        expect(await new RegistryService(empty, { clock }).getParty(8093248)).toBeNull();
      } finally {
        await empty.close();
      }
    });
  });
});
