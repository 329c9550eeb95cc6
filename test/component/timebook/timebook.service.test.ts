import type { Database } from '../../../src/db/database.js';
import type { FixedClock } from '../../../src/shared/clock.js';
import { AppointmentEntity, SlotEntity } from '../../../src/timebook/timebook.entities.js';
import { TimebookService, type TimebookServiceOptions } from '../../../src/timebook/timebook.service.js';
import type { CancelCommand, PatientFacts, ReserveCommand, SlotReference } from '../../../src/timebook/types.js';
import { SELF, clinicWorld, patient } from './world.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const MONDAY_ISO = '2026-03-02T07:00:00.000Z';

let db: Database;
let clock: FixedClock;
let service: TimebookService;
let counter = 0;

beforeEach(async () => {
  ({ db, clock } = await clinicWorld());
  service = new TimebookService(clock);
});
afterEach(async () => {
  await db.close();
});

function free(receiverHerId: number, who: PatientFacts, fromDate: string | null = null, toDate: string | null = null) {
  return db.run((tx) => service.findFreeSlots(tx, { receiverHerId, patient: who, fromDate, toDate }));
}

function reserve(receiverHerId: number, who: PatientFacts, ref: SlotReference, extra: Partial<ReserveCommand> = {}) {
  counter += 1;
  return db.run((tx) =>
    service.reserve(tx, {
      receiverHerId,
      patient: who,
      bookedBy: SELF,
      slot: ref,
      appointmentId: `appt-${counter}`,
      sourceMsgId: `msg-${counter}`,
      ...extra,
    }),
  );
}

function cancel(receiverHerId: number, who: PatientFacts, ref: SlotReference, extra: Partial<CancelCommand> = {}) {
  counter += 1;
  return db.run((tx) =>
    service.cancel(tx, { receiverHerId, patient: who, bookedBy: SELF, slot: ref, sourceMsgId: `cancel-${counter}`, ...extra }),
  );
}

function planned(receiverHerId: number, who: PatientFacts) {
  return db.run((tx) => service.listPlanned(tx, receiverHerId, who));
}

async function slotRow(id: string) {
  return db.manager.getRepository(SlotEntity).findOneByOrFail({ id });
}

