import { randomUUID } from 'node:crypto';
import { In, MoreThanOrEqual, type EntityManager } from 'typeorm';
import type { Database } from '../db/database.js';
import type { Clock } from '../shared/clock.js';
import { isTimebokError } from '../shared/errors.js';
import { generateSlots, type SlotSpec } from '../timebook/slot.generator.js';
import { parseTimebooksFile } from '../timebook/timebooks.file.js';
import { contentOf } from '../timebook/timebook.import.js';
import { AppointmentEntity, SlotEntity, TimebookEntity, type SlotRow, type TimebookRow } from '../timebook/timebook.entities.js';
import type { SingleSlotDefinition, TimebookDefinition, Weekday } from '../timebook/types.js';
import { AdminError } from './admin.errors.js';
import { TimebookChangeEntity, type TimebookChangeRow } from './admin.entities.js';

const DAY = 86_400_000;
/** Appointment states that hold a slot: such a slot is never removed or regenerated away. */
const HOLDING = ['requested', 'booked', 'completed', 'no-show'];

/** The fields of a timebook that the API may set (the timebooks.json names). */
export const BOOK_FIELDS = [
  'kind',
  'name',
  'text',
  'location',
  'published',
  'prerequisites',
  'eligibility',
  'form',
  'videoMeeting',
  'confirmation',
  'minNoticeMinutes',
  'horizonDays',
  'cancelCutoffMinutes',
  'maxActivePerPatient',
  'urgentBookableDigitally',
  'schedule',
  'validFrom',
  'validTo',
  'timeZone',
] as const;

export interface SeriesInput {
  days: Weekday[];
  from: string;
  to: string;
  slotMinutes: number;
  capacity?: number;
  type?: string;
  /** Date range (YYYY-MM-DD, inclusive). Without it the series is part of the book's weekly schedule. */
  fromDate?: string;
  toDate?: string;
}

export interface SingleSlotInput {
  start: string;
  end: string;
  capacity?: number;
  type?: string;
  id?: string;
}

export interface SlotView extends SlotRow {
  state: 'free' | 'requested' | 'booked' | 'full' | 'blocked';
  appointments: { id: string; status: string }[];
}

/**
 * Timebooks and their slots changed through the admin API (docs/admin.md). Every change is validated
 * with the rules of timebooks.json (the same messages and JSON paths), written to the database in one
 * transaction with a `timebook_change` row, and takes effect in every process at once: the services
 * read books and slots from the database. Free future slots follow the book's schedule; a slot that
 * holds appointments is never removed or moved.
 */
export class TimebookAdmin {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  async list(): Promise<TimebookRow[]> {
    return this.db.manager.getRepository(TimebookEntity).find({ order: { id: 'ASC' } });
  }

  async get(id: string): Promise<TimebookRow> {
    const row = await this.db.manager.getRepository(TimebookEntity).findOne({ where: { id } });
    if (row === null) throw new AdminError('not-found', `timebook ${id} does not exist`);
    return row;
  }

  /** Creates a book from a timebooks.json entry; its slots are materialised over the horizon. */
  async create(input: Record<string, unknown>, actor: string): Promise<TimebookRow> {
    const def = validate(input);
    return this.db.transaction(async (em) => {
      const repo = em.getRepository(TimebookEntity);
      if ((await repo.findOne({ where: { id: def.id } })) !== null) throw new AdminError('conflict', `timebook ${def.id} exists already`, 'id');
      const now = this.clock.now();
      const row: TimebookRow = { ...contentOf(def), retired: false, slotsUntil: null, updatedAt: now.toISOString() };
      await repo.insert(row);
      await this.resync(em, row, now);
      await this.record(em, actor, def.id, 'create', { fields: Object.keys(input).filter((k) => k !== 'id') });
      return repo.findOneOrFail({ where: { id: def.id } });
    });
  }

