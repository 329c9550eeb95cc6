import type { Database } from '../db/database.js';
import type { Clock } from '../shared/clock.js';
import { AppointmentEntity } from '../timebook/timebook.entities.js';
import { AdminError } from './admin.errors.js';

/** One appointment as it is now, for the EPJ's changes feed. */
export interface ChangeEvent {
  cursor: string;
  appointmentId: string;
  status: string;
  revision: number;
  bookId: string;
  slotId: string;
  start: string;
  end: string;
  /** `helsenorge`: booked or cancelled through Helsenorge; `desk`: made by staff. */
  origin: 'helsenorge' | 'desk';
  originHerId: number | null;
  patientId: string;
  patientIdType: string | null;
  changedAt: string;
}

export function encodeCursor(changedAt: string, id: string): string {
  return Buffer.from(`${changedAt}|${id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { at: string; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const bar = text.indexOf('|');
  if (bar < 0 || !/^\d{4}-\d{2}-\d{2}T/.test(text)) throw new AdminError('bad-request', 'not a cursor from this feed', 'after');
  return { at: text.slice(0, bar), id: text.slice(bar + 1) };
}

/**
 * Appointments changed after `after` (a cursor from an earlier answer; none = from the start), oldest
 * change first. Every booking, confirmation, cancellation, move and no-show changes the appointment's
 * `updatedAt`, so the feed carries each appointment's newest state once per change seen. Rows changed in
 * the last `lagMs` are held back so that a transaction committing a little later with an earlier
 * timestamp is not skipped; the EPJ keeps the last cursor and asks again.
 */
export async function readChanges(db: Database, clock: Clock, o: { after?: string; limit?: number; lagMs: number }): Promise<{ events: ChangeEvent[]; next: string | null }> {
  const limit = Math.min(o.limit ?? 100, 1000);
  const until = new Date(clock.now().getTime() - o.lagMs).toISOString();
  const qb = db.manager.getRepository(AppointmentEntity).createQueryBuilder('a').where('a.updatedAt <= :until', { until });
  if (o.after) {
    const c = decodeCursor(o.after);
    qb.andWhere('(a.updatedAt > :at OR (a.updatedAt = :at AND a.id > :id))', { at: c.at, id: c.id });
  }
  const rows = await qb.orderBy('a.updatedAt', 'ASC').addOrderBy('a.id', 'ASC').take(limit).getMany();
  const events = rows.map((a) => ({
    cursor: encodeCursor(a.updatedAt, a.id),
    appointmentId: a.id,
    status: a.status,
    revision: a.revision,
    bookId: a.timebookId,
    slotId: a.slotId,
    start: a.localStart,
    end: a.localEnd,
    origin: a.originHerId === null ? ('desk' as const) : ('helsenorge' as const),
    originHerId: a.originHerId === null ? null : Number(a.originHerId),
    patientId: a.patientId,
    patientIdType: a.patientIdType,
    changedAt: a.updatedAt,
  }));
  return { events, next: events.length > 0 ? events[events.length - 1]!.cursor : (o.after ?? null) };
}