describe('HentLedigeTimer (findFreeSlots)', () => {
  it('answers 03 with the free slots as TENTATIVE VEVENTs carrying the book display data (DECISIONS 24)', async () => {
    const r = await free(9000001, patient('OLD'), '2026-03-02', '2026-03-02');
    expect(r.code).toBe('03');
    // minimum notice 60 min at 08:00: the 09:00 slot is the first; 09:00-10:00 in 15-minute slots.
    expect(r.slots.map((s) => s.uid)).toEqual([
      'vaksine@2026-03-02T09:00',
      'vaksine@2026-03-02T09:15',
      'vaksine@2026-03-02T09:30',
      'vaksine@2026-03-02T09:45',
    ]);
    expect(r.slots[0]).toEqual({
      uid: 'vaksine@2026-03-02T09:00',
      dtstart: '2026-03-02T09:00:00',
      dtend: '2026-03-02T09:15:00',
      contact: 9000001,
      summary: 'Influensavaksine',
      description: 'Vaksine mot sesonginfluensa',
      location: 'Sentrum legesenter, Storgata 1, 0155 Oslo, 2. etasje, rom 204',
      categories: ['Vaksine'],
      status: 'TENTATIVE',
    });
    expect(r.prerequisites).toBe('Influensavaksine: Tilbudet gjelder personer som er 65 år eller eldre.');
  });

  it('sends no category for Ordinær slots and no description when the book has no text', async () => {
    const r = await free(9000002, patient('OLD'), '2026-03-02', '2026-03-02');
    expect(r.code).toBe('03');
    expect(r.slots[0]).toMatchObject({ uid: 'lab@2026-03-02T08:00', categories: [], location: 'Laboratoriet' });
    expect(r.slots[0]).not.toHaveProperty('description');
  });

  it('clamps the requested range to [now + minimum notice, now + horizon] instead of refusing it (DECISIONS 26)', async () => {
    const r = await free(9000001, patient('OLD'), '2026-01-01', '2026-12-31');
    expect(r.code).toBe('03');
    const starts = r.slots.map((s) => s.dtstart);
    expect(starts[0]).toBe('2026-03-02T09:00:00');
    // horizon 14 days from Monday 08:00 (07:00Z): Monday 16 March 08:00 is the edge; its 09:00 slots are beyond.
    expect(starts.at(-1)).toBe('2026-03-13T09:45:00');
    expect(r.slots).toHaveLength(10 * 4);
  });

  it('reads FraDato and TilDato as local dates with TilDato inclusive', async () => {
    const r = await free(9000001, patient('OLD'), '2026-03-04', '2026-03-05');
    expect(new Set(r.slots.map((s) => s.dtstart.slice(0, 10)))).toEqual(new Set(['2026-03-04', '2026-03-05']));
    expect(r.slots).toHaveLength(8);
  });

  it('answers 04 when the range holds no free slot', async () => {
    const r = await free(9000001, patient('OLD'), '2026-03-07', '2026-03-08'); // a weekend
    expect(r).toEqual({ code: '04', slots: [], prerequisites: null });
  });

  it('answers 04 when the receiver has no published book', async () => {
    expect((await free(9000004, patient('OLD'))).code).toBe('04');
    expect((await free(1234567, patient('OLD'))).code).toBe('04');
  });

  it('answers 04 when the published book has run out of slots (validTo in the past)', async () => {
    expect((await free(9000005, patient('OLD'))).code).toBe('04');
  });

  it('answers 30 when the patient may use none of the books at the receiver', async () => {
    expect((await free(9000001, patient('YOUNG'))).code).toBe('30');
    expect((await free(9000010, patient('YOUNG'))).code).toBe('30');
  });

  it('counts age on the request date with the bound inclusive (65 today may book, 65 tomorrow may not)', async () => {
    expect((await free(9000001, patient('TURNS_65_ON_2026_03_02'))).code).toBe('03');
    expect((await free(9000001, patient('TURNS_65_ON_2026_03_03'))).code).toBe('30');
    clock.advance(DAY);
    expect((await free(9000001, patient('TURNS_65_ON_2026_03_03'))).code).toBe('03');
  });


  it('returns the union of the books the patient may use at one HER-id, prerequisites each after its book name (DECISIONS 23)', async () => {
    const young = await free(9000002, patient('YOUNG'), '2026-03-03', '2026-03-03');
    expect(young.slots.map((s) => s.uid)).toEqual([
      'lab@2026-03-03T08:00',
      'lab@2026-03-03T08:30',
      'lab-nord@2026-03-03T10:00',
      'lab-nord@2026-03-03T10:30',
    ]);
    expect(young.prerequisites).toBe('Blodprøver: Møt fastende.\nBlodprøver Nord: Parker på baksiden.');
    const old = await free(9000002, patient('OLD'), '2026-03-03', '2026-03-03');
    expect(old.slots.map((s) => s.uid)).toEqual(['lab@2026-03-03T08:00', 'lab@2026-03-03T08:30']);
    expect(old.prerequisites).toBe('Blodprøver: Møt fastende.');
  });

  it('never offers slots of an unpublished book', async () => {
    const r = await free(9000002, patient('OLD'));
    expect(r.slots.some((s) => s.uid.startsWith('lab-skjult@'))).toBe(false);
  });

  it('offers Hastetime slots only where the book allows urgent booking online', async () => {
    const lab = await free(9000002, patient('OLD'), '2026-03-03', '2026-03-03');
    expect(lab.slots.some((s) => s.categories.includes('Hastetime'))).toBe(false);
    const gp = await free(9000010, patient('LISTED'), '2026-03-04', '2026-03-05');
    expect(gp.slots.find((s) => s.uid === 'fastlege@2026-03-04T12:00')).toMatchObject({ categories: ['Hastetime'] });
    expect(gp.slots.find((s) => s.uid === 'fastlege@2026-03-05T13:00')).toMatchObject({ categories: ['Video'] });
  });

  it('leaves out full and blocked slots', async () => {
    await reserve(9000002, patient('OLD'), { uid: 'lab@2026-03-03T08:00' });
    await db.manager.getRepository(SlotEntity).update({ id: 'lab@2026-03-03T08:30' }, { blocked: true });
    const r = await free(9000002, patient('VERY_OLD'), '2026-03-03', '2026-03-03');
    expect(r.code).toBe('04');
  });

  it('lets officeList books be used by list patients of any practitioner in the office', async () => {
    expect((await free(9000003, patient('LISTED'))).code).toBe('03');
    expect((await free(9000003, patient('OTHER_LISTED'))).code).toBe('03');
    expect((await free(9000003, patient('OLD'))).code).toBe('30');
  });

  it('asks the registry (constructor option) which practitioners belong to the book office', async () => {
    const asked: number[] = [];
    const options: TimebookServiceOptions = {
      practitionersOfOffice: (bookHerId) => {
        asked.push(bookHerId);
        return [{ herId: 9000010 }];
      },
    };
    service = new TimebookService(clock, options);
    expect((await free(9000003, patient('LISTED'))).code).toBe('03');
    expect((await free(9000003, patient('OTHER_LISTED'))).code).toBe('30');
    expect(asked).toContain(9000003);
  });

  it('returns at most maxSlots VEVENTs, the earliest first', async () => {
    service = new TimebookService(clock, { maxSlots: 5 });
    const r = await free(9000001, patient('OLD'));
    expect(r.slots.map((s) => s.uid)).toEqual([
      'vaksine@2026-03-02T09:00',
      'vaksine@2026-03-02T09:15',
      'vaksine@2026-03-02T09:30',
      'vaksine@2026-03-02T09:45',
      'vaksine@2026-03-03T09:00',
    ]);
  });

  it('rolls slots forward lazily as the horizon moves (no validTo)', async () => {
    clock.set(new Date('2026-04-01T06:00:00Z')); // Wednesday 08:00, summer time
    const r = await free(9000001, patient('OLD'));
    expect(r.code).toBe('03');
    expect(r.slots[0]!.dtstart).toBe('2026-04-01T09:00:00');
    expect(r.slots.at(-1)!.dtstart).toBe('2026-04-14T09:45:00');
  });
});

