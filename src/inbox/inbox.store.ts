import type { SqlTx } from '../db/sql.js';
import { int, intOrNull } from '../db/sql.js';
import type { InboxRow } from './message.entities.js';

/**
 * The processed-message store (docs/decisions.md §20), in plain SQL. The key is the sender's
 * level-2 HER-id + MsgId; the row id is derived from it.
 */

/**
 * Claims the inbox key for a new message: one `INSERT … ON CONFLICT DO NOTHING RETURNING id`. True when
 * this transaction now owns the key; false when a row with this id or key exists (a duplicate, or a copy
 * that committed while we waited on its key). No look-up first, no unique-violation to catch.
 */
export async function claimInbox(tx: SqlTx, row: InboxRow): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO inbox_message (id, sender_her_id, msg_id, content_hash, receiver_her_id, process, function_code, outcome, transport, received_at, duplicate_count)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
    [row.id, row.senderHerId, row.msgId, row.contentHash, row.receiverHerId, row.process, row.functionCode, row.outcome.slice(0, 200), row.transport, row.receivedAt, row.duplicateCount],
  );
  return rows.length === 1;
}

/** The stored row of a message key, or null. */
export async function findInbox(tx: SqlTx, senderHerId: number, msgId: string): Promise<InboxRow | null> {
  const rows = await tx.query(
    `SELECT id, sender_her_id, msg_id, content_hash, receiver_her_id, process, function_code, outcome, transport, received_at, duplicate_count
     FROM inbox_message WHERE sender_her_id = ? AND msg_id = ?`,
    [senderHerId, msgId],
  );
  const r = rows[0];
  if (r === undefined) return null;
  return {
    id: String(r.id),
    senderHerId: int(r.sender_her_id),
    msgId: String(r.msg_id),
    contentHash: String(r.content_hash),
    receiverHerId: intOrNull(r.receiver_her_id),
    process: String(r.process),
    functionCode: r.function_code === null ? null : String(r.function_code),
    outcome: String(r.outcome),
    transport: String(r.transport),
    receivedAt: String(r.received_at),
    duplicateCount: int(r.duplicate_count),
  };
}

/** What was done with a claimed message (codes only). */
export async function setInboxOutcome(tx: SqlTx, id: string, outcome: string): Promise<void> {
  await tx.query('UPDATE inbox_message SET outcome = ? WHERE id = ?', [outcome.slice(0, 200), id]);
}

/** One more duplicate answered from the store. */
export async function countDuplicate(tx: SqlTx, id: string): Promise<void> {
  await tx.query('UPDATE inbox_message SET duplicate_count = duplicate_count + 1 WHERE id = ?', [id]);
}
