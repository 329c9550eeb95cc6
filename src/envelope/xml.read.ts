/**
 * The one place that turns bytes or text into a libxml2 document, with the hardened options, and the
 * small read-only tree the parsers work on. Nothing here loads a DTD, substitutes entities or reaches the
 * network: there is no DTD to load (a DOCTYPE is refused), external entities are off (`NO_XXE`) and no
 * input provider other than the schema set's in-memory one is ever registered.
 */
import { Buffer } from 'node:buffer';

import { ParseOption, XmlDocument, XmlElement, XmlParseError } from 'libxml2-wasm';
import type { ErrorDetail } from 'libxml2-wasm';

import { TimebokError } from '../shared/errors.js';

/**
 * libxml2 parse options for untrusted input: no network, no external entities, big line numbers.
 * Deliberately without `NOENT` (entity substitution) and `DTDLOAD`/`DTDATTR`/`DTDVALID`. `HUGE` lifts
 * libxml2's 10 MB limit on one text node (a base64 attachment may be larger); our own limits come first:
 * the guard caps the body at 20 MiB and the depth at `maxDepth`, and a DOCTYPE never reaches libxml2.
 */
export const SAFE_PARSE_OPTIONS: ParseOption =
  ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE | ParseOption.XML_PARSE_BIG_LINES | ParseOption.XML_PARSE_HUGE;

/** libxml2 messages may quote names or bytes of the input: keep the rule, drop the quoted parts. */
export function describeParseError(details: readonly ErrorDetail[]): { message: string; line: number | null; column: number | null } {
  const first = details.find((d) => d.level >= 2) ?? details[0];
  if (first === undefined) return { message: 'not well-formed XML', line: null, column: null };
  const rule = first.message
    .trim()
    .replace(/Bytes:.*$/s, '')
    .replace(/'[^'\n]*'|"[^"\n]*"/g, '…')
    .trim();
  return { message: rule, line: first.line || null, column: first.col || null };
}

const DOCTYPE_PATTERN = /<!\s*(DOCTYPE|ENTITY)/i;

/**
 * True when the text or bytes contain a DOCTYPE or ENTITY declaration (any case): a cheap check made before
 * libxml2 sees the input, because libxml2 still expands internal entities to measure their amplification.
 */
export function hasDoctype(xml: string | Uint8Array): boolean {
  if (typeof xml === 'string') return DOCTYPE_PATTERN.test(xml);
  const bytes = Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength);
  for (let i = bytes.indexOf('<!'); i >= 0; i = bytes.indexOf('<!', i + 2)) {
    if (DOCTYPE_PATTERN.test(bytes.subarray(i, i + 64).toString('latin1'))) return true;
  }
  return false;
}

/**
 * Parses untrusted XML with {@link SAFE_PARSE_OPTIONS}. Strings are always read as UTF-8, whatever the
 * XML declaration says (a string has already been decoded). The caller must `dispose()` the result;
 * prefer {@link withDocument}.
 *
 * @throws TimebokError `ERR_ENVELOPE_DOCTYPE` for a DOCTYPE/ENTITY declaration, `ERR_ENVELOPE_NOT_WELL_FORMED`
 *   when libxml2 refuses the input.
 */
export function parseDocument(xml: string | Uint8Array): XmlDocument {
  if (hasDoctype(xml)) {
    throw new TimebokError('ERR_ENVELOPE_DOCTYPE', 'DOCTYPE and ENTITY declarations are not accepted');
  }
  let doc: XmlDocument;
  try {
    doc =
      typeof xml === 'string'
        ? XmlDocument.fromString(xml, { option: SAFE_PARSE_OPTIONS, encoding: 'utf-8' })
        : XmlDocument.fromBuffer(xml, { option: SAFE_PARSE_OPTIONS });
  } catch (e) {
    if (e instanceof XmlParseError) {
      const d = describeParseError(e.details);
      throw new TimebokError('ERR_ENVELOPE_NOT_WELL_FORMED', `not well-formed XML${d.line ? ` at line ${d.line}` : ''}: ${d.message}`, {
        detail: { line: d.line, column: d.column },
      });
    }
    throw e;
  }
  if (doc.dtd !== null) {
    doc.dispose();
    throw new TimebokError('ERR_ENVELOPE_DOCTYPE', 'DOCTYPE and ENTITY declarations are not accepted');
  }
  return doc;
}

