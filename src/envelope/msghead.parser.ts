/**
 * Reads an inbound MsgHead (Hodemelding v1.2) and its payloads into typed values. Elements are found by
 * namespace and local name at the document level (MsgHead, and the root of each payload) and by local
 * name inside a payload, whose inner namespaces differ between versions. Schema validity is not required:
 * a message that fails the XSD is still read as far as possible (missing pieces become null/undefined),
 * because it must still be answered (T02 / 26).
 */
import { TimebokError } from '../shared/errors.js';
import { normaliseProcess } from './codes.js';
import type {
  Attachment,
  CodedValue,
  Dialogmelding,
  InboundMessage,
  MsgHeadParty,
  PartyLevel,
  Pasientrelasjon,
  PatientRef,
  RoleRelatedPerson,
  VEvent,
  XmlLimits,
} from './types.js';
import { DEFAULT_XML_LIMITS } from './types.js';
import { child, childrenNamed, childText, flattenText, ownText, readXml, type XNode } from './xml.read.js';

/** Namespaces of the documents Timebok reads. */
export const NS = {
  msghead: 'http://www.kith.no/xmlstds/msghead/2006-05-24',
  dialog11: 'http://www.kith.no/xmlstds/dialog/2013-01-23',
  dialog10: 'http://www.kith.no/xmlstds/dialog/2006-10-11',
  xcal: 'urn:ietf:params:xml:ns:icalendar-2.0',
  pasientrelasjon: 'http://www.kith.no/xmlstds/pasientrelasjon/2014-03-28',
  helsepersonell2014: 'http://www.kith.no/xmlstds/helsepersonell/2014-03-28',
  helsepersonell2015: 'http://www.kith.no/xmlstds/helsepersonell/2015-05-04',
  base64: 'http://www.kith.no/xmlstds/base64container',
  fk1: 'http://www.kith.no/xmlstds/felleskomponent1',
} as const;

/**
 * Parses a MsgHead message that has passed the XML guard (`guardXml`).
 *
 * @param xml the decoded text returned by the guard
 * @param limits `maxVevents` is enforced here: over it, no VEVENT is kept and `contentProblem` says so
 *   (the pipeline answers it with ERR_ENVELOPE_CONTENT's T02 / 26 — a readable message is answered)
 * @throws TimebokError `ERR_ENVELOPE_NOT_MSGHEAD` when the root is not MsgHead in the 2006-05-24 namespace,
 *   and the guard's
 *   `ERR_ENVELOPE_DOCTYPE` / `ERR_ENVELOPE_TOO_DEEP` / `ERR_ENVELOPE_NOT_WELL_FORMED` if called on unguarded input.
 */
export function parseMsgHead(xml: string, limits: XmlLimits = DEFAULT_XML_LIMITS): InboundMessage {
  const { root, source } = readXml(xml, limits.maxDepth);
  if (root.name !== 'MsgHead' || root.ns !== NS.msghead) {
    throw new TimebokError('ERR_ENVELOPE_NOT_MSGHEAD', `root element is ${root.name.slice(0, 40)}, not MsgHead (${NS.msghead})`);
  }
  const top = root.children.filter((e) => e.ns === NS.msghead);
  const message = readMsgInfo(top.find((e) => e.name === 'MsgInfo'));
  for (const document of top.filter((e) => e.name === 'Document')) readDocument(document, source, message, limits);
  message.functionCode = message.dialogmelding?.typeForesp?.v || message.dialogmelding?.temaKodet?.v || null;
  message.contentProblem ??= contentProblemOf(message);
  return message;
}

/**
 * Values Timebok keeps are bounded (the database columns hold at most these lengths): a longer one is a
 * content problem answered T02, not a write that fails later (PostgreSQL refuses it, SQLite would not).
 * A ReserverAvtale VEVENT whose end is not after its start is one too. Names the field and the rule, never the value.
 */