  /** Changes some fields of a book (the others stay); slots follow a changed schedule. */
  async change(id: string, patch: Record<string, unknown>, actor: string, action = 'change'): Promise<TimebookRow> {
    return this.db.transaction(async (em) => {
      const repo = em.getRepository(TimebookEntity);
      const before = await repo.findOne({ where: { id } });
      if (before === null) throw new AdminError('not-found', `timebook ${id} does not exist`);
      if (before.retired) throw new AdminError('conflict', `timebook ${id} is retired`);
      const raw = { ...rawOf(before) } as Record<string, unknown>;
      for (const [k, v] of Object.entries(patch)) {
        if (v === null) delete raw[k];
        else raw[k] = v;
      }
      const def = validate(raw);
      const now = this.clock.now();
      const content = contentOf(def);
      await repo.update({ id }, { ...content, updatedAt: now.toISOString() });
      const after = { ...before, ...content, updatedAt: now.toISOString() };
      await this.resync(em, after, now);
      await this.record(em, actor, id, action, { fields: Object.keys(patch) });
      return repo.findOneOrFail({ where: { id } });
    });
  }

  /**
   * Adds a slot series: weekdays, times, length and capacity; with a date range its slots are added as
   * single slots of those dates, without one the series joins the book's weekly schedule.
   */
  async addSeries(id: string, s: SeriesInput, actor: string): Promise<{ added: number }> {
    const book = await this.get(id);
    const entry = { days: s.days, from: s.from, to: s.to, slotMinutes: s.slotMinutes, ...(s.capacity ? { capacity: s.capacity } : {}), ...(s.type ? { type: s.type } : {}) };
    if (s.fromDate === undefined && s.toDate === undefined) {
      const before = await this.countSlots(id);
      await this.change(id, { schedule: [...book.schedule, entry] }, actor, 'add-series');
      return { added: (await this.countSlots(id)) - before };
    }
    if (s.fromDate === undefined || s.toDate === undefined) throw new AdminError('bad-request', 'a date range needs both fromDate and toDate', s.fromDate === undefined ? 'fromDate' : 'toDate');
    if (s.toDate < s.fromDate) throw new AdminError('bad-request', 'must not be before fromDate', 'toDate');
    // Validate the entry with the file rules, then expand it over the range in the book's time zone.
    const probe = validate({ ...rawOf(book), schedule: [entry], slots: [], validFrom: s.fromDate, validTo: s.toDate });
    const start = Date.parse(`${s.fromDate}T00:00:00Z`) - 2 * DAY;
    const end = Date.parse(`${s.toDate}T00:00:00Z`) + 2 * DAY;
    const specs = generateSlots({ id, timeZone: probe.timeZone, schedule: probe.schedule, slots: [], validFrom: s.fromDate, validTo: s.toDate }, new Date(start), new Date(end));
    if (specs.length > 5000) throw new AdminError('bad-request', `the series makes ${specs.length} slots; at most 5000 at once`, 'toDate');
    const existing = new Set(book.singleSlots.map((x) => x.start));
    const added: SingleSlotDefinition[] = specs
      .map((sp) => ({ start: sp.localStart.slice(0, 16), end: sp.localEnd.slice(0, 16), capacity: sp.capacity, type: sp.type }))
      .filter((x) => !existing.has(x.start));
    await this.change(id, { slots: [...book.singleSlots, ...added] }, actor, 'add-series');
    return { added: added.length };
  }

  /** Adds one slot (local wall clock YYYY-MM-DDTHH:MM in the book's time zone). */
  async addSlot(id: string, s: SingleSlotInput, actor: string): Promise<SlotRow> {
    const book = await this.get(id);
    if (book.singleSlots.some((x) => x.start === s.start)) throw new AdminError('conflict', `timebook ${id} has a slot at ${s.start} already`, 'start');
    const def: SingleSlotDefinition = { start: s.start, end: s.end, capacity: s.capacity ?? 1, type: (s.type ?? 'Ordinær') as SingleSlotDefinition['type'], ...(s.id ? { id: s.id } : {}) };
    await this.change(id, { slots: [...book.singleSlots, def] }, actor, 'add-slot');
    const slot = await this.db.manager.getRepository(SlotEntity).findOne({ where: { timebookId: id, localStart: `${s.start}:00` } });
    if (slot === null) throw new AdminError('bad-request', 'the slot lies in the past or outside the book\'s time zone rules', 'start');
    return slot;
  }

