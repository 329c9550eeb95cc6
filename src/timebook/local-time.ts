import { IANAZone } from 'luxon';

/**
 * Wall-clock arithmetic in a timebook's time zone. Local times are strings (`YYYY-MM-DD`,
 * `YYYY-MM-DDTHH:mm[:ss]`) because that is how the file and xCal carry them; instants are epoch ms.
 *
 * Luxon resolves an ambiguous wall time (the repeated autumn hour) to its *second* occurrence and
 * silently moves a non-existent one (the spring gap) forward; docs/decisions.md §22 needs the first occurrence and
 * "does not exist", so the resolution is done here from the zone's offsets.
 */

const MINUTE = 60_000;
const DAY = 86_400_000;

const zones = new Map<string, IANAZone>();

function zoneOf(name: string): IANAZone {
  let z = zones.get(name);
  if (z === undefined) {
    z = IANAZone.create(name);
    if (!z.isValid) throw new RangeError(`unknown time zone ${name}`);
    zones.set(name, z);
  }
  return z;
}

export function isValidTimeZone(name: string): boolean {
  return IANAZone.isValidZone(name);
}

const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/** The wall time read as if it were UTC (ms), or null when the string is not a local date(-time). */
function wallAsUtc(local: string): number | null {
  const m = LOCAL_RE.exec(local);
  if (m === null) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x))) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
}

/**
 * Every instant whose wall clock in `zone` reads `local`, earliest first: none in a spring gap, two in
 * the repeated autumn hour.
 */
export function localOccurrences(local: string, zone: string): number[] {
  const wall = wallAsUtc(local);
  if (wall === null) throw new RangeError('not a local date-time');
  const z = zoneOf(zone);
  const offsets = new Set([z.offset(wall - DAY), z.offset(wall), z.offset(wall + DAY)]);
  const found = new Set<number>();
  for (const o of offsets) {
    const t = wall - o * MINUTE;
    if (z.offset(t) === o) found.add(t);
  }
  return [...found].sort((a, b) => a - b);
}

/** The first instant at which the wall clock reads `local`, or null when that time does not exist. */
export function localToUtc(local: string, zone: string): number | null {
  return localOccurrences(local, zone)[0] ?? null;
}

/** Like {@link localToUtc}, but a time in a gap resolves to the end of the gap (the first later minute that exists). */
export function localToUtcLenient(local: string, zone: string): number {
  const exact = localToUtc(local, zone);
  if (exact !== null) return exact;
  const wall = wallAsUtc(local)!;
  for (let step = 1; step <= 24 * 60; step += 1) {
    const t = localToUtc(formatWall(wall + step * MINUTE), zone);
    if (t !== null) return t;
  }
  throw new RangeError('no such local time');
}

/** `YYYY-MM-DDTHH:mm:ss` wall clock of the instant `ms` in `zone`. */
export function utcToLocal(ms: number, zone: string): string {
  return formatWall(ms + zoneOf(zone).offset(ms) * MINUTE);
}

/** `YYYY-MM-DD` local date of the instant `ms` in `zone`. */
export function localDateOf(ms: number, zone: string): string {
  return utcToLocal(ms, zone).slice(0, 10);
}

/** The first instant of the local date `date` (00:00, or the first minute after it that exists). */
export function startOfLocalDay(date: string, zone: string): number {
  return localToUtcLenient(`${date}T00:00`, zone);
}

/** `date` plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  return formatWall(wallAsUtc(date)! + days * DAY).slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf(date: string): number {
  return new Date(wallAsUtc(date)!).getUTCDay();
}

/** `YYYY-MM-DDTHH:mm` of `date` plus `minutes` after its midnight (wall clock; 1440 = next day 00:00). */
export function wallAt(date: string, minutes: number): string {
  return formatWall(wallAsUtc(date)! + minutes * MINUTE).slice(0, 16);
}

/** True for an existing calendar date written `YYYY-MM-DD`. */
export function isCalendarDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const t = wallAsUtc(s);
  return t !== null && formatWall(t).slice(0, 10) === s;
}

function formatWall(wallMs: number): string {
  return new Date(wallMs).toISOString().slice(0, 19);
}
