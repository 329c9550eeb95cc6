import { In, type EntityManager } from 'typeorm';
import type { Clock } from '../shared/clock.js';
import { checkEligibility, needsListFacts, type EligibilityContext } from './eligibility.js';
import { addDays, isCalendarDate, localDateOf, startOfLocalDay, utcToLocal } from './local-time.js';
import {
  AppointmentEntity,
  ListPatientEntity,
  SlotEntity,
  TimebookEntity,
  type AppointmentRow,
  type SlotRow,
  type TimebookRow,
} from './timebook.entities.js';
import { ensureSlotsForHorizon } from './timebook.import.js';
import { lockKey } from './locks.js';
import type {
  CalendarEntry,
  CancelCommand,
  CancelResult,
  FreeSlotsQuery,
  FreeSlotsResult,
  PatientFacts,
  PlannedResult,
  ReserveCommand,
  ReserveResult,
  SlotReference,
  TimebookOperations,
} from './types.js';

export interface TimebookServiceOptions {
  /**
   * HER-ids of the practitioners whose parent is the level-1 office of the book's HER-id (for
   * `officeList`, DECISIONS 25). The registry owns that knowledge. Default: every practitioner named in
   * `listPatients`. The function gets the **book's** HER-id (a service or practitioner) and must resolve
   * its level-1 office itself; it may return HER-ids or parties (`{ herId }`).
   */
  practitionersOfOffice?: (bookHerId: number) => PractitionerList | Promise<PractitionerList>;
  /** Most VEVENTs in one free-slots reply (DECISIONS 9). Default 500. */
  maxSlots?: number;
  /** Longest prerequisites text (`TekstNotatInnhold` ≤ 1000 characters). Default 1000. */
  maxPrerequisitesChars?: number;
}

type PractitionerList = readonly (number | { herId: number })[];

const MINUTE = 60_000;
const DAY = 86_400_000;
const ACTIVE = ['requested', 'booked'] as const;

type Refusal = { code: '06' | '26' | '30'; reason: string };

/**
 * The timebook rules (DECISIONS 21-31) behind HentLedigeTimer, ReserverAvtale, AvbestillAvtale and
 * HentPlanlagteTimer. Every method runs in the caller's transaction (`em`), so that the inbox and outbox
 * rows of the message commit together with the booking. Business outcomes are returned as reply codes;
 * only broken invariants throw.
 *
 * Capacity is claimed with one conditional update (`booked < capacity`) whose affected-row count must
 * be 1: correct under concurrent transactions on PostgreSQL (row lock + re-check under READ COMMITTED)
 * and on SQLite (writes serialised by `Database.transaction`).
 */
export class TimebookService implements TimebookOperations {
  private readonly practitionersOfOffice: TimebookServiceOptions['practitionersOfOffice'];
  private readonly maxSlots: number;
  private readonly maxPrerequisitesChars: number;

  constructor(
    private readonly clock: Clock,
    options: TimebookServiceOptions = {},
  ) {
    this.practitionersOfOffice = options.practitionersOfOffice;
    this.maxSlots = options.maxSlots ?? 500;
    this.maxPrerequisitesChars = options.maxPrerequisitesChars ?? 1000;
  }

  now(): Date {
    return this.clock.now();
  }

