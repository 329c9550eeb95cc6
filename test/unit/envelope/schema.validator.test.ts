import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadSchemaSet, MAX_ISSUES, sanitiseSchemaMessage, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { TimebokError } from '../../../src/shared/errors.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const messages = (name: string): string => readFileSync(path.resolve(here, '../../fixtures/envelope/messages', name), 'utf8');
const hostile = (name: string): Buffer => readFileSync(path.resolve(here, '../../fixtures/envelope/hostile', name));
const ESCAPE_DIR = path.resolve(here, '../../fixtures/envelope/xsd-escape');
const RESERVER_TIME = path.resolve(
  here,
  '../../../fixtures/helsenorge-2019/DIALOG_INNBYGGER_TIMERESERVASJON/1.2/Reserver-time--Foresporsel-innbygger--Reserver-time.xml',
);

async function loadError(dir: string, root: string): Promise<TimebokError> {
  try {
    (await loadSchemaSet(dir, root)).dispose();
  } catch (e) {
    if (e instanceof TimebokError) return e;
    throw e;
  }
  throw new Error('the schema set compiled');
}

describe('schema set (booking-bundle.xsd)', () => {
  let schemas: SchemaSet;
  beforeAll(async () => {
    schemas = await loadSchemaSet();
  });
  afterAll(() => schemas.dispose());

  it('finds an official ReserverAvtale request valid, as text and as bytes', () => {
    expect(schemas.validate(readFileSync(RESERVER_TIME, 'utf8'))).toEqual({ valid: true, issues: [] });
    expect(schemas.validate(readFileSync(RESERVER_TIME)).valid).toBe(true);
  });

  it('reports a wrong element with its line, element path and rule', () => {
    const result = schemas.validate(messages('reserver-time-wrong-element.xml'));
    expect(result.valid).toBe(false);
    expect(result.issues).toEqual([
      {
        line: 102,
        path: '/MsgHead/Document[2]/RefDoc/Content/icalendar/vcalendar/components/vevent/properties/dtstartx',
        message: expect.stringMatching(/^Element '\{urn:ietf:params:xml:ns:icalendar-2\.0\}dtstartx': This element is not expected\. Expected is one of \( baseProperty, /),
      },
    ]);
  });

  it('never repeats a value (here a fødselsnummer) from an invalid element or attribute in an issue', () => {
    const result = schemas.validate(messages('reserver-time-fnr-in-invalid-values.xml'));
    expect(result.valid).toBe(false);
    expect(result.issues.map((i) => i.path)).toEqual([
      '/MsgHead/Document[1]/RefDoc/IssueDate',
      '/MsgHead/Document[2]/RefDoc/Content/icalendar/vcalendar/components/vevent/properties/dtend/date-time',
    ]);
    expect(result.issues[0]!.message).toBe(
      "Element '{http://www.kith.no/xmlstds/msghead/2006-05-24}IssueDate', attribute 'V': The value is not a valid value of the local union type.",
    );
    expect(result.issues[1]!.message).toContain('The value is not a valid value of the atomic type');
    expect(JSON.stringify(result)).not.toContain('13116900216');
  });

  it('refuses to parse a document with a DOCTYPE instead of validating it', () => {
    expect(() => schemas.validate(hostile('billion-laughs.xml'))).toThrow(expect.objectContaining({ code: 'ERR_ENVELOPE_DOCTYPE' }));
    expect(() => schemas.validate(hostile('xxe-file.xml').toString('utf8'))).toThrow(
      expect.objectContaining({ code: 'ERR_ENVELOPE_DOCTYPE' }),
    );
  });

  it('reports input that is not well-formed as an error, not as a schema issue', () => {
    expect(() => schemas.validate(hostile('truncated.xml'))).toThrow(expect.objectContaining({ code: 'ERR_ENVELOPE_NOT_WELL_FORMED' }));
  });

  it(`lists at most ${MAX_ISSUES} issues and says how many more there were`, () => {
    const result = schemas.validate(messages('sixty-invalid-vevents.xml'));
    expect(result.valid).toBe(false);
    expect(result.issues).toHaveLength(MAX_ISSUES + 1);
    expect(result.issues[0]!.path).toBe('/MsgHead/Document[2]/RefDoc/Content/icalendar/vcalendar/components/vevent[1]/properties/dtstart/date-time');
    expect(result.issues[MAX_ISSUES]).toEqual({ line: null, path: null, message: '10 further schema errors not listed' });
    expect(JSON.stringify(result)).not.toContain('kl 11.45');
  });
});

describe('schema imports come only from memory', () => {
  it('serves an import of a sibling file in the schema folder', async () => {
    const schemas = await loadSchemaSet(ESCAPE_DIR, 'root-local.xsd');
    try {
      expect(schemas.validate(readFileSync(path.join(ESCAPE_DIR, 'instance-valid.xml'))).valid).toBe(true);
      expect(schemas.validate(readFileSync(path.join(ESCAPE_DIR, 'instance-invalid.xml'))).issues[0]!.message).toBe(
        "Element '{urn:example:escape}a': [facet 'pattern'] The value is not accepted by the pattern '[A-Z]{2}'.",
      );
    } finally {
      schemas.dispose();
    }
  });

  it('does not read a schema outside the folder even when the file exists on disk', async () => {
    const e = await loadError(ESCAPE_DIR, 'root-relative-escape.xsd');
    expect(e.code).toBe('ERR_CONFIG');
    expect(e.message).toContain('does not resolve');
  });

  it('does not fetch a schema over the network', async () => {
    const e = await loadError(ESCAPE_DIR, 'root-network.xsd');
    expect(e.code).toBe('ERR_CONFIG');
  });

  it('fails with ERR_CONFIG when the root schema is missing', async () => {
    expect((await loadError(ESCAPE_DIR, 'nothing-here.xsd')).code).toBe('ERR_CONFIG');
  });
});

describe('sanitiseSchemaMessage', () => {
  it.each([
    [
      "Element '{urn:x}Id': [facet 'pattern'] The value '13116900216' is not accepted by the pattern '[0-9]{11}'.\n",
      "Element '{urn:x}Id': [facet 'pattern'] The value is not accepted by the pattern '[0-9]{11}'.",
    ],
    [
      "Element '{urn:x}V': [facet 'enumeration'] The value 'Kari Nordmann' is not an element of the set {'A', 'B'}.",
      "Element '{urn:x}V': [facet 'enumeration'] The value is not an element of the set {'A', 'B'}.",
    ],
    [
      "Element '{urn:x}Navn': [facet 'maxLength'] The value 'Kari' has a length of '4'; this exceeds the allowed maximum length of '2'.",
      "Element '{urn:x}Navn': [facet 'maxLength'] The value has a length of '4'; this exceeds the allowed maximum length of '2'.",
    ],
    [
      "Element '{urn:x}d', attribute 'V': 'it's 13116900216' is not a valid value of the atomic type 'xs:date'.",
      "Element '{urn:x}d', attribute 'V': The value is not a valid value of the atomic type 'xs:date'.",
    ],
    [
      "Element '{urn:x}a': Duplicate key-sequence ['Kari', '1'] in unique identity-constraint '{urn:x}u'.",
      "Element '{urn:x}a': Duplicate key-sequence in unique identity-constraint 'u'.",
    ],
  ])('drops the value from %j', (input, expected) => {
    expect(sanitiseSchemaMessage(input)).toBe(expected);
  });

  it('removes a known value of the element wherever it is quoted', () => {
    expect(sanitiseSchemaMessage("Element '{urn:x}d': Odd message quoting 'Kari Nordmann' here.", ['Kari Nordmann'])).toBe(
      "Element '{urn:x}d': Odd message quoting the value here.",
    );
  });

  it('masks any 11-digit run that is left', () => {
    expect(sanitiseSchemaMessage("Element '{urn:x}d': unexpected 13116900216")).toBe("Element '{urn:x}d': unexpected ***********");
  });
});