const STORED_LENGTHS: ReadonlyArray<[string, (m: InboundMessage) => string | undefined | null, number]> = [
  ['MsgInfo/MsgId', (m) => m.msgId, 200],
  ['MsgInfo/Type/@V', (m) => m.processRaw, 100],
  ['function code', (m) => m.functionCode, 10],
  ['ConversationRef/RefToParent', (m) => m.conversationRef?.refToParent, 200],
  ['ConversationRef/RefToConversation', (m) => m.conversationRef?.refToConversation, 200],
  ['Patient/FamilyName', (m) => m.patient?.familyName, 200],
  ['Patient/GivenName', (m) => m.patient?.givenName, 200],
  ['Patient/Ident/TypeId/@V', (m) => m.patient?.idType, 3],
  ['Pasientrelasjon/Relasjon/@V', (m) => m.pasientrelasjon?.relasjon?.v, 10],
  ['Pasientrelasjon/Person/Ident/Id', (m) => m.pasientrelasjon?.personIdent?.id, 11],
  ['KodetOpplysning/@V', (m) => m.dialogmelding?.kodetOpplysning?.v, 2],
  ['FraDato', (m) => m.dialogmelding?.fraDato, 32],
  ['TilDato', (m) => m.dialogmelding?.tilDato, 32],
];

/** A calendar date (optionally with a time or zone) whose year has four digits. */
const READABLE_DATE = /^\d{4}-\d{2}-\d{2}(?:$|[T+\-Z])/;

function contentProblemOf(m: InboundMessage): string | undefined {
  for (const [field, value, max] of STORED_LENGTHS) {
    const v = value(m);
    if (typeof v === 'string' && v.length > max) return `${field} longer than ${max} characters`;
  }
  // xs:date allows years of five digits and more; the booking domain reads four-digit years only, and a
  // period it cannot read must be refused, not taken as "no period" (hostile corpus: hlt-year-99999).
  for (const field of ['FraDato', 'TilDato'] as const) {
    const v = field === 'FraDato' ? m.dialogmelding?.fraDato : m.dialogmelding?.tilDato;
    if (typeof v === 'string' && v.trim() !== '' && !READABLE_DATE.test(v.trim())) return `${field} is not a date with a four-digit year`;
  }
  // Only where the times choose what is booked (ReserverAvtale); a Timeønske's VEVENT only names an
  // appointment (the official OET example has dtend 2014 before dtstart 2019).
  for (const e of m.functionCode === 'RT' ? m.vevents : []) {
    const start = e.dtstart ? Date.parse(e.dtstart) : NaN;
    const end = e.dtend ? Date.parse(e.dtend) : NaN;
    if (Number.isFinite(start) && Number.isFinite(end) && end <= start) return 'VEVENT dtend is not after dtstart';
  }
  return undefined;
}

function readMsgInfo(info: XNode | undefined): InboundMessage {
  const processRaw = child(info, 'Type')?.attrs.V ?? '';
  const conversation = child(info, 'ConversationRef');
  return {
    process: normaliseProcess(processRaw),
    processRaw,
    migVersion: childText(info, 'MIGversion') ?? '',
    genDate: childText(info, 'GenDate') ?? '',
    msgId: childText(info, 'MsgId') ?? '',
    ack: child(info, 'Ack')?.attrs.V?.trim() ?? null,
    conversationRef:
      conversation === undefined
        ? null
        : { refToParent: childText(conversation, 'RefToParent') ?? '', refToConversation: childText(conversation, 'RefToConversation') ?? '' },
    functionCode: null,
    sender: readParty(child(info, 'Sender')),
    receiver: readParty(child(info, 'Receiver')),
    patient: readPatient(child(info, 'Patient')),
    dialogmelding: null,
    vevents: [],
    pasientrelasjon: null,
    helsepersonell: [],
    attachments: [],
    documentKinds: [],
  };
}

// ---------------------------------------------------------------------------------------------- parties

interface Ident {
  id: string;
  typeId: string;
}

/** Idents of an element; ids are trimmed (the examples carry "91095 " with a trailing space). */
function idents(node: XNode | undefined): Ident[] {
  return childrenNamed(node, 'Ident').map((i) => ({
    id: childText(i, 'Id') ?? '',
    typeId: (child(i, 'TypeId')?.attrs.V ?? '').trim().toUpperCase(),
  }));
}

