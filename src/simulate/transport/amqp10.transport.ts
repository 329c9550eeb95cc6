/**
 * The simulator's own AMQP 1.0 client (rhea), in the dialect NHN's bus speaks (protocol §2.3a): RabbitMQ
 * with its AMQP 1.0 plugin. The URL path names the exchange (`amqps://user:pass@host:5671/NHNTESTServiceBus`);
 * senders attach to `/exchange/<exchange>/<queue>`, or without an exchange to `/amq/queue/<queue>` (the
 * default exchange, queue not declared); receivers attach to `/amq/queue/<queue>`. Both patterns can be
 * changed in the settings for other brokers. Properties and application properties are those of §2.3;
 * the body is one binary data section. Incoming messages are accepted once handed over.
 *
 * Independent of Timebok's transport: the simulator is the other party, and must not share its bugs.
 */
import rhea, { type Connection, type Delivery, type EventContext, type Message, type Receiver, type Sender } from 'rhea';
import { SimulatorError } from '../errors.js';
import type { InboundWire, OutboundWire, SimTransport } from './wire.js';

export interface Amqp10Options {
  url: string;
  /** `{exchange}` and `{queue}` are replaced. Default: `/exchange/{exchange}/{queue}` with an exchange, else `/amq/queue/{queue}`. */
  sendAddress?: string;
  /** Default `/amq/queue/{queue}`. */
  receiveAddress?: string;
  /** Seconds to wait for the connection and each link (default 10). */
  timeoutSeconds?: number;
}

interface Pending {
  resolve: () => void;
  reject: (e: Error) => void;
}

export class Amqp10Transport implements SimTransport {
  readonly kind = 'amqp10';
  private connection: Connection | null = null;
  private readonly senders = new Map<string, Promise<Sender>>();
  private readonly receivers: Receiver[] = [];
  private readonly pending = new Map<Delivery, Pending>();
  private readonly exchange: string | null;
  private readonly connectOptions: rhea.ConnectionOptions;

  constructor(private readonly options: Amqp10Options) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new SimulatorError('SIM_SETTINGS', 'the AMQP 1.0 URL is not a URL (amqp://user:pass@host:5672/exchange)');
    }
    if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') throw new SimulatorError('SIM_SETTINGS', 'the AMQP 1.0 URL must start with amqp:// or amqps://');
    const path = decodeURIComponent(url.pathname.replace(/^\//, ''));
    this.exchange = path.length > 0 ? path : null;
    const tls = url.protocol === 'amqps:';
    const base = {
      host: url.hostname,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : tls ? 5671 : 5672,
      ...(url.username ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : {}),
      reconnect: false,
      container_id: `timebok-simulate-${process.pid}`,
    };
    this.connectOptions = tls ? { ...base, transport: 'tls' } : base;
  }

  private timeoutMs(): number {
    return (this.options.timeoutSeconds ?? 10) * 1000;
  }

  private address(pattern: string | undefined, fallback: string, queue: string): string {
    return (pattern ?? fallback).replace('{exchange}', this.exchange ?? '').replace('{queue}', queue);
  }

  sendAddressOf(queue: string): string {
    return this.address(this.options.sendAddress, this.exchange ? '/exchange/{exchange}/{queue}' : '/amq/queue/{queue}', queue);
  }

  receiveAddressOf(queue: string): string {
    return this.address(this.options.receiveAddress, '/amq/queue/{queue}', queue);
  }

  private async connect(): Promise<Connection> {
    if (this.connection) return this.connection;
    const container = rhea.create_container();
    const connection = container.connect(this.connectOptions);
    connection.on('error', () => undefined);
    connection.on('connection_error', () => undefined);
    connection.on('disconnected', () => undefined);
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        connection.once('connection_open', () => resolve());
        connection.once('connection_error', (ctx: EventContext) => reject(new SimulatorError('SIM_TRANSPORT', `AMQP 1.0 connection refused: ${errorText(ctx)}`)));
        connection.once('disconnected', (ctx: EventContext) => reject(new SimulatorError('SIM_TRANSPORT', `cannot connect over AMQP 1.0: ${errorText(ctx)}`)));
      }),
      this.timeoutMs(),
      'AMQP 1.0 connection',
    );
    // Outcomes of our transfers
    const settle = (ok: boolean, outcome: string) => (ctx: EventContext) => {
      const d = ctx.delivery;
      const p = d ? this.pending.get(d) : undefined;
      if (!d || !p) return;
      this.pending.delete(d);
      if (ok) p.resolve();
      else p.reject(new SimulatorError('SIM_TRANSPORT', `the broker ${outcome} the message (${errorText(ctx)})`));
    };
    connection.on('accepted', settle(true, 'accepted'));
    connection.on('rejected', settle(false, 'rejected'));
    connection.on('released', settle(false, 'released'));
    this.connection = connection;
    return connection;
  }

  async start(queues: string[], onMessage: (m: InboundWire) => void): Promise<void> {
    const connection = await this.connect();
    for (const queue of queues) {
      const address = this.receiveAddressOf(queue);
      const receiver = connection.open_receiver({ source: { address }, autoaccept: false, credit_window: 200 });
      await linkOpened(receiver, 'receiver_open', `receiver on ${address}`, this.timeoutMs());
      receiver.on('message', (ctx: EventContext) => {
        const message = ctx.message;
        ctx.delivery?.accept();
        if (message) onMessage(toInbound(queue, message));
      });
      this.receivers.push(receiver);
    }
  }

  private sender(queue: string): Promise<Sender> {
    let s = this.senders.get(queue);
    if (!s) {
      s = (async () => {
        const connection = await this.connect();
        const address = this.sendAddressOf(queue);
        const sender = connection.open_sender({ target: { address }, autosettle: true });
        await linkOpened(sender, 'sender_open', `sender on ${address}`, this.timeoutMs());
        return sender;
      })();
      s.catch(() => this.senders.delete(queue));
      this.senders.set(queue, s);
    }
    return s;
  }

  async send(m: OutboundWire): Promise<void> {
    const sender = await this.sender(m.queue);
    if (!sender.sendable()) {
      await withTimeout(new Promise<void>((resolve) => sender.once('sendable', () => resolve())), this.timeoutMs(), `credit on ${m.queue}`);
    }
    const message: Message = {
      message_id: m.messageId,
      to: m.queue,
      ...(m.correlationId ? { correlation_id: m.correlationId } : {}),
      ...(m.replyTo ? { reply_to: m.replyTo } : {}),
      ...(m.subject ? { subject: m.subject } : {}),
      ...(m.contentType ? { content_type: m.contentType } : {}),
      ...(m.ttlMs ? { ttl: m.ttlMs } : {}),
      durable: true,
      creation_time: new Date(),
      application_properties: { ...m.headers },
      body: rhea.message.data_section(m.body),
    };
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        const delivery = sender.send(message);
        this.pending.set(delivery, { resolve, reject });
      }),
      this.timeoutMs(),
      `the broker's outcome for a message to ${m.queue}`,
    );
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = null;
    if (!connection) return;
    await withTimeout(
      new Promise<void>((resolve) => {
        connection.once('connection_close', () => resolve());
        connection.once('disconnected', () => resolve());
        connection.close();
      }),
      3000,
      'closing the AMQP 1.0 connection',
    ).catch(() => undefined);
  }
}

