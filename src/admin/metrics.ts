import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CertificateInfo } from './certificates.js';

/** Where the gauges read their values at scrape time (the database, the transport, the files). */
export interface MetricsSource {
  outbox(): Promise<{ unsent: number; oldestUnsentSeconds: number }>;
  /** Dead-lettered messages (AMQP dead-letter queues, or the spool's error folders); null = unknown. */
  deadLetters(): Promise<number | null>;
  /** Seconds since the registry snapshot was refreshed; null = no registry. */
  registryAgeSeconds(): Promise<number | null>;
  certificates(): Promise<CertificateInfo[]>;
  /** Group commit of the message path since start: transactions, the messages in them, groups run again one by one. */
  groupCommit?(): { groups: number; units: number; fallbacks: number };
  /** The message trail's background writer since start: rows dropped, writes that failed (and were tried again). */
  trail?(): { dropped: number; failedWrites: number };
  now(): Date;
}

/**
 * The Prometheus metrics (`timebok_` names, docs/admin.md). Counters and the latency histogram are fed by
 * the pipeline decorator; the gauges are read from `source` on every scrape.
 */
export class TimebokMetrics {
  readonly registry = new Registry();
  private readonly messages: Counter<'process' | 'function' | 'outcome'>;
  private readonly latency: Histogram<'process'>;
  private readonly sendDelay: Histogram<'kind'>;

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    this.messages = new Counter({
      name: 'timebok_messages_total',
      help: 'Inbound deliveries processed, by process, function (7601/7602 code) and outcome',
      labelNames: ['process', 'function', 'outcome'],
      registers,
    });
    this.latency = new Histogram({
      name: 'timebok_processing_seconds',
      help: 'Time from receiving a delivery to its committed outcome',
      labelNames: ['process'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.sendDelay = new Histogram({
      name: 'timebok_outbox_send_delay_seconds',
      help: 'Time from an outgoing message\'s creation (in its inbound message\'s transaction, or a staff action) to the broker\'s confirmation, by kind',
      labelNames: ['kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    new Gauge({
      name: 'timebok_outbox_unsent',
      help: 'Outbox rows not yet sent (backlog)',
      registers,
      async collect() {
        this.set((await source.outbox()).unsent);
      },
    });
    new Gauge({
      name: 'timebok_outbox_oldest_unsent_seconds',
      help: 'Age of the oldest unsent outbox row (0 when none)',
      registers,
      async collect() {
        this.set((await source.outbox()).oldestUnsentSeconds);
      },
    });
    new Gauge({
      name: 'timebok_dead_letters',
      help: 'Messages dead-lettered (AMQP dead-letter queues, or spool error folders)',
      registers,
      async collect() {
        const n = await source.deadLetters();
        if (n !== null) this.set(n);
      },
    });
    // Running totals kept elsewhere, read at scrape time (undefined: this process has none to report).
    const totalCounter = (name: string, help: string, read: () => number | undefined) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          const total = read();
          if (total === undefined) return;
          this.reset();
          this.inc(total);
        },
      });
    // Group commit (docs/decisions.md §42): messages ÷ transactions is the group size; fallbacks are groups
    // that failed and ran again one message at a time (a defect, a deadlock, a lost connection).
    totalCounter('timebok_db_message_transactions_total', 'Transactions committed for inbound messages (group commit: several messages may share one)', () => source.groupCommit?.().groups);
    totalCounter('timebok_db_message_transaction_messages_total', 'Inbound messages committed in those transactions', () => source.groupCommit?.().units);
    totalCounter('timebok_db_group_fallbacks_total', 'Groups of messages rolled back and run again one by one', () => source.groupCommit?.().fallbacks);
    // The trail's writer (docs/decisions.md §43) drops a row the database refuses, and rows beyond its buffer.
    totalCounter('timebok_trail_rows_dropped_total', 'Message-trail rows dropped: refused by the database while it took the others, or beyond the buffer while it was away', () => source.trail?.().dropped);
    totalCounter('timebok_trail_write_failures_total', 'Writes of message-trail rows that failed (their rows were kept and written later)', () => source.trail?.().failedWrites);
    new Gauge({
      name: 'timebok_registry_age_seconds',
      help: 'Seconds since the address-registry snapshot was refreshed',
      registers,
      async collect() {
        const age = await source.registryAgeSeconds();
        if (age !== null) this.set(age);
      },
    });
    new Gauge({
      name: 'timebok_certificate_expiry_days',
      help: 'Days until a certificate expires (negative: expired), ours and each counterparty\'s',
      labelNames: ['owner', 'her_id', 'use'],
      registers,
      async collect() {
        this.reset();
        const now = source.now().getTime();
        for (const c of await source.certificates()) {
          if (c.notAfter === null) continue;
          this.set({ owner: c.owner, her_id: c.herId === null ? '' : String(c.herId), use: c.use }, Math.floor((Date.parse(c.notAfter) - now) / 86_400_000));
        }
      },
    });
  }

  observe(process: string, functionCode: string, outcome: string, seconds: number): void {
    this.messages.inc({ process, function: functionCode, outcome });
    this.latency.observe({ process }, seconds);
  }

  /** One outgoing message handed over to the transport, `seconds` after it was created. */
  observeSent(kind: string, seconds: number): void {
    if (Number.isFinite(seconds)) this.sendDelay.observe({ kind }, Math.max(0, seconds));
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
