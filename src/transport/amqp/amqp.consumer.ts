/**
 * The receiving side. Every delivery goes through the pipeline and is acked only after the pipeline's
 * transaction committed. What cannot be processed:
 *
 * - a dependency is away (database, registry files, CRLs: {@link isDependencyFailure}) → the message is
 *   held unacked, the consumers are cancelled (nothing new arrives), and processing is retried
 *   in-process with backoff until it succeeds; then ack and consume again. Neither nack nor a closed
 *   channel is used, because on quorum queues both count as a delivery and would dead-letter a valid
 *   message after `x-delivery-limit` tries.
 * - anything else (a bug) → nack with requeue; the broker counts the deliveries and dead-letters the
 *   message after the limit, with `x-death` reason `delivery_limit`. Only the error's name/code is logged.
 *
 * Error-queue messages (reports others send about our messages) are logged and recorded on the outbox
 * row they name; they are never answered.
 */
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { InboundDelivery, ProcessOutcome } from '../../pipeline/types.js';
import type { Logger } from '../../shared/logger.js';
import { isDependencyFailure, redactedReason } from './failures.js';
import { toErrorReport, toInboundDelivery, type ErrorReport } from './properties.js';
import { checkQueues, type ConsumedQueue } from './topology.js';

/** The pipeline as the consumer needs it (tests wrap it to inject faults). */
export interface InboundProcessor {
  process(delivery: InboundDelivery): Promise<ProcessOutcome>;
}

export interface AmqpConsumerOptions {
  queues: ConsumedQueue[];
  prefetch: number;
  deliveryLimit: number;
  /** Records an error-queue report (throws when the database is away). */
  recordErrorReport: (report: ErrorReport, queue: string) => Promise<boolean>;
  /** Called after each acked message (the outbox relay drains: sync replies go out at once). */
  afterEach?: () => void;
  /** Backoff while a dependency is away: first and longest delay (default 250 ms, 5 s). */
  holdMinMs?: number;
  holdMaxMs?: number;
}

export interface ConsumerStats {
  acked: number;
  requeued: number;
  held: number;
  /** Messages held because a dependency was away that later went through. */
  recoveredAfterHold: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class AmqpConsumer {
  private channel: Channel | null = null;
  private consumerTags: string[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private heldCount = 0;
  private paused = false;
  private stopping = false;
  readonly stats: ConsumerStats = { acked: 0, requeued: 0, held: 0, recoveredAfterHold: 0 };

  constructor(
    private readonly pipeline: InboundProcessor,
    private readonly options: AmqpConsumerOptions,
    private readonly logger: Logger,
  ) {}

  /** An onConnect hook: our queues exist (nothing is declared), then channel, prefetch, consumers. */
  async attach(conn: ChannelModel): Promise<void> {
    await checkQueues(conn, this.options.queues.map((q) => q.name));
    const ch = await conn.createChannel();
    ch.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'consumer channel error'));
    ch.on('close', () => {
      if (this.channel === ch) {
        this.channel = null;
        this.consumerTags = [];
        if (!this.stopping) conn.close().catch(() => undefined);
      }
    });
    await ch.prefetch(this.options.prefetch);
    this.channel = ch;
    this.paused = false;
    this.heldCount = 0;
    if (!this.stopping) await this.consumeAll(ch);
  }

