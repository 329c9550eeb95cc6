import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createApp, importSetup } from '../../../src/app.js';
import { TimebokMetrics } from '../../../src/admin/metrics.js';
import { observePipeline } from '../../../src/admin/observe.js';
import { RetentionJob } from '../../../src/admin/retention.js';
import { metricsSource } from '../../../src/admin/runtime.js';
import { buildAdminServer } from '../../../src/admin/server.js';
import { loadTokensFile } from '../../../src/admin/tokens.js';
import { DEFAULT_XML_LIMITS } from '../../../src/envelope/types.js';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { OutboxRelay } from '../../../src/outbox/outbox.relay.js';
import { PlainEncoder } from '../../../src/protection/outbound.js';
import { FixedClock } from '../../../src/shared/clock.js';
import { StaffService } from '../../../src/staff/staff.service.js';
import { SpoolPublisher } from '../../../src/transport/spool/spool.publisher.js';
import { sniffSenderHerId } from '../../../src/transport/file-headers.js';
import { EXAMPLES, NOW, ROOT, STAFF_SETUP } from '../staff/world.js';
import { OPERATOR, STAFF, TOKENS_FILE } from './world.js';

/**
 * Logs stay free of personal data: every official example and every test message is replayed through
 * the pipeline, then staff work through the admin API (lists, confirm, reject, wishes, desk booking with
 * names, appointments, the feed, the trail, retention), all with logging at `trace`; no log line may
 * hold a fødselsnummer or a patient's name from the fixtures.
 */
let schemas: SchemaSet;
beforeAll(async () => {
  schemas = await loadSchemaSet();
});
afterAll(() => schemas.dispose());

function xmlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? xmlFiles(p) : p.endsWith('.xml') ? [p] : [];
  });
}

/** The fødselsnumre and the patients' and representatives' names in the fixture messages. */
function secretsOf(files: string[]): { ids: Set<string>; names: Set<string> } {
  const ids = new Set<string>();
  const names = new Set<string>();
  for (const f of files) {
    const xml = readFileSync(f, 'utf8');
    for (const m of xml.matchAll(/<(?:\w+:)?Id>(\d{11})<\/(?:\w+:)?Id>/g)) ids.add(m[1]!);
    for (const block of xml.matchAll(/<(?:\w+:)?(Patient|Pasientrelasjon)>[\s\S]*?<\/(?:\w+:)?\1>/g)) {
      for (const n of block[0].matchAll(/<(?:\w+:)?(?:FamilyName|GivenName|Etternavn|Fornavn)>([^<]+)</g)) names.add(n[1]!.trim());
    }
  }
  return { ids, names };
}

