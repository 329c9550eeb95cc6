import type { Address } from './addressing.js';
import { appendForesporsel, appendNotat } from './dialogmelding.builder.js';
import { appendHelsepersonell, type PractitionerSpec } from './helsepersonell.builder.js';
import { buildMsgHead, type OutboundDocument, type OutboundPatient } from './msghead.builder.js';
import { appendXcal, type OutboundEvent } from './xcal.builder.js';

/** The Avtale push process (protocol §10.5). */
export const AVTALEUTSENDING = 'DIALOG_INNBYGGER_AVTALEUTSENDING';

/** Avtale push codes (7602 in Foresporsel/TypeForesp): created, changed, cancelled, no-show. */
export type AvtaleCode = '05' | '07' | '08' | '11';

export interface AvtaleSpec {
  code: AvtaleCode;
  msgId: string;
  genDate: Date;
  /** Us: the party owning the appointment's book. */
  sender: Address;
  /** Helsenorge. */
  receiver: Address;
  patient: OutboundPatient;
  /** The appointment (mandatory xCal, protocol §10.5). */
  event: OutboundEvent;
}

/**
 * An Avtale push (DIALOG_INNBYGGER_AVTALEUTSENDING 1.0, protocol §10.5): `Ack` J, no ConversationRef
 * (a new thread), Dialogmelding `Foresporsel/TypeForesp` with the 7602 code and no question texts,
 * and the appointment as xCal. No Pasientrelasjon, Helsepersonell or attachments.
 */
export function buildAvtale(spec: AvtaleSpec): string {
  return buildMsgHead({
    process: AVTALEUTSENDING,
    msgId: spec.msgId,
    genDate: spec.genDate,
    ack: 'J',
    conversationRef: null,
    sender: spec.sender,
    receiver: spec.receiver,
    patient: spec.patient,
    documents: [
      { contentDescription: 'Avtale', build: (c) => appendForesporsel(c, spec.code) },
      { description: 'iCalendar', mimeType: 'application/xml', build: (c) => appendXcal(c, [spec.event]) },
    ],
  });
}

export interface StaffReplySpec {
  /** The request's process (the answer stays in it). */
  process: string;
  /** 7602 code in Notat/TemaKodet. */
  code: string;
  text: string | null;
  msgId: string;
  genDate: Date;
  /** The request's MsgId and the thread's first MsgId. */
  conversationRef: { refToParent: string; refToConversation: string };
  sender: Address;
  receiver: Address;
  patient: OutboundPatient;
  events: OutboundEvent[];
  /** The other practitioner (code 10): a Helsepersonell document. */
  practitioner?: PractitionerSpec | null;
}

/**
 * An answer that staff decided: SvarTimeReservasjon to a held ReserverAvtale, or SvarØnske to a
 * Timeønske (protocol §10.3, §10.7). `Ack` J, ConversationRef to the request, Dialogmelding first, then
 * xCal (when a time is given, changed or cancelled), then Helsepersonell (code 10).
 */
export function buildStaffReply(spec: StaffReplySpec): string {
  const documents: OutboundDocument[] = [{ contentDescription: 'Svar', build: (c) => appendNotat(c, spec.code, spec.text) }];
  if (spec.events.length > 0) {
    documents.push({ description: 'iCalendar', mimeType: 'application/xml', build: (c) => appendXcal(c, spec.events) });
  }
  if (spec.practitioner) {
    const practitioner = spec.practitioner;
    documents.push({ description: 'Annet helsepersonell', build: (c) => appendHelsepersonell(c, practitioner) });
  }
  return buildMsgHead({
    process: spec.process,
    msgId: spec.msgId,
    genDate: spec.genDate,
    ack: 'J',
    conversationRef: spec.conversationRef,
    sender: spec.sender,
    receiver: spec.receiver,
    patient: spec.patient,
    documents,
  });
}