  /** Blocks (or unblocks) a slot: blocked slots are not offered and cannot be booked; bookings stay. */
  async block(slotId: string, blocked: boolean, actor: string): Promise<SlotRow> {
    return this.db.transaction(async (em) => {
      const repo = em.getRepository(SlotEntity);
      const slot = await repo.findOne({ where: { id: slotId } });
      if (slot === null) throw new AdminError('not-found', `slot ${slotId} does not exist`);
      await repo.update({ id: slotId }, { blocked });
      // The book's updatedAt moves with every change to it or its slots (caches of other processes watch it).
      await em.getRepository(TimebookEntity).update({ id: slot.timebookId }, { updatedAt: this.clock.now().toISOString() });
      await this.record(em, actor, slot.timebookId, blocked ? 'block-slot' : 'unblock-slot', { slotId });
      return { ...slot, blocked };
    });
  }

  /**
   * Removes a slot that holds no appointment. A single slot leaves the book's definition too; a slot of
   * the weekly schedule comes back only if the schedule is changed later (block it to keep it out).
   */
  async removeSlot(slotId: string, actor: string): Promise<void> {
    await this.db.transaction(async (em) => {
      const repo = em.getRepository(SlotEntity);
      const slot = await repo.findOne({ where: { id: slotId } });
      if (slot === null) throw new AdminError('not-found', `slot ${slotId} does not exist`);
      const holders = await em.getRepository(AppointmentEntity).count({ where: { slotId, status: In(HOLDING) } });
      if (slot.booked > 0 || holders > 0) throw new AdminError('conflict', `slot ${slotId} holds appointments: block it instead`);
      const book = await em.getRepository(TimebookEntity).findOneOrFail({ where: { id: slot.timebookId } });
      const local = slot.localStart.slice(0, 16);
      const slots = slot.origin === 'single' ? book.singleSlots.filter((x) => x.start !== local && x.id !== slotId) : book.singleSlots;
      await em.getRepository(TimebookEntity).update({ id: book.id }, { singleSlots: slots, updatedAt: this.clock.now().toISOString() });
      await repo.delete({ id: slotId });
      await this.record(em, actor, book.id, 'remove-slot', { slotId });
    });
  }

  /** The slots of a book in [from, from + days) local dates, with their state for the week view. */
  async slots(id: string, fromDate: string, days: number): Promise<SlotView[]> {
    const book = await this.get(id);
    const from = `${fromDate}T00:00:00`;
    const to = localDatePlus(fromDate, days);
    const em = this.db.manager;
    const slots = await em
      .getRepository(SlotEntity)
      .createQueryBuilder('s')
      .where('s.timebookId = :id', { id: book.id })
      .andWhere('s.localStart >= :from', { from })
      .andWhere('s.localStart < :to', { to: `${to}T00:00:00` })
      .orderBy('s.localStart', 'ASC')
      .getMany();
    const ids = slots.map((s) => s.id);
    const appts = ids.length === 0 ? [] : await em.getRepository(AppointmentEntity).find({ where: { slotId: In(ids), status: In(['requested', 'booked', 'completed', 'no-show']) } });
    return slots.map((s) => {
      const mine = appts.filter((a) => a.slotId === s.id);
      const state: SlotView['state'] = s.blocked
        ? 'blocked'
        : mine.some((a) => a.status === 'requested')
          ? 'requested'
          : s.booked >= s.capacity
            ? 'full'
            : s.booked > 0
              ? 'booked'
              : 'free';
      return { ...s, state, appointments: mine.map((a) => ({ id: a.id, status: a.status })) };
    });
  }

  /** True once the API has changed any timebook: the database, not timebooks.json, is then the source. */
  async managedByApi(): Promise<boolean> {
    return (await this.db.manager.getRepository(TimebookChangeEntity).count()) > 0;
  }

  private async countSlots(id: string): Promise<number> {
    return this.db.manager.getRepository(SlotEntity).count({ where: { timebookId: id } });
  }

  private async record(em: EntityManager, actor: string, timebookId: string, action: string, detail: Record<string, unknown>): Promise<void> {
    const row: TimebookChangeRow = { id: randomUUID(), at: this.clock.now().toISOString(), actor, timebookId, action, detail };
    await em.getRepository(TimebookChangeEntity).insert(row as never);
  }

