import { mkdtempSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplayUsageError, parseNow, runReplay } from '../../../src/cli/replay.command.js';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { REPLAY_SETUP, TR } from './helpers.js';

let schemas: SchemaSet;
beforeAll(async () => {
  schemas = await loadSchemaSet();
});
afterAll(() => schemas.dispose());

const RT = join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml');

function opts(setup: string, messages = [RT], now = '2019-07-01T09:00') {
  const dir = mkdtempSync(join(tmpdir(), 'timebok-cli-'));
  return { setup, db: join(dir, 'db.sqlite'), now, out: join(dir, 'out'), messages, schemas };
}

describe('timebok replay arguments', () => {
  test('--now without an offset is Europe/Oslo local time (summer: +02:00)', () => {
    expect(parseNow('2019-07-01T09:00').toISOString()).toBe('2019-07-01T07:00:00.000Z');
    expect(parseNow('2019-01-01T09:00').toISOString()).toBe('2019-01-01T08:00:00.000Z');
    expect(parseNow('2019-07-01T09:00Z').toISOString()).toBe('2019-07-01T09:00:00.000Z');
  });

  test('an unusable --now is a usage error (exit 2)', async () => {
    await expect(runReplay(opts(REPLAY_SETUP, [RT], 'tomorrow'), () => undefined)).rejects.toBeInstanceOf(ReplayUsageError);
  });

  test('a missing message file is a usage error', async () => {
    await expect(runReplay(opts(REPLAY_SETUP, ['/nonexistent.xml']), () => undefined)).rejects.toThrow(/nonexistent/);
  });

  test('a broken timebooks.json is a usage error naming the JSON path', async () => {
    const setup = mkdtempSync(join(tmpdir(), 'timebok-setup-'));
    copyFileSync(join(REPLAY_SETUP, 'registry.json'), join(setup, 'registry.json'));
    writeFileSync(join(setup, 'timebooks.json'), JSON.stringify({ timeZone: 'Europe/Oslo', timebooks: [{ id: 'x', herId: 'not-a-number' }] }));
    await expect(runReplay(opts(setup), () => undefined)).rejects.toThrow(/timebooks\[0\]\.herId/);
  });

  test('a folder is read in name order, one line per message, exit 0 even when messages are refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'timebok-msgs-'));
    mkdirSync(join(dir, 'sub'));
    copyFileSync(RT, join(dir, 'b.xml'));
    writeFileSync(join(dir, 'a.xml'), '<not-xml');
    writeFileSync(join(dir, 'ignored.txt'), 'x');
    const lines: string[] = [];
    const code = await runReplay(opts(REPLAY_SETUP, [dir]), (l) => lines.push(l));
    expect(code).toBe(0);
    expect(lines.map((l) => l.split(':')[0])).toEqual(['a.xml', 'b.xml']);
  });
});
