/**
 * The property-based fuzzer (issue 12 part 3). Seeds: the valid request fixtures and the official 2019
 * examples. Each case mutates one seed at byte, XML-structure or field level, plain or CMS-protected
 * (the mutated plaintext sealed for us, or the sealed bytes mutated), and runs it through the whole
 * pipeline. The property: exactly one classified answer (a status and, for a refusal or report, a
 * table code), never a throw; nothing booked from an input that is not valid; no file or network access
 * while a message is processed. Tallies go to a file per test file; jest's global teardown prints one
 * `FUZZ …` line for the run (test/fuzz/teardown.ts).
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadSchemaSet, type SchemaSet } from '../../src/envelope/schema.validator.js';
import { guardXml } from '../../src/envelope/xml.guard.js';
import type { ProcessOutcome } from '../../src/pipeline/types.js';
import type { TestPki } from '../../scripts/support/test-pki.js';
import { ERROR_TABLE, isErrorCode, isTimebokError } from '../../src/shared/errors.js';
import { buildCms, deliveryFor, HOSTILE_LIMITS, openHostileWorld, type HostileWorld } from '../component/hostile/world.js';
import { EXAMPLES, FIXTURES } from '../component/pipeline/helpers.js';
import { sharedTestPki } from '../fixtures/protection/pki.js';

export interface FuzzTally {
  corpus: number;
  cases: number;
  classified: number;
  unclassified: number;
  exits: number;
  bookedFromInvalid: number;
  maxMs: number;
  heapGrowthMb: number;
  fileAccess: number;
  netAccess: number;
  failures: string[];
}

/** Seeds: the requests of the official examples (every process) and the valid pipeline fixtures. */
export function seeds(): { name: string; xml: string }[] {
  const out: { name: string; xml: string }[] = [];
  const dirs = (p: string) => readdirSync(p, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const process of dirs(EXAMPLES)) {
    for (const version of dirs(join(EXAMPLES, process))) {
      for (const file of readdirSync(join(EXAMPLES, process, version)).sort()) {
        if (file.endsWith('.xml')) out.push({ name: `${process}/${file}`, xml: readFileSync(join(EXAMPLES, process, version, file), 'utf8') });
      }
    }
  }
  for (const file of ['hlt-2019-07.xml', 'rt-no-xcal.xml', 'apprec-from-helsenorge.xml']) {
    out.push({ name: file, xml: readFileSync(join(FIXTURES, file), 'utf8') });
  }
  return out;
}

// ------------------------------------------------------------------------------------------ mutators

const FIELD_VALUES = [
  '', ' ', '0', '-1', '99999999999999999999', '13116900216', '13116900217', '01010112345', '__proto__', 'constructor',
  'x'.repeat(300), 'æøå', '\u0000', '\uFFFF', '&amp;', '<![CDATA[x]]>', '2019-02-30', '2019-07-05T11:45:00', '9999-12-31',
  'DIALOG_INNBYGGER_TIMEONSKEUNGDOM', 'HLT', 'RT', 'ART', 'OT', 'HB', '8093248', '91095', '95316', '1234', '7777777',
  '4088E990AD89CB3DBB484909', 'FNR', 'DNR',
];

const SNIPPETS = [
  '<!DOCTYPE x [<!ENTITY a "aaaa">]>', '<!ENTITY b SYSTEM "file:///etc/passwd">', '&a;', '<![CDATA[<a>]]>', '<!--c-->',
  '<?pi x?>', '<a>'.repeat(150), '</MsgHead>', '<MsgHead>', '<__proto__/>', '<constructor a="1"/>', '\uFEFF', '\u0000',
  'xmlns="urn:x"', ' V="x"', '<vevent><properties/></vevent>',
];

type Mutation = (text: string, bytes: Buffer) => Buffer;

const ELEMENT = /<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)(\s[^<>]*)?>[^<]*<\/\1?\2>/g;

function elements(text: string): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  ELEMENT.lastIndex = 0;
  for (let m = ELEMENT.exec(text); m !== null && out.length < 400; m = ELEMENT.exec(text)) out.push(m);
  return out;
}

const at = (n: number, len: number) => (len === 0 ? 0 : n % len);

const byteMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ pos: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }).map(({ pos, value }) => (_t: string, b: Buffer) => {
    const out = Buffer.from(b);
    if (out.length > 0) out[at(pos, out.length)] = value;
    return out;
  }),
  fc.record({ pos: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }).map(({ pos, len }) => (_t: string, b: Buffer) => {
    const p = at(pos, b.length);
    return Buffer.concat([b.subarray(0, p), b.subarray(p + len)]);
  }),
  fc.record({ pos: fc.nat(), data: fc.uint8Array({ maxLength: 32 }) }).map(({ pos, data }) => (_t: string, b: Buffer) => {
    const p = at(pos, b.length);
    return Buffer.concat([b.subarray(0, p), Buffer.from(data), b.subarray(p)]);
  }),
  fc.nat().map((pos) => (_t: string, b: Buffer) => b.subarray(0, at(pos, b.length + 1))),
  fc.record({ pos: fc.nat(), len: fc.integer({ min: 1, max: 400 }), times: fc.integer({ min: 2, max: 20 }) }).map(({ pos, len, times }) => (_t: string, b: Buffer) => {
    const p = at(pos, b.length);
    const chunk = b.subarray(p, p + len);
    return Buffer.concat([b.subarray(0, p), ...Array.from({ length: times }, () => chunk), b.subarray(p + len)]);
  }),
);

const structureMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((i) => (t: string) => {
    const els = elements(t);
    const m = els[at(i, els.length)];
    return Buffer.from(m ? t.slice(0, m.index) + t.slice(m.index + m[0].length) : t);
  }),
  fc.record({ i: fc.nat(), times: fc.integer({ min: 2, max: 30 }) }).map(({ i, times }) => (t: string) => {
    const els = elements(t);
    const m = els[at(i, els.length)];
    return Buffer.from(m ? t.slice(0, m.index) + m[0].repeat(times) + t.slice(m.index + m[0].length) : t);
  }),
  fc.record({ i: fc.nat(), j: fc.nat() }).map(({ i, j }) => (t: string) => {
    const els = elements(t);
    const a = els[at(i, els.length)];
    const b = els[at(j, els.length)];
    if (!a || !b || a.index === b.index) return Buffer.from(t);
    const [x, y] = a.index < b.index ? [a, b] : [b, a];
    if (x.index + x[0].length > y.index) return Buffer.from(t);
    return Buffer.from(t.slice(0, x.index) + y[0] + t.slice(x.index + x[0].length, y.index) + x[0] + t.slice(y.index + y[0].length));
  }),
  fc.record({ pos: fc.nat(), s: fc.constantFrom(...SNIPPETS) }).map(({ pos, s }) => (t: string) => {
    const gaps = [...t.matchAll(/>/g)].map((m) => m.index + 1);
    const p = gaps[at(pos, gaps.length)] ?? 0;
    return Buffer.from(t.slice(0, p) + s + t.slice(p));
  }),
  fc.record({ i: fc.nat(), name: fc.constantFrom('__proto__', 'constructor', 'MsgId', 'vevent', 'Sender', 'x') }).map(({ i, name }) => (t: string) => {
    const els = elements(t);
    const m = els[at(i, els.length)];
    if (!m) return Buffer.from(t);
    const renamed = m[0].replace(new RegExp(`^<${m[1] ?? ''}${m[2]}`), `<${m[1] ?? ''}${name}`).replace(new RegExp(`</${m[1] ?? ''}${m[2]}>$`), `</${m[1] ?? ''}${name}>`);
    return Buffer.from(t.slice(0, m.index) + renamed + t.slice(m.index + m[0].length));
  }),
);

const fieldMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ i: fc.nat(), v: fc.oneof(fc.constantFrom(...FIELD_VALUES), fc.string({ maxLength: 40 })) }).map(({ i, v }) => (t: string) => {
    const els = elements(t).filter((m) => !/<|&/.test(m[0].slice(m[0].indexOf('>') + 1, m[0].lastIndexOf('</'))));
    const m = els[at(i, els.length)];
    if (!m) return Buffer.from(t);
    const open = m[0].slice(0, m[0].indexOf('>') + 1);
    const close = m[0].slice(m[0].lastIndexOf('</'));
    const safe = v.replace(/[<&]/g, (c) => (c === '<' ? '&lt;' : '&amp;'));
    return Buffer.from(t.slice(0, m.index) + open + safe + close + t.slice(m.index + m[0].length));
  }),
  fc.record({ i: fc.nat(), v: fc.oneof(fc.constantFrom(...FIELD_VALUES), fc.string({ maxLength: 40 })) }).map(({ i, v }) => (t: string) => {
    const attrs = [...t.matchAll(/\sV="[^"]*"/g)];
    const m = attrs[at(i, attrs.length)];
    if (!m) return Buffer.from(t);
    const safe = v.replace(/[<&"]/g, (c) => ({ '<': '&lt;', '&': '&amp;', '"': '&quot;' })[c] as string);
    return Buffer.from(t.slice(0, m.index) + ` V="${safe}"` + t.slice(m.index + m[0].length));
  }),
  fc.nat().map((n) => (t: string) => Buffer.from(t.replace(/<MsgId>[^<]*<\/MsgId>/, `<MsgId>fuzz-${n}</MsgId>`))),
);

export interface FuzzCase {
  seed: number;
  mutations: Mutation[];
  level: 'byte' | 'structure' | 'field';
  protect: 'plain' | 'sealed' | 'sealed-then-bytes';
  transport: 'spool' | 'amqp';
}

export function caseArbitrary(seedCount: number): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      seed: fc.nat({ max: seedCount - 1 }),
      level: fc.constantFrom('byte', 'structure', 'field') as fc.Arbitrary<FuzzCase['level']>,
      count: fc.integer({ min: 1, max: 3 }),
      protect: fc.constantFrom('plain', 'plain', 'plain', 'plain', 'sealed', 'sealed-then-bytes') as fc.Arbitrary<FuzzCase['protect']>,
      transport: fc.constantFrom('spool', 'amqp') as fc.Arbitrary<FuzzCase['transport']>,
      byte: fc.array(byteMutation, { minLength: 3, maxLength: 3 }),
      structure: fc.array(structureMutation, { minLength: 3, maxLength: 3 }),
      field: fc.array(fieldMutation, { minLength: 3, maxLength: 3 }),
    })
    .map((r) => ({
      seed: r.seed,
      level: r.level,
      protect: r.protect,
      transport: r.protect === 'plain' ? 'spool' : r.transport,
      mutations: (r.level === 'byte' ? r.byte : r.level === 'structure' ? r.structure : r.field).slice(0, r.count),
    }));
}

// ------------------------------------------------------------------------------------------- watching

/** Counts file and network access while `active`; allowed paths (trust material) are not counted. */
export function watchIo(allowed: (path: string) => boolean): { counts: { file: number; net: number; paths: string[] }; active: { on: boolean }; restore(): void } {
  const counts = { file: 0, net: 0, paths: [] as string[] };
  const active = { on: false };
  const restores: (() => void)[] = [];
  const wrap = (obj: Record<string, unknown>, name: string, kind: 'file' | 'net') => {
    const original = obj[name] as (...a: unknown[]) => unknown;
    if (typeof original !== 'function') return;
    obj[name] = function (this: unknown, ...args: unknown[]) {
      if (active.on) {
        const path = typeof args[0] === 'string' ? args[0] : String(args[0]);
        if (kind === 'net' || !allowed(path)) {
          counts[kind] += 1;
          if (counts.paths.length < 10) counts.paths.push(`${name} ${path.slice(0, 120)}`);
        }
      }
      return original.apply(this, args);
    };
    restores.push(() => {
      obj[name] = original;
    });
  };
  for (const name of ['readFileSync', 'readFile', 'openSync', 'open', 'createReadStream', 'readdirSync', 'readdir', 'statSync', 'existsSync', 'accessSync']) {
    wrap(fs as unknown as Record<string, unknown>, name, 'file');
  }
  for (const name of ['readFile', 'open', 'readdir', 'stat', 'access']) wrap(fs.promises as unknown as Record<string, unknown>, name, 'file');
  for (const name of ['connect', 'createConnection']) wrap(net as unknown as Record<string, unknown>, name, 'net');
  for (const m of [http, https]) for (const name of ['request', 'get']) wrap(m as unknown as Record<string, unknown>, name, 'net');
  syncBuiltinESMExports();
  return {
    counts,
    active,
    restore() {
      for (const r of restores) r();
      syncBuiltinESMExports();
    },
  };
}

