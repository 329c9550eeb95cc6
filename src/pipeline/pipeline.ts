import type { Database } from '../db/database.js';
import type { InboundMessage, SchemaValidationResult, XmlLimits } from '../envelope/types.js';
import { guardXml } from '../envelope/xml.guard.js';
import { parseMsgHead } from '../envelope/msghead.parser.js';
import { checkPersonId } from '../envelope/person-id.js';
import { rootLocalName } from '../envelope/xml.read.js';
import type { Party, ReceiverCheck } from '../registry/types.js';
import type { TimebookOperations } from '../timebook/types.js';
import { addressFromRegistry, ourAddressFor, type Address } from '../reply/addressing.js';
import { answerRows, errorReportRow, refusalRows, type Counterparty, type RowContext } from '../reply/outbound.rows.js';
import { claimInbox } from '../inbox/inbox.store.js';
import { contentHashOf, herIdOfQueue, recordAppRec, replayDuplicate } from '../inbox/inbox.stage.js';
import type { SqlTx } from '../db/sql.js';
import { addOrRequeueOutbox, addOutboxIfAbsent, addOutboxWithOutcome, type NewOutboxRow } from '../outbox/outbox.store.js';
import { ERROR_TABLE, TimebokError, describeError, isTimebokError, refusal, refusalAnswer, type Refusal } from '../shared/errors.js';
import type { Clock } from '../shared/clock.js';
import { derivedId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import { level2HerId } from '../reply/queues.js';
import { isSyncRequest, runFunction } from './functions.js';
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

export { herIdOfQueue } from '../inbox/inbox.stage.js';

/**
 * The receive pipeline for one delivery, the order of the stages and nothing else (docs/pipeline.md):
 * transport fields → unprotect → envelope (guard, parse; inbound AppRecs go to the inbox stage) → sender
 * and spoofing → schema → receiver → patient, worked out in memory → one transaction: the inbox claim
 * (a taken key answers as a duplicate: inbox stage), the function (timebook), the outgoing rows
 * (reply/outbound.rows.ts) and the outcome. Known faults are answered; unknown ones are thrown (the
 * transport then retries / dead-letters).
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

    // The body limit before anything reads it, CMS included (its overhead: signature, certificates).
    if (delivery.body.byteLength > settings.limits.maxBytes + CMS_OVERHEAD_BYTES) {
      throw new TimebokError('ERR_ENVELOPE_TOO_LARGE', `body is ${delivery.body.byteLength} bytes, over the limit`, {
        detail: { bytes: delivery.body.byteLength, maxBytes: settings.limits.maxBytes },
      });
    }
    const claimedSender = delivery.fromHerId ?? null;
    const claimedParty = claimedSender !== null ? await registry.getParty(claimedSender) : null;
    const plain = await this.deps.unprotector.unprotect(delivery, claimedParty);
    const text = guardXml(plain, settings.limits);

    if (rootLocalName(text) === 'AppRec') {
      const { db, clock, logger, schemas } = this.deps;
      return recordAppRec({ db, clock, logger, validate: (xml) => schemas.validate(xml) }, delivery, text);
    }
    const message = parseMsgHead(text, settings.limits);
    // A level 2 without HER-id names no communication party: level 1 does not stand in for it.
    const senderHerId = message.sender.level2 && message.sender.level2.herId === null ? null : level2HerId(message.sender);
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
    const contentHash = contentHashOf(text);
    const key = `${sender.herId}:${message.msgId}`;
    const sync = isSyncRequest(message);

    if (message.msgId.trim() === '') return this.refuseWithoutMsgId(delivery, message, sender, contentHash, sync);

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
    return this.processOnce(delivery, message, sender, us, sync, { refusal: refused, patientFacts, receiverCheck, receiverHerId, contentHash, key, inboxId });
  }

  /**
   * Duplicate (docs/decisions.md §20): the stored answer again, byte for byte; the same MsgId
   * with other content: refused as the error table says (E10). Runs in the transaction whose inbox
   * claim found the key taken.
   */
  private async answerDuplicate(tx: SqlTx, delivery: InboundDelivery, c: RowContext, contentHash: string): Promise<ProcessOutcome> {
    const { message, sender } = c;
    const seen = await replayDuplicate(tx, { senderHerId: sender.herId, msgId: message.msgId, contentHash });
    if ('resent' in seen) {
      return this.outcome('duplicate', message, `duplicate of an earlier message: ${seen.resent.length} stored message(s) re-sent`, seen.resent);
    }
    const us = await this.ourAddress(delivery, message);
    if (us === null) return this.noPartyOfOurs(delivery, message);
    const conflict = refusal('ERR_INBOX_MSGID_REUSED', 'MsgId already used for another message');
    this.logRefusal(delivery, message, conflict);
    const rows = refusalRows({ ...c, us, key: `conflict:${sender.herId}:${message.msgId}:${contentHash}`, inboxId: null }, conflict);
    await addOrRequeueOutbox(tx, rows);
    return { ...this.outcome('rejected', message, `MsgId reused with other content → ${refusalAnswer(conflict.code).appRecCode}`, rows.map((r) => r.id)), code: conflict.code };
  }

  /**
   * The one transaction of a message: the inbox claim first (one INSERT … ON CONFLICT DO NOTHING; a
   * concurrent copy waits on its key and then finds it taken), then either the duplicate's stored answer
   * or the function, the outgoing rows and the outcome.
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
    // Group commit (docs/decisions.md §42): this may share its transaction with other messages; it only
    // reads and writes through `tx`, so it can run again alone if its group rolls back. The slot it
    // names orders the locks of its group.
    const event = message.vevents[0];
    const lockOrder = (event?.uid ?? event?.relatedTo ?? '').trim();
    return db.runGrouped(async (tx) => {
      const claimed = await claimInbox(tx, {
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
      const rowContext: RowContext = { route: delivery, message, sender, us, sync, key, inboxId, now };
      if (!claimed) return this.answerDuplicate(tx, delivery, rowContext, contentHash);
      let rows: NewOutboxRow[];
      let outcomeText: string;
      let status: ProcessOutcome['status'];
      let code: ProcessOutcome['code'];
      if (refusal || !patientFacts || !receiverCheck?.ok) {
        if (!refusal) throw new TimebokError('ERR_INTERNAL', 'a message neither refused nor checked');
        const answer = refusalAnswer(refusal.code);
        this.logRefusal(delivery, message, refusal);
        rows = refusalRows(rowContext, refusal);
        outcomeText = sync ? `refused → reply ${answer.replyCode} (${answer.appRecCode})` : `refused → apprec 2 ${answer.appRecCode}`;
        status = 'rejected';
        code = refusal.code;
      } else {
        const rel = message.pasientrelasjon;
        const result = await runFunction(tx, {
          message,
          receiverHerId: receiverCheck.party.herId,
          patient: patientFacts,
          bookedBy: { representativeId: rel?.personIdent?.id ?? null, relation: rel?.relasjon?.v ?? null },
          appointmentId: derivedId('appointment', key),
          timebooks: this.deps.timebooks,
          receivedAt: now.toISOString(),
        });
        rows = answerRows(rowContext, result);
        code = result.refusal;
        outcomeText = `${message.functionCode ?? '?'} → ${sync ? '' : 'apprec 1, '}${result.replyCode ? `reply ${result.outcome}` : result.outcome}`;
        status = result.replyCode ? 'answered' : sync ? 'answered' : 'pending';
      }
      await addOutboxWithOutcome(tx, { id: inboxId, outcome: outcomeText }, rows);
      return { ...this.outcome(status, message, outcomeText, rows.map((r) => r.id)), ...(code ? { code } : {}) };
    }, lockOrder);
  }

  /**
   * A message without MsgId (missing, empty, blank) cannot be told apart from the next one: it is
   * refused T02 without an inbox row (keyed by its content instead), so that two different messages
   * without MsgId never meet as "duplicates" and nothing is booked.
   */
  private async refuseWithoutMsgId(delivery: InboundDelivery, message: InboundMessage, sender: Counterparty, contentHash: string, sync: boolean): Promise<ProcessOutcome> {
    const us = await this.ourAddress(delivery, message);
    if (us === null) return this.noPartyOfOurs(delivery, message);
    const refused = refusal('ERR_ENVELOPE_SCHEMA', 'MsgInfo/MsgId: missing or empty');
    this.logRefusal(delivery, message, refused);
    const key = `no-msgid:${sender.herId}:${contentHash}`;
    const rows = refusalRows({ route: delivery, message, sender, us, sync, key, inboxId: null, now: this.deps.clock.now() }, refused);
    await this.deps.db.run((tx) => addOrRequeueOutbox(tx, rows));
    return { ...this.outcome('rejected', message, `refused → ${sync ? 'reply 26' : 'apprec 2 T02'} (no MsgId)`, rows.map((r) => r.id)), code: refused.code };
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
    const row: NewOutboxRow = errorReportRow({
      id: derivedId('error-report', `${delivery.transport}:${delivery.queue}:${delivery.messageId}:${err.code}`),
      originalMessageId: delivery.messageId,
      condition,
      description: err.message,
      ...(err.detail ? { detail: err.detail } : {}),
      toHerId: herId,
      toParty: party,
      fromHerId: us !== null ? (us.level2 ?? us.level1).herId : herIdOfQueue(delivery.queue),
      process: delivery.subject ?? null,
      now: clock.now(),
    });
    await db.run((tx) => addOutboxIfAbsent(tx, [row]));
    return { status: 'reported', summary: `${condition} → ${row.queue}`, outboxIds: [row.id], code: err.code };
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
  const long = (['correlationId', 'replyTo', 'messageId'] as const).filter((k) => (d[k]?.length ?? 0) > 200);
  if (long.length > 0) {
    throw new TimebokError('ERR_TRANSPORT_FIELD', `AMQP fields longer than 200 characters: ${long.join(', ')}`, { detail: { long } });
  }
  const media = (d.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (!ACCEPTED_MEDIA_TYPES.has(media)) {
    throw new TimebokError('ERR_TRANSPORT_UNSUPPORTED', 'content-type is not a message Timebok reads (CMS or XML)', {
      detail: { contentType: media.slice(0, 60) },
    });
  }
}

/** What CMS protection may add to a body of `MAX_BODY_BYTES` (signature, certificates, padding). */
const CMS_OVERHEAD_BYTES = 64 * 1024;

/** AMQP content types of what Timebok reads: CMS (signed and enveloped) or, where allowed, plain XML. */
const ACCEPTED_MEDIA_TYPES = new Set(['application/pkcs7-mime', 'application/xml', 'text/xml']);

function senderFromDetail(err: TimebokError): number | null {
  const v = err.detail?.fromHerId;
  return typeof v === 'number' ? v : null;
}
