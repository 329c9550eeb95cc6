/**
 * The AMQP 1.0 transport, assembled (the production transport on NHN's bus): one connection (re-opened
 * after a broker restart or a lost link), receiver links on our `_sync` / `_async` / `_error` queues and
 * the outbox relay sending through sender links. Same options and result as the 0.9.1 transport
 * (../amqp/amqp.transport.ts), so main.ts and the tests pick one by AMQP_PROTOCOL. Timebok declares
 * nothing here: a queue we must read that does not exist stops start-up with its name.
 */
import { OutboxRelay } from '../../outbox/outbox.relay.js';
import { recordReceiverError } from '../../outbox/outbox.store.js';
import type { Party } from '../../registry/types.js';
import type { AmqpTransport, AmqpTransportOptions } from '../amqp/amqp.transport.js';
import { queuesOf } from '../amqp/topology.js';
import { Amqp10Connection } from './connection.js';
import { Amqp10Consumer } from './consumer.js';
import { Amqp10Publisher } from './publisher.js';

export async function startAmqp10Transport(options: AmqpTransportOptions): Promise<AmqpTransport> {
  const { app, settings } = options;
  const { logger } = app;
  const parties = new Map<number, Party | null>();
  for (const herId of options.herIds) parties.set(herId, await app.registry.getParty(herId));
  const queues = queuesOf(options.herIds, parties);

  const connection = new Amqp10Connection({
    url: options.url,
    tls: settings.tls,
    reconnectMaxMs: settings.reconnectMaxMs,
    logger,
    name: options.connectionName ?? `timebok ${process.pid}`,
  });
  const linkLost = (conn: Parameters<Amqp10Connection['fail']>[0], reason: string) => connection.fail(conn, reason);
  const publisher = new Amqp10Publisher({
    encoder: app.encoder,
    getParty: (herId) => app.registry.getParty(herId),
    clock: app.clock,
    logger,
    syncReplyTtlMs: settings.syncReplyTtlMs,
    exchange: connection.exchange,
  });
  const relay = new OutboxRelay(app.db, publisher, app.clock, logger);
  const drain = () => {
    relay.drain().catch((err: unknown) => logger.warn({ err: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }, 'outbox drain failed'));
  };
  const consumer = new Amqp10Consumer(
    options.pipeline ?? app.pipeline,
    {
      queues,
      prefetch: settings.prefetch,
      deliveryLimit: settings.deliveryLimit,
      recordErrorReport: (report) =>
        report.originalMessageId
          ? recordReceiverError(app.db, report.originalMessageId, `error queue: ${report.errorCondition ?? '?'}${report.errorDescription ? ` (${report.errorDescription})` : ''}`)
          : Promise.resolve(false),
      afterEach: drain,
      onLinkLost: linkLost,
      ...(options.holdMinMs !== undefined ? { holdMinMs: options.holdMinMs } : {}),
      ...(options.holdMaxMs !== undefined ? { holdMaxMs: options.holdMaxMs } : {}),
    },
    logger,
  );
  connection.onConnect(async (conn) => {
    await publisher.attach(conn);
    await consumer.attach(conn);
    drain();
  });
  await connection.start();
  logger.info({ queues: queues.map((q) => q.name), prefetch: settings.prefetch, protocol: '1.0' }, 'consuming over AMQP 1.0');

  const timer = setInterval(drain, options.relayIntervalMs ?? 2000);
  let stopped: Promise<void> | null = null;
  return {
    protocol: '1.0',
    queues,
    relay,
    stats: consumer.stats,
    connection,
    connected: () => connection.current !== null,
    // AMQP 1.0 cannot ask a queue's depth; on NHN's bus the dead-letter queues are NHN's to watch.
    deadLetters: () => Promise.resolve(null),
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