describe('ReserverAvtale (reserve)', () => {
  it('books a free slot in an auto book: 05 with uid = appointment id, related-to = slot id, CONFIRMED', async () => {
    const r = await reserve(9000001, patient('OLD'), {
      uid: 'vaksine@2026-03-03T09:00',
      dtstart: '2026-03-03T09:00:00',
      dtend: '2026-03-03T09:15:00',
      contact: '9000001',
    });
    expect(r.code).toBe('05');
    expect(r.pending).toBeUndefined();
    expect(r.appointment).toMatchObject({
      uid: `appt-${counter}`,
      relatedTo: 'vaksine@2026-03-03T09:00',
      dtstart: '2026-03-03T09:00:00',
      dtend: '2026-03-03T09:15:00',
      contact: 9000001,
      summary: 'Influensavaksine',
      categories: ['Vaksine'],
      status: 'CONFIRMED',
    });
    expect((await slotRow('vaksine@2026-03-03T09:00')).booked).toBe(1);
  });

  it('stores who booked on whose behalf, the question and the attachments with the appointment', async () => {
    await reserve(
      9000002,
      patient('CHILD'),
      { uid: 'lab@2026-03-03T08:00' },
      {
        bookedBy: { representativeId: patient('YOUNG').id, relation: 'FO' },
        emneSporsmal: 'Blodprøve',
        sporsmal: 'Kontroll',
        attachments: [{ mimeType: 'application/pdf', description: 'Skjema', content: 'JVBERi0=' }],
      },
    );
    const a = await db.manager.getRepository(AppointmentEntity).findOneByOrFail({ id: `appt-${counter}` });
    expect(a).toMatchObject({
      patientId: patient('CHILD').id,
      representativeId: patient('YOUNG').id,
      relation: 'FO',
      status: 'booked',
      emneSporsmal: 'Blodprøve',
      sporsmal: 'Kontroll',
      attachments: [{ mimeType: 'application/pdf', description: 'Skjema', content: 'JVBERi0=' }],
      sourceMsgId: `msg-${counter}`,
    });
  });

  it('holds the slot as requested in a manual book and returns 05 pending (the answer waits for staff)', async () => {
    const r = await reserve(9000010, patient('LISTED'), { uid: 'fastlege@2026-03-03T08:00' });
    expect(r).toMatchObject({ code: '05', pending: true, appointment: { status: 'TENTATIVE' } });
    expect((await slotRow('fastlege@2026-03-03T08:00')).booked).toBe(1);
    const offered = await free(9000010, patient('LISTED'), '2026-03-03', '2026-03-03');
    expect(offered.slots.some((s) => s.uid === 'fastlege@2026-03-03T08:00')).toBe(false);
  });

  it('books a Hastetime slot where urgent booking online is allowed', async () => {
    const r = await reserve(9000010, patient('LISTED'), { uid: 'fastlege@2026-03-04T12:00' });
    expect(r).toMatchObject({ code: '05', pending: true, appointment: { categories: ['Hastetime'] } });
  });

  it('matches the slot on related-to when uid does not name one (DECISIONS 28)', async () => {
    const r = await reserve(9000002, patient('OLD'), { uid: 'no-such-slot', relatedTo: 'lab@2026-03-04T08:00' });
    expect(r).toMatchObject({ code: '05', appointment: { relatedTo: 'lab@2026-03-04T08:00' } });
  });

  it('fills a slot up to its capacity and answers 06 slot-full after that', async () => {
    const uid = 'vaksine@2026-03-04T09:30';
    expect((await reserve(9000001, patient('OLD'), { uid })).code).toBe('05');
    expect((await reserve(9000001, patient('VERY_OLD'), { uid })).code).toBe('05');
    expect(await reserve(9000001, patient('TURNS_65_ON_2026_03_02'), { uid })).toEqual({ code: '06', reason: 'slot-full' });
    expect((await slotRow(uid)).booked).toBe(2);
  });

  it.each([
    ['slot-unknown', 9000002, 'OLD', { uid: 'lab@2026-03-03T07:00' }],
    ['slot-unknown (slot of another receiver)', 9000002, 'OLD', { uid: 'vaksine@2026-03-03T09:00' }],
    ['unpublished', 9000002, 'OLD', { uid: 'lab-skjult@2026-03-03T13:00' }],
    ['urgent-not-bookable', 9000002, 'OLD', { uid: 'lab@2026-03-03T12:00' }],
    ['inside-notice', 9000010, 'LISTED', { uid: 'fastlege@2026-03-02T08:40' }],
    ['beyond-horizon', 9000002, 'OLD', { uid: 'lab@2026-03-09T08:30' }],
    ['dtstart-mismatch', 9000002, 'OLD', { uid: 'lab@2026-03-03T08:00', dtstart: '2026-03-03T08:30:00' }],
    ['dtend-mismatch', 9000002, 'OLD', { uid: 'lab@2026-03-03T08:00', dtend: '2026-03-03T09:00:00' }],
    ['contact-mismatch', 9000002, 'OLD', { uid: 'lab@2026-03-03T08:00', contact: '9000001' }],
  ] as const)('answers 06 when the slot cannot be booked: %s', async (reason, receiver, who, ref) => {
    const r = await reserve(receiver, patient(who), ref);
    expect(r.code).toBe('06');
    expect(r.reason).toBe(reason.split(' ')[0]);
    expect(await db.manager.getRepository(AppointmentEntity).count()).toBe(0);
  });

  it('answers 06 inside-notice for a slot in the past', async () => {
    clock.advance(2 * 60 * MINUTE);
    expect(await reserve(9000002, patient('OLD'), { uid: 'lab@2026-03-02T08:30' })).toEqual({
      code: '06',
      reason: 'inside-notice',
    });
  });

  it('answers 06 when the slot is blocked', async () => {
    await db.manager.getRepository(SlotEntity).update({ id: 'lab@2026-03-03T08:00' }, { blocked: true });
    expect(await reserve(9000002, patient('OLD'), { uid: 'lab@2026-03-03T08:00' })).toEqual({ code: '06', reason: 'blocked' });
  });

  it('accepts dtstart written with an offset or Z when it is the same instant', async () => {
    const r = await reserve(9000002, patient('OLD'), {
      uid: 'lab@2026-03-03T08:00',
      dtstart: '2026-03-03T07:00:00Z',
      dtend: '2026-03-03T08:30:00+01:00',
    });
    expect(r.code).toBe('05');
  });

  it('answers 30 when the patient may not use the book', async () => {
    const r = await reserve(9000001, patient('YOUNG'), { uid: 'vaksine@2026-03-03T09:00' });
    expect(r.code).toBe('30');
    expect((await slotRow('vaksine@2026-03-03T09:00')).booked).toBe(0);
  });

  it('judges eligibility on the patient, not on the representative who books for them (DECISIONS 25)', async () => {
    const forChild = await reserve(
      9000001,
      patient('CHILD'),
      { uid: 'vaksine@2026-03-03T09:00' },
      { bookedBy: { representativeId: patient('OLD').id, relation: 'FO' } },
    );
    expect(forChild.code).toBe('30');
    const byChild = await reserve(
      9000001,
      patient('OLD'),
      { uid: 'vaksine@2026-03-03T09:00' },
      { bookedBy: { representativeId: patient('YOUNG').id, relation: 'FU' } },
    );
    expect(byChild.code).toBe('05');
  });

  it('answers 26 when the patient already holds maxActivePerPatient future bookings in the book', async () => {
    expect((await reserve(9000001, patient('OLD'), { uid: 'vaksine@2026-03-03T09:00' })).code).toBe('05');
    expect(await reserve(9000001, patient('OLD'), { uid: 'vaksine@2026-03-04T09:00' })).toEqual({
      code: '26',
      reason: 'patient-limit',
    });
    expect((await slotRow('vaksine@2026-03-04T09:00')).booked).toBe(0);
  });

  it('counts requested (unconfirmed) bookings against the limit, cancelled ones not', async () => {
    // lab allows 2 active per patient
    expect((await reserve(9000002, patient('OLD'), { uid: 'lab@2026-03-03T08:00' })).code).toBe('05');
    expect((await reserve(9000002, patient('OLD'), { uid: 'lab@2026-03-04T08:00' })).code).toBe('05');
    expect((await reserve(9000002, patient('OLD'), { uid: 'lab@2026-03-05T08:00' })).code).toBe('26');
    expect((await cancel(9000002, patient('OLD'), { uid: 'lab@2026-03-04T08:00' })).code).toBe('08');
    expect((await reserve(9000002, patient('OLD'), { uid: 'lab@2026-03-05T08:00' })).code).toBe('05');
  });

  it('answers 26 when the patient already holds the very slot (capacity above 1)', async () => {
    service = new TimebookService(clock);
    await db.manager.getRepository(SlotEntity).update({ id: 'lab@2026-03-03T08:00' }, { capacity: 3 });
    expect((await reserve(9000002, patient('OLD'), { uid: 'lab@2026-03-03T08:00' })).code).toBe('05');
    expect(await reserve(9000002, patient('OLD'), { uid: 'lab@2026-03-03T08:00' })).toEqual({
      code: '26',
      reason: 'already-holds-slot',
    });
  });

  it('answers from the stored appointment when the same appointment id comes again', async () => {
    const command = { appointmentId: 'same-id', sourceMsgId: 'same-msg' };
    const first = await reserve(9000002, patient('OLD'), { uid: 'lab@2026-03-03T08:00' }, command);
    const again = await reserve(9000002, patient('OLD'), { uid: 'lab@2026-03-03T08:00' }, command);
    expect(again).toEqual(first);
    expect((await slotRow('lab@2026-03-03T08:00')).booked).toBe(1);
  });

  it('books nothing (26) when the appointment id is already used for another patient', async () => {
    const command = { appointmentId: 'same-id', sourceMsgId: 'same-msg' };
    await reserve(9000002, patient('OLD'), { uid: 'lab@2026-03-03T08:00' }, command);
    expect(await reserve(9000002, patient('YOUNG'), { uid: 'lab@2026-03-03T08:30' }, command)).toEqual({
      code: '26',
      reason: 'appointment-id-in-use',
    });
    expect((await slotRow('lab@2026-03-03T08:30')).booked).toBe(0);
  });
});

