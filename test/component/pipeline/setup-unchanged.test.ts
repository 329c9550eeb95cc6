import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createApp, importSetup, type App } from '../../../src/app.js';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { DEFAULT_XML_LIMITS } from '../../../src/envelope/types.js';
import { FixedClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';

/** The service's start skips the set-up import when the files are the ones imported last (docs/decisions.md §34). */
const SETUP = resolve(import.meta.dirname, '../../../fixtures/replay-2019');
let schemas: SchemaSet;
let dir: string;
let app: App;

beforeAll(async () => {
  schemas = await loadSchemaSet();
});
afterAll(() => schemas.dispose());
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'timebok-setup-'));
  copyFileSync(join(SETUP, 'registry.json'), join(dir, 'registry.json'));
  copyFileSync(join(SETUP, 'timebooks.json'), join(dir, 'timebooks.json'));
  app = await createApp({ databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`, clock: new FixedClock(new Date('2019-07-01T07:00:00Z')), logger: silentLogger, limits: DEFAULT_XML_LIMITS, acceptSyntheticIds: false, schemas });
});
afterEach(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

const setup = (skipUnchanged: boolean) => importSetup(app, join(dir, 'registry.json'), join(dir, 'timebooks.json'), [], { skipUnchanged });

test('a second start with the same set-up files imports nothing and reports the same parties and HER-ids', async () => {
  const first = await setup(true);
  expect(first.skipped).toBe(false);
  const second = await setup(true);
  expect(second).toEqual({ ...first, skipped: true });
});

test('a changed timebooks file is imported at the next start', async () => {
  await setup(true);
  const file = join(dir, 'timebooks.json');
  const books = JSON.parse(readFileSync(file, 'utf8')) as { timebooks: { name: string }[] };
  books.timebooks[0]!.name = 'Renamed book';
  writeFileSync(file, JSON.stringify(books));
  expect((await setup(true)).skipped).toBe(false);
  const rows = await app.db.query<{ name: string }>('SELECT name FROM timebook WHERE name = ?', ['Renamed book']);
  expect(rows).toHaveLength(1);
});

test('without skipUnchanged (replay, the CLI) the files are imported every time', async () => {
  await setup(false);
  expect((await setup(false)).skipped).toBe(false);
});
