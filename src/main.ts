/**
 * Composition root of the Timebok service (`npm start`): configuration → database → setup import →
 * pipeline → transport (spool folders on the embedded default) → outbox relay; stops cleanly on
 * SIGINT/SIGTERM after the message in hand.
 */
import { existsSync } from 'node:fs';
import { loadConfig } from './config/config.js';
import { createApp, importSetup } from './app.js';
import { OutboxRelay } from './outbox/outbox.relay.js';
import { SpoolConsumer } from './transport/spool/spool.consumer.js';
import { SpoolPublisher } from './transport/spool/spool.publisher.js';
import { systemClock } from './shared/clock.js';
import { createLogger } from './shared/logger.js';
import { isTimebokError } from './shared/errors.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  if (config.amqpUrl) {
    logger.warn('AMQP_URL is set, but the RabbitMQ transport is not built yet; running on the spool folders');
  }
  const app = await createApp({
    databaseUrl: config.databaseUrl,
    clock: systemClock,
    logger,
    limits: config.limits,
    acceptSyntheticIds: config.acceptSyntheticIds,
    allowPlainXml: config.allowPlainXml,
    ourHerIds: config.ourHerIds,
  });
  for (const f of [config.registryFile, config.timebooksFile]) {
    if (!existsSync(f)) throw new Error(`setup file not found: ${f}`);
  }
  const setup = await importSetup(app, config.registryFile, config.timebooksFile, config.ourHerIds);
  logger.info({ parties: setup.parties, timebooks: setup.timebooks, ours: setup.ourHerIds, database: app.db.dialect }, 'setup imported');

  const relay = new OutboxRelay(app.db, new SpoolPublisher(config.spoolDir), systemClock, logger);
  const consumer = new SpoolConsumer(
    app.pipeline,
    { spoolDir: config.spoolDir, herIds: setup.ourHerIds, pollMs: config.spoolPollMs, maxBytes: config.limits.maxBytes, afterEach: () => relay.drain() },
    logger,
  );
  await relay.drain();
  await consumer.start();
  const relayTimer = setInterval(() => {
    relay.drain().catch((err: unknown) => logger.error({ err: err instanceof Error ? err.message : String(err) }, 'outbox drain failed'));
  }, 5000);
  logger.info({ spool: config.spoolDir, queues: consumer.queues() }, 'Timebok is running; drop MsgHead files into the queue folders');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing the message in hand');
    clearInterval(relayTimer);
    await consumer.stop();
    await relay.drain().catch(() => undefined);
    await app.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  const reason = isTimebokError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
  process.stderr.write(`timebok: cannot start: ${reason}\n`);
  process.exit(1);
});
