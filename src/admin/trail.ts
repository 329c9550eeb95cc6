import { In, type EntityManager } from 'typeorm';
import type { Database } from '../db/database.js';
import { InboxEntity, OutboxEntity, type InboxRow, type OutboxRow } from '../inbox/message.entities.js';
import { CitizenRequestEntity } from '../timebook/request.entities.js';
import { AppointmentEntity } from '../timebook/timebook.entities.js';
import { TrailEntity, type TrailRow } from './admin.entities.js';
import { TrailWriter } from './trail-writer.js';

/** One step of a message's trail as the API shows it: ids, codes and times only. */
export interface TrailStep {
  at: string | null;
  stage:
    | 'received'
    | 'processed'
    | 'validated'
    | 'registry'
    | 'decision'
    | 'stored-for-staff'
    | 'staff-answer'
    | 'booking'
    | 'outgoing'
    | 'sent'
    | 'apprec'
    | 'error-queue'
    | 'failed';
  summary: string;
  ids: Record<string, string | number | null>;
}

export interface MessageTrail {
  msgId: string;
  direction: 'in' | 'out' | 'unknown';
  steps: TrailStep[];
}

export interface MessageSummary {
  direction: 'in' | 'out';
  id: string;
  msgId: string;
  at: string;
  herId: number | null;
  otherHerId: number | null;
  process: string | null;
  functionCode: string | null;
  outcome: string;
  sentAt?: string | null;
}

export interface MessageQuery {
  msgId?: string;
  herId?: number;
  process?: string;
  functionCode?: string;
  outcome?: string;
  from?: string;
  to?: string;
  limit?: number;
}

/**
 * Message search over the inbox (inbound) and outbox (outbound) tables, newest first. `outcome` matches
 * a part of the outcome text (`T02`, `reply 05`, `rejected`); `herId` matches sender or receiver.
 */
export async function searchMessages(db: Database, q: MessageQuery): Promise<MessageSummary[]> {
  const limit = Math.min(q.limit ?? 50, 500);
  const em = db.manager;
  const inQ = em.getRepository(InboxEntity).createQueryBuilder('i');
  if (q.msgId) inQ.andWhere('i.msgId = :m', { m: q.msgId });
  if (q.herId !== undefined) inQ.andWhere('(i.senderHerId = :h OR i.receiverHerId = :h)', { h: q.herId });
  if (q.process) inQ.andWhere('i.process = :p', { p: q.process });
  if (q.functionCode) inQ.andWhere('i.functionCode = :f', { f: q.functionCode });
  if (q.outcome) inQ.andWhere('i.outcome LIKE :o', { o: `%${q.outcome}%` });
  if (q.from) inQ.andWhere('i.receivedAt >= :from', { from: q.from });
  if (q.to) inQ.andWhere('i.receivedAt < :to', { to: q.to });
  const inbound = await inQ.orderBy('i.receivedAt', 'DESC').take(limit).getMany();

  const outQ = em.getRepository(OutboxEntity).createQueryBuilder('o');
  if (q.msgId) outQ.andWhere('o.id = :m', { m: q.msgId });
  if (q.herId !== undefined) outQ.andWhere('(o.toHerId = :h OR o.fromHerId = :h)', { h: q.herId });
  if (q.process) outQ.andWhere('o.process = :p', { p: q.process });
  if (q.functionCode) outQ.andWhere('o.summary LIKE :f', { f: `% ${q.functionCode}%` });
  if (q.outcome) outQ.andWhere('o.summary LIKE :o', { o: `%${q.outcome}%` });
  if (q.from) outQ.andWhere('o.createdAt >= :from', { from: q.from });
  if (q.to) outQ.andWhere('o.createdAt < :to', { to: q.to });
  const outbound = await outQ.select(['o.id', 'o.inboxId', 'o.kind', 'o.toHerId', 'o.fromHerId', 'o.process', 'o.summary', 'o.createdAt', 'o.sentAt', 'o.lastError']).orderBy('o.createdAt', 'DESC').take(limit).getMany();

  const rows: MessageSummary[] = [
    ...inbound.map((i) => ({ direction: 'in' as const, id: i.id, msgId: i.msgId, at: i.receivedAt, herId: Number(i.senderHerId), otherHerId: i.receiverHerId === null ? null : Number(i.receiverHerId), process: i.process, functionCode: i.functionCode, outcome: i.outcome })),
    ...outbound.map((o) => ({ direction: 'out' as const, id: o.id, msgId: o.id, at: o.createdAt, herId: o.fromHerId, otherHerId: o.toHerId, process: o.process, functionCode: o.summary.split(' ').slice(1).join(' ') || null, outcome: o.lastError ? `${o.summary}; receiver reported an error` : o.summary, sentAt: o.sentAt })),
  ];
  return rows.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, limit);
}

/**
 * The trail of one message (inbound MsgId, or the id of one of ours) from the stored tables: received,
 * the processing record (protection, signer), validation, the registry's answer, the decision, the booking
 * change, each outgoing message with when it was sent, the AppRec it got and the error-queue reports.
 * Outgoing rows whose bodies retention deleted are kept as trail rows and shown the same way.
 */
