/**
 * XSD validation with one schema set compiled once (libxml2-wasm). Every `.xsd` of the schema folder is
 * read into memory at load; imports and includes are answered only from that map through an input
 * provider that matches a private URL scheme. libxml2-wasm's file-system provider is never registered,
 * and there is no network access.
 */
import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { XmlDocument, XmlElement, XmlValidateError, XsdValidator, xmlRegisterInputProvider } from 'libxml2-wasm';
import type { ErrorDetail, XmlInputProvider } from 'libxml2-wasm';

import { TimebokError } from '../shared/errors.js';
import type { SchemaIssue, SchemaValidationResult } from './types.js';
import { elementChildren, SAFE_PARSE_OPTIONS, withDocument } from './xml.read.js';

/** A compiled schema set. `validate` may be called any number of times; `dispose` frees the compiled schemas. */
export interface SchemaSet {
  /** The root schema file the set was compiled from. */
  readonly rootFile: string;
  /**
   * Validates one document. The input must already have passed the XML guard; it is parsed again here
   * with entities off and no DTD, and the parsed document is always freed.
   *
   * @throws TimebokError `ERR_ENVELOPE_DOCTYPE` or `ERR_ENVELOPE_NOT_WELL_FORMED` when the input cannot be
   *   parsed (schema problems are returned as issues, never thrown).
   */
  validate(xml: string | Uint8Array): SchemaValidationResult;
  dispose(): void;
}

/** At most this many issues are listed; a last issue says how many more there were. */
export const MAX_ISSUES = 50;

const URL_SCHEME = 'timebok-xsd:';
const schemaFiles = new Map<string, Map<string, Uint8Array>>();
let providerRegistered = false;
let setCounter = 0;

/**
 * Compiles the schema set rooted at `rootFile` (default `booking-bundle.xsd`: MsgHead 1.2, Dialogmelding
 * 1.1 and 1.0, xCal with the Helsenorge extensions, Pasientrelasjon, Helsepersonell 2014/2015, AppRec
 * 1.0/1.1) from `schemaDir` (default: the project's `schemas/` folder).
 *
 * @throws TimebokError `ERR_CONFIG` when the folder or the root schema is missing or does not compile.
 */
export async function loadSchemaSet(schemaDir: string = defaultSchemaDir(), rootFile = 'booking-bundle.xsd'): Promise<SchemaSet> {
  const files = await readSchemaFiles(schemaDir);
  const root = files.get(rootFile);
  if (root === undefined) throw new TimebokError('ERR_CONFIG', `schema ${rootFile} not found in ${schemaDir}`);
  const host = `set${++setCounter}`;
  schemaFiles.set(host, files);
  registerProviderOnce();
  try {
    return compile(host, root, rootFile);
  } finally {
    // Compilation has read every import; the bytes are not needed any more.
    schemaFiles.delete(host);
  }
}

function compile(host: string, root: Uint8Array, rootFile: string): SchemaSet {
  let xsdDoc: XmlDocument | null = null;
  try {
    xsdDoc = XmlDocument.fromBuffer(root, { url: `${URL_SCHEME}//${host}/${rootFile}`, option: SAFE_PARSE_OPTIONS });
    const validator = XsdValidator.fromDoc(xsdDoc);
    return new CompiledSchemaSet(rootFile, xsdDoc, validator);
  } catch (e) {
    xsdDoc?.dispose();
    const details = e instanceof XmlValidateError ? e.details.map((d) => d.message.trim()).join('; ') : String(e);
    throw new TimebokError('ERR_CONFIG', `schema set ${rootFile} does not compile: ${details}`, { cause: e });
  }
}

class CompiledSchemaSet implements SchemaSet {
  constructor(
    readonly rootFile: string,
    private xsdDoc: XmlDocument | null,
    private validator: XsdValidator | null,
  ) {}

  validate(xml: string | Uint8Array): SchemaValidationResult {
    const validator = this.validator;
    if (validator === null) throw new TimebokError('ERR_INTERNAL', 'schema set used after dispose');
    return withDocument(xml, (doc) => {
      try {
        validator.validate(doc);
        return { valid: true, issues: [] };
      } catch (e) {
        if (!(e instanceof XmlValidateError)) throw e;
        return { valid: false, issues: toIssues(doc, e.details) };
      }
    });
  }

  dispose(): void {
    this.validator?.dispose();
    this.xsdDoc?.dispose();
    this.validator = null;
    this.xsdDoc = null;
  }
}

function defaultSchemaDir(): string {
  // src/envelope/ in development, dist/src/envelope/ after a build: look upwards for schemas/.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'schemas');
    if (existsSync(join(candidate, 'booking-bundle.xsd'))) return candidate;
    dir = dirname(dir);
  }
  return resolve('schemas');
}

async function readSchemaFiles(schemaDir: string): Promise<Map<string, Uint8Array>> {
  let names: string[];
  try {
    names = await readdir(schemaDir);
  } catch (e) {
    throw new TimebokError('ERR_CONFIG', `schema folder ${schemaDir} cannot be read`, { cause: e });
  }
  const files = new Map<string, Uint8Array>();
  for (const name of names.filter((n) => n.endsWith('.xsd')).sort()) {
    files.set(name, new Uint8Array(await readFile(join(schemaDir, name))));
  }
  return files;
}

