import { generateSlots, slotIdFor, type SlotSource } from '../../../src/timebook/slot.generator.js';
import type { ScheduleEntry } from '../../../src/timebook/types.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

function book(schedule: Partial<ScheduleEntry>[], extra: Partial<SlotSource> = {}): SlotSource {
  return {
    id: 'bok',
    timeZone: 'Europe/Oslo',
    schedule: schedule.map((s) => ({
      days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
      from: '08:00',
      to: '09:00',
      slotMinutes: 30,
      capacity: 1,
      type: 'Ordinær',
      ...s,
    })),
    slots: [],
    validFrom: null,
    validTo: null,
    ...extra,
  };
}

/** All slots on one local date, generated over a window wide enough around it. */
function onDay(source: SlotSource, date: string) {
  const noon = Date.parse(`${date}T12:00:00Z`);
  return generateSlots(source, new Date(noon - DAY), new Date(noon + DAY)).filter((s) => s.localStart.startsWith(date));
}

describe('generateSlots: ordinary days', () => {
  it('steps from `from` in slotMinutes and keeps only slots that end by `to`', () => {
    const slots = generateSlots(
      book([{ from: '08:00', to: '09:10', slotMinutes: 20 }]),
      new Date('2026-03-02T00:00:00Z'),
      new Date('2026-03-02T23:00:00Z'),
    );
    expect(slots.map((s) => [s.localStart, s.localEnd])).toEqual([
      ['2026-03-02T08:00:00', '2026-03-02T08:20:00'],
      ['2026-03-02T08:20:00', '2026-03-02T08:40:00'],
      ['2026-03-02T08:40:00', '2026-03-02T09:00:00'],
    ]);
  });

  it('gives each slot a readable deterministic id, UTC instants and the schedule capacity and type', () => {
    const [first] = generateSlots(
      book([{ capacity: 3, type: 'Vaksine' }]),
      new Date('2026-03-02T00:00:00Z'),
      new Date('2026-03-02T23:00:00Z'),
    );
    expect(first).toEqual({
      id: 'bok@2026-03-02T08:00',
      timebookId: 'bok',
      startUtc: '2026-03-02T07:00:00.000Z',
      endUtc: '2026-03-02T07:30:00.000Z',
      localStart: '2026-03-02T08:00:00',
      localEnd: '2026-03-02T08:30:00',
      capacity: 3,
      type: 'Vaksine',
      origin: 'schedule',
    });
    expect(slotIdFor('bok', '2026-03-02T08:00:00')).toBe('bok@2026-03-02T08:00');
  });

  it('uses only the listed weekdays', () => {
    const slots = generateSlots(
      book([{ days: ['tue', 'thu'], slotMinutes: 60 }]),
      new Date('2026-03-02T00:00:00Z'), // Monday
      new Date('2026-03-09T00:00:00Z'),
    );
    expect(slots.map((s) => s.localStart)).toEqual(['2026-03-03T08:00:00', '2026-03-05T08:00:00']);
  });

  it('returns the slots that start in [from, to) only', () => {
    const slots = generateSlots(
      book([{ from: '08:00', to: '10:00', slotMinutes: 30 }]),
      new Date('2026-03-02T07:30:00Z'), // 08:30 local
      new Date('2026-03-02T08:30:00Z'), // 09:30 local, excluded
    );
    expect(slots.map((s) => s.localStart)).toEqual(['2026-03-02T08:30:00', '2026-03-02T09:00:00']);
  });

  it('honours validFrom and validTo, both inclusive (DECISIONS 21)', () => {
    const slots = generateSlots(
      book([{ slotMinutes: 60 }], { validFrom: '2026-03-03', validTo: '2026-03-05' }),
      new Date('2026-03-01T00:00:00Z'),
      new Date('2026-03-10T00:00:00Z'),
    );
    expect(slots.map((s) => s.localStart.slice(0, 10))).toEqual(['2026-03-03', '2026-03-04', '2026-03-05']);
  });

  it('adds single slots (outside validity too) and lets them replace a schedule slot with the same start', () => {
    const slots = generateSlots(
      book([{ slotMinutes: 30 }], {
        validTo: '2026-03-02',
        slots: [
          { start: '2026-03-02T08:30', end: '2026-03-02T08:50', capacity: 4, type: 'Video' },
          { id: 'EKSTERN-1', start: '2026-03-03T14:00', end: '2026-03-03T14:15', capacity: 1, type: 'Ordinær' },
        ],
      }),
      new Date('2026-03-02T00:00:00Z'),
      new Date('2026-03-04T00:00:00Z'),
    );
    expect(slots.map((s) => [s.id, s.localEnd, s.capacity, s.type, s.origin])).toEqual([
      ['bok@2026-03-02T08:00', '2026-03-02T08:30:00', 1, 'Ordinær', 'schedule'],
      ['bok@2026-03-02T08:30', '2026-03-02T08:50:00', 4, 'Video', 'single'],
      ['EKSTERN-1', '2026-03-03T14:15:00', 1, 'Ordinær', 'single'],
    ]);
  });

  it('keeps the first schedule line when two lines produce the same local start', () => {
    const slots = generateSlots(
      book([{ type: 'Ordinær' }, { type: 'Video' }]),
      new Date('2026-03-02T00:00:00Z'),
      new Date('2026-03-02T23:00:00Z'),
    );
    expect(slots.map((s) => s.type)).toEqual(['Ordinær', 'Ordinær']);
  });

  it('reads `to` 24:00 as the end of the day', () => {
    const slots = onDay(book([{ from: '23:00', to: '24:00', slotMinutes: 30 }]), '2026-03-02');
    expect(slots.map((s) => [s.localStart, s.localEnd])).toEqual([
      ['2026-03-02T23:00:00', '2026-03-02T23:30:00'],
      ['2026-03-02T23:30:00', '2026-03-03T00:00:00'],
    ]);
  });

  it('returns nothing for an empty or inverted window', () => {
    const source = book([{}]);
    expect(generateSlots(source, new Date('2026-03-02T12:00:00Z'), new Date('2026-03-02T12:00:00Z'))).toEqual([]);
    expect(generateSlots(source, new Date('2026-03-03T12:00:00Z'), new Date('2026-03-02T12:00:00Z'))).toEqual([]);
  });
});