export async function messageTrail(db: Database, msgId: string): Promise<MessageTrail | null> {
  // Rows this process handed to the trail writer and has not written yet belong in the answer.
  await TrailWriter.existing(db)?.flush();
  const em = db.manager;
  const inbox = await em.getRepository(InboxEntity).find({ where: { msgId } });
  const inbound = inbox.filter((i) => i.process !== 'APPREC');
  if (inbound.length > 0 || inbox.length > 0) {
    const steps: TrailStep[] = [];
    for (const i of inbox) steps.push(...(await inboundSteps(em, i)));
    return { msgId, direction: 'in', steps: sortSteps(steps) };
  }
  const out = await em.getRepository(OutboxEntity).findOne({ where: { id: msgId } });
  const archived = out ? null : await em.getRepository(TrailEntity).findOne({ where: { outboxId: msgId, stage: 'outgoing' } });
  if (out || archived) {
    const steps: TrailStep[] = [];
    const inboxId = out ? out.inboxId : archived?.inboxId ?? null;
    if (inboxId) {
      const origin = await em.getRepository(InboxEntity).findOne({ where: { id: inboxId } });
      if (origin) steps.push({ at: origin.receivedAt, stage: 'received', summary: `in answer to ${origin.process} ${origin.functionCode ?? ''} ${origin.msgId}`.trim(), ids: { msgId: origin.msgId, fromHerId: Number(origin.senderHerId) } });
    }
    steps.push(...(out ? await outgoingSteps(em, [out]) : archivedSteps(archived ? [archived] : [])));
    return { msgId, direction: 'out', steps: sortSteps(steps) };
  }
  const processed = await em.getRepository(TrailEntity).find({ where: { msgId } });
  if (processed.length === 0) return null;
  return { msgId, direction: 'unknown', steps: sortSteps(processed.map(processedStep)) };
}

async function inboundSteps(em: EntityManager, i: InboxRow): Promise<TrailStep[]> {
  const steps: TrailStep[] = [];
  const ids = { msgId: i.msgId, inboxId: i.id, fromHerId: Number(i.senderHerId), toHerId: i.receiverHerId === null ? null : Number(i.receiverHerId) };
  steps.push({ at: i.receivedAt, stage: 'received', summary: `${i.process} ${i.functionCode ?? ''} over ${i.transport}${i.duplicateCount > 0 ? `; ${i.duplicateCount} duplicate(s) answered from the store` : ''}`.replace(/\s+/g, ' '), ids });
  const processed = await em.getRepository(TrailEntity).find({ where: { msgId: i.msgId, stage: In(['processed', 'failed']) }, order: { at: 'ASC' } });
  for (const p of processed) if (p.herId === null || Number(p.herId) === Number(i.senderHerId)) steps.push(processedStep(p));
  if (i.process === 'APPREC') {
    steps.push({ at: i.receivedAt, stage: 'apprec', summary: i.outcome, ids });
    return steps;
  }
  const refused = /refused .*\(?([A-Z]\d{2})\)?$/.exec(i.outcome) ?? /apprec 2 ([A-Z]\d{2})/.exec(i.outcome);
  const code = refused?.[1] ?? null;
  if (code === 'T02') steps.push({ at: i.receivedAt, stage: 'validated', summary: 'schema-invalid (T02)', ids: { code } });
  else steps.push({ at: i.receivedAt, stage: 'validated', summary: 'schema-valid', ids: {} });
  if (code === 'E21' || code === 'T10') steps.push({ at: i.receivedAt, stage: 'registry', summary: code === 'T10' ? 'process not activated on the receiver (T10)' : 'receiver unknown, inactive or not ours (E21)', ids: { code } });
  else if (code !== 'T02' && code !== 'E10') steps.push({ at: i.receivedAt, stage: 'registry', summary: 'sender and receiver active in the registry', ids: {} });
  steps.push({ at: i.receivedAt, stage: 'decision', summary: i.outcome, ids: {} });

  const appts = await em.getRepository(AppointmentEntity).find({ where: [{ sourceMsgId: i.msgId }, { cancelMsgId: i.msgId }] });
  for (const a of appts) {
    const cancelled = a.cancelMsgId === i.msgId;
    steps.push({ at: cancelled ? a.cancelledAt : a.createdAt, stage: 'booking', summary: cancelled ? `appointment ${a.id} cancelled` : `appointment ${a.id} on ${a.slotId} (now ${a.status})`, ids: { appointmentId: a.id, slotId: a.slotId, bookId: a.timebookId } });
  }
  const requests = await em.getRepository(CitizenRequestEntity).find({ where: { inboxId: i.id } });
  const staffAnswers: string[] = [];
  for (const r of requests) {
    steps.push({ at: r.receivedAt, stage: 'stored-for-staff', summary: `${r.kind === 'hold' ? 'held request' : `wish ${r.functionCode}`} ${r.id} (${r.status})`, ids: { requestId: r.id } });
    if (r.status === 'answered') {
      steps.push({ at: r.answeredAt, stage: 'staff-answer', summary: `answered ${r.answerCode ?? ''}`.trim(), ids: { requestId: r.id, answerMsgId: r.answerMsgId } });
      if (r.answerMsgId) staffAnswers.push(r.answerMsgId);
    }
  }
  const outs = await em.getRepository(OutboxEntity).find({ where: [{ inboxId: i.id }, ...(staffAnswers.length ? [{ id: In(staffAnswers) }] : [])], order: { createdAt: 'ASC', seq: 'ASC' } });
  steps.push(...(await outgoingSteps(em, outs)));
  const archived = await em.getRepository(TrailEntity).find({
    where: [{ inboxId: i.id, stage: 'outgoing' }, ...(staffAnswers.length ? [{ outboxId: In(staffAnswers), stage: 'outgoing' }] : [])],
    order: { at: 'ASC' },
  });
  steps.push(...archivedSteps(archived.filter((t) => !outs.some((o) => o.id === t.outboxId))));
  return steps;
}

