import { join } from 'node:path';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { FIXTURES, TR, attr, replay, text } from './helpers.js';

let schemas: SchemaSet;
beforeAll(async () => {
  schemas = await loadSchemaSet();
});
afterAll(() => schemas.dispose());

const f = (name: string) => join(FIXTURES, name);

async function single(name: string) {
  const run = await replay(schemas, [f(name)]);
  expect(run.code).toBe(0);
  const files = run.files();
  return { run, files, xml: files[0] ? run.read(files[0]) : '' };
}

describe('pipeline answers to bad or refused messages', () => {
  test.each([
    ['rt-bad-check-digits.xml', 'E31'],
    ['rt-schema-invalid.xml', 'T02'],
    ['rt-unknown-receiver.xml', 'E21'],
    ['rt-process-not-activated.xml', 'T10'],
  ])('%s gets a negative AppRec with %s and nothing else', async (name, code) => {
    const { files, xml } = await single(name);
    expect(files).toHaveLength(1);
    expect(attr(xml, 'Status', 'V')).toBe('2');
    expect(attr(xml, 'Error', 'V')).toBe(code);
    expect(schemas.validate(xml).valid).toBe(true);
  });

  test('a T02 AppRec names the element and rule, never the value or the patient', async () => {
    const { xml } = await single('rt-schema-invalid.xml');
    const ot = attr(xml, 'Error', 'OT') ?? '';
    expect(ot).toMatch(/MIGversion/);
    expect(ot).not.toMatch(/v1\.1 2005-01-01/);
    expect(ot).not.toMatch(/13116900216/);
  });

  test('a ReserverAvtale without xCal gets a positive AppRec and 26', async () => {
    const { run, files } = await single('rt-no-xcal.xml');
    expect(attr(run.read(files[1] as string), 'TemaKodet', 'V')).toBe('26');
  });

  test.each([
    ['not-well-formed.xml', 'transport:not-well-formed-xml', '8093248_error'],
    ['doctype-xxe.xml', 'transport:not-well-formed-xml', '8093248_error'],
    ['rt-unknown-sender.xml', 'transport:invalid-field-value', null],
  ])('%s is reported on the error queue as %s', async (name, condition, queue) => {
    const { run, files, xml } = await single(name);
    expect(files).toEqual([expect.stringMatching(/error-report\.json$/)]);
    const report = JSON.parse(xml) as Record<string, string>;
    expect(report.errorCondition).toBe(condition);
    expect(report.originalMessageId).toBe(name);
    if (queue) expect(run.lines[0]).toContain(queue);
    expect(xml).not.toContain('passwd');
  });

  test('same MsgId with other content gets E10 and books nothing more', async () => {
    const run = await replay(schemas, [join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml'), f('rt-same-msgid-other-content.xml')]);
    const second = run.files().filter((n) => n.startsWith('002'));
    expect(second).toHaveLength(1);
    expect(attr(run.read(second[0] as string), 'Error', 'V')).toBe('E10');
  });

  test('HentLedigeTimer inside the horizon returns 03 with one TENTATIVE VEVENT per free slot', async () => {
    const { xml } = await single('hlt-2019-07.xml');
    expect(attr(xml, 'TemaKodet', 'V')).toBe('03');
    const statuses = text(xml, 'text').filter((t) => t === 'TENTATIVE');
    expect(statuses.length).toBeGreaterThan(0);
    expect(text(xml, 'date-time').every((d) => /^2019-07-0[23]T\d\d:\d\d:00$/.test(d))).toBe(true);
    expect(schemas.validate(xml).valid).toBe(true);
  });

  test('an inbound AppRec is recorded and answers nothing', async () => {
    const { run, files } = await single('apprec-from-helsenorge.xml');
    expect(files).toEqual([]);
    expect(run.lines[0]).toMatch(/recorded/);
  });
});
