import {
  DerError,
  integerHex,
  octetStringValue,
  oidValue,
  parseDer,
  rawBytes,
  timeValue,
} from '../../../src/protection/der.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('the BER/DER reader', () => {
  it('parses nested definite-length elements with their byte ranges', () => {
    // SEQUENCE { INTEGER 5, OCTET STRING 'ab' }
    const buf = hex('3007 020105 04026162');
    const root = parseDer(buf);
    expect(root.children).toHaveLength(2);
    expect(Buffer.from(rawBytes(root.children[1]!)).toString('hex')).toBe('04026162');
    expect(Buffer.from(octetStringValue(root.children[1]!)).toString()).toBe('ab');
  });

  it('joins the segments of a BER constructed OCTET STRING inside indefinite-length elements', () => {
    // SEQUENCE (indefinite) { OCTET STRING constructed (indefinite) { 'ab', 'cd' } }
    const buf = hex('3080 2480 04026162 04026364 0000 0000');
    const root = parseDer(buf);
    expect(root.indefinite).toBe(true);
    expect(Buffer.from(octetStringValue(root.children[0]!)).toString()).toBe('abcd');
  });

  it.each([
    ['a truncated element', '3005 020105'],
    ['trailing bytes', '3003 020105 00'],
    ['a length running past its parent', '3003 020405'],
    ['a missing end-of-contents', '3080 020105'],
    ['an indefinite length on a primitive', '0480 6162 0000'],
    ['an absurd length', '3085 0100000000'],
    ['empty input', ''],
  ])('refuses %s', (_name, input) => {
    expect(() => parseDer(hex(input))).toThrow(DerError);
  });

  it('refuses nesting deeper than the limit instead of recursing without end', () => {
    const depth = 100;
    const buf = Buffer.concat([Buffer.alloc(depth * 2), Buffer.alloc(depth * 2)]);
    for (let i = 0; i < depth; i++) {
      buf[i * 2] = 0x30;
      buf[i * 2 + 1] = 0x80;
    }
    expect(() => parseDer(buf)).toThrow('nesting too deep');
  });

  it('decodes object identifiers', () => {
    expect(oidValue(parseDer(hex('0609 608648016503040201')))).toBe('2.16.840.1.101.3.4.2.1');
    expect(oidValue(parseDer(hex('0609 2a864886f70d010701')))).toBe('1.2.840.113549.1.7.1');
  });

  it('reads serial numbers without the sign-padding zero', () => {
    expect(integerHex(parseDer(hex('0203 00ff01')))).toBe('FF01');
  });

  it('reads UTCTime and GeneralizedTime', () => {
    expect(timeValue(parseDer(Buffer.from('170d3230303130313030303030305a', 'hex'))).toISOString()).toBe('2020-01-01T00:00:00.000Z');
    expect(timeValue(parseDer(Buffer.from('170d3439313233313233353935395a', 'hex'))).toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(timeValue(parseDer(Buffer.from('170d3530303130313030303030305a', 'hex'))).getUTCFullYear()).toBe(1950);
    const gt = Buffer.concat([Buffer.from([0x18, 15]), Buffer.from('20510101000000Z')]);
    expect(timeValue(parseDer(gt)).toISOString()).toBe('2051-01-01T00:00:00.000Z');
  });
});