  /**
   * Free slots of the published books at the receiver that the patient may use (DECISIONS 23, 26).
   * `04` when there is no published book or no free slot; `30` only when the patient may use none.
   */
  async findFreeSlots(em: EntityManager, query: FreeSlotsQuery): Promise<FreeSlotsResult> {
    const now = this.clock.now().getTime();
    const books = (await this.booksAt(em, query.receiverHerId)).filter(isOffered);
    if (books.length === 0) return { code: '04', slots: [], prerequisites: null };
    const eligible = await this.eligibleBooks(em, books, query.patient, now);
    if (eligible.length === 0) return { code: '30', slots: [], prerequisites: null };

    const found: { slot: SlotRow; book: TimebookRow }[] = [];
    for (const book of eligible) {
      await this.roll(em, book, now);
      const zone = book.timeZone;
      let lo = now + book.minNoticeMinutes * MINUTE;
      const hi = now + book.horizonDays * DAY;
      let toExclusive = Number.POSITIVE_INFINITY;
      const fromDate = localDateArgument(query.fromDate);
      const toDate = localDateArgument(query.toDate);
      if (fromDate !== null) lo = Math.max(lo, startOfLocalDay(fromDate, zone));
      if (toDate !== null) toExclusive = startOfLocalDay(addDays(toDate, 1), zone);
      if (lo > hi || lo >= toExclusive) continue;
      const qb = em
        .getRepository(SlotEntity)
        .createQueryBuilder('s')
        .where('s.timebookId = :book', { book: book.id })
        .andWhere('s.startUtc >= :lo', { lo: iso(lo) })
        .andWhere('s.startUtc <= :hi', { hi: iso(hi) })
        .andWhere('s.blocked = :blocked', { blocked: false })
        .andWhere('s.booked < s.capacity');
      if (Number.isFinite(toExclusive)) qb.andWhere('s.startUtc < :toEx', { toEx: iso(toExclusive) });
      if (!book.urgentBookableDigitally) qb.andWhere('s.type <> :urgent', { urgent: 'Hastetime' });
      const slots = await qb.orderBy('s.startUtc', 'ASC').addOrderBy('s.id', 'ASC').take(this.maxSlots).getMany();
      for (const slot of slots) found.push({ slot, book });
    }
    if (found.length === 0) return { code: '04', slots: [], prerequisites: null };

    found.sort((a, b) => compare(a.slot.startUtc, b.slot.startUtc) || compare(a.slot.id, b.slot.id));
    const offered = found.slice(0, this.maxSlots);
    const offeredBooks = eligible.filter((b) => offered.some((o) => o.book.id === b.id));
    return {
      code: '03',
      slots: offered.map(({ slot, book }) => slotEntry(slot, book)),
      prerequisites: this.prerequisitesOf(offeredBooks),
    };
  }

  /**
   * Books the slot named by `uid` (else `related-to`) among the receiver's books (DECISIONS 27, 28).
   * `auto` books answer 05 at once; `manual` books hold the slot as `requested` and return
   * `{ code: '05', pending: true }`: the answer goes out when staff decide.
   */
  async reserve(em: EntityManager, command: ReserveCommand): Promise<ReserveResult> {
    const now = this.clock.now().getTime();
    const books = await this.booksAt(em, command.receiverHerId);
    const repo = em.getRepository(AppointmentEntity);
    // Copies of one request racing in separate transactions never both get here: the pipeline writes the
    // inbox row first, so the second copy waits on its key and is answered as a duplicate. A stored
    // appointment with this id (a re-run) is answered from what it holds.
    const previous = await repo.findOne({ where: { id: command.appointmentId } });
    if (previous !== null) return replayReservation(previous, books, command);

    for (const book of books) await this.roll(em, book, now);
    const slot = await this.findSlot(em, books, command.slot);
    if (slot === null) return { code: '06', reason: 'slot-unknown' };
    const book = books.find((b) => b.id === slot.timebookId)!;

    const refusal =
      (await this.bookRefusal(em, book, command.patient, now)) ?? slotRefusal(slot, book, command.slot, now);
    if (refusal !== null) return refusal;

    await this.lockPatientInBook(em, book.id, command.patient.id);
    const active = await repo.find({
      where: { timebookId: book.id, patientId: command.patient.id, status: In([...ACTIVE]) },
    });
    if (active.some((a) => a.slotId === slot.id)) return { code: '26', reason: 'already-holds-slot' };
    const upcoming = active.filter((a) => a.startUtc >= iso(now));
    if (book.maxActivePerPatient !== null && upcoming.length >= book.maxActivePerPatient) {
      return { code: '26', reason: 'patient-limit' };
    }

    const claimed = await em
      .createQueryBuilder()
      .update(SlotEntity)
      .set({ booked: () => 'booked + 1' })
      .where('id = :id', { id: slot.id })
      .andWhere('booked < capacity')
      .andWhere('blocked = :blocked', { blocked: false })
      .execute();
    if (claimed.affected !== 1) return { code: '06', reason: 'slot-full' };

    const status = book.confirmation === 'auto' ? 'booked' : 'requested';
    const at = iso(now);
    const appointment: AppointmentRow = {
      id: command.appointmentId,
      slotId: slot.id,
      timebookId: book.id,
      patientId: command.patient.id,
      representativeId: command.bookedBy.representativeId,
      relation: command.bookedBy.relation,
      status,
      type: slot.type,
      startUtc: slot.startUtc,
      endUtc: slot.endUtc,
      localStart: slot.localStart,
      localEnd: slot.localEnd,
      emneSporsmal: command.emneSporsmal ?? null,
      sporsmal: command.sporsmal ?? null,
      attachments: command.attachments && command.attachments.length > 0 ? command.attachments : null,
      sourceMsgId: command.sourceMsgId,
      cancelMsgId: null,
      createdAt: at,
      updatedAt: at,
      cancelledAt: null,
      originHerId: command.originHerId ?? null,
      patientIdType: command.patientContact?.idType ?? null,
      patientFamilyName: command.patientContact?.familyName ?? null,
      patientGivenName: command.patientContact?.givenName ?? null,
      practitioner: null,
      revision: 0,
    };
    await repo.insert(appointment);
    return reservationResult(appointment, book);
  }

