import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { DEFAULT_XML_LIMITS, type XmlLimits } from '../../../src/envelope/types.js';
import { guardXml } from '../../../src/envelope/xml.guard.js';
import { withDocument } from '../../../src/envelope/xml.read.js';
import { ERROR_TABLE, TimebokError } from '../../../src/shared/errors.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const hostile = (name: string): Buffer => readFileSync(path.resolve(here, '../../fixtures/envelope/hostile', name));
const official = (name: string): Buffer =>
  readFileSync(path.resolve(here, '../../../fixtures/helsenorge-2019/DIALOG_INNBYGGER_TIMERESERVASJON/1.2', name));

const MIB = 1024 * 1024;
const RAISED: XmlLimits = { ...DEFAULT_XML_LIMITS, maxBytes: 20 * MIB };

function refusal(body: Uint8Array, limits: XmlLimits = DEFAULT_XML_LIMITS): TimebokError {
  try {
    guardXml(body, limits);
  } catch (e) {
    if (e instanceof TimebokError) return e;
    throw e;
  }
  throw new Error('the guard accepted the body');
}

function timed<T>(fn: () => T): { result: T; ms: number } {
  const start = performance.now();
  const result = fn();
  return { result, ms: performance.now() - start };
}

/** Pads an official request with a comment to `size` bytes (size tests need bodies no fixture should hold). */
function paddedTo(size: number, prefix = ''): Buffer {
  const doc = official('Reserver-time--Foresporsel-innbygger--Reserver-time.xml').toString('utf8');
  const body = doc.replace('<MsgHead ', `${prefix}<MsgHead `);
  const filler = size - Buffer.byteLength(body) - '<!---->'.length;
  return Buffer.from(`${body}<!--${'x'.repeat(filler)}-->`);
}

