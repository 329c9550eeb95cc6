import { bool, int, intOrNull, json, placeholders, type Row, type SqlTx } from '../db/sql.js';
import type { AppointmentRow, SlotRow, TimebookRow } from './timebook.entities.js';
import type { AppointmentStatus } from './types.js';

/**
 * The booking core, in plain SQL: find a slot, claim and release a place, insert and read appointments,
 * the per-patient lock. Citizen requests (TimebookService) and staff commands (appointment.operations)
 * both book through these functions, so there is one claim and one release.
 *
 * Capacity is claimed with one conditional update (`booked < capacity`, not blocked) that returns the
 * slot row only when it took a place: correct under concurrent transactions on PostgreSQL (row lock and
 * re-check under READ COMMITTED) and on SQLite (writes serialised by `Database`).
 */

export const ACTIVE_STATUSES: readonly AppointmentStatus[] = ['requested', 'booked'];
const ACTIVE_SQL = "('requested', 'booked')";

const SLOT_COLUMNS = 'id, "timebookId", "startUtc", "endUtc", "localStart", "localEnd", capacity, booked, type, origin, blocked';

function slotRow(r: Row): SlotRow {
  return {
    id: String(r.id),
    timebookId: String(r.timebookId),
    startUtc: String(r.startUtc),
    endUtc: String(r.endUtc),
    localStart: String(r.localStart),
    localEnd: String(r.localEnd),
    capacity: int(r.capacity),
    booked: int(r.booked),
    type: r.type as SlotRow['type'],
    origin: r.origin as SlotRow['origin'],
    blocked: bool(r.blocked),
  };
}

/** The slot `id`, when it belongs to one of `bookIds` (any book when absent); null when unknown. */
export async function findSlotById(tx: SqlTx, id: string, bookIds?: readonly string[]): Promise<SlotRow | null> {
  if (bookIds !== undefined && bookIds.length === 0) return null;
  const inBooks = bookIds === undefined ? '' : ` AND "timebookId" IN (${placeholders(bookIds.length)})`;
  const rows = await tx.query(`SELECT ${SLOT_COLUMNS} FROM slot WHERE id = ?${inBooks}`, [id, ...(bookIds ?? [])]);
  return rows[0] === undefined ? null : slotRow(rows[0]);
}

export interface ClaimConditions {
  /** The slot must belong to one of these books. */
  bookIds?: readonly string[];
  /** The patient must not already hold an active appointment on the slot. */
  patientId?: string;
  /**
   * Per-book most active upcoming appointments of `patientId` (counted from `since`); the caller holds
   * {@link lockPatient} so that the count is not raced.
   */
  limits?: { since: string; perBook: ReadonlyMap<string, number> };
}

/**
 * Takes one place on the slot: ONE conditional update. Returns the slot as it is after the claim, or
 * null when it is unknown, full, blocked, or a condition fails (the caller works out which, off the hot
 * path).
 */
export async function claimSlot(tx: SqlTx, slotId: string, c: ClaimConditions = {}): Promise<SlotRow | null> {
  const claim = claimUpdate(slotId, c);
  if (claim === null) return null;
  const rows = await tx.query(`${claim.sql} RETURNING ${SLOT_COLUMNS}`, claim.params);
  return rows[0] === undefined ? null : slotRow(rows[0]);
}

