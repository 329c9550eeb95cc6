/**
 * What the simulator puts on and takes off a transport: the protocol §2.3 fields, whatever the carrier
 * (AMQP 1.0, AMQP 0.9.1 or spool files). `headers` are the application properties, as strings.
 */
export interface OutboundWire {
  /** The target queue's name (AMQP `to`). */
  queue: string;
  body: Buffer;
  messageId: string;
  correlationId?: string;
  replyTo?: string;
  subject?: string;
  contentType?: string;
  /** fromHerId, toHerId, applicationTimeStamp; originalMessageId, errorCondition … on error reports. */
  headers: Record<string, string>;
  /** Expiry in ms (sync requests: 15 s, protocol §2.2). */
  ttlMs?: number;
}

export interface InboundWire {
  queue: string;
  body: Buffer;
  messageId?: string;
  correlationId?: string;
  replyTo?: string;
  subject?: string;
  contentType?: string;
  headers: Record<string, string>;
  /** Error reports arrive without a body; on the spool they are JSON files of their properties. */
  isErrorReport: boolean;
}

export interface SimTransport {
  /** `amqp10`, `amqp091` or `spool`, for reports. */
  readonly kind: string;
  /** Starts reading `queues`; every message read is handed to `onMessage` (and removed from the queue). */
  start(queues: string[], onMessage: (m: InboundWire) => void): Promise<void>;
  send(m: OutboundWire): Promise<void>;
  close(): Promise<void>;
}
