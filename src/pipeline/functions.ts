import type { EntityManager } from 'typeorm';
import type { InboundMessage, VEvent } from '../envelope/types.js';
import { derivedId } from '../shared/ids.js';
import { businessRefusal, businessCodeOfReply, type BusinessCode } from '../shared/errors.js';
import { lockKey } from '../timebook/locks.js';
import { CitizenRequestEntity, type CitizenRequestRow, type RequestEvent } from '../timebook/request.entities.js';
import type { BookedBy, CalendarEntry, PatientContact, PatientFacts, TimebookOperations } from '../timebook/types.js';
import { level2HerId } from './addressing.js';

/** The business answer to one request, before it is written as a MsgHead. */
export interface FunctionResult {
  /** 7602 code of the reply; null when no reply goes out now (held for staff). */
  replyCode: string | null;
  text?: string | null;
  events: (CalendarEntry | VEvent)[];
  /** Short, code-only description for the inbox row and the replay line. */
  outcome: string;
  /** The error-table code when the answer is a no (06, 09, 26, 30); its reply code comes from the table. */
  refusal?: BusinessCode;
}

export interface FunctionContext {
  message: InboundMessage;
  receiverHerId: number;
  patient: PatientFacts;
  bookedBy: BookedBy;
  /** Deterministic appointment id for a booking made by this message. */
  appointmentId: string;
  timebooks: TimebookOperations;
  /** When the message was received (ISO); the wall clock when absent. */
  receivedAt?: string;
}

/** Default texts to the citizen per reply code (TekstNotatInnhold). */
const TEXTS: Record<string, string> = {
  '04': 'Det er ingen ledige timer i perioden du har valgt.',
  '06': 'Timen er ikke lenger tilgjengelig. Velg en annen time.',
  '08': 'Timen er avbestilt.',
  '09': 'Timen kunne ikke avbestilles. Ta kontakt med legekontoret.',
  '26': 'Forespørselen kunne ikke behandles.',
  '30': 'Du har ikke tilgang til denne tjenesten.',
};

export function defaultText(code: string): string | null {
  return TEXTS[code] ?? null;
}

/** Synchronous functions (DECISIONS 3). */
export function isSyncRequest(message: InboundMessage): boolean {
  const f = message.functionCode;
  return f === 'HLT' || f === 'HBT' || f === 'HB';
}

/**
 * The 2019 HentPlanlagteTimer example carries HLT; a sync HLT without FraDato/TilDato is treated as HBT
 * (protocol §13 item 6).
 */
export function effectiveFunction(message: InboundMessage): string | null {
  const f = message.functionCode;
  if (f === 'HLT' && !message.dialogmelding?.fraDato && !message.dialogmelding?.tilDato) return 'HBT';
  return f;
}

const TIMERESERVASJON = 'DIALOG_INNBYGGER_TIMERESERVASJON';
const AVTALEAVBESTILLING = 'DIALOG_INNBYGGER_AVTALEAVBESTILLING';
const TIMEONSKE = 'DIALOG_INNBYGGER_TIMEONSKE';
const TIMEONSKEUNGDOM = 'DIALOG_INNBYGGER_TIMEONSKEUNGDOM';

/** Which functions each process accepts from Helsenorge. */
const ACCEPTED: Record<string, readonly string[]> = {
  [TIMERESERVASJON]: ['HLT', 'HBT', 'RT', 'ART'],
  [AVTALEAVBESTILLING]: ['ART'],
  [TIMEONSKE]: ['OT', 'OET', 'OAT'],
  [TIMEONSKEUNGDOM]: ['OT', 'OAT'],
};

/** Runs the function the message asks for, inside the caller's transaction. */
export async function runFunction(em: EntityManager, ctx: FunctionContext): Promise<FunctionResult> {
  const { message } = ctx;
  const fn = effectiveFunction(message);
  const accepted = ACCEPTED[message.process] ?? [];
  if (!fn || !accepted.includes(fn)) {
    return { ...businessRefusal('ERR_FUNCTION_NOT_OFFERED', defaultText), events: [], outcome: `function ${(fn ?? 'none').slice(0, 20)} not offered in ${message.process.slice(0, 60)}` };
  }
  if (message.process === TIMEONSKEUNGDOM && message.pasientrelasjon) {
    return { ...businessRefusal('ERR_REPRESENTATION_NOT_ALLOWED', defaultText), events: [], outcome: 'representation not allowed in TIMEONSKEUNGDOM' };
  }
  switch (fn) {
    case 'HLT':
      return freeSlots(em, ctx);
    case 'HBT':
      return planned(em, ctx);
    case 'RT':
      return reserve(em, ctx);
    case 'ART':
      return cancel(em, ctx);
    default:
      // OT, OET, OAT: the wish is stored for staff; only the AppRec goes out now (docs/staff.md).
      return storeWish(em, ctx, fn);
  }
}

