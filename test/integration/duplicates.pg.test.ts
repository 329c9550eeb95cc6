import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp, importSetup, type App } from '../../src/app.js';
import { DEFAULT_XML_LIMITS } from '../../src/envelope/types.js';
import { loadSchemaSet, type SchemaSet } from '../../src/envelope/schema.validator.js';
import { InboxEntity, OutboxEntity } from '../../src/inbox/message.entities.js';
import type { InboundDelivery, ProcessOutcome } from '../../src/pipeline/types.js';
import { FixedClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/logger.js';
import { AppointmentEntity, SlotEntity } from '../../src/timebook/timebook.entities.js';
import { freshDatabase } from './pg.js';

/**
 * RELIABILITY.md T6 on PostgreSQL: the same ReserverAvtale delivered several times, one after another
 * and at the same moment, through one Timebok process and through two (two App instances = two
 * connection pools on one database). Exactly one appointment and one inbox row per request; every copy
 * is answered with the same outbox rows (AppRec 1 + reply 05), re-sent from the store.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../..');
const SETUP = path.join(ROOT, 'test/fixtures/staff/setup');
const RT = readFileSync(path.join(ROOT, 'fixtures/helsenorge-2019/DIALOG_INNBYGGER_TIMERESERVASJON/1.2/Reserver-time--Foresporsel-innbygger--Reserver-time.xml'), 'utf8');
const NOW = new Date('2019-07-01T07:00:00.000Z'); // Monday 09:00 Oslo
const HELSENORGE = 8093248;

let schemas: SchemaSet;
let drop: () => Promise<void>;
let a: App;
let b: App;

beforeAll(async () => {
  schemas = await loadSchemaSet();
  const fresh = await freshDatabase('duplicates');
  drop = fresh.drop;
  const open = () =>
    createApp({ databaseUrl: fresh.url, clock: new FixedClock(NOW), logger: silentLogger, limits: DEFAULT_XML_LIMITS, acceptSyntheticIds: false, schemas });
  a = await open();
  b = await open();
  await importSetup(a, path.join(SETUP, 'registry.json'), path.join(SETUP, 'timebooks.json'));
  b.registry.invalidate();
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await drop?.();
  schemas?.dispose();
});

/** The official ReserverAvtale addressed to the `auto` lab book (service 1235), for `slotId`, with its own MsgId. */
function request(msgId: string, slotId: string): Buffer {
  const [, date, time] = /@(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})$/.exec(slotId) ?? [];
  const end = new Date(Date.parse(`${date}T${time}:00Z`) + 10 * 60_000).toISOString().slice(11, 16);
  const xml = RT.replace(/<MsgId>[^<]*<\/MsgId>/, `<MsgId>${msgId}</MsgId>`)
    .replace(/<Id>91095 ?<\/Id>/, '<Id>1235</Id>')
    .replace('<text>4088E990AD89CB3DBB484909</text>', `<text>${slotId}</text>`)
    .replace(/<contact>\s*<text>[^<]*<\/text>/, '<contact><text>1235</text>')
    .replace('<date-time>2019-07-05T11:45:00</date-time>', `<date-time>${date}T${time}:00</date-time>`)
    .replace('<date-time>2019-07-05T12:00:00</date-time>', `<date-time>${date}T${end}:00</date-time>`);
  return Buffer.from(xml, 'utf8');
}

function deliver(app: App, body: Buffer, copy: number): Promise<ProcessOutcome> {
  const delivery: InboundDelivery = { transport: 'replay', queue: '1235_async', body, messageId: `copy-${copy}`, fromHerId: HELSENORGE };
  return app.pipeline.process(delivery);
}