/** Independent check: is this plaintext one that may book (guarded, schema-valid)? */
function validForBooking(plain: Uint8Array, schemas: SchemaSet): boolean {
  try {
    const text = guardXml(plain, HOSTILE_LIMITS);
    return schemas.validate(text).valid;
  } catch {
    return false;
  }
}

const REFUSED: ReadonlySet<ProcessOutcome['status']> = new Set(['rejected', 'reported', 'dropped']);

export function classify(o: ProcessOutcome): string | null {
  const statuses = ['answered', 'rejected', 'reported', 'duplicate', 'pending', 'recorded', 'dropped'];
  if (!statuses.includes(o.status)) return `unknown status ${o.status}`;
  if (o.code !== undefined && !isErrorCode(o.code)) return `code ${String(o.code)} not in the table`;
  if ((o.status === 'rejected' || o.status === 'reported') && o.code === undefined) return `${o.status} without a code`;
  if (o.status === 'rejected' && ERROR_TABLE[o.code!].disposition !== 'reply') return `rejected with ${o.code}`;
  if (o.status === 'reported' && ERROR_TABLE[o.code!].disposition !== 'transport') return `reported with ${o.code}`;
  if ((o.status === 'rejected' || o.status === 'reported') && o.outboxIds.length !== 1) return `${o.status} with ${o.outboxIds.length} answers`;
  return null;
}

export async function runFuzz(opts: { schemas: SchemaSet; pki: TestPki; cases: number; seed: number; label: string }): Promise<FuzzTally> {
  const all = seeds();
  const plainWorld = await openHostileWorld(opts.schemas);
  const sealedWorld = await openHostileWorld(opts.schemas, opts.pki);
  const tally: FuzzTally = { corpus: all.length, cases: 0, classified: 0, unclassified: 0, exits: 0, bookedFromInvalid: 0, maxMs: 0, heapGrowthMb: 0, fileAccess: 0, netAccess: 0, failures: [] };
  const exits: number[] = [];
  const onExit = (code: number) => exits.push(code);
  const realExit = process.exit;
  process.exit = ((code?: number) => {
    exits.push(code ?? 0);
    throw new Error('process.exit called');
  }) as typeof process.exit;
  const rejections: unknown[] = [];
  const onRejection = (r: unknown) => rejections.push(r);
  process.on('exit', onExit);
  process.on('unhandledRejection', onRejection);
  const io = watchIo((path) => path.includes(opts.pki.dir) || path.includes('timebok-hostile-') || path.includes('hn-signing'));
  const heapBefore = process.memoryUsage().heapUsed;
  try {
    await fc.assert(
      fc.asyncProperty(caseArbitrary(all.length), async (c) => {
        const seed = all[c.seed]!;
        let plain: Buffer = Buffer.from(seed.xml);
        for (const m of c.mutations) plain = m(plain.toString('utf8'), plain);
        let body: Buffer = plain;
        if (c.protect !== 'plain') {
          body = buildCms({ plaintext: 'rt', signer: 'helsenorge', recipient: 'us' }, opts.pki, plain);
          if (c.protect === 'sealed-then-bytes') body = c.mutations.reduce((b, m) => m(b.toString('latin1'), b), body);
        }
        const world: HostileWorld = c.protect === 'plain' ? plainWorld : sealedWorld;
        await world.reset();
        tally.cases += 1;
        const t0 = performance.now();
        let outcome: ProcessOutcome | null = null;
        let problem: string | null = null;
        let thrown: unknown = null;
        io.active.on = true;
        try {
          outcome = await world.process(deliveryFor(body, `fuzz-${tally.cases}`, c.transport === 'amqp' ? { transport: 'amqp', fromHerId: 8093248 } : {}));
        } catch (err) {
          thrown = err;
        } finally {
          io.active.on = false;
        }
        if (thrown !== null) {
          const err = thrown;
          const where = err instanceof Error && !isTimebokError(err) ? ` ${(err.stack ?? '').split('\n').slice(0, 3).join(' | ').slice(0, 400)}` : '';
          problem = `thrown ${isTimebokError(err) ? err.code : err instanceof Error ? err.name : typeof err}${where}`;
        }
        const ms = performance.now() - t0;
        if (outcome) problem = classify(outcome);
        if (problem === null) {
          tally.classified += 1;
          if (REFUSED.has(outcome!.status)) tally.maxMs = Math.max(tally.maxMs, ms);
        } else {
          tally.unclassified += 1;
          if (tally.failures.length < 20) tally.failures.push(`${seed.name} ${c.level}/${c.protect}: ${problem}`);
          keepFailure(body, tally.unclassified);
        }
        const booked = await world.appointments();
        if (booked > 0 && (problem !== null || REFUSED.has(outcome!.status) || !validForBooking(plain, opts.schemas))) {
          tally.bookedFromInvalid += 1;
          if (tally.failures.length < 20) tally.failures.push(`${seed.name} ${c.level}/${c.protect}: booked from invalid input`);
        }
        return true;
      }),
      { numRuns: opts.cases, seed: opts.seed, endOnFailure: true },
    );
  } finally {
    io.restore();
    process.exit = realExit;
    process.off('exit', onExit);
    process.off('unhandledRejection', onRejection);
    await plainWorld.close();
    await sealedWorld.close();
  }
  tally.exits = exits.length;
  tally.unclassified += rejections.length;
  tally.fileAccess = io.counts.file;
  tally.netAccess = io.counts.net;
  if (io.counts.paths.length > 0) tally.failures.push(...io.counts.paths.map((p) => `io: ${p}`));
  tally.heapGrowthMb = Math.max(0, (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024);
  writeTally(opts.label, tally);
  return tally;
}

/** A failing input, kept for a regression fixture (in the system temp folder). */
function keepFailure(body: Uint8Array, n: number): void {
  if (n > 5) return;
  const dir = join(tmpdir(), 'timebok-fuzz-failures');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${process.pid}-${n}.bin`), body);
}

/** Where the test files of one jest run leave their tallies for the teardown (see teardown.ts). */
export function tallyDir(): string {
  return process.env.TIMEBOK_FUZZ_DIR ?? join(tmpdir(), 'timebok-fuzz-standalone');
}

function writeTally(label: string, tally: FuzzTally): void {
  const dir = tallyDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${label}.json`), JSON.stringify(tally));
}

