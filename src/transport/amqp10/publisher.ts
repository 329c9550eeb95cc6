/**
 * The sending side on AMQP 1.0: every outbox row is encoded (`app.encoder`: CMS sign-then-encrypt) and
 * sent unsettled on a sender link to `/exchange/<exchange>/<queue>` (one link per target queue, opened
 * when first needed and kept). A row counts as handed over only when the broker settles it `accepted`
 * (the AMQP 1.0 form of a publisher confirm); `rejected`, `released`, `modified`, a closed link or no
 * answer in time leave the row unsent with that reason, and the relay tries again later.
 *
 * RabbitMQ 3.10's AMQP 1.0 plugin accepts a message sent to an exchange that routes it nowhere (there is
 * no `mandatory` in AMQP 1.0): a missing receiver queue is not seen here. docs/amqp.md says so.
 */
import rhea, { type Connection, type Delivery, type EventContext, type Sender, type Session } from 'rhea';
import type { OutboxRow } from '../../inbox/message.entities.js';
import type { Publisher } from '../../outbox/outbox.relay.js';
import type { OutboundEncoder } from '../../protection/outbound.js';
import type { Party } from '../../registry/types.js';
import type { Clock } from '../../shared/clock.js';
import { TimebokError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { targetAddress } from './address.js';
import { amqpErrorText, attached } from './connection.js';
import { toAmqp10Message } from './message.js';

export interface Amqp10PublisherOptions {
  encoder: OutboundEncoder;
  getParty: (herId: number) => Promise<Party | null>;
  clock: Clock;
  logger: Logger;
  syncReplyTtlMs: number;
  /** The exchange of AMQP_URL (null: send to the queue itself). */
  exchange: string | null;
  /** Longest wait for the broker's outcome (default 15 s, below the relay's claim lease). */
  settleTimeoutMs?: number;
}

function retry(message: string, cause?: unknown): TimebokError {
  return new TimebokError('ERR_DEPENDENCY_UNAVAILABLE', message, { disposition: 'retry', ...(cause !== undefined ? { cause } : {}) });
}

/** The broker settled a message with something other than `accepted`. */
export class NotAcceptedError extends Error {
  constructor(readonly outcome: string, readonly queue: string, detail?: string) {
    super(`broker settled the message for ${queue} as ${outcome}${detail ? ` (${detail})` : ''}`);
    this.name = 'NotAcceptedError';
  }
}

type Waiter = (err: unknown | null) => void;

export class Amqp10Publisher implements Publisher {
  private conn: Connection | null = null;
  /** Our own session (a sender refused by the broker ends its session: the receivers are not on it). */
  private session: Session | null = null;
  private readonly senders = new Map<string, Promise<Sender>>();
  private readonly waiters = new Map<Delivery, Waiter>();

  constructor(private readonly options: Amqp10PublisherOptions) {}

  /** An onConnect hook: forget the old links (they died with their connection). */
  async attach(conn: Connection): Promise<void> {
    this.failAll(retry('connection replaced before the broker settled the message'));
    this.senders.clear();
    this.session = null;
    this.conn = conn;
    conn.on('disconnected', () => {
      if (this.conn === conn) {
        this.conn = null;
        this.senders.clear();
        this.failAll(retry('connection lost before the broker settled the message'));
      }
    });
  }

  ready(): boolean {
    return this.conn !== null;
  }

  private failAll(err: unknown): void {
    const waiting = [...this.waiters.values()];
    this.waiters.clear();
    for (const w of waiting) w(err);
  }

  private settled(ctx: EventContext, err: unknown | null): void {
    const d = ctx.delivery;
    if (!d) return;
    const w = this.waiters.get(d);
    if (!w) return;
    this.waiters.delete(d);
    w(err);
  }

  /** The publishing session, begun when first needed and again after the broker ended it. */
  private sessionOf(conn: Connection): Session {
    if (this.session) return this.session;
    const session = conn.create_session();
    session.begin();
    const ended = (ctx: EventContext) => {
      if (this.session !== session) return;
      this.session = null;
      this.senders.clear();
      const reason = amqpErrorText(ctx.session?.error);
      const waiting = [...this.waiters.entries()].filter(([d]) => (d as unknown as { link?: { session?: unknown } }).link?.session === session);
      for (const [d, w] of waiting) {
        this.waiters.delete(d);
        w(retry(`publishing session ended: ${reason}`));
      }
      if (this.conn === conn) this.options.logger.warn({ reason }, 'AMQP 1.0 publishing session ended by the broker; a new one is begun on the next send');
    };
    session.on('session_error', ended);
    session.on('session_close', ended);
    this.session = session;
    return session;
  }

  private sender(conn: Connection, queue: string): Promise<Sender> {
    const existing = this.senders.get(queue);
    if (existing) return existing;
    const opening = (async () => {
      const sender = this.sessionOf(conn).open_sender({ target: { address: targetAddress(this.options.exchange, queue) } });
      sender.on('accepted', (ctx: EventContext) => this.settled(ctx, null));
      sender.on('rejected', (ctx: EventContext) => this.settled(ctx, new NotAcceptedError('rejected', queue, amqpErrorText((ctx.delivery?.remote_state as { error?: unknown } | undefined)?.error))));
      sender.on('released', (ctx: EventContext) => this.settled(ctx, new NotAcceptedError('released', queue)));
      sender.on('modified', (ctx: EventContext) => this.settled(ctx, new NotAcceptedError('modified', queue)));
      const lost = (ctx: EventContext) => {
        if (this.senders.get(queue) === opening) this.senders.delete(queue);
        const reason = amqpErrorText(ctx.sender?.error);
        for (const [d, w] of [...this.waiters]) {
          if ((d as unknown as { link?: unknown }).link === sender) {
            this.waiters.delete(d);
            w(retry(`sender link to ${queue} closed: ${reason}`));
          }
        }
        if (this.conn === conn) this.options.logger.warn({ queue, reason }, 'AMQP 1.0 sender link closed; it is opened again on the next send');
      };
      sender.on('sender_close', lost);
      sender.on('sender_error', lost);
      try {
        await attached(sender, 'sender');
      } catch (err) {
        this.senders.delete(queue);
        throw retry(`cannot attach a sender to ${queue}: ${amqpErrorText(err)}`, err);
      }
      return sender;
    })();
    this.senders.set(queue, opening);
    return opening;
  }

  async publish(row: OutboxRow): Promise<void> {
    const [err] = await this.publishMany([row]);
    if (err !== null && err !== undefined) throw err;
  }

  /**
   * Sends rows in the order given without waiting for each outcome, then waits for all. A row that
   * cannot be encoded is not sent (its error is returned); rows after it are.
   */
  async publishMany(rows: OutboxRow[]): Promise<Array<unknown | null>> {
    const results: Array<unknown | null> = rows.map(() => null);
    const pending: Array<Promise<void>> = [];
    for (const [index, row] of rows.entries()) {
      let message;
      try {
        const encoded = await this.options.encoder.encode(row);
        const replyTo = row.fromHerId === null ? null : await this.ourAsyncQueue(row.fromHerId);
        message = toAmqp10Message(row, encoded.body, { contentType: encoded.contentType, replyTo, now: this.options.clock.now(), syncReplyTtlMs: this.options.syncReplyTtlMs }, (b) => rhea.message.data_section(b));
      } catch (err) {
        results[index] = err;
        continue;
      }
      const conn = this.conn;
      if (!conn) {
        results[index] = retry('no broker connection');
        continue;
      }
      let sender: Sender;
      try {
        sender = await this.sender(conn, row.queue);
      } catch (err) {
        results[index] = err;
        continue;
      }
      pending.push(this.sendOne(sender, message, row).then((err) => {
        results[index] = err;
      }));
    }
    await Promise.all(pending);
    return results;
  }

  private sendOne(sender: Sender, message: object, row: OutboxRow): Promise<unknown | null> {
    return new Promise<unknown | null>((resolve) => {
      const timeout = setTimeout(() => finish(retry('the broker did not settle the message in time')), this.options.settleTimeoutMs ?? 15_000);
      let delivery: Delivery | null = null;
      const finish = (err: unknown | null) => {
        clearTimeout(timeout);
        if (delivery) this.waiters.delete(delivery);
        if (err instanceof NotAcceptedError) {
          this.options.logger.error({ alert: 'message-not-accepted', outcome: err.outcome, queue: row.queue, outboxId: row.id, kind: row.kind }, 'broker did not accept the message; it stays unsent in the outbox');
        }
        resolve(err);
      };
      try {
        // rhea queues the message until the link has credit; the outcome arrives as an event.
        delivery = sender.send(message as never);
        this.waiters.set(delivery, finish);
      } catch (err) {
        finish(retry('send failed: link closed', err));
      }
    });
  }

  private async ourAsyncQueue(herId: number): Promise<string> {
    const party = await this.options.getParty(herId).catch(() => null);
    return party?.queues?.async ?? `${herId}_async`;
  }

  async close(): Promise<void> {
    this.failAll(retry('publisher closed'));
    const opened = [...this.senders.values()];
    this.senders.clear();
    this.conn = null;
    this.session = null;
    for (const s of opened) {
      try {
        (await s).close();
      } catch {
        // link gone
      }
    }
  }
}
