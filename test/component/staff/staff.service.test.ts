import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import type { OutboxRow } from '../../../src/inbox/message.entities.js';
import { StaffError } from '../../../src/staff/staff.errors.js';
import { WISH_ANSWERS } from '../../../src/staff/staff.service.js';
import {
  HELSENORGE,
  OAT_FILE,
  OET_FILE,
  OT_FILE,
  PATIENT,
  RT_FILE,
  attr,
  read,
  staffWorld,
  texts,
  wishAbout,
  withMsgId,
  type StaffWorld,
} from './world.js';

/**
 * Issue 3: every staff operation is one transaction that changes the appointment/request and writes
 * its message(s) to the outbox; every message is schema-valid; a repeated command writes nothing.
 */
let schemas: SchemaSet;
let world: StaffWorld;
beforeAll(async () => {
  schemas = await loadSchemaSet();
});
afterAll(() => schemas.dispose());
beforeEach(async () => {
  world = await staffWorld(schemas);
});
afterEach(async () => world.close());

const HELD_SLOT = '4088E990AD89CB3DBB484909';
/** Synthetic test fødselsnumre (test/fixtures/timebook/patients.json). */
const OTHER = '19518225084';
const THIRD = '05490160096';
const RT_MSGID = '8325fcb5-89a9-11e3-baa8-0800200c9a66';
let counter = 0;
const msgId = () => `c0000000-0000-4000-8000-${String((counter += 1)).padStart(12, '0')}`;

async function hold(): Promise<string> {
  const outcome = await world.deliver(read(RT_FILE));
  expect(outcome.status).toBe('pending');
  const [request] = (await world.requests()).filter((r) => r.kind === 'hold');
  return request!.id;
}

async function wish(xml: string): Promise<string> {
  const before = new Set((await world.requests()).map((r) => r.id));
  expect((await world.deliver(xml)).status).toBe('pending');
  const added = (await world.requests()).filter((r) => !before.has(r.id));
  expect(added).toHaveLength(1);
  return added[0]!.id;
}

async function rowsAfter(before: OutboxRow[]): Promise<OutboxRow[]> {
  const seen = new Set(before.map((r) => r.id));
  return (await world.outbox()).filter((r) => !seen.has(r.id));
}

/** Every message a test produced must be schema-valid. */
async function expectAllValid(): Promise<void> {
  for (const row of await world.outbox()) {
    const v = schemas.validate(row.body);
    expect({ id: row.summary, issues: v.issues }).toEqual({ id: row.summary, issues: [] });
  }
}

async function deskBooking(slotId: string): Promise<string> {
  const r = await world.staff.create({ bookId: slotId.split('@')[0] as string, slotId, patientId: PATIENT, givenName: 'Line', familyName: 'Danser' });
  expect(r.changed).toBe(true);
  return r.appointmentId as string;
}

function expectReply(row: OutboxRow, code: string, process = 'DIALOG_INNBYGGER_TIMERESERVASJON'): void {
  expect(row).toMatchObject({ kind: 'reply', queue: '8093248_async', toHerId: HELSENORGE, process, summary: `reply ${code}`, inboxId: null });
  expect(attr(row.body, 'Type', 'V')).toBe(process);
  expect(attr(row.body, 'TemaKodet', 'V')).toBe(code);
  expect(attr(row.body, 'Ack', 'V')).toBe('J');
}

