import { In, MoreThanOrEqual, type EntityManager } from 'typeorm';
import type { Database } from '../db/database.js';
import type { Clock } from '../shared/clock.js';
import { generateSlots, type SlotSpec } from './slot.generator.js';
import {
  AppointmentEntity,
  ListPatientEntity,
  SlotEntity,
  TimebookEntity,
  type SlotRow,
  type TimebookRow,
} from './timebook.entities.js';
import type { ImportSummary, TimebookDefinition, TimebooksFile } from './types.js';

export { loadTimebooksFile } from './timebooks.file.js';

const DAY = 86_400_000;
const CHUNK = 200;
/** Appointment states that hold on to a slot: such a slot is never removed by an import. */
const HOLDING_STATES = ['requested', 'booked', 'completed', 'no-show'];

/**
 * Imports a validated `timebooks.json` in one transaction (docs/decisions.md §2: on every replay run).
 *
 * Idempotent: the same file with the same clock changes nothing. A changed file updates the books and
 * adds, changes or removes **free future** slots only; a slot with holds (booked > 0 or an appointment
 * that is not cancelled) is left as it is and reported in `kept` (a capacity change that still fits the
 * holds is applied). Books no longer in the file are retired (not offered, not bookable; their
 * appointments stay). Slots are materialised from now to now + horizonDays + 1 day (never past
 * validTo); later ones are rolled forward lazily by {@link ensureSlotsForHorizon} / {@link ensureSlotsUpTo}.
 */
export async function importTimebooks(db: Database, file: TimebooksFile, clock: Clock): Promise<ImportSummary> {
  return db.transaction((em) => importTimebooksIn(em, file, clock));
}

/** {@link importTimebooks} inside the caller's transaction. */
export async function importTimebooksIn(em: EntityManager, file: TimebooksFile, clock: Clock): Promise<ImportSummary> {
  const now = clock.now();
  const nowIso = now.toISOString();
  const summary: ImportSummary = {
    books: { created: [], updated: [], unchanged: [], retired: [] },
    slots: { added: 0, removed: 0, updated: 0 },
    kept: [],
    listPatients: { added: 0, removed: 0 },
  };
  const books = em.getRepository(TimebookEntity);
  const existing = new Map((await books.find()).map((row) => [row.id, row]));

  for (const def of file.timebooks) {
    const before = existing.get(def.id);
    existing.delete(def.id);
    const content = contentOf(def);
    let row: TimebookRow;
    if (before === undefined) {
      row = { ...content, retired: false, slotsUntil: null, updatedAt: nowIso };
      await books.insert(row);
      summary.books.created.push(def.id);
    } else if (before.retired || stableJson(contentOfRow(before)) !== stableJson(content)) {
      row = { ...before, ...content, retired: false, updatedAt: nowIso };
      await books.update({ id: def.id }, { ...content, retired: false, updatedAt: nowIso });
      summary.books.updated.push(def.id);
    } else {
      row = before;
      summary.books.unchanged.push(def.id);
    }
    const until = Math.max(rollTarget(row, now.getTime()), row.slotsUntil === null ? 0 : Date.parse(row.slotsUntil));
    await syncFutureSlots(em, row, generateSlots(row, now, new Date(until)), nowIso, summary);
    const untilIso = new Date(until).toISOString();
    if (row.slotsUntil !== untilIso) await books.update({ id: row.id }, { slotsUntil: untilIso });
  }

  for (const gone of existing.values()) {
    if (gone.retired) continue;
    await books.update({ id: gone.id }, { retired: true, updatedAt: nowIso });
    summary.books.retired.push(gone.id);
    await syncFutureSlots(em, gone, [], nowIso, summary);
  }

  await syncListPatients(em, file.listPatients, summary);
  return summary;
}

