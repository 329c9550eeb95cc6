import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Database } from '../../src/db/database.js';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '../../src/db/schema.js';
import { FixedClock } from '../../src/shared/clock.js';
import { AppointmentEntity, SlotEntity } from '../../src/timebook/timebook.entities.js';
import { importTimebooks } from '../../src/timebook/timebook.import.js';
import { TimebookService } from '../../src/timebook/timebook.service.js';
import { loadTimebooksFile } from '../../src/timebook/timebooks.file.js';
import type { ReserveResult } from '../../src/timebook/types.js';
import { freshDatabase } from './pg.js';

/**
 * RELIABILITY.md T5 on PostgreSQL: reservations race for the same slots through two independent
 * connection pools (two Timebok processes sharing one database); a slot never exceeds its capacity.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const RACE_BOOKS = path.resolve(here, '../fixtures/timebook/race.timebooks.json');
const MONDAY_0800 = new Date('2026-03-02T07:00:00.000Z');

let drop: () => Promise<void>;
let a: Database;
let b: Database;
const clock = new FixedClock(MONDAY_0800);
const service = new TimebookService(clock);
let request = 0;

beforeAll(async () => {
  const fresh = await freshDatabase('race');
  drop = fresh.drop;
  a = await Database.open({ url: fresh.url, entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS, poolSize: 10 });
  b = await Database.open({ url: fresh.url, entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS, poolSize: 10 });
  await importTimebooks(a, await loadTimebooksFile(RACE_BOOKS), clock);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await drop?.();
});

function reserveOnce(slotId: string): Promise<ReserveResult> {
  request += 1;
  const n = request;
  const db = n % 2 === 0 ? a : b;
  return db.run((tx) =>
    service.reserve(tx, {
      receiverHerId: 9100001,
      patient: { id: String(n).padStart(11, '0'), birthDate: '1980-01-01' },
      bookedBy: { representativeId: null, relation: null },
      slot: { uid: slotId },
      appointmentId: `race-${n}`,
      sourceMsgId: `race-msg-${n}`,
    }),
  );
}

async function slotIds(skip: number, n: number): Promise<string[]> {
  const slots = await a.manager.find(SlotEntity, { where: { timebookId: 'race' }, order: { startUtc: 'ASC' }, skip, take: n });
  expect(slots).toHaveLength(n);
  return slots.map((s) => s.id);
}

test('50 concurrent reservations × 20 rounds on one capacity-1 slot each → exactly 20 bookings', async () => {
  const rounds = await slotIds(0, 20);
  for (const slotId of rounds) {
    const results = await Promise.all(Array.from({ length: 50 }, () => reserveOnce(slotId)));
    expect(results.filter((r) => r.code === '05')).toHaveLength(1);
    expect(results.filter((r) => r.code === '06')).toHaveLength(49);
  }
  const appointments = await a.manager.find(AppointmentEntity, { where: { slotId: rounds[0] as string } });
  expect(appointments).toHaveLength(1);
});

test('500 requests over 25 slots from 10 workers → exactly 25 bookings, no slot above capacity', async () => {
  const targets = await slotIds(20, 25);
  let next = 0;
  const results: ReserveResult[] = [];
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (next < 500) {
        const i = next;
        next += 1;
        results.push(await reserveOnce(targets[i % targets.length] as string));
      }
    }),
  );
  expect(results.filter((r) => r.code === '05')).toHaveLength(25);
  const slots = await a.manager.find(SlotEntity, { where: { timebookId: 'race' } });
  for (const s of slots) expect(s.booked).toBeLessThanOrEqual(s.capacity);
});