function identOf(node: XNode | undefined, typeId: string): string | undefined {
  return idents(node).find((i) => i.typeId === typeId && i.id !== '')?.id;
}

/** A HER-id as a number, or null when absent or not all digits. */
function herIdOf(node: XNode | undefined): number | null {
  const id = identOf(node, 'HER');
  return id !== undefined && /^\d{1,12}$/.test(id) ? Number(id) : null;
}

function codedValue(node: XNode | undefined): CodedValue | undefined {
  if (node === undefined) return undefined;
  const value: CodedValue = { v: (node.attrs.V ?? '').trim() };
  if (node.attrs.S !== undefined) value.s = node.attrs.S;
  if (node.attrs.DN !== undefined) value.dn = node.attrs.DN;
  return value;
}

function readParty(party: XNode | undefined): MsgHeadParty {
  const org = child(party, 'Organisation');
  const level2 = child(org, 'Organisation') ?? child(org, 'HealthcareProfessional');
  return {
    level1: org === undefined ? emptyLevel() : organisationLevel(org),
    level2: level2 === undefined ? null : level2.name === 'Organisation' ? organisationLevel(level2) : personLevel(level2),
  };
}

function emptyLevel(): PartyLevel {
  return { herId: null, name: '', kind: 'organisation' };
}

function organisationLevel(org: XNode): PartyLevel {
  const level: PartyLevel = { herId: herIdOf(org), name: childText(org, 'OrganisationName') ?? '', kind: 'organisation' };
  const enh = identOf(org, 'ENH');
  if (enh !== undefined) level.organisationNumber = enh;
  return level;
}

function personLevel(hcp: XNode): PartyLevel {
  const name = ['GivenName', 'MiddleName', 'FamilyName']
    .map((n) => childText(hcp, n))
    .filter((s): s is string => s !== undefined && s !== '')
    .join(' ');
  const level: PartyLevel = { herId: herIdOf(hcp), name, kind: 'person' };
  const hpr = identOf(hcp, 'HPR');
  if (hpr !== undefined) level.hprNumber = hpr;
  const role = codedValue(child(hcp, 'RoleToPatient'));
  if (role !== undefined) level.roleToPatient = role;
  return level;
}

/** A person's FNR or DNR ident, else the first ident given. */
function personIdent(person: XNode): Ident | undefined {
  const all = idents(person);
  return all.find((i) => i.typeId === 'FNR' || i.typeId === 'DNR') ?? all[0];
}

function readPatient(patient: XNode | undefined): PatientRef | null {
  if (patient === undefined) return null;
  const ident = personIdent(patient);
  if (ident === undefined) return null;
  const ref: PatientRef = { idType: ident.typeId, id: ident.id };
  assignNames(ref, patient);
  return ref;
}

function assignNames(target: { familyName?: string; givenName?: string }, node: XNode): void {
  const family = childText(node, 'FamilyName');
  const given = childText(node, 'GivenName');
  if (family !== undefined) target.familyName = family;
  if (given !== undefined) target.givenName = given;
}

// -------------------------------------------------------------------------------------------- documents

function readDocument(document: XNode, source: string, message: InboundMessage, limits: XmlLimits): void {
  const refDoc = child(document, 'RefDoc');
  const content = child(refDoc, 'Content');
  const payload = content?.children[0];
  message.documentKinds.push(payload?.name ?? '');
  if (payload !== undefined && readPayload(payload, message, limits)) return;
  message.attachments.push(readAttachment(refDoc, content, payload, source));
}

