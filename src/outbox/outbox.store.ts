import { IsNull, type EntityManager } from 'typeorm';
import { OutboxEntity, type OutboxRow } from '../inbox/message.entities.js';

export type NewOutboxRow = Omit<OutboxRow, 'sentAt' | 'attempts' | 'lastError'>;

/** Writes outbox rows in the caller's transaction (the same one as the booking and the inbox row). */
export async function addOutbox(em: EntityManager, rows: NewOutboxRow[]): Promise<void> {
  if (rows.length === 0) return;
  await em.getRepository(OutboxEntity).insert(rows.map((r) => ({ ...r, sentAt: null, attempts: 0, lastError: null })));
}

/** The stored outbound messages of one inbound message, in their original order. */
export async function outboxOf(em: EntityManager, inboxId: string): Promise<OutboxRow[]> {
  return em.getRepository(OutboxEntity).find({ where: { inboxId }, order: { seq: 'ASC' } });
}

/** Marks rows unsent again so the relay re-sends them byte for byte (duplicate inbound message). */
export async function requeueOutbox(em: EntityManager, ids: string[]): Promise<void> {
  const repo = em.getRepository(OutboxEntity);
  for (const id of ids) await repo.update({ id }, { sentAt: null });
}

export async function unsentOutbox(em: EntityManager, limit: number): Promise<OutboxRow[]> {
  return em.getRepository(OutboxEntity).find({
    where: { sentAt: IsNull() },
    order: { createdAt: 'ASC', seq: 'ASC' },
    take: limit,
  });
}

export async function markSent(em: EntityManager, id: string, at: Date): Promise<void> {
  await em.getRepository(OutboxEntity).update({ id }, { sentAt: at.toISOString() });
}

export async function markFailed(em: EntityManager, row: OutboxRow, error: string): Promise<void> {
  await em
    .getRepository(OutboxEntity)
    .update({ id: row.id }, { attempts: row.attempts + 1, lastError: error.slice(0, 500) });
}
