import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { parseMsgHead } from '../../src/envelope/msghead.parser.js';
import { loadSchemaSet, type SchemaSet } from '../../src/envelope/schema.validator.js';
import { guardXml } from '../../src/envelope/xml.guard.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../..');
const OFFICIAL = path.join(ROOT, 'fixtures/helsenorge-2019');
const HAND_MADE = path.join(ROOT, 'schemas/examples');

function xmlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = path.join(dir, name);
      return statSync(p).isDirectory() ? xmlFiles(p) : p.endsWith('.xml') ? [p] : [];
    });
}

const officialFiles = xmlFiles(OFFICIAL);
const rel = (file: string): string => path.relative(ROOT, file);

describe('the official 2019 Helsenorge examples and the hand-made schema examples', () => {
  let bundle: SchemaSet;
  let ebxml: SchemaSet;
  beforeAll(async () => {
    bundle = await loadSchemaSet();
    ebxml = await loadSchemaSet(undefined, 'msg-header-2_0.xsd');
  });
  afterAll(() => {
    bundle.dispose();
    ebxml.dispose();
  });

  it('finds all 52 official examples', () => {
    expect(officialFiles).toHaveLength(52);
  });

  it.each(officialFiles.map((f) => [rel(f), f]))('%s passes the guard, validates and parses', (_name, file) => {
    const text = guardXml(readFileSync(file));
    expect(bundle.validate(text)).toEqual({ valid: true, issues: [] });
    const message = parseMsgHead(text);
    expect(message.msgId).toMatch(/^[0-9a-f-]{36}$/);
    expect(message.process).toMatch(/^DIALOG_INNBYGGER_/);
    expect(message.functionCode).not.toBeNull();
    expect(message.sender.level1.herId).not.toBeNull();
    expect(message.receiver.level2?.herId ?? message.receiver.level1.herId).not.toBeNull();
    expect(message.patient?.idType).toBe('FNR');
    expect(message.documentKinds[0]).toBe('Dialogmelding');
  });

  const handMade: Array<[string, 'bundle' | 'ebxml', boolean]> = [
    ['apprec-1.0.xml', 'bundle', true],
    ['apprec-1.1-avvist.xml', 'bundle', true],
    ['apprec-1.1-invalid-no-status.xml', 'bundle', false],
    ['dialogmelding-1.1-foresporsel.xml', 'bundle', true],
    ['msghead-base64.xml', 'bundle', true],
    ['msghead-dialogmelding-1.1.xml', 'bundle', true],
    ['msghead-invalid-missing-receiver.xml', 'bundle', false],
    ['ebxml-envelope.xml', 'ebxml', true],
  ];

  it('covers every hand-made example', () => {
    expect(xmlFiles(HAND_MADE).map((f) => path.basename(f)).sort()).toEqual(handMade.map(([name]) => name).sort());
  });

  it.each(handMade.map(([name, set, valid]) => [name, valid ? 'valid' : 'invalid', set]))(
    'schemas/examples/%s is %s',
    (name, expected, set) => {
      const schemas = set === 'ebxml' ? ebxml : bundle;
      const result = schemas.validate(guardXml(readFileSync(path.join(HAND_MADE, name as string))));
      expect(result.valid ? 'valid' : 'invalid').toBe(expected);
      if (!result.valid) expect(result.issues.length).toBeGreaterThan(0);
    },
  );

  it('reads the hand-made MsgHead examples: a base64 attachment and a schema-invalid message', () => {
    const base64 = parseMsgHead(guardXml(readFileSync(path.join(HAND_MADE, 'msghead-base64.xml'))));
    expect(base64.attachments).toEqual([
      { msgType: 'A', mimeType: 'text/plain', description: 'Vedlegg som base64', content: 'SGVpIGZyYSBlaWVuIHRlc3Q=' },
    ]);
    const missingReceiver = parseMsgHead(guardXml(readFileSync(path.join(HAND_MADE, 'msghead-invalid-missing-receiver.xml'))));
    expect(missingReceiver.receiver.level1.herId).toBeNull();
    expect(missingReceiver.sender.level1.herId).not.toBeNull();
  });
});
