import { loadConfig } from '../../../src/config/config.js';
import type { Database } from '../../../src/db/database.js';
import type { FixedClock } from '../../../src/shared/clock.js';
import {
  AppointmentRefusal,
  bookSlot,
  changeStatus,
  claimSlot,
  moveAppointment,
} from '../../../src/timebook/appointment.operations.js';
import { AppointmentEntity, SlotEntity } from '../../../src/timebook/timebook.entities.js';
import { clinicWorld, patient } from '../../component/timebook/world.js';

/** The staff-side appointment changes on an in-memory SQLite timebook (clinic.timebooks.json). */
let db: Database;
let clock: FixedClock;
beforeEach(async () => {
  ({ db, clock } = await clinicWorld());
});
afterEach(async () => db.close());

const VAKSINE = 'vaksine@2026-03-02T09:00'; // capacity 2
const booked = async (id: string) => (await db.manager.getRepository(SlotEntity).findOneByOrFail({ id })).booked;
const contact = { idType: 'FNR', familyName: 'Nordmann', givenName: 'Kari' };

function book(appointmentId: string, slotId: string, who = patient('OLD')) {
  return db.transaction((em) =>
    bookSlot(em, clock.now(), { appointmentId, slotId, patientId: who.id, contact, originHerId: null, sourceMsgId: 'staff:create' }),
  );
}

test('claimSlot takes places up to the capacity and no further', async () => {
  const results = await db.transaction(async (em) => [await claimSlot(em, VAKSINE), await claimSlot(em, VAKSINE), await claimSlot(em, VAKSINE)]);
  expect(results).toEqual([true, true, false]);
  expect(await booked(VAKSINE)).toBe(2);
});

test('bookSlot books (status booked, contact kept); the same id again is returned, not booked twice', async () => {
  const first = await book('a1', VAKSINE);
  expect(first.created).toBe(true);
  expect(first.appointment).toMatchObject({ status: 'booked', slotId: VAKSINE, timebookId: 'vaksine', patientGivenName: 'Kari', originHerId: null, revision: 0 });
  const again = await book('a1', VAKSINE);
  expect(again.created).toBe(false);
  expect(await booked(VAKSINE)).toBe(1);
});

test('bookSlot refuses a slot the patient already holds, a full slot, a started slot and an unknown slot', async () => {
  await book('a1', VAKSINE);
  await expect(book('a2', VAKSINE)).rejects.toMatchObject({ reason: 'already-holds-slot' });
  await book('a3', VAKSINE, patient('YOUNG'));
  await expect(book('a4', VAKSINE, patient('CHILD'))).rejects.toMatchObject({ reason: 'slot-full' });
  clock.set(new Date('2026-03-02T08:00:00.000Z')); // 09:00 Oslo
  await expect(book('a5', VAKSINE, patient('LISTED'))).rejects.toMatchObject({ reason: 'slot-started' });
  await expect(book('a6', 'vaksine@2026-03-02T09:07')).rejects.toBeInstanceOf(AppointmentRefusal);
  expect(await booked(VAKSINE)).toBe(2);
});

test('bookSlot rolls a book forward to reach a slot not yet generated', async () => {
  const far = 'vaksine@2026-04-01T09:00';
  expect(await db.manager.getRepository(SlotEntity).findOneBy({ id: far })).toBeNull();
  clock.set(new Date('2026-03-25T07:00:00.000Z'));
  const r = await book('a1', far);
  expect(r.appointment.localStart).toBe('2026-04-01T09:00:00');
});

test('changeStatus is conditional on status and revision; leaving an active status releases the place', async () => {
  const { appointment } = await book('a1', VAKSINE);
  const cancelled = await db.transaction((em) => changeStatus(em, clock.now(), appointment, ['booked'], 'cancelled'));
  expect(cancelled).toMatchObject({ status: 'cancelled', revision: 1 });
  expect(cancelled?.cancelledAt).toBe(clock.now().toISOString());
  expect(await booked(VAKSINE)).toBe(0);
  // A second change from the stale row (revision 0) loses.
  expect(await db.transaction((em) => changeStatus(em, clock.now(), appointment, ['booked'], 'no-show'))).toBeNull();
  expect(await booked(VAKSINE)).toBe(0);
});

test('moveAppointment claims the new place, releases the old, keeps the id and bumps the revision', async () => {
  const { appointment } = await book('a1', VAKSINE);
  const moved = await db.transaction((em) => moveAppointment(em, clock.now(), appointment, 'vaksine@2026-03-03T09:15'));
  expect(moved?.appointment).toMatchObject({ id: 'a1', slotId: 'vaksine@2026-03-03T09:15', localStart: '2026-03-03T09:15:00', revision: 1 });
  expect(await booked(VAKSINE)).toBe(0);
  expect(await booked('vaksine@2026-03-03T09:15')).toBe(1);
  const row = await db.manager.getRepository(AppointmentEntity).findOneByOrFail({ id: 'a1' });
  await expect(db.transaction((em) => moveAppointment(em, clock.now(), row, 'vaksine@2026-03-03T09:15'))).rejects.toMatchObject({ reason: 'same-slot' });
  // A stale row loses; its claimed place is given back by the rollback.
  await expect(
    db.transaction(async (em) => {
      const r = await moveAppointment(em, clock.now(), appointment, 'vaksine@2026-03-04T09:00');
      if (r === null) throw new Error('lost');
      return r;
    }),
  ).rejects.toThrow('lost');
  expect(await booked('vaksine@2026-03-04T09:00')).toBe(0);
});

test('HELSENORGE_HER_ID is read as a HER-id (Staff block of the configuration)', () => {
  expect(loadConfig({ HELSENORGE_HER_ID: '8093248' }, '/tmp').helsenorgeHerId).toBe(8093248);
  expect(loadConfig({}, '/tmp').helsenorgeHerId).toBeNull();
  expect(() => loadConfig({ HELSENORGE_HER_ID: 'x' }, '/tmp')).toThrow(/HELSENORGE_HER_ID/);
});
