import { createHash } from 'node:crypto';
import type { Database } from '../db/database.js';
import type { InboundMessage, SchemaValidationResult, XmlLimits } from '../envelope/types.js';
import { guardXml } from '../envelope/xml.guard.js';
import { parseMsgHead } from '../envelope/msghead.parser.js';
import { checkPersonId } from '../envelope/person-id.js';
import { parseAppRec } from '../envelope/apprec.parser.js';
import type { Party, ReceiverCheck } from '../registry/types.js';
import type { TimebookOperations } from '../timebook/types.js';
import { addressFromRegistry, ourAddressFor, type Address } from '../reply/addressing.js';
import { buildAppRec } from '../reply/apprec.builder.js';
import { buildMsgHead, type OutboundDocument } from '../reply/msghead.builder.js';
import { appendNotat } from '../reply/dialogmelding.builder.js';
import { appendXcal } from '../reply/xcal.builder.js';
import { InboxEntity, OutboxEntity } from '../inbox/message.entities.js';
import { addOutbox, outboxOf, requeueOutbox, type NewOutboxRow } from '../outbox/outbox.store.js';
import { ERROR_TABLE, TimebokError, describeError, isTimebokError, refusal, refusalAnswer, type Refusal } from '../shared/errors.js';
import type { Clock } from '../shared/clock.js';
import { derivedId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import { asyncQueueOf, errorQueueOf, level2HerId, syncReplyQueueOf } from './addressing.js';
import { defaultText, isSyncRequest, runFunction, type FunctionResult } from './functions.js';
import type { InboundDelivery, ProcessOutcome } from './types.js';

/** The registry as the pipeline needs it. */
export interface RegistryLookup {
  getParty(herId: number): Promise<Party | null>;
  checkReceiver(q: { level1HerId: number | null; level2HerId: number | null; process: string }): Promise<ReceiverCheck>;
  /** Our parties (we answer in their name only). */
  ourParties(): Promise<Party[]>;
}

export interface SchemaValidator {
  validate(xml: string | Uint8Array): SchemaValidationResult;
}

/** Turns transport bytes into the MsgHead/AppRec bytes (CMS unprotection); identity when plain XML is allowed. */
export interface Unprotector {
  unprotect(delivery: InboundDelivery, sender: Party | null): Promise<Uint8Array>;
}

export interface PipelineSettings {
  limits: XmlLimits;
  acceptSyntheticIds: boolean;
}

export interface PipelineDeps {
  db: Database;
  schemas: SchemaValidator;
  registry: RegistryLookup;
  timebooks: TimebookOperations;
  unprotector: Unprotector;
  clock: Clock;
  logger: Logger;
  settings: PipelineSettings;
}

/** A counterparty resolved in the registry, with the address we write to it. */
interface Counterparty {
  herId: number;
  party: Party | null;
  address: Address;
}

/**
 * The receive pipeline for one delivery, in the order of PRODUCT.md: transport → unprotect → envelope
 * (guard, parse) → sender and spoofing → duplicate → schema → receiver → patient → function, with the
 * inbox row and every outbound row (AppRec, reply, report) written in the booking's transaction.
 * Known faults are answered; unknown ones are thrown (the transport then retries / dead-letters).
 */
export class Pipeline {
  constructor(private readonly deps: PipelineDeps) {}

  async process(delivery: InboundDelivery): Promise<ProcessOutcome> {
    const { logger } = this.deps;
    try {
      return await this.run(delivery);
    } catch (err) {
      if (isTimebokError(err) && err.disposition === 'transport') {
        return this.reportTransportError(delivery, err);
      }
      logger.error({ queue: delivery.queue, messageId: delivery.messageId, code: isTimebokError(err) ? err.code : undefined, err: describeError(err) }, 'message not processed');
      throw err;
    }
  }

  private async run(delivery: InboundDelivery): Promise<ProcessOutcome> {
    const { settings, registry } = this.deps;
    checkTransportFields(delivery);

    const claimedSender = delivery.fromHerId ?? null;
    const claimedParty = claimedSender !== null ? await registry.getParty(claimedSender) : null;
    const plain = await this.deps.unprotector.unprotect(delivery, claimedParty);
    const text = guardXml(plain, settings.limits);

    if (/^\s*(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*)*<([A-Za-z_][\w.-]*:)?AppRec[\s>]/.test(text)) {
      return this.recordAppRec(delivery, text);
    }
    const message = parseMsgHead(text, settings.limits);
    const senderHerId = level2HerId(message.sender);
    if (senderHerId === null) {
      throw new TimebokError('ERR_TRANSPORT_FIELD', 'MsgHead sender has no HER-id', { detail: { field: 'Sender' } });
    }
    if (claimedSender !== null && claimedSender !== senderHerId) {
      throw new TimebokError('ERR_REGISTRY_SPOOFING', 'fromHerId differs from the MsgHead sender', {
        detail: { fromHerId: claimedSender, msgHeadSender: senderHerId },
      });
    }
    const senderParty = claimedParty ?? (await registry.getParty(senderHerId));
    if (!senderParty || !senderParty.active) {
      throw new TimebokError('ERR_REGISTRY_SENDER_UNKNOWN', 'sender is not an active party in the registry', {
        detail: { fromHerId: senderHerId },
      });
    }
    const sender: Counterparty = {
      herId: senderHerId,
      party: senderParty,
      address: addressFromRegistry(senderParty, senderParty.parentHerId !== null ? await registry.getParty(senderParty.parentHerId) : null),
    };
    return this.handleMessage(delivery, text, message, sender);
  }

  private async handleMessage(
    delivery: InboundDelivery,
    text: string,
    message: InboundMessage,
    sender: Counterparty,
  ): Promise<ProcessOutcome> {
    const { schemas, registry, settings } = this.deps;
    const contentHash = createHash('sha256').update(text).digest('hex');
    const key = `${sender.herId}:${message.msgId}`;
    const sync = isSyncRequest(message);

    const earlier = await this.answerDuplicate(delivery, message, sender, contentHash, sync);
    if (earlier) return earlier;

    // Checks whose failure is answered (and remembered, so a duplicate gets the same answer), each
    // through the error table (src/shared/errors.ts). A refusal is sent in the name of our party whose
    // queue received the message, never in the name of a receiver the sender wrote.
    let us = await this.ourAddress(delivery, message);
    if (us === null) return this.noPartyOfOurs(delivery, message);
    let refused: Refusal | null = null;
    const validation = schemas.validate(text);
    if (!validation.valid) {
      const first = validation.issues[0];
      refused = refusal('ERR_ENVELOPE_SCHEMA', first ? `${first.path ?? ''}: ${first.message}`.trim() : 'schema validation failed');
    }
    if (!refused && message.contentProblem) refused = refusal('ERR_ENVELOPE_CONTENT', message.contentProblem);
    const receiverHerId = level2HerId(message.receiver);
    if (!refused && delivery.toHerId !== undefined && delivery.toHerId !== receiverHerId) {
      refused = refusal('ERR_REGISTRY_RECEIVER_MISMATCH', 'toHerId differs from the MsgHead receiver');
    }
    let receiverCheck: ReceiverCheck | null = null;
    if (!refused) {
      receiverCheck = await registry.checkReceiver({
        level1HerId: message.receiver.level1.herId,
        level2HerId: receiverHerId,
        process: message.process,
      });
      if (receiverCheck.ok) {
        us = addressFromRegistry(receiverCheck.party, receiverCheck.parent);
      } else if (receiverCheck.reason === 'process-not-activated') {
        refused = refusal('ERR_REGISTRY_PROCESS', `process ${message.process.slice(0, 60)} is not activated on the receiver`);
      } else {
        refused = refusal('ERR_REGISTRY_RECEIVER', `receiver ${receiverCheck.reason}`);
      }
    }
    let patientFacts: { id: string; birthDate: string | null } | null = null;
    if (!refused) {
      const p = message.patient;
      const check = p ? checkPersonId(p.id, p.idType, { acceptSynthetic: settings.acceptSyntheticIds }) : null;
      if (!p || !check || !check.valid) {
        refused = refusal('ERR_ENVELOPE_PATIENT_ID', `patient identifier invalid (${check?.problem ?? 'missing'})`);
      } else {
        patientFacts = { id: p.id, birthDate: check.birthDate ?? null };
      }
    }

    const inboxId = derivedId('inbox', key);
    try {
      return await this.processOnce(delivery, message, sender, us, sync, { refusal: refused, patientFacts, receiverCheck, receiverHerId, contentHash, key, inboxId });
    } catch (err) {
      // Another copy of this message committed first (several consumers, a redelivery racing the
      // original): the inbox key refused ours and our transaction was rolled back. Answer as a duplicate.
      if (!isUniqueViolation(err)) throw err;
      const earlier = await this.answerDuplicate(delivery, message, sender, contentHash, sync);
      if (earlier) return earlier;
      throw err;
    }
  }

  /**
   * Duplicate (DECISIONS 20): the stored answer again, byte for byte; the same MsgId with other content:
   * E10. Null when the message was not seen before.
   */
  private async answerDuplicate(
    delivery: InboundDelivery,
    message: InboundMessage,
    sender: Counterparty,
    contentHash: string,
    sync: boolean,
  ): Promise<ProcessOutcome | null> {
    const { db } = this.deps;
    const key = `${sender.herId}:${message.msgId}`;
    const existing = await db.manager.getRepository(InboxEntity).findOne({ where: { senderHerId: sender.herId, msgId: message.msgId } });
    if (!existing) return null;
    if (existing.contentHash === contentHash) {
      return db.transaction(async (em) => {
        const rows = await outboxOf(em, existing.id);
        await requeueOutbox(em, rows.map((r) => r.id));
        await em.getRepository(InboxEntity).increment({ id: existing.id }, 'duplicateCount', 1);
        return this.outcome('duplicate', message, `duplicate of an earlier message: ${rows.length} stored message(s) re-sent`, rows.map((r) => r.id));
      });
    }
    const us = await this.ourAddress(delivery, message);
    if (us === null) return this.noPartyOfOurs(delivery, message);
    const conflict = refusal('ERR_INBOX_MSGID_REUSED', 'MsgId already used for another message');
    this.logRefusal(delivery, message, conflict);
    const rows = this.refusal(delivery, message, sender, us, sync, conflict, `conflict:${key}:${contentHash}`, null);
    await db.transaction(async (em) => {
      const seen = await em.getRepository(OutboxEntity).findOne({ where: { id: rows[0]!.id } });
      if (seen) await requeueOutbox(em, rows.map((r) => r.id));
      else await addOutbox(em, rows);
    });
    return { ...this.outcome('rejected', message, `MsgId reused with other content → ${refusalAnswer(conflict.code).appRecCode}`, rows.map((r) => r.id)), code: conflict.code };
  }

  /**
   * The one transaction of a new message: the inbox row first (so that a concurrent copy waits on its
   * key, then fails, before doing any work), the function, the outgoing rows, the outcome.
   */
  private async processOnce(
    delivery: InboundDelivery,
    message: InboundMessage,
    sender: Counterparty,
    us: Address,
    sync: boolean,
    c: {
      refusal: Refusal | null;
      patientFacts: { id: string; birthDate: string | null } | null;
      receiverCheck: ReceiverCheck | null;
      receiverHerId: number | null;
      contentHash: string;
      key: string;
      inboxId: string;
    },
  ): Promise<ProcessOutcome> {
    const { db, clock } = this.deps;
    const { refusal, patientFacts, receiverCheck, receiverHerId, contentHash, key, inboxId } = c;
    const now = clock.now();
    return db.transaction(async (em) => {
      await em.getRepository(InboxEntity).insert({
        id: inboxId,
        senderHerId: sender.herId,
        msgId: message.msgId,
        contentHash,
        receiverHerId,
        process: message.process,
        functionCode: message.functionCode,
        outcome: 'processing',
        transport: delivery.transport,
        receivedAt: now.toISOString(),
        duplicateCount: 0,
      });
      let rows: NewOutboxRow[];
      let outcomeText: string;
      let status: ProcessOutcome['status'];
      let code: ProcessOutcome['code'];
      if (refusal || !patientFacts || !receiverCheck?.ok) {
        if (!refusal) throw new TimebokError('ERR_INTERNAL', 'a message neither refused nor checked');
        const answer = refusalAnswer(refusal.code);
        this.logRefusal(delivery, message, refusal);
        rows = this.refusal(delivery, message, sender, us, sync, refusal, key, inboxId);
        outcomeText = sync ? `refused → reply ${answer.replyCode} (${answer.appRecCode})` : `refused → apprec 2 ${answer.appRecCode}`;
        status = 'rejected';
        code = refusal.code;
      } else {
        const rel = message.pasientrelasjon;
        const result = await runFunction(em, {
          message,
          receiverHerId: receiverCheck.party.herId,
          patient: patientFacts,
          bookedBy: { representativeId: rel?.personIdent?.id ?? null, relation: rel?.relasjon?.v ?? null },
          appointmentId: derivedId('appointment', key),
          timebooks: this.deps.timebooks,
          receivedAt: now.toISOString(),
        });
        rows = this.answer(delivery, message, sender, us, sync, result, key, inboxId);
        code = result.refusal;
        outcomeText = `${message.functionCode ?? '?'} → ${sync ? '' : 'apprec 1, '}${result.replyCode ? `reply ${result.outcome}` : result.outcome}`;
        status = result.replyCode ? 'answered' : sync ? 'answered' : 'pending';
      }
      await em.getRepository(InboxEntity).update({ id: inboxId }, { outcome: outcomeText.slice(0, 200) });
      await addOutbox(em, rows);
      return { ...this.outcome(status, message, outcomeText, rows.map((r) => r.id)), ...(code ? { code } : {}) };
    });
  }

  /** Our party for a delivery (see ourAddressFor): the queue that received it decides. */
  private ourAddress(delivery: InboundDelivery, message: InboundMessage | null): Promise<Address | null> {
    const addressed = message ? [message.receiver.level2?.herId, message.receiver.level1.herId] : [];
    return ourAddressFor(this.deps.registry, delivery.queue, addressed);
  }

  /** We serve no party the registry knows: nobody to answer as. */
  private noPartyOfOurs(delivery: InboundDelivery, message: InboundMessage): ProcessOutcome {
    this.deps.logger.error({ queue: delivery.queue, messageId: delivery.messageId }, 'no party of ours in the registry: message not answered');
    return this.outcome('dropped', message, 'no party of ours in the registry to answer as', []);
  }

  private logRefusal(delivery: InboundDelivery, message: InboundMessage, r: Refusal): void {
    const rule = ERROR_TABLE[r.code];
    this.deps.logger[rule.level]({ queue: delivery.queue, msgId: message.msgId, code: r.code, appRecCode: rule.appRecCode }, 'message refused');
  }

  /** Negative AppRec (async) or a 26 reply (sync) for a message that fails a check: codes from the table. */
  private refusal(
    delivery: InboundDelivery,
    message: InboundMessage,
    sender: Counterparty,
    us: Address,
    sync: boolean,
    error: Refusal,
    key: string,
    inboxId: string | null,
  ): NewOutboxRow[] {
    const answer = refusalAnswer(error.code);
    if (sync) {
      const result: FunctionResult = { replyCode: answer.replyCode, text: defaultText(answer.replyCode), events: [], outcome: answer.replyCode };
      return [this.replyRow(delivery, message, sender, us, true, result, key, inboxId, 0)];
    }
    return [this.appRecRow(message, sender, us, '2', [{ code: answer.appRecCode, description: error.description }], key, inboxId, 0)];
  }

  /** Positive AppRec (async) and the business reply, when there is one now. */
  private answer(
    delivery: InboundDelivery,
    message: InboundMessage,
    sender: Counterparty,
    us: Address,
    sync: boolean,
    result: FunctionResult,
    key: string,
    inboxId: string,
  ): NewOutboxRow[] {
    const rows: NewOutboxRow[] = [];
    if (!sync) rows.push(this.appRecRow(message, sender, us, '1', [], key, inboxId, rows.length));
    if (result.replyCode) rows.push(this.replyRow(delivery, message, sender, us, sync, result, key, inboxId, rows.length));
    return rows;
  }

  private appRecRow(
    message: InboundMessage,
    sender: Counterparty,
    us: Address,
    status: '1' | '2',
    errors: { code: string; description: string }[],
    key: string,
    inboxId: string | null,
    seq: number,
  ): NewOutboxRow {
    const now = this.deps.clock.now();
    const id = derivedId('apprec', key);
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
    const fromHerId = (us.level2 ?? us.level1).herId;
    return {
      id,
      inboxId,
      kind: 'apprec',
      queue: asyncQueueOf(sender.party, sender.herId),
      toHerId: sender.herId,
      fromHerId,
      process: 'APPREC',
      correlationId: null,
      body,
      properties: {},
      summary: status === '1' ? 'apprec 1' : `apprec 2 ${errors.map((e) => e.code).join(' ')}`,
      createdAt: now.toISOString(),
      seq,
    };
  }

  private replyRow(
    delivery: InboundDelivery,
    message: InboundMessage,
    sender: Counterparty,
    us: Address,
    sync: boolean,
    result: FunctionResult,
    key: string,
    inboxId: string | null,
    seq: number,
  ): NewOutboxRow {
    const now = this.deps.clock.now();
    const code = result.replyCode ?? '26';
    const id = derivedId(sync ? 'sync-reply' : 'reply', key);
    const documents: OutboundDocument[] = [
      { contentDescription: 'Svar', build: (c) => appendNotat(c, code, result.text ?? null) },
    ];
    if (result.events.length > 0) {
      documents.push({ description: 'iCalendar', mimeType: 'application/xml', build: (c) => appendXcal(c, result.events) });
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
      inboxId,
      kind: 'reply',
      queue: sync ? syncReplyQueueOf(delivery.replyTo, sender.herId) : asyncQueueOf(sender.party, sender.herId),
      toHerId: sender.herId,
      fromHerId: (us.level2 ?? us.level1).herId,
      process: message.process,
      correlationId: sync ? (delivery.correlationId ?? delivery.messageId) : null,
      body,
      properties: {},
      summary: `reply ${code}`,
      createdAt: now.toISOString(),
      seq,
    };
  }

  /**
   * A fault a transport found before the pipeline could read the delivery (an invalid spool sidecar, an
   * AMQP property it cannot use): answered as the table says for `err` — a report on the sender's error
   * queue — in the same way as the pipeline's own transport errors.
   */
  async reportFault(delivery: InboundDelivery, err: TimebokError): Promise<ProcessOutcome> {
    if (err.disposition !== 'transport') throw err;
    return this.reportTransportError(delivery, err);
  }

  /** An error-queue report (protocol §2.6) to the sender named by the transport (or the MsgHead). */
  private async reportTransportError(delivery: InboundDelivery, err: TimebokError): Promise<ProcessOutcome> {
    const { db, clock, registry, logger } = this.deps;
    const rule = ERROR_TABLE[err.code];
    const condition = rule.errorCondition ?? 'transport:internal-error';
    const herId = delivery.fromHerId ?? senderFromDetail(err);
    logger[rule.level]({ queue: delivery.queue, messageId: delivery.messageId, code: err.code, condition, fromHerId: herId }, 'transport error');
    if (herId === null) {
      return { status: 'dropped', summary: `${condition}: sender unknown, nothing sent`, outboxIds: [], code: err.code };
    }
    // From the party of ours whose queue received it; `toHerId` only says whom the sender meant.
    const us = await this.ourAddress(delivery, null);
    const party = await registry.getParty(herId);
    const now = clock.now();
    const id = derivedId('error-report', `${delivery.transport}:${delivery.queue}:${delivery.messageId}:${err.code}`);
    const data = err.detail ? JSON.stringify(err.detail) : undefined;
    const properties: Record<string, string> = {
      originalMessageId: delivery.messageId,
      receiverTimeStamp: now.toISOString(),
      errorCondition: condition,
      errorDescription: err.message,
      ...(data ? { errorConditionData: data } : {}),
    };
    const row: NewOutboxRow = {
      id,
      inboxId: null,
      kind: 'error-report',
      queue: errorQueueOf(party, herId),
      toHerId: herId,
      fromHerId: us !== null ? (us.level2 ?? us.level1).herId : herIdOfQueue(delivery.queue),
      process: delivery.subject ?? null,
      correlationId: null,
      body: JSON.stringify(properties, null, 2),
      properties,
      summary: condition,
      createdAt: now.toISOString(),
      seq: 0,
    };
    await db.transaction(async (em) => {
      const seen = await em.getRepository(OutboxEntity).findOne({ where: { id } });
      if (!seen) await addOutbox(em, [row]);
    });
    return { status: 'reported', summary: `${condition} → ${row.queue}`, outboxIds: [id], code: err.code };
  }

  /** An inbound AppRec: recorded against our message; a negative one is logged as a warning. */
  private async recordAppRec(delivery: InboundDelivery, text: string): Promise<ProcessOutcome> {
    const { db, clock, logger, schemas } = this.deps;
    const validation = schemas.validate(text);
    const rec = parseAppRec(text);
    const senderHerId = delivery.fromHerId ?? rec.senderHerId;
    if (senderHerId === null || !rec.id) {
      throw new TimebokError('ERR_ENVELOPE_NOT_WELL_FORMED', 'AppRec without sender or id');
    }
    const contentHash = createHash('sha256').update(text).digest('hex');
    const inboxId = derivedId('inbox', `${senderHerId}:${rec.id}`);
    const outcome = `apprec ${rec.status ?? '?'}${rec.errors.length ? ` ${rec.errors.join(' ')}` : ''} for ${rec.originalMsgId ?? '?'}${validation.valid ? '' : ' (schema-invalid)'}`;
    if (rec.status !== '1') {
      logger.warn({ originalMsgId: rec.originalMsgId, status: rec.status, errors: rec.errors, fromHerId: senderHerId }, 'negative AppRec received');
    }
    return db.transaction(async (em) => {
      const repo = em.getRepository(InboxEntity);
      const seen = await repo.findOne({ where: { id: inboxId } });
      if (seen) {
        await repo.update({ id: inboxId }, { duplicateCount: seen.duplicateCount + 1 });
        return { status: 'duplicate' as const, summary: `duplicate ${outcome}`, msgId: rec.id ?? undefined, process: 'APPREC', outboxIds: [] };
      }
      await repo.insert({
        id: inboxId,
        senderHerId,
        msgId: rec.id as string,
        contentHash,
        receiverHerId: delivery.toHerId ?? herIdOfQueue(delivery.queue),
        process: 'APPREC',
        functionCode: rec.status,
        outcome: outcome.slice(0, 200),
        transport: delivery.transport,
        receivedAt: clock.now().toISOString(),
        duplicateCount: 0,
      });
      return { status: 'recorded' as const, summary: outcome, msgId: rec.id as string, process: 'APPREC', outboxIds: [] };
    });
  }

  private outcome(status: ProcessOutcome['status'], m: InboundMessage, summary: string, outboxIds: string[]): ProcessOutcome {
    return { status, summary, msgId: m.msgId, process: m.process, functionCode: m.functionCode, outboxIds };
  }
}

/** Required AMQP fields (protocol §2.3); the spool and replay have none and are exempt. */
function checkTransportFields(d: InboundDelivery): void {
  if (d.transport !== 'amqp') return;
  const missing: string[] = [];
  if (d.fromHerId === undefined) missing.push('fromHerId');
  if (d.toHerId === undefined) missing.push('toHerId');
  if (!d.subject) missing.push('subject');
  if (!d.applicationTimeStamp) missing.push('applicationTimeStamp');
  if (!d.contentType) missing.push('content-type');
  if (missing.length > 0) {
    throw new TimebokError('ERR_TRANSPORT_FIELD', `required AMQP fields missing: ${missing.join(', ')}`, {
      detail: { missing },
    });
  }
  const media = (d.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (!ACCEPTED_MEDIA_TYPES.has(media)) {
    throw new TimebokError('ERR_TRANSPORT_UNSUPPORTED', 'content-type is not a message Timebok reads (CMS or XML)', {
      detail: { contentType: media.slice(0, 60) },
    });
  }
}

/** AMQP content types of what Timebok reads: CMS (signed and enveloped) or, where allowed, plain XML. */
const ACCEPTED_MEDIA_TYPES = new Set(['application/pkcs7-mime', 'application/xml', 'text/xml']);

function senderFromDetail(err: TimebokError): number | null {
  const v = err.detail?.fromHerId;
  return typeof v === 'number' ? v : null;
}

/** `8142520_async` → 8142520. */
export function herIdOfQueue(queue: string): number | null {
  const m = /^(\d+)_/.exec(queue);
  return m ? Number(m[1]) : null;
}

/** A unique/primary-key violation from PostgreSQL (23505) or SQLite (SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = e?.driverError?.code ?? e?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
