/**
 * The sending side: every outbox row is encoded (`app.encoder`: CMS sign-then-encrypt), published on a
 * confirm channel with `mandatory`, persistent, to the exchange of AMQP_URL (else the default exchange)
 * with the row's queue as routing key, and counts as handed over only when the broker confirmed it. A message the broker returns (no
 * such queue) is not handed over: the publish fails, the row stays unsent, and an alert is logged.
 */
import type { ChannelModel, ConfirmChannel, Message } from 'amqplib';
import type { OutboxRow } from '../../inbox/message.entities.js';
import type { Publisher } from '../../outbox/outbox.relay.js';
import type { OutboundEncoder } from '../../protection/outbound.js';
import type { Party } from '../../registry/types.js';
import type { Clock } from '../../shared/clock.js';
import { TimebokError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { toPublishProperties } from './properties.js';

/** The broker gave a `mandatory` message back: no queue is bound to its routing key. */
export class UnroutableError extends Error {
  constructor(readonly queue: string) {
    super(`no queue ${queue} on the broker: message returned unroutable`);
    this.name = 'UnroutableError';
  }
}

export interface AmqpPublisherOptions {
  encoder: OutboundEncoder;
  getParty: (herId: number) => Promise<Party | null>;
  clock: Clock;
  logger: Logger;
  syncReplyTtlMs: number;
  /** The exchange of AMQP_URL (routing key = the queue); null or absent: the default exchange. */
  exchange?: string | null;
  /** Longest wait for a confirm before the publish counts as failed (default 15 s, below the relay's claim lease). */
  confirmTimeoutMs?: number;
}

function notConnected(): TimebokError {
  return new TimebokError('ERR_DEPENDENCY_UNAVAILABLE', 'no broker connection', { disposition: 'retry' });
}

export class AmqpPublisher implements Publisher {
  private channel: ConfirmChannel | null = null;
  private readonly returned = new Set<string>();
  private closing = false;

  constructor(private readonly options: AmqpPublisherOptions) {}

  /** Opens the confirm channel on a (new) connection; an onConnect hook. */
  async attach(conn: ChannelModel): Promise<void> {
    const ch = await conn.createConfirmChannel();
    ch.on('return', (msg: Message) => {
      const id = msg.properties.messageId as unknown;
      if (typeof id === 'string') this.returned.add(id);
    });
    ch.on('error', (err: Error) => this.options.logger.warn({ err: err.message }, 'publish channel error'));
    ch.on('close', () => {
      if (this.channel === ch) this.channel = null;
      // A channel that closes under a live connection is not reopened on its own: reconnect everything.
      if (!this.closing) conn.close().catch(() => undefined);
    });
    this.channel = ch;
  }

  /** True when a confirm channel is open (the relay does not try without one). */
  ready(): boolean {
    return this.channel !== null;
  }

  /** One row: the batch path with a batch of one (the relay uses publishMany). */
  async publish(row: OutboxRow): Promise<void> {
    const [err] = await this.publishMany([row]);
    if (err !== null && err !== undefined) throw err;
  }

  /**
   * Publishes rows in the order given without waiting for each confirm, then waits for all: the broker
   * confirms them together. A row that cannot be encoded is not published (its error is returned);
   * rows after it are (the relay backs off only that row's conversation).
   */
  async publishMany(rows: OutboxRow[]): Promise<Array<unknown | null>> {
    const results: Array<unknown | null> = rows.map(() => null);
    const pending: Array<Promise<void>> = [];
    const published: Array<{ index: number; messageId: string; row: OutboxRow }> = [];
    for (const [index, row] of rows.entries()) {
      let encoded;
      let props;
      try {
        encoded = await this.options.encoder.encode(row);
        const replyTo = row.fromHerId === null ? null : await this.ourAsyncQueue(row.fromHerId);
        props = toPublishProperties(row, { contentType: encoded.contentType, replyTo, now: this.options.clock.now(), syncReplyTtlMs: this.options.syncReplyTtlMs });
      } catch (err) {
        results[index] = err;
        continue;
      }
      const ch = this.channel;
      if (!ch) {
        results[index] = notConnected();
        continue;
      }
      this.returned.delete(props.messageId);
      published.push({ index, messageId: props.messageId, row });
      pending.push(
        new Promise<void>((resolve) => {
          const timeout = setTimeout(() => {
            results[index] = new TimebokError('ERR_DEPENDENCY_UNAVAILABLE', 'no publisher confirm in time', { disposition: 'retry' });
            resolve();
          }, this.options.confirmTimeoutMs ?? 15_000);
          try {
            ch.publish(this.options.exchange ?? '', row.queue, encoded.body, { ...props, mandatory: true }, (err: unknown) => {
              clearTimeout(timeout);
              if (err) results[index] = new TimebokError('ERR_DEPENDENCY_UNAVAILABLE', 'broker did not confirm the message', { disposition: 'retry', cause: err });
              resolve();
            });
          } catch (err) {
            clearTimeout(timeout);
            results[index] = new TimebokError('ERR_DEPENDENCY_UNAVAILABLE', 'publish failed: channel closed', { disposition: 'retry', cause: err });
            resolve();
          }
        }),
      );
    }
    await Promise.all(pending);
    for (const p of published) {
      if (results[p.index] === null && this.returned.delete(p.messageId)) {
        this.options.logger.error(
          { alert: 'unroutable-message', queue: p.row.queue, outboxId: p.row.id, kind: p.row.kind, toHerId: p.row.toHerId },
          'ALERT: message returned by the broker (no such queue); it stays unsent in the outbox',
        );
        results[p.index] = new UnroutableError(p.row.queue);
      }
    }
    return results;
  }

  private async ourAsyncQueue(herId: number): Promise<string> {
    const party = await this.options.getParty(herId).catch(() => null);
    return party?.queues?.async ?? `${herId}_async`;
  }

  async close(): Promise<void> {
    this.closing = true;
    const ch = this.channel;
    this.channel = null;
    if (ch) await ch.close().catch(() => undefined);
  }
}
