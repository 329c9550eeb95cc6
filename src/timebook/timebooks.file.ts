import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { hasValidCheckDigits } from '../envelope/person-id.js';
import { locateJsonSyntaxError } from '../registry/json-syntax.js';
import { TimebokError } from '../shared/errors.js';
import { isCalendarDate, isValidTimeZone, localOccurrences } from './local-time.js';
import type {
  ConfirmationMode,
  EligibilityRule,
  SlotType,
  TimebookDefinition,
  TimebookKind,
  TimebooksFile,
  Weekday,
} from './types.js';

/**
 * `timebooks.json` (docs/file-formats.md): offices write it by hand, so it is validated strictly. Unknown
 * fields are refused (a misspelt `publsihed` must not silently mean "default"), every problem is reported
 * with its JSON path, and no value from the file is ever echoed (it may hold fødselsnumre).
 */

export const TIMEBOOK_KINDS = ['Koronatest', 'Koronavaksine', 'Lab', 'Vaksine', 'Behandlertimebok'] as const;
export const SLOT_TYPES = [
  'Ordinær',
  'Video',
  'Hastetime',
  'Tidsvindu',
  'Gruppe',
  'Vaksine',
  'Lab',
  'Koronatest',
  'Koronavaksine',
  'Telefon',
] as const;
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

export const DEFAULT_TIME_ZONE = 'Europe/Oslo';
export const DEFAULTS = {
  published: true,
  minNoticeMinutes: 0,
  horizonDays: 60,
  cancelCutoffMinutes: 0,
  urgentBookableDigitally: false,
  capacity: 1,
  type: 'Ordinær' as SlotType,
} as const;
export const PREREQUISITES_MAX = 300;

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const HHMM_OR_2400 = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/;
const LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d$/;
/** Timebook ids become part of slot ids (`<id>@<local start>`), which travel as xCal uids. */
const BOOK_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** Explicit single-slot ids; without "@" so that they never collide with generated ones. */
const SLOT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

/** A type error message that says "is required" when the field is missing. */
const expect = (what: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : what),
});

const text = (max: number) =>
  z.string(expect('must be a string')).trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const herId = z.int(expect('must be a HER-id (a whole number)')).positive('must be a HER-id (a positive number)');
const count = (min: number, max: number) =>
  z
    .int(expect('must be a whole number'))
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);
const localDate = z
  .string()
  .refine(isCalendarDate, 'must be a date written YYYY-MM-DD (e.g. 2026-03-02)');
const personId = z
  .string(expect('must be a fødselsnummer or D-number (11 digits, as a string)'))
  .refine(hasValidCheckDigits, 'is not a valid fødselsnummer or D-number (11 digits with valid check digits)');
const slotType = z.enum(SLOT_TYPES, expect(`must be one of ${SLOT_TYPES.join(', ')}`));

const scheduleEntrySchema = z.strictObject({
  days: z
    .array(z.enum(WEEKDAYS, expect(`must be one of ${WEEKDAYS.join(', ')}`)))
    .min(1, 'must name at least one day'),
  from: z.string().regex(HHMM, 'must be a time written HH:MM (00:00-23:59)'),
  to: z.string().regex(HHMM_OR_2400, 'must be a time written HH:MM (00:01-24:00)'),
  slotMinutes: count(1, 1440),
  capacity: count(1, 100_000).optional(),
  type: slotType.optional(),
});

const singleSlotSchema = z.strictObject({
  id: z
    .string(expect('must be a string'))
    .regex(SLOT_ID, 'must be 1-100 letters, digits, ".", "_", ":" or "-" (no "@")')
    .optional(),
  start: z.string().regex(LOCAL_DATE_TIME, 'must be a local date-time written YYYY-MM-DDTHH:MM'),
  end: z.string().regex(LOCAL_DATE_TIME, 'must be a local date-time written YYYY-MM-DDTHH:MM'),
  capacity: count(1, 100_000).optional(),
  type: slotType.optional(),
});

