/**
 * A small, strict-enough BER/DER reader for CMS, X.509 and CRLs.
 *
 * Why not forge's parser: we need the exact byte ranges of what was signed (signed attributes, the
 * TBS parts) so that "the bytes you verified are the bytes you use", hard limits on depth and node count
 * for hostile input, and speed. BER is accepted where CMS senders use it (indefinite lengths,
 * constructed OCTET STRINGs); DER is required by the signature checks themselves, which work on the
 * received bytes.
 */

export const TAG_CLASS = { universal: 0, application: 1, context: 2, private: 3 } as const;

export const UNIVERSAL = {
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  null: 5,
  oid: 6,
  utf8String: 12,
  sequence: 16,
  set: 17,
  printableString: 19,
  ia5String: 22,
  utcTime: 23,
  generalizedTime: 24,
} as const;

export interface DerNode {
  /** 0 universal, 1 application, 2 context-specific, 3 private */
  cls: number;
  constructed: boolean;
  tag: number;
  /** Offset of the identifier octet in the parsed buffer. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just after the last content octet (before an end-of-contents marker, if any). */
  contentEnd: number;
  /** Offset just after the whole element (including an end-of-contents marker). */
  end: number;
  indefinite: boolean;
  children: DerNode[];
  /** The buffer the offsets refer to. */
  buf: Uint8Array;
}

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

export interface DerLimits {
  maxDepth: number;
  maxNodes: number;
}

const DEFAULT_LIMITS: DerLimits = { maxDepth: 48, maxNodes: 200_000 };

/**
 * Parses one element that must span exactly `buf[offset..end)`. Constructed elements are parsed
 * recursively; primitive contents (OCTET STRING, BIT STRING …) are left as byte ranges.
 * Throws DerError on any syntax problem, trailing bytes included.
 */
export function parseDer(buf: Uint8Array, limits: Partial<DerLimits> = {}): DerNode {
  const lim = { ...DEFAULT_LIMITS, ...limits };
  const state = { nodes: 0 };
  const node = readElement(buf, 0, buf.length, 0, lim, state);
  if (node.end !== buf.length) throw new DerError('trailing bytes after the outer element');
  return node;
}

function readElement(
  buf: Uint8Array,
  offset: number,
  limit: number,
  depth: number,
  lim: DerLimits,
  state: { nodes: number },
): DerNode {
  if (depth > lim.maxDepth) throw new DerError('nesting too deep');
  if (++state.nodes > lim.maxNodes) throw new DerError('too many elements');
  if (offset >= limit) throw new DerError('truncated: identifier expected');
  const start = offset;
  const id = buf[offset++]!;
  const cls = id >> 6;
  const constructed = (id & 0x20) !== 0;
  let tag = id & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    let count = 0;
    for (;;) {
      if (offset >= limit) throw new DerError('truncated tag');
      const b = buf[offset++]!;
      if (++count > 4) throw new DerError('tag number too large');
      tag = tag * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  if (offset >= limit) throw new DerError('truncated: length expected');
  const first = buf[offset++]!;
  let length = -1;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    if (!constructed) throw new DerError('indefinite length on a primitive element');
  } else {
    const n = first & 0x7f;
    if (n > 4) throw new DerError('length too large');
    length = 0;
    for (let i = 0; i < n; i++) {
      if (offset >= limit) throw new DerError('truncated length');
      length = length * 256 + buf[offset++]!;
    }
  }
  const contentStart = offset;
  const children: DerNode[] = [];
  if (length >= 0) {
    const contentEnd = contentStart + length;
    if (contentEnd > limit) throw new DerError('length runs past the end of the enclosing element');
    if (constructed) {
      let pos = contentStart;
      while (pos < contentEnd) {
        const child = readElement(buf, pos, contentEnd, depth + 1, lim, state);
        children.push(child);
        pos = child.end;
      }
    }
    if (cls === 0 && tag === 0 && length === 0 && !constructed) {
      throw new DerError('unexpected end-of-contents marker');
    }
    return { cls, constructed, tag, start, contentStart, contentEnd, end: contentEnd, indefinite: false, children, buf };
  }
  // Indefinite length: children until an end-of-contents marker (00 00).
  let pos = contentStart;
  for (;;) {
    if (pos + 1 >= limit) throw new DerError('truncated: end-of-contents expected');
    if (buf[pos] === 0 && buf[pos + 1] === 0) break;
    const child = readElement(buf, pos, limit, depth + 1, lim, state);
    children.push(child);
    pos = child.end;
  }
  return { cls, constructed, tag, start, contentStart, contentEnd: pos, end: pos + 2, indefinite: true, children, buf };
}

declare const matched: unique symbol;
/**
 * A node that passed a tag test. The brand exists only for the type checker: it lets a failed test
 * keep the node's type (instead of narrowing it to `never`) while a passed test removes `undefined`.
 */
export type MatchedNode = DerNode & { readonly [matched]: true };

export function isUniversal(node: DerNode | undefined, tag: number): node is MatchedNode {
  return node !== undefined && node.cls === 0 && node.tag === tag;
}

export function isContext(node: DerNode | undefined, tag: number): node is MatchedNode {
  return node !== undefined && node.cls === 2 && node.tag === tag;
}

