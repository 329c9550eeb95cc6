import { createHash } from 'node:crypto';
import type { Database } from '../db/database.js';
import type { SqlTx } from '../db/sql.js';
import { parseAppRec } from '../envelope/apprec.parser.js';
import type { SchemaValidationResult } from '../envelope/types.js';
import type { ProcessOutcome } from '../pipeline/types.js';
import { requeueOutboxOf } from '../outbox/outbox.store.js';
import type { Clock } from '../shared/clock.js';
import { TimebokError } from '../shared/errors.js';
import { derivedId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import { claimInbox, countDuplicate, findInbox } from './inbox.store.js';

/**
 * The inbox stage: duplicates (docs/decisions.md §20) and inbound AppRecs. The key of a
 * message is its sender's level-2 HER-id + MsgId.
 */

/** SHA-256 of the bytes as received (after unprotection): the same key with other content is a conflict. */
export function contentHashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * A message whose inbox claim found its key taken, in the same transaction: the stored answer is marked
 * for sending again, byte for byte (`resent`, ids in their order), or the MsgId was used for other
 * content (`conflict`: the caller answers E10 as the error table says).
 */
export async function replayDuplicate(
  tx: SqlTx,
  key: { senderHerId: number; msgId: string; contentHash: string },
): Promise<{ resent: string[] } | { conflict: true }> {
  const existing = await findInbox(tx, key.senderHerId, key.msgId);
  if (existing === null) throw new TimebokError('ERR_INTERNAL', 'inbox key taken but no row found');
  if (existing.contentHash !== key.contentHash) return { conflict: true };
  const resent = await requeueOutboxOf(tx, existing.id);
  await countDuplicate(tx, existing.id);
  return { resent };
}

/** `8142520_async` → 8142520. */
export function herIdOfQueue(queue: string): number | null {
  const m = /^(\d+)_/.exec(queue);
  return m ? Number(m[1]) : null;
}

/**
 * An inbound AppRec: recorded in the inbox against our message (one claim; a copy counts as a
 * duplicate); a negative one is logged as a warning (codes and ids only).
 */
export async function recordAppRec(
  deps: { db: Database; clock: Clock; logger: Logger; validate: (xml: string) => SchemaValidationResult },
  delivery: { transport: string; queue: string; fromHerId?: number; toHerId?: number },
  text: string,
): Promise<ProcessOutcome> {
  const { db, clock, logger } = deps;
  const validation = deps.validate(text);
  const rec = parseAppRec(text);
  const senderHerId = delivery.fromHerId ?? rec.senderHerId;
  if (senderHerId === null || !rec.id) {
    throw new TimebokError('ERR_ENVELOPE_NOT_WELL_FORMED', 'AppRec without sender or id');
  }
  const inboxId = derivedId('inbox', `${senderHerId}:${rec.id}`);
  const outcome = `apprec ${rec.status ?? '?'}${rec.errors.length ? ` ${rec.errors.join(' ')}` : ''} for ${rec.originalMsgId ?? '?'}${validation.valid ? '' : ' (schema-invalid)'}`;
  if (rec.status !== '1') {
    logger.warn({ originalMsgId: rec.originalMsgId, status: rec.status, errors: rec.errors, fromHerId: senderHerId }, 'negative AppRec received');
  }
  const msgId = rec.id;
  // Group commit (docs/decisions.md §42): reads and writes through `tx` only, safe to run again alone.
  return db.runGrouped(async (tx) => {
    const claimed = await claimInbox(tx, {
      id: inboxId,
      senderHerId,
      msgId,
      contentHash: contentHashOf(text),
      receiverHerId: delivery.toHerId ?? herIdOfQueue(delivery.queue),
      process: 'APPREC',
      functionCode: rec.status,
      outcome: outcome.slice(0, 200),
      transport: delivery.transport,
      receivedAt: clock.now().toISOString(),
      duplicateCount: 0,
    });
    if (!claimed) {
      await countDuplicate(tx, inboxId);
      return { status: 'duplicate' as const, summary: `duplicate ${outcome}`, msgId, process: 'APPREC', outboxIds: [] };
    }
    return { status: 'recorded' as const, summary: outcome, msgId, process: 'APPREC', outboxIds: [] };
  });
}