/** Runs `fn` on a parsed document and always disposes it (libxml2 memory is not garbage collected). */
export function withDocument<T>(xml: string | Uint8Array, fn: (doc: XmlDocument) => T): T {
  const doc = parseDocument(xml);
  try {
    return fn(doc);
  } finally {
    doc.dispose();
  }
}

/** A plain, read-only element: namespace, local name, attributes, content in order, source offsets. */
export interface XNode {
  /** Namespace URI ('' when none). */
  ns: string;
  /** Local name. */
  name: string;
  /** Attributes by name as written (`V`, `DN`, `xsi:schemaLocation`); namespace declarations are left out. */
  attrs: Record<string, string>;
  /** Element children only. */
  children: XNode[];
  /** Element children and text (entities decoded, CDATA included) in document order. */
  content: Array<XNode | string>;
  /** Offsets of the element's start tag and of the end of its end tag in {@link XmlTree.source}. */
  start: number;
  end: number;
}

export interface XmlTree {
  root: XNode;
  /** The text the offsets refer to (line endings normalised to LF, as XML requires). */
  source: string;
}

/** Prefix → namespace; child scopes inherit through the prototype chain (no Object.prototype at the root). */
const ROOT_SCOPE: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
  xml: 'http://www.w3.org/XML/1998/namespace',
});
const NAME = /[^\s/>=]+/y;
const ATTRIBUTE = /\s*([^\s/>=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/y;
const PREDEFINED = new Map([
  ['lt', '<'],
  ['gt', '>'],
  ['amp', '&'],
  ['quot', '"'],
  ['apos', "'"],
]);

/**
 * Reads XML text that the guard has accepted into a plain tree, in one linear pass with an explicit stack
 * (no recursion). libxml2 has already proved the text well-formed; this reader exists because walking
 * libxml2's tree through the wasm boundary costs several times more than the parse itself. It resolves
 * namespaces, decodes the predefined entities and character references, normalises line endings and
 * attribute whitespace as XML requires, and refuses what the guard refuses (DOCTYPE, excess depth,
 * mismatched tags) in case it is called on unguarded text.
 *
 * @throws TimebokError `ERR_ENVELOPE_DOCTYPE`, `ERR_ENVELOPE_TOO_DEEP` or `ERR_ENVELOPE_NOT_WELL_FORMED`.
 */
export function readXml(xml: string, maxDepth = 256): XmlTree {
  const source = xml.includes('\r') ? xml.replace(/\r\n?/g, '\n') : xml;
  const stack: Array<{ node: XNode; qname: string; scope: Record<string, string> }> = [];
  let root: XNode | undefined;
  let i = 0;
  while (i < source.length) {
    const lt = source.indexOf('<', i);
    const textEnd = lt < 0 ? source.length : lt;
    if (textEnd > i) addText(stack[stack.length - 1]?.node, source, i, textEnd);
    if (lt < 0) break;
    const next = source.charCodeAt(lt + 1);
    if (next === 0x21 /* ! */) i = readBang(source, lt, stack[stack.length - 1]?.node);
    else if (next === 0x3f /* ? */) i = skipPast(source, lt + 2, '?>', 'unterminated processing instruction');
    else if (next === 0x2f /* / */) {
      const close = source.indexOf('>', lt);
      const frame = stack.pop();
      if (close < 0 || frame === undefined || source.slice(lt + 2, close).trim() !== frame.qname) {
        throw readError('end tag does not match start tag', source, lt);
      }
      frame.node.end = close + 1;
      i = close + 1;
    } else {
      if (stack.length === 0 && root !== undefined) throw readError('content after the root element', source, lt);
      const tag = readStartTag(source, lt, stack[stack.length - 1]?.scope);
      const parent = stack[stack.length - 1]?.node;
      if (parent !== undefined) {
        parent.children.push(tag.node);
        parent.content.push(tag.node);
      } else root = tag.node;
      if (!tag.selfClosing) {
        if (stack.length >= maxDepth) {
          throw new TimebokError('ERR_ENVELOPE_TOO_DEEP', `element nesting deeper than ${maxDepth}`, { detail: { maxDepth } });
        }
        stack.push({ node: tag.node, qname: tag.qname, scope: tag.scope });
      }
      i = tag.end;
    }
  }
  if (root === undefined || stack.length > 0) throw readError(root === undefined ? 'no root element' : 'unclosed element', source, source.length);
  return { root, source };
}

function readError(rule: string, source: string, at: number): TimebokError {
  let line = 1;
  for (let k = source.indexOf('\n'); k >= 0 && k < at; k = source.indexOf('\n', k + 1)) line++;
  return new TimebokError('ERR_ENVELOPE_NOT_WELL_FORMED', `not well-formed XML at line ${line}: ${rule}`, { detail: { line } });
}

function addText(parent: XNode | undefined, source: string, from: number, to: number): void {
  const raw = source.slice(from, to);
  if (parent === undefined) {
    if (raw.trim() !== '') throw readError('text outside the root element', source, from);
    return;
  }
  parent.content.push(decodeEntities(raw));
}

function skipPast(source: string, from: number, terminator: string, rule: string): number {
  const end = source.indexOf(terminator, from);
  if (end < 0) throw readError(rule, source, from);
  return end + terminator.length;
}

function readBang(source: string, lt: number, parent: XNode | undefined): number {
  if (source.startsWith('<!--', lt)) return skipPast(source, lt + 4, '-->', 'unterminated comment');
  if (source.startsWith('<![CDATA[', lt)) {
    const end = skipPast(source, lt + 9, ']]>', 'unterminated CDATA section');
    if (parent === undefined) throw readError('CDATA outside the root element', source, lt);
    parent.content.push(source.slice(lt + 9, end - 3));
    return end;
  }
  if (hasDoctype(source.slice(lt, lt + 20))) {
    throw new TimebokError('ERR_ENVELOPE_DOCTYPE', 'DOCTYPE and ENTITY declarations are not accepted');
  }
  throw readError('unexpected markup declaration', source, lt);
}

function readStartTag(
  source: string,
  lt: number,
  parentScope: Record<string, string> | undefined,
): { node: XNode; qname: string; scope: Record<string, string>; selfClosing: boolean; end: number } {
  NAME.lastIndex = lt + 1;
  const qname = NAME.exec(source)?.[0];
  if (qname === undefined) throw readError('invalid start tag', source, lt);
  let pos = lt + 1 + qname.length;
  const raw: Array<[string, string]> = [];
  let scope = parentScope ?? ROOT_SCOPE;
  let ownScope = false;
  for (;;) {
    ATTRIBUTE.lastIndex = pos;
    const m = ATTRIBUTE.exec(source);
    if (m === null) break;
    const name = m[1] ?? '';
    const value = decodeEntities((m[2] ?? m[3] ?? '').replace(/[\t\n\r]/g, ' '));
    if (name === 'xmlns' || name.startsWith('xmlns:')) {
      if (!ownScope) {
        scope = Object.create(scope) as Record<string, string>;
        ownScope = true;
      }
      scope[name === 'xmlns' ? '' : name.slice(6)] = value;
    } else raw.push([name, value]);
    pos = ATTRIBUTE.lastIndex;
  }
  while (pos < source.length && /\s/.test(source[pos] ?? '')) pos++;
  const selfClosing = source.startsWith('/>', pos);
  if (!selfClosing && source[pos] !== '>') throw readError('malformed start tag', source, lt);
  const colon = qname.indexOf(':');
  const end = selfClosing ? pos + 2 : pos + 1;
  const node: XNode = {
    ns: scope[colon < 0 ? '' : qname.slice(0, colon)] ?? '',
    name: colon < 0 ? qname : qname.slice(colon + 1),
    attrs: Object.fromEntries(raw),
    children: [],
    content: [],
    start: lt,
    end,
  };
  return { node, qname, scope, selfClosing, end };
}

/** Decodes the five predefined entities and character references; anything else is left as written. */
function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return safeCodePoint(parseInt(ref.slice(2), 16), whole);
    if (ref.startsWith('#')) return safeCodePoint(parseInt(ref.slice(1), 10), whole);
    return PREDEFINED.get(ref) ?? whole;
  });
}