const eligibilitySchema = z.strictObject({
  minAge: count(0, 150).optional(),
  maxAge: count(0, 150).optional(),
  listOf: herId.optional(),
  officeList: z.boolean(expect('must be true or false')).optional(),
  patients: z.array(personId).optional(),
});

const timebookSchema = z.strictObject({
  id: z.string().regex(BOOK_ID, 'must be 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit'),
  herId,
  kind: z.enum(TIMEBOOK_KINDS, expect(`must be one of ${TIMEBOOK_KINDS.join(', ')}`)),
  name: text(200),
  text: text(1000).optional(),
  location: z
    .strictObject({ name: text(200), address: text(300).optional(), meetingPlace: text(300).optional() })
    .optional(),
  published: z.boolean(expect('must be true or false')).optional(),
  prerequisites: z
    .string()
    .trim()
    .max(PREREQUISITES_MAX, `must be at most ${PREREQUISITES_MAX} characters (it is shown before booking)`)
    .optional(),
  eligibility: eligibilitySchema.optional(),
  form: text(200).optional(),
  videoMeeting: text(500).optional(),
  confirmation: z.enum(['auto', 'manual'], expect('must be "auto" or "manual"')).optional(),
  minNoticeMinutes: count(0, 525_600).optional(),
  horizonDays: count(1, 730).optional(),
  cancelCutoffMinutes: count(0, 525_600).optional(),
  maxActivePerPatient: count(1, 10_000).optional(),
  urgentBookableDigitally: z.boolean(expect('must be true or false')).optional(),
  schedule: z.array(scheduleEntrySchema).optional(),
  slots: z.array(singleSlotSchema).optional(),
  validFrom: localDate.optional(),
  validTo: localDate.optional(),
  timeZone: z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Oslo').optional(),
});

const fileSchema = z.strictObject({
  timeZone: z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Oslo').optional(),
  timebooks: z.array(timebookSchema),
  listPatients: z.record(z.string(), z.array(personId, 'must be a list of fødselsnumre')).optional(),
});

type RawFile = z.output<typeof fileSchema>;
type RawBook = RawFile['timebooks'][number];

/** One problem found in the file: where (JSON path) and what (never the value). */
export interface FileProblem {
  path: string;
  problem: string;
}

/**
 * Validates a parsed `timebooks.json` value and applies the defaults.
 * @throws TimebokError `ERR_SETUP_FILE` with `detail.path` (first problem) and `detail.problems` (all).
 */
export function parseTimebooksFile(value: unknown, source = 'timebooks.json'): TimebooksFile {
  const parsed = fileSchema.safeParse(value, {
    error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined),
  });
  if (!parsed.success) {
    throw setupError(source, parsed.error.issues.flatMap(toProblems));
  }
  const problems: FileProblem[] = [];
  const file = normalise(parsed.data, problems);
  if (problems.length > 0) throw setupError(source, problems);
  return file;
}

/**
 * Reads and validates a `timebooks.json` file.
 * @throws TimebokError `ERR_SETUP_FILE` when it cannot be read, is not JSON (with line and column) or is invalid.
 */
