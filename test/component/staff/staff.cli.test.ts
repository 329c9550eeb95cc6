import { runStaff, type StaffIo } from '../../../src/cli/staff.command.js';
import { Database } from '../../../src/db/database.js';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '../../../src/db/schema.js';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import type { OutboxRow } from '../../../src/inbox/message.entities.js';
import { OutboxRelay } from '../../../src/outbox/outbox.relay.js';
import { FixedClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { replay } from '../pipeline/helpers.js';
import { NOW, OT_FILE, PATIENT, RT_FILE, STAFF_SETUP } from './world.js';

/** `timebok staff …` in-process: exit 0 done, 1 refused, 2 usage; one line of error, never a stack trace. */
let schemas: SchemaSet;
beforeAll(async () => {
  schemas = await loadSchemaSet();
});
afterAll(() => schemas.dispose());

let dbFile: string;
beforeEach(async () => {
  const run = await replay(schemas, [RT_FILE, OT_FILE], { setup: STAFF_SETUP });
  expect(run.lines.every((l) => / pending /.test(l))).toBe(true);
  dbFile = run.db;
});

interface CliRun {
  code: number;
  out: string[];
  err: string[];
}

async function staff(args: string[], env: Record<string, string> = {}, clock = new FixedClock(NOW)): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io: StaffIo = {
    env: { DATABASE_URL: `sqlite:${dbFile}`, HELSENORGE_HER_ID: '8093248', ...env },
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    clock,
    schemas,
  };
  const code = await runStaff(args, io);
  for (const line of err) expect(line).not.toMatch(/^\s+at /m);
  return { code, out, err };
}

function idFrom(lines: string[], pattern: RegExp): string {
  const line = lines.find((l) => pattern.test(l));
  expect(line).toBeDefined();
  return (line as string).split('  ')[0] as string;
}

test('pending lists the held request (with the patient id for staff); confirm answers 05 once', async () => {
  const pending = await staff(['pending']);
  expect(pending.code).toBe(0);
  expect(pending.out[0]).toMatch(/^REQUEST  RECEIVED  BOOK/);
  expect(pending.out[1]).toContain(PATIENT);
  expect(pending.out[1]).toContain('september-fastlege  4088E990AD89CB3DBB484909');
  const id = idFrom(pending.out, /4088E990AD89CB3DBB484909/);

  const confirm = await staff(['confirm', id]);
  expect(confirm).toMatchObject({ code: 0, err: [] });
  expect(confirm.out[0]).toBe(`confirm: request ${id} confirmed`);
  expect(confirm.out[1]).toMatch(/^ {2}reply 05 → 8093248_async \(outbox [0-9a-f-]{36}\)$/);
  expect(confirm.out.join('\n')).not.toContain(PATIENT);

  const again = await staff(['confirm', id]);
  expect(again).toMatchObject({ code: 0, out: ['confirm: nothing to do: already confirmed (05 sent)'] });
  expect((await staff(['pending'])).out).toEqual(['no held requests']);
});

test('the outbox rows a staff command wrote are sent by the service relay', async () => {
  const id = idFrom((await staff(['pending'])).out, /4088E990AD89CB3DBB484909/);
  await staff(['reject', id, '--gone']);
  const db = await Database.open({ url: `sqlite:${dbFile}`, entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS });
  try {
    const sent: OutboxRow[] = [];
    await new OutboxRelay(db, { publish: async (row) => void sent.push(row) }, new FixedClock(NOW), silentLogger).drain();
    expect(sent.map((r) => `${r.kind} ${r.summary} ${r.queue}`)).toEqual(['reply reply 06 8093248_async']);
  } finally {
    await db.close();
  }
});