function safeCodePoint(cp: number, fallback: string): string {
  return Number.isInteger(cp) && cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : fallback;
}

/** Element children of a libxml2 element. */
export function elementChildren(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  // `!= null`: libxml2-wasm gives undefined, not null, for node kinds it does not model (an entity reference in a schema-invalid document: test/fixtures/hostile/regressions/schema-error-path-on-unmodelled-node.xml)
  for (let c = el.firstChild; c != null; c = c.next) if (c instanceof XmlElement) out.push(c);
  return out;
}

/** First child with this local name (any namespace: payload namespaces vary between versions). */
export function child(node: XNode | undefined, name: string): XNode | undefined {
  return node?.children.find((c) => c.name === name);
}

/** All children with this local name. */
export function childrenNamed(node: XNode | undefined, name: string): XNode[] {
  return node === undefined ? [] : node.children.filter((c) => c.name === name);
}

/** Direct text of an element (text children joined), untrimmed; undefined for a missing element. */
export function ownText(node: XNode | undefined): string | undefined {
  if (node === undefined) return undefined;
  let s = '';
  for (const c of node.content) if (typeof c === 'string') s += c;
  return s;
}

/** Trimmed direct text of the named child; undefined when the child is missing. */
export function childText(node: XNode | undefined, name: string): string | undefined {
  return ownText(child(node, name))?.trim();
}

