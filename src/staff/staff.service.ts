import { In, type EntityManager } from 'typeorm';
import type { Database } from '../db/database.js';
import { checkPersonId } from '../envelope/person-id.js';
import type { SchemaValidationResult } from '../envelope/types.js';
import { addOutbox, type NewOutboxRow } from '../outbox/outbox.store.js';
import { asyncQueueOf } from '../reply/queues.js';
import type { Party } from '../registry/types.js';
import { addressFromRegistry, splitPersonName, type Address } from '../reply/addressing.js';
import type { OutboundPatient } from '../reply/msghead.builder.js';
import type { PractitionerSpec } from '../reply/helsepersonell.builder.js';
import { AVTALEUTSENDING, buildAvtale, buildStaffReply, type AvtaleCode } from '../reply/staff-messages.builder.js';
import type { OutboundEvent } from '../reply/xcal.builder.js';
import type { Clock } from '../shared/clock.js';
import { derivedId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import {
  ACTIVE_STATUSES,
  AppointmentRefusal,
  bookSlot,
  changeStatus,
  findAppointment,
  moveAppointment,
} from '../timebook/appointment.operations.js';
import { lockKey } from '../timebook/locks.js';
import { CitizenRequestEntity, type CitizenRequestRow } from '../timebook/request.entities.js';
import {
  AppointmentEntity,
  SlotEntity,
  TimebookEntity,
  type AppointmentRow,
  type PractitionerRef,
  type TimebookRow,
} from '../timebook/timebook.entities.js';
import { appointmentEntry } from '../timebook/timebook.service.js';
import type { CalendarEntry } from '../timebook/types.js';
import { StaffError } from './staff.errors.js';

/** The registry as staff operations need it (RegistryService fits). */
export interface StaffPartyLookup {
  getParty(herId: number): Promise<Party | null>;
}

export interface StaffServiceDeps {
  db: Database;
  registry: StaffPartyLookup;
  clock: Clock;
  /** Helsenorge party (level 2) for Avtale pushes about desk bookings (HELSENORGE_HER_ID); null = not set. */
  helsenorgeHerId: number | null;
  /** Accept synthetic test fødselsnumre for desk bookings (ACCEPT_SYNTHETIC_IDS). */
  acceptSyntheticIds?: boolean;
  /** When given, every message is validated before it is written; an invalid one writes nothing. */
  schemas?: { validate(xml: string): SchemaValidationResult };
  logger?: Logger;
}

/**
 * SvarØnske codes allowed for each Timeønske function (protocol §10.7); any other pair is refused.
 * TIMEONSKEUNGDOM has no OET (§10.8), so the same table serves it.
 */
export const WISH_ANSWERS: Readonly<Record<string, readonly string[]>> = {
  OT: ['05', '10', '06'],
  OET: ['07', '10', '06', '34'],
  OAT: ['08', '09'],
};

/** One message a staff command wrote to the outbox (the relay of the running service sends it). */
export interface OutboundSummary {
  id: string;
  kind: 'reply' | 'avtale';
  /** 7602 code: TemaKodet of a reply, TypeForesp of an Avtale. */
  code: string;
  queue: string;
  toHerId: number;
}

export interface StaffResult {
  action: string;
  /** False when there was nothing to do (the command was already carried out): nothing was written. */
  changed: boolean;
  appointmentId: string | null;
  requestId: string | null;
  /** Rows written to the outbox, in order. */
  outbox: OutboundSummary[];
  /** Short text with ids and codes only. */
  note: string;
}

/** A request held in a `manual` book, as staff see it. */
export interface PendingHold {
  id: string;
  bookId: string;
  bookName: string;
  slotId: string;
  localStart: string;
  localEnd: string;
  receivedAt: string;
  ourHerId: number;
  /** Shown to staff by the CLI; never logged. */
  patientId: string;
  onBehalf: boolean;
  hasQuestion: boolean;
}

/** A Timeønske as staff see it. */
export interface WishView {
  id: string;
  functionCode: string;
  process: string;
  status: CitizenRequestRow['status'];
  answerCode: string | null;
  ourHerId: number;
  receivedAt: string;
  /** Shown to staff by the CLI; never logged. */
  patientId: string;
  onBehalf: boolean;
  /** 1 Ja / 2 Nei / null. */
  acceptsOther: string | null;
  fromDate: string | null;
  toDate: string | null;
  /** The appointment/slot the wish refers to (OET, OAT), as the citizen sent it. */
  reference: { uid: string | null; relatedTo: string | null; dtstart: string | null } | null;
  /** The appointment of ours the wish refers to, when one matches. */
  appointmentId: string | null;
  wishedPractitioner: string | null;
  allowedAnswers: readonly string[];
  /** Only with `includeText`. */
  emneSporsmal?: string | null;
  sporsmal?: string | null;
}

/** The practitioner for a reply 10: from the registry (HER-id), or named on the command line. */
export interface PractitionerInput {
  herId?: number;
  hprNumber?: string;
  /** "Given Family", when the practitioner is not in the registry. */
  name?: string;
}

export interface AnswerWishInput {
  code: string;
  slotId?: string;
  appointmentId?: string;
  practitioner?: PractitionerInput;
  text?: string;
}

export interface DeskBookingInput {
  bookId: string;
  slotId: string;
  patientId: string;
  idType?: 'FNR' | 'DNR';
  familyName?: string;
  givenName?: string;
}

/** Texts to the citizen (TekstNotatInnhold) when staff give none. */
const DEFAULT_TEXTS: Record<string, string> = {
  '05': 'Timen er bekreftet.',
  '06': 'Timen er ikke lenger tilgjengelig. Velg en annen time.',
  '07': 'Timen er endret.',
  '08': 'Timen er avbestilt.',
  '09': 'Timen kunne ikke avbestilles. Ta kontakt med legekontoret.',
  '10': 'Du har fått time hos en annen behandler.',
  '26': 'Forespørselen kunne ikke behandles.',
  '34': 'Timen kunne ikke endres. Ta kontakt med legekontoret.',
};

interface Route {
  us: Address;
  usHerId: number;
  them: Address;
  themHerId: number;
  queue: string;
}

/**
 * What clinic staff do with requests and appointments (docs/staff.md). Every operation is ONE
 * transaction that changes the appointment and/or request and writes the outgoing message(s) to the
 * outbox (the running service's relay sends them). Ids are derived (UUID v5) from the request or from
 * the appointment and its revision, so a repeated command finds its work done and writes nothing.
 */
export class StaffService {
  constructor(private readonly deps: StaffServiceDeps) {}

  // ------------------------------------------------------------------------------------------- listings

  /** Requests held in `manual` books that wait for staff (oldest first). */
  async listPending(): Promise<PendingHold[]> {
    const em = this.deps.db.manager;
    const requests = await em.getRepository(CitizenRequestEntity).find({
      where: { kind: 'hold', status: 'open' },
      order: { receivedAt: 'ASC', id: 'ASC' },
    });
    const ids = requests.map((r) => r.appointmentId).filter((id): id is string => id !== null);
    const appointments = ids.length === 0 ? [] : await em.getRepository(AppointmentEntity).find({ where: { id: In(ids) } });
    const books = await this.booksById(em, appointments.map((a) => a.timebookId));
    const out: PendingHold[] = [];
    for (const r of requests) {
      const a = appointments.find((x) => x.id === r.appointmentId);
      if (a === undefined || a.status !== 'requested') continue;
      out.push({
        id: r.id,
        bookId: a.timebookId,
        bookName: books.get(a.timebookId)?.name ?? a.timebookId,
        slotId: a.slotId,
        localStart: a.localStart,
        localEnd: a.localEnd,
        receivedAt: r.receivedAt,
        ourHerId: r.ourHerId,
        patientId: r.patientId,
        onBehalf: r.representativeId !== null,
        hasQuestion: Boolean(r.emneSporsmal || r.sporsmal),
      });
    }
    return out;
  }

  /** Timeønsker: open ones (oldest first), or all with `all`. Texts only with `includeText`. */
  async listWishes(options: { all?: boolean; includeText?: boolean } = {}): Promise<WishView[]> {
    const em = this.deps.db.manager;
    const rows = await em.getRepository(CitizenRequestEntity).find({
      where: options.all ? { kind: 'wish' } : { kind: 'wish', status: 'open' },
      order: { receivedAt: 'ASC', id: 'ASC' },
    });
    const out: WishView[] = [];
    for (const r of rows) {
      const matched = r.appointmentId ?? (await this.matchWishAppointment(em, r))?.id ?? null;
      const p = r.wishedPractitioner;
      const view: WishView = {
        id: r.id,
        functionCode: r.functionCode,
        process: r.process,
        status: r.status,
        answerCode: r.answerCode,
        ourHerId: r.ourHerId,
        receivedAt: r.receivedAt,
        patientId: r.patientId,
        onBehalf: r.representativeId !== null,
        acceptsOther: r.acceptsOther,
        fromDate: r.fromDate,
        toDate: r.toDate,
        reference: r.event ? { uid: r.event.uid ?? null, relatedTo: r.event.relatedTo ?? null, dtstart: r.event.dtstart ?? null } : null,
        appointmentId: matched,
        wishedPractitioner: p ? [p.hprNumber ? `HPR ${p.hprNumber}` : null, p.herId ? `HER ${p.herId}` : null].filter(Boolean).join(', ') || null : null,
        allowedAnswers: WISH_ANSWERS[r.functionCode] ?? [],
      };
      if (options.includeText) {
        view.emneSporsmal = r.emneSporsmal;
        view.sporsmal = r.sporsmal;
      }
      out.push(view);
    }
    return out;
  }

  // ------------------------------------------------------------------------------- held requests (RT)

  /** Confirms a held request: the appointment becomes booked; SvarTimeReservasjon 05. */
  async confirm(requestId: string, options: { text?: string } = {}): Promise<StaffResult> {
    const request = await this.requestOf(requestId, 'hold');
    const route = await this.replyRoute(request);
    return this.write('confirm', async (em) => {
      const fresh = await this.openRequest(em, request.id, '05');
      if (fresh === 'done') return this.noop('confirm', request, 'already confirmed (05 sent)');
      const { appointment, book } = await this.heldAppointment(em, fresh);
      const booked = await changeStatus(em, this.now(), appointment, ['requested'], 'booked');
      if (booked === null) throw conflict();
      const row = this.replyRow(fresh, route, '05', options.text, [appointmentEntry(booked, book, 'CONFIRMED')]);
      await this.markAnswered(em, fresh, '05', row.id, booked.id);
      return this.done('confirm', fresh, booked.id, [row], `request ${fresh.id} confirmed`);
    });
  }

  /** Rejects a held request and releases its place: SvarTimeReservasjon 26, or 06 when the slot is gone. */
  async reject(requestId: string, options: { gone?: boolean; text?: string } = {}): Promise<StaffResult> {
    const code = options.gone ? '06' : '26';
    const request = await this.requestOf(requestId, 'hold');
    const route = await this.replyRoute(request);
    return this.write('reject', async (em) => {
      const fresh = await this.openRequest(em, request.id, code);
      if (fresh === 'done') return this.noop('reject', request, `already rejected (${code} sent)`);
      const { appointment } = await this.heldAppointment(em, fresh);
      const rejected = await changeStatus(em, this.now(), appointment, ['requested'], 'rejected');
      if (rejected === null) throw conflict();
      const row = this.replyRow(fresh, route, code, options.text, fresh.event ? [{ ...fresh.event }] : []);
      await this.markAnswered(em, fresh, code, row.id, rejected.id);
      return this.done('reject', fresh, rejected.id, [row], `request ${fresh.id} rejected with ${code}, place released`);
    });
  }

  /**
   * Books a held request with another practitioner: SvarTimeReservasjon 10 with a Helsepersonell
   * document. With `slotId` the appointment moves to that slot (e.g. in the other practitioner's book).
   */
  async bookOther(requestId: string, options: { practitioner: PractitionerInput; slotId?: string; text?: string }): Promise<StaffResult> {
    const request = await this.requestOf(requestId, 'hold');
    const practitioner = await this.practitionerOf(options.practitioner);
    const route = await this.replyRoute(request);
    return this.write('book-other', async (em) => {
      const fresh = await this.openRequest(em, request.id, '10');
      if (fresh === 'done') return this.noop('book-other', request, 'already booked with another practitioner (10 sent)');
      const held = await this.heldAppointment(em, fresh);
      let appointment = held.appointment;
      let book = held.book;
      if (options.slotId !== undefined && options.slotId !== appointment.slotId) {
        const moved = await this.refusing(() => moveAppointment(em, this.now(), appointment, options.slotId as string));
        if (moved === null) throw conflict();
        ({ appointment, book } = moved);
      }
      const booked = await changeStatus(em, this.now(), appointment, ['requested'], 'booked', { practitioner: practitionerRef(practitioner) });
      if (booked === null) throw conflict();
      const row = this.replyRow(fresh, route, '10', options.text, [appointmentEntry(booked, book, 'CONFIRMED')], practitioner);
      await this.markAnswered(em, fresh, '10', row.id, booked.id);
      return this.done('book-other', fresh, booked.id, [row], `request ${fresh.id} booked with another practitioner`);
    });
  }

  // -------------------------------------------------------------------------------------------- wishes

  /**
   * Answers a Timeønske with SvarØnske. Allowed pairs only (WISH_ANSWERS): OT → 05/10/06,
   * OET → 07/10/06/34, OAT → 08/09. 05/10 to OT book `slotId`; 07/10 to OET move the appointment
   * the wish refers to onto `slotId`; 08 cancels it. Capacity is claimed race-free as in ReserverAvtale.
   */
  async answerWish(wishId: string, input: AnswerWishInput): Promise<StaffResult> {
    const request = await this.requestOf(wishId, 'wish');
    const fn = request.functionCode;
    const code = input.code.trim();
    const allowed = WISH_ANSWERS[fn] ?? [];
    if (!allowed.includes(code)) {
      throw new StaffError('refused', `SvarØnske ${code} is not allowed for ${fn}: allowed ${allowed.join(', ') || 'none'}`);
    }
    const needsSlot = (fn === 'OT' && (code === '05' || code === '10')) || (fn === 'OET' && (code === '07' || code === '10'));
    if (needsSlot && !input.slotId) throw new StaffError('usage', `answer ${code} to ${fn} needs --slot`);
    if (code === '10' && !input.practitioner) throw new StaffError('usage', 'answer 10 needs --practitioner');
    const practitioner = code === '10' && input.practitioner ? await this.practitionerOf(input.practitioner) : null;
    const route = await this.replyRoute(request);

    return this.write('answer-wish', async (em) => {
      const fresh = await this.openRequest(em, request.id, code);
      if (fresh === 'done') return this.noop('answer-wish', request, `already answered with ${code}`);
      const now = this.now();
      let events: OutboundEvent[] = fresh.event ? [{ ...fresh.event }] : [];
      let appointmentId: string | null = null;

      if (fn === 'OT' && (code === '05' || code === '10')) {
        const { appointment, book, created } = await this.refusing(() =>
          bookSlot(em, now, {
            appointmentId: derivedId('wish-appointment', fresh.id),
            slotId: input.slotId as string,
            patientId: fresh.patientId,
            contact: { idType: fresh.patientIdType, familyName: fresh.patientFamilyName, givenName: fresh.patientGivenName },
            representativeId: fresh.representativeId,
            relation: fresh.relation,
            originHerId: fresh.counterpartyHerId,
            sourceMsgId: fresh.msgId,
            practitioner: practitioner ? practitionerRef(practitioner) : null,
            emneSporsmal: fresh.emneSporsmal,
            sporsmal: fresh.sporsmal,
          }),
        );
        if (!created) throw conflict();
        events = [appointmentEntry(appointment, book, 'CONFIRMED')];
        appointmentId = appointment.id;
      } else if (fn === 'OET' && (code === '07' || code === '10')) {
        const target = await this.wishAppointment(em, fresh, input.appointmentId);
        if (target.appointment.status !== 'booked') {
          throw new StaffError('refused', `appointment ${target.appointment.id} is ${target.appointment.status}, not booked: answer 34 or 06`);
        }
        const moved = await this.refusing(() =>
          moveAppointment(em, now, target.appointment, input.slotId as string, practitioner ? { practitioner: practitionerRef(practitioner) } : {}),
        );
        if (moved === null) throw conflict();
        events = [appointmentEntry(moved.appointment, moved.book, 'CONFIRMED')];
        appointmentId = moved.appointment.id;
      } else if (fn === 'OAT' && code === '08') {
        const target = await this.wishAppointment(em, fresh, input.appointmentId);
        let cancelled = target.appointment;
        if (cancelled.status !== 'cancelled') {
          const changed = await changeStatus(em, now, cancelled, ACTIVE_STATUSES, 'cancelled', { cancelMsgId: fresh.msgId });
          if (changed === null) {
            throw new StaffError('refused', `appointment ${cancelled.id} is ${cancelled.status} and cannot be cancelled: answer 09`);
          }
          cancelled = changed;
        }
        events = [appointmentEntry(cancelled, target.book, 'CANCELLED')];
        appointmentId = cancelled.id;
      } else if (fn === 'OT') {
        events = []; // OT carries no xCal; 06 has no time to give
      }
      const row = this.replyRow(fresh, route, code, input.text, events, practitioner);
      await this.markAnswered(em, fresh, code, row.id, appointmentId);
      return this.done('answer-wish', fresh, appointmentId, [row], `wish ${fresh.id} (${fn}) answered with ${code}`);
    });
  }

  // ------------------------------------------------------------------- appointments (Avtale push)

  /** Staff cancel a booked appointment: the place is released; Avtale 08. */
  async cancel(appointmentId: string): Promise<StaffResult> {
    const { appointment, book } = await this.appointmentOf(appointmentId);
    const route = await this.avtaleRoute(appointment, book.herId);
    return this.write('cancel', async (em) => {
      const fresh = await this.freshAppointment(em, appointment.id);
      if (fresh.appointment.status === 'cancelled') return this.noopAppointment('cancel', fresh.appointment, 'already cancelled');
      if (fresh.appointment.status === 'requested') {
        throw new StaffError('refused', `appointment ${appointment.id} is a held request: use \`staff reject\``);
      }
      if (fresh.appointment.status !== 'booked') {
        throw new StaffError('refused', `appointment ${appointment.id} is ${fresh.appointment.status} and cannot be cancelled`);
      }
      const cancelled = await changeStatus(em, this.now(), fresh.appointment, ['booked'], 'cancelled', { cancelMsgId: 'staff:cancel' });
      if (cancelled === null) throw conflict();
      const row = this.avtaleRow(cancelled, fresh.book, '08', route);
      return this.doneAppointment('cancel', cancelled, [row], `appointment ${cancelled.id} cancelled, place released`);
    });
  }

  /** Marks a booked appointment that has started as a no-show: Avtale 11. */
  async noShow(appointmentId: string): Promise<StaffResult> {
    const { appointment, book } = await this.appointmentOf(appointmentId);
    const route = await this.avtaleRoute(appointment, book.herId);
    return this.write('no-show', async (em) => {
      const fresh = await this.freshAppointment(em, appointment.id);
      if (fresh.appointment.status === 'no-show') return this.noopAppointment('no-show', fresh.appointment, 'already marked as no-show');
      if (fresh.appointment.status !== 'booked') {
        throw new StaffError('refused', `appointment ${appointment.id} is ${fresh.appointment.status}, not booked`);
      }
      if (Date.parse(fresh.appointment.startUtc) > this.now().getTime()) {
        throw new StaffError('refused', `appointment ${appointment.id} has not started yet`);
      }
      const marked = await changeStatus(em, this.now(), fresh.appointment, ['booked'], 'no-show');
      if (marked === null) throw conflict();
      const row = this.avtaleRow(marked, fresh.book, '11', route);
      return this.doneAppointment('no-show', marked, [row], `appointment ${marked.id} marked as no-show`);
    });
  }

  /** A desk or phone booking on a slot: Avtale 05 to Helsenorge (HELSENORGE_HER_ID). */
  async create(input: DeskBookingInput): Promise<StaffResult> {
    const idType = input.idType ?? (Number(input.patientId.slice(0, 1)) >= 4 ? 'DNR' : 'FNR');
    const check = checkPersonId(input.patientId, idType, { acceptSynthetic: this.deps.acceptSyntheticIds ?? false });
    if (!check.valid) throw new StaffError('usage', `--patient is not a valid ${idType} (${check.problem ?? 'invalid'})`);
    const book = await this.deps.db.manager.getRepository(TimebookEntity).findOne({ where: { id: input.bookId } });
    if (book === null) throw new StaffError('not-found', `timebook ${input.bookId} does not exist`);
    const route = await this.avtaleRoute({ originHerId: null }, book.herId);
    return this.write('create', async (em) => {
      await lockKey(em, `desk:${input.slotId}:${input.patientId}`);
      const onSlot = await em.getRepository(AppointmentEntity).find({ where: { slotId: input.slotId, patientId: input.patientId } });
      const active = onSlot.find((a) => ACTIVE_STATUSES.includes(a.status));
      if (active !== undefined) return this.noopAppointment('create', active, `the patient already has appointment ${active.id} on this slot`);
      const { appointment, book: booked } = await this.refusing(() =>
        bookSlot(em, this.now(), {
          appointmentId: derivedId('desk-appointment', `${input.slotId}:${input.patientId}:${onSlot.length}`),
          slotId: input.slotId,
          bookId: input.bookId,
          patientId: input.patientId,
          contact: { idType, familyName: input.familyName ?? null, givenName: input.givenName ?? null },
          originHerId: null,
          sourceMsgId: 'staff:create',
        }),
      );
      const row = this.avtaleRow(appointment, booked, '05', route);
      return this.doneAppointment('create', appointment, [row], `appointment ${appointment.id} created on ${appointment.slotId}`);
    });
  }

  /** Moves a booked appointment to another slot (same appointment id): Avtale 07. */
  async move(appointmentId: string, slotId: string): Promise<StaffResult> {
    const { appointment } = await this.appointmentOf(appointmentId);
    const targetBook = await this.bookOfSlot(slotId);
    const route = await this.avtaleRoute(appointment, targetBook.herId);
    return this.write('move', async (em) => {
      const fresh = await this.freshAppointment(em, appointment.id);
      if (fresh.appointment.slotId === slotId && fresh.appointment.status === 'booked') {
        return this.noopAppointment('move', fresh.appointment, `already on ${slotId}`);
      }
      if (fresh.appointment.status === 'requested') {
        throw new StaffError('refused', `appointment ${appointment.id} is a held request: confirm, reject or book-other it`);
      }
      if (fresh.appointment.status !== 'booked') {
        throw new StaffError('refused', `appointment ${appointment.id} is ${fresh.appointment.status} and cannot be moved`);
      }
      const moved = await this.refusing(() => moveAppointment(em, this.now(), fresh.appointment, slotId));
      if (moved === null) throw conflict();
      if (moved.book.herId !== targetBook.herId) throw conflict();
      const row = this.avtaleRow(moved.appointment, moved.book, '07', route);
      return this.doneAppointment('move', moved.appointment, [row], `appointment ${moved.appointment.id} moved to ${slotId}`);
    });
  }

  // ------------------------------------------------------------------------------------------ helpers

  private now(): Date {
    return this.deps.clock.now();
  }

  /** Runs one operation in one transaction; logs ids and codes only. */
  private async write(action: string, work: (em: EntityManager) => Promise<{ result: StaffResult; rows: NewOutboxRow[] }>): Promise<StaffResult> {
    const result = await this.deps.db.transaction(async (em) => {
      const { result, rows } = await work(em);
      for (const row of rows) this.checkSchema(row);
      await addOutbox(this.deps.db.sqlOf(em), rows);
      return result;
    });
    this.deps.logger?.info(
      { action, appointmentId: result.appointmentId, requestId: result.requestId, changed: result.changed, outbox: result.outbox.map((o) => `${o.kind} ${o.code} ${o.id}`) },
      'staff operation',
    );
    return result;
  }

  private checkSchema(row: NewOutboxRow): void {
    if (!this.deps.schemas) return;
    const v = this.deps.schemas.validate(row.body);
    if (!v.valid) {
      const first = v.issues[0];
      throw new StaffError('internal', `the ${row.summary} built is not schema-valid (${first?.path ?? ''}: ${first?.message ?? 'invalid'}); nothing written`);
    }
  }

  private done(action: string, request: CitizenRequestRow, appointmentId: string | null, rows: NewOutboxRow[], note: string) {
    return { result: { action, changed: true, appointmentId, requestId: request.id, outbox: rows.map(summaryOf), note }, rows };
  }

  private noop(action: string, request: CitizenRequestRow, note: string) {
    return { result: { action, changed: false, appointmentId: request.appointmentId, requestId: request.id, outbox: [], note }, rows: [] };
  }

  private doneAppointment(action: string, a: AppointmentRow, rows: NewOutboxRow[], note: string) {
    return { result: { action, changed: true, appointmentId: a.id, requestId: null, outbox: rows.map(summaryOf), note }, rows };
  }

  private noopAppointment(action: string, a: AppointmentRow, note: string) {
    return { result: { action, changed: false, appointmentId: a.id, requestId: null, outbox: [], note }, rows: [] };
  }

  /** Turns a domain refusal into a StaffError (the transaction rolls back). */
  private async refusing<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof AppointmentRefusal) throw new StaffError('refused', err.message);
      throw err;
    }
  }

  private async requestOf(id: string, kind: CitizenRequestRow['kind']): Promise<CitizenRequestRow> {
    const row = await this.deps.db.manager.getRepository(CitizenRequestEntity).findOne({ where: { id } });
    if (row === null) throw new StaffError('not-found', `no ${kind === 'hold' ? 'held request' : 'wish'} with id ${id}`);
    if (row.kind !== kind) {
      throw new StaffError('usage', kind === 'hold' ? `${id} is a wish: use \`staff answer-wish\`` : `${id} is a held request: use confirm, reject or book-other`);
    }
    return row;
  }

  /**
   * Re-reads the request in the transaction and claims it for this answer. 'done' when it was already
   * answered with the same code (a repeated command); refused when answered otherwise or withdrawn.
   */
  private async openRequest(em: EntityManager, id: string, code: string): Promise<CitizenRequestRow | 'done'> {
    await lockKey(em, `request:${id}`);
    const row = await em.getRepository(CitizenRequestEntity).findOneOrFail({ where: { id } });
    if (row.status === 'answered') {
      if (row.answerCode === code) return 'done';
      throw new StaffError('refused', `${row.kind === 'hold' ? 'request' : 'wish'} ${id} was already answered with ${row.answerCode ?? '?'}`);
    }
    if (row.status !== 'open') throw new StaffError('refused', `request ${id} was ${row.status} by the citizen (cancelled before staff decided)`);
    return row;
  }

  private async markAnswered(em: EntityManager, request: CitizenRequestRow, code: string, msgId: string, appointmentId: string | null): Promise<void> {
    const at = this.now().toISOString();
    const changed = await em
      .createQueryBuilder()
      .update(CitizenRequestEntity)
      .set({ status: 'answered', answerCode: code, answerMsgId: msgId, answeredAt: at, updatedAt: at, appointmentId: appointmentId ?? request.appointmentId })
      .where('id = :id', { id: request.id })
      .andWhere('status = :open', { open: 'open' })
      .execute();
    if (changed.affected !== 1) throw conflict();
  }

  private async heldAppointment(em: EntityManager, request: CitizenRequestRow): Promise<{ appointment: AppointmentRow; book: TimebookRow }> {
    const found = request.appointmentId ? await findAppointment(em, request.appointmentId) : null;
    if (found === null) throw new StaffError('not-found', `the appointment held for request ${request.id} does not exist`);
    if (found.appointment.status !== 'requested') {
      throw new StaffError('refused', `the appointment held for request ${request.id} is ${found.appointment.status}, no longer requested`);
    }
    return found;
  }

  private async appointmentOf(id: string): Promise<{ appointment: AppointmentRow; book: TimebookRow }> {
    const found = await findAppointment(this.deps.db.manager, id);
    if (found === null) throw new StaffError('not-found', `no appointment with id ${id}`);
    return found;
  }

  private async freshAppointment(em: EntityManager, id: string): Promise<{ appointment: AppointmentRow; book: TimebookRow }> {
    await lockKey(em, `appointment:${id}`);
    const found = await findAppointment(em, id);
    if (found === null) throw new StaffError('not-found', `no appointment with id ${id}`);
    return found;
  }

  private async bookOfSlot(slotId: string): Promise<TimebookRow> {
    const em = this.deps.db.manager;
    const slot = await em.getRepository(SlotEntity).findOne({ where: { id: slotId } });
    const bookId = slot?.timebookId ?? (slotId.includes('@') ? slotId.slice(0, slotId.indexOf('@')) : null);
    const book = bookId === null ? null : await em.getRepository(TimebookEntity).findOne({ where: { id: bookId } });
    if (book === null) throw new StaffError('refused', `slot ${slotId} is not in any timebook`);
    return book;
  }

  private async booksById(em: EntityManager, ids: string[]): Promise<Map<string, TimebookRow>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const rows = await em.getRepository(TimebookEntity).find({ where: { id: In(unique) } });
    return new Map(rows.map((b) => [b.id, b]));
  }

  /**
   * The appointment an OET/OAT wish is about: `explicit` (must be the patient's), else the patient's
   * appointment matched by the wish's uid/related-to against appointment ids and slot ids (§13 item 1).
   */
  private async wishAppointment(em: EntityManager, wish: CitizenRequestRow, explicit?: string): Promise<{ appointment: AppointmentRow; book: TimebookRow }> {
    if (explicit !== undefined) {
      const found = await findAppointment(em, explicit);
      if (found === null || found.appointment.patientId !== wish.patientId) {
        throw new StaffError('not-found', `appointment ${explicit} is not an appointment of the wish's patient`);
      }
      return found;
    }
    const matched = await this.matchWishAppointment(em, wish);
    if (matched === null) {
      const alternative = wish.functionCode === 'OAT' ? '09' : '34';
      throw new StaffError('refused', `no appointment of the patient matches wish ${wish.id}: name it with --appointment, or answer ${alternative}`);
    }
    const found = await findAppointment(em, matched.id);
    if (found === null) throw new StaffError('not-found', `appointment ${matched.id} vanished`);
    return found;
  }

  private async matchWishAppointment(em: EntityManager, wish: CitizenRequestRow): Promise<AppointmentRow | null> {
    const refs = [wish.event?.uid, wish.event?.relatedTo].filter((r): r is string => typeof r === 'string' && r.trim() !== '');
    if (refs.length === 0) return null;
    const candidates = await em
      .getRepository(AppointmentEntity)
      .createQueryBuilder('a')
      .where('a.patientId = :patient', { patient: wish.patientId })
      .andWhere('(a.id IN (:...refs) OR a.slotId IN (:...refs))', { refs })
      .getMany();
    if (candidates.length === 0) return null;
    const rank = (a: AppointmentRow) => (refs.includes(a.id) ? 0 : 2) + (ACTIVE_STATUSES.includes(a.status) ? 0 : 1);
    return [...candidates].sort((a, b) => rank(a) - rank(b) || (b.updatedAt < a.updatedAt ? -1 : 1))[0] ?? null;
  }

  private async addressOf(herId: number, role: string): Promise<{ party: Party; address: Address }> {
    const party = await this.deps.registry.getParty(herId);
    if (party === null) throw new StaffError('refused', `${role} ${herId} is not in the registry`);
    const parent = party.parentHerId !== null ? await this.deps.registry.getParty(party.parentHerId) : null;
    return { party, address: addressFromRegistry(party, parent) };
  }

  /** Answers go back from the party that was asked to the party that asked (protocol §10.3, §10.7). */
  private async replyRoute(request: CitizenRequestRow): Promise<Route> {
    const us = await this.addressOf(request.ourHerId, 'our party');
    const them = await this.addressOf(request.counterpartyHerId, 'the requesting party');
    return { us: us.address, usHerId: request.ourHerId, them: them.address, themHerId: request.counterpartyHerId, queue: asyncQueueOf(them.party, request.counterpartyHerId) };
  }

  /**
   * An Avtale goes from the party owning the book to Helsenorge: the party that booked it through
   * Helsenorge, else HELSENORGE_HER_ID (desk bookings).
   */
  private async avtaleRoute(appointment: Pick<AppointmentRow, 'originHerId'>, bookHerId: number): Promise<Route> {
    const target = appointment.originHerId ?? this.deps.helsenorgeHerId;
    if (target === null) {
      throw new StaffError('refused', 'HELSENORGE_HER_ID is not set: the Avtale for a desk booking has nowhere to go');
    }
    const us = await this.addressOf(bookHerId, 'our party');
    const them = await this.addressOf(target, 'Helsenorge party');
    return { us: us.address, usHerId: bookHerId, them: them.address, themHerId: target, queue: asyncQueueOf(them.party, target) };
  }

  private async practitionerOf(input: PractitionerInput): Promise<PractitionerSpec> {
    let givenName = '';
    let familyName = '';
    let hprNumber = input.hprNumber ?? null;
    let herId: number | null = input.herId ?? null;
    if (herId !== null) {
      const party = await this.deps.registry.getParty(herId);
      if (party !== null) {
        if (party.type !== 'Person') throw new StaffError('usage', `--practitioner ${herId} is a ${party.type}, not a person`);
        ({ givenName, familyName } = splitPersonName(party.name));
        hprNumber ??= party.hprNumber;
      } else if (!input.name) {
        throw new StaffError('usage', `--practitioner ${herId} is not in the registry: give --name "Given Family" (and --hpr)`);
      }
    }
    if (input.name) ({ givenName, familyName } = splitPersonName(input.name));
    if (!familyName) throw new StaffError('usage', 'the practitioner needs a name: --practitioner <herId> from the registry, or --name');
    if (herId === null && !hprNumber) throw new StaffError('usage', 'the practitioner needs --practitioner <herId> or --hpr <number>');
    if (hprNumber !== null && !/^\d{1,12}$/.test(hprNumber)) throw new StaffError('usage', '--hpr must be digits');
    herId = herId ?? null;
    return { givenName, familyName, herId, hprNumber };
  }

  private patientOf(r: { patientId: string; patientIdType: string | null; patientFamilyName: string | null; patientGivenName: string | null }): OutboundPatient {
    return {
      idType: r.patientIdType ?? 'FNR',
      id: r.patientId,
      ...(r.patientFamilyName ? { familyName: r.patientFamilyName } : {}),
      ...(r.patientGivenName ? { givenName: r.patientGivenName } : {}),
    };
  }

  private replyRow(
    request: CitizenRequestRow,
    route: Route,
    code: string,
    text: string | undefined,
    events: OutboundEvent[],
    practitioner: PractitionerSpec | null = null,
  ): NewOutboxRow {
    const now = this.now();
    const id = derivedId('staff-reply', request.id);
    const body = buildStaffReply({
      process: request.process,
      code,
      text: text ?? DEFAULT_TEXTS[code] ?? null,
      msgId: id,
      genDate: now,
      conversationRef: { refToParent: request.msgId, refToConversation: request.conversationId },
      sender: route.us,
      receiver: route.them,
      patient: this.patientOf(request),
      events,
      practitioner,
    });
    return {
      id,
      inboxId: null,
      kind: 'reply',
      queue: route.queue,
      toHerId: route.themHerId,
      fromHerId: route.usHerId,
      process: request.process,
      correlationId: null,
      body,
      properties: {},
      summary: `reply ${code}`,
      createdAt: now.toISOString(),
      seq: 0,
    };
  }

  private avtaleRow(appointment: AppointmentRow, book: TimebookRow, code: AvtaleCode, route: Route): NewOutboxRow {
    const now = this.now();
    const id = derivedId('avtale', `${appointment.id}:${appointment.revision}`);
    const entry: CalendarEntry = appointmentEntry(appointment, book, code === '08' ? 'CANCELLED' : 'CONFIRMED');
    // No-show: the appointment stays as it was; only the documented STATUS values are sent (§13 item 13).
    if (code === '11') delete entry.status;
    const body = buildAvtale({ code, msgId: id, genDate: now, sender: route.us, receiver: route.them, patient: this.patientOf(appointment), event: entry });
    return {
      id,
      inboxId: null,
      kind: 'avtale',
      queue: route.queue,
      toHerId: route.themHerId,
      fromHerId: route.usHerId,
      process: AVTALEUTSENDING,
      correlationId: null,
      body,
      properties: {},
      summary: `avtale ${code}`,
      createdAt: now.toISOString(),
      seq: 0,
    };
  }
}

function summaryOf(row: NewOutboxRow): OutboundSummary {
  return {
    id: row.id,
    kind: row.kind as 'reply' | 'avtale',
    code: row.summary.split(' ')[1] ?? '',
    queue: row.queue,
    toHerId: row.toHerId ?? 0,
  };
}

function practitionerRef(p: PractitionerSpec): PractitionerRef {
  return { herId: p.herId ?? null, hprNumber: p.hprNumber ?? null, givenName: p.givenName, familyName: p.familyName };
}

function conflict(): StaffError {
  return new StaffError('conflict', 'the appointment or request was changed at the same time; nothing was written, run the command again');
}
