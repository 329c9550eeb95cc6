import type { EntityManager } from 'typeorm';
import { sqlOf } from '../db/database.js';
import {
  ACTIVE_STATUSES,
  bookById,
  claimSlot as claimPlace,
  findAppointmentById,
  findSlotById,
  holdsOnSlot,
  insertAppointment,
  lockKey,
  lockPatient,
  releaseSlot as releasePlace,
  setAppointmentSlot,
  setAppointmentStatus,
} from './booking.core.js';
import { AppointmentEntity, TimebookEntity, type AppointmentRow, type PractitionerRef, type SlotRow, type TimebookRow } from './timebook.entities.js';
import { ensureSlotsForHorizon } from './timebook.import.js';
import type { AppointmentStatus, PatientContact } from './types.js';

export { ACTIVE_STATUSES } from './booking.core.js';

/**
 * Appointment changes made by staff (docs/staff.md), in the caller's transaction. Capacity is claimed
 * through the same booking core as ReserverAvtale (booking.core.ts): one conditional update (`booked < capacity`, not blocked) that must
 * affect one row; status changes are conditional on the status and revision read before, so two staff
 * commands on one appointment cannot both win. Staff may book what citizens may not (no notice,
 * horizon, eligibility, urgent or per-citizen rules), but never a full, blocked, started or retired slot.
 */

/** Why a staff change cannot be made: a business refusal, not a fault. Never carries personal data. */
export class AppointmentRefusal extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'AppointmentRefusal';
  }
}

export interface SlotAndBook {
  slot: SlotRow;
  book: TimebookRow;
}

/**
 * The slot `slotId` with its book. When the slot is not there yet and its book is known (given, or the
 * `<book>@` prefix of a generated id), the book's slots are rolled forward first. Null when unknown.
 */
export async function findSlot(em: EntityManager, slotId: string, now: Date, bookId?: string): Promise<SlotAndBook | null> {
  const tx = sqlOf(em);
  let slot = await findSlotById(tx, slotId);
  if (slot === null) {
    const candidate = bookId ?? (slotId.includes('@') ? slotId.slice(0, slotId.indexOf('@')) : undefined);
    const book = candidate === undefined ? null : await bookById(tx, candidate);
    if (book !== null && !book.retired) {
      await ensureSlotsForHorizon(em, book, now);
      slot = await findSlotById(tx, slotId);
    }
  }
  if (slot === null) return null;
  const book = await bookById(tx, slot.timebookId);
  return book === null ? null : { slot, book };
}

export async function findAppointment(
  em: EntityManager,
  id: string,
): Promise<{ appointment: AppointmentRow; book: TimebookRow } | null> {
  if (!em.queryRunner?.isTransactionActive) {
    // Outside a transaction (staff listings): TypeORM reads.
    const appointment = await em.getRepository(AppointmentEntity).findOne({ where: { id } });
    if (appointment === null) return null;
    const book = await em.getRepository(TimebookEntity).findOne({ where: { id: appointment.timebookId } });
    return book === null ? null : { appointment, book };
  }
  const tx = sqlOf(em);
  const appointment = await findAppointmentById(tx, id);
  if (appointment === null) return null;
  const book = await bookById(tx, appointment.timebookId);
  if (book === null) return null;
  return { appointment, book };
}

/** Checks a slot staff want to put an appointment on; throws the refusal. */
export function checkStaffSlot(target: SlotAndBook | null, now: Date, slotId: string): SlotAndBook {
  if (target === null) throw new AppointmentRefusal('slot-unknown', `slot ${slotId} is not in any timebook`);
  if (target.book.retired) throw new AppointmentRefusal('book-retired', `timebook ${target.book.id} is retired`);
  if (target.slot.blocked) throw new AppointmentRefusal('slot-blocked', `slot ${slotId} is blocked`);
  if (Date.parse(target.slot.startUtc) <= now.getTime()) {
    throw new AppointmentRefusal('slot-started', `slot ${slotId} has already started`);
  }
  return target;
}

/** Claims one place on the slot; false when it is full or blocked (the booking core's claim). */
export async function claimSlot(em: EntityManager, slotId: string): Promise<boolean> {
  return (await claimPlace(sqlOf(em), slotId)) !== null;
}

/** Gives one place back (an active appointment left the slot). */
export async function releaseSlot(em: EntityManager, slotId: string): Promise<void> {
  await releasePlace(sqlOf(em), slotId);
}

export interface StaffBooking {
  appointmentId: string;
  slotId: string;
  /** When given, the slot must belong to this book. */
  bookId?: string;
  patientId: string;
  contact: PatientContact;
  representativeId?: string | null;
  relation?: string | null;
  /** Helsenorge party for later messages; null for a desk booking. */
  originHerId: number | null;
  /** What created it: a wish's MsgId, or `staff:<command>`. */
  sourceMsgId: string;
  practitioner?: PractitionerRef | null;
  emneSporsmal?: string | null;
  sporsmal?: string | null;
}

/**
 * Books a slot for a patient (desk booking, or the answer to a wish): status `booked`. The same
 * appointment id again returns the stored appointment with `created: false` (a repeated command).
 */