  /**
   * Cancels the patient's own appointment (DECISIONS 30, protocol §13.1): `uid`/`related-to` are matched
   * against appointment ids and slot ids. 09 when not found, not theirs, not cancellable or inside the
   * cut-off; 08 again when already cancelled. Frees the slot's capacity in the same transaction.
   */
  async cancel(em: EntityManager, command: CancelCommand): Promise<CancelResult> {
    const now = this.clock.now().getTime();
    const books = await this.booksAt(em, command.receiverHerId);
    const refs = [...new Set([command.slot.uid, command.slot.relatedTo].map((r) => r?.trim()).filter(isNonEmpty))];
    if (books.length === 0 || refs.length === 0) return { code: '09', reason: 'not-found' };
    const bookIds = books.map((b) => b.id);
    const repo = em.getRepository(AppointmentEntity);
    const candidates = await repo
      .createQueryBuilder('a')
      .where('a.timebookId IN (:...bookIds)', { bookIds })
      .andWhere('(a.id IN (:...refs) OR a.slotId IN (:...refs))', { refs })
      .getMany();
    const own = candidates.filter((a) => a.patientId === command.patient.id);
    if (own.length === 0) return { code: '09', reason: candidates.length > 0 ? 'not-theirs' : 'not-found' };
    const appointment = pickAppointment(own, refs);
    const book = books.find((b) => b.id === appointment.timebookId)!;

    if (appointment.status === 'cancelled') {
      return { code: '08', reason: 'already-cancelled', appointment: appointmentEntry(appointment, book, 'CANCELLED') };
    }
    if (appointment.status !== 'requested' && appointment.status !== 'booked') {
      return { code: '09', reason: 'not-cancellable' };
    }
    if (Date.parse(appointment.startUtc) - now < book.cancelCutoffMinutes * MINUTE) {
      return { code: '09', reason: 'cutoff' };
    }

    const at = iso(now);
    const changed = await em
      .createQueryBuilder()
      .update(AppointmentEntity)
      .set({ status: 'cancelled', cancelMsgId: command.sourceMsgId, cancelledAt: at, updatedAt: at })
      .where('id = :id', { id: appointment.id })
      .andWhere('status IN (:...active)', { active: [...ACTIVE] })
      .execute();
    if (changed.affected !== 1) {
      // Cancelled by a concurrent transaction between the read and the update.
      const fresh = await repo.findOneOrFail({ where: { id: appointment.id } });
      if (fresh.status === 'cancelled') {
        return { code: '08', reason: 'already-cancelled', appointment: appointmentEntry(fresh, book, 'CANCELLED') };
      }
      return { code: '09', reason: 'not-cancellable' };
    }
    await em
      .createQueryBuilder()
      .update(SlotEntity)
      .set({ booked: () => 'booked - 1' })
      .where('id = :id', { id: appointment.slotId })
      .andWhere('booked > 0')
      .execute();
    const cancelled = { ...appointment, status: 'cancelled' as const, cancelMsgId: command.sourceMsgId, cancelledAt: at };
    return { code: '08', appointment: appointmentEntry(cancelled, book, 'CANCELLED') };
  }

