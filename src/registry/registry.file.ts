import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { TimebokError } from '../shared/errors.js';
import { locateJsonSyntaxError } from './json-syntax.js';
import type { PartyCertificates, RegistryRecord, RegistrySource } from './types.js';

/**
 * registry.json (docs/file-formats.md) — an Adresseregisteret snapshot written by hand.
 *
 * Accepted shape, per party: `herId` (positive integer, unique), `name`, `type`
 * (`Organization` | `Service` | `Person` | `Department`), `parentHerId` (a HER-id of this file, or null;
 * absent = null), `organizationNumber` (9 digits), `hprNumber` (digits), `active` (absent = true,
 * docs/decisions.md §19), `queues` `{ async, sync, error }`, `processes` (absent = none), `certificates`
 * `{ signing?, encryption? }` with paths relative to the file.
 *
 * "A party may have one certificate for both uses": besides `{ "signing": "x.pem", "encryption": "x.pem" }`
 * the file may say `"certificates": "x.pem"`, which means exactly that. It is harmless: it is read into the
 * same object and nothing downstream sees the difference. Certificate files need not exist at import:
 * the protection stage checks them.
 *
 * Unknown keys are errors, so a misspelt key is never silently ignored.
 */

export interface RegistryWarning {
  /** JSON path, e.g. `parties[3].queues`. */
  path: string;
  message: string;
}

export interface RegistryFile {
  generatedAt: string;
  /** In file order; certificate paths absolute. */
  parties: RegistryRecord[];
  /** Suspicious but allowed content (log these). */
  warnings: RegistryWarning[];
}

const herIdSchema = z.number().int().positive();

const certificatesSchema = z.preprocess(
  (value) => (typeof value === 'string' ? { signing: value, encryption: value } : value),
  z
    .strictObject({
      signing: z.string().min(1).optional(),
      encryption: z.string().min(1).optional(),
    })
    .refine((c) => c.signing !== undefined || c.encryption !== undefined, {
      message: 'needs "signing" and/or "encryption" (or one path for both uses)',
    }),
);

const partySchema = z.strictObject({
  herId: herIdSchema,
  name: z.string().trim().min(1).max(500),
  type: z.enum(['Organization', 'Service', 'Person', 'Department']),
  parentHerId: herIdSchema.nullable().optional(),
  organizationNumber: z
    .string()
    .regex(/^[0-9]{9}$/, { message: 'must be 9 digits' })
    .nullable()
    .optional(),
  hprNumber: z
    .string()
    .regex(/^[0-9]{1,10}$/, { message: 'must be digits' })
    .nullable()
    .optional(),
  active: z.boolean().optional(),
  queues: z
    .strictObject({
      async: z.string().trim().min(1),
      sync: z.string().trim().min(1),
      error: z.string().trim().min(1),
    })
    .nullable()
    .optional(),
  processes: z.array(z.string().trim().min(1)).optional(),
  certificates: certificatesSchema.nullable().optional(),
});

const fileSchema = z.strictObject({
  generatedAt: z.iso.datetime({
    offset: true,
    message: 'must be an ISO-8601 date-time, e.g. 2026-03-01T06:00:00+01:00',
  }),
  parties: z.array(partySchema),
});

interface Problem {
  path: string;
  message: string;
}

/**
 * Validates a parsed registry.json and returns its parties with certificate paths made absolute
 * against `baseDir` (the file's folder).
 *
 * @throws TimebokError `ERR_SETUP_FILE` with `detail.path` (JSON path of the first problem) and
 *   `detail.problems` (all of them): shape errors, duplicate `herId`, `parentHerId` not in the file,
 *   parent cycles.
 */
export function parseRegistryFile(raw: unknown, baseDir: string, fileLabel = 'registry.json'): RegistryFile {
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw setupError(fileLabel, parsed.error.issues.map(issueToProblem));
  }
  const { generatedAt, parties } = parsed.data;

  const problems: Problem[] = [];
  const indexByHerId = new Map<number, number>();
  parties.forEach((p, i) => {
    const first = indexByHerId.get(p.herId);
    if (first !== undefined) {
      problems.push({ path: `parties[${i}].herId`, message: `HER-id ${p.herId} is also parties[${first}]` });
    } else {
      indexByHerId.set(p.herId, i);
    }
  });
  parties.forEach((p, i) => {
    const parent = p.parentHerId ?? null;
    if (parent !== null && !indexByHerId.has(parent)) {
      problems.push({ path: `parties[${i}].parentHerId`, message: `HER-id ${parent} is not a party in this file` });
    }
  });
  if (problems.length === 0) problems.push(...findCycles(parties));
  if (problems.length > 0) throw setupError(fileLabel, problems);

  const warnings: RegistryWarning[] = [];
  const records = parties.map((p, i): RegistryRecord => {
    const parentHerId = p.parentHerId ?? null;
    const queues = p.queues ?? null;
    if (parentHerId === null && queues === null && (p.type === 'Person' || p.type === 'Service')) {
      warnings.push({
        path: `parties[${i}].queues`,
        message: `a ${p.type} without parentHerId and without queues of its own cannot be reached`,
      });
    }
    return {
      herId: p.herId,
      name: p.name,
      type: p.type,
      parentHerId,
      organizationNumber: p.organizationNumber ?? null,
      hprNumber: p.hprNumber ?? null,
      active: p.active ?? true,
      processes: p.processes ?? [],
      queues: queues === null ? null : { async: queues.async, sync: queues.sync, error: queues.error },
      certificates: resolveCertificates(p.certificates ?? null, baseDir),
    };
  });
  return { generatedAt, parties: records, warnings };
}