export async function loadTimebooksFile(path: string): Promise<TimebooksFile> {
  let textContent: string;
  try {
    textContent = (await readFile(path, 'utf8')).replace(/^\uFEFF/, '');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new TimebokError('ERR_SETUP_FILE', `${path}: cannot read the timebooks file (${code})`, {
      cause,
      detail: { file: path, path: '', problem: `cannot read (${code})` },
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(textContent);
  } catch {
    // V8's message can quote the input (a fødselsnummer); only the position is reported.
    const where = locateJsonSyntaxError(textContent);
    const at = where ? `line ${where.line}, column ${where.column}: ${where.reason}` : 'not valid JSON';
    throw new TimebokError('ERR_SETUP_FILE', `${path}: not valid JSON at ${at}`, {
      detail: {
        file: path,
        path: '',
        problem: 'not valid JSON',
        ...(where ? { line: where.line, column: where.column, position: where.position } : {}),
      },
    });
  }
  return parseTimebooksFile(value, path);
}

function setupError(source: string, problems: FileProblem[]): TimebokError {
  const first = problems[0] ?? { path: '', problem: 'invalid' };
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  return new TimebokError('ERR_SETUP_FILE', `${source}: ${first.path || '(top level)'}: ${first.problem}${more}`, {
    detail: { file: source, path: first.path, problem: first.problem, problems: problems.slice(0, 50) },
  });
}

function toProblems(issue: z.core.$ZodIssue): FileProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: jsonPath([...issue.path, safeKey(key)]),
      problem: 'unknown field (check the spelling; see docs/file-formats.md)',
    }));
  }
  return [{ path: jsonPath(issue.path), problem: issue.message }];
}

/** A key that looks like a person id is not repeated in the error. */
function safeKey(key: string): string {
  return /\d{11}/.test(key) ? '<11-digit number>' : key;
}

