import { In } from 'typeorm';
import type { Database } from '../db/database.js';
import { InboxEntity, OutboxEntity } from '../inbox/message.entities.js';
import { derivedId } from '../shared/ids.js';
import { CitizenRequestEntity } from '../timebook/request.entities.js';
import { AppointmentEntity, type AppointmentRow } from '../timebook/timebook.entities.js';
import { AdminError } from './admin.errors.js';

export interface AppointmentQuery {
  bookId?: string;
  status?: string;
  /** Local date YYYY-MM-DD, inclusive. */
  from?: string;
  /** Local date YYYY-MM-DD, exclusive. */
  to?: string;
  patientId?: string;
  limit?: number;
}

export interface AppointmentView {
  id: string;
  bookId: string;
  slotId: string;
  status: string;
  start: string;
  end: string;
  type: string;
  origin: 'helsenorge' | 'desk';
  originHerId: number | null;
  patientId: string;
  patientIdType: string | null;
  patientName: string | null;
  onBehalf: boolean;
  revision: number;
  createdAt: string;
  updatedAt: string;
}

export interface HistoryEntry {
  at: string | null;
  what: string;
  msgId: string | null;
}

export function viewOf(a: AppointmentRow): AppointmentView {
  const name = [a.patientGivenName, a.patientFamilyName].filter(Boolean).join(' ');
  return {
    id: a.id,
    bookId: a.timebookId,
    slotId: a.slotId,
    status: a.status,
    start: a.localStart,
    end: a.localEnd,
    type: a.type,
    origin: a.originHerId === null ? 'desk' : 'helsenorge',
    originHerId: a.originHerId === null ? null : Number(a.originHerId),
    patientId: a.patientId,
    patientIdType: a.patientIdType,
    patientName: name || null,
    onBehalf: a.representativeId !== null,
    revision: a.revision,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}

export async function listAppointments(db: Database, q: AppointmentQuery): Promise<AppointmentView[]> {
  const qb = db.manager.getRepository(AppointmentEntity).createQueryBuilder('a');
  if (q.bookId) qb.andWhere('a.timebookId = :b', { b: q.bookId });
  if (q.status) qb.andWhere('a.status = :s', { s: q.status });
  if (q.from) qb.andWhere('a.localStart >= :from', { from: `${q.from}T00:00:00` });
  if (q.to) qb.andWhere('a.localStart < :to', { to: `${q.to}T00:00:00` });
  if (q.patientId) qb.andWhere('a.patientId = :p', { p: q.patientId });
  const rows = await qb.orderBy('a.localStart', 'ASC').addOrderBy('a.id', 'ASC').take(Math.min(q.limit ?? 200, 1000)).getMany();
  return rows.map(viewOf);
}

/**
 * One appointment and its history, from the stored rows: the message or desk booking that made it,
 * the staff answer, each Avtale sent about it (ids derived from the appointment and its revisions) and
 * the cancellation.
 */
export async function appointmentWithHistory(db: Database, id: string): Promise<{ appointment: AppointmentView; history: HistoryEntry[] }> {
  const em = db.manager;
  const a = await em.getRepository(AppointmentEntity).findOne({ where: { id } });
  if (a === null) throw new AdminError('not-found', `no appointment with id ${id}`);
  const history: HistoryEntry[] = [];
  if (a.sourceMsgId.startsWith('staff:')) history.push({ at: a.createdAt, what: 'booked at the desk', msgId: null });
  else {
    const source = await em.getRepository(InboxEntity).findOne({ where: { msgId: a.sourceMsgId } });
    history.push({ at: a.createdAt, what: `requested through Helsenorge (${source ? `${source.process} ${source.functionCode ?? ''}`.trim() : 'message'})`, msgId: a.sourceMsgId });
    if (source) {
      const outs = await em.getRepository(OutboxEntity).find({ where: { inboxId: source.id }, order: { seq: 'ASC' } });
      for (const o of outs) history.push({ at: o.createdAt, what: `${o.summary} sent${o.sentAt ? '' : ' (waiting in the outbox)'}`, msgId: o.id });
    }
  }
  const request = await em.getRepository(CitizenRequestEntity).findOne({ where: { appointmentId: a.id } });
  if (request?.status === 'answered') history.push({ at: request.answeredAt, what: `staff answered ${request.answerCode ?? ''}`.trim(), msgId: request.answerMsgId });
  if (request?.status === 'withdrawn') history.push({ at: request.updatedAt, what: 'withdrawn by the citizen before staff decided', msgId: null });
  const avtaleIds = Array.from({ length: a.revision + 1 }, (_, r) => derivedId('avtale', `${a.id}:${r}`));
  const avtaler = await em.getRepository(OutboxEntity).find({ where: { id: In(avtaleIds) }, order: { createdAt: 'ASC' } });
  for (const o of avtaler) history.push({ at: o.createdAt, what: `${o.summary} to Helsenorge${o.sentAt ? '' : ' (waiting in the outbox)'}`, msgId: o.id });
  if (a.cancelMsgId && !a.cancelMsgId.startsWith('staff:') && a.cancelMsgId !== request?.msgId) {
    history.push({ at: a.cancelledAt, what: 'cancelled by the citizen through Helsenorge', msgId: a.cancelMsgId });
  } else if (a.cancelledAt) history.push({ at: a.cancelledAt, what: 'cancelled', msgId: null });
  history.push({ at: a.updatedAt, what: `now ${a.status} (revision ${a.revision})`, msgId: null });
  history.sort((x, y) => (x.at ?? '').localeCompare(y.at ?? ''));
  return { appointment: viewOf(a), history };
}
