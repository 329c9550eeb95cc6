import type { SqlTx } from '../db/sql.js';

/** Resource kinds (code list 7617) and the practitioner's own book. */
export type TimebookKind = 'Koronatest' | 'Koronavaksine' | 'Lab' | 'Vaksine' | 'Behandlertimebok';

/** What the domain needs to know about the patient a request is for (never logged). */
export interface PatientFacts {
  /** FNR or DNR (already checked by the envelope stage). */
  id: string;
  /** YYYY-MM-DD, derived from the id. */
  birthDate: string | null;
}

/** Who performed the request: the patient, or a representative (Pasientrelasjon). */
export interface BookedBy {
  /** FNR/DNR of the acting person, or null when it is the patient. */
  representativeId: string | null;
  /** 7611 code (FO, VE, FU, TD) or null. */
  relation: string | null;
}

/** A slot or appointment as it goes out in xCal. Local times are Europe/Oslo wall-clock, no offset. */
export interface CalendarEntry {
  /** Slot id (free slots) or appointment id (appointments). */
  uid: string;
  /** The slot id an appointment was booked on. */
  relatedTo?: string;
  /** YYYY-MM-DDTHH:mm:ss local time, no offset. */
  dtstart: string;
  dtend: string;
  /** HER-id owning the book. */
  contact: number;
  summary?: string;
  description?: string;
  location?: string;
  categories: string[];
  status?: 'TENTATIVE' | 'CONFIRMED' | 'CANCELLED';
}

export interface FreeSlotsQuery {
  receiverHerId: number;
  patient: PatientFacts;
  /** Requested range as YYYY-MM-DD (FraDato/TilDato); null = from now / to the horizon. */
  fromDate: string | null;
  toDate: string | null;
}

export interface FreeSlotsResult {
  /** 03 free slots, 04 none (or no published book), 30 not eligible for any book. */
  code: '03' | '04' | '30';
  slots: CalendarEntry[];
  /** Prerequisites texts of the books offered, each after its book's name (docs/decisions.md §23); null if none. */
  prerequisites: string | null;
}

export interface SlotReference {
  uid?: string;
  relatedTo?: string;
  dtstart?: string;
  dtend?: string;
  contact?: string;
}

export interface ReserveCommand {
  receiverHerId: number;
  patient: PatientFacts;
  bookedBy: BookedBy;
  slot: SlotReference;
  /** Deterministic appointment id (derived from the inbound MsgId). */
  appointmentId: string;
  /** Inbound MsgId that created the appointment. */
  sourceMsgId: string;
  emneSporsmal?: string;
  sporsmal?: string;
  /** Attachments (form answers) kept with the appointment. */
  attachments?: { mimeType?: string; description?: string; content: string }[];
  /** The Helsenorge party that sent the request (later Avtale pushes and staff answers go there). */
  originHerId?: number;
  /** Patient id type and names from MsgHead/Patient, kept for later messages about the appointment. */
  patientContact?: PatientContact;
}

/** How later messages name the patient (MsgHead/Patient). Never logged. */
export interface PatientContact {
  idType: string;
  familyName: string | null;
  givenName: string | null;
}

export interface ReserveResult {
  /** 05 booked, 06 slot not available, 26 refused (e.g. per-citizen limit), 30 not eligible. */
  code: '05' | '06' | '26' | '30';
  /** The booked appointment (code 05). */
  appointment?: CalendarEntry;
  /** Why (for logs and staff; never personal data): e.g. 'slot-full', 'outside-horizon'. */
  reason?: string;
  /**
   * True when the booking is held as `requested` on the slot (a `manual` book): the 05 is not sent now;
   * the answer (05, or 26/06 on rejection) goes out when staff decide. `appointment` is then TENTATIVE.
   */
  pending?: boolean;
}

