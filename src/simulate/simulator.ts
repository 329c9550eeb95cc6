/**
 * Helsenorge, played against a practice system (protocol §2, §9, §10). It sends protected requests with
 * the §2.3 fields (sync requests to the receiver's sync queue with a reply queue and a correlation-id;
 * async ones to its async queue with our async queue as reply-to), reads its own async, error and
 * sync-reply queues, opens and verifies every answer, files each under the request it answers, answers
 * business messages and Avtale pushes with AppRecs as Helsenorge does, and keeps what nobody asked for
 * (Avtale pushes, strays) for the scenario to look at.
 *
 * It never throws for what the other side does: that is observed, checked and reported.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { parseAppRec } from '../envelope/apprec.parser.js';
import { replyCodeDisplayName, isSyncFunction } from '../envelope/codes.js';
import { parseMsgHead } from '../envelope/msghead.parser.js';
import type { SchemaSet } from '../envelope/schema.validator.js';
import type { InboundMessage, VEvent } from '../envelope/types.js';
import { guardXml } from '../envelope/xml.guard.js';
import { buildAppRec } from '../reply/apprec.builder.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { SimulatorError } from './errors.js';
import { openBody, protectBody, type ProtectionMode, type SimKeys } from './protection.js';
import type { SimRegistry } from './registry.js';
import type { InboundWire, OutboundWire, SimTransport } from './transport/wire.js';

export interface SimulatorOptions {
  registry: SimRegistry;
  /** Null: no CMS (a spool that allows plain XML). */
  keys: SimKeys | null;
  transport: SimTransport;
  /** Helsenorge's communication party (level 2), e.g. 8093248. */
  herId: number;
  /** Where sync replies are wanted (default `<herId>_syncreply`). */
  syncReplyQueue?: string;
  clock?: Clock;
  /** XSDs to check every answer against (null: not checked). */
  schemas?: SchemaSet | null;
  /** Answer business replies and Avtale pushes with AppRecs (default true). */
  sendAppRecs?: boolean;
}

export interface SendRequest {
  xml: string;
  /** Transport overrides for the error scenarios; `omit` drops §2.3 fields. */
  fromHerId?: number;
  toHerId?: number;
  subject?: string;
  omit?: Array<'fromHerId' | 'toHerId' | 'applicationTimeStamp' | 'subject' | 'contentType'>;
  protection?: ProtectionMode;
  /** Send to this queue instead of the receiver's (sync or async by function). */
  queue?: string;
}

export interface Sent {
  messageId: string;
  msgId: string;
  /** MsgInfo/GenDate as sent. */
  genDate: string;
  process: string;
  functionCode: string | null;
  sync: boolean;
  /** HER-id addressed in MsgHead Receiver (level 2, else level 1). */
  receiverHerId: number;
  /**
   * The party that owns the queue the request went to (the addressed party's organisation when it
   * inherits its queues). A refusal may come in its name: the receiver a refused message names is not
   * trusted.
   */
  queueOwnerHerId: number;
  queue: string;
  sentAt: number;
}

/** One answer, opened and read. */
export interface Answer {
  kind: 'reply' | 'apprec' | 'avtale' | 'unreadable';
  receivedAt: number;
  queue: string;
  transportFromHerId: number | null;
  /** MsgHead sender level 2 (or AppRec sender) when readable. */
  senderHerId: number | null;
  msgId: string | null;
  process: string | null;
  /** TemaKodet of a reply, TypeForesp of an Avtale push. */
  code: string | null;
  text: string | null;
  vevents: VEvent[];
  refToParent: string | null;
  /** MsgHead Ack/@V: J asks for an AppRec. */
  ack: string | null;
  correlationId: string | null;
  apprec: { status: string | null; errors: string[]; originalMsgId: string | null } | null;
  /** What is wrong with the answer itself (protection, schema, addressing), in words. */
  problems: string[];
}

export interface ErrorReport {
  receivedAt: number;
  originalMessageId: string | null;
  errorCondition: string | null;
  errorDescription: string | null;
  errorConditionData: string | null;
}

export interface Observation {
  sent: Sent;
  syncReply: Answer | null;
  replies: Answer[];
  apprecs: Answer[];
  errorReports: ErrorReport[];
}

export class HelsenorgeSimulator extends EventEmitter {
  private readonly clock: Clock;
  private readonly byMessageId = new Map<string, Observation>();
  private readonly byMsgId = new Map<string, Observation>();
  private readonly unsolicited: Answer[] = [];
  readonly syncReplyQueue: string;
  private readonly ownQueues: { async: string; error: string };
  private readonly pendingAppRecs = new Set<Promise<void>>();

