import type { EntityManager } from 'typeorm';
import type { InboundMessage, VEvent } from '../envelope/types.js';
import type { BookedBy, CalendarEntry, PatientFacts, TimebookOperations } from '../timebook/types.js';

/** The business answer to one request, before it is written as a MsgHead. */
export interface FunctionResult {
  /** 7602 code of the reply; null when no reply goes out now (held for staff). */
  replyCode: string | null;
  text?: string | null;
  events: (CalendarEntry | VEvent)[];
  /** Short, code-only description for the inbox row and the replay line. */
  outcome: string;
}

export interface FunctionContext {
  message: InboundMessage;
  receiverHerId: number;
  patient: PatientFacts;
  bookedBy: BookedBy;
  /** Deterministic appointment id for a booking made by this message. */
  appointmentId: string;
  timebooks: TimebookOperations;
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
    return { replyCode: '26', text: defaultText('26'), events: [], outcome: `function ${fn ?? 'none'} not offered in ${message.process}` };
  }
  if (message.process === TIMEONSKEUNGDOM && message.pasientrelasjon) {
    return { replyCode: '26', text: defaultText('26'), events: [], outcome: 'representation not allowed in TIMEONSKEUNGDOM' };
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
      // OT, OET, OAT: the wish waits for staff; only the AppRec goes out now.
      return { replyCode: null, events: [], outcome: `wish ${fn} held for staff` };
  }
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
  return { replyCode: r.code, text: defaultText(r.code), events: [], outcome: r.code };
}

async function planned(em: EntityManager, ctx: FunctionContext): Promise<FunctionResult> {
  const r = await ctx.timebooks.listPlanned(em, ctx.receiverHerId, ctx.patient);
  return { replyCode: r.code, text: null, events: r.appointments, outcome: `${r.code} with ${r.appointments.length} appointments` };
}

async function reserve(em: EntityManager, ctx: FunctionContext): Promise<FunctionResult> {
  const m = ctx.message;
  const event = m.vevents[0];
  if (!event) return { replyCode: '26', text: defaultText('26'), events: [], outcome: '26 no xCal' };
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
  });
  if (r.code === '05' && r.pending) {
    return { replyCode: null, events: [], outcome: 'requested, awaiting staff confirmation' };
  }
  if (r.code === '05' && r.appointment) {
    return { replyCode: '05', text: null, events: [r.appointment], outcome: '05' };
  }
  return { replyCode: r.code, text: defaultText(r.code), events: [event], outcome: `${r.code}${r.reason ? ` ${r.reason}` : ''}` };
}

async function cancel(em: EntityManager, ctx: FunctionContext): Promise<FunctionResult> {
  const m = ctx.message;
  const event = m.vevents[0];
  if (!event) return { replyCode: '09', text: defaultText('09'), events: [], outcome: '09 no xCal' };
  const r = await ctx.timebooks.cancel(em, {
    receiverHerId: ctx.receiverHerId,
    patient: ctx.patient,
    bookedBy: ctx.bookedBy,
    slot: slotReference(event),
    sourceMsgId: m.msgId,
    ...(m.dialogmelding?.sporsmal ? { reason: m.dialogmelding.sporsmal } : {}),
  });
  const events = r.appointment ? [r.appointment] : [event];
  return { replyCode: r.code, text: defaultText(r.code), events, outcome: `${r.code}${r.reason ? ` ${r.reason}` : ''}` };
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
