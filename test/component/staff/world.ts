import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createApp, importSetup, type App } from '../../../src/app.js';
import { DEFAULT_XML_LIMITS } from '../../../src/envelope/types.js';
import type { SchemaSet } from '../../../src/envelope/schema.validator.js';
import { OutboxEntity, type OutboxRow } from '../../../src/inbox/message.entities.js';
import type { ProcessOutcome } from '../../../src/pipeline/types.js';
import { FixedClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { StaffService } from '../../../src/staff/staff.service.js';
import { CitizenRequestEntity, type CitizenRequestRow } from '../../../src/timebook/request.entities.js';
import { AppointmentEntity, SlotEntity, type AppointmentRow } from '../../../src/timebook/timebook.entities.js';
import { sniffSenderHerId } from '../../../src/transport/file-headers.js';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const STAFF_SETUP = join(ROOT, 'test/fixtures/staff/setup');
export const EXAMPLES = join(ROOT, 'fixtures/helsenorge-2019');
export const TR = join(EXAMPLES, 'DIALOG_INNBYGGER_TIMERESERVASJON/1.2');
export const TO = join(EXAMPLES, 'DIALOG_INNBYGGER_TIMEONSKE/1.2');
export const RT_FILE = join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml');
export const OT_FILE = join(TO, 'Onske-om-time--Foresporsel-innbygger--Onske-om-time.xml');
export const OET_FILE = join(TO, 'Onske-om-endring-av-time--Foresporsel-innbygger--Onske-om-endre-time.xml');
export const OAT_FILE = join(TO, 'Onske-om-avbestilling-av-time--Foresporsel-innbygger--Onske-om-avbestilling-av-time.xml');
export const ART_FILE = join(TR, 'Avbestill-time--Foresporsel-innbygger--Avbestill-reservert-time.xml');

/** The example patient (a list patient of 91095 in the set-up). */
export const PATIENT = '13116900216';
export const HELSENORGE = 8093248;
/** Monday 1 July 2019, 09:00 in Oslo. */
export const NOW = new Date('2019-07-01T07:00:00.000Z');

export interface StaffWorld {
  app: App;
  clock: FixedClock;
  staff: StaffService;
  dbFile: string;
  deliver(xml: string | Buffer, name?: string): Promise<ProcessOutcome>;
  outbox(): Promise<OutboxRow[]>;
  requests(): Promise<CitizenRequestRow[]>;
  appointment(id: string): Promise<AppointmentRow>;
  booked(slotId: string): Promise<number>;
  close(): Promise<void>;
}

/** A fresh SQLite world with the staff set-up imported; staff answers are schema-checked before writing. */
export async function staffWorld(schemas: SchemaSet, options: { helsenorgeHerId?: number | null } = {}): Promise<StaffWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'timebok-staff-'));
  const dbFile = join(dir, 'db.sqlite');
  const clock = new FixedClock(NOW);
  const app = await createApp({
    databaseUrl: `sqlite:${dbFile}`,
    clock,
    logger: silentLogger,
    limits: DEFAULT_XML_LIMITS,
    acceptSyntheticIds: true,
    schemas,
  });
  await importSetup(app, join(STAFF_SETUP, 'registry.json'), join(STAFF_SETUP, 'timebooks.json'));
  const staff = new StaffService({
    db: app.db,
    registry: app.registry,
    clock,
    helsenorgeHerId: options.helsenorgeHerId === undefined ? HELSENORGE : options.helsenorgeHerId,
    acceptSyntheticIds: true,
    schemas,
  });
  let n = 0;
  return {
    app,
    clock,
    staff,
    dbFile,
    deliver: (xml, name) => {
      n += 1;
      const body = typeof xml === 'string' ? Buffer.from(xml, 'utf8') : xml;
      const fromHerId = sniffSenderHerId(body);
      return app.pipeline.process({
        transport: 'replay',
        queue: 'replay',
        body,
        messageId: name ?? `message-${n}.xml`,
        ...(fromHerId !== undefined ? { fromHerId } : {}),
      });
    },
    outbox: () => app.db.manager.getRepository(OutboxEntity).find({ order: { createdAt: 'ASC', seq: 'ASC', id: 'ASC' } }),
    requests: () => app.db.manager.getRepository(CitizenRequestEntity).find({ order: { receivedAt: 'ASC', id: 'ASC' } }),
    appointment: (id) => app.db.manager.getRepository(AppointmentEntity).findOneByOrFail({ id }),
    booked: async (slotId) => (await app.db.manager.getRepository(SlotEntity).findOneByOrFail({ id: slotId })).booked,
    close: () => app.close(),
  };
}

export function read(file: string): string {
  return readFileSync(file, 'utf8');
}

/** The example with another MsgId (the 2019 examples reuse MsgIds across functions). */
export function withMsgId(xml: string, msgId: string): string {
  return xml.replace(/<MsgId>[^<]*<\/MsgId>/, `<MsgId>${msgId}</MsgId>`);
}

/** An OET/OAT example whose VEVENT refers to our slot (uid) and appointment (related-to). */
export function wishAbout(file: string, msgId: string, slotId: string, appointmentId: string): string {
  return withMsgId(read(file), msgId)
    .replace('<text>37151045-713f-433c-a9f3-ef52bcdeb904</text>', `<text>${slotId}</text>`)
    .replace('<uri>64507c1c-1fbc-4caa-8407-822bda886570</uri>', `<uri>${appointmentId}</uri>`);
}

/** The first value of `attr` on `element` (tests only). */
export function attr(xml: string, element: string, name: string): string | undefined {
  return new RegExp(`<(?:\\w+:)?${element}\\b[^>]*\\b${name}="([^"]*)"`).exec(xml)?.[1];
}

/** Text content of every `<element>` (or `<element><text>` xCal value) in order. */
export function texts(xml: string, element: string): string[] {
  return [...xml.matchAll(new RegExp(`<(?:\\w+:)?${element}>\\s*(?:<(?:text|uri|date-time)>)?([^<]*)<`, 'g'))].map((m) => (m[1] as string).trim());
}
