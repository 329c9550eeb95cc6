import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
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
import type { OutboxRow } from '../../../src/inbox/message.entities.js';
import { FIXTURES, REPLAY_SETUP, TR } from '../pipeline/helpers.js';

let schemas: SchemaSet;
let app: App;
let spool: string;
let consumer: SpoolConsumer;
let setupHerIds: number[];
let relay: OutboxRelay;

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
  setupHerIds = setup.ourHerIds;
  relay = new OutboxRelay(app.db, new SpoolPublisher(spool), app.clock, silentLogger);
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

describe('the spool as a real inbox', () => {
  const RT_FILE = join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml');

  test('hidden files and files named .tmp or .part are never read (a writer writes under such a name, then renames)', async () => {
    for (const name of ['.rt.xml', 'rt.xml.tmp', 'rt.xml.part', 'rt.XML.PART', '.half.p7m']) copyFileSync(RT_FILE, join(spool, '91095_async', name));
    expect(await consumer.pollOnce()).toBe(0);
    expect(visible(join(spool, '91095_async', 'processed'))).toEqual([]);
    expect(readdirSync(join(spool, '91095_async')).sort()).toEqual(['.half.p7m', '.rt.xml', 'error', 'processed', 'rt.XML.PART', 'rt.xml.part', 'rt.xml.tmp']);
  });

  test('a file is read only once its size and mtime have been stable for the settle time (injected clock)', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const settling = new SpoolConsumer(app.pipeline, { spoolDir: spool, herIds: setupHerIds, pollMs: 20, maxBytes: DEFAULT_XML_LIMITS.maxBytes, settleMs: 1000, now: () => now, afterEach: () => relay.drain() }, silentLogger);
    const path = join(spool, '91095_async', 'slow.xml');
    const rt = readFileSync(RT_FILE);
    const at = (ms: number) => new Date(now + ms);
    writeFileSync(path, rt.subarray(0, 100)); // a writer that ignores the convention, half done
    utimesSync(path, at(0), at(0));
    expect(await settling.pollOnce()).toBe(0); // first sight
    now += 600;
    writeFileSync(path, rt.subarray(0, 2000)); // still growing
    utimesSync(path, at(0), at(0));
    expect(await settling.pollOnce()).toBe(0);
    now += 900;
    expect(await settling.pollOnce()).toBe(0); // stable for 900 ms only
    writeFileSync(path, rt); // done
    utimesSync(path, at(0), at(0));
    now += 100;
    expect(await settling.pollOnce()).toBe(0); // size changed: the settle time starts again
    now += 999;
    expect(await settling.pollOnce()).toBe(0);
    now += 1;
    expect(await settling.pollOnce()).toBe(1);
    expect(visible(join(spool, '91095_async', 'processed'))).toEqual(['slow.xml']);
    expect(visible(join(spool, '91095_async', 'error'))).toEqual([]); // the whole file was read: answered, not broken
  });

  test('a file that has sat unchanged for longer than the settle time (dropped while Timebok was down) is read at first sight', async () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    const settling = new SpoolConsumer(app.pipeline, { spoolDir: spool, herIds: setupHerIds, pollMs: 20, maxBytes: DEFAULT_XML_LIMITS.maxBytes, settleMs: 1000, now: () => now }, silentLogger);
    const path = join(spool, '91095_async', 'old.xml');
    copyFileSync(RT_FILE, path);
    utimesSync(path, new Date(now - 5000), new Date(now - 5000));
    expect(await settling.pollOnce()).toBe(1);
  });

  test('a name already in processed/ is never overwritten: the second file is archived beside it', async () => {
    copyFileSync(RT_FILE, join(spool, '91095_async', 'same.xml'));
    await consumer.pollOnce();
    copyFileSync(join(FIXTURES, 'rt-bad-check-digits.xml'), join(spool, '91095_async', 'same.xml'));
    writeFileSync(join(spool, '91095_async', 'same.xml.json'), JSON.stringify({ messageId: 'second' }));
    await consumer.pollOnce();
    expect(visible(join(spool, '91095_async', 'processed')).sort()).toEqual(['same.xml', 'same~1.xml', 'same~1.xml.json']);
    expect(readFileSync(join(spool, '91095_async', 'processed', 'same.xml'))).toEqual(readFileSync(RT_FILE));
  });

  test('a name already in error/ is never overwritten, nor its reason file', async () => {
    for (let i = 0; i < 2; i++) {
      writeFileSync(join(spool, '91095_async', 'huge.xml'), Buffer.alloc(DEFAULT_XML_LIMITS.maxBytes * 2 + 2048 + i, 0x20));
      await consumer.pollOnce();
    }
    expect(visible(join(spool, '91095_async', 'error')).sort()).toEqual(['huge.xml', 'huge.xml.reason.txt', 'huge~1.xml', 'huge~1.xml.reason.txt']);
    expect(readFileSync(join(spool, '91095_async', 'error', 'huge~1.xml.reason.txt'), 'utf8')).toMatch(/^ERR_ENVELOPE_TOO_LARGE/);
  });

  test('an outgoing answer written twice (a re-sent duplicate) lands beside the first, never over it', async () => {
    const publisher = new SpoolPublisher(spool);
    const row = { id: 'r1', inboxId: null, kind: 'reply', queue: '8093248_async', toHerId: 8093248, fromHerId: 91095, process: 'X', correlationId: null, body: '<a/>', properties: {}, summary: '', createdAt: '2019-07-01T07:00:00.000Z', seq: 0, sentAt: null, attempts: 0, lastError: null } as unknown as OutboxRow;
    await publisher.publish(row);
    await publisher.publish({ ...row, body: '<b/>' });
    const files = visible(join(spool, '8093248_async')).sort();
    expect(files).toHaveLength(2);
    expect(files.map((f) => readFileSync(join(spool, '8093248_async', f), 'utf8')).sort()).toEqual(['<a/>', '<b/>']);
    expect(readdirSync(join(spool, '8093248_async')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
