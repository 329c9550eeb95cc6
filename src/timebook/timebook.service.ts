import { managerOf } from '../db/database.js';
import type { SqlTx } from '../db/sql.js';
import type { Clock } from '../shared/clock.js';
import {
  appointmentOn,
  appointmentsByRefs,
  claimSlotWithAppointment,
  deleteAppointment,
  readForRules,
  type AppointmentDraft,
  claimSlot,
  findAppointmentById,
  insertAppointment,
  lockKey,
  patientLockKey,
  plannedAppointments,
  releaseSlot,
  setAppointmentStatus,
} from './booking.core.js';
import { checkEligibility, needsListFacts, type EligibilityContext } from './eligibility.js';
import { addDays, isCalendarDate, localDateOf, startOfLocalDay, utcToLocal } from './local-time.js';
import { CitizenRequestEntity, type CitizenRequestRow } from './request.entities.js';
import type { AppointmentRow, SlotRow, TimebookRow } from './timebook.entities.js';
import { TimebookCatalog } from './timebook.catalog.js';
import { ensureSlotsForHorizon } from './timebook.import.js';
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
   * `officeList`, docs/decisions.md "Eligibility"). The registry owns that knowledge. Default: every
   * practitioner named in `listPatients`. The function gets the **book's** HER-id (a service or
   * practitioner) and must resolve its level-1 office itself; it may return HER-ids or parties.
   */
  practitionersOfOffice?: (bookHerId: number) => PractitionerList | Promise<PractitionerList>;
  /** Most VEVENTs in one free-slots reply (docs/decisions.md §23, §26). Default 500. */
  maxSlots?: number;
  /** Longest prerequisites text (`TekstNotatInnhold` ≤ 1000 characters). Default 1000. */
  maxPrerequisitesChars?: number;
  /** The definitions cache to use (default: one per service). */
  catalog?: TimebookCatalog;
}

type PractitionerList = readonly (number | { herId: number })[];

const MINUTE = 60_000;
const DAY = 86_400_000;

type Refusal = { code: '06' | '26' | '30'; reason: string };

/**
 * The timebook rules (docs/decisions.md §21–31) behind HentLedigeTimer, ReserverAvtale,
 * AvbestillAvtale and HentPlanlagteTimer. Every method runs in the caller's transaction, so that the
 * inbox and outbox rows of the message commit together with the booking. Business outcomes are
 * returned as reply codes; only broken invariants throw.
 *
 * The definitions come from a cache checked once per transaction ({@link TimebookCatalog}); slots and
 * appointments are read and written live through the booking core (booking.core.ts).
 *
 * A reservation first tries the hot path: one conditional update claims the named slot with every
 * database-side condition (capacity, not blocked, the patient not already on it, the per-book limit),
 * then the rules that need only the cached book are checked in memory and the appointment is inserted.
 * When the claim fails or a rule refuses, the place is given back and the request is worked out again
 * step by step, in the order of the rules, to answer with the right code and reason.
 */
export class TimebookService implements TimebookOperations {
  private readonly practitionersOfOffice: TimebookServiceOptions['practitionersOfOffice'];
  private readonly maxSlots: number;
  private readonly maxPrerequisitesChars: number;
  readonly catalog: TimebookCatalog;

  constructor(
    private readonly clock: Clock,
    options: TimebookServiceOptions = {},
  ) {
    this.practitionersOfOffice = options.practitionersOfOffice;
    this.maxSlots = options.maxSlots ?? 500;
    this.maxPrerequisitesChars = options.maxPrerequisitesChars ?? 1000;
    this.catalog = options.catalog ?? new TimebookCatalog();
  }

  now(): Date {
    return this.clock.now();
  }