function toInbound(queue: string, message: Message): InboundWire {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.application_properties ?? {})) {
    if (v !== undefined && v !== null) headers[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return {
    queue,
    body: bodyBytes(message.body),
    ...(message.message_id !== undefined ? { messageId: idText(message.message_id) } : {}),
    ...(message.correlation_id !== undefined ? { correlationId: idText(message.correlation_id) } : {}),
    ...(message.reply_to ? { replyTo: message.reply_to } : {}),
    ...(message.subject ? { subject: message.subject } : {}),
    ...(message.content_type ? { contentType: message.content_type } : {}),
    headers,
    isErrorReport: headers.errorCondition !== undefined && bodyBytes(message.body).length === 0,
  };
}

/** A data section (or several), a binary value, a string, or nothing. */
export function bodyBytes(body: unknown): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (typeof body === 'object' && 'content' in body) {
    const content = (body as { content: unknown; multiple?: boolean }).content;
    if (Array.isArray(content)) return Buffer.concat(content.map((c) => bodyBytes(c)));
    return bodyBytes(content);
  }
  return Buffer.alloc(0);
}

function idText(id: unknown): string {
  if (Buffer.isBuffer(id)) return id.toString('utf8');
  return String(id);
}

function errorText(ctx: EventContext): string {
  const err = (ctx.error ?? ctx.connection?.error ?? ctx.sender?.error ?? ctx.receiver?.error) as { condition?: string; description?: string; message?: string } | undefined;
  if (!err) return 'no reason given';
  return [err.condition, err.description ?? err.message].filter(Boolean).join(': ');
}

async function linkOpened(link: Sender | Receiver, event: 'sender_open' | 'receiver_open', what: string, ms: number): Promise<void> {
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      link.once(event, () => resolve());
      const fail = (ctx: EventContext) => reject(new SimulatorError('SIM_TRANSPORT', `${what} refused: ${errorText(ctx)}`));
      link.once(event === 'sender_open' ? 'sender_error' : 'receiver_error', fail);
      link.once(event === 'sender_open' ? 'sender_close' : 'receiver_close', fail);
    }),
    ms,
    what,
  );
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new SimulatorError('SIM_TRANSPORT', `no answer from the broker within ${ms / 1000} s: ${what}`)), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
