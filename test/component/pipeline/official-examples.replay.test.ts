import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { EXAMPLES, TR, attr, replay, text } from './helpers.js';

let schemas: SchemaSet;
beforeAll(async () => {
  schemas = await loadSchemaSet();
});
afterAll(() => schemas.dispose());

/** Every citizen → practice message among the official examples (requests, whatever the process). */
function inboundExamples(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/--(Foresporsel-innbygger|Innbygger)--/.test(e.name)) files.push(p);
    }
  };
  walk(EXAMPLES);
  return files.sort();
}

describe('replaying the official 2019 examples', () => {
  test('every inbound example gets at least one answer and every answer validates against the schemas', async () => {
    const inbound = inboundExamples();
    expect(inbound.length).toBeGreaterThanOrEqual(13);
    for (const file of inbound) {
      // Fresh database per file: the examples reuse MsgIds across functions (DECISIONS 20).
      const run = await replay(schemas, [file]);
      expect(run.code).toBe(0);
      expect(run.lines).toHaveLength(1);
      const outputs = run.files();
      expect(outputs.length).toBeGreaterThan(0);
      for (const name of outputs.filter((n) => n.endsWith('.xml'))) {
        const result = schemas.validate(run.read(name));
        expect({ file: name, issues: result.issues }).toEqual({ file: name, issues: [] });
      }
    }
  });

  test('ReserverAvtale books the slot: positive AppRec, then 05 with uid = appointment and related-to = slot', async () => {
    const run = await replay(schemas, [join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml')]);
    const [apprec, reply] = run.files();
    expect(apprec).toMatch(/apprec-1\.xml$/);
    expect(attr(run.read(apprec as string), 'Status', 'V')).toBe('1');
    const xml = run.read(reply as string);
    expect(attr(xml, 'TemaKodet', 'V')).toBe('05');
    expect(text(xml, 'RefToParent')).toEqual(['8325fcb5-89a9-11e3-baa8-0800200c9a66']);
    expect(text(xml, 'uri')).toEqual(['4088E990AD89CB3DBB484909']);
    expect(text(xml, 'text')).toContain('91095');
    // Sender and receiver swapped: we (1234/91095) send to Helsenorge (115851/8093248).
    expect(text(xml, 'Id').slice(0, 5)).toEqual(['971318864', '1234', '91095', '9144889', '115851']);
  });

  test('a replayed ReserverAvtale is a duplicate: the same reply bytes again, and nothing booked twice', async () => {
    const rt = join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml');
    const first = await replay(schemas, [rt]);
    const again = await replay(schemas, [rt], { db: first.db });
    expect(again.lines[0]).toMatch(/duplicate/);
    const firstReply = first.files().find((n) => n.includes('reply-05')) as string;
    const againReply = again.files().find((n) => n.includes('reply-05')) as string;
    expect(again.read(againReply)).toBe(first.read(firstReply));
  });

  test('AvbestillAvtale after ReserverAvtale cancels the appointment (08); a second booking of the freed slot works', async () => {
    const run = await replay(schemas, [
      join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml'),
      join(TR, 'Avbestill-time--Foresporsel-innbygger--Avbestill-reservert-time.xml'),
    ]);
    const cancel = run.files().find((n) => n.startsWith('002') && n.includes('reply')) as string;
    expect(attr(run.read(cancel), 'TemaKodet', 'V')).toBe('08');
  });

  test('AVTALEAVBESTILLING (spelled AVTALEBESTILLING in the examples) is answered under the correct process name', async () => {
    const run = await replay(schemas, [
      join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml'),
      join(EXAMPLES, 'DIALOG_INNBYGGER_AVTALEAVBESTILLING/1.0/Avbestill-time--Foresporsel-innbygger--Avbestill-reservert-time.xml'),
    ]);
    const reply = run.files().find((n) => n.startsWith('002') && n.includes('reply')) as string;
    const xml = run.read(reply);
    expect(attr(xml, 'Type', 'V')).toBe('DIALOG_INNBYGGER_AVTALEAVBESTILLING');
    expect(attr(xml, 'TemaKodet', 'V')).toBe('08');
  });

  test('HentLedigeTimer for 2014 (outside the bookable range) gets 04 with Ack N and no xCal', async () => {
    const run = await replay(schemas, [join(TR, 'Ledige-timer--Foresporsel-innbygger--Hent-ledige-timer.xml')]);
    const [reply] = run.files();
    const xml = run.read(reply as string);
    expect(attr(xml, 'TemaKodet', 'V')).toBe('04');
    expect(attr(xml, 'Ack', 'V')).toBe('N');
    expect(xml).not.toContain('icalendar');
  });

  test('the HentPlanlagteTimer example (coded HLT without dates) is answered as HBT: 02, no appointments', async () => {
    const run = await replay(schemas, [join(TR, 'Planlagte-timer--Foresporsel-innbygger--Hent-planlagte-timer.xml')]);
    const [reply] = run.files();
    expect(attr(run.read(reply as string), 'TemaKodet', 'V')).toBe('02');
  });

  test('HentPlanlagteTimer after a booking lists it as CONFIRMED (01)', async () => {
    const run = await replay(schemas, [
      join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml'),
      join(TR, 'Planlagte-timer--Foresporsel-innbygger--Hent-planlagte-timer.xml'),
    ]);
    // The planned-times example is addressed to another receiver (95316), which has no booking: 02.
    const reply = run.files().find((n) => n.startsWith('002')) as string;
    expect(attr(run.read(reply), 'TemaKodet', 'V')).toBe('02');
  });

  test('Timeønske (OT) gets a positive AppRec now; the answer waits for staff', async () => {
    const run = await replay(schemas, [join(EXAMPLES, 'DIALOG_INNBYGGER_TIMEONSKE/1.2/Onske-om-time--Foresporsel-innbygger--Onske-om-time.xml')]);
    expect(run.files()).toEqual([expect.stringMatching(/apprec-1\.xml$/)]);
    expect(run.lines[0]).toMatch(/pending/);
  });

  test('messages to receivers that are not ours get AppRec E21 (async) or 26 (sync)', async () => {
    const run = await replay(schemas, [
      join(EXAMPLES, 'DIALOG_INNBYGGER_TIMER/1.1/Henvendelse--Foresporsel-innbygger--Henvendelse.xml'),
      join(EXAMPLES, 'DIALOG_INNBYGGER_BEHANDLEROVERSIKT/1.1/Behandleroversikt--Foresporsel-innbygger--Hent-behandlere.xml'),
    ]);
    const [first, second] = run.files();
    expect(attr(run.read(first as string), 'Error', 'V')).toBe('E21');
    expect(attr(run.read(second as string), 'TemaKodet', 'V')).toBe('26');
  });
});
