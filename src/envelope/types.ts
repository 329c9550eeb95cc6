/**
 * Typed values read from an inbound MsgHead and its payloads. Everything here has passed the XML guard
 * (no DOCTYPE, size and depth limits) and has been read with entities off; schema validity is reported
 * separately (a schema-invalid message is still parsed as far as possible so that it can be answered).
 */

/** A coded value (`V`, `S`, `DN` attributes in KITH schemas). */
export interface CodedValue {
  v: string;
  s?: string;
  dn?: string;
}

/** Level 1 (organisation) or level 2 (service or person) of MsgHead Sender/Receiver. */
export interface PartyLevel {
  /** HER-id (Ident with TypeId V=HER); null when absent or not numeric. */
  herId: number | null;
  name: string;
  /** `organisation` for Organisation elements, `person` for HealthcareProfessional. */
  kind: 'organisation' | 'person';
  /** ENH organisation number (level 1), when given. */
  organisationNumber?: string;
  /** HPR number (persons), when given. */
  hprNumber?: string;
  /** RoleToPatient of a HealthcareProfessional (9034). */
  roleToPatient?: CodedValue;
}

export interface MsgHeadParty {
  level1: PartyLevel;
  /** The communication party (nested Organisation or HealthcareProfessional); null if absent. */
  level2: PartyLevel | null;
}

export type PersonIdType = 'FNR' | 'DNR';

export interface PatientRef {
  idType: PersonIdType | string;
  id: string;
  familyName?: string;
  givenName?: string;
}

export interface RoleRelatedPerson {
  role?: CodedValue;
  familyName?: string;
  givenName?: string;
  /** HPR number when the Ident has TypeId HPR. */
  hprNumber?: string;
  /** HER-id when the Ident has TypeId HER. */
  herId?: number;
}

/** Dialogmelding 1.1 (or 1.0) as used in booking: exactly one Foresporsel or one Notat. */
export interface Dialogmelding {
  /** '1.1' for namespace …/dialog/2013-01-23, '1.0' for …/dialog/2006-10-11. */
  version: '1.1' | '1.0';
  kind: 'Foresporsel' | 'Notat';
  /** Foresporsel/TypeForesp (7601, or 7602 in the Avtale push). */
  typeForesp?: CodedValue;
  /** Notat/TemaKodet (7602). */
  temaKodet?: CodedValue;
  sakstype?: string;
  emneSporsmal?: string;
  /** Text content of Sporsmal (XHTML flattened to text). */
  sporsmal?: string;
  /** xs:date strings as written (YYYY-MM-DD). */
  fraDato?: string;
  tilDato?: string;
  kodetOpplysning?: CodedValue;
  tema?: string;
  tekstNotatInnhold?: string;
  rollerRelatertNotat: RoleRelatedPerson[];
}

/** One xCal VEVENT. Date-times are kept as written (local time without offset in Helsenorge use). */
export interface VEvent {
  dtstart?: string;
  dtend?: string;
  uid?: string;
  contact?: string;
  relatedTo?: string;
  categories: string[];
  summary?: string;
  description?: string;
  location?: string;
  status?: string;
  xAvailableAt?: string;
  xExpectedDuration?: string;
  xCancellationReason?: string;
}

export interface Pasientrelasjon {
  relasjon?: CodedValue;
  /** The acting person's ident (FNR/DNR). */
  personIdent?: { id: string; typeId: string };
  familyName?: string;
  givenName?: string;
}

/** A Document that is not Dialogmelding / xCal / Pasientrelasjon / Helsepersonell: kept for staff. */
export interface Attachment {
  msgType: string;
  mimeType?: string;
  description?: string;
  /** Base64 content (MsgType A) or the serialised XML, as received. */
  content: string;
}

export interface InboundMessage {
  /** MsgInfo/Type/@V normalised: upper case, known aliases mapped (AVTALEBESTILLING → AVTALEAVBESTILLING). */
  process: string;
  /** MsgInfo/Type/@V exactly as received. */
  processRaw: string;
  migVersion: string;
  genDate: string;
  msgId: string;
  /** Ack/@V (J or N) or null when absent. */
  ack: string | null;
  conversationRef: { refToParent: string; refToConversation: string } | null;
  /** The function code: Foresporsel/TypeForesp/@V, else Notat/TemaKodet/@V; null without Dialogmelding. */
  functionCode: string | null;
  sender: MsgHeadParty;
  receiver: MsgHeadParty;
  patient: PatientRef | null;
  dialogmelding: Dialogmelding | null;
  vevents: VEvent[];
  pasientrelasjon: Pasientrelasjon | null;
  /** HPR-identified practitioners from a Helsepersonell / HelsepersonelListe document. */
  helsepersonell: RoleRelatedPerson[];
  attachments: Attachment[];
  /** Root element local names of each Document's content, in order (e.g. ['Dialogmelding','icalendar']). */
  documentKinds: string[];
  /**
   * A content limit the message breaks although it is readable (more VEVENTs than `maxVevents`): the
   * message is answered with the table's answer for `ERR_ENVELOPE_CONTENT` (T02), not thrown. Names the
   * rule, never a value.
   */
  contentProblem?: string;
}

/** One problem found by XSD validation. `message` names element and rule, never the value. */
export interface SchemaIssue {
  line: number | null;
  /** Element path, e.g. /MsgHead/Document[2]/RefDoc/Content/icalendar/... */
  path: string | null;
  message: string;
}

export interface SchemaValidationResult {
  valid: boolean;
  issues: SchemaIssue[];
}

export interface XmlLimits {
  /** Maximum body size in bytes (default 1 MiB, at most 20 MiB). */
  maxBytes: number;
  /** Maximum element nesting depth (default 100). */
  maxDepth: number;
  /** Maximum number of VEVENTs (default 500). */
  maxVevents: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = { maxBytes: 1024 * 1024, maxDepth: 100, maxVevents: 500 };
