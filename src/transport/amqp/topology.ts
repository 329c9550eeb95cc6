/**
 * Queues Timebok consumes and what it asserts for each: a durable quorum queue with a delivery limit and
 * a dead-letter exchange, and a dead-letter queue of its own. Queues of counterparties are never
 * declared by us: a publish to a missing one comes back (`mandatory`) and stays in the outbox.
 */
import type { Channel } from 'amqplib';
import type { Party } from '../../registry/types.js';

/** The one dead-letter exchange (direct; routing key = the consumed queue's name). */
export const DEAD_LETTER_EXCHANGE = 'timebok.dead-letter';

/** Where a consumed queue's dead letters wait: `<queue>.dead-letter`. */
export function deadLetterQueueOf(queue: string): string {
  return `${queue}.dead-letter`;
}

export type QueueRole = 'sync' | 'async' | 'error';

export interface ConsumedQueue {
  name: string;
  role: QueueRole;
  herId: number;
}

/**
 * The queues of our HER-ids: the queues the registry holds for the party (inherited from its parent,
 * as in Adresseregisteret), else the `<herId>_sync` / `_async` / `_error` convention. Parties that share
 * their parent's queues share them here too (each queue appears once).
 */
export function queuesOf(herIds: number[], parties: Map<number, Party | null>): ConsumedQueue[] {
  const seen = new Set<string>();
  const out: ConsumedQueue[] = [];
  for (const herId of herIds) {
    const q = parties.get(herId)?.queues ?? null;
    const names: Record<QueueRole, string> = {
      sync: q?.sync ?? `${herId}_sync`,
      async: q?.async ?? `${herId}_async`,
      error: q?.error ?? `${herId}_error`,
    };
    for (const role of ['sync', 'async', 'error'] as const) {
      const name = names[role];
      if (seen.has(name)) continue;
      seen.add(name);
      out.push({ name, role, herId });
    }
  }
  return out;
}

/** Arguments of a consumed queue (a re-declaration with other arguments fails with 406 PRECONDITION_FAILED). */
export function consumedQueueArguments(queue: string, deliveryLimit: number): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    'x-delivery-limit': deliveryLimit,
    'x-dead-letter-exchange': DEAD_LETTER_EXCHANGE,
    'x-dead-letter-routing-key': queue,
    // at-least-once: the broker keeps a dead letter until the dead-letter queue confirmed it (needs reject-publish).
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
  };
}

/** Asserts the dead-letter exchange, and for every queue the queue and its dead-letter queue, bound. */
export async function assertTopology(ch: Channel, queues: string[], deliveryLimit: number): Promise<void> {
  await ch.assertExchange(DEAD_LETTER_EXCHANGE, 'direct', { durable: true });
  for (const queue of queues) {
    const dead = deadLetterQueueOf(queue);
    await ch.assertQueue(dead, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await ch.bindQueue(dead, DEAD_LETTER_EXCHANGE, queue);
    await ch.assertQueue(queue, { durable: true, arguments: consumedQueueArguments(queue, deliveryLimit) });
  }
}
