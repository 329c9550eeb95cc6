import type { Database } from '../db/database.js';
import { int, intOrNull, json, placeholders, type Row, type SqlTx } from '../db/sql.js';
import type { OutboxRow } from '../inbox/message.entities.js';

export type NewOutboxRow = Omit<OutboxRow, 'sentAt' | 'attempts' | 'lastError'>;

const COLUMNS = 'id, inbox_id, kind, queue, to_her_id, from_her_id, process, correlation_id, body, properties, summary, created_at, sent_at, attempts, last_error, seq';

function values(r: NewOutboxRow): unknown[] {
  return [r.id, r.inboxId, r.kind, r.queue, r.toHerId, r.fromHerId, r.process, r.correlationId, r.body, JSON.stringify(r.properties), r.summary, r.createdAt, null, 0, null, r.seq];
}

function insertText(n: number, tail = ''): string {
  const one = `(${placeholders(16)})`;
  return `INSERT INTO outbox_message (${COLUMNS}) VALUES ${Array.from({ length: n }, () => one).join(', ')}${tail}`;
}

/**
 * Writes outbox rows in the caller's transaction (the same one as the booking and the inbox row): ONE
 * multi-row INSERT, however many rows.
 */
export async function addOutbox(tx: SqlTx, rows: NewOutboxRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(insertText(rows.length), rows.flatMap(values));
}

/**
 * Writes rows that may have been written before (a report about the same delivery, an E10 answer to
 * the same conflict): new ones are inserted, existing ones are marked unsent again so the relay
 * re-sends them byte for byte. One statement.
 */
export async function addOrRequeueOutbox(tx: SqlTx, rows: NewOutboxRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(insertText(rows.length, ' ON CONFLICT (id) DO UPDATE SET sent_at = NULL'), rows.flatMap(values));
}

/** Inserts rows that are not there yet; existing ones stay as they are (sent or not). One statement. */
export async function addOutboxIfAbsent(tx: SqlTx, rows: NewOutboxRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(insertText(rows.length, ' ON CONFLICT (id) DO NOTHING'), rows.flatMap(values));
}

/**
 * Marks the stored outbound messages of one inbound message unsent again (a duplicate inbound message)
 * and returns their ids in their original order. One statement.
 */
export async function requeueOutboxOf(tx: SqlTx, inboxId: string): Promise<string[]> {
  const rows = await tx.query<{ id: string; seq: unknown }>('UPDATE outbox_message SET sent_at = NULL WHERE inbox_id = ? RETURNING id, seq', [inboxId]);
  return rows.sort((a, b) => int(a.seq) - int(b.seq)).map((r) => r.id);
}

function outboxRow(r: Row): OutboxRow {
  return {
    id: String(r.id),
    inboxId: r.inbox_id === null ? null : String(r.inbox_id),
    kind: r.kind as OutboxRow['kind'],
    queue: String(r.queue),
    toHerId: intOrNull(r.to_her_id),
    fromHerId: intOrNull(r.from_her_id),
    process: r.process === null ? null : String(r.process),
    correlationId: r.correlation_id === null ? null : String(r.correlation_id),
    body: String(r.body),
    properties: json<Record<string, string>>(r.properties) ?? {},
    summary: String(r.summary),
    createdAt: String(r.created_at),
    sentAt: r.sent_at === null ? null : String(r.sent_at),
    attempts: int(r.attempts),
    lastError: r.last_error === null ? null : String(r.last_error),
    seq: int(r.seq),
  };
}

/** One row by id (tests, the admin), or null. */
export async function outboxRowById(db: Database, id: string): Promise<OutboxRow | null> {
  const rows = await db.query<Row>(`SELECT ${COLUMNS} FROM outbox_message WHERE id = ?`, [id]);
  return rows[0] === undefined ? null : outboxRow(rows[0]);
}