  /**
   * Brings the book's free future slots in line with its definition over what is materialised (at least
   * the horizon): adds missing ones, changes or removes free ones, and leaves slots holding appointments.
   */
  private async resync(em: EntityManager, book: TimebookRow, now: Date): Promise<void> {
    const nowIso = now.toISOString();
    const target = Math.max(now.getTime() + book.horizonDays * DAY + DAY, book.slotsUntil ? Date.parse(book.slotsUntil) : 0);
    const desired = new Map<string, SlotSpec>(generateSlots(book, now, new Date(target)).map((s) => [s.id, s]));
    const repo = em.getRepository(SlotEntity);
    const current = await repo.find({ where: { timebookId: book.id, startUtc: MoreThanOrEqual(nowIso) } });
    const held = new Set(
      (await em.getRepository(AppointmentEntity).find({ where: { timebookId: book.id, status: In(HOLDING), startUtc: MoreThanOrEqual(nowIso) } })).map((a) => a.slotId),
    );
    const remove: string[] = [];
    for (const slot of current) {
      const want = desired.get(slot.id);
      desired.delete(slot.id);
      const holds = slot.booked > 0 || held.has(slot.id);
      if (holds) continue;
      if (want === undefined) {
        remove.push(slot.id);
        continue;
      }
      if (slot.startUtc !== want.startUtc || slot.endUtc !== want.endUtc || slot.capacity !== want.capacity || slot.type !== want.type || slot.origin !== want.origin) {
        await repo.update({ id: slot.id }, { startUtc: want.startUtc, endUtc: want.endUtc, localEnd: want.localEnd, capacity: want.capacity, type: want.type, origin: want.origin });
      }
    }
    for (let i = 0; i < remove.length; i += 200) await repo.delete({ id: In(remove.slice(i, i + 200)) });
    const add = [...desired.values()].map((s) => ({ ...s, booked: 0, blocked: false }));
    for (let i = 0; i < add.length; i += 200) await em.createQueryBuilder().insert().into(SlotEntity).values(add.slice(i, i + 200)).orIgnore().execute();
    await em.getRepository(TimebookEntity).update({ id: book.id }, { slotsUntil: new Date(target).toISOString() });
  }
}

/** Validates one book with the timebooks.json rules; problems become 400 with the field's JSON path. */
function validate(raw: Record<string, unknown>): TimebookDefinition {
  try {
    const file = parseTimebooksFile({ timebooks: [raw] }, 'timebook');
    const def = file.timebooks[0];
    if (!def) throw new AdminError('bad-request', 'no timebook given');
    return def;
  } catch (err) {
    if (isTimebokError(err) && err.code === 'ERR_SETUP_FILE') {
      const path = String(err.detail?.path ?? '').replace(/^timebooks\[0\]\.?/, '');
      throw new AdminError('bad-request', String(err.detail?.problem ?? 'invalid'), path || null);
    }
    throw err;
  }
}

/** A stored row as a timebooks.json entry (nulls left out), so that it can be validated again. */
function rawOf(row: TimebookRow): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: row.id,
    herId: Number(row.herId),
    kind: row.kind,
    name: row.name,
    published: Boolean(row.published),
    confirmation: row.confirmation,
    minNoticeMinutes: row.minNoticeMinutes,
    horizonDays: row.horizonDays,
    cancelCutoffMinutes: row.cancelCutoffMinutes,
    urgentBookableDigitally: Boolean(row.urgentBookableDigitally),
    schedule: row.schedule,
    slots: row.singleSlots,
    timeZone: row.timeZone,
  };
  const optional = { text: row.text, location: row.location, prerequisites: row.prerequisites, eligibility: row.eligibility, form: row.form, videoMeeting: row.videoMeeting, maxActivePerPatient: row.maxActivePerPatient, validFrom: row.validFrom, validTo: row.validTo };
  for (const [k, v] of Object.entries(optional)) if (v !== null && v !== undefined && v !== '') out[k] = v;
  return out;
}


function localDatePlus(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}
