/**
 * The XML guard: the first thing that looks at a decrypted body, before any parser builds a tree.
 * Cheap checks come first so that hostile input is refused in constant or linear time:
 * size → encoding sniff → one linear markup scan (DOCTYPE/ENTITY, nesting depth, unterminated markup)
 * → strict decoding → a libxml2 well-formedness parse (entities off, no DTD, no network).
 */
import { Buffer } from 'node:buffer';

import { TimebokError } from '../shared/errors.js';
import { DEFAULT_XML_LIMITS, type XmlLimits } from './types.js';
import { parseDocument } from './xml.read.js';

type Charset = 'utf-8' | 'latin1' | 'ascii';

const LT = 0x3c;
const GT = 0x3e;
const BANG = 0x21;
const QUESTION = 0x3f;
const SLASH = 0x2f;
const DQUOTE = 0x22;
const SQUOTE = 0x27;

const CHARSET_ALIASES: Record<string, Charset> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'iso-8859-1': 'latin1',
  iso_8859_1: 'latin1',
  'iso_8859-1': 'latin1',
  'iso8859-1': 'latin1',
  latin1: 'latin1',
  'latin-1': 'latin1',
  l1: 'latin1',
  'us-ascii': 'ascii',
  ascii: 'ascii',
};

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const DECLARATION_KEYWORDS = ['DOCTYPE', 'ENTITY', 'ELEMENT', 'ATTLIST', 'NOTATION'];

/**
 * Checks an inbound body before any parser sees it and returns it decoded as text.
 *
 * Has checked by the time it returns: size ≤ `limits.maxBytes`; UTF-8 (optionally with BOM) or the declared
 * ISO-8859-1/US-ASCII, strictly decoded; no DOCTYPE or ENTITY declaration anywhere; element nesting ≤
 * `limits.maxDepth`; well-formed XML.
 *
 * @throws TimebokError `ERR_ENVELOPE_TOO_LARGE`, `ERR_ENVELOPE_ENCODING`, `ERR_ENVELOPE_DOCTYPE`,
 *   `ERR_ENVELOPE_TOO_DEEP` or `ERR_ENVELOPE_NOT_WELL_FORMED`. Messages name the rule and a position,
 *   never content.
 */
export function guardXml(body: Uint8Array, limits: XmlLimits = DEFAULT_XML_LIMITS): string {
  if (body.byteLength > limits.maxBytes) {
    throw new TimebokError('ERR_ENVELOPE_TOO_LARGE', `body is ${body.byteLength} bytes, over the limit of ${limits.maxBytes}`, {
      detail: { bytes: body.byteLength, maxBytes: limits.maxBytes },
    });
  }
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const start = startAfterBom(buf);
  const bytes = buf.subarray(start);
  if (isBlank(bytes)) throw new TimebokError('ERR_ENVELOPE_NOT_WELL_FORMED', 'empty body');
  const charset = declaredCharset(bytes);
  if (start > 0 && charset !== 'utf-8') {
    // A UTF-8 byte-order mark and a declaration naming another encoding: one of them lies.
    throw new TimebokError('ERR_ENVELOPE_ENCODING', 'a UTF-8 byte-order mark with another declared encoding');
  }
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    throw new TimebokError('ERR_ENVELOPE_ENCODING', 'a second byte-order mark');
  }
  scanMarkup(bytes, limits.maxDepth);
  const text = decode(bytes, charset);
  checkWellFormed(bytes);
  return text;
}

function startAfterBom(buf: Buffer): number {
  const b0 = buf[0];
  const b1 = buf[1];
  if (b0 === 0xef && b1 === 0xbb && buf[2] === 0xbf) return 3;
  if ((b0 === 0xfe && b1 === 0xff) || (b0 === 0xff && b1 === 0xfe) || (b0 === 0x00 && b1 === 0x00)) {
    throw new TimebokError('ERR_ENVELOPE_ENCODING', 'UTF-16/UTF-32 bodies are not accepted; send UTF-8');
  }
  if ((b0 === LT && b1 === 0x00) || (b0 === 0x00 && b1 === LT)) {
    throw new TimebokError('ERR_ENVELOPE_ENCODING', 'UTF-16 bodies are not accepted; send UTF-8');
  }
  return 0;
}

function isBlank(bytes: Buffer): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
  return true;
}

