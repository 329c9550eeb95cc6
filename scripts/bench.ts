/**
 * `npm run bench` — throughput figures and ratios, printed (and written as JSON with `--json FILE`).
 * Performance is shown here, never asserted by a timed test. Figures are medians of short rounds; the
 * machine is noisy, so read the ratios against the raw references measured in the same run.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createApp, importSetup } from '../src/app.js';
import { loadSchemaSet } from '../src/envelope/schema.validator.js';
import { parseMsgHead } from '../src/envelope/msghead.parser.js';
import { guardXml } from '../src/envelope/xml.guard.js';
import { DEFAULT_XML_LIMITS } from '../src/envelope/types.js';
import { runCryptoBench } from './support/crypto.bench.js';
import { FixedClock, systemClock } from '../src/shared/clock.js';
import { makeWorld, reserveXml, syntheticFnr } from './support/amqp-world.js';
import { runAmqpBench, runMassVaccination } from './bench-amqp.js';
import { OutboxRelay } from '../src/outbox/outbox.relay.js';
import type { App } from '../src/app.js';
import { execFileSync, spawn } from 'node:child_process';
import { silentLogger } from '../src/shared/logger.js';

const root = resolve(import.meta.dirname, '..');
const TR = join(root, 'fixtures/helsenorge-2019/DIALOG_INNBYGGER_TIMERESERVASJON/1.2');

function rate(fn: () => void, ms = 500): number {
  for (let i = 0; i < 50; i++) fn();
  const rounds: number[] = [];
  for (let r = 0; r < 3; r++) {
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < ms) {
      fn();
      n += 1;
    }
    rounds.push((n * 1000) / (performance.now() - start));
  }
  return rounds.sort((a, b) => a - b)[1] as number;
}

async function main(): Promise<void> {
  const jsonAt = process.argv.indexOf('--json');
  const jsonFile = jsonAt >= 0 ? process.argv[jsonAt + 1] : undefined;
  const figures: Record<string, number> = {};
  // --profile DIR: every Timebok child process writes a CPU profile there (summarise with
  // `npx tsx scripts/profile-summary.ts DIR/e2e/*.cpuprofile`)
  const profileAt = process.argv.indexOf('--profile');
  const profileDir = profileAt >= 0 ? resolve(process.argv[profileAt + 1] as string) : undefined;
  // --protocol 1.0: the end-to-end run on AMQP 1.0 (Timebok and the stand-in); default 0-9-1
  const protocolAt = process.argv.indexOf('--protocol');
  const protocol = protocolAt >= 0 ? process.argv[protocolAt + 1] : '0-9-1';
  if (protocol !== '1.0' && protocol !== '0-9-1') throw new Error(`bench: --protocol is 1.0 or 0-9-1, not ${String(protocol)}`);
  // --rate N: requests a second offered in the latency run (default 200, the target's); its figures are
  // then named `…_at_N`
  const rateAt = process.argv.indexOf('--rate');
  const offered = rateAt >= 0 ? Number(process.argv[rateAt + 1]) : 200;
  if (!Number.isInteger(offered) || offered < 1 || offered > 2000) throw new Error(`bench: --rate is a whole number of requests a second from 1 to 2000, not ${String(process.argv[rateAt + 1])}`);

  const rt = readFileSync(join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml'));
  const schemas = await loadSchemaSet();
  figures.xml_guard_per_s = rate(() => guardXml(rt, DEFAULT_XML_LIMITS));
  figures.xsd_validate_per_s = rate(() => schemas.validate(rt));
  const text = rt.toString('utf8');
  figures.msghead_parse_per_s = rate(() => parseMsgHead(text));

  // Whole pipeline on SQLite (file, WAL + FULL): sync HentLedigeTimer requests with distinct MsgIds.
  const dir = mkdtempSync(join(tmpdir(), 'timebok-bench-'));
  const app = await createApp({
    databaseUrl: `sqlite:${join(dir, 'bench.sqlite')}`,
    clock: new FixedClock(new Date('2019-07-01T07:00:00Z')),
    logger: silentLogger,
    limits: DEFAULT_XML_LIMITS,
    acceptSyntheticIds: false,
    schemas,
  });
  await importSetup(app, join(root, 'fixtures/replay-2019/registry.json'), join(root, 'fixtures/replay-2019/timebooks.json'));
  const hlt = readFileSync(join(root, 'test/fixtures/pipeline/hlt-2019-07.xml'), 'utf8');
  const n = 300;
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const body = Buffer.from(hlt.replace(/<MsgId>[^<]*<\/MsgId>/, `<MsgId>bench-${i}</MsgId>`));
    await app.pipeline.process({ transport: 'spool', queue: '91095_sync', body, messageId: `b${i}` });
  }
  figures.sqlite_hlt_per_s = (n * 1000) / (performance.now() - started);
  await app.close();

  // Embedded default: ReserverAvtale through the whole pipeline on SQLite (plain XML, as on the spool),
  // distinct patients over 100-place slots; each request writes a booking, an AppRec and a reply.
  const world = await makeWorld({ slots: 12, capacity: 100, declare: false });
  const rtApp = await createApp({
    databaseUrl: `sqlite:${join(dir, 'rt.sqlite')}`,
    clock: systemClock,
    logger: silentLogger,
    limits: DEFAULT_XML_LIMITS,
    acceptSyntheticIds: true,
    schemas,
  });
  await importSetup(rtApp, world.registryFile, world.timebooksFile);
  const rtN = 1000;
  const rtBodies = Array.from({ length: rtN }, (_, i) => Buffer.from(reserveXml(`rt-${i}`, syntheticFnr(i), world.slotIds[Math.floor(i / 100)] as string)));
  const rtRelay = countingRelay(rtApp);
  const rtStatements = rtApp.db.counter.statements;
  const rtStart = performance.now();
  for (const [i, body] of rtBodies.entries()) {
    const outcome = await rtApp.pipeline.process({ transport: 'spool', queue: 'lab_async', body, messageId: `rt${i}` });
    if (outcome.summary !== 'RT → apprec 1, reply 05') throw new Error(`bench: RT ${i} answered ${outcome.summary}`);
    // as the spool consumer does after each message
    await rtRelay.drain();
  }
  figures.sqlite_reserve_per_s = (rtN * 1000) / (performance.now() - rtStart);
  figures.sqlite_statements_per_booking = (rtApp.db.counter.statements - rtStatements) / rtN;
  await rtApp.close();
  world.cleanup();

  Object.assign(figures, await runCryptoBench());
  // The CPU floor of one protected booking: 1 decrypt + 1 verify of the request, 2 signs + 2 encryptions
  // (AppRec and reply), on both cores.
  const perRequestS = 1 / figures.decrypt_per_s! + 1 / figures.verify_per_s! + 2 / figures.sign_per_s! + 2 / figures.encrypt_per_s!;
  figures.cms_floor_per_s = 2 / perRequestS;

  // `npm start` on the embedded default (compiled; SQLite and spool in a fresh folder, demo set-up): the
  // first start migrates and imports, the second finds everything in place
  execFileSync(process.execPath, [join(root, 'scripts/ensure-build.mjs')], { stdio: 'inherit' });
  const embeddedDir = mkdtempSync(join(tmpdir(), 'timebok-start-'));
  figures.startup_embedded_first_ms = await timeToRunning(embeddedDir);
  figures.startup_embedded_ms = await timeToRunning(embeddedDir);

  const pgUrl = process.env.DATABASE_URL;
  if (pgUrl && /^postgres(ql)?:\/\//.test(pgUrl)) {
    Object.assign(figures, await statementsOnPostgres(pgUrl, schemas));
  }
  if (process.env.AMQP_URL && pgUrl && /^postgres(ql)?:\/\//.test(pgUrl)) {
    // the Timebok processes run compiled JavaScript, as `npm start` does (built above)
    Object.assign(figures, await runAmqpBench({ databaseUrl: pgUrl, log: (l) => console.log(l), profileDir, protocol, rate: offered }));
    figures.e2e_ratio_to_floor = figures.e2e_reserve_per_s! / figures.cms_floor_per_s;
    if (!process.argv.includes('--no-mass')) Object.assign(figures, await runMassVaccination({ databaseUrl: pgUrl, log: (l) => console.log(l), profileDir }));
  } else {
    console.log('(RabbitMQ + PostgreSQL end to end skipped: set AMQP_URL and DATABASE_URL=postgres://…)');
  }

  const ratio = (a: string, b: string) => (figures[a] && figures[b] ? figures[a] / figures[b] : NaN);
  console.log('Timebok benchmark (medians; ops per second)');
  for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(32)} ${(v < 10 ? v.toFixed(2) : v.toFixed(0)).padStart(8)}`);
  console.log('Ratios');
  console.log(`  sign / raw RSA sign               ${ratio('sign_per_s', 'rsa_sign_per_s').toFixed(2)}`);
  console.log(`  decrypt / raw RSA private op      ${ratio('decrypt_per_s', 'rsa_private_per_s').toFixed(2)}`);
  console.log(`  XSD validation / parse            ${ratio('xsd_validate_per_s', 'msghead_parse_per_s').toFixed(2)}`);
  if (figures.e2e_reserve_per_s) {
    console.log(`  AMQP+PG e2e / CMS CPU floor       ${ratio('e2e_reserve_per_s', 'cms_floor_per_s').toFixed(2)}`);
  }
  schemas.dispose();
  if (jsonFile) {
    writeFileSync(jsonFile, `${JSON.stringify(figures, null, 2)}\n`);
    console.log(`written to ${jsonFile}`);
  }
}

/**
 * Milliseconds from spawning `node dist/main.js` on the embedded default (no settings but the data
 * folder) to its "Timebok is running" log line; the process is stopped then.
 */