/** `timebooks[0].schedule[1].from`, with `["…"]` for keys that are not plain identifiers. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else {
      const key = String(part);
      if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) out += out === '' ? key : `.${key}`;
      else out += `[${JSON.stringify(safeKey(key))}]`;
    }
  }
  return out;
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

function normalise(raw: RawFile, problems: FileProblem[]): TimebooksFile {
  const fileZone = raw.timeZone ?? DEFAULT_TIME_ZONE;
  const seen = new Map<string, number>();
  const slotIds = new Map<string, string>();
  const timebooks = raw.timebooks.map((book, i) => {
    const at = (...rest: PropertyKey[]) => jsonPath(['timebooks', i, ...rest]);
    const first = seen.get(book.id);
    if (first !== undefined) {
      problems.push({ path: at('id'), problem: `duplicate timebook id (also used by timebooks[${first}])` });
    } else seen.set(book.id, i);
    (book.slots ?? []).forEach((slot, j) => {
      if (slot.id === undefined) return;
      const other = slotIds.get(slot.id);
      if (other !== undefined) problems.push({ path: at('slots', j, 'id'), problem: `duplicate slot id (also used by ${other})` });
      else slotIds.set(slot.id, at('slots', j));
    });
    return normaliseBook(book, fileZone, at, problems);
  });
  const listPatients: Record<string, string[]> = {};
  for (const [key, ids] of Object.entries(raw.listPatients ?? {})) {
    if (!/^[1-9]\d{0,9}$/.test(key)) {
      problems.push({ path: jsonPath(['listPatients', key]), problem: 'key must be a practitioner HER-id' });
      continue;
    }
    listPatients[key] = [...new Set(ids)];
  }
  return { timeZone: fileZone, timebooks, listPatients };
}

function normaliseBook(
  book: RawBook,
  fileZone: string,
  at: (...rest: PropertyKey[]) => string,
  problems: FileProblem[],
): TimebookDefinition {
  const timeZone = book.timeZone ?? fileZone;
  if (book.validFrom !== undefined && book.validTo !== undefined && book.validTo < book.validFrom) {
    problems.push({ path: at('validTo'), problem: 'must not be before validFrom' });
  }
  const schedule = (book.schedule ?? []).map((entry, j) => {
    const from = minutesOf(entry.from);
    const to = minutesOf(entry.to);
    if (to <= from) problems.push({ path: at('schedule', j, 'to'), problem: 'must be later than from' });
    else if (entry.slotMinutes > to - from) {
      problems.push({ path: at('schedule', j, 'slotMinutes'), problem: 'is longer than the from-to period: no slot fits' });
    }
    if (new Set(entry.days).size !== entry.days.length) {
      problems.push({ path: at('schedule', j, 'days'), problem: 'names a day twice' });
    }
    return {
      days: entry.days as Weekday[],
      from: entry.from,
      to: entry.to,
      slotMinutes: entry.slotMinutes,
      capacity: entry.capacity ?? DEFAULTS.capacity,
      type: (entry.type ?? DEFAULTS.type) as SlotType,
    };
  });
  const slots = (book.slots ?? []).map((slot, j) => {
    const checkExists = (field: 'start' | 'end'): number | null => {
      const value = slot[field];
      if (!isCalendarDate(value.slice(0, 10))) {
        problems.push({ path: at('slots', j, field), problem: 'is not a calendar date' });
        return null;
      }
      const t = localOccurrences(value, timeZone)[0];
      if (t === undefined) {
        problems.push({
          path: at('slots', j, field),
          problem: `does not exist in ${timeZone} (clocks skip it when daylight saving time starts)`,
        });
        return null;
      }
      return t;
    };
    const start = checkExists('start');
    const end = checkExists('end');
    if (start !== null && end !== null && !localOccurrences(slot.end, timeZone).some((t) => t > start)) {
      problems.push({ path: at('slots', j, 'end'), problem: 'must be later than start' });
    }
    return {
      ...(slot.id !== undefined ? { id: slot.id } : {}),
      start: slot.start,
      end: slot.end,
      capacity: slot.capacity ?? DEFAULTS.capacity,
      type: (slot.type ?? DEFAULTS.type) as SlotType,
    };
  });
  let eligibility: EligibilityRule | null = null;
  if (book.eligibility !== undefined) {
    const e = book.eligibility;
    if (e.minAge !== undefined && e.maxAge !== undefined && e.maxAge < e.minAge) {
      problems.push({ path: at('eligibility', 'maxAge'), problem: 'must not be less than minAge' });
    }
    if (e.officeList === false) {
      problems.push({ path: at('eligibility', 'officeList'), problem: 'must be true when given (omit it otherwise)' });
    }
    eligibility = {};
    if (e.minAge !== undefined) eligibility.minAge = e.minAge;
    if (e.maxAge !== undefined) eligibility.maxAge = e.maxAge;
    if (e.listOf !== undefined) eligibility.listOf = e.listOf;
    if (e.officeList === true) eligibility.officeList = true;
    if (e.patients !== undefined) eligibility.patients = [...new Set(e.patients)];
    if (Object.keys(eligibility).length === 0) eligibility = null;
  }
  const kind = book.kind as TimebookKind;
  const confirmation: ConfirmationMode = book.confirmation ?? (kind === 'Behandlertimebok' ? 'manual' : 'auto');
  return {
    id: book.id,
    herId: book.herId,
    kind,
    name: book.name,
    text: book.text ?? null,
    location:
      book.location === undefined
        ? null
        : {
            name: book.location.name,
            ...(book.location.address !== undefined ? { address: book.location.address } : {}),
            ...(book.location.meetingPlace !== undefined ? { meetingPlace: book.location.meetingPlace } : {}),
          },
    published: book.published ?? DEFAULTS.published,
    prerequisites: book.prerequisites === undefined || book.prerequisites === '' ? null : book.prerequisites,
    eligibility,
    form: book.form ?? null,
    videoMeeting: book.videoMeeting ?? null,
    confirmation,
    minNoticeMinutes: book.minNoticeMinutes ?? DEFAULTS.minNoticeMinutes,
    horizonDays: book.horizonDays ?? DEFAULTS.horizonDays,
    cancelCutoffMinutes: book.cancelCutoffMinutes ?? DEFAULTS.cancelCutoffMinutes,
    maxActivePerPatient: book.maxActivePerPatient ?? null,
    urgentBookableDigitally: book.urgentBookableDigitally ?? DEFAULTS.urgentBookableDigitally,
    schedule,
    slots,
    validFrom: book.validFrom ?? null,
    validTo: book.validTo ?? null,
    timeZone,
  };
}