describe('AvbestillAvtale (cancel)', () => {
  async function booked(receiver: number, who: PatientFacts, uid: string): Promise<string> {
    const r = await reserve(receiver, who, { uid });
    expect(r.code).toBe('05');
    return r.appointment!.uid;
  }

  it('cancels the patient own appointment named by its appointment id: 08, CANCELLED, capacity freed', async () => {
    const id = await booked(9000001, patient('OLD'), 'vaksine@2026-03-03T09:00');
    const r = await cancel(9000001, patient('OLD'), { uid: id, relatedTo: 'vaksine@2026-03-03T09:00' });
    expect(r).toMatchObject({ code: '08', appointment: { uid: id, status: 'CANCELLED', relatedTo: 'vaksine@2026-03-03T09:00' } });
    expect((await slotRow('vaksine@2026-03-03T09:00')).booked).toBe(0);
    const stored = await db.manager.getRepository(AppointmentEntity).findOneByOrFail({ id });
    expect(stored).toMatchObject({ status: 'cancelled', cancelMsgId: `cancel-${counter}`, cancelledAt: MONDAY_ISO });
  });

  it('cancels when the slot id comes in uid and the appointment id in related-to (2019 examples)', async () => {
    const id = await booked(9000001, patient('OLD'), 'vaksine@2026-03-03T09:00');
    const r = await cancel(9000001, patient('OLD'), { uid: 'vaksine@2026-03-03T09:00', relatedTo: id });
    expect(r.code).toBe('08');
  });

  it('cancels when only the slot id is given', async () => {
    await booked(9000001, patient('OLD'), 'vaksine@2026-03-03T09:00');
    expect((await cancel(9000001, patient('OLD'), { uid: 'vaksine@2026-03-03T09:00' })).code).toBe('08');
  });

  it('answers 08 again for an appointment that is already cancelled', async () => {
    const id = await booked(9000001, patient('OLD'), 'vaksine@2026-03-03T09:00');
    expect((await cancel(9000001, patient('OLD'), { uid: id })).code).toBe('08');
    const again = await cancel(9000001, patient('OLD'), { uid: id });
    expect(again).toMatchObject({ code: '08', reason: 'already-cancelled', appointment: { status: 'CANCELLED' } });
    expect((await slotRow('vaksine@2026-03-03T09:00')).booked).toBe(0);
  });

  it('cancels a requested (unconfirmed) appointment and frees its hold', async () => {
    const id = await booked(9000010, patient('LISTED'), 'fastlege@2026-03-04T08:00');
    expect((await cancel(9000010, patient('LISTED'), { uid: id })).code).toBe('08');
    expect((await slotRow('fastlege@2026-03-04T08:00')).booked).toBe(0);
  });

  it('answers 09 when nothing matches', async () => {
    expect(await cancel(9000001, patient('OLD'), { uid: 'nothing', relatedTo: 'nothing-either' })).toEqual({
      code: '09',
      reason: 'not-found',
    });
    expect((await cancel(9000001, patient('OLD'), {})).code).toBe('09');
  });

  it('answers 09 when the appointment is someone else’s, and leaves it booked', async () => {
    const id = await booked(9000001, patient('OLD'), 'vaksine@2026-03-03T09:00');
    expect(await cancel(9000001, patient('VERY_OLD'), { uid: id })).toEqual({ code: '09', reason: 'not-theirs' });
    expect((await slotRow('vaksine@2026-03-03T09:00')).booked).toBe(1);
  });

  it('answers 09 when the appointment belongs to another receiver', async () => {
    const id = await booked(9000001, patient('OLD'), 'vaksine@2026-03-03T09:00');
    expect((await cancel(9000002, patient('OLD'), { uid: id })).code).toBe('09');
  });

  it('answers 09 inside the cancellation cut-off, and 08 just outside it', async () => {
    // fastlege: cut-off 24 h; Tuesday 08:00 is exactly 24 h after Monday 08:00.
    const id = await booked(9000010, patient('LISTED'), 'fastlege@2026-03-03T08:00');
    clock.advance(MINUTE);
    expect(await cancel(9000010, patient('LISTED'), { uid: id })).toEqual({ code: '09', reason: 'cutoff' });
    clock.advance(-MINUTE);
    expect((await cancel(9000010, patient('LISTED'), { uid: id })).code).toBe('08');
  });

  it('picks the active appointment when a slot id matches an old cancelled one too', async () => {
    await booked(9000001, patient('OLD'), 'vaksine@2026-03-03T09:00');
    await cancel(9000001, patient('OLD'), { uid: 'vaksine@2026-03-03T09:00' });
    const second = await booked(9000001, patient('OLD'), 'vaksine@2026-03-03T09:00');
    const r = await cancel(9000001, patient('OLD'), { uid: 'vaksine@2026-03-03T09:00' });
    expect(r).toMatchObject({ code: '08', appointment: { uid: second } });
    expect(r.reason).toBeUndefined();
  });
});