const BLOCK_ELEMENTS = new Set(['p', 'div', 'li', 'ul', 'ol', 'tr', 'table', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'pre', 'blockquote']);

/**
 * Flattens mixed content (plain text or XHTML such as `<div><p>…</p><br/></div>`) to text: block elements
 * and `<br>` become line breaks, runs of spaces collapse, lines are trimmed.
 */
export function flattenText(node: XNode | undefined): string | undefined {
  if (node === undefined) return undefined;
  const parts: string[] = [];
  const walk = (n: XNode): void => {
    for (const c of n.content) {
      if (typeof c === 'string') parts.push(c);
      else if (c.name === 'br') parts.push('\n');
      else if (BLOCK_ELEMENTS.has(c.name)) {
        parts.push('\n');
        walk(c);
        parts.push('\n');
      } else walk(c);
    }
  };
  walk(node);
  return parts
    .join('')
    .split('\n')
    .map((line) => line.replace(/[ \t\r\f\v]+/g, ' ').trim())
    .filter((line) => line !== '')
    .join('\n');
}

/**
 * The local name of the root element of a guarded document, found by skipping the XML declaration,
 * processing instructions, comments and whitespace in one linear pass (a regular expression over
 * leading comments backtracks exponentially on a body with many comments; see the regression fixture
 * test/fixtures/hostile/regressions/apprec-sniff-backtracks-on-comments.xml). Null when there is none.
 */
export function rootLocalName(text: string): string | null {
  let i = 0;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) return null;
      i = end + 2;
    } else if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) return null;
      i = end + 3;
    } else if (text[i] === '<') {
      const m = /^<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)/.exec(text.slice(i, i + 200));
      return m ? m[2]! : null;
    } else {
      return null;
    }
  }
}