/** The conditional update of {@link claimSlot} without its RETURNING clause (null: it cannot match). */
function claimUpdate(slotId: string, c: ClaimConditions): { sql: string; params: unknown[] } | null {
  const where: string[] = ['id = ?', 'booked < capacity', 'blocked = ?'];
  const params: unknown[] = [slotId, false];
  if (c.bookIds !== undefined) {
    if (c.bookIds.length === 0) return null;
    where.push(`"timebookId" IN (${placeholders(c.bookIds.length)})`);
    params.push(...c.bookIds);
  }
  if (c.patientId !== undefined) {
    where.push(`NOT EXISTS (SELECT 1 FROM appointment a WHERE a."slotId" = slot.id AND a."patientId" = ? AND a.status IN ${ACTIVE_SQL})`);
    params.push(c.patientId);
    if (c.limits !== undefined && c.limits.perBook.size > 0) {
      const cases = [...c.limits.perBook].map(() => 'WHEN ? THEN ?').join(' ');
      where.push(
        `(SELECT COUNT(*) FROM appointment a WHERE a."timebookId" = slot."timebookId" AND a."patientId" = ? AND a.status IN ${ACTIVE_SQL} AND a."startUtc" >= ?)` +
          ` < CASE slot."timebookId" ${cases} ELSE 2147483647 END`,
      );
      params.push(c.patientId, c.limits.since, ...[...c.limits.perBook].flat());
    }
  }
  return { sql: `UPDATE slot SET booked = booked + 1 WHERE ${where.join(' AND ')}`, params };
}

/** An appointment to insert on the slot a claim takes: every field but those the slot and its book give. */
export type AppointmentDraft = Omit<AppointmentRow, 'slotId' | 'timebookId' | 'type' | 'startUtc' | 'endUtc' | 'localStart' | 'localEnd' | 'status'>;

/** The appointment a draft becomes on `slot`: `booked` in the books that confirm by themselves, else `requested`. */
export function appointmentOn(draft: AppointmentDraft, slot: SlotRow, autoConfirmBooks: readonly string[]): AppointmentRow {
  return {
    ...draft,
    slotId: slot.id,
    timebookId: slot.timebookId,
    type: slot.type,
    startUtc: slot.startUtc,
    endUtc: slot.endUtc,
    localStart: slot.localStart,
    localEnd: slot.localEnd,
    status: autoConfirmBooks.includes(slot.timebookId) ? 'booked' : 'requested',
  };
}

/**
 * {@link claimSlot} and the appointment insert together: ONE statement on PostgreSQL (the insert rides on
 * the claim as a data-modifying CTE, so the slot's row lock is held one round trip less), two on SQLite.
 * Null when no place was taken; else the slot after the claim, the appointment, and whether its row was
 * inserted (false: the id exists already, a re-run; the caller gives the place back).
 */
export async function claimSlotWithAppointment(
  tx: SqlTx,
  slotId: string,
  c: ClaimConditions,
  draft: AppointmentDraft,
  autoConfirmBooks: readonly string[],
): Promise<{ slot: SlotRow; appointment: AppointmentRow; inserted: boolean } | null> {
  if (tx.dialect !== 'postgres') {
    const slot = await claimSlot(tx, slotId, c);
    if (slot === null) return null;
    const appointment = appointmentOn(draft, slot, autoConfirmBooks);
    return { slot, appointment, inserted: await insertAppointment(tx, appointment) };
  }
  const claim = claimUpdate(slotId, c);
  if (claim === null) return null;
  const values = appointmentValues(appointmentOn(draft, PLACEHOLDER_SLOT, []));
  // The columns the slot gives come from the claimed row; the others are parameters, typed, because
  // PostgreSQL cannot infer the type of a parameter in a SELECT list.
  const select = APPOINTMENT_COLUMN_LIST.map((column) => {
    const fromSlot = SLOT_GIVES[column];
    if (fromSlot !== undefined) return fromSlot;
    if (column === '"status"') return autoConfirmBooks.length > 0 ? `CASE WHEN s."timebookId" IN (${placeholders(autoConfirmBooks.length)}) THEN 'booked' ELSE 'requested' END` : "'requested'";
    return `CAST(? AS ${INTEGER_COLUMNS.has(column) ? 'integer' : 'text'})`;
  });
  const params: unknown[] = [...claim.params];
  APPOINTMENT_COLUMN_LIST.forEach((column, i) => {
    if (SLOT_GIVES[column] !== undefined) return;
    if (column === '"status"') params.push(...autoConfirmBooks);
    else params.push(values[i]);
  });
  const rows = await tx.query(
    `WITH s AS (${claim.sql} RETURNING ${SLOT_COLUMNS}),
     a AS (INSERT INTO appointment (${APPOINTMENT_COLUMNS}) SELECT ${select.join(', ')} FROM s ON CONFLICT (id) DO NOTHING RETURNING id)
     SELECT s.*, (SELECT COUNT(*) FROM a) AS inserted FROM s`,
    params,
  );
  if (rows[0] === undefined) return null;
  const slot = slotRow(rows[0]);
  return { slot, appointment: appointmentOn(draft, slot, autoConfirmBooks), inserted: int(rows[0].inserted) === 1 };
}