// ---- Claims: several relays (processes) on one outbox -------------------------------------------------
//
// A relay sends only rows it holds an unexpired claim on. Claims are taken per conversation group (all
// unsent rows of one inbound message, `COALESCE(inbox_id, id)`) by one conditional UPDATE, so two
// relays never hold the same row at once; the database decides (PostgreSQL re-checks the WHERE on rows
// another transaction just claimed; SQLite serialises writers). A relay that dies leaves claims that
// expire after the lease. The columns are not in the entity; this SQL is their only user.

const GROUP = 'COALESCE(inbox_id, id)';
const CLAIMABLE = 'sent_at IS NULL AND (claimed_until IS NULL OR claimed_until < ?)';

export interface ClaimOptions {
  /** This relay's id (unique per process). */
  owner: string;
  now: Date;
  leaseMs: number;
  /** Conversation groups to claim at most. */
  groups: number;
  /**
   * False when the relay knows it holds no unsent claimed rows from an earlier round: then an empty
   * claim ends the round with one statement.
   */
  mayHoldClaims?: boolean;
}

/**
 * Claims up to `groups` unclaimed conversation groups (oldest first) and returns every unsent row this
 * relay now holds, in send order (created_at, seq), minus rows that must wait for an earlier row of
 * their group that someone else holds or that is backing off (per-conversation order is kept).
 * One statement (the claim returns the rows and their blockers); two when rows of an earlier round wait.
 */
export async function claimUnsent(db: Database, o: ClaimOptions): Promise<OutboxRow[]> {
  return (await claimRound(db, o)).rows;
}

/** {@link claimUnsent}, also telling how many held rows wait for a row held elsewhere (still ours). */
export async function claimRound(db: Database, o: ClaimOptions): Promise<{ rows: OutboxRow[]; waiting: number; groups: number }> {
  const now = o.now.toISOString();
  const until = new Date(o.now.getTime() + o.leaseMs).toISOString();
  // For each claimed row, the lowest seq of its group that is unsent and held by someone else (another
  // relay's live claim, or a back-off): our rows from that seq on must wait. Rows this statement claims
  // are excluded whether the subquery sees them before (claimable: no live claim) or after the update
  // (ours), so it means the same on PostgreSQL and SQLite.
  const foreign = `(SELECT MIN(b.seq) FROM outbox_message b
       WHERE b.sent_at IS NULL AND b.claimed_until >= ? AND b.claimed_by <> ?
         AND (b.inbox_id = COALESCE(outbox_message.inbox_id, outbox_message.id)
              OR (b.inbox_id IS NULL AND b.id = COALESCE(outbox_message.inbox_id, outbox_message.id))))`;
  const picked = `${CLAIMABLE} AND ${GROUP} IN (
       SELECT g FROM (
         SELECT ${GROUP} AS g, MIN(created_at) AS first_at FROM outbox_message
         WHERE ${CLAIMABLE} GROUP BY ${GROUP} ORDER BY first_at LIMIT ?
       ) pick
     )`;
  // PostgreSQL: rows another statement holds are skipped, not waited for. A claim that waited could
  // deadlock with another relay's sent mark: a claim whose snapshot predates that relay's claim re-checks
  // (and so locks) a row it then finds taken, while the sent mark holds the next one (docs/decisions.md
  // §41). A skipped row is claimable again in the next round. SQLite has one writer: nothing to skip.
  const where = db.dialect === 'postgres' ? `id IN (SELECT id FROM outbox_message WHERE ${picked} FOR UPDATE SKIP LOCKED)` : picked;
  const claimed = await db.query<Row>(
    `UPDATE outbox_message SET claimed_by = ?, claimed_until = ?
     WHERE ${where} RETURNING ${COLUMNS}, ${foreign} AS foreign_seq`,
    [o.owner, until, now, now, o.groups, now, o.owner],
    { bookkeeping: true },
  );
  const groups = new Set(claimed.map((r) => String(r.inbox_id ?? r.id))).size;
  let rows = claimed;
  if (o.mayHoldClaims !== false) {
    // Rows claimed in an earlier round that waited: read everything this relay holds.
    rows = await db.query<Row>(
      `SELECT ${COLUMNS}, ${foreign.replace(/outbox_message\.(inbox_id|id)/g, 'o.$1')} AS foreign_seq
       FROM outbox_message o WHERE o.claimed_by = ? AND o.sent_at IS NULL AND o.claimed_until >= ?`,
      [now, o.owner, o.owner, now],
    );
  }
  rows.sort((a, b) => (String(a.created_at) < String(b.created_at) ? -1 : String(a.created_at) > String(b.created_at) ? 1 : int(a.seq) - int(b.seq)));
  const ready = rows.filter((r) => r.foreign_seq === null || int(r.seq) < int(r.foreign_seq)).map(outboxRow);
  return { rows: ready, waiting: rows.length - ready.length, groups };
}

