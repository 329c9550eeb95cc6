/**
 * Composition root of the Timebok service (`npm start`): configuration → database → setup import →
 * pipeline → transport → outbox relay; stops cleanly on SIGINT/SIGTERM after the messages in hand.
 *
 * Transport: RabbitMQ when AMQP_URL is set (docs/amqp.md; CMS protection is then mandatory), else the
 * spool folders of the embedded default.
 */
import { existsSync } from 'node:fs';
import { loadConfig, type Config } from './config/config.js';
import { createApp, importSetup, type App, type SetupSummary } from './app.js';
import { OutboxRelay } from './outbox/outbox.relay.js';
import { SpoolConsumer } from './transport/spool/spool.consumer.js';
import { SpoolPublisher } from './transport/spool/spool.publisher.js';
import { startAmqpTransport } from './transport/amqp/amqp.transport.js';
import { systemClock } from './shared/clock.js';
import { createLogger, type Logger } from './shared/logger.js';
import { TimebokError, isTimebokError } from './shared/errors.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  if (config.amqpUrl && !config.protection) {
    throw new TimebokError(
      'ERR_CONFIG',
      'AMQP_URL is set but message protection is not: CMS signing and encryption are mandatory on the message bus (set SIGNING_KEY_FILE, DECRYPTION_KEY_FILE and TRUST_ANCHOR_FILES; see docs/protection.md)',
      { detail: { setting: 'SIGNING_KEY_FILE' } },
    );
  }
  const options = {
    databaseUrl: config.databaseUrl,
    clock: systemClock,
    logger,
    limits: config.limits,
    acceptSyntheticIds: config.acceptSyntheticIds,
    allowPlainXml: config.allowPlainXml,
    ourHerIds: config.ourHerIds,
    protection: config.protection,
  };
  // PostgreSQL may come up after us (boot order, a restart): wait for it rather than exit.
  let app: App;
  for (let attempt = 0; ; attempt++) {
    try {
      app = await createApp(options);
      break;
    } catch (err) {
      if (!(isTimebokError(err) && err.code === 'ERR_DEPENDENCY_UNAVAILABLE') || !/^postgres/.test(config.databaseUrl)) throw err;
      const waitMs = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5));
      logger.warn({ code: err.code, reason: err.message, retryInMs: waitMs }, 'database not reachable at start-up; retrying');
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
  for (const f of [config.registryFile, config.timebooksFile]) {
    if (!existsSync(f)) throw new Error(`setup file not found: ${f}`);
  }
  const setup = await importSetup(app, config.registryFile, config.timebooksFile, config.ourHerIds);
  logger.info({ parties: setup.parties, timebooks: setup.timebooks, ours: setup.ourHerIds, database: app.db.dialect }, 'setup imported');

  const stopTransport = config.amqpUrl ? await runAmqp(config, config.amqpUrl, app, setup, logger) : await runSpool(config, app, setup, logger);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing the messages in hand');
    await stopTransport();
    await app.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function runAmqp(config: Config, url: string, app: App, setup: SetupSummary, logger: Logger): Promise<() => Promise<void>> {
  const herIds = config.amqp.herIds.length > 0 ? config.amqp.herIds : setup.ourHerIds;
  const strangers = herIds.filter((h) => !setup.ourHerIds.includes(h));
  if (strangers.length > 0) logger.warn({ herIds: strangers }, 'AMQP_HER_IDS names HER-ids that are not ours; their messages will be refused (E21)');
  const transport = await startAmqpTransport({ app, url, settings: config.amqp, herIds });
  logger.info({ queues: transport.queues.map((q) => q.name) }, 'Timebok is running on RabbitMQ');
  return () => transport.stop();
}

async function runSpool(config: Config, app: App, setup: SetupSummary, logger: Logger): Promise<() => Promise<void>> {
  const relay = new OutboxRelay(app.db, new SpoolPublisher(config.spoolDir, app.encoder), systemClock, logger);
  const consumer = new SpoolConsumer(
    app.pipeline,
    { spoolDir: config.spoolDir, herIds: setup.ourHerIds, pollMs: config.spoolPollMs, settleMs: config.spoolSettleMs, maxBytes: config.limits.maxBytes, afterEach: () => relay.drain() },
    logger,
  );
  await relay.drain();
  await consumer.start();
  const relayTimer = setInterval(() => {
    relay.drain().catch((err: unknown) => logger.error({ err: err instanceof Error ? err.message : String(err) }, 'outbox drain failed'));
  }, 5000);
  logger.info({ spool: config.spoolDir, queues: consumer.queues() }, 'Timebok is running; drop MsgHead files into the queue folders');
  return async () => {
    clearInterval(relayTimer);
    await consumer.stop();
    await relay.drain().catch(() => undefined);
  };
}

main().catch((err: unknown) => {
  const reason = isTimebokError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
  process.stderr.write(`timebok: cannot start: ${reason}\n`);
  process.exit(1);
});