describe('HentPlanlagteTimer (listPlanned)', () => {
  it('answers 02 when the patient has nothing planned', async () => {
    expect(await planned(9000002, patient('OLD'))).toEqual({ code: '02', appointments: [] });
  });

  it('lists requested as TENTATIVE and booked as CONFIRMED, earliest first, without cancelled ones', async () => {
    await reserve(9000002, patient('YOUNG'), { uid: 'lab@2026-03-04T08:00' });
    await reserve(9000002, patient('YOUNG'), { uid: 'lab-nord@2026-03-03T10:00' });
    await reserve(9000002, patient('OLD'), { uid: 'lab@2026-03-05T08:00' });
    await reserve(9000010, patient('LISTED'), { uid: 'fastlege@2026-03-03T08:00' });
    const lab = await planned(9000002, patient('YOUNG'));
    expect(lab.code).toBe('01');
    expect(lab.appointments.map((a) => [a.relatedTo, a.status])).toEqual([
      ['lab-nord@2026-03-03T10:00', 'CONFIRMED'],
      ['lab@2026-03-04T08:00', 'CONFIRMED'],
    ]);
    await cancel(9000002, patient('YOUNG'), { uid: 'lab@2026-03-04T08:00' });
    expect((await planned(9000002, patient('YOUNG'))).appointments).toHaveLength(1);
    const gp = await planned(9000010, patient('LISTED'));
    expect(gp.appointments.map((a) => a.status)).toEqual(['TENTATIVE']);
  });

  it('a video appointment carries the book\'s video meeting details as its location; a free video slot does not', async () => {
    const gp = await free(9000010, patient('LISTED'), '2026-03-05', '2026-03-05');
    const slotOffered = gp.slots.find((s) => s.uid === 'fastlege@2026-03-05T13:00');
    expect(slotOffered).toBeDefined();
    expect(slotOffered?.location ?? '').not.toContain('video.example.test');
    await reserve(9000010, patient('LISTED'), { uid: 'fastlege@2026-03-05T13:00' });
    await reserve(9000010, patient('LISTED'), { uid: 'fastlege@2026-03-03T08:00' });
    const [ordinary, video] = (await planned(9000010, patient('LISTED'))).appointments;
    expect(video).toMatchObject({ categories: ['Video'], location: 'Videotime: https://video.example.test/fastlege – logg inn fem minutter før timen' });
    expect(ordinary?.location ?? '').not.toContain('video.example.test');
  });

  it('lists appointments from 00:00 local today, also those earlier today', async () => {
    await reserve(9000002, patient('OLD'), { uid: 'lab@2026-03-03T08:00' });
    clock.set(new Date('2026-03-03T10:00:00Z')); // Tuesday 11:00, the appointment was at 08:00
    expect((await planned(9000002, patient('OLD'))).appointments).toHaveLength(1);
    clock.set(new Date('2026-03-03T23:30:00Z')); // Wednesday 00:30 local
    expect((await planned(9000002, patient('OLD'))).code).toBe('02');
  });
});