export async function bookSlot(
  em: EntityManager,
  now: Date,
  booking: StaffBooking,
): Promise<{ appointment: AppointmentRow; book: TimebookRow; created: boolean }> {
  const tx = sqlOf(em);
  await lockKey(tx, `appointment:${booking.appointmentId}`);
  const existing = await findAppointment(em, booking.appointmentId);
  if (existing !== null) return { ...existing, created: false };
  const target = checkStaffSlot(await findSlot(em, booking.slotId, now, booking.bookId), now, booking.slotId);
  if (booking.bookId !== undefined && target.book.id !== booking.bookId) {
    throw new AppointmentRefusal('slot-not-in-book', `slot ${booking.slotId} is not in timebook ${booking.bookId}`);
  }
  await lockPatient(tx, target.book.herId, booking.patientId);
  if ((await holdsOnSlot(tx, target.slot.id, booking.patientId)) > 0) {
    throw new AppointmentRefusal('already-holds-slot', `the patient already has an appointment on slot ${target.slot.id}`);
  }
  if ((await claimPlace(tx, target.slot.id)) === null) throw new AppointmentRefusal('slot-full', `slot ${target.slot.id} is full`);
  const at = now.toISOString();
  const appointment: AppointmentRow = {
    id: booking.appointmentId,
    slotId: target.slot.id,
    timebookId: target.book.id,
    patientId: booking.patientId,
    representativeId: booking.representativeId ?? null,
    relation: booking.relation ?? null,
    status: 'booked',
    type: target.slot.type,
    startUtc: target.slot.startUtc,
    endUtc: target.slot.endUtc,
    localStart: target.slot.localStart,
    localEnd: target.slot.localEnd,
    emneSporsmal: booking.emneSporsmal ?? null,
    sporsmal: booking.sporsmal ?? null,
    attachments: null,
    sourceMsgId: booking.sourceMsgId,
    cancelMsgId: null,
    createdAt: at,
    updatedAt: at,
    cancelledAt: null,
    originHerId: booking.originHerId,
    patientIdType: booking.contact.idType,
    patientFamilyName: booking.contact.familyName,
    patientGivenName: booking.contact.givenName,
    practitioner: booking.practitioner ?? null,
    revision: 0,
  };
  await insertAppointment(tx, appointment);
  return { appointment, book: target.book, created: true };
}

/**
 * Changes an appointment's status if it still has one of `from` and the revision read before; releases
 * its place when it leaves an active status. Returns the changed row, or null when another transaction
 * changed it first (the caller re-reads and decides).
 */
export async function changeStatus(
  em: EntityManager,
  now: Date,
  appointment: AppointmentRow,
  from: readonly AppointmentStatus[],
  to: AppointmentStatus,
  extra: Partial<Pick<AppointmentRow, 'practitioner' | 'cancelMsgId'>> = {},
): Promise<AppointmentRow | null> {
  const at = now.toISOString();
  const set: Partial<AppointmentRow> = { status: to, updatedAt: at, revision: appointment.revision + 1, ...extra };
  if (to === 'cancelled') set.cancelledAt = at;
  const tx = sqlOf(em);
  const changed = await setAppointmentStatus(
    tx,
    appointment.id,
    from,
    {
      status: to,
      updatedAt: at,
      revision: appointment.revision + 1,
      ...(set.cancelledAt !== undefined ? { cancelledAt: set.cancelledAt } : {}),
      ...(extra.cancelMsgId !== undefined ? { cancelMsgId: extra.cancelMsgId } : {}),
      ...(extra.practitioner !== undefined ? { practitioner: extra.practitioner } : {}),
    },
    appointment.revision,
  );
  if (!changed) return null;
  const wasActive = ACTIVE_STATUSES.includes(appointment.status);
  const isActive = ACTIVE_STATUSES.includes(to);
  if (wasActive && !isActive) await releasePlace(tx, appointment.slotId);
  return { ...appointment, ...set } as AppointmentRow;
}

/**
 * Moves a booked appointment to another slot (same appointment id): claims the new place first, then
 * gives the old one back. Throws a refusal when the target cannot take it; null when another
 * transaction changed the appointment first.
 */
export async function moveAppointment(
  em: EntityManager,
  now: Date,
  appointment: AppointmentRow,
  slotId: string,
  extra: Partial<Pick<AppointmentRow, 'practitioner'>> = {},
): Promise<{ appointment: AppointmentRow; book: TimebookRow } | null> {
  if (appointment.slotId === slotId) throw new AppointmentRefusal('same-slot', `the appointment is already on slot ${slotId}`);
  const tx = sqlOf(em);
  const target = checkStaffSlot(await findSlot(em, slotId, now), now, slotId);
  if ((await holdsOnSlot(tx, target.slot.id, appointment.patientId)) > 0) {
    throw new AppointmentRefusal('already-holds-slot', `the patient already has an appointment on slot ${slotId}`);
  }
  if ((await claimPlace(tx, target.slot.id)) === null) throw new AppointmentRefusal('slot-full', `slot ${slotId} is full`);
  const at = now.toISOString();
  const set: Partial<AppointmentRow> = {
    slotId: target.slot.id,
    timebookId: target.book.id,
    type: target.slot.type,
    startUtc: target.slot.startUtc,
    endUtc: target.slot.endUtc,
    localStart: target.slot.localStart,
    localEnd: target.slot.localEnd,
    updatedAt: at,
    revision: appointment.revision + 1,
    ...extra,
  };
  const changed = await setAppointmentSlot(tx, appointment, target.slot, at, extra.practitioner);
  if (!changed) {
    // Lost the race: the caller's transaction rolls back, which also returns the claimed place.
    return null;
  }
  await releasePlace(tx, appointment.slotId);
  return { appointment: { ...appointment, ...set } as AppointmentRow, book: target.book };
}
