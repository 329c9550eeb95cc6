import {
  addDays,
  localDateOf,
  localOccurrences,
  localToUtc,
  localToUtcLenient,
  utcToLocal,
  wallAt,
  weekdayOf,
} from './local-time.js';
import type { ScheduleEntry, SingleSlotDefinition, SlotType, Weekday } from './types.js';

/** A slot to materialise. Times: ISO-8601 UTC instants and local wall clock (`YYYY-MM-DDTHH:mm:ss`). */
export interface SlotSpec {
  /** `<timebookId>@<local start YYYY-MM-DDTHH:mm>` (docs/decisions.md §5), or a single slot's explicit id. */
  id: string;
  timebookId: string;
  startUtc: string;
  endUtc: string;
  localStart: string;
  localEnd: string;
  capacity: number;
  type: SlotType;
  origin: 'schedule' | 'single';
}

/** What the generator needs of a timebook (a file definition and a stored row both fit). */
export interface SlotSource {
  id: string;
  timeZone: string;
  schedule: ScheduleEntry[];
  /** Single slots (`slots` in the file). */
  slots?: SingleSlotDefinition[];
  singleSlots?: SingleSlotDefinition[];
  validFrom: string | null;
  validTo: string | null;
}

const MINUTE = 60_000;
const DAY_KEYS: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** The slot id for a local start (`YYYY-MM-DDTHH:mm[:ss]`). */
export function slotIdFor(timebookId: string, localStart: string): string {
  return `${timebookId}@${localStart.slice(0, 16)}`;
}

/**
 * The slots of `book` that start in [fromUtc, toUtc), ordered by start. Pure.
 *
 * Schedule lines step through local wall-clock time from `from` in `slotMinutes` steps, on the listed
 * weekdays between `validFrom` and `validTo` (both inclusive). docs/decisions.md §22: a start in the missing
 * spring hour is not created; in the repeated autumn hour only its first occurrence is; a slot lasts
 * `slotMinutes` real minutes (so its local end may jump across the change), must end by `to`, and never
 * overlaps the previous slot of the same line. Single slots are exempt from validFrom/validTo and
 * replace a schedule slot with the same local start; between schedule lines the first line wins.
 */
export function generateSlots(book: SlotSource, fromUtc: Date, toUtc: Date): SlotSpec[] {
  const from = fromUtc.getTime();
  const to = toUtc.getTime();
  if (!(to > from)) return [];
  const zone = book.timeZone;
  const byStart = new Map<string, SlotSpec>();

  let day = localDateOf(from, zone);
  let lastDay = localDateOf(to, zone);
  if (book.validFrom !== null && book.validFrom > day) day = book.validFrom;
  if (book.validTo !== null && book.validTo < lastDay) lastDay = book.validTo;
  for (; day <= lastDay; day = addDays(day, 1)) {
    const weekday = DAY_KEYS[weekdayOf(day)]!;
    for (const entry of book.schedule) {
      if (!entry.days.includes(weekday)) continue;
      addScheduleDay(book.id, zone, entry, day, from, to, byStart);
    }
  }

  for (const single of book.slots ?? book.singleSlots ?? []) {
    const start = localToUtc(single.start, zone);
    if (start === null || start < from || start >= to) continue;
    const end = localOccurrences(single.end, zone).find((t) => t > start);
    if (end === undefined) continue;
    const localStart = `${single.start}:00`;
    byStart.set(localStart, {
      id: single.id ?? slotIdFor(book.id, localStart),
      timebookId: book.id,
      startUtc: new Date(start).toISOString(),
      endUtc: new Date(end).toISOString(),
      localStart,
      localEnd: utcToLocal(end, zone),
      capacity: single.capacity,
      type: single.type,
      origin: 'single',
    });
  }

  return [...byStart.values()].sort((a, b) => (a.startUtc < b.startUtc ? -1 : a.startUtc > b.startUtc ? 1 : 0));
}

function addScheduleDay(
  bookId: string,
  zone: string,
  entry: ScheduleEntry,
  day: string,
  from: number,
  to: number,
  out: Map<string, SlotSpec>,
): void {
  const [fh, fm] = entry.from.split(':').map(Number) as [number, number];
  const [th, tm] = entry.to.split(':').map(Number) as [number, number];
  const firstMinute = fh * 60 + fm;
  const lastMinute = th * 60 + tm;
  // `to` in the spring gap means "until the clocks have jumped".
  const closesAt = localToUtcLenient(wallAt(day, lastMinute), zone);
  let previousEnd = -Infinity;
  for (let minute = firstMinute; minute + entry.slotMinutes <= lastMinute; minute += entry.slotMinutes) {
    const wall = wallAt(day, minute);
    const start = localToUtc(wall, zone);
    if (start === null) continue; // missing spring hour
    const end = start + entry.slotMinutes * MINUTE;
    if (end > closesAt || start < previousEnd) continue;
    previousEnd = end;
    if (start < from || start >= to) continue;
    const localStart = `${wall}:00`;
    if (out.has(localStart)) continue;
    out.set(localStart, {
      id: slotIdFor(bookId, localStart),
      timebookId: bookId,
      startUtc: new Date(start).toISOString(),
      endUtc: new Date(end).toISOString(),
      localStart,
      localEnd: utcToLocal(end, zone),
      capacity: entry.capacity,
      type: entry.type,
      origin: 'schedule',
    });
  }
}