/** Serves `timebok-xsd://<set>/<file>` from memory; every other URL is left alone (and nothing else loads it). */
function registerProviderOnce(): void {
  if (providerRegistered) return;
  const open = new Map<number, { bytes: Uint8Array; pos: number }>();
  let nextFd = 1;
  const provider: XmlInputProvider = {
    match: (url) => url.startsWith(URL_SCHEME),
    open: (url) => {
      const bytes = lookup(url);
      if (bytes === undefined) return undefined;
      const fd = nextFd++;
      open.set(fd, { bytes, pos: 0 });
      return fd;
    },
    read: (fd, buf) => {
      const f = open.get(fd);
      if (f === undefined) return -1;
      const n = Math.min(buf.byteLength, f.bytes.byteLength - f.pos);
      buf.set(f.bytes.subarray(f.pos, f.pos + n));
      f.pos += n;
      return n;
    },
    close: (fd) => open.delete(fd),
  };
  if (!xmlRegisterInputProvider(provider)) throw new TimebokError('ERR_INTERNAL', 'cannot register the schema input provider');
  providerRegistered = true;
}

function lookup(url: string): Uint8Array | undefined {
  const m = /^timebok-xsd:\/\/([^/]+)\/([^/?#]+)$/.exec(url);
  if (m === null) return undefined;
  return schemaFiles.get(m[1] ?? '')?.get(decodeURIComponent(m[2] ?? ''));
}

function toIssues(doc: XmlDocument, details: readonly ErrorDetail[]): SchemaIssue[] {
  const errors = details.filter((d) => d.level >= 2);
  const issues = errors.slice(0, MAX_ISSUES).map((d) => toIssue(doc, d));
  if (errors.length > MAX_ISSUES) {
    issues.push({ line: null, path: null, message: `${errors.length - MAX_ISSUES} further schema errors not listed` });
  }
  return issues;
}

function toIssue(doc: XmlDocument, d: ErrorDetail): SchemaIssue {
  const element = d.xpath ? elementAt(doc, d.xpath) : null;
  return {
    line: d.line > 0 ? d.line : null,
    path: element ? namedPath(element) : null,
    message: sanitiseSchemaMessage(d.message, element ? valuesOf(element) : []),
  };
}

/** Follows libxml2's node path (`/*\/*[3]/fk1:Id[2]/text()`) to the element it names. */
function elementAt(doc: XmlDocument, xpath: string): XmlElement | null {
  const steps = xpath.split('/').filter((s) => s !== '');
  let current: XmlElement | null = null;
  for (const step of steps) {
    const m = /^(?:([\w.-]+):)?([\w.*-]+)(?:\[(\d+)\])?$/.exec(step);
    if (m === null) break; // text(), comment(), @attr: stop at the element
    const [, prefix, name, index] = m;
    const candidates: XmlElement[] =
      current === null ? [doc.root] : elementChildren(current).filter((c) => name === '*' || (c.name === name && (prefix ?? '') === c.prefix));
    const next: XmlElement | undefined = candidates[Number(index ?? '1') - 1];
    if (next === undefined) return current;
    current = next;
  }
  return current;
}

/** `/MsgHead/Document[2]/RefDoc/Content/icalendar/…`: local names, an index only among same-named siblings. */
function namedPath(element: XmlElement): string {
  const parts: string[] = [];
  for (let el: XmlElement | null = element; el !== null; el = el.parent) parts.unshift(pathStep(el));
  return `/${parts.join('/')}`;
}

function pathStep(el: XmlElement): string {
  const parent = el.parent;
  if (parent === null) return el.name;
  const same = elementChildren(parent).filter((c) => c.name === el.name && c.namespaceUri === el.namespaceUri);
  return same.length > 1 ? `${el.name}[${same.findIndex((c) => c.isSameNode(el)) + 1}]` : el.name;
}

/** The values an error about this element could quote: its text and its attribute values. */
function valuesOf(element: XmlElement): string[] {
  const values = element.attrs.map((a) => a.value);
  let text = '';
  // `!= null`: libxml2-wasm gives undefined for node kinds it does not model (see elementChildren)
  for (let c = element.firstChild; c != null; c = c.next) if (!(c instanceof XmlElement)) text += c.content;
  values.push(text);
  return values;
}

/**
 * Rewrites a libxml2 schema error so that it names the element and the rule but never quotes a value
 * from the message (values can be personal data): known values of the element are removed, libxml2's
 * value-quoting phrasings are rewritten, namespace URIs after the element name are dropped, and any
 * remaining run of 11 digits (a fødselsnummer shape) is masked.
 */
export function sanitiseSchemaMessage(message: string, knownValues: readonly string[] = []): string {
  const text = message.trim();
  const head = /^Element '[^']*'(?:, attribute '[^']*')?: /.exec(text)?.[0] ?? '';
  let rest = text.slice(head.length);
  for (const v of expandValues(knownValues)) rest = rest.split(`'${v}'`).join('§');
  rest = rest
    .replace(/^(?:§|'[\s\S]*')(?= is not a valid value)/, 'The value')
    .replace(/\bThe (value|element content|QName value) (?:§|'[\s\S]*')(?= (?:is|has|must|does|of))/g, 'The $1')
    .replace(/key-sequence \[[\s\S]*\](?= (?:in|of))/g, 'key-sequence')
    .replace(/§/g, 'the value')
    .replace(/\{[^}'\s]*:[^}'\s]*\}/g, '');
  return `${head}${rest}`.replace(/\d{11}/g, '***********');
}

function expandValues(values: readonly string[]): string[] {
  const out = new Set<string>();
  for (const v of values) {
    for (const form of [v, v.trim(), v.replace(/\s+/g, ' ').trim()]) if (form !== '') out.add(form);
  }
  // Longest first, so that a value containing another is removed whole.
  return [...out].sort((a, b) => b.length - a.length);
}
