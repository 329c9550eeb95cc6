import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { runReplay } from '../../src/cli/replay.command.js';
import { loadSchemaSet, type SchemaSet } from '../../src/envelope/schema.validator.js';
import { freshDatabase } from './pg.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../..');
const TR = path.join(ROOT, 'fixtures/helsenorge-2019/DIALOG_INNBYGGER_TIMERESERVASJON/1.2');

let schemas: SchemaSet;
let db: { url: string; drop: () => Promise<void> };
beforeAll(async () => {
  schemas = await loadSchemaSet();
  db = await freshDatabase('pipeline');
});
afterAll(async () => {
  schemas.dispose();
  await db.drop();
});

async function replayOnPg(messages: string[]) {
  const out = mkdtempSync(path.join(tmpdir(), 'timebok-pg-out-'));
  const lines: string[] = [];
  const code = await runReplay(
    { setup: path.join(ROOT, 'fixtures/replay-2019'), db: db.url, now: '2019-07-01T09:00', out, messages, schemas },
    (l) => lines.push(l),
  );
  const files = readdirSync(out).sort();
  return { code, lines, files, read: (n: string) => readFileSync(path.join(out, n), 'utf8') };
}

test('the whole pipeline runs on PostgreSQL: book (05), duplicate re-sent from the store, cancel (08)', async () => {
  const rt = path.join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml');
  const first = await replayOnPg([rt]);
  expect(first.code).toBe(0);
  expect(first.lines[0]).toMatch(/reply 05/);
  const again = await replayOnPg([rt, path.join(TR, 'Avbestill-time--Foresporsel-innbygger--Avbestill-reservert-time.xml')]);
  expect(again.lines[0]).toMatch(/duplicate/);
  expect(again.lines[1]).toMatch(/reply 08/);
  const reply05 = (r: typeof first) => r.read(r.files.find((n) => n.includes('reply-05')) as string);
  expect(reply05(again)).toBe(reply05(first));
  for (const name of again.files.filter((n) => n.endsWith('.xml'))) expect(schemas.validate(again.read(name)).valid).toBe(true);
});
