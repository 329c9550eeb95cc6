import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TimebokError } from '../../../src/shared/errors.js';
import { loadTimebooksFile, parseTimebooksFile } from '../../../src/timebook/timebooks.file.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => path.resolve(here, '../../fixtures/timebook', name);
const repoFile = (name: string) => path.resolve(here, '../../..', name);

interface InvalidCase {
  case: string;
  path: string;
  document: unknown;
}
const invalid = JSON.parse(readFileSync(fixture('invalid-cases.json'), 'utf8')) as InvalidCase[];

function setupErrorOf(fn: () => unknown): TimebokError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TimebokError) return e;
    throw e;
  }
  throw new Error('expected ERR_SETUP_FILE, nothing was thrown');
}

async function setupErrorOfAsync(fn: () => Promise<unknown>): Promise<TimebokError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof TimebokError) return e;
    throw e;
  }
  throw new Error('expected ERR_SETUP_FILE, nothing was thrown');
}

describe('parseTimebooksFile: refusals name the JSON path of the problem', () => {
  it.each(invalid.map((c) => [c.case, c] as const))('refuses %s', (_name, c) => {
    const error = setupErrorOf(() => parseTimebooksFile(c.document));
    expect(error.code).toBe('ERR_SETUP_FILE');
    expect(error.disposition).toBe('crash');
    expect(error.detail?.path).toBe(c.path);
    expect(error.message).toContain(c.path === '' ? '(top level)' : c.path);
  });

  it('never repeats a fødselsnummer from the file in the error', () => {
    const bad = invalid.filter((c) => c.case.includes('check digits'));
    expect(bad.length).toBeGreaterThan(0);
    for (const c of bad) {
      const error = setupErrorOf(() => parseTimebooksFile(c.document));
      const everything = `${error.message} ${JSON.stringify(error.detail)}`;
      for (const id of JSON.stringify(c.document).match(/\d{11}/g) ?? []) expect(everything).not.toContain(id);
    }
  });

  it('reports every problem in detail.problems, the first one in the message', () => {
    const error = setupErrorOf(() =>
      parseTimebooksFile({ timebooks: [{ id: 'x', herId: 'y', kind: 'Lab', name: 'n', publsihed: true }] }),
    );
    const problems = error.detail?.problems as { path: string }[];
    expect(problems.map((p) => p.path)).toEqual(['timebooks[0].herId', 'timebooks[0].publsihed']);
    expect(error.message).toMatch(/timebooks\[0\]\.herId.*and 1 more problem/);
  });
});

describe('parseTimebooksFile: defaults', () => {
  it('fills in the documented defaults', async () => {
    const file = await loadTimebooksFile(fixture('minimal.timebooks.json'));
    expect(file.timeZone).toBe('Europe/Oslo');
    expect(file.listPatients).toEqual({});
    const [lab, gp] = file.timebooks;
    expect(lab).toEqual({
      id: 'lab',
      herId: 8142521,
      kind: 'Lab',
      name: 'Blodprøver',
      text: null,
      location: null,
      published: true,
      prerequisites: null,
      eligibility: null,
      form: null,
      confirmation: 'auto',
      minNoticeMinutes: 0,
      horizonDays: 60,
      cancelCutoffMinutes: 0,
      maxActivePerPatient: null,
      urgentBookableDigitally: false,
      schedule: [],
      slots: [],
      validFrom: null,
      validTo: null,
      videoMeeting: null,
      timeZone: 'Europe/Oslo',
    });
    expect(gp).toMatchObject({
      confirmation: 'manual',
      timeZone: 'Europe/London',
      schedule: [{ days: ['mon'], from: '08:00', to: '24:00', slotMinutes: 60, capacity: 1, type: 'Ordinær' }],
    });
  });

  it('accepts the documented example (docs/file-formats.md), the demo world and the 2019 replay set-up', async () => {
    const example = await loadTimebooksFile(fixture('file-formats-example.timebooks.json'));
    expect(example.timebooks[0]).toMatchObject({ id: 'influensa-sentrum', confirmation: 'auto', validTo: '2026-04-30' });
    const demo = await loadTimebooksFile(repoFile('fixtures/demo/timebooks.json'));
    expect(demo.timebooks.map((b) => b.herId)).toEqual(expect.arrayContaining([8142520, 8142521, 8142522, 8142530]));
    const replay = await loadTimebooksFile(repoFile('fixtures/replay-2019/timebooks.json'));
    expect(replay.timebooks[0]!.slots[0]!.id).toBe('4088E990AD89CB3DBB484909');
  });
});

describe('loadTimebooksFile', () => {
  it('reports broken JSON with line and column, without quoting the file', async () => {
    const error = await setupErrorOfAsync(() => loadTimebooksFile(fixture('broken.timebooks.json')));
    expect(error.code).toBe('ERR_SETUP_FILE');
    expect(error.detail).toMatchObject({ line: 3, column: 47 });
    expect(error.message).toContain('line 3, column 47');
    expect(error.message).not.toMatch(/\d{11}/);
  });

  it('reports a file that cannot be read', async () => {
    const error = await setupErrorOfAsync(() => loadTimebooksFile(fixture('does-not-exist.json')));
    expect(error.code).toBe('ERR_SETUP_FILE');
    expect(error.message).toContain('ENOENT');
  });
});