test('wishes: listing, a wrong pair is refused (exit 1), a right one answered', async () => {
  const list = await staff(['wishes']);
  expect(list.code).toBe(0);
  expect(list.out).toHaveLength(1);
  expect(list.out[0]).toMatch(/ {2}OT {2}open {2}.*accepts another practitioner {2}answers 05\/10\/06$/);
  expect(list.out[0]).not.toMatch(/tørrhost/);
  const withText = await staff(['wishes', '--text']);
  expect(withText.out[1]).toMatch(/^ {4}question: Jeg ønsker time/);
  const id = idFrom(list.out, /OT/);

  const wrong = await staff(['answer-wish', id, '--code', '07']);
  expect(wrong).toEqual({ code: 1, out: [], err: ['timebok staff: SvarØnske 07 is not allowed for OT: allowed 05, 10, 06'] });
  const noSlot = await staff(['answer-wish', id, '--code', '05']);
  expect(noSlot).toMatchObject({ code: 2, err: ['timebok staff: answer 05 to OT needs --slot'] });
  const badCode = await staff(['answer-wish', id, '--code', '5']);
  expect(badCode.code).toBe(2);
  const other = await staff(['answer-wish', id, '--code', '10', '--slot', 'lin-fastlege@2019-07-03T13:00', '--practitioner', '910952', '--text', 'Du får time hos Rita Lin.']);
  expect(other.code).toBe(0);
  expect(other.out[1]).toMatch(/^ {2}reply 10 → 8093248_async/);
  expect((await staff(['wishes'])).out).toEqual(['no open wishes']);
  expect((await staff(['wishes', '--all'])).out[0]).toMatch(/answered 10/);
});

test('create, move, no-show and cancel push one Avtale each', async () => {
  const create = await staff(['create', '--book', 'blodprover', '--slot', 'blodprover@2019-07-01T09:30', '--patient', PATIENT, '--given', 'Line', '--family', 'Danser']);
  expect(create.code).toBe(0);
  expect(create.out[1]).toMatch(/^ {2}avtale 05 → 8093248_async/);
  const appointmentId = /appointment (\S+) created/.exec(create.out[0] as string)?.[1] as string;
  expect(appointmentId).toMatch(/^[0-9a-f-]{36}$/);

  const early = await staff(['no-show', appointmentId]);
  expect(early).toMatchObject({ code: 1, err: [`timebok staff: appointment ${appointmentId} has not started yet`] });
  const move = await staff(['move', appointmentId, '--slot', 'blodprover@2019-07-02T09:30']);
  expect(move.out[1]).toMatch(/avtale 07/);
  const late = new FixedClock(new Date('2019-07-02T07:45:00.000Z'));
  expect((await staff(['no-show', appointmentId], {}, late)).out[1]).toMatch(/avtale 11/);
  const cancel = await staff(['cancel', appointmentId], {}, late);
  expect(cancel).toMatchObject({ code: 1, err: [`timebok staff: appointment ${appointmentId} is no-show and cannot be cancelled`] });
});

test('usage errors exit 2, refusals exit 1, never with a stack trace or the patient id in an error', async () => {
  expect((await staff(['confirm'])).code).toBe(2);
  expect((await staff(['bogus'])).code).toBe(2);
  expect((await staff(['book-other', 'x'])).code).toBe(2); // --practitioner is required
  expect((await staff(['book-other', 'x', '--practitioner', 'abc'])).code).toBe(2);
  const badPatient = await staff(['create', '--book', 'blodprover', '--slot', 'blodprover@2019-07-02T08:00', '--patient', '13116900217']);
  expect(badPatient).toEqual({ code: 2, out: [], err: ['timebok staff: --patient is not a valid FNR (check-digits)'] });
  expect((await staff(['cancel', 'nope'])).err).toEqual(['timebok staff: no appointment with id nope']);
  expect((await staff(['cancel', 'nope'])).code).toBe(1);
  const unset = await staff(['create', '--book', 'blodprover', '--slot', 'blodprover@2019-07-02T08:00', '--patient', PATIENT], { HELSENORGE_HER_ID: '' });
  expect(unset).toMatchObject({ code: 1, err: ['timebok staff: HELSENORGE_HER_ID is not set: the Avtale for a desk booking has nowhere to go'] });
  const badSetting = await staff(['pending'], { HELSENORGE_HER_ID: 'abc' });
  expect(badSetting.code).toBe(2);
  expect(badSetting.err[0]).toMatch(/^timebok staff: ERR_CONFIG: setting HELSENORGE_HER_ID/);
  const noDb = await staff(['pending'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
  expect(noDb).toMatchObject({ code: 1, err: [expect.stringMatching(/^timebok staff: ERR_DEPENDENCY_UNAVAILABLE: database could not be opened/)] });
  const help = await staff(['--help']);
  expect(help.code).toBe(0);
  expect(help.out.join('\n')).toMatch(/answer-wish/);
});
