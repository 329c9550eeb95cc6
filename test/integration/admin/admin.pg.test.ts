import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { createApp, importSetup, type App } from '../../../src/app.js';
import { TimebokMetrics } from '../../../src/admin/metrics.js';
import { observePipeline } from '../../../src/admin/observe.js';
import { RetentionJob } from '../../../src/admin/retention.js';
import { metricsSource } from '../../../src/admin/runtime.js';
import { buildAdminServer } from '../../../src/admin/server.js';
import { importSetupRespectingApi } from '../../../src/admin/setup.js';
import { loadTokensFile } from '../../../src/admin/tokens.js';
import { DEFAULT_XML_LIMITS } from '../../../src/envelope/types.js';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { FixedClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { StaffService } from '../../../src/staff/staff.service.js';
import { sniffSenderHerId } from '../../../src/transport/file-headers.js';
import { freshDatabase } from '../pg.js';

/**
 * The admin API on PostgreSQL with two Timebok processes (two pools) on one database: a change made
 * through the API in one is seen at once by the other's pipeline; decisions, trail, feed, access log,
 * retention and metrics run their SQL on PostgreSQL.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../../..');
const SETUP = path.join(ROOT, 'test/fixtures/staff/setup');
const TR = path.join(ROOT, 'fixtures/helsenorge-2019/DIALOG_INNBYGGER_TIMERESERVASJON/1.2');
const RT = readFileSync(path.join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml'));
const HLT = readFileSync(path.join(TR, 'Ledige-timer--Foresporsel-innbygger--Hent-ledige-timer.xml'), 'utf8').replace('2014-01-30', '2019-07-01').replace('2014-02-27', '2019-07-31');
const NOW = new Date('2019-07-01T07:00:00.000Z');
const STAFF = 'staff-token-for-tests';
const OPERATOR = 'operator-token-for-tests';

let schemas: SchemaSet;
let drop: () => Promise<void>;
let a: App;
let b: App;
let clock: FixedClock;
let server: FastifyInstance;
let base: string;

async function call(method: string, url: string, body?: unknown, token = STAFF): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(`${base}${url}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, json, text };
}

function deliver(app: App, xml: string | Buffer, id: string) {
  const body = typeof xml === 'string' ? Buffer.from(xml) : xml;
  const fromHerId = sniffSenderHerId(body);
  return app.pipeline.process({ transport: 'replay', queue: 'replay', body, messageId: id, ...(fromHerId !== undefined ? { fromHerId } : {}) });
}

beforeAll(async () => {
  schemas = await loadSchemaSet();
  const fresh = await freshDatabase('admin');
  drop = fresh.drop;
  clock = new FixedClock(NOW);
  const open = () => createApp({ databaseUrl: fresh.url, clock, logger: silentLogger, limits: DEFAULT_XML_LIMITS, acceptSyntheticIds: true, schemas });
  a = await open();
  b = await open();
  await importSetup(a, path.join(SETUP, 'registry.json'), path.join(SETUP, 'timebooks.json'));
  const metrics = new TimebokMetrics(metricsSource({ db: a.db, clock, protection: null }));
  observePipeline(a.pipeline, { db: a.db, clock, logger: silentLogger, metrics });
  server = await buildAdminServer({
    db: a.db,
    clock,
    logger: silentLogger,
    staff: new StaffService({ db: a.db, registry: a.registry, clock, helsenorgeHerId: 8093248, acceptSyntheticIds: true, schemas }),
    tokens: loadTokensFile(path.join(ROOT, 'test/fixtures/admin/tokens.txt')),
    metrics,
    retention: new RetentionJob({ db: a.db, clock, logger: silentLogger, days: 90 }),
    feedLagMs: 0,
  });
  base = await server.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await server?.close();
  await a?.close();
  await b?.close();
  await drop?.();
  schemas?.dispose();
});

test('a book changed through the API in one process is seen at once by the other process', async () => {
  expect((await deliver(b, HLT.replace(/<MsgId>[^<]*/, '<MsgId>pg-hlt-1'), 'h1')).summary).toMatch(/reply 03/);
  expect((await call('POST', '/api/timebooks/september-fastlege/unpublish')).status).toBe(200);
  expect((await deliver(b, HLT.replace(/<MsgId>[^<]*/, '<MsgId>pg-hlt-2'), 'h2')).summary).toMatch(/reply 04/);
  await call('POST', '/api/timebooks/september-fastlege/publish');
  const book = await call('POST', '/api/timebooks', { id: 'pg-lab', herId: 1235, kind: 'Lab', name: 'Lab', schedule: [{ days: ['wed'], from: '08:00', to: '09:00', slotMinutes: 30 }] });
  expect(book.status).toBe(201);
  // A restart of the other process with the file import: the API-made book stays, nothing is retired.
  const setup = await importSetupRespectingApi(b, path.join(SETUP, 'registry.json'), path.join(SETUP, 'timebooks.json'), []);
  expect(setup.timebooksFromFile).toBe(false);
  expect((await call('GET', '/api/timebooks/pg-lab')).json).toMatchObject({ retired: false, published: true });
});

test('confirm, trail, feed, access log, retention and metrics on PostgreSQL', async () => {
  expect((await deliver(a, RT, 'rt')).status).toBe('pending');
  const [request] = (await call('GET', '/api/requests')).json.requests;
  const confirmed = await call('POST', `/api/requests/${request.id}/confirm`, {});
  expect(confirmed.json.outbox.map((o: { code: string }) => o.code)).toEqual(['05']);
  const messages = await call('GET', '/api/messages?process=DIALOG_INNBYGGER_TIMERESERVASJON&function=RT', undefined, OPERATOR);
  const msgId = messages.json.messages[0].msgId as string;
  const trail = await call('GET', `/api/messages/${msgId}/trail`);
  expect(trail.json.steps.map((s: { stage: string }) => s.stage)).toEqual(['received', 'processed', 'validated', 'registry', 'decision', 'booking', 'stored-for-staff', 'staff-answer', 'outgoing', 'sent', 'outgoing', 'sent']);
  clock.advance(1000);
  const feed = await call('GET', '/api/changes');
  expect(feed.json.events).toEqual([expect.objectContaining({ appointmentId: request.id, status: 'booked', origin: 'helsenorge' })]);
  expect((await call('GET', `/api/access-log?patient=13116900216`, undefined, OPERATOR)).json.entries.map((e: { action: string }) => e.action).sort()).toEqual(['GET /api/changes', 'GET /api/requests']);
  // Unsent: the two HentLedigeTimer replies of the first test, the AppRec and the 05.
  expect((await call('GET', '/metrics')).text).toMatch(/^timebok_outbox_unsent 4$/m);
  await a.db.manager.query('UPDATE outbox_message SET sent_at = $1', [clock.now().toISOString()]);
  clock.advance(91 * 86_400_000);
  const retention = await call('POST', '/api/retention/run', undefined, OPERATOR);
  expect(retention.json).toMatchObject({ outboxDeleted: expect.any(Number), textsCleared: expect.any(Number) });
  expect(retention.json.outboxDeleted).toBeGreaterThanOrEqual(2);
  const after = await call('GET', `/api/messages/${msgId}/trail`);
  expect(after.json.steps.filter((s: { stage: string }) => s.stage === 'outgoing')).toHaveLength(2);
});