/** Reads a known payload into the message; false when it is not one (or a second Dialogmelding/Pasientrelasjon). */
function readPayload(payload: XNode, message: InboundMessage, limits: XmlLimits): boolean {
  switch (payloadKind(payload)) {
    case 'dialogmelding':
      if (message.dialogmelding !== null) return false;
      message.dialogmelding = readDialogmelding(payload);
      return true;
    case 'xcal': {
      const events = readVEvents(payload, limits.maxVevents - message.vevents.length);
      if (events === null || message.contentProblem !== undefined) {
        message.vevents = [];
        message.contentProblem = `more than ${limits.maxVevents} VEVENTs`;
      } else {
        message.vevents.push(...events);
      }
      return true;
    }
    case 'pasientrelasjon':
      if (message.pasientrelasjon !== null) return false;
      message.pasientrelasjon = readPasientrelasjon(payload);
      return true;
    case 'helsepersonell':
      message.helsepersonell.push(...readHelsepersonell(payload));
      return true;
    default:
      return false;
  }
}

type PayloadKind = 'dialogmelding' | 'xcal' | 'pasientrelasjon' | 'helsepersonell' | 'other';

function payloadKind(el: XNode): PayloadKind {
  const ns = el.ns;
  if (el.name === 'Dialogmelding' && (ns === NS.dialog11 || ns === NS.dialog10)) return 'dialogmelding';
  if (el.name === 'icalendar' && ns === NS.xcal) return 'xcal';
  if (el.name === 'Pasientrelasjon' && ns === NS.pasientrelasjon) return 'pasientrelasjon';
  if (el.name === 'Helsepersonell' && (ns === NS.helsepersonell2014 || ns === NS.helsepersonell2015)) return 'helsepersonell';
  if (el.name === 'HelsepersonelListe' && ns === NS.helsepersonell2015) return 'helsepersonell';
  return 'other';
}

/** Any other Document: base64 text of a Base64Container (MsgType A), or the payload's XML as received. */
function readAttachment(refDoc: XNode | undefined, content: XNode | undefined, payload: XNode | undefined, source: string): Attachment {
  let text = '';
  if (payload !== undefined && payload.name === 'Base64Container') text = (ownText(payload) ?? '').replace(/\s+/g, '');
  else if (payload !== undefined) text = source.slice(payload.start, payload.end);
  else text = (ownText(content) ?? '').trim();
  const attachment: Attachment = { msgType: (child(refDoc, 'MsgType')?.attrs.V ?? '').trim(), content: text };
  setIfDefined(attachment, 'mimeType', childText(refDoc, 'MimeType') || undefined);
  setIfDefined(attachment, 'description', childText(refDoc, 'Description') || undefined);
  return attachment;
}

// ---------------------------------------------------------------------------------------- Dialogmelding

function readDialogmelding(root: XNode): Dialogmelding | null {
  const version = root.ns === NS.dialog11 ? '1.1' : '1.0';
  const foresporsel = child(root, 'Foresporsel');
  const notat = child(root, 'Notat');
  const body = foresporsel ?? notat;
  if (body === undefined) return null;
  const d: Dialogmelding = {
    version,
    kind: foresporsel !== undefined ? 'Foresporsel' : 'Notat',
    rollerRelatertNotat: childrenNamed(body, 'RollerRelatertNotat').map(readRoleRelated),
  };
  setIfDefined(d, 'sakstype', childText(root, 'Sakstype'));
  if (foresporsel !== undefined) readForesporsel(d, foresporsel);
  else if (notat !== undefined) readNotat(d, notat);
  return d;
}

function readForesporsel(d: Dialogmelding, f: XNode): void {
  setIfDefined(d, 'typeForesp', codedValue(child(f, 'TypeForesp')));
  setIfDefined(d, 'emneSporsmal', childText(f, 'EmneSporsmal'));
  setIfDefined(d, 'sporsmal', flattenText(child(f, 'Sporsmal')));
  setIfDefined(d, 'fraDato', childText(f, 'FraDato'));
  setIfDefined(d, 'tilDato', childText(f, 'TilDato'));
  setIfDefined(d, 'kodetOpplysning', codedValue(child(f, 'KodetOpplysning')));
}

function readNotat(d: Dialogmelding, n: XNode): void {
  setIfDefined(d, 'temaKodet', codedValue(child(n, 'TemaKodet')));
  setIfDefined(d, 'tema', childText(n, 'Tema'));
  setIfDefined(d, 'tekstNotatInnhold', flattenText(child(n, 'TekstNotatInnhold')));
}

