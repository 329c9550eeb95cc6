/**
 * The bus's topology. On NHN's bus the queues are NHN's: they exist once a party is activated in
 * Adresseregisteret, and Timebok declares nothing; at start-up it only checks that every queue it must
 * read exists (`checkQueues`, naming a missing one). `declareBusTopology` is what `timebok amqp declare`
 * sets up on a local RabbitMQ for development and tests, as NHN would: the exchange of AMQP_URL and, per
 * party, `_async`, `_sync`, `_error` and `_syncreply` as quorum queues with a delivery limit and a
 * dead-letter queue, each bound to the exchange by its own name.
 */
import type { Channel, ChannelModel } from 'amqplib';
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
export function queuesOf(herIds: number[], parties: Map<number, Pick<Party, 'queues'> | null>): ConsumedQueue[] {
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

/** The syncreply queue of a party: beside its async queue (`…_async` → `…_syncreply`), else `<herId>_syncreply`. */
export function syncReplyQueueOf(herId: number, party: Pick<Party, 'queues'> | null | undefined): string {
  const async = party?.queues?.async;
  return async && /_async$/.test(async) ? async.replace(/_async$/, '_syncreply') : `${herId}_syncreply`;
}

/** Every queue of the bus for these parties (what NHN creates on activation): _async, _sync, _error, _syncreply. */
export function busQueuesOf(herIds: number[], parties: Map<number, Pick<Party, 'queues'> | null>): string[] {
  const out = new Set<string>();
  for (const q of queuesOf(herIds, parties)) out.add(q.name);
  for (const herId of herIds) out.add(syncReplyQueueOf(herId, parties.get(herId)));
  return [...out];
}

export interface BusTopology {
  /** The exchange of AMQP_URL (direct, durable); null: only the default exchange. */
  exchange: string | null;
  queues: string[];
  deliveryLimit: number;
}

/**
 * Declares on a local broker what NHN's bus provides: the exchange, the dead-letter exchange, and for
 * every queue its dead-letter queue and the quorum queue itself, bound to the exchange by its own name.
 * Idempotent with the same arguments; an existing queue with other arguments fails with 406.
 */
export async function declareBusTopology(ch: Channel, t: BusTopology): Promise<void> {
  if (t.exchange !== null) await ch.assertExchange(t.exchange, 'direct', { durable: true });
  await ch.assertExchange(DEAD_LETTER_EXCHANGE, 'direct', { durable: true });
  for (const queue of t.queues) {
    const dead = deadLetterQueueOf(queue);
    await ch.assertQueue(dead, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await ch.bindQueue(dead, DEAD_LETTER_EXCHANGE, queue);
    await ch.assertQueue(queue, { durable: true, arguments: consumedQueueArguments(queue, t.deliveryLimit) });
    if (t.exchange !== null) await ch.bindQueue(queue, t.exchange, queue);
  }
}

/** A queue we must read is not on the broker. */
export class MissingQueueError extends Error {
  readonly code = 404;
  constructor(readonly queue: string) {
    super(`queue ${queue} does not exist on the broker (it is the bus's to create; for a local broker run \`timebok amqp declare\`)`);
    this.name = 'MissingQueueError';
  }
}

/** Checks (passively, declaring nothing) that every queue exists; throws MissingQueueError naming the first missing one. */
export async function checkQueues(conn: ChannelModel, queues: string[]): Promise<void> {
  for (const queue of queues) {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    try {
      await ch.checkQueue(queue);
    } catch (err) {
      if ((err as { code?: unknown }).code === 404) throw new MissingQueueError(queue);
      throw err;
    }
    await ch.close().catch(() => undefined);
  }
}