export interface CancelCommand {
  receiverHerId: number;
  patient: PatientFacts;
  bookedBy: BookedBy;
  slot: SlotReference;
  sourceMsgId: string;
  reason?: string;
}

export interface CancelResult {
  /** 08 cancelled (or already cancelled), 09 could not be cancelled. */
  code: '08' | '09';
  appointment?: CalendarEntry;
  reason?: string;
}

export interface PlannedResult {
  code: '01' | '02';
  appointments: CalendarEntry[];
}

/**
 * The timebook domain as the pipeline calls it. Every method takes the transaction it runs in, so that
 * the inbox and outbox rows of the same message commit (or roll back) together with the booking.
 */
export interface TimebookOperations {
  findFreeSlots(tx: SqlTx, query: FreeSlotsQuery): Promise<FreeSlotsResult>;
  reserve(tx: SqlTx, command: ReserveCommand): Promise<ReserveResult>;
  cancel(tx: SqlTx, command: CancelCommand): Promise<CancelResult>;
  listPlanned(tx: SqlTx, receiverHerId: number, patient: PatientFacts): Promise<PlannedResult>;
  /** Stores a citizen request for staff (a wish, or a held reservation) unless one with its id exists. */
  storeRequest(tx: SqlTx, row: CitizenRequestRow): Promise<void>;
  /** A held request the citizen cancelled before staff decided: it no longer waits for staff. */
  withdrawRequest(tx: SqlTx, id: string): Promise<void>;
  /** The domain's clock (replay's fixed `--now`), for timestamps of stored requests. */
  now?(): Date;
}

// ---------------------------------------------------------------------------------------------------
// timebooks.json (docs/file-formats.md), after validation and with every default applied.

/** Weekday keys of a schedule entry. */
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** Slot types: code list 7617 values plus `Telefon`. */
export type SlotType =
  | 'Ordinær'
  | 'Video'
  | 'Hastetime'
  | 'Tidsvindu'
  | 'Gruppe'
  | 'Vaksine'
  | 'Lab'
  | 'Koronatest'
  | 'Koronavaksine'
  | 'Telefon';

export type ConfirmationMode = 'auto' | 'manual';

export interface TimebookLocation {
  name: string;
  address?: string;
  meetingPlace?: string;
}

/** Who may see and book a timebook; every key given must hold; `null`/empty = everyone. */
export interface EligibilityRule {
  minAge?: number;
  maxAge?: number;
  /** HER-id of a practitioner: that practitioner's list patients. */
  listOf?: number;
  /** List patients of any practitioner in the book's office. */
  officeList?: boolean;
  /** Explicit FNR/DNR list. */
  patients?: string[];
}

/** One line of opening hours: local wall-clock times in the book's time zone. */
export interface ScheduleEntry {
  days: Weekday[];
  /** HH:MM */
  from: string;
  /** HH:MM (24:00 = end of the day) */
  to: string;
  slotMinutes: number;
  capacity: number;
  type: SlotType;
}

/** A single slot added by hand: local wall-clock `YYYY-MM-DDTHH:MM`. */
export interface SingleSlotDefinition {
  /** Explicit slot id (the xCal uid), e.g. to match a fixture message; default `<timebookId>@<start>`. */
  id?: string;
  start: string;
  end: string;
  capacity: number;
  type: SlotType;
}

export interface TimebookDefinition {
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
  /** How to join a video appointment (link and/or instructions); sent with confirmed `Video` appointments. */
  videoMeeting: string | null;
  confirmation: ConfirmationMode;
  minNoticeMinutes: number;
  horizonDays: number;
  cancelCutoffMinutes: number;
  /** null = no limit. */
  maxActivePerPatient: number | null;
  urgentBookableDigitally: boolean;
  schedule: ScheduleEntry[];
  slots: SingleSlotDefinition[];
  /** YYYY-MM-DD, inclusive; null = open-ended. */
  validFrom: string | null;
  validTo: string | null;
  /** IANA zone, e.g. Europe/Oslo. */
  timeZone: string;
}