/** Deletes an appointment this transaction inserted and then found it must not keep. */
export async function deleteAppointment(tx: SqlTx, id: string): Promise<void> {
  await tx.query('DELETE FROM appointment WHERE id = ?', [id]);
}

/** What the booking rules need to read when the one-statement claim did not book (see {@link readForRules}). */
export interface RulesFacts {
  /** An appointment with the request's appointment id exists (a re-run). */
  rerun: boolean;
  /** The slot by the first reference that names one in `bookIds`, with the patient's facts on it. */
  slot: SlotRow | null;
  /** The patient holds an active appointment on that slot. */
  holdsSlot: boolean;
  /** The patient's active appointments in the slot's book starting at or after `since`. */
  upcomingInBook: number;
}

/**
 * ONE statement for the rule-by-rule path: a re-run of the appointment id, the slot named by the first of
 * `refs` found in `bookIds`, whether the patient is on it and how many upcoming active appointments the
 * patient has in its book. The caller holds {@link lockPatient}.
 */
export async function readForRules(
  tx: SqlTx,
  q: { appointmentId: string; refs: readonly string[]; bookIds: readonly string[]; patientId: string; since: string },
): Promise<RulesFacts> {
  // (no slot id or book id is empty: '' stands for an empty list, which SQL's IN does not allow)
  const refs = q.refs.length > 0 && q.bookIds.length > 0 ? q.refs : [''];
  const books = q.bookIds.length > 0 ? q.bookIds : [''];
  const rows = await tx.query(
    `SELECT (SELECT COUNT(*) FROM appointment p WHERE p.id = ?) AS rerun, s.*
     FROM (SELECT 1 AS one) x LEFT JOIN (
       SELECT ${SLOT_COLUMNS},
         (SELECT COUNT(*) FROM appointment a WHERE a."slotId" = slot.id AND a."patientId" = ? AND a.status IN ${ACTIVE_SQL}) AS holds,
         (SELECT COUNT(*) FROM appointment a WHERE a."timebookId" = slot."timebookId" AND a."patientId" = ? AND a.status IN ${ACTIVE_SQL} AND a."startUtc" >= ?) AS upcoming
       FROM slot WHERE id IN (${placeholders(refs.length)}) AND "timebookId" IN (${placeholders(books.length)})
     ) s ON TRUE`,
    [q.appointmentId, q.patientId, q.patientId, q.since, ...refs, ...books],
  );
  const rerun = int(rows[0]?.rerun ?? 0) > 0;
  // the first reference that names a slot wins (uid before related-to), as the rules read them
  const found = rows.filter((r) => r.id !== null && r.id !== undefined);
  const hit = refs.map((ref) => found.find((r) => String(r.id) === ref)).find((r) => r !== undefined);
  if (hit === undefined) return { rerun, slot: null, holdsSlot: false, upcomingInBook: 0 };
  return { rerun, slot: slotRow(hit), holdsSlot: int(hit.holds) > 0, upcomingInBook: int(hit.upcoming) };
}

/** Gives one place back (an active appointment left the slot). */
export async function releaseSlot(tx: SqlTx, slotId: string): Promise<void> {
  await tx.query('UPDATE slot SET booked = booked - 1 WHERE id = ? AND booked > 0', [slotId]);
}