describe('generateSlots: daylight saving time in Europe/Oslo (DECISIONS 22)', () => {
  const night = book([{ days: ['sun'], from: '01:00', to: '04:00', slotMinutes: 30 }]);

  it('creates no slot starting in the missing spring hour (29 March 2026, 02:00-02:59)', () => {
    const slots = onDay(night, '2026-03-29');
    expect(slots.map((s) => s.localStart.slice(11, 16))).toEqual(['01:00', '01:30', '03:00', '03:30']);
    expect(slots.some((s) => s.localStart.slice(11, 13) === '02')).toBe(false);
  });

  it('lets a slot last slotMinutes real minutes across the spring change (01:30 CET ends 03:00 CEST)', () => {
    const slots = onDay(night, '2026-03-29');
    for (const s of slots) expect(Date.parse(s.endUtc) - Date.parse(s.startUtc)).toBe(30 * MINUTE);
    expect(slots[1]).toMatchObject({
      localStart: '2026-03-29T01:30:00',
      startUtc: '2026-03-29T00:30:00.000Z',
      localEnd: '2026-03-29T03:00:00',
      endUtc: '2026-03-29T01:00:00.000Z',
    });
  });

  it('creates only the first occurrence of the repeated autumn hour (25 October 2026)', () => {
    const slots = onDay(night, '2026-10-25');
    expect(slots.map((s) => s.localStart.slice(11, 16))).toEqual(['01:00', '01:30', '02:00', '02:30', '03:00', '03:30']);
    // 02:00 and 02:30 are the summer-time (first) occurrences: UTC 00:00 and 00:30.
    expect(slots.filter((s) => s.localStart.slice(11, 13) === '02').map((s) => s.startUtc)).toEqual([
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T00:30:00.000Z',
    ]);
    expect(new Set(slots.map((s) => s.id)).size).toBe(slots.length);
  });

  it('lets a slot last slotMinutes real minutes across the autumn change (02:30 CEST ends 02:00 CET)', () => {
    const slots = onDay(night, '2026-10-25');
    for (const s of slots) expect(Date.parse(s.endUtc) - Date.parse(s.startUtc)).toBe(30 * MINUTE);
    expect(slots[3]).toMatchObject({ localStart: '2026-10-25T02:30:00', localEnd: '2026-10-25T02:00:00' });
    expect(slots[4]).toMatchObject({ localStart: '2026-10-25T03:00:00', startUtc: '2026-10-25T02:00:00.000Z' });
  });

  it('never lets a slot overlap the previous one when the spring gap cuts a longer step', () => {
    const slots = onDay(book([{ days: ['sun'], from: '01:30', to: '05:00', slotMinutes: 45 }]), '2026-03-29');
    // 01:30 CET + 45 real minutes ends 03:15 CEST; 02:15 does not exist; 03:00 would overlap; 03:45 is next.
    expect(slots.map((s) => `${s.localStart.slice(11, 16)}-${s.localEnd.slice(11, 16)}`)).toEqual([
      '01:30-03:15',
      '03:45-04:30',
    ]);
    for (let i = 1; i < slots.length; i++) expect(slots[i]!.startUtc >= slots[i - 1]!.endUtc).toBe(true);
  });

  it('keeps ordinary day-time opening hours unchanged on both change days', () => {
    const day = book([{ days: ['sun'], from: '08:00', to: '10:00', slotMinutes: 60 }]);
    expect(onDay(day, '2026-03-29').map((s) => [s.localStart, s.startUtc])).toEqual([
      ['2026-03-29T08:00:00', '2026-03-29T06:00:00.000Z'],
      ['2026-03-29T09:00:00', '2026-03-29T07:00:00.000Z'],
    ]);
    expect(onDay(day, '2026-10-25').map((s) => [s.localStart, s.startUtc])).toEqual([
      ['2026-10-25T08:00:00', '2026-10-25T07:00:00.000Z'],
      ['2026-10-25T09:00:00', '2026-10-25T08:00:00.000Z'],
    ]);
  });

  it('places a single slot written in the repeated hour at its first occurrence', () => {
    const source = book([], { slots: [{ start: '2026-10-25T02:15', end: '2026-10-25T02:45', capacity: 1, type: 'Ordinær' }] });
    const slots = generateSlots(source, new Date('2026-10-24T00:00:00Z'), new Date('2026-10-26T00:00:00Z'));
    expect(slots).toHaveLength(1);
    expect(slots[0]).toMatchObject({ startUtc: '2026-10-25T00:15:00.000Z', endUtc: '2026-10-25T00:45:00.000Z' });
  });
});