export interface TimebooksFile {
  timeZone: string;
  timebooks: TimebookDefinition[];
  /** Practitioner HER-id → FNR/DNR of the practitioner's list patients. */
  listPatients: Record<string, string[]>;
}

export type AppointmentStatus = 'requested' | 'booked' | 'cancelled' | 'rejected' | 'completed' | 'no-show';

/** What an import did (ids and counts only). */
export interface ImportSummary {
  books: { created: string[]; updated: string[]; unchanged: string[]; retired: string[] };
  slots: { added: number; removed: number; updated: number };
  /** Future slots the file no longer wants (or wants different) but that hold bookings: left as they are. */
  kept: { slotId: string; timebookId: string; reason: 'holds-bookings' }[];
  listPatients: { added: number; removed: number };
}

/**
 * A citizen request that waits for staff: a Timeønske (OT, OET, OAT) or a ReserverAvtale held in a
 * `manual` book. It keeps everything needed to answer later (SvarØnske / SvarTimeReservasjon) without
 * the original message: who asked whom, the thread, the patient, and what was asked for.
 * Personal data (patient, representative, texts) is stored for the answer and shown to staff; never logged.
 */
export interface CitizenRequestRow {
  /** Wish: derived from the inbound message (`wish`); hold: the held appointment's id. */
  id: string;
  kind: 'wish' | 'hold';
  /** 8279 process of the request (TIMEONSKE, TIMEONSKEUNGDOM, TIMERESERVASJON): the answer uses it too. */
  process: string;
  /** 7601 function: OT, OET, OAT, RT. */
  functionCode: string;
  /** open: waits for staff; answered: staff answered; withdrawn: the citizen cancelled the held request first. */
  status: 'open' | 'answered' | 'withdrawn';
  /** 7602 code of the answer, once answered. */
  answerCode: string | null;
  /** MsgId of the answer (outbox id), once answered. */
  answerMsgId: string | null;
  /** The requesting party (Helsenorge, MsgHead sender level 2): the answer goes there. */
  counterpartyHerId: number;
  /** Our receiving party (MsgHead receiver level 2): the answer comes from there. */
  ourHerId: number;
  /** The request's MsgId (ConversationRef/RefToParent of the answer). */
  msgId: string;
  /** RefToConversation of the answer: the request's own, or its MsgId when it started the thread. */
  conversationId: string;
  /** Inbox row of the request. */
  inboxId: string;
  patientId: string;
  patientIdType: string;
  patientFamilyName: string | null;
  patientGivenName: string | null;
  /** Who asked on the patient's behalf (Pasientrelasjon), and the 7611 relation. */
  representativeId: string | null;
  relation: string | null;
  /** FraDato / TilDato of the request, when given. */
  fromDate: string | null;
  toDate: string | null;
  /** The request's VEVENT (slot or appointment reference), when given; echoed in refusals. */
  event: RequestEvent | null;
  /** RollerRelatertNotat: the practitioner the citizen wishes (23 Ønsket behandler), when given. */
  wishedPractitioner: { role: string | null; hprNumber: string | null; herId: number | null; familyName: string | null; givenName: string | null } | null;
  /** KodetOpplysning (1101): 1 accepts another practitioner, 2 does not; null when absent. */
  acceptsOther: string | null;
  emneSporsmal: string | null;
  sporsmal: string | null;
  /** The appointment held (hold) or made, moved or cancelled by the answer (wish). */
  appointmentId: string | null;
  receivedAt: string;
  answeredAt: string | null;
  updatedAt: string;
}

/** The VEVENT of a request as kept for the answer (times as written, local). */
export interface RequestEvent {
  uid?: string;
  relatedTo?: string;
  dtstart?: string;
  dtend?: string;
  contact?: string;
  categories: string[];
  summary?: string;
  location?: string;
}