describe('held requests (manual books): SvarTimeReservasjon when staff decide', () => {
  test('confirm → 05 with the appointment (uid = appointment id, related-to = slot, CONFIRMED) in the request thread', async () => {
    const id = await hold();
    const before = await world.outbox();
    const r = await world.staff.confirm(id);
    expect(r).toMatchObject({ action: 'confirm', changed: true, appointmentId: id, requestId: id });
    const [row, ...more] = await rowsAfter(before);
    expect(more).toEqual([]);
    expectReply(row!, '05');
    expect(row!.fromHerId).toBe(91095);
    expect(texts(row!.body, 'RefToParent')).toEqual([RT_MSGID]);
    expect(texts(row!.body, 'uid')).toEqual([id]);
    expect(texts(row!.body, 'related-to')).toEqual([HELD_SLOT]);
    expect(texts(row!.body, 'status')).toEqual(['CONFIRMED']);
    expect(texts(row!.body, 'Id')).toContain(PATIENT);
    expect(await world.appointment(id)).toMatchObject({ status: 'booked', revision: 1 });
    const [request] = await world.requests();
    expect(request).toMatchObject({ status: 'answered', answerCode: '05', answerMsgId: row!.id });
    expect(await world.staff.listPending()).toEqual([]);
    await expectAllValid();
  });

  test('a repeated confirm writes nothing; another answer afterwards is refused', async () => {
    const id = await hold();
    await world.staff.confirm(id);
    const before = await world.outbox();
    const again = await world.staff.confirm(id);
    expect(again).toMatchObject({ changed: false, outbox: [] });
    await expect(world.staff.reject(id)).rejects.toMatchObject({ kind: 'refused', message: expect.stringMatching(/already answered with 05/) });
    expect(await rowsAfter(before)).toEqual([]);
  });

  test('reject → 26 echoing the requested VEVENT; the place is released', async () => {
    const id = await hold();
    expect(await world.booked(HELD_SLOT)).toBe(1);
    const before = await world.outbox();
    await world.staff.reject(id, { text: 'Legen er på kurs.' });
    const [row] = await rowsAfter(before);
    expectReply(row!, '26');
    expect(texts(row!.body, 'TekstNotatInnhold')).toEqual(['Legen er på kurs.']);
    expect(texts(row!.body, 'uid')).toEqual([HELD_SLOT]);
    expect(await world.booked(HELD_SLOT)).toBe(0);
    expect(await world.appointment(id)).toMatchObject({ status: 'rejected' });
    await expectAllValid();
  });

  test('reject --gone → 06', async () => {
    const id = await hold();
    const before = await world.outbox();
    await world.staff.reject(id, { gone: true });
    expectReply((await rowsAfter(before))[0]!, '06');
  });

  test('book-other → 10 with a Helsepersonell document (2015-05-04) naming the practitioner from the registry', async () => {
    const id = await hold();
    const before = await world.outbox();
    await world.staff.bookOther(id, { practitioner: { herId: 910952 } });
    const [row] = await rowsAfter(before);
    expectReply(row!, '10');
    expect(row!.body).toContain('<HelsepersonelListe xmlns="http://www.kith.no/xmlstds/helsepersonell/2015-05-04"');
    expect(texts(row!.body, 'FamilyName')).toContain('Lin');
    expect(texts(row!.body, 'GivenName')).toContain('Rita');
    expect(texts(row!.body, 'Id')).toEqual(expect.arrayContaining(['9876543', '910952']));
    // Dialogmelding first, then xCal, then Helsepersonell (protocol §4).
    expect(row!.body.indexOf('Dialogmelding')).toBeLessThan(row!.body.indexOf('icalendar'));
    expect(row!.body.indexOf('icalendar')).toBeLessThan(row!.body.indexOf('HelsepersonelListe'));
    expect(await world.appointment(id)).toMatchObject({ status: 'booked', practitioner: { herId: 910952, hprNumber: '9876543', familyName: 'Lin' } });
    await expectAllValid();
  });

  test("book-other --slot moves the appointment into the other practitioner's book (contact = her HER-id)", async () => {
    const id = await hold();
    const before = await world.outbox();
    await world.staff.bookOther(id, { practitioner: { herId: 910952 }, slotId: 'lin-fastlege@2019-07-02T12:00' });
    const [row] = await rowsAfter(before);
    expect(texts(row!.body, 'contact')).toEqual(['910952']);
    expect(texts(row!.body, 'related-to')).toEqual(['lin-fastlege@2019-07-02T12:00']);
    expect(await world.booked(HELD_SLOT)).toBe(0);
    expect(await world.booked('lin-fastlege@2019-07-02T12:00')).toBe(1);
    await expectAllValid();
  });

  test('book-other with a practitioner outside the registry needs a name; with --name and --hpr it works', async () => {
    const id = await hold();
    await expect(world.staff.bookOther(id, { practitioner: { herId: 999999 } })).rejects.toMatchObject({ kind: 'usage' });
    await expect(world.staff.bookOther(id, { practitioner: { herId: 1235 } })).rejects.toMatchObject({ kind: 'usage', message: expect.stringMatching(/not a person/) });
    await world.staff.bookOther(id, { practitioner: { hprNumber: '1234567', name: 'Kari Vikar' } });
    const row = (await world.outbox()).find((r) => r.summary === 'reply 10')!;
    expect(texts(row.body, 'Id')).toContain('1234567');
    await expectAllValid();
  });

  test('confirm of a wish id, of an unknown id: refused with a clear error; nothing written', async () => {
    const w = await wish(read(OT_FILE));
    const before = await world.outbox();
    await expect(world.staff.confirm(w)).rejects.toMatchObject({ kind: 'usage', message: expect.stringMatching(/is a wish/) });
    await expect(world.staff.confirm('nope')).rejects.toMatchObject({ kind: 'not-found' });
    expect(await rowsAfter(before)).toEqual([]);
  });
});