  constructor(private readonly options: SimulatorOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    const self = options.registry.resolve(options.herId);
    this.ownQueues = { async: self.queues.async, error: self.queues.error };
    this.syncReplyQueue = options.syncReplyQueue ?? `${options.herId}_syncreply`;
  }

  get herId(): number {
    return this.options.herId;
  }

  queues(): string[] {
    return [...new Set([this.syncReplyQueue, this.ownQueues.async, this.ownQueues.error])];
  }

  async start(): Promise<void> {
    await this.options.transport.start(this.queues(), (m) => this.receive(m));
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.pendingAppRecs]);
    await this.options.transport.close();
  }

  /** Messages that answered nothing we sent (Avtale pushes, strays), oldest first; taken by the caller. */
  takeUnsolicited(predicate: (a: Answer) => boolean = () => true): Answer[] {
    const taken = this.unsolicited.filter(predicate);
    for (const a of taken) this.unsolicited.splice(this.unsolicited.indexOf(a), 1);
    return taken;
  }

  observation(sent: Sent): Observation {
    const o = this.byMessageId.get(sent.messageId);
    if (!o) throw new SimulatorError('SIM_TRANSPORT', 'unknown message');
    return o;
  }

  /** Forget a finished exchange (load mode keeps memory flat). */
  forget(sent: Sent): void {
    this.byMessageId.delete(sent.messageId);
    this.byMsgId.delete(sent.msgId);
  }

  /** Protects and sends one request read from `xml`. */
  async send(req: SendRequest): Promise<Sent> {
    const head = readRequestHead(req.xml);
    const receiverHerId = head.receiverHerId;
    const receiver = this.options.registry.resolve(receiverHerId);
    const sync = head.functionCode !== null && isSyncFunction(head.functionCode);
    const queue = req.queue ?? (sync ? receiver.queues.sync : receiver.queues.async);
    const protectedBody = protectBody(req.xml, req.protection ?? (this.options.keys ? 'cms' : 'plain'), this.options.keys, receiver.encryptionCertificatePem, this.clock);
    const messageId = randomUUID();
    const omit = new Set(req.omit ?? []);
    const headers: Record<string, string> = {};
    if (!omit.has('fromHerId')) headers.fromHerId = String(req.fromHerId ?? this.options.herId);
    if (!omit.has('toHerId')) headers.toHerId = String(req.toHerId ?? receiverHerId);
    if (!omit.has('applicationTimeStamp')) headers.applicationTimeStamp = this.clock.now().toISOString();
    const wire: OutboundWire = {
      queue,
      body: protectedBody.body,
      messageId,
      correlationId: messageId,
      replyTo: sync ? this.syncReplyQueue : this.ownQueues.async,
      headers,
      ...(omit.has('subject') ? {} : { subject: req.subject ?? head.process }),
      ...(omit.has('contentType') ? {} : { contentType: protectedBody.contentType }),
      ...(sync ? { ttlMs: 15_000 } : {}),
    };
    const sent: Sent = { messageId, msgId: head.msgId, genDate: head.genDate, process: head.process, functionCode: head.functionCode, sync, receiverHerId, queueOwnerHerId: receiver.queueOwnerHerId, queue, sentAt: Date.now() };
    const observation: Observation = { sent, syncReply: null, replies: [], apprecs: [], errorReports: [] };
    this.byMessageId.set(messageId, observation);
    this.byMsgId.set(head.msgId, observation);
    await this.options.transport.send(wire);
    return sent;
  }

  private receive(m: InboundWire): void {
    try {
      this.dispatch(m);
    } catch (e) {
      this.emit('problem', e instanceof Error ? e.message : String(e));
    }
    this.emit('message');
  }

  private dispatch(m: InboundWire): void {
    const receivedAt = Date.now();
    if (m.isErrorReport || (m.body.length === 0 && m.headers.errorCondition)) {
      const report: ErrorReport = {
        receivedAt,
        originalMessageId: m.headers.originalMessageId ?? null,
        errorCondition: m.headers.errorCondition ?? null,
        errorDescription: m.headers.errorDescription ?? null,
        errorConditionData: m.headers.errorConditionData ?? null,
      };
      const o = report.originalMessageId ? this.byMessageId.get(report.originalMessageId) : undefined;
      if (o) o.errorReports.push(report);
      else this.emit('stray-error-report', report);
      return;
    }
    const answer = this.open(m, receivedAt);
    if (answer.kind === 'apprec') {
      const o = answer.apprec?.originalMsgId ? this.byMsgId.get(answer.apprec.originalMsgId) : undefined;
      if (o) {
        this.checkFrom(answer, o.sent);
        o.apprecs.push(answer);
      } else this.unsolicited.push(answer);
      return;
    }
    if (answer.kind === 'reply' || answer.kind === 'avtale') {
      const bySync = m.correlationId ? this.byMessageId.get(m.correlationId) : undefined;
      const byRef = answer.refToParent ? this.byMsgId.get(answer.refToParent) : undefined;
      const o = bySync && bySync.sent.sync ? bySync : byRef;
      if (o && answer.kind === 'reply') {
        this.checkFrom(answer, o.sent);
        if (o.sent.sync) {
          if (m.correlationId !== o.sent.messageId) answer.problems.push(`the sync reply's correlation-id (${m.correlationId ?? 'none'}) is not the request's message-id`);
          if (m.queue !== this.syncReplyQueue) answer.problems.push(`the sync reply came on ${m.queue}, not on the reply-to queue ${this.syncReplyQueue}`);
          if (o.syncReply === null) o.syncReply = answer;
          else o.replies.push(answer);
        } else o.replies.push(answer);
      } else this.unsolicited.push(answer);
      this.acknowledge(answer);
      return;
    }
    // Unreadable (not decryptable, signer unknown …): a sync reply can still be matched by its correlation-id.
    const bySync = m.correlationId ? this.byMessageId.get(m.correlationId) : undefined;
    if (bySync && bySync.sent.sync && bySync.syncReply === null) bySync.syncReply = answer;
    else this.unsolicited.push(answer);
  }

  /**
   * "Answers come from the party you addressed." A refusal (AppRec 2, reply 26) may also come from the
   * organisation whose queue received the request.
   */
  private checkFrom(answer: Answer, sent: Sent): void {
    const refusal = answer.apprec?.status === '2' || (answer.kind === 'reply' && answer.code === '26');
    if (refusal && answer.senderHerId === sent.queueOwnerHerId) return;
    if (answer.senderHerId !== null && answer.senderHerId !== sent.receiverHerId) {
      answer.problems.push(`the answer comes from HER-id ${answer.senderHerId}, but the request was addressed to ${sent.receiverHerId}`);
    }
  }

  private open(m: InboundWire, receivedAt: number): Answer {
    const problems: string[] = [];
    const fromHeader = m.headers.fromHerId !== undefined && /^\d+$/.test(m.headers.fromHerId) ? Number(m.headers.fromHerId) : null;
    const answer: Answer = {
      kind: 'unreadable', receivedAt, queue: m.queue, transportFromHerId: fromHeader, senderHerId: null, msgId: null, process: null,
      code: null, text: null, vevents: [], refToParent: null, ack: null, correlationId: m.correlationId ?? null, apprec: null, problems,
    };
    const onBus = this.options.transport.kind !== 'spool';
    if (onBus) {
      for (const field of ['fromHerId', 'toHerId', 'applicationTimeStamp'] as const) {
        if (!m.headers[field]) problems.push(`the AMQP application property ${field} is missing`);
      }
      if (!m.subject) problems.push('the AMQP subject (process code) is missing');
      if (!m.contentType) problems.push('the AMQP content-type is missing');
      if (m.headers.toHerId && m.headers.toHerId !== String(this.options.herId)) problems.push(`toHerId is ${m.headers.toHerId}, not the simulator's HER-id ${this.options.herId}`);
    }
    let signingCerts: string[] = [];
    if (fromHeader !== null && this.options.registry.has(fromHeader)) {
      signingCerts = this.options.registry.resolve(fromHeader).signingCertificatePem;
    } else if (this.options.keys !== null) {
      problems.push(fromHeader === null ? 'the answer names no fromHerId, so its signer cannot be looked up in the registry' : `fromHerId ${fromHeader} is not in the registry`);
    }
    const opened = openBody(m.body, this.options.keys, signingCerts, fromHeader);
    if (!opened.ok) {
      problems.push(opened.explanation);
      return answer;
    }
    let xml: string;
    try {
      xml = guardXml(Buffer.from(opened.xml, 'utf8'));
    } catch {
      problems.push('the answer is not well-formed XML (or breaks the size/depth limits)');
      return answer;
    }
    const schemas = this.options.schemas;
    if (schemas) {
      const result = schemas.validate(xml);
      if (!result.valid) problems.push(`the answer is not valid against the schemas: ${result.issues.slice(0, 3).map((i) => `${i.path ?? '?'}: ${i.message}`).join('; ')}`);
    }
    if (/<(\w+:)?AppRec[\s>]/.test(xml.slice(0, 2000))) {
      const rec = parseAppRec(xml);
      answer.kind = 'apprec';
      answer.msgId = rec.id;
      answer.process = 'APPREC';
      answer.senderHerId = rec.senderHerId;
      answer.apprec = { status: rec.status, errors: rec.errors, originalMsgId: rec.originalMsgId };
      if (onBus && m.subject && m.subject !== 'APPREC') problems.push(`the AMQP subject of an AppRec is ${m.subject}, not APPREC`);
    } else {
      let message: InboundMessage;
      try {
        message = parseMsgHead(xml);
      } catch {
        problems.push('the answer is neither a MsgHead nor an AppRec');
        return answer;
      }
      const level = message.sender.level2 ?? message.sender.level1;
      answer.senderHerId = level.herId;
      answer.msgId = message.msgId;
      answer.process = message.process;
      answer.code = message.functionCode;
      answer.text = message.dialogmelding?.tekstNotatInnhold ?? null;
      answer.vevents = message.vevents;
      answer.refToParent = message.conversationRef?.refToParent ?? null;
      answer.kind = message.dialogmelding?.kind === 'Foresporsel' ? 'avtale' : 'reply';
      if (onBus && m.subject && m.subject !== message.processRaw && m.subject !== message.process) problems.push(`the AMQP subject ${m.subject} is not the MsgHead process ${message.processRaw}`);
      const receiverLevel = message.receiver.level2 ?? message.receiver.level1;
      if (receiverLevel.herId !== this.options.herId) problems.push(`the MsgHead receiver is HER-id ${receiverLevel.herId ?? '?'}, not the simulator's ${this.options.herId}`);
      if (answer.kind === 'reply' && message.functionCode && replyCodeDisplayName(message.functionCode) === message.functionCode) {
        problems.push(`reply code ${message.functionCode} is not in code list 7602`);
      }
      answer.ack = message.ack;
    }
    if (fromHeader !== null && answer.senderHerId !== null && fromHeader !== answer.senderHerId) {
      problems.push(`AMQP fromHerId ${fromHeader} differs from the sender in the message (${answer.senderHerId})`);
    }
    return answer;
  }

  /** Helsenorge answers every async business message (Ack J) with an AppRec: 1 when it could read it. */
  private acknowledge(answer: Answer): void {
    if (this.options.sendAppRecs === false) return;
    if (answer.ack !== 'J' || answer.msgId === null || answer.senderHerId === null) return;
    const unreadable = answer.problems.some((p) => /schema|well-formed/.test(p));
    const job = this.sendAppRec(answer.senderHerId, answer.msgId, answer.process ?? '', unreadable ? '2' : '1')
      .catch((e: unknown) => {
        this.emit('problem', `could not send the AppRec: ${e instanceof Error ? e.message : String(e)}`);
      })
      .finally(() => this.pendingAppRecs.delete(job));
    this.pendingAppRecs.add(job);
  }

  private async sendAppRec(toHerId: number, originalMsgId: string, originalProcess: string, status: '1' | '2'): Promise<void> {
    if (!this.options.registry.has(toHerId)) return;
    const them = this.options.registry.resolve(toHerId);
    const self = this.options.registry.resolve(this.options.herId);
    const now = this.clock.now();
    const xml = buildAppRec({
      id: randomUUID(),
      genDate: now,
      sender: self.address,
      receiver: them.address,
      status,
      errors: status === '2' ? [{ code: 'T02', description: 'the message does not validate against the schemas' }] : [],
      original: { msgType: originalProcess, issueDate: now.toISOString(), id: originalMsgId },
    });
    const body = protectBody(xml, this.options.keys ? 'cms' : 'plain', this.options.keys, them.encryptionCertificatePem, this.clock);
    const messageId = randomUUID();
    await this.options.transport.send({
      // The AppRec goes to the sender's async queue as the registry has it (protocol §9).
      queue: them.queues.async,
      body: body.body,
      messageId,
      correlationId: messageId,
      replyTo: this.ownQueues.async,
      subject: 'APPREC',
      contentType: body.contentType,
      headers: { fromHerId: String(this.options.herId), toHerId: String(toHerId), applicationTimeStamp: now.toISOString() },
    });
    this.emit('apprec-sent', { toHerId, originalMsgId, status });
  }
}

/** What the simulator must know of a request before sending it. @throws SimulatorError SIM_TEMPLATE */
export function readRequestHead(xml: string): { msgId: string; genDate: string; process: string; functionCode: string | null; receiverHerId: number } {
  let message: InboundMessage;
  try {
    message = parseMsgHead(guardXml(Buffer.from(xml, 'utf8')));
  } catch (e) {
    throw new SimulatorError('SIM_TEMPLATE', `the request is not a readable MsgHead (${e instanceof Error ? e.message : String(e)})`);
  }
  const receiver = message.receiver.level2 ?? message.receiver.level1;
  if (!message.msgId) throw new SimulatorError('SIM_TEMPLATE', 'the request has no MsgId');
  if (receiver.herId === null) throw new SimulatorError('SIM_TEMPLATE', 'the request names no receiver HER-id');
  return { msgId: message.msgId, genDate: message.genDate, process: message.processRaw, functionCode: message.functionCode, receiverHerId: receiver.herId };
}
