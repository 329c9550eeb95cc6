/**
 * The receiving side on AMQP 1.0: one receiver link per queue we read (`/amq/queue/<queue>`), manual
 * settlement, link credit from AMQP_PREFETCH (given back as messages are settled, a quarter of it at a
 * time, so that a flow frame goes out every few messages rather than after each one). Every
 * message goes through the pipeline and is settled `accepted` only after the pipeline's transaction
 * committed. What cannot be processed:
 *
 * - a dependency is away (database, registry files, CRLs) → the message stays unsettled in hand, no
 *   credit is given back on any link (nothing new arrives), and processing is retried in-process with
 *   back-off until it succeeds; then `accepted` and credit flows again. Nothing is released meanwhile,
 *   because a release counts as a delivery and would dead-letter a valid message at the delivery limit.
 * - anything else (a bug) → settled `released`: RabbitMQ 3.10's AMQP 1.0 plugin turns that into a
 *   requeue, which a quorum queue counts, and after `x-delivery-limit` deliveries the broker
 *   dead-letters the message (reason delivery_limit). (`modified{delivery-failed}` is refused by that
 *   plugin with amqp:invalid-field; docs/amqp.md.) Only the error's name/code is logged.
 *
 * Error-queue messages (reports others send about our messages) are recorded on the outbox row they
 * name and accepted; they are never answered.
 */
import type { Connection, Delivery, EventContext, Receiver } from 'rhea';
import type { InboundDelivery } from '../../pipeline/types.js';
import type { Logger } from '../../shared/logger.js';
import { TimebokError } from '../../shared/errors.js';
import type { InboundProcessor, ConsumerStats } from '../amqp/amqp.consumer.js';
import { isDependencyFailure, redactedReason } from '../amqp/failures.js';
import type { ErrorReport } from '../amqp/properties.js';
import type { ConsumedQueue } from '../amqp/topology.js';
import { amqpErrorText, attached } from './connection.js';
import { errorReportFrom10, fromAmqp10Message, type Amqp10Message } from './message.js';
import { sourceAddress } from './address.js';

export interface Amqp10ConsumerOptions {
  queues: ConsumedQueue[];
  prefetch: number;
  deliveryLimit: number;
  recordErrorReport: (report: ErrorReport, queue: string) => Promise<boolean>;
  afterEach?: () => void;
  holdMinMs?: number;
  holdMaxMs?: number;
  /** Called when a link is lost under a live connection (the connection re-attaches everything). */
  onLinkLost: (conn: Connection, reason: string) => void;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

interface Attachment {
  conn: Connection;
  receivers: Map<string, Receiver>;
}

export class Amqp10Consumer {
  private current: Attachment | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private heldCount = 0;
  /** Credit owed to each link while held (given back when the hold ends). */
  private readonly owed = new Map<Receiver, number>();
  /**
   * Credit of settled messages not yet given back on each link: it goes back when it reaches
   * `creditBatch`, so the link always has at least AMQP_PREFETCH − creditBatch + 1 credit and never stalls.
   */
  private readonly unreturned = new Map<Receiver, number>();
  private readonly creditBatch: number;
  private stopping = false;
  readonly stats: ConsumerStats = { acked: 0, requeued: 0, held: 0, recoveredAfterHold: 0 };

  constructor(
    private readonly pipeline: InboundProcessor,
    private readonly options: Amqp10ConsumerOptions,
    private readonly logger: Logger,
  ) {
    this.creditBatch = Math.max(1, Math.floor(options.prefetch / 4));
  }