async function timeToRunning(dataDir: string): Promise<number> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: `sqlite:${join(dataDir, 'timebok.sqlite')}`, SPOOL_DIR: join(dataDir, 'spool') };
  const started = performance.now();
  const child = spawn(process.execPath, [join(root, 'dist/main.js')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    return await new Promise<number>((resolveUp, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error('bench: the embedded start did not report running within 30 s')), 30_000);
      const watch = (d: Buffer) => {
        seen = (seen + d.toString('utf8')).slice(-4096);
        if (seen.includes('Timebok is running')) {
          clearTimeout(timer);
          resolveUp(performance.now() - started);
        }
      };
      child.stdout.on('data', watch);
      child.stderr.on('data', watch);
      child.once('exit', (code) => reject(new Error(`bench: the embedded start exited (${code}) before running`)));
    });
  } finally {
    child.removeAllListeners('exit');
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  }
}

/** A relay that hands every row over at once (no transport): counts the relay's statements with ours. */
function countingRelay(app: App): OutboxRelay {
  return new OutboxRelay(app.db, { publish: async () => undefined, publishMany: async (rows) => rows.map(() => null) }, app.clock, silentLogger);
}

/**
 * SQL statements per ReserverAvtale on PostgreSQL (BEGIN/COMMIT not counted), the relay's included: the
 * whole pipeline in-process on a fresh database, 8 requests in flight, the relay drained after each
 * message as the transports do. Counted by the database layer (plain SQL and TypeORM alike). Also the
 * transactions per booking: below 1 when group commit lets messages share one.
 */
