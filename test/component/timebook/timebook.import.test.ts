import type { Database } from '../../../src/db/database.js';
import { FixedClock } from '../../../src/shared/clock.js';
import {
  AppointmentEntity,
  ListPatientEntity,
  SlotEntity,
  TimebookEntity,
} from '../../../src/timebook/timebook.entities.js';
import { ensureSlotsUpTo, importTimebooks } from '../../../src/timebook/timebook.import.js';
import { TimebookService } from '../../../src/timebook/timebook.service.js';
import { loadTimebooksFile } from '../../../src/timebook/timebooks.file.js';
import type { TimebooksFile } from '../../../src/timebook/types.js';
import { DEMO_TIMEBOOKS, MONDAY_0800, SELF, fixture, openTimebookDb, patient } from './world.js';

let db: Database;
let clock: FixedClock;
let clinic: TimebooksFile;
let changed: TimebooksFile;

beforeAll(async () => {
  clinic = await loadTimebooksFile(fixture('clinic.timebooks.json'));
  changed = await loadTimebooksFile(fixture('clinic-changed.timebooks.json'));
});
beforeEach(async () => {
  db = await openTimebookDb();
  clock = new FixedClock(MONDAY_0800);
});
afterEach(async () => {
  await db.close();
});

/** Every row of the timebook tables, in a stable order. */
async function dump() {
  const m = db.manager;
  return {
    books: await m.find(TimebookEntity, { order: { id: 'ASC' } }),
    slots: await m.find(SlotEntity, { order: { id: 'ASC' } }),
    appointments: await m.find(AppointmentEntity, { order: { id: 'ASC' } }),
    listPatients: await m.find(ListPatientEntity, { order: { practitionerHerId: 'ASC', patientId: 'ASC' } }),
  };
}

async function book(uid: string, who = patient('OLD'), receiverHerId = Number(uid.startsWith('vaksine') ? 9000001 : 9000002)) {
  const service = new TimebookService(clock);
  const r = await db.run((tx) =>
    service.reserve(tx, {
      receiverHerId,
      patient: who,
      bookedBy: SELF,
      slot: { uid },
      appointmentId: `appt-${uid}-${who.id.slice(0, 4)}`,
      sourceMsgId: `msg-${uid}`,
    }),
  );
  expect(r.code).toBe('05');
  return r;
}

async function slotExists(id: string): Promise<boolean> {
  return (await db.manager.countBy(SlotEntity, { id })) === 1;
}

