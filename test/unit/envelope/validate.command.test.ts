import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { runValidate } from '../../../src/cli/validate.command.js';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const VALID = path.resolve(
  here,
  '../../../fixtures/helsenorge-2019/DIALOG_INNBYGGER_TIMERESERVASJON/1.2/Reserver-time--Foresporsel-innbygger--Reserver-time.xml',
);
const INVALID = path.resolve(here, '../../fixtures/envelope/messages/reserver-time-wrong-element.xml');
const BOMB = path.resolve(here, '../../fixtures/envelope/hostile/billion-laughs.xml');
const MISSING = path.resolve(here, '../../fixtures/envelope/no-such-file.xml');

describe('timebok validate', () => {
  let schemas: SchemaSet;
  beforeAll(async () => {
    schemas = await loadSchemaSet();
  });
  afterAll(() => schemas.dispose());

  async function run(files: string[]): Promise<{ code: number; lines: string[] }> {
    const lines: string[] = [];
    const code = await runValidate(files, (line) => lines.push(line), schemas);
    return { code, lines };
  }

  it('prints "valid" and exits 0 when every file is valid', async () => {
    expect(await run([VALID])).toEqual({ code: 0, lines: [`${VALID}: valid`] });
  });

  it('prints each schema error with line and element path and exits 1', async () => {
    const { code, lines } = await run([INVALID, VALID]);
    expect(code).toBe(1);
    expect(lines[0]).toBe(`${INVALID}: invalid`);
    expect(lines[1]).toMatch(
      /^ {2}line 102: \/MsgHead\/Document\[2\]\/RefDoc\/Content\/icalendar\/vcalendar\/components\/vevent\/properties\/dtstartx: Element '.*dtstartx': This element is not expected\./,
    );
    expect(lines[2]).toBe(`${VALID}: valid`);
  });

  it('reports a file the guard refuses, and a file that cannot be read, as invalid with the reason', async () => {
    const { code, lines } = await run([BOMB, MISSING]);
    expect(code).toBe(1);
    expect(lines).toEqual([
      `${BOMB}: invalid`,
      '  ERR_ENVELOPE_DOCTYPE: DOCTYPE and ENTITY declarations are not accepted',
      `${MISSING}: invalid`,
      '  cannot read file: ENOENT',
    ]);
  });

  it('loads and disposes its own schema set when none is given', async () => {
    const lines: string[] = [];
    expect(await runValidate([VALID], (l) => lines.push(l))).toBe(0);
    expect(lines).toEqual([`${VALID}: valid`]);
  });
});