/** Marks a row sent and drops its claim. */
export async function markSentClaimed(db: Database, id: string, at: Date): Promise<void> {
  await markManySentClaimed(db, [id], at);
}

/** Marks several rows sent and drops their claims: one statement per 500 rows. */
export async function markManySentClaimed(db: Database, ids: string[], at: Date): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    await db.query(
      `UPDATE outbox_message SET sent_at = ?, claimed_by = NULL, claimed_until = NULL WHERE id IN (${placeholders(chunk.length)})`,
      [at.toISOString(), ...chunk],
      { bookkeeping: true },
    );
  }
}

/**
 * A publish failed: the row keeps its place (unsent, attempts + 1, last error) and, with the rest of
 * its group that this relay holds, is not tried again before `retryAt` (the claim is handed to a
 * pseudo-owner `backoff` until then, so no relay sends a later row of the conversation first).
 */
export async function markFailedClaimed(db: Database, row: OutboxRow, owner: string, error: string, retryAt: Date): Promise<void> {
  const until = retryAt.toISOString();
  await db.run(async (tx) => {
    await tx.query("UPDATE outbox_message SET attempts = attempts + 1, last_error = ?, claimed_by = 'backoff', claimed_until = ? WHERE id = ?", [
      error.slice(0, 500),
      until,
      row.id,
    ]);
    await tx.query(`UPDATE outbox_message SET claimed_by = 'backoff', claimed_until = ? WHERE claimed_by = ? AND sent_at IS NULL AND ${GROUP} = ?`, [
      until,
      owner,
      row.inboxId ?? row.id,
    ]);
  });
}

/** Gives back every claim of a relay that stops (its rows become claimable at once). */
export async function releaseClaims(db: Database, owner: string): Promise<void> {
  await db.query('UPDATE outbox_message SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ? AND sent_at IS NULL', [owner]);
}

/**
 * An error-queue report another party sent about one of our messages (its `originalMessageId` is the
 * AMQP message-id we gave it, i.e. the outbox row id): recorded as the row's last error. Returns false
 * when no such row exists.
 */
export async function recordReceiverError(db: Database, originalMessageId: string, text: string): Promise<boolean> {
  const rows = await db.query('UPDATE outbox_message SET last_error = ? WHERE id = ? RETURNING id', [text.slice(0, 500), originalMessageId]);
  return rows.length === 1;
}

/**
 * The outbound rows of a processed message and the inbox row's outcome, in the message's transaction.
 * On PostgreSQL ONE statement (the outcome update rides on the insert as a data-modifying CTE); on
 * SQLite, which has no such CTE, two in-process statements.
 */
export async function addOutboxWithOutcome(tx: SqlTx, inbox: { id: string; outcome: string }, rows: NewOutboxRow[]): Promise<void> {
  const outcome = inbox.outcome.slice(0, 200);
  if (rows.length === 0 || tx.dialect !== 'postgres') {
    await tx.query('UPDATE inbox_message SET outcome = ? WHERE id = ?', [outcome, inbox.id]);
    await addOutbox(tx, rows);
    return;
  }
  await tx.query(`WITH done AS (UPDATE inbox_message SET outcome = ? WHERE id = ?) ${insertText(rows.length)}`, [outcome, inbox.id, ...rows.flatMap(values)]);
}