describe('SvarØnske: allowed pairs only', () => {
  const ALL_CODES = ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '26', '30', '31', '34'];
  const pairs = Object.entries(WISH_ANSWERS).flatMap(([fn, allowed]) => ALL_CODES.filter((c) => !allowed.includes(c)).map((c) => [fn, c] as const));

  test('the table is OT → 05/10/06, OET → 07/10/06/34, OAT → 08/09', () => {
    expect(WISH_ANSWERS).toEqual({ OT: ['05', '10', '06'], OET: ['07', '10', '06', '34'], OAT: ['08', '09'] });
  });

  test('every other pair is refused with a clear error; nothing is written, the wish stays open', async () => {
    expect(pairs.length).toBe(36);
    const wishes: Record<string, string> = {
      OT: await wish(read(OT_FILE)),
      OET: await wish(withMsgId(read(OET_FILE), msgId())),
      OAT: await wish(withMsgId(read(OAT_FILE), msgId())),
    };
    const before = await world.outbox();
    for (const [fn, code] of pairs) {
      const err = await world.staff.answerWish(wishes[fn]!, { code, slotId: 'september-fastlege@2019-07-02T08:00' }).catch((e: unknown) => e);
      expect({ fn, code, err }).toEqual({
        fn,
        code,
        err: expect.objectContaining({ kind: 'refused', message: `SvarØnske ${code} is not allowed for ${fn}: allowed ${WISH_ANSWERS[fn]!.join(', ')}` }),
      });
      expect(err).toBeInstanceOf(StaffError);
    }
    expect(await rowsAfter(before)).toEqual([]);
    expect((await world.requests()).map((r) => r.status)).toEqual(['open', 'open', 'open']);
    expect(await world.booked('september-fastlege@2019-07-02T08:00')).toBe(0);
  });

  test('OT → 05 books the slot (a real appointment, CONFIRMED) in the TIMEONSKE thread', async () => {
    const w = await wish(read(OT_FILE));
    const slot = 'september-fastlege@2019-07-04T10:00';
    const before = await world.outbox();
    const r = await world.staff.answerWish(w, { code: '05', slotId: slot });
    const [row] = await rowsAfter(before);
    expectReply(row!, '05', 'DIALOG_INNBYGGER_TIMEONSKE');
    expect(texts(row!.body, 'RefToParent')).toEqual(['9277ad96-a664-42d0-90bf-e6130206b33a']);
    expect(texts(row!.body, 'uid')).toEqual([r.appointmentId]);
    expect(texts(row!.body, 'related-to')).toEqual([slot]);
    expect(await world.booked(slot)).toBe(1);
    expect(await world.appointment(r.appointmentId as string)).toMatchObject({ status: 'booked', originHerId: HELSENORGE, patientId: PATIENT, slotId: slot });
    expect((await world.requests())[0]).toMatchObject({ status: 'answered', answerCode: '05', appointmentId: r.appointmentId });
    // No Avtale: the SvarØnske is the message about this appointment.
    expect((await world.outbox()).filter((o) => o.kind === 'avtale')).toEqual([]);
    await expectAllValid();
  });

  test('OT → 05 on a full slot is refused and nothing changes (capacity claimed race-free)', async () => {
    const slot = 'september-fastlege@2019-07-04T10:00';
    // Three patients wish a time; staff give all three the same single place at once.
    const a = await wish(withMsgId(read(OT_FILE), msgId()));
    const b = await wish(withMsgId(read(OT_FILE), msgId()).replace(`<Id>${PATIENT}</Id>`, `<Id>${OTHER}</Id>`));
    const c = await wish(withMsgId(read(OT_FILE), msgId()).replace(`<Id>${PATIENT}</Id>`, `<Id>${THIRD}</Id>`));
    const results = await Promise.allSettled([a, b, c].map((id) => world.staff.answerWish(id, { code: '05', slotId: slot })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused.map((r) => (r.reason as StaffError).message)).toEqual([`slot ${slot} is full`, `slot ${slot} is full`]);
    expect(await world.booked(slot)).toBe(1);
    expect((await world.requests()).map((r) => r.status).sort()).toEqual(['answered', 'open', 'open']);
    expect((await world.outbox()).filter((o) => o.kind === 'reply')).toHaveLength(1);
  });

  test('OT → 10 books with another practitioner and names her; OT → 06 sends no xCal', async () => {
    const w1 = await wish(withMsgId(read(OT_FILE), msgId()));
    const w2 = await wish(withMsgId(read(OT_FILE), msgId()));
    await world.staff.answerWish(w1, { code: '10', slotId: 'lin-fastlege@2019-07-03T13:00', practitioner: { herId: 910952 } });
    await world.staff.answerWish(w2, { code: '06', text: 'Ingen ledige timer denne uken.' });
    const replies = (await world.outbox()).filter((o) => o.kind === 'reply');
    expect(replies.map((r) => r.summary).sort()).toEqual(['reply 06', 'reply 10']);
    expect(replies.find((r) => r.summary === 'reply 10')!.body).toContain('HelsepersonelListe');
    expect(replies.find((r) => r.summary === 'reply 06')!.body).not.toContain('icalendar');
    await expectAllValid();
  });

  test('answers that need a slot or a practitioner say so (usage)', async () => {
    const w = await wish(read(OT_FILE));
    await expect(world.staff.answerWish(w, { code: '05' })).rejects.toMatchObject({ kind: 'usage', message: 'answer 05 to OT needs --slot' });
    await expect(world.staff.answerWish(w, { code: '10', slotId: 'lin-fastlege@2019-07-03T13:00' })).rejects.toMatchObject({ kind: 'usage' });
  });

  test('OET → 07 moves the appointment the wish refers to (same id, new slot; old place released)', async () => {
    const appointmentId = await deskBooking('september-fastlege@2019-07-04T09:00');
    const w = await wish(wishAbout(OET_FILE, msgId(), 'september-fastlege@2019-07-04T09:00', appointmentId));
    expect((await world.staff.listWishes())[0]).toMatchObject({ id: w, appointmentId, allowedAnswers: ['07', '10', '06', '34'] });
    const before = await world.outbox();
    await world.staff.answerWish(w, { code: '07', slotId: 'september-fastlege@2019-07-05T09:00' });
    const [row] = await rowsAfter(before);
    expectReply(row!, '07', 'DIALOG_INNBYGGER_TIMEONSKE');
    expect(texts(row!.body, 'uid')).toEqual([appointmentId]);
    expect(texts(row!.body, 'dtstart')).toEqual(['2019-07-05T09:00:00']);
    expect(await world.appointment(appointmentId)).toMatchObject({ slotId: 'september-fastlege@2019-07-05T09:00', status: 'booked' });
    expect(await world.booked('september-fastlege@2019-07-04T09:00')).toBe(0);
    expect(await world.booked('september-fastlege@2019-07-05T09:00')).toBe(1);
    await expectAllValid();
  });

  test('OET → 10 moves with another practitioner; OET → 34 and → 06 change nothing and echo the VEVENT', async () => {
    const appointmentId = await deskBooking('september-fastlege@2019-07-04T09:00');
    const w1 = await wish(wishAbout(OET_FILE, msgId(), 'x', appointmentId));
    await world.staff.answerWish(w1, { code: '10', slotId: 'lin-fastlege@2019-07-04T12:00', practitioner: { herId: 910952 } });
    expect(await world.appointment(appointmentId)).toMatchObject({ timebookId: 'lin-fastlege', practitioner: { herId: 910952 } });
    const w2 = await wish(wishAbout(OET_FILE, msgId(), 'x', appointmentId));
    const w3 = await wish(wishAbout(OET_FILE, msgId(), 'x', appointmentId));
    const before = await world.outbox();
    await world.staff.answerWish(w2, { code: '34' });
    await world.staff.answerWish(w3, { code: '06' });
    const rows = await rowsAfter(before);
    expect(rows.map((r) => r.summary).sort()).toEqual(['reply 06', 'reply 34']);
    for (const r of rows) expect(texts(r.body, 'related-to')).toEqual([appointmentId]);
    expect(await world.appointment(appointmentId)).toMatchObject({ timebookId: 'lin-fastlege', revision: 1 });
    await expectAllValid();
  });

  test('OET → 07 without a matching appointment is refused (name it or answer 34)', async () => {
    const w = await wish(read(OET_FILE));
    await expect(world.staff.answerWish(w, { code: '07', slotId: 'september-fastlege@2019-07-05T09:00' })).rejects.toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(/answer 34/),
    });
  });

  test('OAT → 08 cancels the appointment and releases the place; OAT → 09 changes nothing', async () => {
    const appointmentId = await deskBooking('blodprover@2019-07-02T08:00');
    const w1 = await wish(wishAbout(OAT_FILE, msgId(), 'x', appointmentId));
    const before = await world.outbox();
    await world.staff.answerWish(w1, { code: '08' });
    const [row] = await rowsAfter(before);
    expectReply(row!, '08', 'DIALOG_INNBYGGER_TIMEONSKE');
    expect(texts(row!.body, 'status')).toEqual(['CANCELLED']);
    expect(await world.appointment(appointmentId)).toMatchObject({ status: 'cancelled' });
    expect(await world.booked('blodprover@2019-07-02T08:00')).toBe(0);
    const other = await deskBooking('blodprover@2019-07-03T08:00');
    const w2 = await wish(wishAbout(OAT_FILE, msgId(), 'x', other));
    await world.staff.answerWish(w2, { code: '09' });
    expect(await world.appointment(other)).toMatchObject({ status: 'booked' });
    // No Avtale for changes answered with SvarØnske (only the two desk bookings pushed).
    expect((await world.outbox()).filter((o) => o.kind === 'avtale').map((o) => o.summary)).toEqual(['avtale 05', 'avtale 05']);
    await expectAllValid();
  });

  test('OAT → 08 with --appointment names the appointment when the wish does not match one', async () => {
    const appointmentId = await deskBooking('blodprover@2019-07-02T08:00');
    const w = await wish(read(OAT_FILE));
    await expect(world.staff.answerWish(w, { code: '08' })).rejects.toMatchObject({ kind: 'refused', message: expect.stringMatching(/answer 09/) });
    await expect(world.staff.answerWish(w, { code: '08', appointmentId: 'other' })).rejects.toMatchObject({ kind: 'not-found' });
    await world.staff.answerWish(w, { code: '08', appointmentId });
    expect(await world.appointment(appointmentId)).toMatchObject({ status: 'cancelled' });
  });

  test('a repeated answer writes nothing; a different one is refused', async () => {
    const w = await wish(read(OT_FILE));
    await world.staff.answerWish(w, { code: '06' });
    const before = await world.outbox();
    expect(await world.staff.answerWish(w, { code: '06' })).toMatchObject({ changed: false });
    await expect(world.staff.answerWish(w, { code: '05', slotId: 'september-fastlege@2019-07-04T10:00' })).rejects.toMatchObject({ kind: 'refused' });
    expect(await rowsAfter(before)).toEqual([]);
    expect((await world.staff.listWishes())).toEqual([]);
    expect((await world.staff.listWishes({ all: true }))[0]).toMatchObject({ status: 'answered', answerCode: '06' });
  });

  test('listing shows no texts unless asked', async () => {
    await wish(read(OT_FILE));
    const [plain] = await world.staff.listWishes();
    expect(plain).not.toHaveProperty('sporsmal');
    const [withText] = await world.staff.listWishes({ includeText: true });
    expect(withText!.sporsmal).toMatch(/tørrhost/);
  });
});

