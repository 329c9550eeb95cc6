/**
 * The message profile of protocol §2.3 in AMQP 1.0 terms (docs/amqp.md has the table): which field of
 * an outbox row goes into which AMQP 1.0 property or application property, and how a received AMQP 1.0
 * message becomes the pipeline's InboundDelivery. The values are those of the 0.9.1 mapping
 * (../amqp/properties.ts), so both protocols say the same; only the container differs. Pure functions.
 */
import type { OutboxRow } from '../../inbox/message.entities.js';
import type { InboundDelivery } from '../../pipeline/types.js';
import { toErrorReport, toInboundDelivery, toPublishProperties, type ErrorReport, type PublishContext } from '../amqp/properties.js';
import { queueOfAddress } from './address.js';

/** AMQP 1.0 data section type code (rhea's Section.typecode). */
const DATA_SECTION = 0x75;

/** An AMQP 1.0 message as rhea sends and receives it (the fields we use). */
export interface Amqp10Message {
  message_id?: unknown;
  to?: unknown;
  subject?: unknown;
  reply_to?: unknown;
  correlation_id?: unknown;
  content_type?: unknown;
  /** header: time to live in ms */
  ttl?: number;
  /** header: durable */
  durable?: boolean;
  application_properties?: Record<string, unknown>;
  /** one data section ({ typecode: 0x75, content }), several, or an amqp-value */
  body?: unknown;
}

/**
 * The AMQP 1.0 message for one outbox row: `message-id` the row id, `to` the target queue, `subject`
 * the process code, `reply-to` our async queue, `correlation-id` (the request's on sync replies), the
 * content type, a TTL on sync replies only, durable; application properties as strings; the body one
 * data section (empty for an error report, which has headers only). `dataSection` wraps the bytes in
 * the library's section type (rhea.message.data_section), so this module stays free of the library.
 */
export function toAmqp10Message(row: OutboxRow, body: Uint8Array, ctx: PublishContext, dataSection: (b: Buffer) => unknown): Amqp10Message {
  const p = toPublishProperties(row, ctx);
  return {
    message_id: p.messageId,
    to: row.queue,
    ...(p.type !== undefined ? { subject: p.type } : {}),
    ...(p.replyTo !== undefined ? { reply_to: p.replyTo } : {}),
    ...(p.correlationId !== undefined ? { correlation_id: p.correlationId } : {}),
    ...(p.contentType !== undefined ? { content_type: p.contentType } : {}),
    ...(p.expiration !== undefined ? { ttl: Number(p.expiration) } : {}),
    durable: true,
    application_properties: { ...p.headers },
    body: dataSection(Buffer.from(body)),
  };
}

/** An AMQP 1.0 message-id or correlation-id as text: string, ulong, uuid (16 bytes) or binary. */
export function amqp10IdText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) {
    if (value.length === 16) {
      const h = value.toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    return value.length > 0 ? value.toString('utf8') : undefined;
  }
  return undefined;
}

function isSection(v: unknown): v is { typecode: number; content: unknown } {
  return typeof v === 'object' && v !== null && 'typecode' in v && 'content' in v;
}

/**
 * The body bytes: the data section(s) (several are joined, as the spec allows), or an amqp-value that
 * holds binary. An amqp-value with text or anything else is not the §2.3 layout: undefined (the caller
 * passes an empty body on, and the pipeline reports the message as unreadable).
 */
export function bodyBytes(body: unknown): Buffer | undefined {
  if (Buffer.isBuffer(body)) return body;
  if (isSection(body)) {
    if (body.typecode === DATA_SECTION && Buffer.isBuffer(body.content)) return body.content;
    return undefined;
  }
  if (Array.isArray(body) && body.length > 0 && body.every((s) => isSection(s) && s.typecode === DATA_SECTION && Buffer.isBuffer(s.content))) {
    return Buffer.concat(body.map((s) => (s as { content: Buffer }).content));
  }
  return undefined;
}

function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Application properties as the shared rules read them; an AMQP timestamp (a Date) as ISO 8601 text. */
function appProperties(props: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props ?? {})) out[k] = v instanceof Date ? v.toISOString() : v;
  return out;
}

/** The 0.9.1-shaped view the shared field rules read (../amqp/properties.ts). */
function asShared(msg: Amqp10Message): { content: Buffer; properties: { messageId?: unknown; correlationId?: unknown; replyTo?: unknown; contentType?: unknown; type?: unknown; headers: Record<string, unknown> } } {
  const replyTo = textOf(msg.reply_to);
  const messageId = amqp10IdText(msg.message_id);
  const correlationId = amqp10IdText(msg.correlation_id);
  const contentType = textOf(msg.content_type);
  const subject = textOf(msg.subject);
  return {
    content: bodyBytes(msg.body) ?? Buffer.alloc(0),
    properties: {
      ...(messageId !== undefined ? { messageId } : {}),
      ...(correlationId !== undefined ? { correlationId } : {}),
      // A peer may give a full address (`/amq/queue/x`, `host/bus/x`): replies go to the queue it names.
      ...(replyTo !== undefined ? { replyTo: queueOfAddress(replyTo) } : {}),
      ...(contentType !== undefined ? { contentType } : {}),
      ...(subject !== undefined ? { type: subject } : {}),
      headers: appProperties(msg.application_properties),
    },
  };
}

/**
 * The pipeline's view of one AMQP 1.0 message read from `queue`. Nothing is judged here: HER-ids come
 * as strings (Helsenorge.Messaging) or integers, anything else counts as missing, and the pipeline's
 * transport check answers a missing or invalid required field with `transport:invalid-field-value`.
 */
export function fromAmqp10Message(queue: string, msg: Amqp10Message): InboundDelivery {
  return toInboundDelivery(queue, asShared(msg));
}

/** An error-queue message (§2.6), application properties only. */
export function errorReportFrom10(msg: Amqp10Message): ErrorReport {
  return toErrorReport(asShared(msg));
}