/**
 * Serialises bookings of one patient at one HER-id (PostgreSQL transaction-scoped advisory lock on a
 * hash of the key; SQLite writes are serialised already). The key is hashed in the database, never logged.
 */
export async function lockPatient(tx: SqlTx, herId: number, patientId: string): Promise<void> {
  await lockKey(tx, patientLockKey(herId, patientId));
}

export function patientLockKey(herId: number, patientId: string): string {
  return `patient:${herId}:${patientId}`;
}

/** A transaction-scoped named lock (PostgreSQL); nothing on SQLite, whose writes are serialised. */
export async function lockKey(tx: SqlTx, key: string): Promise<void> {
  if (tx.dialect !== 'postgres') return;
  await tx.query('SELECT pg_advisory_xact_lock(hashtext(?))', [key]);
}

const APPOINTMENT_COLUMNS =
  'id, "slotId", "timebookId", "patientId", "representativeId", relation, status, type, "startUtc", "endUtc", "localStart", "localEnd", ' +
  '"emneSporsmal", sporsmal, attachments, "sourceMsgId", "cancelMsgId", "createdAt", "updatedAt", "cancelledAt", "originHerId", ' +
  '"patientIdType", "patientFamilyName", "patientGivenName", practitioner, revision';

const APPOINTMENT_COLUMN_LIST = APPOINTMENT_COLUMNS.split(',').map((c) => {
  const name = c.trim();
  return name.startsWith('"') ? name : `"${name}"`;
});

/** Appointment columns that {@link claimSlotWithAppointment} takes from the claimed slot row `s`. */
const SLOT_GIVES: Record<string, string> = {
  '"slotId"': 's.id',
  '"timebookId"': 's."timebookId"',
  '"type"': 's.type',
  '"startUtc"': 's."startUtc"',
  '"endUtc"': 's."endUtc"',
  '"localStart"': 's."localStart"',
  '"localEnd"': 's."localEnd"',
};

const INTEGER_COLUMNS = new Set(['"originHerId"', '"revision"']);

/** Stands in for the slot when only the draft's own values are wanted. */
const PLACEHOLDER_SLOT: SlotRow = {
  id: '', timebookId: '', startUtc: '', endUtc: '', localStart: '', localEnd: '', capacity: 0, booked: 0, type: '' as SlotRow['type'], origin: '' as SlotRow['origin'], blocked: false,
};

