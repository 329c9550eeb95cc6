/**
 * The simulator on RabbitMQ over AMQP 0.9.1 (amqplib), with Timebok's mapping of the protocol fields
 * (docs/amqp.md "Message mapping"): the process code in `type`, the queue as routing key on the default
 * exchange, the application properties as string headers.
 *
 * The simulator is Helsenorge: it reads its own async, error and sync-reply queues and creates them
 * (durable) when they do not exist yet, as NHN would have. It never declares the practice's queues: a
 * missing one is reported as such.
 */
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { SimulatorError } from '../errors.js';
import type { InboundWire, OutboundWire, SimTransport } from './wire.js';

export class Amqp091Transport implements SimTransport {
  readonly kind = 'amqp091';
  private connection: ChannelModel | null = null;
  private publishChannel: ConfirmChannel | null = null;
  private consumeChannel: Channel | null = null;
  private readonly known = new Set<string>();

  constructor(private readonly url: string) {}

  private async connect(): Promise<ChannelModel> {
    if (this.connection) return this.connection;
    try {
      this.connection = await amqp.connect(this.url, { timeout: 10_000 });
    } catch (e) {
      throw new SimulatorError('SIM_TRANSPORT', `cannot connect to the broker (${e instanceof Error ? e.message : String(e)})`, { cause: e });
    }
    this.connection.on('error', () => undefined);
    return this.connection;
  }

  /** True when the queue exists (checked on a throw-away channel: a 404 closes the channel). */
  private async exists(queue: string): Promise<boolean> {
    if (this.known.has(queue)) return true;
    const connection = await this.connect();
    const ch = await connection.createChannel();
    ch.on('error', () => undefined);
    try {
      await ch.checkQueue(queue);
      this.known.add(queue);
      return true;
    } catch {
      return false;
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  async start(queues: string[], onMessage: (m: InboundWire) => void): Promise<void> {
    const connection = await this.connect();
    for (const q of queues) {
      if (!(await this.exists(q))) {
        const ch = await connection.createChannel();
        await ch.assertQueue(q, { durable: true });
        await ch.close();
        this.known.add(q);
      }
    }
    const ch = await connection.createChannel();
    await ch.prefetch(200);
    this.consumeChannel = ch;
    for (const q of queues) {
      await ch.consume(q, (msg: ConsumeMessage | null) => {
        if (!msg) return;
        ch.ack(msg);
        onMessage(toInbound(q, msg));
      });
    }
  }

  async send(m: OutboundWire): Promise<void> {
    const connection = await this.connect();
    if (!(await this.exists(m.queue))) throw new SimulatorError('SIM_TRANSPORT', `queue ${m.queue} does not exist on the broker`);
    this.publishChannel ??= await connection.createConfirmChannel();
    const ch = this.publishChannel;
    await new Promise<void>((resolve, reject) => {
      ch.publish('', m.queue, m.body, {
        messageId: m.messageId,
        ...(m.correlationId ? { correlationId: m.correlationId } : {}),
        ...(m.replyTo ? { replyTo: m.replyTo } : {}),
        ...(m.subject ? { type: m.subject } : {}),
        ...(m.contentType ? { contentType: m.contentType } : {}),
        ...(m.ttlMs ? { expiration: String(m.ttlMs) } : {}),
        headers: m.headers,
        persistent: true,
        timestamp: Math.floor(Date.now() / 1000),
      }, (err: unknown) => (err ? reject(new SimulatorError('SIM_TRANSPORT', `broker refused message to ${m.queue}`)) : resolve()));
    });
  }

  async close(): Promise<void> {
    await this.consumeChannel?.close().catch(() => undefined);
    await this.publishChannel?.close().catch(() => undefined);
    await this.connection?.close().catch(() => undefined);
    this.connection = null;
  }
}

function toInbound(queue: string, msg: ConsumeMessage): InboundWire {
  const p = msg.properties;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.headers ?? {})) {
    if (v === undefined || v === null) continue;
    headers[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  const subject = (p.type as string | undefined) ?? headers.subject;
  return {
    queue,
    body: msg.content,
    ...(p.messageId ? { messageId: String(p.messageId) } : {}),
    ...(p.correlationId ? { correlationId: String(p.correlationId) } : {}),
    ...(p.replyTo ? { replyTo: String(p.replyTo) } : {}),
    ...(subject ? { subject } : {}),
    ...(p.contentType ? { contentType: String(p.contentType) } : {}),
    headers,
    isErrorReport: msg.content.length === 0 && headers.errorCondition !== undefined,
  };
}
