import { EntitySchema } from 'typeorm';

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

export const CitizenRequestEntity = new EntitySchema<CitizenRequestRow>({
  name: 'CitizenRequest',
  tableName: 'citizen_request',
  columns: {
    id: { type: 'varchar', length: 64, primary: true },
    kind: { type: 'varchar', length: 8 },
    process: { type: 'varchar', length: 100 },
    functionCode: { type: 'varchar', length: 10 },
    status: { type: 'varchar', length: 10 },
    answerCode: { type: 'varchar', length: 4, nullable: true },
    answerMsgId: { type: 'varchar', length: 64, nullable: true },
    counterpartyHerId: { type: 'integer' },
    ourHerId: { type: 'integer' },
    msgId: { type: 'varchar', length: 200 },
    conversationId: { type: 'varchar', length: 200 },
    inboxId: { type: 'varchar', length: 64 },
    patientId: { type: 'varchar', length: 11 },
    patientIdType: { type: 'varchar', length: 3 },
    patientFamilyName: { type: 'varchar', length: 200, nullable: true },
    patientGivenName: { type: 'varchar', length: 200, nullable: true },
    representativeId: { type: 'varchar', length: 11, nullable: true },
    relation: { type: 'varchar', length: 10, nullable: true },
    fromDate: { type: 'varchar', length: 32, nullable: true },
    toDate: { type: 'varchar', length: 32, nullable: true },
    event: { type: 'simple-json', nullable: true },
    wishedPractitioner: { type: 'simple-json', nullable: true },
    acceptsOther: { type: 'varchar', length: 2, nullable: true },
    emneSporsmal: { type: 'text', nullable: true },
    sporsmal: { type: 'text', nullable: true },
    appointmentId: { type: 'varchar', length: 64, nullable: true },
    receivedAt: { type: 'varchar', length: 32 },
    answeredAt: { type: 'varchar', length: 32, nullable: true },
    updatedAt: { type: 'varchar', length: 32 },
  },
  indices: [
    { name: 'IDX_citizen_request_open', columns: ['kind', 'status', 'receivedAt'] },
    { name: 'IDX_citizen_request_appointment', columns: ['appointmentId'] },
  ],
});