/** The whole element as encoded (identifier, length, contents). */
export function rawBytes(node: DerNode): Uint8Array {
  return node.buf.subarray(node.start, node.end);
}

/** Primitive contents. */
export function contentBytes(node: DerNode): Uint8Array {
  if (node.constructed) throw new DerError('primitive element expected');
  return node.buf.subarray(node.contentStart, node.contentEnd);
}

/**
 * The value octets of an OCTET STRING (or an implicitly tagged one), joining the segments of a BER
 * constructed encoding. `implicitTagged` allows a context-specific tag in place of the universal one.
 */
export function octetStringValue(node: DerNode): Uint8Array {
  if (!node.constructed) return contentBytes(node);
  const parts: Uint8Array[] = [];
  collectSegments(node, parts, 0);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

function collectSegments(node: DerNode, parts: Uint8Array[], depth: number): void {
  if (depth > 8) throw new DerError('OCTET STRING segments nested too deep');
  for (const child of node.children) {
    if (!isUniversal(child, UNIVERSAL.octetString)) throw new DerError('OCTET STRING segment expected');
    if (child.constructed) collectSegments(child, parts, depth + 1);
    else parts.push(contentBytes(child));
  }
}

/** Dotted OID text of an OBJECT IDENTIFIER element. */
export function oidValue(node: DerNode | undefined): string {
  if (!isUniversal(node, UNIVERSAL.oid) || node.constructed) throw new DerError('OBJECT IDENTIFIER expected');
  const bytes = contentBytes(node);
  if (bytes.length === 0 || bytes.length > 64) throw new DerError('bad OBJECT IDENTIFIER length');
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (value === 0 && b === 0x80) throw new DerError('non-minimal OBJECT IDENTIFIER arc');
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError('OBJECT IDENTIFIER arc too large');
    if ((b & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    } else if (i === bytes.length - 1) {
      throw new DerError('truncated OBJECT IDENTIFIER');
    }
  }
  const firstArc = arcs[0]!;
  const head = firstArc < 40 ? [0, firstArc] : firstArc < 80 ? [1, firstArc - 40] : [2, firstArc - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

/** A small non-negative INTEGER (versions, path lengths). */
export function smallIntValue(node: DerNode | undefined): number {
  if (!isUniversal(node, UNIVERSAL.integer) || node.constructed) throw new DerError('INTEGER expected');
  const bytes = contentBytes(node);
  if (bytes.length === 0 || bytes.length > 4) throw new DerError('INTEGER out of range');
  if ((bytes[0]! & 0x80) !== 0) throw new DerError('negative INTEGER');
  let v = 0;
  for (const b of bytes) v = v * 256 + b;
  return v;
}

/** INTEGER contents as upper-case hex without a sign-padding leading zero (serial numbers). */
export function integerHex(node: DerNode | undefined): string {
  if (!isUniversal(node, UNIVERSAL.integer) || node.constructed) throw new DerError('INTEGER expected');
  const bytes = contentBytes(node);
  if (bytes.length === 0) throw new DerError('empty INTEGER');
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return Buffer.from(bytes.subarray(i)).toString('hex').toUpperCase();
}

/** UTCTime or GeneralizedTime (Z form) as a Date. */
export function timeValue(node: DerNode | undefined): Date {
  if (node === undefined || node.cls !== 0 || node.constructed) throw new DerError('time expected');
  const text = Buffer.from(contentBytes(node)).toString('latin1');
  let m: RegExpExecArray | null;
  if (node.tag === UNIVERSAL.utcTime) {
    m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (m === null) throw new DerError('bad UTCTime');
    const yy = Number(m[1]);
    return utc(yy >= 50 ? 1900 + yy : 2000 + yy, m);
  }
  if (node.tag === UNIVERSAL.generalizedTime) {
    m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d{1,9})?Z$/.exec(text);
    if (m === null) throw new DerError('bad GeneralizedTime');
    return utc(Number(m[1]), m);
  }
  throw new DerError('time expected');
}

function utc(year: number, m: RegExpExecArray): Date {
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    throw new DerError('time out of range');
  }
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}

/** BIT STRING contents without the unused-bits octet, and the unused-bit count. */
export function bitStringValue(node: DerNode | undefined): { bytes: Uint8Array; unusedBits: number } {
  if (!isUniversal(node, UNIVERSAL.bitString) || node.constructed) throw new DerError('BIT STRING expected');
  const c = contentBytes(node);
  if (c.length === 0 || c[0]! > 7) throw new DerError('bad BIT STRING');
  return { bytes: c.subarray(1), unusedBits: c[0]! };
}

export function child(node: DerNode, index: number): DerNode {
  const c = node.children[index];
  if (c === undefined) throw new DerError('missing element');
  return c;
}

export function expectSequence(node: DerNode | undefined): DerNode {
  if (!isUniversal(node, UNIVERSAL.sequence) || !node.constructed) throw new DerError('SEQUENCE expected');
  return node;
}

export function expectSet(node: DerNode | undefined): DerNode {
  if (!isUniversal(node, UNIVERSAL.set) || !node.constructed) throw new DerError('SET expected');
  return node;
}

// ---------------------------------------------------------------------------------------------
// Writing (small helpers used where forge's builder would need a detour, e.g. raw DER splicing).

/** Encodes a DER length. */
export function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  let v = length;
  while (v > 0) {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