function appointmentValues(a: AppointmentRow): unknown[] {
  return [
    a.id, a.slotId, a.timebookId, a.patientId, a.representativeId, a.relation, a.status, a.type, a.startUtc, a.endUtc, a.localStart, a.localEnd,
    a.emneSporsmal, a.sporsmal, a.attachments === null ? null : JSON.stringify(a.attachments), a.sourceMsgId, a.cancelMsgId, a.createdAt,
    a.updatedAt, a.cancelledAt, a.originHerId, a.patientIdType, a.patientFamilyName, a.patientGivenName,
    a.practitioner === null ? null : JSON.stringify(a.practitioner), a.revision,
  ];
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function appointmentRow(r: Row): AppointmentRow {
  return {
    id: String(r.id),
    slotId: String(r.slotId),
    timebookId: String(r.timebookId),
    patientId: String(r.patientId),
    representativeId: str(r.representativeId),
    relation: str(r.relation),
    status: r.status as AppointmentStatus,
    type: r.type as AppointmentRow['type'],
    startUtc: String(r.startUtc),
    endUtc: String(r.endUtc),
    localStart: String(r.localStart),
    localEnd: String(r.localEnd),
    emneSporsmal: str(r.emneSporsmal),
    sporsmal: str(r.sporsmal),
    attachments: json<AppointmentRow['attachments']>(r.attachments),
    sourceMsgId: String(r.sourceMsgId),
    cancelMsgId: str(r.cancelMsgId),
    createdAt: String(r.createdAt),
    updatedAt: String(r.updatedAt),
    cancelledAt: str(r.cancelledAt),
    originHerId: intOrNull(r.originHerId),
    patientIdType: str(r.patientIdType),
    patientFamilyName: str(r.patientFamilyName),
    patientGivenName: str(r.patientGivenName),
    practitioner: json<AppointmentRow['practitioner']>(r.practitioner),
    revision: int(r.revision ?? 0),
  };
}

/** Inserts an appointment; false (nothing written) when one with this id exists. One statement. */
export async function insertAppointment(tx: SqlTx, a: AppointmentRow): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO appointment (${APPOINTMENT_COLUMNS}) VALUES (${placeholders(26)}) ON CONFLICT (id) DO NOTHING RETURNING id`,
    appointmentValues(a),
  );
  return rows.length === 1;
}

export async function findAppointmentById(tx: SqlTx, id: string): Promise<AppointmentRow | null> {
  const rows = await tx.query(`SELECT ${APPOINTMENT_COLUMNS} FROM appointment WHERE id = ?`, [id]);
  return rows[0] === undefined ? null : appointmentRow(rows[0]);
}

/** How many active appointments the patient holds on the slot. */
export async function holdsOnSlot(tx: SqlTx, slotId: string, patientId: string): Promise<number> {
  const rows = await tx.query<{ n: unknown }>(
    `SELECT COUNT(*) AS n FROM appointment WHERE "slotId" = ? AND "patientId" = ? AND status IN ${ACTIVE_SQL}`,
    [slotId, patientId],
  );
  return int(rows[0]?.n ?? 0);
}

/** Appointments in `bookIds` whose id or slot id is one of `refs` (a cancellation's references). */
export async function appointmentsByRefs(tx: SqlTx, bookIds: readonly string[], refs: readonly string[]): Promise<AppointmentRow[]> {
  if (bookIds.length === 0 || refs.length === 0) return [];
  const rows = await tx.query(
    `SELECT ${APPOINTMENT_COLUMNS} FROM appointment WHERE "timebookId" IN (${placeholders(bookIds.length)})
       AND (id IN (${placeholders(refs.length)}) OR "slotId" IN (${placeholders(refs.length)}))`,
    [...bookIds, ...refs, ...refs],
  );
  return rows.map(appointmentRow);
}

/** The patient's active appointments in `bookIds` starting at or after `since`, in start order. */
export async function plannedAppointments(tx: SqlTx, bookIds: readonly string[], patientId: string, since: string): Promise<AppointmentRow[]> {
  if (bookIds.length === 0) return [];
  const rows = await tx.query(
    `SELECT ${APPOINTMENT_COLUMNS} FROM appointment WHERE "timebookId" IN (${placeholders(bookIds.length)}) AND "patientId" = ?
       AND status IN ${ACTIVE_SQL} AND "startUtc" >= ? ORDER BY "startUtc", id`,
    [...bookIds, patientId, since],
  );
  return rows.map(appointmentRow);
}

/**
 * Sets an appointment's status when it still has one of `from` (and `revision`, when given). Returns
 * true when this transaction changed it.
 */
export async function setAppointmentStatus(
  tx: SqlTx,
  id: string,
  from: readonly AppointmentStatus[],
  set: { status: AppointmentStatus; updatedAt: string; cancelledAt?: string | null; cancelMsgId?: string | null; revision?: number; practitioner?: AppointmentRow['practitioner'] },
  revision?: number,
): Promise<boolean> {
  const cols: string[] = ['status = ?', '"updatedAt" = ?'];
  const params: unknown[] = [set.status, set.updatedAt];
  if (set.cancelledAt !== undefined) (cols.push('"cancelledAt" = ?'), params.push(set.cancelledAt));
  if (set.cancelMsgId !== undefined) (cols.push('"cancelMsgId" = ?'), params.push(set.cancelMsgId));
  if (set.revision !== undefined) (cols.push('revision = ?'), params.push(set.revision));
  if (set.practitioner !== undefined) (cols.push('practitioner = ?'), params.push(set.practitioner === null ? null : JSON.stringify(set.practitioner)));
  let where = `id = ? AND status IN (${placeholders(from.length)})`;
  params.push(id, ...from);
  if (revision !== undefined) (where += ' AND revision = ?'), params.push(revision);
  const rows = await tx.query(`UPDATE appointment SET ${cols.join(', ')} WHERE ${where} RETURNING id`, params);
  return rows.length === 1;
}

/** Moves an appointment to another slot (times and type copied) if its status and revision are unchanged. */
export async function setAppointmentSlot(
  tx: SqlTx,
  a: Pick<AppointmentRow, 'id' | 'status' | 'revision'>,
  slot: SlotRow,
  at: string,
  practitioner?: AppointmentRow['practitioner'],
): Promise<boolean> {
  const extra = practitioner !== undefined ? ', practitioner = ?' : '';
  const rows = await tx.query(
    `UPDATE appointment SET "slotId" = ?, "timebookId" = ?, type = ?, "startUtc" = ?, "endUtc" = ?, "localStart" = ?, "localEnd" = ?,
       "updatedAt" = ?, revision = ?${extra} WHERE id = ? AND status = ? AND revision = ? RETURNING id`,
    [
      slot.id, slot.timebookId, slot.type, slot.startUtc, slot.endUtc, slot.localStart, slot.localEnd, at, a.revision + 1,
      ...(practitioner !== undefined ? [practitioner === null ? null : JSON.stringify(practitioner)] : []),
      a.id, a.status, a.revision,
    ],
  );
  return rows.length === 1;
}

// ---- Timebook definitions -------------------------------------------------------------------------

const TIMEBOOK_COLUMNS =
  'id, "herId", kind, name, text, location, published, prerequisites, eligibility, form, video_meeting, confirmation, "minNoticeMinutes", ' +
  '"horizonDays", "cancelCutoffMinutes", "maxActivePerPatient", "urgentBookableDigitally", schedule, "singleSlots", "validFrom", "validTo", ' +
  '"timeZone", retired, "slotsUntil", "updatedAt"';

function timebookRow(r: Row): TimebookRow {
  return {
    id: String(r.id),
    herId: int(r.herId),
    kind: r.kind as TimebookRow['kind'],
    name: String(r.name),
    text: str(r.text),
    location: json<TimebookRow['location']>(r.location),
    published: bool(r.published),
    prerequisites: str(r.prerequisites),
    eligibility: json<TimebookRow['eligibility']>(r.eligibility),
    form: str(r.form),
    videoMeeting: str(r.video_meeting),
    confirmation: r.confirmation as TimebookRow['confirmation'],
    minNoticeMinutes: int(r.minNoticeMinutes),
    horizonDays: int(r.horizonDays),
    cancelCutoffMinutes: int(r.cancelCutoffMinutes),
    maxActivePerPatient: intOrNull(r.maxActivePerPatient),
    urgentBookableDigitally: bool(r.urgentBookableDigitally),
    schedule: json<TimebookRow['schedule']>(r.schedule) ?? [],
    singleSlots: json<TimebookRow['singleSlots']>(r.singleSlots) ?? [],
    validFrom: str(r.validFrom),
    validTo: str(r.validTo),
    timeZone: String(r.timeZone),
    retired: bool(r.retired),
    slotsUntil: str(r.slotsUntil),
    updatedAt: String(r.updatedAt),
  };
}

/** The books at a HER-id, by id. */
export async function booksAtHerId(tx: SqlTx, herId: number): Promise<TimebookRow[]> {
  const rows = await tx.query(`SELECT ${TIMEBOOK_COLUMNS} FROM timebook WHERE "herId" = ? ORDER BY id`, [herId]);
  return rows.map(timebookRow);
}

/** One book by id, or null. */
export async function bookById(tx: SqlTx, id: string): Promise<TimebookRow | null> {
  const rows = await tx.query(`SELECT ${TIMEBOOK_COLUMNS} FROM timebook WHERE id = ?`, [id]);
  return rows[0] === undefined ? null : timebookRow(rows[0]);
}