export async function statementsOnPostgres(base: string, schemas: Awaited<ReturnType<typeof loadSchemaSet>>): Promise<{ statements_per_booking: number; transactions_per_booking: number }> {
  const pg = (await import('pg')).default;
  const name = `timebok_bench_sql_${process.pid}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const world = await makeWorld({ slots: 12, capacity: 100, declare: false });
  const app = await createApp({ databaseUrl: url.toString(), clock: systemClock, logger: silentLogger, limits: DEFAULT_XML_LIMITS, acceptSyntheticIds: true, schemas });
  try {
    await importSetup(app, world.registryFile, world.timebooksFile);
    const relay = countingRelay(app);
    const n = 1000;
    const bodies = Array.from({ length: n }, (_, i) => Buffer.from(reserveXml(`sql-${i}`, syntheticFnr(50_000 + i), world.slotIds[i % 10] as string)));
    const before = app.db.counter.statements;
    const transactionsBefore = app.db.counter.transactions;
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < n) {
          const i = next++;
          const outcome = await app.pipeline.process({ transport: 'spool', queue: 'lab_async', body: bodies[i]!, messageId: `sql${i}` });
          if (outcome.summary !== 'RT → apprec 1, reply 05') throw new Error(`bench: RT ${i} answered ${outcome.summary}`);
          await relay.drain();
        }
      }),
    );
    await relay.drain();
    // the relay's statements are autocommitted: transactions are the messages' (group commit) and imports'
    return { statements_per_booking: (app.db.counter.statements - before) / n, transactions_per_booking: (app.db.counter.transactions - transactionsBefore) / n };
  } finally {
    await app.close();
    world.cleanup();
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await c.end();
  }
}

if (process.argv[1]?.endsWith('bench.ts') || process.argv[1]?.endsWith('bench.js')) await main();