  /**
   * The patient's requested (TENTATIVE) and booked (CONFIRMED) appointments in the receiver's books from
   * 00:00 local today (DECISIONS 31): `01` with them, or `02`.
   */
  async listPlanned(em: EntityManager, receiverHerId: number, patient: PatientFacts): Promise<PlannedResult> {
    const now = this.clock.now().getTime();
    const books = await this.booksAt(em, receiverHerId);
    if (books.length === 0) return { code: '02', appointments: [] };
    const since = new Map(books.map((b) => [b.id, iso(startOfLocalDay(localDateOf(now, b.timeZone), b.timeZone))]));
    const earliest = [...since.values()].sort()[0]!;
    const rows = await em
      .getRepository(AppointmentEntity)
      .createQueryBuilder('a')
      .where('a.timebookId IN (:...ids)', { ids: books.map((b) => b.id) })
      .andWhere('a.patientId = :patient', { patient: patient.id })
      .andWhere('a.status IN (:...active)', { active: [...ACTIVE] })
      .andWhere('a.startUtc >= :earliest', { earliest })
      .orderBy('a.startUtc', 'ASC')
      .addOrderBy('a.id', 'ASC')
      .getMany();
    const entries = rows
      .filter((a) => a.startUtc >= since.get(a.timebookId)!)
      .map((a) =>
        appointmentEntry(a, books.find((b) => b.id === a.timebookId)!, a.status === 'booked' ? 'CONFIRMED' : 'TENTATIVE'),
      );
    return entries.length > 0 ? { code: '01', appointments: entries } : { code: '02', appointments: [] };
  }

  // -------------------------------------------------------------------------------------------------

  private async booksAt(em: EntityManager, herId: number): Promise<TimebookRow[]> {
    return em.getRepository(TimebookEntity).find({ where: { herId }, order: { id: 'ASC' } });
  }

  private async roll(em: EntityManager, book: TimebookRow, now: number): Promise<void> {
    await ensureSlotsForHorizon(em, book, new Date(now));
  }

  private async eligibleBooks(
    em: EntityManager,
    books: TimebookRow[],
    patient: PatientFacts,
    now: number,
  ): Promise<TimebookRow[]> {
    const contextOf = await this.eligibilityContexts(em, books, patient, now);
    const eligible: TimebookRow[] = [];
    for (const book of books) {
      if (checkEligibility(book.eligibility, patient, await contextOf(book)).eligible) eligible.push(book);
    }
    return eligible;
  }

  /** Gathers list-patient facts once (and only when a rule needs them). */
  private async eligibilityContexts(
    em: EntityManager,
    books: TimebookRow[],
    patient: PatientFacts,
    now: number,
  ): Promise<(book: TimebookRow) => Promise<EligibilityContext>> {
    const needsLists = books.some((b) => needsListFacts(b.eligibility));
    const listedWith = new Set<number>();
    if (needsLists) {
      const rows = await em.getRepository(ListPatientEntity).find({ where: { patientId: patient.id } });
      for (const r of rows) listedWith.add(r.practitionerHerId);
    }
    let everyPractitioner: number[] | null = null;
    return async (book) => {
      let officePractitioners: readonly number[] = [];
      if (book.eligibility?.officeList === true) {
        if (this.practitionersOfOffice !== undefined) {
          officePractitioners = (await this.practitionersOfOffice(book.herId)).map((p) =>
            typeof p === 'number' ? p : p.herId,
          );
        } else {
          everyPractitioner ??= (
            await em
              .getRepository(ListPatientEntity)
              .createQueryBuilder('l')
              .select('DISTINCT l.practitionerHerId', 'herId')
              .getRawMany<{ herId: number | string }>()
          ).map((r) => Number(r.herId));
          officePractitioners = everyPractitioner;
        }
      }
      return { today: localDateOf(now, book.timeZone), listedWith, officePractitioners };
    };
  }

