/**
 * `timebok amqp declare [--her-ids …]`: sets up on a local RabbitMQ what NHN's bus provides (for
 * development and tests; never against NHN's bus, where the queues are NHN's): the exchange named in
 * AMQP_URL and, for every party of the registry (or the HER-ids given), its `_async`, `_sync`, `_error`
 * and `_syncreply` queues as quorum queues with a delivery limit and a dead-letter queue, each bound to
 * the exchange by its own name. Declares over AMQP 0.9.1 (AMQP 1.0 has no declarations); idempotent.
 */
import amqp from 'amqplib';
import { loadRegistryFile } from '../registry/registry.file.js';
import type { PartyQueues, RegistryRecord } from '../registry/types.js';
import { brokerUrlWithoutExchange, parseBrokerUrl } from '../transport/amqp10/address.js';
import { busQueuesOf, declareBusTopology } from '../transport/amqp/topology.js';

export interface AmqpDeclareOptions {
  url: string;
  /** Registry whose parties get queues (their own, inherited from the parent, else `<herId>_…`). */
  registryFile?: string;
  /** Only these HER-ids (default: every party of the registry that has queues of its own or no parent). */
  herIds?: number[];
  deliveryLimit: number;
}

/** The queues a party reads: its own, else its parent's (as Adresseregisteret inherits), else none. */
function queuesByInheritance(herId: number, records: Map<number, RegistryRecord>): PartyQueues | null {
  let r = records.get(herId);
  for (let depth = 0; r && depth < 10; depth++) {
    if (r.queues) return r.queues;
    r = r.parentHerId === null ? undefined : records.get(r.parentHerId);
  }
  return null;
}

/** The queue names to declare (pure, for the tests and the dry list). */
export function queuesToDeclare(records: RegistryRecord[], herIds?: number[]): string[] {
  const byId = new Map(records.map((r) => [r.herId, r]));
  const ids = herIds ?? records.filter((r) => r.queues !== null || r.parentHerId === null).map((r) => r.herId);
  const parties = new Map(ids.map((h) => [h, { queues: queuesByInheritance(h, byId) }]));
  return busQueuesOf(ids, parties);
}

/** Declares the topology; returns the exchange and the queues declared. */
export async function runAmqpDeclare(options: AmqpDeclareOptions, print: (line: string) => void = () => undefined): Promise<{ exchange: string | null; queues: string[] }> {
  const { exchange } = parseBrokerUrl(options.url);
  const records = options.registryFile ? (await loadRegistryFile(options.registryFile)).parties : [];
  if (!options.registryFile && !options.herIds) throw new Error('give --her-ids or a registry (REGISTRY_FILE)');
  const queues = queuesToDeclare(records, options.herIds);
  const conn = await amqp.connect(brokerUrlWithoutExchange(options.url));
  conn.on('error', () => undefined);
  try {
    const ch = await conn.createChannel();
    await declareBusTopology(ch, { exchange, queues, deliveryLimit: options.deliveryLimit });
    await ch.close();
  } finally {
    await conn.close().catch(() => undefined);
  }
  print(`exchange ${exchange ?? '(default)'}: ${queues.length} queues declared (quorum, delivery limit ${options.deliveryLimit}, dead-letter queue each)`);
  for (const q of queues) print(`  ${q}`);
  return { exchange, queues };
}
