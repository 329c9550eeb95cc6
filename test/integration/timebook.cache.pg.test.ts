import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Database } from '../../src/db/database.js';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '../../src/db/schema.js';
import { FixedClock } from '../../src/shared/clock.js';
import { importTimebooks } from '../../src/timebook/timebook.import.js';
import { TimebookService } from '../../src/timebook/timebook.service.js';
import { loadTimebooksFile } from '../../src/timebook/timebooks.file.js';
import { freshDatabase } from './pg.js';

/**
 * The timebook definitions cache on PostgreSQL: a process caches the books; a writer that knows nothing
 * of Timebok (a bare pg client, as the admin API or psql) changes them; the statement-level trigger
 * bumps the generation and the next request sees the change.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const RACE_BOOKS = path.resolve(here, '../fixtures/timebook/race.timebooks.json');
const clock = new FixedClock(new Date('2026-03-02T07:00:00.000Z'));

let drop: () => Promise<void>;
let url: string;
let db: Database;

beforeAll(async () => {
  const fresh = await freshDatabase('cache');
  drop = fresh.drop;
  url = fresh.url;
  db = await Database.open({ url, entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS, poolSize: 4 });
  await importTimebooks(db, await loadTimebooksFile(RACE_BOOKS), clock);
});
afterAll(async () => {
  await db?.close();
  await drop?.();
});

test('a book unpublished by another writer (a bare pg client) is not offered on the next request', async () => {
  const service = new TimebookService(clock);
  const free = () => db.run((tx) => service.findFreeSlots(tx, { receiverHerId: 9100001, patient: { id: '01010112345', birthDate: '2001-01-01' }, fromDate: null, toDate: null }));
  expect((await free()).code).toBe('03');
  const other = new pg.Client({ connectionString: url });
  await other.connect();
  try {
    await other.query('UPDATE timebook SET published = false WHERE "herId" = 9100001');
    expect((await free()).code).toBe('04');
    await other.query('UPDATE timebook SET published = true WHERE "herId" = 9100001');
    expect((await free()).code).toBe('03');
  } finally {
    await other.end();
  }
});