  /**
   * An onConnect hook: attaches one receiver per queue. A queue that does not exist is refused by the
   * broker (amqp:not-found): the error names the queue (Timebok declares nothing on the bus).
   */
  async attach(conn: Connection): Promise<void> {
    const att: Attachment = { conn, receivers: new Map() };
    this.current = att;
    this.heldCount = 0;
    this.owed.clear();
    this.unreturned.clear();
    // A session of its own: a failing sender (publisher) cannot end our receivers with it.
    const session = conn.create_session();
    session.begin();
    const sessionLost = (ctx: EventContext) => {
      if (this.stopping || this.current !== att) return;
      this.options.onLinkLost(conn, `receiver session: ${amqpErrorText(ctx.session?.error)}`);
    };
    session.on('session_error', sessionLost);
    session.on('session_close', sessionLost);
    for (const q of this.options.queues) {
      const receiver = session.open_receiver({ source: { address: sourceAddress(q.name) }, autoaccept: false, credit_window: 0 });
      try {
        await attached(receiver, 'receiver');
      } catch (err) {
        const e = err as { condition?: unknown; description?: unknown };
        if (e && (e.condition === 'amqp:not-found' || /NOT_FOUND/.test(String(e.description)))) {
          throw new TimebokError('ERR_CONFIG', `queue ${q.name} does not exist on the broker (it is the bus's to create; for a local broker run \`timebok amqp declare\`)`, {
            disposition: 'crash', cause: err, detail: { queue: q.name },
          });
        }
        throw err;
      }
      receiver.on('message', (ctx: EventContext) => {
        if (!ctx.message || !ctx.delivery) return;
        const p = q.role === 'error' ? this.handleErrorReport(att, receiver, q, ctx.message as Amqp10Message, ctx.delivery) : this.handle(att, receiver, q, ctx.message as Amqp10Message, ctx.delivery);
        this.track(p);
      });
      const lost = (ctx: EventContext) => {
        if (this.stopping || this.current !== att) return;
        this.options.onLinkLost(conn, `receiver on ${q.name}: ${amqpErrorText(ctx.receiver?.error)}`);
      };
      receiver.on('receiver_close', lost);
      receiver.on('receiver_error', lost);
      att.receivers.set(q.name, receiver);
    }
    if (!this.stopping) for (const r of att.receivers.values()) r.add_credit(this.options.prefetch);
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** One more message may come on `receiver` (unless a hold is on: then the credit is owed). */
  private giveCredit(att: Attachment, receiver: Receiver): void {
    if (this.current !== att || this.stopping) return;
    if (this.heldCount > 0) {
      this.owed.set(receiver, (this.owed.get(receiver) ?? 0) + 1);
      return;
    }
    const n = (this.unreturned.get(receiver) ?? 0) + 1;
    if (n < this.creditBatch) {
      this.unreturned.set(receiver, n);
      return;
    }
    this.unreturned.set(receiver, 0);
    receiver.add_credit(n);
  }

  private backoff(attempt: number): number {
    const min = this.options.holdMinMs ?? 250;
    const max = this.options.holdMaxMs ?? 5000;
    return Math.min(max, min * 2 ** Math.min(attempt, 16));
  }

  private endHold(att: Attachment): void {
    this.stats.recoveredAfterHold += 1;
    if (this.current !== att) return;
    this.heldCount -= 1;
    if (this.heldCount > 0 || this.stopping) return;
    this.logger.info('dependency back: consuming again');
    for (const [receiver, n] of this.owed) if (n > 0) receiver.add_credit(n);
    this.owed.clear();
  }

  private settle(att: Attachment, delivery: Delivery, outcome: 'accept' | 'release'): boolean {
    if (this.current !== att) return false; // the link is gone: the broker redelivers it (the inbox makes that safe)
    try {
      if (outcome === 'accept') delivery.accept();
      else delivery.release();
      return true;
    } catch {
      return false;
    }
  }

  private async handle(att: Attachment, receiver: Receiver, q: ConsumedQueue, message: Amqp10Message, delivery: Delivery): Promise<void> {
    const inbound: InboundDelivery = fromAmqp10Message(q.name, message);
    let held = false;
    for (let attempt = 0; ; attempt++) {
      try {
        const outcome = await this.pipeline.process(inbound);
        if (this.settle(att, delivery, 'accept')) this.stats.acked += 1;
        this.logger.debug({ queue: q.name, messageId: inbound.messageId, status: outcome.status, summary: outcome.summary }, 'message handled');
        if (held) this.endHold(att);
        this.giveCredit(att, receiver);
        this.options.afterEach?.();
        return;
      } catch (err) {
        if (isDependencyFailure(err)) {
          if (this.stopping || this.current !== att) {
            if (held && this.current === att) this.heldCount -= 1;
            return;
          }
          if (!held) {
            held = true;
            this.heldCount += 1;
            this.stats.held += 1;
            if (this.heldCount === 1) this.logger.warn({ queue: q.name }, 'dependency unavailable: link credit stopped, holding the message(s) in hand');
          }
          await sleep(this.backoff(attempt));
          continue;
        }
        if (held) this.endHold(att);
        this.logger.error(
          { queue: q.name, messageId: inbound.messageId, reason: redactedReason(err), deliveryLimit: this.options.deliveryLimit },
          'message failed: released for another try (the broker dead-letters it at the delivery limit)',
        );
        if (this.settle(att, delivery, 'release')) this.stats.requeued += 1;
        this.giveCredit(att, receiver);
        return;
      }
    }
  }

  private async handleErrorReport(att: Attachment, receiver: Receiver, q: ConsumedQueue, message: Amqp10Message, delivery: Delivery): Promise<void> {
    const report = errorReportFrom10(message);
    for (let attempt = 0; ; attempt++) {
      try {
        const known = await this.options.recordErrorReport(report, q.name);
        this.logger.warn(
          { queue: q.name, originalMessageId: report.originalMessageId, errorCondition: report.errorCondition, fromHerId: report.fromHerId, known },
          'error report received for one of our messages',
        );
        this.settle(att, delivery, 'accept');
        this.giveCredit(att, receiver);
        return;
      } catch (err) {
        if (isDependencyFailure(err) && !this.stopping && this.current === att) {
          await sleep(this.backoff(attempt));
          continue;
        }
        this.logger.error({ queue: q.name, reason: redactedReason(err) }, 'error report not recorded; released');
        this.settle(att, delivery, 'release');
        this.giveCredit(att, receiver);
        return;
      }
    }
  }

  /** Stops taking messages (drains the links' credit), waits for those in hand, detaches. */
  async stop(): Promise<void> {
    this.stopping = true;
    const att = this.current;
    if (att) for (const r of att.receivers.values()) {
      try {
        r.drain_credit();
      } catch {
        // link gone
      }
    }
    await Promise.allSettled([...this.inFlight]);
    this.current = null;
    if (att) for (const r of att.receivers.values()) {
      try {
        r.close();
      } catch {
        // link gone
      }
    }
  }
}