describe('guardXml', () => {
  it('returns the decoded text of an official request unchanged', () => {
    const body = official('Reserver-time--Foresporsel-innbygger--Reserver-time.xml');
    expect(guardXml(body)).toBe(body.toString('utf8'));
  });

  it('uses only codes from the error table, all reported on the error queue as transport errors', () => {
    for (const code of ['ERR_ENVELOPE_TOO_LARGE', 'ERR_ENVELOPE_ENCODING', 'ERR_ENVELOPE_DOCTYPE', 'ERR_ENVELOPE_TOO_DEEP', 'ERR_ENVELOPE_NOT_WELL_FORMED'] as const) {
      expect(ERROR_TABLE[code]?.disposition).toBe('transport');
    }
  });

  describe('size', () => {
    it('refuses a 15 MiB body over the 1 MiB default limit in under 100 ms', () => {
      const body = paddedTo(15 * MIB);
      const { result, ms } = timed(() => refusal(body));
      expect(result.code).toBe('ERR_ENVELOPE_TOO_LARGE');
      expect(ms).toBeLessThan(100);
    });

    it('accepts a body of exactly the limit and refuses one byte more', () => {
      const limits = { ...DEFAULT_XML_LIMITS, maxBytes: 64 * 1024 };
      expect(() => guardXml(paddedTo(64 * 1024), limits)).not.toThrow();
      expect(refusal(paddedTo(64 * 1024 + 1), limits).code).toBe('ERR_ENVELOPE_TOO_LARGE');
    });

    it("accepts a 15 MiB body when the limit allows it (libxml2's 10 MB text limit is lifted)", () => {
      const body = paddedTo(15 * MIB);
      expect(Buffer.byteLength(guardXml(body, RAISED))).toBe(body.length);
    });

    it('refuses a 15 MiB body with a DOCTYPE in under 100 ms even when the size limit allows it', () => {
      const body = paddedTo(15 * MIB, '<!DOCTYPE MsgHead [<!ENTITY a "b">]>\n');
      const { result, ms } = timed(() => refusal(body, RAISED));
      expect(result.code).toBe('ERR_ENVELOPE_DOCTYPE');
      expect(ms).toBeLessThan(100);
    });
  });

  describe('DOCTYPE and entities', () => {
    it.each([
      ['an external DTD', 'doctype-external-dtd.xml'],
      ['a lower-case doctype', 'doctype-lowercase.xml'],
      ['a billion-laughs entity bomb', 'billion-laughs.xml'],
      ['an external entity pointing at /etc/passwd (XXE)', 'xxe-file.xml'],
      ['a remote parameter entity', 'parameter-entity.xml'],
    ])('refuses %s without expanding anything', (_what, file) => {
      const { result, ms } = timed(() => refusal(hostile(file)));
      expect(result.code).toBe('ERR_ENVELOPE_DOCTYPE');
      expect(ms).toBeLessThan(100);
    });

    it('does not echo the entity or file name in the message', () => {
      const e = refusal(hostile('xxe-file.xml'));
      expect(e.message).not.toContain('passwd');
      expect(e.message).not.toContain('xxe');
    });
  });

  describe('nesting depth', () => {
    it('refuses 10,000 nested elements in under 100 ms', () => {
      const { result, ms } = timed(() => refusal(hostile('deep-nesting-10000.xml')));
      expect(result.code).toBe('ERR_ENVELOPE_TOO_DEEP');
      expect(ms).toBeLessThan(100);
    });

    it('accepts nesting of exactly the limit (100) and refuses 101', () => {
      expect(() => guardXml(hostile('nesting-100.xml'))).not.toThrow();
      expect(refusal(hostile('nesting-101.xml')).code).toBe('ERR_ENVELOPE_TOO_DEEP');
    });
  });

  describe('encoding', () => {
    it('refuses invalid UTF-8 and names the line, not the bytes', () => {
      const e = refusal(hostile('invalid-utf8.xml'));
      expect(e.code).toBe('ERR_ENVELOPE_ENCODING');
      expect(e.message).toContain('line 3');
      expect(e.detail).toMatchObject({ line: 3 });
    });

    it('refuses UTF-16', () => {
      expect(refusal(hostile('utf16le-bom.xml')).code).toBe('ERR_ENVELOPE_ENCODING');
    });

    it('refuses a declared encoding other than UTF-8, ISO-8859-1 or US-ASCII', () => {
      expect(refusal(hostile('unsupported-encoding.xml')).code).toBe('ERR_ENVELOPE_ENCODING');
    });

    it('decodes a body that declares ISO-8859-1, and the text then parses as what it says', () => {
      const text = guardXml(hostile('latin1-declared.xml'));
      expect(text).toContain('<Melding>Bjørn på Ås</Melding>');
      expect(withDocument(text, (doc) => doc.root.content)).toBe('Bjørn på Ås');
    });

    it('strips a UTF-8 byte-order mark', () => {
      const text = guardXml(hostile('utf8-bom.xml'));
      expect(text.startsWith('<?xml')).toBe(true);
      expect(text).toContain('Bjørn');
    });
  });

  describe('well-formedness', () => {
    it.each([
      ['an empty body', 'empty.xml'],
      ['a body of whitespace', 'whitespace-only.xml'],
      ['text that is not XML', 'not-xml.txt'],
      ['a truncated message', 'truncated.xml'],
      ['mismatched tags', 'mismatched-tags.xml'],
      ['an undefined entity', 'undefined-entity.xml'],
      ['an undeclared namespace prefix', 'undeclared-prefix.xml'],
      ['two root elements', 'two-roots.xml'],
    ])('refuses %s', (_what, file) => {
      const { result, ms } = timed(() => refusal(hostile(file)));
      expect(result.code).toBe('ERR_ENVELOPE_NOT_WELL_FORMED');
      expect(ms).toBeLessThan(100);
    });

    it('reports the line of the problem', () => {
      const e = refusal(hostile('mismatched-tags.xml'));
      expect(e.message).toMatch(/line 4/);
    });
  });
});