/** RollerRelatertNotat, or an fk1 HealthcareProfessional (Helsepersonell documents). */
function readRoleRelated(node: XNode): RoleRelatedPerson {
  const hcp = child(node, 'HealthcareProfessional') ?? node;
  const person: RoleRelatedPerson = {};
  setIfDefined(person, 'role', codedValue(child(node, 'RoleToPatient') ?? child(hcp, 'RoleToPatient')));
  assignNames(person, hcp);
  setIfDefined(person, 'hprNumber', identOf(hcp, 'HPR'));
  const her = herIdOf(hcp);
  if (her !== null) person.herId = her;
  return person;
}

function setIfDefined<T, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

// ------------------------------------------------------------------------------------------------- xCal

/**
 * Every VEVENT of every vcalendar. Values are trimmed text as written (no time-zone conversion here).
 * Null when there are more than `room` (none is read then).
 */
function readVEvents(icalendar: XNode, room: number): VEvent[] | null {
  const events = childrenNamed(icalendar, 'vcalendar').flatMap((cal) => childrenNamed(child(cal, 'components'), 'vevent'));
  if (events.length > room) return null;
  return events.map(readVEvent);
}

type VEventTextField = Exclude<keyof VEvent, 'categories'>;

const VEVENT_TEXT_PROPERTIES: ReadonlyArray<[VEventTextField, string]> = [
  ['dtstart', 'dtstart'],
  ['dtend', 'dtend'],
  ['uid', 'uid'],
  ['contact', 'contact'],
  ['relatedTo', 'related-to'],
  ['summary', 'summary'],
  ['description', 'description'],
  ['location', 'location'],
  ['status', 'status'],
  ['xAvailableAt', 'x-available-at'],
  ['xExpectedDuration', 'x-expected-duration'],
  ['xCancellationReason', 'x-cancellation-reason'],
];

function readVEvent(vevent: XNode): VEvent {
  const props = child(vevent, 'properties');
  const event: VEvent = {
    categories: childrenNamed(props, 'categories').flatMap((c) => childrenNamed(c, 'text').map((t) => (ownText(t) ?? '').trim())),
  };
  for (const [field, name] of VEVENT_TEXT_PROPERTIES) {
    const value = propertyValue(child(props, name));
    if (value !== undefined) event[field] = value;
  }
  return event;
}

/** The value of an xCal property: the text of its value element (date-time, date, text, uri, duration…). */
function propertyValue(prop: XNode | undefined): string | undefined {
  if (prop === undefined) return undefined;
  const value = prop.children.find((c) => c.name !== 'parameters');
  return (ownText(value) ?? ownText(prop) ?? '').trim();
}

// -------------------------------------------------------------------------- Pasientrelasjon, Helsepersonell

function readPasientrelasjon(root: XNode): Pasientrelasjon {
  const result: Pasientrelasjon = {};
  setIfDefined(result, 'relasjon', codedValue(child(root, 'Relasjon')));
  const person = child(root, 'Person');
  if (person !== undefined) {
    const ident = personIdent(person);
    if (ident !== undefined) result.personIdent = { id: ident.id, typeId: ident.typeId };
    assignNames(result, person);
  }
  return result;
}

/**
 * Practitioners of a Helsepersonell 2014-03-28 (root `Helsepersonell` holding HealthcareProfessional
 * elements) or 2015-05-04 document (root `HelsepersonelListe` or `Helsepersonell`, whose `Helsepersonell`
 * entries each wrap one HealthcareProfessional and a Merknad).
 */
function readHelsepersonell(root: XNode): RoleRelatedPerson[] {
  const found: RoleRelatedPerson[] = [];
  const visit = (node: XNode, depth: number): void => {
    for (const c of childrenNamed(node, 'Helsepersonell')) {
      if (child(c, 'Ident') !== undefined || child(c, 'FamilyName') !== undefined) found.push(readRoleRelated(c));
      else if (depth < 3) visit(c, depth + 1);
    }
  };
  visit(root, 0);
  return found;
}