  /** Refusals that depend on the book and the patient: unpublished (06), not eligible (30). */
  private async bookRefusal(
    em: EntityManager,
    book: TimebookRow,
    patient: PatientFacts,
    now: number,
  ): Promise<Refusal | null> {
    if (!isOffered(book)) return { code: '06', reason: 'unpublished' };
    const contextOf = await this.eligibilityContexts(em, [book], patient, now);
    const verdict = checkEligibility(book.eligibility, patient, await contextOf(book));
    if (!verdict.eligible) return { code: '30', reason: `not-eligible:${verdict.failed}` };
    return null;
  }

  private async findSlot(em: EntityManager, books: TimebookRow[], ref: SlotReference): Promise<SlotRow | null> {
    if (books.length === 0) return null;
    const bookIds = books.map((b) => b.id);
    for (const id of [ref.uid, ref.relatedTo].map((r) => r?.trim())) {
      if (!isNonEmpty(id)) continue;
      const slot = await em.getRepository(SlotEntity).findOne({ where: { id, timebookId: In(bookIds) } });
      if (slot !== null) return slot;
    }
    return null;
  }

  /**
   * On PostgreSQL, serialises reservations of one patient in one book (transaction-scoped advisory lock)
   * so that two concurrent requests cannot both pass the per-patient limit. SQLite writes are already
   * serialised. The key is hashed in the database and never logged.
   */
  private async lockPatientInBook(em: EntityManager, bookId: string, patientId: string): Promise<void> {
    await lockKey(em, `timebook:${bookId}:${patientId}`);
  }

  private prerequisitesOf(books: TimebookRow[]): string | null {
    const parts = books.filter((b) => b.prerequisites !== null).map((b) => `${b.name}: ${b.prerequisites}`);
    if (parts.length === 0) return null;
    const joined = parts.join('\n');
    return joined.length <= this.maxPrerequisitesChars
      ? joined
      : `${joined.slice(0, this.maxPrerequisitesChars - 1).trimEnd()}…`;
  }
}

/** Refusals that depend on the slot itself (all 06). */
function slotRefusal(slot: SlotRow, book: TimebookRow, ref: SlotReference, now: number): Refusal | null {
  if (slot.blocked) return { code: '06', reason: 'blocked' };
  if (slot.type === 'Hastetime' && !book.urgentBookableDigitally) return { code: '06', reason: 'urgent-not-bookable' };
  const start = Date.parse(slot.startUtc);
  if (start < now + book.minNoticeMinutes * MINUTE) return { code: '06', reason: 'inside-notice' };
  if (start > now + book.horizonDays * DAY) return { code: '06', reason: 'beyond-horizon' };
  if (isNonEmpty(ref.dtstart) && normaliseLocal(ref.dtstart, book.timeZone) !== slot.localStart) {
    return { code: '06', reason: 'dtstart-mismatch' };
  }
  if (isNonEmpty(ref.dtend) && normaliseLocal(ref.dtend, book.timeZone) !== slot.localEnd) {
    return { code: '06', reason: 'dtend-mismatch' };
  }
  if (isNonEmpty(ref.contact) && ref.contact.trim() !== String(book.herId)) {
    return { code: '06', reason: 'contact-mismatch' };
  }
  return null;
}

/**
 * The same appointment id again (the inbox normally answers duplicates before the domain sees them):
 * answer from what was stored instead of booking twice. An id already used for another patient or
 * receiver (a MsgId reused by another sender) books nothing: 26.
 */