/** The book's content as the file defines it (everything but bookkeeping columns). */
export function contentOf(def: TimebookDefinition): Omit<TimebookRow, 'retired' | 'slotsUntil' | 'updatedAt'> {
  return {
    id: def.id,
    herId: def.herId,
    kind: def.kind,
    name: def.name,
    text: def.text,
    location: def.location,
    published: def.published,
    prerequisites: def.prerequisites,
    eligibility: def.eligibility,
    form: def.form,
    videoMeeting: def.videoMeeting,
    confirmation: def.confirmation,
    minNoticeMinutes: def.minNoticeMinutes,
    horizonDays: def.horizonDays,
    cancelCutoffMinutes: def.cancelCutoffMinutes,
    maxActivePerPatient: def.maxActivePerPatient,
    urgentBookableDigitally: def.urgentBookableDigitally,
    schedule: def.schedule,
    singleSlots: def.slots,
    validFrom: def.validFrom,
    validTo: def.validTo,
    timeZone: def.timeZone,
  };
}

function contentOfRow(row: TimebookRow): Omit<TimebookRow, 'retired' | 'slotsUntil' | 'updatedAt'> {
  const { retired: _r, slotsUntil: _s, updatedAt: _u, ...content } = row;
  return content;
}

/** JSON with object keys sorted, so that stored and file content compare equal whatever the key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

async function syncFutureSlots(
  em: EntityManager,
  book: TimebookRow,
  desired: SlotSpec[],
  nowIso: string,
  summary: ImportSummary,
): Promise<void> {
  const current = await em.getRepository(SlotEntity).find({
    where: { timebookId: book.id, startUtc: MoreThanOrEqual(nowIso) },
  });
  const wanted = new Map(desired.map((s) => [s.id, s]));
  const holders = new Set(
    (
      await em
        .getRepository(AppointmentEntity)
        .createQueryBuilder('a')
        .select('DISTINCT a.slotId', 'slotId')
        .where('a.timebookId = :book', { book: book.id })
        .andWhere('a.startUtc >= :now', { now: nowIso })
        .andWhere('a.status IN (:...states)', { states: HOLDING_STATES })
        .getRawMany<{ slotId: string }>()
    ).map((r) => r.slotId),
  );

  const remove: string[] = [];
  for (const slot of current) {
    const want = wanted.get(slot.id);
    wanted.delete(slot.id);
    const held = slot.booked > 0 || holders.has(slot.id);
    if (want === undefined) {
      if (held) summary.kept.push({ slotId: slot.id, timebookId: book.id, reason: 'holds-bookings' });
      else remove.push(slot.id);
      continue;
    }
    if (sameSlot(slot, want)) continue;
    const onlyCapacity = sameSlot(slot, { ...want, capacity: slot.capacity });
    if (!held || (onlyCapacity && want.capacity >= slot.booked)) {
      await em.getRepository(SlotEntity).update(
        { id: slot.id },
        {
          startUtc: want.startUtc,
          endUtc: want.endUtc,
          localEnd: want.localEnd,
          capacity: want.capacity,
          type: want.type,
          origin: want.origin,
        },
      );
      summary.slots.updated += 1;
    } else {
      summary.kept.push({ slotId: slot.id, timebookId: book.id, reason: 'holds-bookings' });
    }
  }
  for (let i = 0; i < remove.length; i += CHUNK) {
    await em.getRepository(SlotEntity).delete({ id: In(remove.slice(i, i + CHUNK)) });
  }
  summary.slots.removed += remove.length;
  summary.slots.added += await insertSlots(em, [...wanted.values()]);
}

function sameSlot(slot: SlotRow, spec: SlotSpec): boolean {
  return (
    slot.startUtc === spec.startUtc &&
    slot.endUtc === spec.endUtc &&
    slot.localEnd === spec.localEnd &&
    slot.capacity === spec.capacity &&
    slot.type === spec.type &&
    slot.origin === spec.origin
  );
}

/** Inserts the slots that do not exist yet (by id or by (timebookId, localStart)); returns how many were tried. */
async function insertSlots(em: EntityManager, specs: SlotSpec[]): Promise<number> {
  for (let i = 0; i < specs.length; i += CHUNK) {
    const rows: SlotRow[] = specs.slice(i, i + CHUNK).map((s) => ({ ...s, booked: 0, blocked: false }));
    await em.createQueryBuilder().insert().into(SlotEntity).values(rows).orIgnore().execute();
  }
  return specs.length;
}