  /**
   * Free slots of the published books at the receiver that the patient may use (docs/decisions.md,
   * "Free slots"). `04` when there is no published book or no free slot; `30` only when the patient may
   * use none.
   */
  async findFreeSlots(tx: SqlTx, query: FreeSlotsQuery): Promise<FreeSlotsResult> {
    const now = this.clock.now().getTime();
    await this.catalog.check(tx);
    const books = (await this.catalog.booksAt(tx, query.receiverHerId)).filter(isOffered);
    if (books.length === 0) return { code: '04', slots: [], prerequisites: null };
    const eligible = await this.eligibleBooks(tx, books, query.patient, now);
    if (eligible.length === 0) return { code: '30', slots: [], prerequisites: null };

    const found: { slot: SlotRow; book: TimebookRow }[] = [];
    for (const book of eligible) {
      await this.roll(tx, book, now);
      const zone = book.timeZone;
      let lo = now + book.minNoticeMinutes * MINUTE;
      const hi = now + book.horizonDays * DAY;
      let toExclusive = Number.POSITIVE_INFINITY;
      const fromDate = localDateArgument(query.fromDate);
      const toDate = localDateArgument(query.toDate);
      if (fromDate !== null) lo = Math.max(lo, startOfLocalDay(fromDate, zone));
      if (toDate !== null) toExclusive = startOfLocalDay(addDays(toDate, 1), zone);
      if (lo > hi || lo >= toExclusive) continue;
      const where = ['"timebookId" = ?', '"startUtc" >= ?', '"startUtc" <= ?', 'blocked = ?', 'booked < capacity'];
      const params: unknown[] = [book.id, iso(lo), iso(hi), false];
      if (Number.isFinite(toExclusive)) (where.push('"startUtc" < ?'), params.push(iso(toExclusive)));
      if (!book.urgentBookableDigitally) (where.push('type <> ?'), params.push('Hastetime'));
      params.push(this.maxSlots);
      const slots = await tx.query<SlotRow>(
        `SELECT id, "timebookId", "startUtc", "endUtc", "localStart", "localEnd", type FROM slot WHERE ${where.join(' AND ')}
         ORDER BY "startUtc", id LIMIT ?`,
        params,
      );
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
   * Books the slot named by `uid` (else `related-to`) among the receiver's books (docs/decisions.md,
   * "Reservation"). `auto` books answer 05 at once; `manual` books hold the slot as `requested` and
   * return `{ code: '05', pending: true }`: the answer goes out when staff decide.
   */
  async reserve(tx: SqlTx, command: ReserveCommand): Promise<ReserveResult> {
    const now = this.clock.now().getTime();
    // One statement: the definitions' generation and (PostgreSQL) this patient's lock at the receiver,
    // so that two requests of one patient cannot both pass the per-book limit.
    await this.catalog.check(tx, patientLockKey(command.receiverHerId, command.patient.id));
    const books = await this.catalog.booksAt(tx, command.receiverHerId);
    for (const book of books) await this.roll(tx, book, now);

    const first = [command.slot.uid, command.slot.relatedTo].map((r) => r?.trim()).find(isNonEmpty);
    if (first !== undefined && books.length > 0) {
      const limits = new Map(books.filter((b) => b.maxActivePerPatient !== null).map((b) => [b.id, b.maxActivePerPatient as number] as const));
      const claimed = await claimSlotWithAppointment(
        tx,
        first,
        { bookIds: books.map((b) => b.id), patientId: command.patient.id, limits: { since: iso(now), perBook: limits } },
        appointmentDraft(command, iso(now)),
        books.filter((b) => b.confirmation === 'auto').map((b) => b.id),
      );
      if (claimed !== null) {
        const { slot, appointment, inserted } = claimed;
        const book = books.find((b) => b.id === slot.timebookId)!;
        const refusal = (await this.bookRefusal(tx, book, command.patient, now)) ?? slotRefusal(slot, book, command.slot, now);
        if (refusal === null && inserted) return reservationResult(appointment, book);
        // Not this way after all: take the appointment back, give the place back, work the answer out below.
        if (inserted) await deleteAppointment(tx, appointment.id);
        await releaseSlot(tx, slot.id);
      }
    }
    return this.reserveStepByStep(tx, books, command, now);
  }

  /**
   * The rules one after the other, each with its own reason (the hot path failed or refused). What they
   * read comes in one statement (readForRules); a full slot is answered from it without another claim.
   */
  private async reserveStepByStep(tx: SqlTx, books: TimebookRow[], command: ReserveCommand, now: number): Promise<ReserveResult> {
    const refs = [command.slot.uid, command.slot.relatedTo].map((r) => r?.trim()).filter(isNonEmpty);
    // The patient's lock was taken with the generation check (reserve): the counts cannot be raced.
    const facts = await readForRules(tx, { appointmentId: command.appointmentId, refs, bookIds: books.map((b) => b.id), patientId: command.patient.id, since: iso(now) });
    // A stored appointment with this id (a re-run) is answered from what it holds.
    if (facts.rerun) {
      const previous = await findAppointmentById(tx, command.appointmentId);
      if (previous !== null) return replayReservation(previous, books, command);
    }
    const slot = facts.slot;
    if (slot === null) return { code: '06', reason: 'slot-unknown' };
    const book = books.find((b) => b.id === slot.timebookId)!;

    const refusal = (await this.bookRefusal(tx, book, command.patient, now)) ?? slotRefusal(slot, book, command.slot, now);
    if (refusal !== null) return refusal;

    if (facts.holdsSlot) return { code: '26', reason: 'already-holds-slot' };
    if (book.maxActivePerPatient !== null && facts.upcomingInBook >= book.maxActivePerPatient) {
      return { code: '26', reason: 'patient-limit' };
    }
    // Full as of this statement (the claim a moment ago found it so too): no place to try for.
    if (slot.booked >= slot.capacity) return { code: '06', reason: 'slot-full' };
    const claimed = await claimSlot(tx, slot.id);
    if (claimed === null) return { code: '06', reason: 'slot-full' };
    const appointment = appointmentOn(appointmentDraft(command, iso(now)), claimed, book.confirmation === 'auto' ? [book.id] : []);
    await insertAppointment(tx, appointment);
    return reservationResult(appointment, book);
  }

  /**
   * Cancels the patient's own appointment (docs/decisions.md §30): `uid`/`related-to` are
   * matched against appointment ids and slot ids. 09 when not found, not theirs, not cancellable or
   * inside the cut-off; 08 again when already cancelled. Frees the slot's place in the same transaction.
   */
  async cancel(tx: SqlTx, command: CancelCommand): Promise<CancelResult> {
    const now = this.clock.now().getTime();
    await this.catalog.check(tx);
    const books = await this.catalog.booksAt(tx, command.receiverHerId);
    const refs = [...new Set([command.slot.uid, command.slot.relatedTo].map((r) => r?.trim()).filter(isNonEmpty))];
    if (books.length === 0 || refs.length === 0) return { code: '09', reason: 'not-found' };
    const candidates = await appointmentsByRefs(tx, books.map((b) => b.id), refs);
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
    const changed = await setAppointmentStatus(tx, appointment.id, ['requested', 'booked'], {
      status: 'cancelled',
      cancelMsgId: command.sourceMsgId,
      cancelledAt: at,
      updatedAt: at,
    });
    if (!changed) {
      // Cancelled by a concurrent transaction between the read and the update.
      const fresh = (await findAppointmentById(tx, appointment.id))!;
      if (fresh.status === 'cancelled') {
        return { code: '08', reason: 'already-cancelled', appointment: appointmentEntry(fresh, book, 'CANCELLED') };
      }
      return { code: '09', reason: 'not-cancellable' };
    }
    await releaseSlot(tx, appointment.slotId);
    const cancelled = { ...appointment, status: 'cancelled' as const, cancelMsgId: command.sourceMsgId, cancelledAt: at };
    return { code: '08', appointment: appointmentEntry(cancelled, book, 'CANCELLED') };
  }

  /**
   * The patient's requested (TENTATIVE) and booked (CONFIRMED) appointments in the receiver's books from
   * 00:00 local today (docs/decisions.md §31): `01` with them, or `02`.
   */
  async listPlanned(tx: SqlTx, receiverHerId: number, patient: PatientFacts): Promise<PlannedResult> {
    const now = this.clock.now().getTime();
    await this.catalog.check(tx);
    const books = await this.catalog.booksAt(tx, receiverHerId);
    if (books.length === 0) return { code: '02', appointments: [] };
    const since = new Map(books.map((b) => [b.id, iso(startOfLocalDay(localDateOf(now, b.timeZone), b.timeZone))]));
    const earliest = [...since.values()].sort()[0]!;
    const rows = await plannedAppointments(tx, books.map((b) => b.id), patient.id, earliest);
    const entries = rows
      .filter((a) => a.startUtc >= since.get(a.timebookId)!)
      .map((a) =>
        appointmentEntry(a, books.find((b) => b.id === a.timebookId)!, a.status === 'booked' ? 'CONFIRMED' : 'TENTATIVE'),
      );
    return entries.length > 0 ? { code: '01', appointments: entries } : { code: '02', appointments: [] };
  }

  /**
   * Stores a wish or a held reservation for staff, unless a row with its id exists (a copy of the same
   * message that got this far). Cold path: TypeORM in the same transaction.
   */
  async storeRequest(tx: SqlTx, row: CitizenRequestRow): Promise<void> {
    await lockKey(tx, `request:${row.id}`);
    const repo = managerOf(tx).getRepository(CitizenRequestEntity);
    if ((await repo.findOne({ where: { id: row.id } })) === null) await repo.insert(row);
  }

  async withdrawRequest(tx: SqlTx, id: string): Promise<void> {
    await tx.query("UPDATE citizen_request SET status = 'withdrawn', \"updatedAt\" = ? WHERE id = ? AND status = 'open'", [iso(this.clock.now().getTime()), id]);
  }

  // -------------------------------------------------------------------------------------------------

  /** Rolls a book's slots forward when its horizon moved past them (rare; TypeORM, cold path). */
  private async roll(tx: SqlTx, book: TimebookRow, now: number): Promise<void> {
    if (book.retired) return;
    if (book.slotsUntil !== null && Date.parse(book.slotsUntil) >= now + book.horizonDays * DAY) return;
    // A copy: the cached row changes only when the write commits (the generation moves then).
    await ensureSlotsForHorizon(managerOf(tx), { ...book }, new Date(now));
  }

  private async eligibleBooks(tx: SqlTx, books: TimebookRow[], patient: PatientFacts, now: number): Promise<TimebookRow[]> {
    const contextOf = await this.eligibilityContexts(tx, books, patient, now);
    const eligible: TimebookRow[] = [];
    for (const book of books) {
      if (checkEligibility(book.eligibility, patient, await contextOf(book)).eligible) eligible.push(book);
    }
    return eligible;
  }

  /** Gathers list-patient facts once (and only when a rule needs them). */
  private async eligibilityContexts(
    tx: SqlTx,
    books: TimebookRow[],
    patient: PatientFacts,
    now: number,
  ): Promise<(book: TimebookRow) => Promise<EligibilityContext>> {
    const needsLists = books.some((b) => needsListFacts(b.eligibility));
    const listedWith = new Set<number>();
    if (needsLists) {
      const rows = await tx.query<{ h: unknown }>('SELECT "practitionerHerId" AS h FROM list_patient WHERE "patientId" = ?', [patient.id]);
      for (const r of rows) listedWith.add(Number(r.h));
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
          everyPractitioner ??= (await tx.query<{ h: unknown }>('SELECT DISTINCT "practitionerHerId" AS h FROM list_patient')).map((r) => Number(r.h));
          officePractitioners = everyPractitioner;
        }
      }
      return { today: localDateOf(now, book.timeZone), listedWith, officePractitioners };
    };
  }

  /** Refusals that depend on the book and the patient: unpublished (06), not eligible (30). */
  private async bookRefusal(tx: SqlTx, book: TimebookRow, patient: PatientFacts, now: number): Promise<Refusal | null> {
    if (!isOffered(book)) return { code: '06', reason: 'unpublished' };
    if (book.eligibility === null) return null;
    const contextOf = await this.eligibilityContexts(tx, [book], patient, now);
    const verdict = checkEligibility(book.eligibility, patient, await contextOf(book));
    if (!verdict.eligible) return { code: '30', reason: `not-eligible:${verdict.failed}` };
    return null;
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

/** The appointment a reservation makes, but for what its slot and book decide (booking.core appointmentOn). */
function appointmentDraft(command: ReserveCommand, at: string): AppointmentDraft {
  return {
    id: command.appointmentId,
    patientId: command.patient.id,
    representativeId: command.bookedBy.representativeId,
    relation: command.bookedBy.relation,
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

/** summary / description / location of a book (docs/decisions.md §24). */
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