test('a full replay of the fixtures and the staff flow log no fødselsnummer and no patient name', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = pino({ level: 'trace', base: { service: 'timebok' } }, sink);
  const dir = mkdtempSync(join(tmpdir(), 'timebok-logscan-'));
  const clock = new FixedClock(NOW);
  const app = await createApp({ databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`, clock, logger, limits: DEFAULT_XML_LIMITS, acceptSyntheticIds: true, schemas });
  await importSetup(app, join(STAFF_SETUP, 'registry.json'), join(STAFF_SETUP, 'timebooks.json'));
  const staff = new StaffService({ db: app.db, registry: app.registry, clock, helsenorgeHerId: 8093248, acceptSyntheticIds: true, schemas, logger });
  const metrics = new TimebokMetrics(metricsSource({ db: app.db, clock, protection: null }));
  observePipeline(app.pipeline, { db: app.db, clock, logger, metrics });
  const retention = new RetentionJob({ db: app.db, clock, logger, days: 90, spoolDir: join(dir, 'spool') });
  const server = await buildAdminServer({ db: app.db, clock, logger, staff, tokens: loadTokensFile(TOKENS_FILE), metrics, retention, feedLagMs: 0 });
  const base = await server.listen({ host: '127.0.0.1', port: 0 });
  const relay = new OutboxRelay(app.db, new SpoolPublisher(join(dir, 'spool'), new PlainEncoder()), clock, logger);
  const call = async (method: string, url: string, body?: unknown, token = STAFF) => {
    const res = await fetch(`${base}${url}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, json: (await res.json().catch(() => null)) as any };
  };

  const files = [...xmlFiles(EXAMPLES), ...xmlFiles(join(ROOT, 'fixtures/demo/messages')), ...xmlFiles(join(ROOT, 'test/fixtures/pipeline'))];
  const secrets = secretsOf(files);
  expect(secrets.ids.has('13116900216')).toBe(true);
  expect([...secrets.names]).toEqual(expect.arrayContaining(['Danser', 'Folke', 'Line']));
  try {
    let n = 0;
    for (const f of files) {
      const body = readFileSync(f);
      const fromHerId = sniffSenderHerId(body);
      await app.pipeline.process({ transport: 'replay', queue: 'replay', body, messageId: `m${++n}.xml`, ...(fromHerId !== undefined ? { fromHerId } : {}) }).catch(() => undefined);
    }
    await relay.drain();

    // The staff flow through the API.
    const requests = (await call('GET', '/api/requests')).json.requests as { id: string }[];
    expect(requests.length).toBeGreaterThan(0);
    await call('POST', `/api/requests/${requests[0]!.id}/confirm`, { text: 'Velkommen, Line Danser' });
    for (const r of requests.slice(1)) await call('POST', `/api/requests/${r.id}/reject`, {});
    const wishes = (await call('GET', '/api/wishes?all=true&text=true')).json.wishes as { id: string; allowedAnswers: string[] }[];
    for (const w of wishes) await call('POST', `/api/wishes/${w.id}/answer`, { code: w.allowedAnswers.at(-1) });
    const desk = await call('POST', '/api/appointments', { bookId: 'blodprover', slotId: 'blodprover@2019-07-02T08:00', patientId: '13116900216', givenName: 'Line', familyName: 'Danser' });
    expect(desk.status).toBe(201);
    await call('POST', '/api/appointments', { bookId: 'blodprover', slotId: 'blodprover@2019-07-02T08:00', patientId: '13116900217' });
    await call('GET', '/api/appointments?patient=13116900216');
    await call('GET', `/api/appointments/${desk.json.appointmentId}`);
    await call('POST', `/api/appointments/${desk.json.appointmentId}/move`, { slotId: 'blodprover@2019-07-02T08:10' });
    await call('POST', `/api/appointments/${desk.json.appointmentId}/cancel`);
    await call('GET', '/api/changes');
    await call('GET', '/api/messages?limit=500', undefined, OPERATOR);
    await call('GET', '/api/access-log?patient=13116900216', undefined, OPERATOR);
    await call('GET', '/api/appointments?patient=1311690021X');
    await call('PATCH', '/api/timebooks/blodprover', { eligibility: { patients: ['13116900216'] } });
    await call('PATCH', '/api/timebooks/blodprover', { eligibility: { patients: ['13116900215'] } });
    await relay.drain();
    clock.advance(100 * 86_400_000);
    await call('POST', '/api/retention/run', undefined, OPERATOR);
    await call('GET', '/metrics');
  } finally {
    await server.close();
    await app.close();
  }

  if (process.env.SHOW_LOG) console.log(lines.join("\n"));
  expect(lines.length).toBeGreaterThan(30);
  expect(lines.some((l) => l.includes('"admin request"'))).toBe(true);
  expect(lines.some((l) => l.includes('staff operation'))).toBe(true);
  const leaks: string[] = [];
  for (const line of lines) {
    for (const id of secrets.ids) if (line.includes(id)) leaks.push(`${id}: ${line.slice(0, 200)}`);
    for (const name of secrets.names) if (new RegExp(`\\b${name}\\b`).test(line)) leaks.push(`${name}: ${line.slice(0, 200)}`);
    // Any other 11-digit number standing alone (not a part of a UUID or a longer number) is suspect too.
    if (/(?<![\w-])\d{11}(?![\w-])/.test(line.replace(/"time":\d+/, ''))) leaks.push(`11 digits: ${line.slice(0, 200)}`);
  }
  expect(leaks).toEqual([]);
});
