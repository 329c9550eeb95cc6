/**
 * Where a hand-written JSON file stops being JSON. V8's own messages are not used: some of them quote
 * a piece of the input (which may hold a name), and some carry no position at all.
 */
export interface JsonSyntaxProblem {
  /** 0-based offset in the text (UTF-16 code units). */
  position: number;
  /** 1-based line and column. */
  line: number;
  column: number;
  /** What was expected, without quoting the input. */
  reason: string;
}

class Stop extends Error {
  constructor(
    readonly position: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** The first syntax error in `text`, or null when it is valid JSON (RFC 8259). */
export function locateJsonSyntaxError(text: string): JsonSyntaxProblem | null {
  try {
    const end = skipWhitespace(text, parseValue(text, skipWhitespace(text, 0)));
    if (end < text.length) throw new Stop(end, 'unexpected content after the JSON value');
    return null;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    const before = text.slice(0, e.position);
    const line = before.split('\n').length;
    const column = e.position - (before.lastIndexOf('\n') + 1) + 1;
    return { position: e.position, line, column, reason: e.reason };
  }
}

function skipWhitespace(text: string, i: number): number {
  while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i += 1;
  return i;
}

function expectMore(text: string, i: number, what: string): void {
  if (i >= text.length) throw new Stop(i, `unexpected end of input, expected ${what}`);
}

/** Parses one value starting at `i` (no leading whitespace); returns the index after it. */
function parseValue(text: string, i: number): number {
  expectMore(text, i, 'a value');
  const c = text[i] as string;
  if (c === '{') return parseObject(text, i);
  if (c === '[') return parseArray(text, i);
  if (c === '"') return parseString(text, i);
  if (c === '-' || (c >= '0' && c <= '9')) return parseNumber(text, i);
  for (const literal of ['true', 'false', 'null']) {
    if (text.startsWith(literal, i)) return i + literal.length;
  }
  throw new Stop(i, 'expected a value (object, array, string, number, true, false or null)');
}

function parseObject(text: string, i: number): number {
  i = skipWhitespace(text, i + 1);
  expectMore(text, i, "a property name or '}'");
  if (text[i] === '}') return i + 1;
  for (;;) {
    expectMore(text, i, 'a property name');
    if (text[i] !== '"') throw new Stop(i, 'expected a double-quoted property name');
    i = skipWhitespace(text, parseString(text, i));
    expectMore(text, i, "':'");
    if (text[i] !== ':') throw new Stop(i, "expected ':' after the property name");
    i = skipWhitespace(text, parseValue(text, skipWhitespace(text, i + 1)));
    expectMore(text, i, "',' or '}'");
    if (text[i] === '}') return i + 1;
    if (text[i] !== ',') throw new Stop(i, "expected ',' or '}' after the property value");
    i = skipWhitespace(text, i + 1);
  }
}

function parseArray(text: string, i: number): number {
  i = skipWhitespace(text, i + 1);
  expectMore(text, i, "a value or ']'");
  if (text[i] === ']') return i + 1;
  for (;;) {
    i = skipWhitespace(text, parseValue(text, i));
    expectMore(text, i, "',' or ']'");
    if (text[i] === ']') return i + 1;
    if (text[i] !== ',') throw new Stop(i, "expected ',' or ']' after the array element");
    i = skipWhitespace(text, i + 1);
  }
}

function parseString(text: string, i: number): number {
  i += 1;
  for (;;) {
    if (i >= text.length) throw new Stop(i, 'unterminated string');
    const code = text.charCodeAt(i);
    if (code === 0x22) return i + 1;
    if (code < 0x20) throw new Stop(i, 'control character (e.g. a line break) inside a string');
    if (code === 0x5c) {
      const next = text[i + 1];
      if (next === undefined) throw new Stop(i + 1, 'unterminated string');
      if (next === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new Stop(i, 'bad \\u escape in a string');
        i += 6;
        continue;
      }
      if (!'"\\/bfnrt'.includes(next)) throw new Stop(i, 'bad escape in a string');
      i += 2;
      continue;
    }
    i += 1;
  }
}

function parseNumber(text: string, i: number): number {
  const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
  if (match === null) throw new Stop(i, 'malformed number');
  const end = i + match[0].length;
  const next = text[end];
  if (next !== undefined && /[0-9.eE+-]/.test(next)) throw new Stop(end, 'malformed number');
  return end;
}
