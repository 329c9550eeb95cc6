import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TimebookMigration1732233601000 } from '../../../src/db/migrations/1732233601000-timebook.js';
import { StaffMigration1732233603000 } from '../../../src/db/migrations/1732233603000-staff.js';
import { VideoMeetingMigration1732233605000 } from '../../../src/db/migrations/1732233605000-video-meeting.js';
import { TimebookGenerationMigration1733000000000 } from '../../../src/db/migrations/1733000000000-timebook-generation.js';
import { Database } from '../../../src/db/database.js';
import { checkPersonId } from '../../../src/envelope/person-id.js';
import { FixedClock } from '../../../src/shared/clock.js';
import { timebookEntities } from '../../../src/timebook/timebook.entities.js';
import { importTimebooks } from '../../../src/timebook/timebook.import.js';
import { loadTimebooksFile } from '../../../src/timebook/timebooks.file.js';
import type { BookedBy, PatientFacts, SlotReference } from '../../../src/timebook/types.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** test/fixtures/timebook/<name> */
export function fixture(name: string): string {
  return path.resolve(here, '../../fixtures/timebook', name);
}

export const DEMO_TIMEBOOKS = path.resolve(here, '../../../fixtures/demo/timebooks.json');

/** Monday 2 March 2026, 08:00 in Oslo (CET, UTC+1). */
export const MONDAY_0800 = new Date('2026-03-02T07:00:00.000Z');

const ids = JSON.parse(readFileSync(fixture('patients.json'), 'utf8')) as Record<string, string>;

/** A synthetic test patient from test/fixtures/timebook/patients.json, with the birth date the envelope derives. */
export function patient(name: string): PatientFacts {
  const id = ids[name];
  if (id === undefined) throw new Error(`no patient ${name} in patients.json`);
  const checked = checkPersonId(id, 'FNR', { acceptSynthetic: true });
  if (!checked.valid || checked.birthDate === undefined) throw new Error(`patient ${name} is not a valid id`);
  return { id, birthDate: checked.birthDate };
}

export const SELF: BookedBy = { representativeId: null, relation: null };

/** An in-memory SQLite database with only the timebook tables. */
export async function openTimebookDb(url = ':memory:'): Promise<Database> {
  return Database.open({ url, entities: timebookEntities, migrations: [TimebookMigration1732233601000, StaffMigration1732233603000, VideoMeetingMigration1732233605000, TimebookGenerationMigration1733000000000] });
}

/**
 * A fresh database with `clinic.timebooks.json` imported at `at`: in-memory SQLite, or a fresh PostgreSQL
 * database (dropped on close) when TIMEBOK_TIMEBOOK_TESTS_ON=postgres (test/integration/timebook.service.pg.test.ts
 * runs the service's tests so, for the statements that differ by dialect).
 */
export async function clinicWorld(at: Date = MONDAY_0800): Promise<{ db: Database; clock: FixedClock }> {
  const db = process.env.TIMEBOK_TIMEBOOK_TESTS_ON === 'postgres' ? await postgresTimebookDb() : await openTimebookDb();
  const clock = new FixedClock(at);
  await importTimebooks(db, await loadTimebooksFile(fixture('clinic.timebooks.json')), clock);
  return { db, clock };
}

async function postgresTimebookDb(): Promise<Database> {
  const { freshDatabase } = await import('../../integration/pg.js');
  const fresh = await freshDatabase('timebook_service');
  const db = await openTimebookDb(fresh.url);
  const close = db.close.bind(db);
  db.close = async () => {
    await close();
    await fresh.drop();
  };
  return db;
}

export function slot(uid: string, extra: Partial<SlotReference> = {}): SlotReference {
  return { uid, ...extra };
}