async function outgoingSteps(em: EntityManager, outs: OutboxRow[]): Promise<TrailStep[]> {
  const steps: TrailStep[] = [];
  for (const o of outs) {
    const ids = { outboxId: o.id, toHerId: o.toHerId, queue: o.queue };
    steps.push({ at: o.createdAt, stage: 'outgoing', summary: `${o.summary} (${o.kind}) to ${o.toHerId ?? '?'}`, ids });
    steps.push(o.sentAt ? { at: o.sentAt, stage: 'sent', summary: `sent to ${o.queue}`, ids: { outboxId: o.id } } : { at: null, stage: 'sent', summary: `not sent yet (${o.attempts} attempt(s))`, ids: { outboxId: o.id } });
    if (o.lastError) steps.push({ at: null, stage: 'error-queue', summary: `${o.sentAt ? 'the receiver reported' : 'last send error'}: ${o.lastError}`, ids: { outboxId: o.id } });
    steps.push(...(await appRecsFor(em, o.id)));
  }
  return steps;
}

function archivedSteps(rows: TrailRow[]): TrailStep[] {
  const steps: TrailStep[] = [];
  for (const t of rows) {
    steps.push({ at: t.at, stage: 'outgoing', summary: `${t.outcome} (body deleted by retention)`, ids: { outboxId: t.outboxId, toHerId: t.herId } });
    const d = t.detail ?? {};
    if (typeof d.sentAt === 'string') steps.push({ at: d.sentAt, stage: 'sent', summary: 'sent', ids: { outboxId: t.outboxId } });
    if (typeof d.lastError === 'string') steps.push({ at: null, stage: 'error-queue', summary: d.lastError, ids: { outboxId: t.outboxId } });
  }
  return steps;
}

async function appRecsFor(em: EntityManager, outboxId: string): Promise<TrailStep[]> {
  const recs = await em
    .getRepository(InboxEntity)
    .createQueryBuilder('i')
    .where('i.process = :p', { p: 'APPREC' })
    .andWhere('i.outcome LIKE :o', { o: `% for ${outboxId}%` })
    .getMany();
  return recs.map((r) => ({ at: r.receivedAt, stage: 'apprec' as const, summary: r.outcome.replace(` for ${outboxId}`, ''), ids: { appRecMsgId: r.msgId, fromHerId: Number(r.senderHerId), outboxId } }));
}

function processedStep(p: TrailRow): TrailStep {
  const d = p.detail ?? {};
  const signer = d.signerHerId !== undefined && d.signerHerId !== null ? `, signed by HER-id ${String(d.signerHerId)} (verified)` : '';
  return {
    at: p.at,
    stage: p.stage === 'failed' ? 'failed' : 'processed',
    summary: `${p.outcome}; ${String(d.protection ?? 'plain') === 'cms' ? 'CMS unprotected' : 'plain XML'}${signer}${d.durationMs !== undefined ? `, ${String(d.durationMs)} ms` : ''}`,
    ids: { transport: (d.transport as string) ?? null, queue: (d.queue as string) ?? null, transportMessageId: (d.transportMessageId as string) ?? null },
  };
}

const ORDER: TrailStep['stage'][] = ['received', 'processed', 'failed', 'validated', 'registry', 'decision', 'booking', 'stored-for-staff', 'staff-answer', 'outgoing', 'sent', 'error-queue', 'apprec'];

function sortSteps(steps: TrailStep[]): TrailStep[] {
  // The logical order within one message; outgoing messages keep their own order after it.
  return steps.map((s, i) => ({ s, i })).sort((a, b) => {
    const oa = ORDER.indexOf(a.s.stage);
    const ob = ORDER.indexOf(b.s.stage);
    const outA = oa >= ORDER.indexOf('outgoing');
    const outB = ob >= ORDER.indexOf('outgoing');
    if (outA && outB) return a.i - b.i;
    if (outA !== outB) return outA ? 1 : -1;
    return oa - ob || a.i - b.i;
  }).map((x) => x.s);
}
