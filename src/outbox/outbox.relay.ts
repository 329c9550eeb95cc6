import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Database } from '../db/database.js';
import type { OutboxRow } from '../inbox/message.entities.js';
import type { Clock } from '../shared/clock.js';
import { describeError, isTimebokError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { claimRound, markFailedClaimed, markManySentClaimed, markSentClaimed, releaseClaims } from './outbox.store.js';

/** A transport's sending side. `publish` resolves only when the message is safely handed over. */
export interface Publisher {
  publish(row: OutboxRow): Promise<void>;
  /**
   * Optional: hands over several rows at once, in the order given (one conversation's rows keep their
   * order on the wire), and settles once the transport has answered for each: null = handed over,
   * else why not. Lets a broker confirm a batch instead of one message at a time.
   */
  publishMany?(rows: OutboxRow[]): Promise<Array<unknown | null>>;
  /** False while the transport cannot send at all (broker away): the relay then does not try. */
  ready?(): boolean;
}

export interface OutboxRelayOptions {
  /** Unique id of this relay among the processes sharing the database (default host:pid:random). */
  owner?: string;
  /** How long a claim holds when its relay dies (default 30 s; real time, not the injected clock). */
  leaseMs?: number;
  /** Conversation groups claimed per round (default 20). */
  batchGroups?: number;
  /** Retry delay after a failed publish: base (doubled per attempt) and cap (default 1 s, 5 min). */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/**
 * Sends unsent outbox rows and marks each sent only after the transport confirmed it. Safe with several
 * processes on one database: a relay sends only rows it claimed (outbox.store.ts), one conversation's
 * rows in their order (seq). A row that fails stays unsent (attempts and last error recorded) and is not
 * tried again before its back-off has passed; a transport that is away (`retry` errors) ends the run.
 */
export class OutboxRelay {
  private draining: Promise<number> | null = null;
  private again = false;
  readonly owner: string;
  private readonly leaseMs: number;
  private readonly batchGroups: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  /** Rows this relay claimed that wait for an earlier row held elsewhere (they stay claimed by us). */
  private waiting = 0;
  private readonly sentListeners: Array<(rows: OutboxRow[], at: Date) => void> = [];

  constructor(
    private readonly db: Database,
    private readonly publisher: Publisher,
    private readonly clock: Clock,
    private readonly logger: Logger,
    options: OutboxRelayOptions = {},
  ) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.batchGroups = options.batchGroups ?? 20;
    this.retryBaseMs = options.retryBaseMs ?? 1000;
    this.retryMaxMs = options.retryMaxMs ?? 300_000;
  }

  /**
   * Sends everything unsent that this relay can claim; concurrent calls share one run, and a call that
   * arrives during a run makes it go round once more (rows committed meanwhile are not left waiting).
   * Returns the number sent.
   */
  drain(): Promise<number> {
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    const run = async (): Promise<number> => {
      let total = 0;
      do {
        this.again = false;
        try {
          total += await this.run();
        } catch (err) {
          // A run that failed may hold claims it did not send: the next round reads everything this relay
          // holds (else those rows would wait for their claim to expire).
          this.waiting = Math.max(this.waiting, 1);
          throw err;
        }
      } while (this.again);
      return total;
    };
    this.draining = run().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  /**
   * Calls `listener` with the rows this relay has handed over and marked sent, and when (metrics: the
   * time an answer took to reach the broker). A listener that throws does not disturb the relay.
   */
  onSent(listener: (rows: OutboxRow[], at: Date) => void): void {
    this.sentListeners.push(listener);
  }

  private sent(rows: OutboxRow[], at: Date): void {
    for (const listener of this.sentListeners) {
      try {
        listener(rows, at);
      } catch (err) {
        this.logger.warn({ err: describeError(err) }, 'outbox sent listener failed');
      }
    }
  }

  /** Gives back this relay's claims (at shutdown), so another process can send them at once. */
  async release(): Promise<void> {
    this.waiting = 0;
    await releaseClaims(this.db, this.owner);
  }

  private async run(): Promise<number> {
    let sent = 0;
    for (;;) {
      if (this.publisher.ready && !this.publisher.ready()) return sent;
      const round = await claimRound(this.db, { owner: this.owner, now: new Date(), leaseMs: this.leaseMs, groups: this.batchGroups, mayHoldClaims: this.waiting > 0 });
      this.waiting = round.waiting;
      const rows = round.rows;
      if (rows.length === 0) return sent;
      // Fewer groups than asked for: nothing more was claimable a moment ago. Rows committed since then
      // come with their own drain() call (which runs this again), or with the periodic one.
      const more = round.groups >= this.batchGroups;
      if (this.publisher.publishMany) {
        const outcome = await this.runBatch(rows, this.publisher.publishMany.bind(this.publisher));
        sent += outcome.sent;
        if (outcome.stop || outcome.sent === 0 || !more) return sent;
        continue;
      }
      let progressed = false;
      const failedGroups = new Set<string>();
      for (const row of rows) {
        const group = row.inboxId ?? row.id;
        if (failedGroups.has(group)) continue;
        try {
          await this.publisher.publish(row);
        } catch (err) {
          failedGroups.add(group);
          if (await this.backOff(row, err)) {
            this.waiting = 0;
            await releaseClaims(this.db, this.owner);
            return sent;
          }
          continue;
        }
        const at = this.clock.now();
        await markSentClaimed(this.db, row.id, at);
        this.sent([row], at);
        sent += 1;
        progressed = true;
      }
      if (!progressed || !more) return sent;
    }
  }

  /**
   * One claimed batch through `publishMany`: rows handed over are marked sent in one transaction; the
   * first failure of a conversation backs that conversation off (its later rows were not handed over
   * unless the transport sent them anyway, in which case they count as sent: they are on the wire).
   */
  private async runBatch(rows: OutboxRow[], publishMany: (rows: OutboxRow[]) => Promise<Array<unknown | null>>): Promise<{ sent: number; stop: boolean }> {
    const results = await publishMany(rows);
    const ok: OutboxRow[] = [];
    const failedGroups = new Set<string>();
    let stop = false;
    for (const [i, row] of rows.entries()) {
      const err = results[i] ?? null;
      const group = row.inboxId ?? row.id;
      if (err === null) {
        ok.push(row);
        continue;
      }
      if (failedGroups.has(group)) continue;
      failedGroups.add(group);
      if (await this.backOff(row, err)) stop = true;
    }
    if (ok.length > 0) {
      const at = this.clock.now();
      await markManySentClaimed(this.db, ok.map((r) => r.id), at);
      this.sent(ok, at);
    }
    if (stop) {
      this.waiting = 0;
      await releaseClaims(this.db, this.owner);
    }
    return { sent: ok.length, stop };
  }

  /**
   * A row that was not handed over keeps its place and backs off with its conversation: briefly when the
   * transport is away (true: stop this run), else longer with every attempt.
   */
  private async backOff(row: OutboxRow, err: unknown): Promise<boolean> {
    const transient = isTimebokError(err) && err.disposition === 'retry';
    const reason = describeError(err);
    const delay = transient ? this.retryBaseMs : Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.min(row.attempts, 20));
    this.logger.warn({ outboxId: row.id, queue: row.queue, kind: row.kind, attempts: row.attempts + 1, err: reason }, 'outbox publish failed; row stays unsent');
    await markFailedClaimed(this.db, row, this.owner, reason, new Date(Date.now() + delay));
    return transient;
  }
}