/** Reads `encoding="…"` from the XML declaration (only the first 256 bytes are looked at). */
function declaredCharset(bytes: Buffer): Charset {
  if (!(bytes[0] === LT && bytes[1] === QUESTION)) return 'utf-8';
  const head = bytes.subarray(0, 256).toString('latin1');
  const decl = /^<\?xml\s[^>]*?\?>/.exec(head);
  if (decl === null) return 'utf-8';
  const enc = /\sencoding\s*=\s*(["'])([^"']*)\1/.exec(decl[0]);
  if (enc === null) return 'utf-8';
  const name = (enc[2] ?? '').trim().toLowerCase();
  const charset = CHARSET_ALIASES[name];
  if (charset === undefined) {
    throw new TimebokError('ERR_ENVELOPE_ENCODING', 'declared encoding is not supported; send UTF-8', {
      detail: { encoding: name.slice(0, 40) },
    });
  }
  return charset;
}

function decode(bytes: Buffer, charset: Charset): string {
  if (charset === 'latin1') return bytes.toString('latin1');
  if (charset === 'ascii') {
    const bad = bytes.findIndex((b) => b > 0x7f);
    if (bad >= 0) throw encodingError('byte outside US-ASCII', bytes, bad);
  }
  try {
    return UTF8.decode(bytes);
  } catch {
    throw encodingError('invalid UTF-8 byte sequence', bytes, firstInvalidUtf8(bytes));
  }
}

function encodingError(rule: string, bytes: Buffer, offset: number): TimebokError {
  const line = lineAt(bytes, offset);
  return new TimebokError('ERR_ENVELOPE_ENCODING', `${rule} at line ${line}`, { detail: { line, offset } });
}

/** Offset of the first malformed UTF-8 sequence (RFC 3629); only computed on the error path. */
function firstInvalidUtf8(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const c = bytes[i] ?? 0;
    if (c < 0x80) {
      i++;
      continue;
    }
    const need = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (need === 0 || i + need >= bytes.length) return i;
    for (let k = 1; k <= need; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    const c1 = bytes[i + 1] ?? 0;
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f) || (c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return i;
    i += need + 1;
  }
  return bytes.length;
}

function lineAt(bytes: Buffer, offset: number): number {
  let line = 1;
  let i = bytes.indexOf(0x0a);
  while (i >= 0 && i < offset) {
    line++;
    i = bytes.indexOf(0x0a, i + 1);
  }
  return line;
}

function notWellFormed(rule: string, bytes: Buffer, offset: number): TimebokError {
  const line = lineAt(bytes, offset);
  return new TimebokError('ERR_ENVELOPE_NOT_WELL_FORMED', `not well-formed XML at line ${line}: ${rule}`, { detail: { line } });
}

function startsWithAscii(bytes: Buffer, at: number, text: string, ignoreCase = false): boolean {
  if (at + text.length > bytes.length) return false;
  for (let k = 0; k < text.length; k++) {
    let b = bytes[at + k] ?? 0;
    if (ignoreCase && b >= 0x61 && b <= 0x7a) b -= 0x20;
    if (b !== text.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * One linear pass over the markup, without recursion or allocation: skips comments, CDATA and processing
 * instructions, refuses any `<!` declaration, and counts element depth, stopping as soon as it exceeds the limit.
 */
function scanMarkup(bytes: Buffer, maxDepth: number): void {
  let depth = 0;
  let i = bytes.indexOf(LT);
  while (i >= 0) {
    const next = bytes[i + 1];
    if (next === BANG) i = skipBang(bytes, i);
    else if (next === QUESTION) i = skipUntil(bytes, i + 2, '?>', 'unterminated processing instruction', i);
    else if (next === SLASH) {
      depth--;
      if (depth < 0) throw notWellFormed('end tag without start tag', bytes, i);
      i = skipUntil(bytes, i + 2, '>', 'unterminated end tag', i);
    } else {
      const end = endOfStartTag(bytes, i + 1);
      if (end < 0) throw notWellFormed('unterminated start tag', bytes, i);
      if (bytes[end - 1] !== SLASH) {
        depth++;
        if (depth > maxDepth) {
          throw new TimebokError('ERR_ENVELOPE_TOO_DEEP', `element nesting deeper than ${maxDepth}`, {
            detail: { maxDepth, line: lineAt(bytes, i) },
          });
        }
      }
      i = end + 1;
    }
    i = bytes.indexOf(LT, i);
  }
  if (depth !== 0) throw notWellFormed('unclosed element at end of input', bytes, bytes.length);
}

function skipBang(bytes: Buffer, at: number): number {
  if (startsWithAscii(bytes, at, '<!--')) return skipUntil(bytes, at + 4, '-->', 'unterminated comment', at);
  if (startsWithAscii(bytes, at, '<![CDATA[')) return skipUntil(bytes, at + 9, ']]>', 'unterminated CDATA section', at);
  let k = at + 2;
  while (bytes[k] === 0x20 || bytes[k] === 0x09 || bytes[k] === 0x0a || bytes[k] === 0x0d) k++;
  if (DECLARATION_KEYWORDS.some((kw) => startsWithAscii(bytes, k, kw, true))) {
    throw new TimebokError('ERR_ENVELOPE_DOCTYPE', 'DOCTYPE and ENTITY declarations are not accepted', {
      detail: { line: lineAt(bytes, at) },
    });
  }
  throw notWellFormed('unexpected markup declaration', bytes, at);
}

function skipUntil(bytes: Buffer, from: number, terminator: string, rule: string, startedAt: number): number {
  const end = bytes.indexOf(terminator, from, 'latin1');
  if (end < 0) throw notWellFormed(rule, bytes, startedAt);
  return end + terminator.length;
}

/** Index of the `>` closing a start tag, honouring quoted attribute values (which may contain `>`). */
function endOfStartTag(bytes: Buffer, from: number): number {
  let quote = 0;
  for (let j = from; j < bytes.length; j++) {
    const b = bytes[j];
    if (quote !== 0) {
      if (b === quote) quote = 0;
    } else if (b === DQUOTE || b === SQUOTE) quote = b;
    else if (b === GT) return j;
    else if (b === LT) return -1;
  }
  return -1;
}

/** libxml2 has the last word on well-formedness (names, attributes, character and entity references). */
function checkWellFormed(bytes: Buffer): void {
  parseDocument(bytes).dispose();
}
