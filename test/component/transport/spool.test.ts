import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, importSetup, type App } from '../../../src/app.js';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { DEFAULT_XML_LIMITS } from '../../../src/envelope/types.js';
import { OutboxRelay } from '../../../src/outbox/outbox.relay.js';
import { FixedClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { SpoolConsumer } from '../../../src/transport/spool/spool.consumer.js';
import { SpoolPublisher } from '../../../src/transport/spool/spool.publisher.js';
import { REPLAY_SETUP, TR } from '../pipeline/helpers.js';

let schemas: SchemaSet;
let app: App;
let spool: string;
let consumer: SpoolConsumer;

beforeAll(async () => {
  schemas = await loadSchemaSet();
});
afterAll(() => schemas.dispose());

beforeEach(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'timebok-spool-'));
  spool = join(dir, 'spool');
  app = await createApp({
    databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`,
    clock: new FixedClock(new Date('2019-07-01T07:00:00Z')),
    logger: silentLogger,
    limits: DEFAULT_XML_LIMITS,
    acceptSyntheticIds: false,
    schemas,
  });
  const setup = await importSetup(app, join(REPLAY_SETUP, 'registry.json'), join(REPLAY_SETUP, 'timebooks.json'));
  const relay = new OutboxRelay(app.db, new SpoolPublisher(spool), app.clock, silentLogger);
  consumer = new SpoolConsumer(app.pipeline, { spoolDir: spool, herIds: setup.ourHerIds, pollMs: 20, maxBytes: DEFAULT_XML_LIMITS.maxBytes, afterEach: () => relay.drain() }, silentLogger);
  await consumer.start();
  await consumer.stop(); // tests drive it with pollOnce()
});
afterEach(() => app.close());

const visible = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.') && n.includes('.')) : []);

describe('spool transport', () => {
  test('creates <herId>_sync and <herId>_async folders for each of our HER-ids', () => {
    expect(existsSync(join(spool, '91095_async', 'processed'))).toBe(true);
    expect(existsSync(join(spool, '95316_sync', 'error'))).toBe(true);
  });

  test('a request is processed, archived under processed/, and AppRec + reply land in the counterparty folder', async () => {
    copyFileSync(join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml'), join(spool, '91095_async', 'rt.xml'));
    expect(await consumer.pollOnce()).toBe(1);
    expect(visible(join(spool, '91095_async'))).toEqual([]);
    expect(visible(join(spool, '91095_async', 'processed'))).toEqual(['rt.xml']);
    const out = visible(join(spool, '8093248_async')).sort();
    expect(out).toHaveLength(2);
    expect(out.some((n) => n.includes('apprec'))).toBe(true);
    expect(readFileSync(join(spool, '8093248_async', out.find((n) => n.includes('reply')) as string), 'utf8')).toContain('V="05"');
  });

  test('a sidecar that is not valid is answered as a transport fault on the sender\'s error queue, and the file archived', async () => {
    copyFileSync(join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml'), join(spool, '91095_async', 'bad.xml'));
    writeFileSync(join(spool, '91095_async', 'bad.xml.json'), JSON.stringify({ unknownField: 1 }));
    await consumer.pollOnce();
    expect(visible(join(spool, '91095_async', 'processed')).sort()).toEqual(['bad.xml', 'bad.xml.json']);
    const [report] = visible(join(spool, '8093248_error'));
    const body = JSON.parse(readFileSync(join(spool, '8093248_error', report as string), 'utf8'));
    expect(body.errorCondition).toBe('transport:invalid-field-value');
    expect(body.errorDescription).toMatch(/^sidecar bad\.xml\.json: /);
    expect(visible(join(spool, '8093248_async'))).toEqual([]); // nothing booked, no AppRec
  });

  test('a sidecar that is not JSON is answered the same way', async () => {
    copyFileSync(join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml'), join(spool, '91095_async', 'nj.xml'));
    writeFileSync(join(spool, '91095_async', 'nj.xml.json'), '{ not json');
    await consumer.pollOnce();
    expect(visible(join(spool, '91095_async', 'processed')).sort()).toEqual(['nj.xml', 'nj.xml.json']);
    const [report] = visible(join(spool, '8093248_error'));
    expect(JSON.parse(readFileSync(join(spool, '8093248_error', report as string), 'utf8')).errorDescription).toBe('sidecar nj.xml.json: not JSON');
  });

  test('an unreadable message from a known sender is reported to its error folder and archived', async () => {
    const rt = readFileSync(join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml'), 'utf8');
    writeFileSync(join(spool, '91095_async', 'half.xml'), rt.slice(0, rt.length / 2));
    await consumer.pollOnce();
    expect(visible(join(spool, '91095_async', 'processed'))).toEqual(['half.xml']);
    const [report] = visible(join(spool, '8093248_error'));
    expect(JSON.parse(readFileSync(join(spool, '8093248_error', report as string), 'utf8')).errorCondition).toBe('transport:not-well-formed-xml');
  });
});
