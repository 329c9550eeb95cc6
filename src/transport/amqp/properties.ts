/**
 * The AMQP message profile (protocol §2.3) on RabbitMQ's AMQP 0.9.1: which field of an outbox row goes
 * into which AMQP property or header, and how a delivery becomes the pipeline's InboundDelivery.
 * Pure functions; docs/amqp.md has the same mapping as a table.
 */
import { createHash } from 'node:crypto';
import type { OutboxRow } from '../../inbox/message.entities.js';
import type { InboundDelivery } from '../../pipeline/types.js';

/** What amqplib needs to publish one message (a subset of its Options.Publish). */
export interface PublishProperties {
  messageId: string;
  correlationId?: string;
  replyTo?: string;
  contentType?: string;
  /** The process code (AMQP 1.0 `subject`). */
  type?: string;
  /** Per-message TTL in ms, as a string (sync replies only). */
  expiration?: string;
  persistent: true;
  /** Seconds since the epoch. */
  timestamp: number;
  headers: Record<string, string>;
}

/** Error-queue headers of protocol §2.6, copied from an error-report row's `properties`. */
export const ERROR_HEADERS = ['originalMessageId', 'receiverTimeStamp', 'errorCondition', 'errorDescription', 'errorConditionData'] as const;

export interface PublishContext {
  /** Content type of the encoded body; null for an error report (no body). */
  contentType: string | null;
  /** Our own async queue (reply-to of everything we send). */
  replyTo: string | null;
  now: Date;
  syncReplyTtlMs: number;
}

/** A row is a sync reply when the pipeline gave it the request's correlation id (only sync replies have one). */
export function isSyncReply(row: OutboxRow): boolean {
  return row.kind === 'reply' && row.correlationId !== null;
}

/**
 * AMQP properties and headers for one outbox row. The AMQP `message-id` is the row id: a UUID v5 fixed
 * when the row was written, so a re-publish after a crash carries the same message-id (the receiver's
 * duplicate check sees it), and an error report from the receiver names the row directly.
 */
export function toPublishProperties(row: OutboxRow, ctx: PublishContext): PublishProperties {
  const headers: Record<string, string> = {};
  if (row.fromHerId !== null) headers.fromHerId = String(row.fromHerId);
  if (row.toHerId !== null) headers.toHerId = String(row.toHerId);
  headers.applicationTimeStamp = ctx.now.toISOString();
  const cpaId = row.properties?.cpaId;
  if (typeof cpaId === 'string' && cpaId.length > 0) headers.cpaId = cpaId;
  if (row.kind === 'error-report') {
    for (const key of ERROR_HEADERS) {
      const v = row.properties?.[key];
      if (typeof v === 'string') headers[key] = v;
    }
  }
  const sync = isSyncReply(row);
  return {
    messageId: row.id,
    // Required on every message (§2.3): sync replies carry the request's; others their own message-id,
    // as Helsenorge.Messaging does when none is given.
    correlationId: row.correlationId ?? row.id,
    ...(ctx.replyTo ? { replyTo: ctx.replyTo } : {}),
    ...(ctx.contentType ? { contentType: ctx.contentType } : {}),
    ...(row.process ? { type: row.process } : {}),
    ...(sync ? { expiration: String(ctx.syncReplyTtlMs) } : {}),
    persistent: true,
    timestamp: Math.floor(ctx.now.getTime() / 1000),
    headers,
  };
}

/** The parts of an amqplib message the mapping reads (ConsumeMessage / GetMessage). */
export interface AmqpMessageLike {
  content: Buffer;
  properties: {
    messageId?: unknown;
    correlationId?: unknown;
    replyTo?: unknown;
    contentType?: unknown;
    type?: unknown;
    headers?: Record<string, unknown> | undefined;
  };
}

/** A header or property value as text: strings as they are, Buffers (AMQP longstr/bytes) as UTF-8, numbers as digits. */
export function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * A HER-id from a header: a positive integer, sent as a string (Helsenorge.Messaging) or a number.
 * Anything else (empty, `12a`, `-5`, `1.5`) is undefined, i.e. "missing or invalid".
 */
export function parseHerIdHeader(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  const text = headerText(value)?.trim();
  if (!text || !/^\d{1,15}$/.test(text)) return undefined;
  const n = Number(text);
  return n > 0 ? n : undefined;
}

function nonEmpty(value: unknown): string | undefined {
  const t = headerText(value);
  return t !== undefined && t.length > 0 ? t : undefined;
}

/**
 * The pipeline's view of one delivery. Nothing is judged here: a missing or invalid required field is
 * left out, and the pipeline's transport check answers `transport:invalid-field-value`. A delivery with
 * no message-id gets a stable stand-in derived from its body, so a redelivery is recognisable.
 */
export function toInboundDelivery(queue: string, msg: AmqpMessageLike): InboundDelivery {
  const p = msg.properties;
  const h = p.headers ?? {};
  const messageId = nonEmpty(p.messageId) ?? `no-message-id:${createHash('sha256').update(msg.content).digest('hex').slice(0, 32)}`;
  const fromHerId = parseHerIdHeader(h.fromHerId);
  const toHerId = parseHerIdHeader(h.toHerId);
  const correlationId = nonEmpty(p.correlationId);
  const replyTo = nonEmpty(p.replyTo);
  const contentType = nonEmpty(p.contentType);
  // AMQP 1.0 `subject` arrives in `type` (0.9.1 senders) or, through some bridges, as a `subject` header.
  const subject = nonEmpty(p.type) ?? nonEmpty(h.subject);
  const applicationTimeStamp = nonEmpty(h.applicationTimeStamp);
  const cpaId = nonEmpty(h.cpaId);
  return {
    transport: 'amqp',
    queue,
    body: msg.content,
    messageId,
    ...(correlationId !== undefined ? { correlationId } : {}),
    ...(replyTo !== undefined ? { replyTo } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
    ...(subject !== undefined ? { subject } : {}),
    ...(fromHerId !== undefined ? { fromHerId } : {}),
    ...(toHerId !== undefined ? { toHerId } : {}),
    ...(applicationTimeStamp !== undefined ? { applicationTimeStamp } : {}),
    ...(cpaId !== undefined ? { cpaId } : {}),
  };
}

/** An error-queue message (§2.6) as we record it: the headers only, never a body. */
export interface ErrorReport {
  messageId: string | undefined;
  originalMessageId: string | undefined;
  errorCondition: string | undefined;
  errorDescription: string | undefined;
  errorConditionData: string | undefined;
  receiverTimeStamp: string | undefined;
  fromHerId: number | undefined;
}

export function toErrorReport(msg: AmqpMessageLike): ErrorReport {
  const h = msg.properties.headers ?? {};
  return {
    messageId: nonEmpty(msg.properties.messageId),
    originalMessageId: nonEmpty(h.originalMessageId),
    errorCondition: nonEmpty(h.errorCondition),
    errorDescription: nonEmpty(h.errorDescription),
    errorConditionData: nonEmpty(h.errorConditionData),
    receiverTimeStamp: nonEmpty(h.receiverTimeStamp),
    fromHerId: parseHerIdHeader(h.fromHerId),
  };
}