describe('importTimebooks', () => {
  it('creates the books, their slots from now over the horizon and the list patients', async () => {
    const summary = await importTimebooks(db, clinic, clock);
    expect(summary.books.created).toEqual(clinic.timebooks.map((b) => b.id));
    expect(summary.slots.added).toBeGreaterThan(0);
    expect(summary.listPatients).toEqual({ added: 2, removed: 0 });
    const slots = await db.manager.find(SlotEntity, { where: { timebookId: 'vaksine' }, order: { startUtc: 'ASC' } });
    expect(slots[0]).toMatchObject({ id: 'vaksine@2026-03-02T09:00', capacity: 2, booked: 0, blocked: false, type: 'Vaksine' });
    expect(slots.every((s) => s.startUtc >= MONDAY_0800.toISOString())).toBe(true);
    expect(await db.manager.countBy(SlotEntity, { timebookId: 'utgatt' })).toBe(0);
  });

  it('changes nothing when the same file is imported again', async () => {
    await importTimebooks(db, clinic, clock);
    await book('vaksine@2026-03-03T09:00');
    const before = await dump();
    const summary = await importTimebooks(db, clinic, clock);
    expect(summary).toEqual({
      books: { created: [], updated: [], unchanged: clinic.timebooks.map((b) => b.id), retired: [] },
      slots: { added: 0, removed: 0, updated: 0 },
      kept: [],
      listPatients: { added: 0, removed: 0 },
    });
    expect(await dump()).toEqual(before);
  });

  it('only rolls the horizon forward when the same file is imported again later', async () => {
    await importTimebooks(db, clinic, clock);
    const before = new Set((await db.manager.find(SlotEntity)).map((s) => s.id));
    clock.advance(3 * 3600_000);
    const summary = await importTimebooks(db, clinic, clock);
    expect(summary.books.updated).toEqual([]);
    expect(summary.slots).toMatchObject({ removed: 0, updated: 0 });
    const added = (await db.manager.find(SlotEntity)).filter((s) => !before.has(s.id));
    expect(added).toHaveLength(summary.slots.added);
    // 3 hours more of horizon: vaksine (14 days) reaches Tuesday 17 March 09:00-10:00.
    expect(added.filter((s) => s.timebookId === 'vaksine').map((s) => s.id)).toEqual([
      'vaksine@2026-03-17T09:00',
      'vaksine@2026-03-17T09:15',
      'vaksine@2026-03-17T09:30',
      'vaksine@2026-03-17T09:45',
    ]);
  });

  it('applies a changed file to free future slots only, never removing a booked slot (reported as kept)', async () => {
    await importTimebooks(db, clinic, clock);
    await book('vaksine@2026-03-03T09:45'); // its schedule line now ends at 09:30
    await book('vaksine@2026-03-04T09:00', patient('VERY_OLD')); // capacity 2 → 3 fits its single hold
    await book('lab@2026-03-03T08:00'); // the whole book leaves the file

    const summary = await importTimebooks(db, changed, clock);

    expect(summary.books).toEqual({
      created: ['ny-lab'],
      updated: ['vaksine'],
      unchanged: ['lab-nord', 'lab-skjult', 'fastlege', 'kontorlab', 'stengt', 'utgatt'],
      retired: ['lab'],
    });
    expect(summary.kept).toEqual(
      expect.arrayContaining([
        { slotId: 'vaksine@2026-03-03T09:45', timebookId: 'vaksine', reason: 'holds-bookings' },
        { slotId: 'lab@2026-03-03T08:00', timebookId: 'lab', reason: 'holds-bookings' },
      ]),
    );
    expect(summary.kept).toHaveLength(2);
    expect(await db.manager.findOneByOrFail(SlotEntity, { id: 'vaksine@2026-03-03T09:45' })).toMatchObject({ booked: 1 });
    expect(await slotExists('vaksine@2026-03-04T09:45')).toBe(false);
    expect(await slotExists('vaksine@2026-03-02T09:30')).toBe(false);
    expect(await db.manager.findOneByOrFail(SlotEntity, { id: 'vaksine@2026-03-04T09:00' })).toMatchObject({
      capacity: 3,
      booked: 1,
    });
    expect(await slotExists('lab@2026-03-04T08:00')).toBe(false);
    expect(await slotExists('ny-lab@2026-03-02T08:00')).toBe(true);
    expect(summary.listPatients).toEqual({ added: 1, removed: 1 });

    const again = await importTimebooks(db, changed, clock);
    expect(again.books.updated).toEqual([]);
    expect(again.slots).toEqual({ added: 0, removed: 0, updated: 0 });
  });

  it('keeps a retired book out of offers and bookings, but its appointments can still be listed and cancelled', async () => {
    await importTimebooks(db, clinic, clock);
    const { appointment } = await book('lab@2026-03-03T08:00');
    await importTimebooks(db, changed, clock);
    const service = new TimebookService(clock);
    const offer = await db.run((tx) =>
      service.findFreeSlots(tx, { receiverHerId: 9000002, patient: patient('YOUNG'), fromDate: null, toDate: null }),
    );
    expect(offer.slots.some((s) => s.uid.startsWith('lab@'))).toBe(false);
    const planned = await db.run((tx) => service.listPlanned(tx, 9000002, patient('OLD')));
    expect(planned.appointments.map((a) => a.uid)).toEqual([appointment!.uid]);
    const cancelled = await db.run((tx) =>
      service.cancel(tx, { receiverHerId: 9000002, patient: patient('OLD'), bookedBy: SELF, slot: { uid: appointment!.uid }, sourceMsgId: 'c' }),
    );
    expect(cancelled.code).toBe('08');
  });

  it('brings a retired book back when it returns to the file', async () => {
    await importTimebooks(db, clinic, clock);
    await importTimebooks(db, changed, clock);
    const summary = await importTimebooks(db, clinic, clock);
    expect(summary.books.updated).toEqual(expect.arrayContaining(['lab', 'vaksine']));
    expect(await db.manager.findOneByOrFail(TimebookEntity, { id: 'lab' })).toMatchObject({ retired: false });
    expect(await slotExists('lab@2026-03-04T08:00')).toBe(true);
  });

  it('leaves past slots alone', async () => {
    await importTimebooks(db, clinic, clock);
    clock.set(new Date('2026-03-04T07:00:00Z'));
    await importTimebooks(db, changed, clock);
    expect(await slotExists('vaksine@2026-03-02T09:45')).toBe(true); // in the past now: untouched
    expect(await slotExists('vaksine@2026-03-05T09:45')).toBe(false);
  });

  it('only updates updatedAt of a book whose content changed', async () => {
    await importTimebooks(db, clinic, clock);
    clock.advance(3600_000);
    await importTimebooks(db, changed, clock);
    const books = await db.manager.find(TimebookEntity);
    const at = Object.fromEntries(books.map((b) => [b.id, b.updatedAt]));
    expect(at['vaksine']).toBe('2026-03-02T08:00:00.000Z');
    expect(at['fastlege']).toBe('2026-03-02T07:00:00.000Z');
  });

  it('imports the demo world', async () => {
    const summary = await importTimebooks(db, await loadTimebooksFile(DEMO_TIMEBOOKS), clock);
    expect(summary.books.created).toHaveLength(5);
    const service = new TimebookService(clock);
    const gp = await db.run((tx) =>
      service.findFreeSlots(tx, { receiverHerId: 8142530, patient: patient('OLD'), fromDate: '2026-03-03', toDate: '2026-03-03' }),
    );
    expect(gp.code).toBe('03');
    expect(gp.slots.map((s) => s.categories[0] ?? 'Ordinær')).toEqual(expect.arrayContaining(['Ordinær', 'Hastetime', 'Video']));
    const corona = await db.run((tx) =>
      service.findFreeSlots(tx, { receiverHerId: 8142522, patient: patient('YOUNG'), fromDate: '2026-03-03', toDate: '2026-03-03' }),
    );
    expect(new Set(corona.slots.map((s) => s.location))).toEqual(
      new Set([
        'Teststasjon Sentrum, Storgata 1, 0155 Oslo, Inngang fra bakgården',
        'Teststasjon Nord, Trondheimsveien 200, 0570 Oslo, Parkeringsplassen',
      ]),
    );
  });
});