export function fuzzLine(t: Omit<FuzzTally, 'failures' | 'fileAccess' | 'netAccess'>): string {
  return `FUZZ corpus=${t.corpus} cases=${t.cases} classified=${t.classified} unclassified=${t.unclassified} exits=${t.exits} booked_from_invalid=${t.bookedFromInvalid} max_ms=${t.maxMs.toFixed(1)} heap_growth_mb=${t.heapGrowthMb.toFixed(1)}`;
}

/**
 * Defines part `n` of `parts` of the run's fuzz cases (FUZZ_CASES, default 10,000 in `npm test`): one
 * test file per part, so that jest runs the parts side by side.
 */
export function fuzzPart(n: number, parts = 4): void {
  const cases = Math.ceil(Number(process.env.FUZZ_CASES ?? 10_000) / parts);
  let schemas: SchemaSet;
  let pki: TestPki;
  beforeAll(async () => {
    schemas = await loadSchemaSet();
    pki = await sharedTestPki();
  });
  afterAll(() => schemas.dispose());

  test(`every mutated input gets exactly one classified answer, nothing is booked from an invalid one, and nothing touches files or the network (part ${n})`, async () => {
    const t = await runFuzz({ schemas, pki, cases, seed: Number(process.env.FUZZ_SEED ?? 20261204) + n, label: `part-${n}` });
    expect({ line: fuzzLine(t), failures: t.failures }).toEqual({ line: expect.stringContaining('unclassified=0 exits=0 booked_from_invalid=0'), failures: [] });
    expect(t.fileAccess + t.netAccess).toBe(0);
    expect(t.heapGrowthMb).toBeLessThan(50);
  }, 600_000);
}