/** The id of the wish a Timeønske message becomes (deterministic, DECISIONS 5). */
export function wishIdOf(message: InboundMessage): string {
  return derivedId('wish', requestKey(message));
}

/** Duplicate key of a message as the pipeline forms it: sender level 2 + MsgId (DECISIONS 20). */
function requestKey(message: InboundMessage): string {
  return `${level2HerId(message.sender) ?? 0}:${message.msgId}`;
}

/**
 * Stores a Timeønske (OT, OET, OAT) with everything its SvarØnske needs, in the message's transaction.
 * A copy of the same message that got this far (racing the first) finds the wish and adds nothing.
 */
async function storeWish(em: EntityManager, ctx: FunctionContext, fn: string): Promise<FunctionResult> {
  const id = wishIdOf(ctx.message);
  await lockKey(em, `request:${id}`);
  const repo = em.getRepository(CitizenRequestEntity);
  if ((await repo.findOne({ where: { id } })) === null) {
    await repo.insert(requestRow(ctx, id, 'wish', fn, null));
  }
  return { replyCode: null, events: [], outcome: `wish ${fn} stored for staff` };
}

/** What later messages need to name the patient (MsgHead/Patient of the request). */
function patientContactOf(message: InboundMessage): PatientContact {
  return {
    idType: message.patient?.idType === 'DNR' ? 'DNR' : 'FNR',
    familyName: message.patient?.familyName ?? null,
    givenName: message.patient?.givenName ?? null,
  };
}

function requestRow(
  ctx: FunctionContext,
  id: string,
  kind: CitizenRequestRow['kind'],
  fn: string,
  appointmentId: string | null,
): CitizenRequestRow {
  const m = ctx.message;
  const d = m.dialogmelding;
  const contact = patientContactOf(m);
  const event = m.vevents[0];
  const wished = d?.rollerRelatertNotat.find((r) => r.role?.v === '23') ?? d?.rollerRelatertNotat[0];
  const at = ctx.receivedAt ?? (ctx.timebooks.now?.() ?? new Date()).toISOString();
  return {
    id,
    kind,
    process: m.process,
    functionCode: fn,
    status: 'open',
    answerCode: null,
    answerMsgId: null,
    counterpartyHerId: level2HerId(m.sender) ?? 0,
    ourHerId: ctx.receiverHerId,
    msgId: m.msgId,
    conversationId: m.conversationRef?.refToConversation ?? m.msgId,
    inboxId: derivedId('inbox', requestKey(m)),
    patientId: ctx.patient.id,
    patientIdType: contact.idType,
    patientFamilyName: contact.familyName,
    patientGivenName: contact.givenName,
    representativeId: ctx.bookedBy.representativeId,
    relation: ctx.bookedBy.relation,
    fromDate: d?.fraDato ?? null,
    toDate: d?.tilDato ?? null,
    event: event ? requestEvent(event) : null,
    wishedPractitioner: wished
      ? {
          role: wished.role?.v ?? null,
          hprNumber: wished.hprNumber ?? null,
          herId: wished.herId ?? null,
          familyName: wished.familyName ?? null,
          givenName: wished.givenName ?? null,
        }
      : null,
    acceptsOther: d?.kodetOpplysning?.v ?? null,
    emneSporsmal: d?.emneSporsmal ?? null,
    sporsmal: d?.sporsmal ?? null,
    appointmentId,
    receivedAt: at,
    answeredAt: null,
    updatedAt: at,
  };
}

function requestEvent(e: VEvent): RequestEvent {
  return {
    ...slotReference(e),
    categories: e.categories,
    ...(e.summary ? { summary: e.summary } : {}),
    ...(e.location ? { location: e.location } : {}),
  };
}

async function freeSlots(em: EntityManager, ctx: FunctionContext): Promise<FunctionResult> {
  const d = ctx.message.dialogmelding;
  const r = await ctx.timebooks.findFreeSlots(em, {
    receiverHerId: ctx.receiverHerId,
    patient: ctx.patient,
    fromDate: d?.fraDato ?? null,
    toDate: d?.tilDato ?? null,
  });
  if (r.code === '03') {
    return { replyCode: '03', text: r.prerequisites, events: r.slots, outcome: `03 with ${r.slots.length} slots` };
  }
  return { replyCode: r.code, text: defaultText(r.code), events: [], outcome: r.code, ...businessCodeOfReply('HLT', r.code) };
}

