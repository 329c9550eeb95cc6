import { In, IsNull, type EntityManager } from 'typeorm';
import type { Database } from '../db/database.js';
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

// ---- Claims: several relays (processes) on one outbox -------------------------------------------------
//
// A relay sends only rows it holds an unexpired claim on. Claims are taken per conversation group (all
// unsent rows of one inbound message, `COALESCE(inbox_id, id)`) by one conditional UPDATE, so two
// relays never hold the same row at once; the database decides (PostgreSQL re-checks the WHERE on rows
// another transaction just claimed; SQLite serialises writers). A relay that dies leaves claims that
// expire after the lease. The columns are not in the entity; this SQL is their only user.

/** `?` placeholders → `$1, $2 …` on PostgreSQL. */
function sql(db: Database, text: string): string {
  if (db.dialect !== 'postgres') return text;
  let i = 0;
  return text.replace(/\?/g, () => `$${++i}`);
}

const GROUP = 'COALESCE(inbox_id, id)';
const CLAIMABLE = 'sent_at IS NULL AND (claimed_until IS NULL OR claimed_until < ?)';

export interface ClaimOptions {
  /** This relay's id (unique per process). */
  owner: string;
  now: Date;
  leaseMs: number;
  /** Conversation groups to claim at most. */
  groups: number;
}

/**
 * Claims up to `groups` unclaimed conversation groups (oldest first) and returns every unsent row this
 * relay now holds, in send order (created_at, seq), minus rows that must wait for an earlier row of
 * their group that someone else holds or that is backing off (per-conversation order is kept).
 */
export async function claimUnsent(db: Database, o: ClaimOptions): Promise<OutboxRow[]> {
  const now = o.now.toISOString();
  const until = new Date(o.now.getTime() + o.leaseMs).toISOString();
  await db.transaction((em) =>
    em.query(
      sql(
        db,
        `UPDATE outbox_message SET claimed_by = ?, claimed_until = ?
         WHERE ${CLAIMABLE} AND ${GROUP} IN (
           SELECT g FROM (
             SELECT ${GROUP} AS g, MIN(created_at) AS first_at FROM outbox_message
             WHERE ${CLAIMABLE} GROUP BY ${GROUP} ORDER BY first_at LIMIT ?
           ) pick
         )`,
      ),
      [o.owner, until, now, now, o.groups],
    ),
  );
  const mine = (await db.manager.query(
    sql(db, 'SELECT id FROM outbox_message WHERE claimed_by = ? AND sent_at IS NULL AND claimed_until >= ?'),
    [o.owner, now],
  )) as Array<{ id: string }>;
  if (mine.length === 0) return [];
  const rows = await db.manager.getRepository(OutboxEntity).find({
    where: { id: In(mine.map((r) => r.id)) },
    order: { createdAt: 'ASC', seq: 'ASC' },
  });
  const groups = [...new Set(rows.map((r) => r.inboxId ?? r.id))];
  const placeholders = groups.map(() => '?').join(', ');
  const blockers = (await db.manager.query(
    sql(
      db,
      `SELECT ${GROUP} AS g, MIN(seq) AS s FROM outbox_message
       WHERE sent_at IS NULL AND (claimed_by IS NULL OR claimed_by <> ?) AND ${GROUP} IN (${placeholders})
       GROUP BY ${GROUP}`,
    ),
    [o.owner, ...groups],
  )) as Array<{ g: string; s: number | string }>;
  if (blockers.length === 0) return rows;
  const firstForeign = new Map(blockers.map((b) => [b.g, Number(b.s)]));
  return rows.filter((r) => {
    const limit = firstForeign.get(r.inboxId ?? r.id);
    return limit === undefined || r.seq < limit;
  });
}

/** Marks a row sent and drops its claim. */
export async function markSentClaimed(db: Database, id: string, at: Date): Promise<void> {
  await db.transaction((em) =>
    em.query(sql(db, 'UPDATE outbox_message SET sent_at = ?, claimed_by = NULL, claimed_until = NULL WHERE id = ?'), [at.toISOString(), id]),
  );
}

/** Marks several rows sent and drops their claims, in one transaction. */
export async function markManySentClaimed(db: Database, ids: string[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await db.transaction(async (em) => {
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      await em.query(
        sql(db, `UPDATE outbox_message SET sent_at = ?, claimed_by = NULL, claimed_until = NULL WHERE id IN (${chunk.map(() => '?').join(', ')})`),
        [at.toISOString(), ...chunk],
      );
    }
  });
}

/**
 * A publish failed: the row keeps its place (unsent, attempts + 1, last error) and, with the rest of
 * its group that this relay holds, is not tried again before `retryAt` (the claim is handed to a
 * pseudo-owner `backoff` until then, so no relay sends a later row of the conversation first).
 */
export async function markFailedClaimed(db: Database, row: OutboxRow, owner: string, error: string, retryAt: Date): Promise<void> {
  const until = retryAt.toISOString();
  await db.transaction(async (em) => {
    await em.query(
      sql(db, "UPDATE outbox_message SET attempts = attempts + 1, last_error = ?, claimed_by = 'backoff', claimed_until = ? WHERE id = ?"),
      [error.slice(0, 500), until, row.id],
    );
    await em.query(
      sql(db, `UPDATE outbox_message SET claimed_by = 'backoff', claimed_until = ? WHERE claimed_by = ? AND sent_at IS NULL AND ${GROUP} = ?`),
      [until, owner, row.inboxId ?? row.id],
    );
  });
}

/** Gives back every claim of a relay that stops (its rows become claimable at once). */
export async function releaseClaims(db: Database, owner: string): Promise<void> {
  await db.transaction((em) =>
    em.query(sql(db, 'UPDATE outbox_message SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ? AND sent_at IS NULL'), [owner]),
  );
}

/**
 * An error-queue report another party sent about one of our messages (its `originalMessageId` is the
 * AMQP message-id we gave it, i.e. the outbox row id): recorded as the row's last error. Returns false
 * when no such row exists.
 */
export async function recordReceiverError(db: Database, originalMessageId: string, text: string): Promise<boolean> {
  return db.transaction(async (em) => {
    const repo = em.getRepository(OutboxEntity);
    const row = await repo.findOne({ where: { id: originalMessageId } });
    if (!row) return false;
    await repo.update({ id: originalMessageId }, { lastError: text.slice(0, 500) });
    return true;
  });
}
