import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Database } from '../../../src/db/database.js';
import { FixedClock } from '../../../src/shared/clock.js';
import { AppointmentEntity, SlotEntity } from '../../../src/timebook/timebook.entities.js';
import { importTimebooks } from '../../../src/timebook/timebook.import.js';
import { TimebookService } from '../../../src/timebook/timebook.service.js';
import { loadTimebooksFile } from '../../../src/timebook/timebooks.file.js';
import type { ReserveResult } from '../../../src/timebook/types.js';
import { MONDAY_0800, SELF, fixture, openTimebookDb } from './world.js';

/**
 * RELIABILITY.md T5 on SQLite (a file database, WAL): many reserve() transactions race for the same
 * slots; a slot never holds more than its capacity and every loser gets 06.
 */

let dir: string;
let db: Database;
let service: TimebookService;
let request = 0;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'timebok-race-'));
  db = await openTimebookDb(`sqlite:${path.join(dir, 'race.sqlite')}`);
  const clock = new FixedClock(MONDAY_0800);
  await importTimebooks(db, await loadTimebooksFile(fixture('race.timebooks.json')), clock);
  service = new TimebookService(clock);
});
afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One ReserverAvtale for a new (distinct) patient, in its own transaction. */
function reserveOnce(slotId: string): Promise<ReserveResult> {
  request += 1;
  const n = request;
  return db.run((tx) =>
    service.reserve(tx, {
      receiverHerId: 9100001,
      patient: { id: String(n).padStart(11, '0'), birthDate: '1980-01-01' },
      bookedBy: SELF,
      slot: { uid: slotId },
      appointmentId: `race-${n}`,
      sourceMsgId: `race-msg-${n}`,
    }),
  );
}

/** The first `n` slot ids of the race book, in start order. */
async function slotIds(n: number): Promise<string[]> {
  const slots = await db.manager.find(SlotEntity, { where: { timebookId: 'race' }, order: { startUtc: 'ASC' }, take: n });
  expect(slots).toHaveLength(n);
  return slots.map((s) => s.id);
}

async function assertNoOverbooking(): Promise<void> {
  const slots = await db.manager.find(SlotEntity, { where: { timebookId: 'race' } });
  const appointments = await db.manager.find(AppointmentEntity);
  const perSlot = new Map<string, number>();
  for (const a of appointments) perSlot.set(a.slotId, (perSlot.get(a.slotId) ?? 0) + 1);
  for (const slot of slots) {
    expect(slot.booked).toBeLessThanOrEqual(slot.capacity);
    expect(perSlot.get(slot.id) ?? 0).toBe(slot.booked);
  }
}

it('books a capacity-1 slot exactly once when 50 reservations race for it, 20 rounds over', async () => {
  const rounds = await slotIds(20);
  const codes: string[] = [];
  for (const slotId of rounds) {
    const results = await Promise.all(Array.from({ length: 50 }, () => reserveOnce(slotId)));
    const won = results.filter((r) => r.code === '05');
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.code === '06' && r.reason === 'slot-full')).toHaveLength(49);
    codes.push(...results.map((r) => r.code));
  }
  expect(codes.filter((c) => c === '05')).toHaveLength(20);
  expect(await db.manager.count(AppointmentEntity)).toBe(20);
  await assertNoOverbooking();
});

it('books 25 slots exactly 25 times when 10 concurrent workers send 500 requests over them', async () => {
  const targets = await slotIds(25);
  const results: ReserveResult[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < 500) {
      const i = next;
      next += 1;
      results.push(await reserveOnce(targets[i % targets.length]!));
    }
  }
  await Promise.all(Array.from({ length: 10 }, () => worker()));
  expect(results).toHaveLength(500);
  expect(results.filter((r) => r.code === '05')).toHaveLength(25);
  expect(results.filter((r) => r.code === '06')).toHaveLength(475);
  const booked = await db.manager.find(SlotEntity, { where: { timebookId: 'race' } });
  expect(booked.filter((s) => s.booked === 1).map((s) => s.id).sort()).toEqual([...targets].sort());
  await assertNoOverbooking();
});
