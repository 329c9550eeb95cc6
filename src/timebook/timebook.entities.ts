import { EntitySchema } from 'typeorm';
import type {
  AppointmentStatus,
  ConfirmationMode,
  EligibilityRule,
  ScheduleEntry,
  SingleSlotDefinition,
  SlotType,
  TimebookKind,
  TimebookLocation,
} from './types.js';
import { CitizenRequestEntity } from './request.entities.js';

/** A timebook as imported from timebooks.json. Timestamps: ISO-8601 UTC strings. */
export interface TimebookRow {
  id: string;
  herId: number;
  kind: TimebookKind;
  name: string;
  text: string | null;
  location: TimebookLocation | null;
  published: boolean;
  prerequisites: string | null;
  eligibility: EligibilityRule | null;
  form: string | null;
  videoMeeting: string | null;
  confirmation: ConfirmationMode;
  minNoticeMinutes: number;
  horizonDays: number;
  cancelCutoffMinutes: number;
  maxActivePerPatient: number | null;
  urgentBookableDigitally: boolean;
  schedule: ScheduleEntry[];
  /** `slots` of the file (single slots), kept so that slots can be rolled forward from the row alone. */
  singleSlots: SingleSlotDefinition[];
  validFrom: string | null;
  validTo: string | null;
  timeZone: string;
  /** True when the book is no longer in the file: not offered, not bookable; its appointments stay. */
  retired: boolean;
  /** Slots have been materialised up to (not including) this instant; null = never. */
  slotsUntil: string | null;
  /** Changes only when the book's content changes. */
  updatedAt: string;
}

export interface SlotRow {
  /** `<timebookId>@<local start YYYY-MM-DDTHH:mm>`. */
  id: string;
  timebookId: string;
  startUtc: string;
  endUtc: string;
  /** Wall clock in the book's time zone, `YYYY-MM-DDTHH:mm:ss`. */
  localStart: string;
  localEnd: string;
  capacity: number;
  /** Active holds: appointments `requested` or `booked`. Never above `capacity`. */
  booked: number;
  type: SlotType;
  origin: 'schedule' | 'single';
  blocked: boolean;
}

export interface AppointmentRow {
  /** Derived from the inbound MsgId (docs/decisions.md §5). */
  id: string;
  slotId: string;
  timebookId: string;
  /** FNR/DNR of the patient (never logged). */
  patientId: string;
  /** FNR/DNR of who booked on the patient's behalf, or null. */
  representativeId: string | null;
  /** 7611 relation code of the representative, or null. */
  relation: string | null;
  status: AppointmentStatus;
  /** Copied from the slot when booked, so that the appointment keeps its times and type if the slot goes. */
  type: SlotType;
  startUtc: string;
  endUtc: string;
  localStart: string;
  localEnd: string;
  emneSporsmal: string | null;
  sporsmal: string | null;
  attachments: { mimeType?: string; description?: string; content: string }[] | null;
  sourceMsgId: string;
  cancelMsgId: string | null;
  createdAt: string;
  updatedAt: string;
  cancelledAt: string | null;
  /**
   * The Helsenorge party (level-2 HER-id) whose request created the appointment; null for an appointment
   * staff made at the desk. Avtale pushes and staff answers go to this party (docs/staff.md).
   */
  originHerId: number | null;
  /** FNR or DNR: the type of `patientId` (null on rows from before the staff migration = FNR). */
  patientIdType: string | null;
  /** Patient names as the request (or staff) gave them, for MsgHead/Patient of later messages. Never logged. */
  patientFamilyName: string | null;
  patientGivenName: string | null;
  /** The practitioner staff booked the appointment with instead of the one asked for (reply 10). */
  practitioner: PractitionerRef | null;
  /** Incremented by every staff change: concurrency token and part of the derived Avtale ids. */
  revision: number;
}

/** A practitioner named in a reply 10 (Helsepersonell document). */
export interface PractitionerRef {
  herId: number | null;
  hprNumber: string | null;
  givenName: string;
  familyName: string;
}

/** One list patient of a practitioner (`listPatients` in timebooks.json). */
export interface ListPatientRow {
  practitionerHerId: number;
  patientId: string;
}