function replayReservation(previous: AppointmentRow, books: TimebookRow[], command: ReserveCommand): ReserveResult {
  const book = books.find((b) => b.id === previous.timebookId);
  if (book === undefined || previous.patientId !== command.patient.id) {
    return { code: '26', reason: 'appointment-id-in-use' };
  }
  if (previous.status === 'booked' || previous.status === 'requested') return reservationResult(previous, book);
  return { code: '06', reason: `already-${previous.status}` };
}

function reservationResult(appointment: AppointmentRow, book: TimebookRow): ReserveResult {
  if (appointment.status === 'requested') {
    return { code: '05', pending: true, appointment: appointmentEntry(appointment, book, 'TENTATIVE') };
  }
  return { code: '05', appointment: appointmentEntry(appointment, book, 'CONFIRMED') };
}

/**
 * The appointment a cancellation means: one matched by its own id first; then, among those matched
 * through the slot id, an active one, else the most recently cancelled, else any.
 */
function pickAppointment(own: AppointmentRow[], refs: string[]): AppointmentRow {
  const byId = own.find((a) => refs.includes(a.id));
  if (byId !== undefined) return byId;
  const rank = (a: AppointmentRow) => (a.status === 'requested' || a.status === 'booked' ? 0 : a.status === 'cancelled' ? 1 : 2);
  return [...own].sort((a, b) => rank(a) - rank(b) || compare(b.cancelledAt ?? '', a.cancelledAt ?? ''))[0]!;
}

function isOffered(book: TimebookRow): boolean {
  return book.published && !book.retired;
}

function slotEntry(slot: SlotRow, book: TimebookRow): CalendarEntry {
  return {
    uid: slot.id,
    dtstart: slot.localStart,
    dtend: slot.localEnd,
    contact: book.herId,
    ...display(book),
    categories: slot.type === 'Ordinær' ? [] : [slot.type],
    status: 'TENTATIVE',
  };
}

export function appointmentEntry(
  a: AppointmentRow,
  book: TimebookRow,
  status: NonNullable<CalendarEntry['status']>,
): CalendarEntry {
  return {
    uid: a.id,
    relatedTo: a.slotId,
    dtstart: a.localStart,
    dtend: a.localEnd,
    contact: book.herId,
    ...display(book),
    // A video appointment's meeting details go where the citizen looks for where to meet.
    ...(a.type === 'Video' && book.videoMeeting !== null ? { location: book.videoMeeting } : {}),
    categories: a.type === 'Ordinær' ? [] : [a.type],
    status,
  };
}

/** summary / description / location of a book (DECISIONS 24). */
function display(book: TimebookRow): Pick<CalendarEntry, 'summary' | 'description' | 'location'> {
  const out: Pick<CalendarEntry, 'summary' | 'description' | 'location'> = { summary: book.name };
  if (book.text !== null) out.description = book.text;
  if (book.location !== null) {
    out.location = [book.location.name, book.location.address, book.location.meetingPlace].filter(isNonEmpty).join(', ');
  }
  return out;
}

/** A request's date-time as local wall clock `YYYY-MM-DDTHH:mm:ss` (offsets converted), or null. */
export function normaliseLocal(value: string, zone: string): string | null {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(value.trim());
  if (m === null) return null;
  const local = `${m[1]}:${m[2] ?? '00'}`;
  if (m[3] === undefined) return local;
  const t = Date.parse(`${local}${m[3] === 'Z' ? 'Z' : m[3].length === 5 ? `${m[3].slice(0, 3)}:${m[3].slice(3)}` : m[3]}`);
  return Number.isNaN(t) ? null : utcToLocal(t, zone);
}

/** FraDato/TilDato as `YYYY-MM-DD` (an xs:date may carry a zone suffix), or null when absent or unusable. */
function localDateArgument(value: string | null): string | null {
  if (value === null) return null;
  const date = value.trim().slice(0, 10);
  return isCalendarDate(date) ? date : null;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isNonEmpty(s: string | undefined | null): s is string {
  return s !== undefined && s !== null && s.trim() !== '';
}