/**
 * Reads and validates registry.json at `filePath` (a UTF-8 BOM is allowed).
 *
 * @throws TimebokError `ERR_SETUP_FILE`: unreadable file; not JSON (`detail.line`, `detail.column`,
 *   `detail.position`); or any problem of {@link parseRegistryFile}.
 */
export async function loadRegistryFile(filePath: string): Promise<RegistryFile> {
  const absolute = path.resolve(filePath);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'unknown';
    throw new TimebokError('ERR_SETUP_FILE', `${absolute}: cannot be read (${code})`, {
      cause,
      detail: { file: absolute, path: '' },
    });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw jsonError(absolute, text);
  }
  return parseRegistryFile(raw, path.dirname(absolute), absolute);
}

/** The file as a {@link RegistrySource}: lookups by HER-id in the parsed snapshot. */
export class FileRegistrySource implements RegistrySource {
  private readonly byHerId: ReadonlyMap<number, RegistryRecord>;

  constructor(file: RegistryFile) {
    this.byHerId = new Map(file.parties.map((p) => [p.herId, p]));
  }

  async fetchParty(herId: number): Promise<RegistryRecord | null> {
    const record = this.byHerId.get(herId);
    return record === undefined ? null : structuredClone(record);
  }
}

function resolveCertificates(
  certificates: { signing?: string | undefined; encryption?: string | undefined } | null,
  baseDir: string,
): PartyCertificates | null {
  if (certificates === null) return null;
  const resolve = (p: string | undefined): string | null => (p === undefined ? null : path.resolve(baseDir, p));
  return { signing: resolve(certificates.signing), encryption: resolve(certificates.encryption) };
}

/** Parent chains must end: reports the first party (in file order) whose chain loops. */
function findCycles(parties: readonly { herId: number; parentHerId?: number | null | undefined }[]): Problem[] {
  const parentOf = new Map(parties.map((p) => [p.herId, p.parentHerId ?? null]));
  const done = new Set<number>();
  for (const [i, p] of parties.entries()) {
    const chain: number[] = [];
    let current: number | null = p.herId;
    while (current !== null && !done.has(current)) {
      const seenAt = chain.indexOf(current);
      if (seenAt >= 0) {
        const loop = [...chain.slice(seenAt), current].join(' → ');
        return [{ path: `parties[${i}].parentHerId`, message: `parent chain forms a cycle: ${loop}` }];
      }
      chain.push(current);
      current = parentOf.get(current) ?? null;
    }
    for (const herId of chain) done.add(herId);
  }
  return [];
}

function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else {
      const key = String(s);
      out += /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? (out === '' ? key : `.${key}`) : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

function issueToProblem(issue: z.core.$ZodIssue): Problem {
  if (issue.code === 'unrecognized_keys') {
    const [first] = issue.keys;
    return {
      path: formatPath(first === undefined ? issue.path : [...issue.path, first]),
      message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`,
    };
  }
  const message = issue.message.endsWith('received undefined') ? 'is required' : issue.message;
  return { path: formatPath(issue.path), message };
}

function setupError(file: string, problems: Problem[]): TimebokError {
  const [first] = problems;
  const where = first === undefined ? '' : `${first.path === '' ? '(root)' : first.path}: ${first.message}`;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return new TimebokError('ERR_SETUP_FILE', `${file}: ${where}${more}`, {
    detail: { file, path: first?.path ?? '', problems },
  });
}

function jsonError(file: string, text: string): TimebokError {
  let problem = null;
  try {
    problem = locateJsonSyntaxError(text);
  } catch {
    // absurdly deep nesting: report without a position
  }
  if (problem === null) {
    return new TimebokError('ERR_SETUP_FILE', `${file}: not valid JSON`, { detail: { file, path: '' } });
  }
  const { line, column, position, reason } = problem;
  return new TimebokError('ERR_SETUP_FILE', `${file}: not valid JSON at line ${line}, column ${column}: ${reason}`, {
    detail: { file, path: '', line, column, position },
  });
}