async function syncListPatients(
  em: EntityManager,
  listPatients: Record<string, string[]>,
  summary: ImportSummary,
): Promise<void> {
  const repo = em.getRepository(ListPatientEntity);
  const key = (herId: number, patientId: string) => `${herId}:${patientId}`;
  const current = new Map((await repo.find()).map((r) => [key(r.practitionerHerId, r.patientId), r]));
  const add: { practitionerHerId: number; patientId: string }[] = [];
  for (const [herId, ids] of Object.entries(listPatients)) {
    for (const patientId of ids) {
      const k = key(Number(herId), patientId);
      if (current.has(k)) current.delete(k);
      else add.push({ practitionerHerId: Number(herId), patientId });
    }
  }
  for (const gone of current.values()) {
    await repo.delete({ practitionerHerId: gone.practitionerHerId, patientId: gone.patientId });
  }
  for (let i = 0; i < add.length; i += CHUNK) await repo.insert(add.slice(i, i + CHUNK));
  summary.listPatients = { added: add.length, removed: current.size };
}

/**
 * How far slots are materialised: the horizon plus one day, so that the bookable range
 * [now + minNotice, now + horizon] (both ends inclusive) always exists and rolling forward is a write
 * about once a day rather than on every request.
 */
function rollTarget(book: TimebookRow, now: number): number {
  return now + book.horizonDays * DAY + DAY;
}

/**
 * Makes sure the book's slots exist over its bookable range as seen at `now` (rolling forward when the
 * horizon has moved past what was materialised). Called lazily by every operation that reads slots.
 */
export async function ensureSlotsForHorizon(em: EntityManager, book: TimebookRow, now: Date): Promise<void> {
  if (book.retired) return;
  if (book.slotsUntil !== null && Date.parse(book.slotsUntil) >= now.getTime() + book.horizonDays * DAY) return;
  await ensureSlotsUpTo(em, book, new Date(rollTarget(book, now.getTime())), now);
}

/**
 * Rolls a book's slots forward so that they exist up to `untilUtc`: generates from where the last roll
 * stopped (`slotsUntil`, or `notBefore` if later) and inserts only the missing ones. Safe under
 * concurrency: inserts ignore conflicts on the unique (timebookId, localStart), and `slotsUntil` only
 * ever moves forward. Slots an import removed are not brought back (they lie before `slotsUntil`).
 * Retired books are not rolled. Returns the number of slots generated.
 */
export async function ensureSlotsUpTo(
  em: EntityManager,
  book: TimebookRow,
  untilUtc: Date,
  notBefore?: Date,
): Promise<number> {
  if (book.retired) return 0;
  const until = untilUtc.toISOString();
  if (book.slotsUntil !== null && book.slotsUntil >= until) return 0;
  let from =
    book.slotsUntil !== null
      ? Date.parse(book.slotsUntil)
      : (notBefore?.getTime() ?? untilUtc.getTime() - book.horizonDays * DAY);
  if (notBefore !== undefined) from = Math.max(from, notBefore.getTime());
  const specs = generateSlots(book, new Date(from), untilUtc);
  await insertSlots(em, specs);
  await em
    .createQueryBuilder()
    .update(TimebookEntity)
    .set({ slotsUntil: until })
    .where('id = :id', { id: book.id })
    .andWhere('("slotsUntil" IS NULL OR "slotsUntil" < :until)', { until })
    .execute();
  book.slotsUntil = until;
  return specs.length;
}