describe('ensureSlotsUpTo', () => {
  it('inserts only the missing slots and can run twice over the same range', async () => {
    await importTimebooks(db, clinic, clock);
    const vaksine = await db.manager.findOneByOrFail(TimebookEntity, { id: 'vaksine' });
    const before = await db.manager.countBy(SlotEntity, { timebookId: 'vaksine' });
    const until = new Date('2026-03-31T00:00:00Z');
    await db.transaction((em) => ensureSlotsUpTo(em, vaksine, until));
    const after = await db.manager.countBy(SlotEntity, { timebookId: 'vaksine' });
    expect(after).toBeGreaterThan(before);
    const stale = { ...vaksine, slotsUntil: null };
    await db.transaction((em) => ensureSlotsUpTo(em, stale, until, MONDAY_0800));
    expect(await db.manager.countBy(SlotEntity, { timebookId: 'vaksine' })).toBe(after);
    expect((await db.manager.findOneByOrFail(TimebookEntity, { id: 'vaksine' })).slotsUntil).toBe(until.toISOString());
  });

  it('does not bring back a free slot that an import removed', async () => {
    await importTimebooks(db, clinic, clock);
    await importTimebooks(db, changed, clock);
    const vaksine = await db.manager.findOneByOrFail(TimebookEntity, { id: 'vaksine' });
    await db.transaction((em) => ensureSlotsUpTo(em, vaksine, new Date('2026-04-30T00:00:00Z')));
    expect(await slotExists('vaksine@2026-03-04T09:45')).toBe(false);
  });
});