export const TimebookEntity = new EntitySchema<TimebookRow>({
  name: 'Timebook',
  tableName: 'timebook',
  columns: {
    id: { type: 'varchar', length: 100, primary: true },
    herId: { type: 'integer' },
    kind: { type: 'varchar', length: 32 },
    name: { type: 'varchar', length: 200 },
    text: { type: 'text', nullable: true },
    location: { type: 'simple-json', nullable: true },
    published: { type: 'boolean' },
    prerequisites: { type: 'text', nullable: true },
    eligibility: { type: 'simple-json', nullable: true },
    form: { type: 'varchar', length: 200, nullable: true },
    videoMeeting: { type: 'varchar', length: 500, name: 'video_meeting', nullable: true },
    confirmation: { type: 'varchar', length: 10 },
    minNoticeMinutes: { type: 'integer' },
    horizonDays: { type: 'integer' },
    cancelCutoffMinutes: { type: 'integer' },
    maxActivePerPatient: { type: 'integer', nullable: true },
    urgentBookableDigitally: { type: 'boolean' },
    schedule: { type: 'simple-json' },
    singleSlots: { type: 'simple-json' },
    validFrom: { type: 'varchar', length: 10, nullable: true },
    validTo: { type: 'varchar', length: 10, nullable: true },
    timeZone: { type: 'varchar', length: 64 },
    retired: { type: 'boolean' },
    slotsUntil: { type: 'varchar', length: 32, nullable: true },
    updatedAt: { type: 'varchar', length: 32 },
  },
  indices: [{ name: 'IDX_timebook_her_id', columns: ['herId'] }],
});

export const SlotEntity = new EntitySchema<SlotRow>({
  name: 'Slot',
  tableName: 'slot',
  columns: {
    id: { type: 'varchar', length: 130, primary: true },
    timebookId: { type: 'varchar', length: 100 },
    startUtc: { type: 'varchar', length: 32 },
    endUtc: { type: 'varchar', length: 32 },
    localStart: { type: 'varchar', length: 19 },
    localEnd: { type: 'varchar', length: 19 },
    capacity: { type: 'integer' },
    booked: { type: 'integer' },
    type: { type: 'varchar', length: 32 },
    origin: { type: 'varchar', length: 10 },
    blocked: { type: 'boolean' },
  },
  uniques: [{ name: 'UQ_slot_timebook_local_start', columns: ['timebookId', 'localStart'] }],
  indices: [{ name: 'IDX_slot_timebook_start', columns: ['timebookId', 'startUtc'] }],
});

export const AppointmentEntity = new EntitySchema<AppointmentRow>({
  name: 'Appointment',
  tableName: 'appointment',
  columns: {
    id: { type: 'varchar', length: 64, primary: true },
    slotId: { type: 'varchar', length: 130 },
    timebookId: { type: 'varchar', length: 100 },
    patientId: { type: 'varchar', length: 11 },
    representativeId: { type: 'varchar', length: 11, nullable: true },
    relation: { type: 'varchar', length: 10, nullable: true },
    status: { type: 'varchar', length: 16 },
    type: { type: 'varchar', length: 32 },
    startUtc: { type: 'varchar', length: 32 },
    endUtc: { type: 'varchar', length: 32 },
    localStart: { type: 'varchar', length: 19 },
    localEnd: { type: 'varchar', length: 19 },
    emneSporsmal: { type: 'text', nullable: true },
    sporsmal: { type: 'text', nullable: true },
    attachments: { type: 'simple-json', nullable: true },
    sourceMsgId: { type: 'varchar', length: 200 },
    cancelMsgId: { type: 'varchar', length: 200, nullable: true },
    createdAt: { type: 'varchar', length: 32 },
    updatedAt: { type: 'varchar', length: 32 },
    cancelledAt: { type: 'varchar', length: 32, nullable: true },
    originHerId: { type: 'integer', nullable: true },
    patientIdType: { type: 'varchar', length: 3, nullable: true },
    patientFamilyName: { type: 'varchar', length: 200, nullable: true },
    patientGivenName: { type: 'varchar', length: 200, nullable: true },
    practitioner: { type: 'simple-json', nullable: true },
    revision: { type: 'integer', default: 0 },
  },
  indices: [
    { name: 'IDX_appointment_patient', columns: ['patientId', 'timebookId'] },
    { name: 'IDX_appointment_slot', columns: ['slotId'] },
  ],
});

export const ListPatientEntity = new EntitySchema<ListPatientRow>({
  name: 'ListPatient',
  tableName: 'list_patient',
  columns: {
    practitionerHerId: { type: 'integer', primary: true },
    patientId: { type: 'varchar', length: 11, primary: true },
  },
  indices: [{ name: 'IDX_list_patient_patient', columns: ['patientId'] }],
});

/** The timebook stage's entities, for `Database.open` (listed in src/db/schema.ts). */
export const timebookEntities: EntitySchema[] = [
  TimebookEntity as unknown as EntitySchema,
  SlotEntity as unknown as EntitySchema,
  AppointmentEntity as unknown as EntitySchema,
  ListPatientEntity as unknown as EntitySchema,
  CitizenRequestEntity as unknown as EntitySchema,
];