const msgIdOf = (n: number) => `d0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

async function inboxOf(msgId: string) {
  return a.db.manager.getRepository(InboxEntity).find({ where: { senderHerId: HELSENORGE, msgId } });
}

async function appointmentsFor(msgId: string) {
  const [inbox] = await inboxOf(msgId);
  return a.db.manager.getRepository(AppointmentEntity).find({ where: { sourceMsgId: msgId } }).then((rows) => ({ inbox, rows }));
}

test('sequential copies: the first is booked (05), the others are answered from the store', async () => {
  const msgId = msgIdOf(1);
  const body = request(msgId, 'blodprover@2019-07-02T08:00');
  const outcomes: ProcessOutcome[] = [];
  for (let i = 0; i < 3; i += 1) outcomes.push(await deliver(i % 2 === 0 ? a : b, body, i));
  expect(outcomes.map((o) => o.status)).toEqual(['answered', 'duplicate', 'duplicate']);
  expect(outcomes[0]!.summary).toMatch(/reply 05/);
  for (const o of outcomes) expect(o.outboxIds).toEqual(outcomes[0]!.outboxIds);
  const { inbox, rows } = await appointmentsFor(msgId);
  expect(rows).toHaveLength(1);
  expect(inbox).toMatchObject({ duplicateCount: 2 });
  expect(await inboxOf(msgId)).toHaveLength(1);
  const outbox = await a.db.manager.getRepository(OutboxEntity).find({ where: { inboxId: inbox!.id }, order: { seq: 'ASC' } });
  expect(outbox.map((r) => r.summary)).toEqual(['apprec 1', 'reply 05']);
});

test('concurrent copies in one process (Promise.all): one appointment, one inbox row, the same answer rows', async () => {
  const msgId = msgIdOf(2);
  const body = request(msgId, 'blodprover@2019-07-02T08:10');
  const outcomes = await Promise.all(Array.from({ length: 5 }, (_, i) => deliver(a, body, i)));
  expect(outcomes.filter((o) => o.status === 'answered')).toHaveLength(1);
  expect(outcomes.filter((o) => o.status === 'duplicate')).toHaveLength(4);
  for (const o of outcomes) expect(o.outboxIds).toEqual(outcomes[0]!.outboxIds);
  const { inbox, rows } = await appointmentsFor(msgId);
  expect(rows).toHaveLength(1);
  expect(inbox).toMatchObject({ duplicateCount: 4 });
});

test('T6: 40 requests, each delivered 3 times at once across two processes: 40 bookings, 40 inbox rows, 80 answers', async () => {
  const slots = (
    await a.db.manager.getRepository(SlotEntity).find({ where: { timebookId: 'blodprover' }, order: { startUtc: 'ASC' } })
  ).filter((s) => s.localStart >= '2019-07-03T00:00:00' && s.booked === 0);
  expect(slots.length).toBeGreaterThanOrEqual(40);
  const requests = slots.slice(0, 40).map((s, i) => ({ msgId: msgIdOf(100 + i), body: request(msgIdOf(100 + i), s.id), slotId: s.id }));
  const copies = requests.flatMap((r, i) => [0, 1, 2].map((c) => ({ r, app: (i + c) % 2 === 0 ? a : b, copy: c })));
  // Interleave: copies of one request are not next to each other.
  copies.sort((x, y) => x.copy - y.copy || x.r.msgId.localeCompare(y.r.msgId));
  const outcomes = await Promise.all(copies.map(({ r, app, copy }) => deliver(app, r.body, copy).then((o) => ({ msgId: r.msgId, o }))));

  for (const r of requests) {
    const mine = outcomes.filter((x) => x.msgId === r.msgId).map((x) => x.o);
    expect(mine.map((o) => o.status).sort()).toEqual(['answered', 'duplicate', 'duplicate']);
    for (const o of mine) expect(o.outboxIds).toEqual(mine[0]!.outboxIds);
    expect(mine[0]!.outboxIds).toHaveLength(2);
  }
  const ids = requests.map((r) => r.msgId);
  const inbox = (await a.db.manager.getRepository(InboxEntity).find()).filter((i) => ids.includes(i.msgId));
  expect(inbox).toHaveLength(40);
  expect(inbox.reduce((n, i) => n + i.duplicateCount, 0)).toBe(80);
  const appointments = (await a.db.manager.getRepository(AppointmentEntity).find()).filter((x) => ids.includes(x.sourceMsgId));
  expect(appointments).toHaveLength(40);
  expect(new Set(appointments.map((x) => x.slotId)).size).toBe(40);
  const outbox = (await a.db.manager.getRepository(OutboxEntity).find()).filter((o) => inbox.some((i) => i.id === o.inboxId));
  expect(outbox).toHaveLength(80);
  expect(outbox.filter((o) => o.summary === 'reply 05')).toHaveLength(40);
  const booked = await a.db.manager.getRepository(SlotEntity).find({ where: { timebookId: 'blodprover' } });
  for (const s of booked) expect(s.booked).toBeLessThanOrEqual(s.capacity);
  for (const r of requests) expect(booked.find((s) => s.id === r.slotId)?.booked).toBe(1);
});

test('a Timeønske delivered 3 times at once across two processes is one wish', async () => {
  const ot = readFileSync(path.join(ROOT, 'fixtures/helsenorge-2019/DIALOG_INNBYGGER_TIMEONSKE/1.2/Onske-om-time--Foresporsel-innbygger--Onske-om-time.xml'));
  const outcomes = await Promise.all([deliver(a, ot, 0), deliver(b, ot, 1), deliver(a, ot, 2)]);
  expect(outcomes.map((o) => o.status).sort()).toEqual(['duplicate', 'duplicate', 'pending']);
  const wishes = await a.db.manager.query(`SELECT id FROM citizen_request WHERE "msgId" = $1`, ['9277ad96-a664-42d0-90bf-e6130206b33a']);
  expect(wishes).toHaveLength(1);
});
