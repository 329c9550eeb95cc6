import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { XmlCData, XmlElement, XmlText } from 'libxml2-wasm';

import { flattenText, readXml, withDocument, type XNode } from '../../../src/envelope/xml.read.js';
import { TimebokError } from '../../../src/shared/errors.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const OFFICIAL = path.resolve(here, '../../../fixtures/helsenorge-2019');

function xmlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? xmlFiles(p) : p.endsWith('.xml') ? [p] : [];
  });
}

/** The same shape as XNode, read through libxml2: the reference the fast reader is compared with. */
interface Shape {
  ns: string;
  name: string;
  attrs: Record<string, string>;
  text: string;
  children: Shape[];
}

function libxml2Shape(el: XmlElement): Shape {
  const attrs: Record<string, string> = {};
  for (const a of el.attrs) attrs[a.prefix ? `${a.prefix}:${a.name}` : a.name] = a.value;
  const shape: Shape = { ns: el.namespaceUri, name: el.name, attrs, text: '', children: [] };
  for (let c = el.firstChild; c !== null; c = c.next) {
    if (c instanceof XmlElement) shape.children.push(libxml2Shape(c));
    else if (c instanceof XmlText || c instanceof XmlCData) shape.text += c.content;
  }
  return shape;
}

function readerShape(node: XNode): Shape {
  return {
    ns: node.ns,
    name: node.name,
    attrs: { ...node.attrs },
    text: node.content.filter((c): c is string => typeof c === 'string').join(''),
    children: node.children.map(readerShape),
  };
}

function thrownCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof TimebokError) return e.code;
    throw e;
  }
  return 'none';
}

describe('readXml', () => {
  it('reads every official, hand-written and test message exactly as libxml2 does (names, namespaces, attributes, text)', () => {
    const files = [
      ...xmlFiles(OFFICIAL),
      ...xmlFiles(path.resolve(here, '../../../schemas/examples')),
      ...xmlFiles(path.resolve(here, '../../fixtures/envelope/messages')),
    ];
    expect(files.length).toBeGreaterThanOrEqual(52 + 8 + 3);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const expected = withDocument(text, (doc) => libxml2Shape(doc.root));
      expect({ file, shape: readerShape(readXml(text).root) }).toEqual({ file, shape: expected });
    }
  });

  it('resolves prefixes, default namespaces and their undeclaration per element', () => {
    const { root } = readXml('<a xmlns="urn:a" xmlns:p="urn:p"><p:b><c xmlns=""/></p:b><d xmlns:p="urn:q"><p:e/></d></a>');
    expect(root.ns).toBe('urn:a');
    const b = root.children[0]!;
    expect([b.ns, b.name]).toEqual(['urn:p', 'b']);
    expect(b.children[0]!.ns).toBe('');
    expect(root.children[1]!.children[0]!.ns).toBe('urn:q');
  });

  it('does not resolve prefixes named after Object.prototype members', () => {
    expect(readXml('<constructor:a/>').root.ns).toBe('');
  });

  it('decodes predefined entities and character references, keeps CDATA verbatim and normalises CRLF', () => {
    const { root } = readXml('<a t="x&amp;y&#9;z\r\nw">1 &lt; 2 &#x2014; &#248;\r\n<![CDATA[<b>&amp;</b>]]></a>');
    expect(root.attrs.t).toBe('x&y\tz w');
    expect(root.content.join('')).toBe('1 < 2 — ø\n<b>&amp;</b>');
  });

  it('keeps the source offsets of each element so a payload can be copied as received', () => {
    const xml = '<r><p:x xmlns:p="urn:p" a="1">t<y/></p:x></r>';
    const { root, source } = readXml(xml);
    const x = root.children[0]!;
    expect(source.slice(x.start, x.end)).toBe('<p:x xmlns:p="urn:p" a="1">t<y/></p:x>');
  });

  it.each([
    ['mismatched tags', '<a><b></a></b>', 'ERR_ENVELOPE_NOT_WELL_FORMED'],
    ['an unclosed element', '<a><b/>', 'ERR_ENVELOPE_NOT_WELL_FORMED'],
    ['two roots', '<a/><b/>', 'ERR_ENVELOPE_NOT_WELL_FORMED'],
    ['no element at all', 'just text', 'ERR_ENVELOPE_NOT_WELL_FORMED'],
    ['a DOCTYPE', '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', 'ERR_ENVELOPE_DOCTYPE'],
  ])('refuses %s if called on unguarded text', (_what, xml, code) => {
    expect(thrownCode(() => readXml(xml))).toBe(code);
  });

  it('refuses nesting deeper than the limit without recursion', () => {
    const deep = `${'<a>'.repeat(50_000)}${'</a>'.repeat(50_000)}`;
    expect(thrownCode(() => readXml(deep, 100))).toBe('ERR_ENVELOPE_TOO_DEEP');
  });
});

describe('flattenText', () => {
  it('turns XHTML paragraphs and line breaks into lines and collapses spaces', () => {
    const { root } = readXml('<S><div xmlns="http://www.w3.org/1999/xhtml"><p>Kan  timen\n flyttes?</p><p>Ja <b>takk</b><br/>Hilsen</p></div></S>');
    expect(flattenText(root)).toBe('Kan timen\nflyttes?\nJa takk\nHilsen');
  });

  it('returns plain text trimmed', () => {
    expect(flattenText(readXml('<S>  Hei. Jeg ønsker time.  </S>').root)).toBe('Hei. Jeg ønsker time.');
  });
});
