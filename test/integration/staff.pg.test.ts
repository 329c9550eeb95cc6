import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp, importSetup, type App } from '../../src/app.js';
import { DEFAULT_XML_LIMITS } from '../../src/envelope/types.js';
import { loadSchemaSet, type SchemaSet } from '../../src/envelope/schema.validator.js';
import { OutboxEntity } from '../../src/inbox/message.entities.js';
import { FixedClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';
import { StaffService } from '../../src/staff/staff.service.js';
import { CitizenRequestEntity } from '../../src/timebook/request.entities.js';
import { SlotEntity } from '../../src/timebook/timebook.entities.js';
import { freshDatabase } from './pg.js';

/**
 * Staff commands racing on PostgreSQL through two processes (two pools on one database): a place is
 * given once, a change is pushed once, and every message written is schema-valid.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../..');
const SETUP = path.join(ROOT, 'test/fixtures/staff/setup');
const OT = readFileSync(path.join(ROOT, 'fixtures/helsenorge-2019/DIALOG_INNBYGGER_TIMEONSKE/1.2/Onske-om-time--Foresporsel-innbygger--Onske-om-time.xml'), 'utf8');
const NOW = new Date('2019-07-01T07:00:00.000Z');
const PATIENTS = ['13116900216', '19518225084', '05490160096', '10455010018'];

let schemas: SchemaSet;
let drop: () => Promise<void>;
let a: App;
let b: App;
let staffA: StaffService;
let staffB: StaffService;

beforeAll(async () => {
  schemas = await loadSchemaSet();
  const fresh = await freshDatabase('staff');
  drop = fresh.drop;
  const open = () => createApp({ databaseUrl: fresh.url, clock: new FixedClock(NOW), logger: silentLogger, limits: DEFAULT_XML_LIMITS, acceptSyntheticIds: true, schemas });
  a = await open();
  b = await open();
  await importSetup(a, path.join(SETUP, 'registry.json'), path.join(SETUP, 'timebooks.json'));
  const service = (app: App) => new StaffService({ db: app.db, registry: app.registry, clock: app.clock, helsenorgeHerId: 8093248, acceptSyntheticIds: true, schemas });
  staffA = service(a);
  staffB = service(b);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await drop?.();
  schemas?.dispose();
});

test('four wishes answered 05 onto the same single place at once: one gets it, three are refused, nothing half-done', async () => {
  for (const [i, patient] of PATIENTS.entries()) {
    const xml = OT.replace(/<MsgId>[^<]*<\/MsgId>/, `<MsgId>e0000000-0000-4000-8000-00000000000${i}</MsgId>`).replace('<Id>13116900216</Id>', `<Id>${patient}</Id>`);
    const o = await a.pipeline.process({ transport: 'replay', queue: 'replay', body: Buffer.from(xml), messageId: `w${i}`, fromHerId: 8093248 });
    expect(o.status).toBe('pending');
  }
  const wishes = await a.db.manager.getRepository(CitizenRequestEntity).find({ where: { kind: 'wish' } });
  expect(wishes).toHaveLength(4);
  const slot = 'september-fastlege@2019-07-03T10:00';
  const results = await Promise.allSettled(wishes.map((w, i) => (i % 2 === 0 ? staffA : staffB).answerWish(w.id, { code: '05', slotId: slot })));
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  for (const r of results) if (r.status === 'rejected') expect((r.reason as Error).message).toBe(`slot ${slot} is full`);
  expect((await a.db.manager.getRepository(SlotEntity).findOneByOrFail({ id: slot })).booked).toBe(1);
  const answered = await a.db.manager.getRepository(CitizenRequestEntity).find({ where: { kind: 'wish', status: 'answered' } });
  expect(answered).toHaveLength(1);
  expect(await a.db.manager.getRepository(OutboxEntity).count({ where: { kind: 'reply' } })).toBe(1);
});

test('the same cancel and the same move run at once through two processes: one change, one Avtale each', async () => {
  const created = await staffA.create({ bookId: 'blodprover', slotId: 'blodprover@2019-07-04T08:00', patientId: PATIENTS[1]! });
  const id = created.appointmentId as string;
  const moves = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => (i % 2 ? staffA : staffB).move(id, 'blodprover@2019-07-04T09:00')));
  const changedMoves = moves.filter((r) => r.status === 'fulfilled' && r.value.changed);
  expect(changedMoves).toHaveLength(1);
  // The others found it done, or lost the race and wrote nothing (conflict).
  for (const r of moves) if (r.status === 'rejected') expect(r.reason).toMatchObject({ kind: 'conflict' });
  const cancels = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => (i % 2 ? staffA : staffB).cancel(id)));
  expect(cancels.filter((r) => r.status === 'fulfilled' && r.value.changed)).toHaveLength(1);
  const avtaler = await a.db.manager.getRepository(OutboxEntity).find({ where: { kind: 'avtale' } });
  expect(avtaler.map((r) => r.summary).sort()).toEqual(['avtale 05', 'avtale 07', 'avtale 08']);
  for (const r of avtaler) expect(schemas.validate(r.body).valid).toBe(true);
  const slots = await a.db.manager.getRepository(SlotEntity).find({ where: { timebookId: 'blodprover' } });
  expect(slots.reduce((n, s) => n + s.booked, 0)).toBe(0);
});