describe('Avtale push: exactly one per change made outside Helsenorge', () => {
  function expectAvtale(row: OutboxRow, code: string, fromHerId: number): void {
    expect(row).toMatchObject({ kind: 'avtale', process: 'DIALOG_INNBYGGER_AVTALEUTSENDING', queue: '8093248_async', toHerId: HELSENORGE, fromHerId, summary: `avtale ${code}` });
    expect(attr(row.body, 'Type', 'V')).toBe('DIALOG_INNBYGGER_AVTALEUTSENDING');
    expect(attr(row.body, 'TypeForesp', 'V')).toBe(code);
    expect(attr(row.body, 'TypeForesp', 'S')).toBe('2.16.578.1.12.4.1.1.7602');
    expect(row.body).toContain('<Foresporsel>');
    expect(row.body).not.toContain('ConversationRef');
    expect(row.body).not.toMatch(/Sporsmal|Pasientrelasjon|Helsepersonel/);
    expect(row.body).toContain('icalendar');
  }

  test('create (desk booking) → Avtale 05 to HELSENORGE_HER_ID; repeating the command writes nothing', async () => {
    const slot = 'blodprover@2019-07-02T08:10';
    const r = await world.staff.create({ bookId: 'blodprover', slotId: slot, patientId: PATIENT, givenName: 'Line', familyName: 'Danser' });
    const rows = await world.outbox();
    expect(rows).toHaveLength(1);
    expectAvtale(rows[0]!, '05', 1235);
    expect(texts(rows[0]!.body, 'uid')).toEqual([r.appointmentId]);
    expect(texts(rows[0]!.body, 'status')).toEqual(['CONFIRMED']);
    expect(texts(rows[0]!.body, 'location')).toEqual(['Nanset legekontor, Nansetgata 1, 3269 Larvik, Laboratoriet, 1. etasje']);
    expect(texts(rows[0]!.body, 'GivenName')).toContain('Line');
    expect(await world.appointment(r.appointmentId as string)).toMatchObject({ originHerId: null, status: 'booked' });
    const again = await world.staff.create({ bookId: 'blodprover', slotId: slot, patientId: PATIENT });
    expect(again).toMatchObject({ changed: false, appointmentId: r.appointmentId });
    expect(await world.outbox()).toHaveLength(1);
    expect(await world.booked(slot)).toBe(1);
    await expectAllValid();
  });

  test('create refuses a full, started, unknown or foreign slot and a bad patient id; nothing written', async () => {
    const slot = 'blodprover@2019-07-02T08:20';
    await world.staff.create({ bookId: 'blodprover', slotId: slot, patientId: PATIENT });
    await world.staff.create({ bookId: 'blodprover', slotId: slot, patientId: OTHER });
    const count = (await world.outbox()).length;
    await expect(world.staff.create({ bookId: 'blodprover', slotId: slot, patientId: THIRD })).rejects.toMatchObject({ message: expect.stringMatching(/is full/) });
    world.clock.set(new Date('2019-07-02T06:31:00.000Z'));
    await expect(world.staff.create({ bookId: 'blodprover', slotId: 'blodprover@2019-07-02T08:30', patientId: PATIENT })).rejects.toMatchObject({ message: expect.stringMatching(/already started/) });
    await expect(world.staff.create({ bookId: 'blodprover', slotId: 'blodprover@2031-01-01T08:00', patientId: PATIENT })).rejects.toMatchObject({ kind: 'refused' });
    await expect(world.staff.create({ bookId: 'blodprover', slotId: 'lin-fastlege@2019-07-03T13:00', patientId: PATIENT })).rejects.toMatchObject({ message: expect.stringMatching(/not in timebook blodprover/) });
    await expect(world.staff.create({ bookId: 'nope', slotId: slot, patientId: PATIENT })).rejects.toMatchObject({ kind: 'not-found' });
    const bad = await world.staff.create({ bookId: 'blodprover', slotId: slot, patientId: '13116900217' }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ kind: 'usage', message: '--patient is not a valid FNR (check-digits)' });
    expect((await world.outbox()).length).toBe(count);
  });

  test('a slot takes as many desk bookings as its capacity (2), then refuses', async () => {
    const slot = 'blodprover@2019-07-02T08:30';
    await world.staff.create({ bookId: 'blodprover', slotId: slot, patientId: PATIENT });
    await world.staff.create({ bookId: 'blodprover', slotId: slot, patientId: OTHER });
    await expect(world.staff.create({ bookId: 'blodprover', slotId: slot, patientId: THIRD })).rejects.toMatchObject({ kind: 'refused', message: `slot ${slot} is full` });
    expect(await world.booked(slot)).toBe(2);
    expect((await world.outbox()).map((r) => r.summary)).toEqual(['avtale 05', 'avtale 05']);
  });

  test('without HELSENORGE_HER_ID a desk booking is refused before anything changes', async () => {
    await world.close();
    world = await staffWorld(schemas, { helsenorgeHerId: null });
    await expect(world.staff.create({ bookId: 'blodprover', slotId: 'blodprover@2019-07-02T08:00', patientId: PATIENT })).rejects.toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(/HELSENORGE_HER_ID is not set/),
    });
    expect(await world.booked('blodprover@2019-07-02T08:00')).toBe(0);
    expect(await world.outbox()).toEqual([]);
  });

  test('staff cancel → Avtale 08 (CANCELLED) and the place is free; again → nothing', async () => {
    const id = await deskBooking('blodprover@2019-07-02T09:00');
    const before = await world.outbox();
    await world.staff.cancel(id);
    const rows = await rowsAfter(before);
    expect(rows).toHaveLength(1);
    expectAvtale(rows[0]!, '08', 1235);
    expect(texts(rows[0]!.body, 'status')).toEqual(['CANCELLED']);
    expect(await world.booked('blodprover@2019-07-02T09:00')).toBe(0);
    expect(await world.staff.cancel(id)).toMatchObject({ changed: false });
    expect(await rowsAfter(before)).toHaveLength(1);
    await expectAllValid();
  });

  test('an appointment booked through Helsenorge: the Avtale goes to the party that sent the request', async () => {
    const id = await hold();
    await world.staff.confirm(id);
    const before = await world.outbox();
    await world.staff.cancel(id);
    const [row] = await rowsAfter(before);
    expectAvtale(row!, '08', 91095);
    expect(texts(row!.body, 'GivenName')).toContain('Folke');
  });

  test('staff cancel of a held request is refused (use reject)', async () => {
    const id = await hold();
    await expect(world.staff.cancel(id)).rejects.toMatchObject({ kind: 'refused', message: expect.stringMatching(/staff reject/) });
  });

  test('move → Avtale 07 with the new times (same uid); moving to the same slot again writes nothing', async () => {
    const id = await deskBooking('blodprover@2019-07-02T09:10');
    const before = await world.outbox();
    await world.staff.move(id, 'blodprover@2019-07-03T09:10');
    const rows = await rowsAfter(before);
    expect(rows).toHaveLength(1);
    expectAvtale(rows[0]!, '07', 1235);
    expect(texts(rows[0]!.body, 'uid')).toEqual([id]);
    expect(texts(rows[0]!.body, 'dtstart')).toEqual(['2019-07-03T09:10:00']);
    expect(await world.staff.move(id, 'blodprover@2019-07-03T09:10')).toMatchObject({ changed: false });
    // Back and forth: each change is its own Avtale with its own id.
    await world.staff.move(id, 'blodprover@2019-07-02T09:10');
    const all = await rowsAfter(before);
    expect(all.map((r) => r.summary)).toEqual(['avtale 07', 'avtale 07']);
    expect(new Set(all.map((r) => r.id)).size).toBe(2);
    expect(await world.booked('blodprover@2019-07-02T09:10')).toBe(1);
    expect(await world.booked('blodprover@2019-07-03T09:10')).toBe(0);
    await expectAllValid();
  });

  test('move to a full or unknown slot is refused; nothing changes', async () => {
    const id = await deskBooking('september-fastlege@2019-07-02T09:00');
    await world.staff.create({ bookId: 'september-fastlege', slotId: 'september-fastlege@2019-07-02T09:30', patientId: OTHER });
    const before = await world.outbox();
    await expect(world.staff.move(id, 'september-fastlege@2019-07-02T09:30')).rejects.toMatchObject({ kind: 'refused', message: expect.stringMatching(/is full/) });
    await expect(world.staff.move(id, 'nope@2019-07-02T09:30')).rejects.toMatchObject({ kind: 'refused' });
    await expect(world.staff.move(id, 'september-fastlege@2019-07-02T09:00')).resolves.toMatchObject({ changed: false });
    expect(await rowsAfter(before)).toEqual([]);
    expect(await world.appointment(id)).toMatchObject({ slotId: 'september-fastlege@2019-07-02T09:00', revision: 0 });
    expect(await world.booked('september-fastlege@2019-07-02T09:30')).toBe(1);
  });

  test('no-show: refused before the start; after it → Avtale 11 (no STATUS); again → nothing', async () => {
    const id = await deskBooking('blodprover@2019-07-01T09:30');
    await expect(world.staff.noShow(id)).rejects.toMatchObject({ message: expect.stringMatching(/not started yet/) });
    world.clock.set(new Date('2019-07-01T08:00:00.000Z'));
    const before = await world.outbox();
    await world.staff.noShow(id);
    const rows = await rowsAfter(before);
    expect(rows).toHaveLength(1);
    expectAvtale(rows[0]!, '11', 1235);
    expect(texts(rows[0]!.body, 'status')).toEqual([]);
    expect(await world.appointment(id)).toMatchObject({ status: 'no-show' });
    expect(await world.staff.noShow(id)).toMatchObject({ changed: false });
    expect(await rowsAfter(before)).toHaveLength(1);
    await expect(world.staff.cancel(id)).rejects.toMatchObject({ kind: 'refused' });
    await expectAllValid();
  });

  test('the same command run concurrently changes once and pushes one Avtale', async () => {
    const id = await deskBooking('blodprover@2019-07-04T08:00');
    const before = await world.outbox();
    const results = await Promise.all(Array.from({ length: 5 }, () => world.staff.cancel(id)));
    expect(results.filter((r) => r.changed)).toHaveLength(1);
    expect(await rowsAfter(before)).toHaveLength(1);
    const moves = await Promise.allSettled(Array.from({ length: 5 }, () => world.staff.create({ bookId: 'blodprover', slotId: 'blodprover@2019-07-04T08:10', patientId: PATIENT })));
    expect(moves.filter((r) => r.status === 'fulfilled' && r.value.changed)).toHaveLength(1);
    expect((await rowsAfter(before)).map((r) => r.summary).sort()).toEqual(['avtale 05', 'avtale 08']);
  });

  test('every id is deterministic: the same history in a fresh database gives the same outbox ids', async () => {
    const run = async (w: StaffWorld) => {
      const id = (await w.staff.create({ bookId: 'blodprover', slotId: 'blodprover@2019-07-02T08:00', patientId: PATIENT })).appointmentId as string;
      await w.staff.move(id, 'blodprover@2019-07-02T08:10');
      await w.staff.cancel(id);
      return (await w.outbox()).map((r) => r.id);
    };
    const first = await run(world);
    const other = await staffWorld(schemas);
    try {
      expect(await run(other)).toEqual(first);
    } finally {
      await other.close();
    }
  });
});