async function planned(em: EntityManager, ctx: FunctionContext): Promise<FunctionResult> {
  const r = await ctx.timebooks.listPlanned(em, ctx.receiverHerId, ctx.patient);
  return { replyCode: r.code, text: null, events: r.appointments, outcome: `${r.code} with ${r.appointments.length} appointments` };
}

async function reserve(em: EntityManager, ctx: FunctionContext): Promise<FunctionResult> {
  const m = ctx.message;
  const event = m.vevents[0];
  if (!event) return { ...businessRefusal('ERR_BOOKING_NO_XCAL', defaultText), events: [], outcome: '26 no xCal' };
  const r = await ctx.timebooks.reserve(em, {
    receiverHerId: ctx.receiverHerId,
    patient: ctx.patient,
    bookedBy: ctx.bookedBy,
    slot: slotReference(event),
    appointmentId: ctx.appointmentId,
    sourceMsgId: m.msgId,
    ...(m.dialogmelding?.emneSporsmal ? { emneSporsmal: m.dialogmelding.emneSporsmal } : {}),
    ...(m.dialogmelding?.sporsmal ? { sporsmal: m.dialogmelding.sporsmal } : {}),
    attachments: m.attachments.map((a) => ({
      ...(a.mimeType ? { mimeType: a.mimeType } : {}),
      ...(a.description ? { description: a.description } : {}),
      content: a.content,
    })),
    ...(level2HerId(m.sender) !== null ? { originHerId: level2HerId(m.sender) as number } : {}),
    patientContact: patientContactOf(m),
  });
  if (r.code === '05' && r.pending) {
    // Held in a `manual` book: keep what SvarTimeReservasjon needs when staff decide (docs/staff.md).
    const repo = em.getRepository(CitizenRequestEntity);
    if ((await repo.findOne({ where: { id: ctx.appointmentId } })) === null) {
      await repo.insert(requestRow(ctx, ctx.appointmentId, 'hold', 'RT', ctx.appointmentId));
    }
    return { replyCode: null, events: [], outcome: 'requested, awaiting staff confirmation' };
  }
  if (r.code === '05' && r.appointment) {
    return { replyCode: '05', text: null, events: [r.appointment], outcome: '05' };
  }
  return { replyCode: r.code, text: defaultText(r.code), events: [event], outcome: `${r.code}${r.reason ? ` ${r.reason}` : ''}`, ...businessCodeOfReply('RT', r.code) };
}

async function cancel(em: EntityManager, ctx: FunctionContext): Promise<FunctionResult> {
  const m = ctx.message;
  const event = m.vevents[0];
  if (!event) return { ...businessRefusal('ERR_CANCEL_NO_XCAL', defaultText), events: [], outcome: '09 no xCal' };
  const r = await ctx.timebooks.cancel(em, {
    receiverHerId: ctx.receiverHerId,
    patient: ctx.patient,
    bookedBy: ctx.bookedBy,
    slot: slotReference(event),
    sourceMsgId: m.msgId,
    ...(m.dialogmelding?.sporsmal ? { reason: m.dialogmelding.sporsmal } : {}),
  });
  if (r.code === '08' && r.appointment && r.reason === undefined) {
    // A held request the citizen cancelled before staff decided: it no longer waits for staff.
    await em
      .createQueryBuilder()
      .update(CitizenRequestEntity)
      .set({ status: 'withdrawn', updatedAt: (ctx.timebooks.now?.() ?? new Date()).toISOString() })
      .where('id = :id', { id: r.appointment.uid })
      .andWhere('status = :open', { open: 'open' })
      .execute();
  }
  const events = r.appointment ? [r.appointment] : [event];
  return { replyCode: r.code, text: defaultText(r.code), events, outcome: `${r.code}${r.reason ? ` ${r.reason}` : ''}`, ...businessCodeOfReply('ART', r.code) };
}

function slotReference(e: VEvent) {
  return {
    ...(e.uid ? { uid: e.uid.trim() } : {}),
    ...(e.relatedTo ? { relatedTo: e.relatedTo.trim() } : {}),
    ...(e.dtstart ? { dtstart: e.dtstart } : {}),
    ...(e.dtend ? { dtend: e.dtend } : {}),
    ...(e.contact ? { contact: e.contact.trim() } : {}),
  };
}
