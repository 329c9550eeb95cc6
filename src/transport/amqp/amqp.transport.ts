/**
 * The RabbitMQ transport, assembled: one connection (re-opened after broker restarts), the consumer of
 * our `_sync` / `_async` queues and the watcher of our `_error` queues, and the outbox relay publishing
 * with confirms. Used by main.ts when AMQP_URL is set; docs/amqp.md describes the behaviour.
 */
import type { App } from '../../app.js';
import type { AmqpConfig, AmqpProtocol } from '../../config/config.js';
import { OutboxRelay } from '../../outbox/outbox.relay.js';
import { recordReceiverError } from '../../outbox/outbox.store.js';
import type { Party } from '../../registry/types.js';
import { AmqpConnection } from './connection.js';
import { parseBrokerUrl } from '../amqp10/address.js';
import { AmqpConsumer, type ConsumerStats, type InboundProcessor } from './amqp.consumer.js';
import { AmqpPublisher } from './amqp.publisher.js';
import { deadLetterQueueOf, queuesOf, type ConsumedQueue } from './topology.js';

export interface AmqpTransportOptions {
  app: Pick<App, 'db' | 'pipeline' | 'encoder' | 'registry' | 'clock' | 'logger'>;
  url: string;
  settings: AmqpConfig;
  /** HER-ids whose queues are consumed (settings.herIds, else all of ours). */
  herIds: number[];
  /** How often the outbox is drained besides after each message (default 2 s). */
  relayIntervalMs?: number;
  /** Replaces app.pipeline (tests inject faults through it). */
  pipeline?: InboundProcessor;
  /** Name of the connection in the broker's list. */
  connectionName?: string;
  /** Backoff while a dependency is away (consumer hold). */
  holdMinMs?: number;
  holdMaxMs?: number;
}

/** A running broker transport, whichever protocol carries it (this file: 0-9-1; ../amqp10: 1.0). */
export interface AmqpTransport {
  protocol: AmqpProtocol;
  queues: ConsumedQueue[];
  relay: OutboxRelay;
  stats: ConsumerStats;
  /** The process's one broker connection: `connects` counts (re)connects. */
  connection: { readonly connects: number };
  /** True while the broker connection is up (health). */
  connected(): boolean;
  /**
   * Messages waiting in our queues' dead-letter queues (`<queue>.dead-letter`); null when not known (no
   * connection, or AMQP 1.0, which has no way to ask a queue's depth).
   */
  deadLetters(): Promise<number | null>;
  /** Finishes the messages in hand, sends what the outbox holds, and closes the connection. */
  stop(): Promise<void>;
}

/**
 * Connects over AMQP 0.9.1, checks that our queues exist (declaring nothing: `timebok amqp declare` does
 * that on a local broker) and starts consuming; resolves once the first connection is up (it keeps
 * trying while the broker cannot be reached).
 *
 * @throws MissingQueueError naming a queue we must read that the broker does not have.
 */
export async function startAmqpTransport(options: AmqpTransportOptions): Promise<AmqpTransport> {
  const { app, settings } = options;
  const { logger } = app;
  const parties = new Map<number, Party | null>();
  for (const herId of options.herIds) parties.set(herId, await app.registry.getParty(herId));
  const queues = queuesOf(options.herIds, parties);

  const publisher = new AmqpPublisher({
    encoder: app.encoder,
    getParty: (herId) => app.registry.getParty(herId),
    clock: app.clock,
    logger,
    syncReplyTtlMs: settings.syncReplyTtlMs,
    exchange: parseBrokerUrl(options.url).exchange,
  });
  const relay = new OutboxRelay(app.db, publisher, app.clock, logger);
  const drain = () => {
    relay.drain().catch((err: unknown) => logger.warn({ err: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }, 'outbox drain failed'));
  };
  const consumer = new AmqpConsumer(
    options.pipeline ?? app.pipeline,
    {
      queues,
      prefetch: settings.prefetch,
      deliveryLimit: settings.deliveryLimit,
      recordErrorReport: (report) =>
        report.originalMessageId
          ? recordReceiverError(
              app.db,
              report.originalMessageId,
              `error queue: ${report.errorCondition ?? '?'}${report.errorDescription ? ` (${report.errorDescription})` : ''}`,
            )
          : Promise.resolve(false),
      afterEach: drain,
      ...(options.holdMinMs !== undefined ? { holdMinMs: options.holdMinMs } : {}),
      ...(options.holdMaxMs !== undefined ? { holdMaxMs: options.holdMaxMs } : {}),
    },
    logger,
  );
  const connection = new AmqpConnection({
    url: options.url,
    reconnectMaxMs: settings.reconnectMaxMs,
    logger,
    name: options.connectionName ?? `timebok ${process.pid}`,
  });
  // Publisher first: a consumed message's answer can go out as soon as consuming starts.
  connection.onConnect(async (conn) => {
    await publisher.attach(conn);
    await consumer.attach(conn);
    drain();
  });
  await connection.start();
  logger.info({ queues: queues.map((q) => q.name), prefetch: settings.prefetch, deliveryLimit: settings.deliveryLimit }, 'consuming from RabbitMQ');

  const timer = setInterval(drain, options.relayIntervalMs ?? 2000);
  let stopped: Promise<void> | null = null;
  return {
    protocol: '0-9-1',
    queues,
    relay,
    stats: consumer.stats,
    connection,
    connected: () => connection.current !== null,
    async deadLetters() {
      const conn = connection.current;
      if (conn === null) return null;
      let total = 0;
      for (const q of queues) {
        const ch = await conn.createChannel();
        ch.on('error', () => undefined);
        try {
          total += (await ch.checkQueue(deadLetterQueueOf(q.name))).messageCount;
        } catch {
          // no dead-letter queue (yet): nothing dead-lettered there
        } finally {
          await ch.close().catch(() => undefined);
        }
      }
      return total;
    },
    stop() {
      stopped ??= (async () => {
        clearInterval(timer);
        await consumer.stop();
        await relay.drain().catch(() => 0);
        await relay.release().catch(() => undefined);
        await publisher.close();
        await connection.close();
      })();
      return stopped;
    },
  };
}
