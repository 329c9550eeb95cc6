import type { InboundMessage, VEvent } from '../envelope/types.js';
import type { NewOutboxRow } from '../outbox/outbox.store.js';
import type { Party } from '../registry/types.js';
import type { Refusal } from '../shared/errors.js';
import { refusalAnswer } from '../shared/errors.js';
import { derivedId } from '../shared/ids.js';
import type { CalendarEntry } from '../timebook/types.js';
import type { Address } from './addressing.js';
import { buildAppRec } from './apprec.builder.js';
import { appendNotat } from './dialogmelding.builder.js';
import { buildMsgHead, type OutboundDocument } from './msghead.builder.js';
import { asyncQueueOf, errorQueueOf, syncReplyQueueOf } from './queues.js';
import { appendXcal } from './xcal.builder.js';

/**
 * The outgoing rows of one inbound message, built (MsgHead/AppRec XML or an error-queue report) and
 * addressed (queue, HER-ids, correlation), ready for the outbox. Ids are derived from the message key,
 * so a re-run builds the same ids (docs/decisions.md §5).
 */

/** A counterparty resolved in the registry, with the address we write to it. */
export interface Counterparty {
  herId: number;
  party: Party | null;
  address: Address;
}

/** What the transport told about the inbound message, as the rows need it. */
export interface ReplyRoute {
  replyTo?: string;
  correlationId?: string;
  messageId: string;
}

/** The business content of a reply. */
export interface ReplyContent {
  /** 7602 code of the reply; null when no reply goes out now. */
  replyCode: string | null;
  text?: string | null;
  events: (CalendarEntry | VEvent)[];
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

export interface RowContext {
  route: ReplyRoute;
  message: InboundMessage;
  sender: Counterparty;
  us: Address;
  sync: boolean;
  /** The message key (`<sender HER-id>:<MsgId>`), or another key for answers that are not the message's own. */
  key: string;
  inboxId: string | null;
  now: Date;
}

/** Negative AppRec (async) or a reply with the table's code (sync) for a message that fails a check. */
export function refusalRows(c: RowContext, error: Refusal): NewOutboxRow[] {
  const answer = refusalAnswer(error.code);
  if (c.sync) {
    return [replyRow(c, { replyCode: answer.replyCode, text: defaultText(answer.replyCode), events: [] }, 0)];
  }
  return [appRecRow(c, '2', [{ code: answer.appRecCode, description: error.description }], 0)];
}

/** Positive AppRec (async) and the business reply, when there is one now. */
export function answerRows(c: RowContext, result: ReplyContent): NewOutboxRow[] {
  const rows: NewOutboxRow[] = [];
  if (!c.sync) rows.push(appRecRow(c, '1', [], rows.length));
  if (result.replyCode) rows.push(replyRow(c, result, rows.length));
  return rows;
}

function appRecRow(c: RowContext, status: '1' | '2', errors: { code: string; description: string }[], seq: number): NewOutboxRow {
  const { message, sender, us, now } = c;
  const id = derivedId('apprec', c.key);
  const body = buildAppRec({
    id,
    genDate: now,
    sender: us,
    receiver: sender.address,
    status,
    errors,
    // What was received, as received (trimmed): not our normalised reading of it.
    original: { msgType: message.processRaw.trim() || message.process, issueDate: message.genDate || now.toISOString(), id: message.msgId },
  });
  return {
    id,
    inboxId: c.inboxId,
    kind: 'apprec',
    queue: asyncQueueOf(sender.party, sender.herId),
    toHerId: sender.herId,
    fromHerId: (us.level2 ?? us.level1).herId,
    process: 'APPREC',
    correlationId: null,
    body,
    properties: {},
    summary: status === '1' ? 'apprec 1' : `apprec 2 ${errors.map((e) => e.code).join(' ')}`,
    createdAt: now.toISOString(),
    seq,
  };
}

function replyRow(c: RowContext, result: ReplyContent, seq: number): NewOutboxRow {
  const { message, sender, us, now, sync, route } = c;
  const code = result.replyCode ?? '26';
  const id = derivedId(sync ? 'sync-reply' : 'reply', c.key);
  const documents: OutboundDocument[] = [{ contentDescription: 'Svar', build: (b) => appendNotat(b, code, result.text ?? null) }];
  if (result.events.length > 0) {
    documents.push({ description: 'iCalendar', mimeType: 'application/xml', build: (b) => appendXcal(b, result.events) });
  }
  const body = buildMsgHead({
    process: message.process,
    msgId: id,
    genDate: now,
    ack: sync ? 'N' : 'J',
    conversationRef: {
      refToParent: message.msgId,
      refToConversation: message.conversationRef?.refToConversation ?? message.msgId,
    },
    sender: us,
    receiver: sender.address,
    patient: message.patient
      ? {
          idType: message.patient.idType,
          id: message.patient.id,
          ...(message.patient.familyName ? { familyName: message.patient.familyName } : {}),
          ...(message.patient.givenName ? { givenName: message.patient.givenName } : {}),
        }
      : null,
    documents,
  });
  return {
    id,
    inboxId: c.inboxId,
    kind: 'reply',
    queue: sync ? syncReplyQueueOf(route.replyTo, sender.herId) : asyncQueueOf(sender.party, sender.herId),
    toHerId: sender.herId,
    fromHerId: (us.level2 ?? us.level1).herId,
    process: message.process,
    correlationId: sync ? (route.correlationId ?? route.messageId) : null,
    body,
    properties: {},
    summary: `reply ${code}`,
    createdAt: now.toISOString(),
    seq,
  };
}

/** An error-queue report (protocol §2.6) about one delivery, to the sender `toHerId`. */
export function errorReportRow(r: {
  id: string;
  originalMessageId: string;
  condition: string;
  description: string;
  detail?: Record<string, unknown>;
  toHerId: number;
  toParty: Party | null;
  fromHerId: number | null;
  process: string | null;
  now: Date;
}): NewOutboxRow {
  const data = r.detail ? JSON.stringify(r.detail) : undefined;
  const properties: Record<string, string> = {
    originalMessageId: r.originalMessageId,
    receiverTimeStamp: r.now.toISOString(),
    errorCondition: r.condition,
    errorDescription: r.description,
    ...(data ? { errorConditionData: data } : {}),
  };
  return {
    id: r.id,
    inboxId: null,
    kind: 'error-report',
    queue: errorQueueOf(r.toParty, r.toHerId),
    toHerId: r.toHerId,
    fromHerId: r.fromHerId,
    process: r.process,
    correlationId: null,
    body: JSON.stringify(properties, null, 2),
    properties,
    summary: r.condition,
    createdAt: r.now.toISOString(),
    seq: 0,
  };
}
