/**
 * Composition root of the Timebok service (`npm start`): configuration → database → setup import →
 * pipeline → transport → outbox relay; stops cleanly on SIGINT/SIGTERM after the messages in hand.
 *
 * Transport: the message bus when AMQP_URL is set, over AMQP 1.0 (AMQP_PROTOCOL=1.0, the default) or
 * 0.9.1 (docs/amqp.md; CMS protection is then mandatory), else the spool folders of the embedded default.
 */
import { existsSync } from 'node:fs';
import { loadConfig, type Config } from './config/config.js';
import { createApp, type App, type SetupSummary } from './app.js';
import { DEFAULT_GROUP_COMMIT } from './db/database.js';
import { OutboxRelay } from './outbox/outbox.relay.js';
import { SpoolConsumer } from './transport/spool/spool.consumer.js';
import { lockSpool } from './transport/spool/spool.lock.js';
import { SpoolPublisher } from './transport/spool/spool.publisher.js';
import { startBrokerTransport } from './transport/broker.js';
import { systemClock } from './shared/clock.js';
import { createLogger, type Logger } from './shared/logger.js';
import { TimebokError, isTimebokError } from './shared/errors.js';
import { startAdmin } from './admin/runtime.js';
import { importSetupRespectingApi } from './admin/setup.js';
import { StaffService } from './staff/staff.service.js';

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
    groupCommit: { ...DEFAULT_GROUP_COMMIT, maxBatch: config.groupCommit },
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
  // Once timebooks were changed through the admin API the database holds them; the file sets up only.
  const setup = await importSetupRespectingApi(app, config.registryFile, config.timebooksFile, config.ourHerIds, { skipUnchanged: true });
  logger.info({ parties: setup.parties, timebooks: setup.timebooks, timebooksFromFile: setup.timebooksFromFile, ours: setup.ourHerIds, database: app.db.dialect, unchanged: setup.skipped === true }, setup.skipped ? 'setup files unchanged since the last import' : 'setup imported');

  const transport: RunningTransport = config.amqpUrl ? await runAmqp(config, config.amqpUrl, app, setup, logger) : await runSpool(config, app, setup, logger);
  // Admin API, staff page, health and metrics (docs/admin.md), when ADMIN_PORT is set.
  const admin =
    config.admin.port === null
      ? null
      : await startAdmin({
          settings: { ...config.admin, port: config.admin.port },
          db: app.db,
          clock: systemClock,
          logger,
          staff: new StaffService({ db: app.db, registry: app.registry, clock: systemClock, helsenorgeHerId: config.helsenorgeHerId, acceptSyntheticIds: config.acceptSyntheticIds, schemas: app.schemas, logger }),
          pipeline: app.pipeline,
          protection: config.protection,
          registryFile: config.registryFile,
          spoolDir: config.amqpUrl ? null : config.spoolDir,
          relay: transport.relay,
          ...(transport.broker ? { broker: transport.broker } : {}),
          ...(transport.deadLetters ? { deadLetters: transport.deadLetters } : {}),
        });
  const stopTransport = async () => {
    await admin?.stop();
    await transport.stop();
    await admin?.flushTrail();
  };

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing the messages in hand');
    await stopTransport();
    const statements = app.db.counter.statements;
    const { groups, units, fallbacks } = app.db.grouped.stats;
    await app.close();
    logger.info({ statements, groupCommit: { transactions: groups, messages: units, fallbacks } }, 'stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/** The running transport as main needs it: the broker's state and dead letters only on AMQP. */
interface RunningTransport {
  stop(): Promise<void>;
  relay: OutboxRelay;
  broker?: () => Promise<boolean>;
  deadLetters?: () => Promise<number | null>;
}

async function runAmqp(
  config: Config,
  url: string,
  app: App,
  setup: SetupSummary,
  logger: Logger,
): Promise<Required<RunningTransport>> {
  const herIds = config.amqp.herIds.length > 0 ? config.amqp.herIds : setup.ourHerIds;
  const strangers = herIds.filter((h) => !setup.ourHerIds.includes(h));
  if (strangers.length > 0) logger.warn({ herIds: strangers }, 'AMQP_HER_IDS names HER-ids that are not ours; their messages will be refused (E21)');
  const transport = await startBrokerTransport({ app, url, settings: config.amqp, herIds });
  logger.info({ queues: transport.queues.map((q) => q.name), protocol: transport.protocol }, `Timebok is running on the message bus (AMQP ${transport.protocol})`);
  return {
    stop: () => transport.stop(),
    broker: async () => transport.connected(),
    deadLetters: () => transport.deadLetters(),
    relay: transport.relay,
  };
}

async function runSpool(config: Config, app: App, setup: SetupSummary, logger: Logger): Promise<RunningTransport> {
  const lock = await lockSpool(config.spoolDir);
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
  return {
    relay,
    async stop() {
      clearInterval(relayTimer);
      await consumer.stop();
      await relay.drain().catch(() => undefined);
      await lock.release();
    },
  };
}

main().catch((err: unknown) => {
  const reason = isTimebokError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
  process.stderr.write(`timebok: cannot start: ${reason}\n`);
  process.exit(1);
});
