import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Database } from '../../../src/db/database.js';
import { FixedClock } from '../../../src/shared/clock.js';
import { importTimebooks } from '../../../src/timebook/timebook.import.js';
import { TimebookService } from '../../../src/timebook/timebook.service.js';
import { loadTimebooksFile } from '../../../src/timebook/timebooks.file.js';
import { MONDAY_0800, fixture, openTimebookDb, patient } from './world.js';

/**
 * The timebook definitions cache: two "processes" (two Database connections) on one SQLite file. One
 * caches the books; the other changes them with plain SQL, as a writer that knows nothing of Timebok
 * (the admin API, psql) would. The trigger-bumped generation makes the first see the change at once.
 */
let dir: string;
let a: Database;
let b: Database;
const clock = new FixedClock(MONDAY_0800);

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'timebok-cache-'));
  const url = `sqlite:${path.join(dir, 'cache.sqlite')}`;
  a = await openTimebookDb(url);
  b = await openTimebookDb(url);
  await importTimebooks(a, await loadTimebooksFile(fixture('race.timebooks.json')), clock);
});
afterEach(async () => {
  await a.close();
  await b.close();
  rmSync(dir, { recursive: true, force: true });
});

const free = (db: Database, service: TimebookService) =>
  db.run((tx) => service.findFreeSlots(tx, { receiverHerId: 9100001, patient: patient('OLD'), fromDate: null, toDate: null }));

test('a book unpublished by another writer is no longer offered on the next request, with no call into Timebok', async () => {
  const service = new TimebookService(clock);
  expect((await free(a, service)).code).toBe('03');
  await b.query('UPDATE timebook SET published = ? WHERE "herId" = ?', [false, 9100001]);
  expect((await free(a, service)).code).toBe('04');
  await b.query('UPDATE timebook SET published = ? WHERE "herId" = ?', [true, 9100001]);
  expect((await free(a, service)).code).toBe('03');
});

test('reads the definitions once while nothing changes: one generation check per transaction', async () => {
  const service = new TimebookService(clock);
  await free(a, service);
  const before = a.counter.statements;
  await free(a, service);
  // the generation check and the free-slot query of the one book; no timebook read
  expect(a.counter.statements - before).toBe(2);
});

test('a book another writer adds at a HER-id is seen on the next request', async () => {
  const service = new TimebookService(clock);
  await b.query('DELETE FROM timebook');
  expect((await free(a, service)).code).toBe('04');
  await importTimebooks(b, await loadTimebooksFile(fixture('race.timebooks.json')), clock);
  expect((await free(a, service)).code).toBe('03');
});