  private async consumeAll(ch: Channel): Promise<void> {
    const tags: string[] = [];
    for (const q of this.options.queues) {
      const { consumerTag } = await ch.consume(q.name, (msg) => {
        if (msg === null) {
          this.logger.warn({ queue: q.name }, 'consumer cancelled by the broker (queue deleted?)');
          return;
        }
        this.track(q.role === 'error' ? this.handleErrorReport(ch, q, msg) : this.handle(ch, q, msg));
      }, { noAck: false });
      tags.push(consumerTag);
    }
    this.consumerTags = tags;
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async pause(ch: Channel): Promise<void> {
    if (this.paused || this.channel !== ch) return;
    this.paused = true;
    const tags = this.consumerTags;
    this.consumerTags = [];
    this.logger.warn({ consumers: tags.length }, 'dependency unavailable: consumers paused, holding the message(s) in hand');
    for (const tag of tags) await ch.cancel(tag).catch(() => undefined);
  }

  private async resume(ch: Channel): Promise<void> {
    if (!this.paused || this.heldCount > 0 || this.stopping || this.channel !== ch) return;
    this.paused = false;
    this.logger.info('dependency back: consuming again');
    await this.consumeAll(ch).catch((err: unknown) => this.logger.warn({ err: redactedReason(err) }, 'could not resume consuming'));
  }

  private backoff(attempt: number): number {
    const min = this.options.holdMinMs ?? 250;
    const max = this.options.holdMaxMs ?? 5000;
    return Math.min(max, min * 2 ** Math.min(attempt, 16));
  }

  private async handle(ch: Channel, q: ConsumedQueue, msg: ConsumeMessage): Promise<void> {
    const delivery = toInboundDelivery(q.name, msg);
    const deliveryCount = Number(msg.properties.headers?.['x-delivery-count'] ?? 0);
    let held = false;
    for (let attempt = 0; ; attempt++) {
      try {
        const outcome = await this.pipeline.process(delivery);
        if (this.ack(ch, msg)) this.stats.acked += 1;
        this.logger.debug({ queue: q.name, messageId: delivery.messageId, status: outcome.status, summary: outcome.summary }, 'message handled');
        if (held) await this.release(ch);
        this.options.afterEach?.();
        return;
      } catch (err) {
        if (isDependencyFailure(err)) {
          // A channel that is gone cannot ack: the broker redelivers the message (the inbox makes that safe).
          if (this.stopping || this.channel !== ch) {
            // (a new channel starts with a fresh hold count)
            if (held && this.channel === ch) this.heldCount -= 1;
            return;
          }
          if (!held) {
            held = true;
            this.heldCount += 1;
            this.stats.held += 1;
            await this.pause(ch);
          }
          await sleep(this.backoff(attempt));
          continue;
        }
        if (held) await this.release(ch);
        const last = deliveryCount >= this.options.deliveryLimit;
        this.logger.error(
          { queue: q.name, messageId: delivery.messageId, reason: redactedReason(err), deliveryCount: deliveryCount + 1, deliveryLimit: this.options.deliveryLimit },
          last ? 'message failed on its last delivery: the broker dead-letters it' : 'message failed: requeued for another try',
        );
        try {
          ch.nack(msg, false, true);
          this.stats.requeued += 1;
        } catch {
          // channel gone: redelivered anyway
        }
        return;
      }
    }
  }

  private async release(ch: Channel): Promise<void> {
    this.stats.recoveredAfterHold += 1;
    if (this.channel !== ch) return;
    this.heldCount -= 1;
    await this.resume(ch);
  }

  private ack(ch: Channel, msg: ConsumeMessage): boolean {
    try {
      ch.ack(msg);
      return true;
    } catch {
      // Channel closed after the commit: the message comes back and is answered from the inbox.
      return false;
    }
  }

  private async handleErrorReport(ch: Channel, q: ConsumedQueue, msg: ConsumeMessage): Promise<void> {
    const report = toErrorReport(msg);
    for (let attempt = 0; ; attempt++) {
      try {
        const known = await this.options.recordErrorReport(report, q.name);
        // The description is the other side's text about our message: recorded, not logged.
        this.logger.warn(
          { queue: q.name, originalMessageId: report.originalMessageId, errorCondition: report.errorCondition, fromHerId: report.fromHerId, known },
          'error report received for one of our messages',
        );
        this.ack(ch, msg);
        return;
      } catch (err) {
        if (isDependencyFailure(err) && !this.stopping && this.channel === ch) {
          await sleep(this.backoff(attempt));
          continue;
        }
        this.logger.error({ queue: q.name, reason: redactedReason(err) }, 'error report not recorded; requeued');
        try {
          ch.nack(msg, false, true);
        } catch {
          // channel gone
        }
        return;
      }
    }
  }

  /** Stops taking messages, waits for those in hand (held ones give up and stay unacked), closes the channel. */
  async stop(): Promise<void> {
    this.stopping = true;
    const ch = this.channel;
    if (ch) for (const tag of this.consumerTags) await ch.cancel(tag).catch(() => undefined);
    this.consumerTags = [];
    await Promise.allSettled([...this.inFlight]);
    this.channel = null;
    if (ch) await ch.close().catch(() => undefined);
  }
}
