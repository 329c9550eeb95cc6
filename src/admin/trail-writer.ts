import type { Database } from '../db/database.js';
import { placeholders } from '../db/sql.js';
import type { Logger } from '../shared/logger.js';
import type { TrailRow } from './admin.entities.js';

export interface TrailWriterOptions {
  /** How long a row may wait for company before it is written (default 50 ms). */
  delayMs?: number;
  /** Rows per INSERT statement; a full batch is written at once (default 50). */
  batchRows?: number;
  /** Rows kept in memory while the database cannot take them; beyond, the oldest are dropped (default 10,000). */
  maxBuffered?: number;
}

export interface TrailWriterStats {
  /** Rows written. */
  written: number;
  /** Rows dropped: refused by the database while it took the others, or beyond the buffer while it was away. */
  dropped: number;
  /** Writes that failed (their rows were kept and tried again). */
  failedWrites: number;
}

const COLUMNS = ['id', 'at', 'stage', 'msg_id', 'inbox_id', 'outbox_id', 'her_id', 'process', 'function_code', 'outcome', 'detail'];

const writers = new WeakMap<Database, TrailWriter>();

/**
 * Writes the message trail's `processed`/`failed` rows in the background, many to one statement
 * (docs/decisions.md §43). The message path only hands a row over: it neither waits for the write nor
 * fails with it, because the message's own transaction has already committed and the trail records
 * what the stored tables do not keep. A row waits at most `delayMs` (or until a batch is full); a
 * write that fails keeps its rows for the next one, except a row the database refuses while it takes
 * the others, which is dropped and counted (it would fail every time). Readers of the trail in this process call
 * {@link flush} first, so what a process did is in its own answers at once.
 *
 * One writer per database: {@link TrailWriter.of}.
 */
export class TrailWriter {
  private buffer: TrailRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private lastError = '';
  private readonly delayMs: number;
  private readonly batchRows: number;
  private readonly maxBuffered: number;
  readonly stats: TrailWriterStats = { written: 0, dropped: 0, failedWrites: 0 };

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    options: TrailWriterOptions = {},
  ) {
    this.delayMs = options.delayMs ?? 50;
    this.batchRows = options.batchRows ?? 50;
    this.maxBuffered = options.maxBuffered ?? 10_000;
  }

  /** The writer of `db`'s trail (made on first use; `logger` and `options` count only then). */
  static of(db: Database, logger: Logger, options?: TrailWriterOptions): TrailWriter {
    let w = writers.get(db);
    if (w === undefined) {
      w = new TrailWriter(db, logger, options);
      writers.set(db, w);
    }
    return w;
  }

  /** The writer of `db`'s trail if one was made (readers flush it; nothing to flush otherwise). */
  static existing(db: Database): TrailWriter | null {
    return writers.get(db) ?? null;
  }

  /** Rows handed over and not yet written. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Hands a row over; it is written within `delayMs`, or at once when a batch is full. */
  add(row: TrailRow): void {
    this.buffer.push(row);
    if (this.buffer.length > this.maxBuffered) this.drop(this.buffer.length - this.maxBuffered);
    if (this.buffer.length >= this.batchRows && this.writing === null) {
      void this.flush();
      return;
    }
    this.schedule(this.delayMs);
  }

  /**
   * Writes every row handed over before the call (after a write already under way). Never throws: a
   * failed write keeps its rows and is tried again later.
   */
  async flush(): Promise<void> {
    while (this.writing !== null) await this.writing;
    if (this.buffer.length === 0) return;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const rows = this.buffer.splice(0);
    if (!this.db.dataSource.isInitialized) {
      // The database was closed (the process is stopping after its final flush, or a test's world ended):
      // nothing can take these rows any more, and trying again would only keep the closed database alive.
      this.stats.dropped += rows.length;
      return;
    }
    this.writing = this.write(rows).finally(() => {
      this.writing = null;
    });
    await this.writing;
  }

  private schedule(ms: number): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, ms);
    // A row waiting here does not keep a process alive: shutdown flushes (main.ts).
    this.timer.unref();
  }

  private async write(rows: TrailRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += this.batchRows) {
      const chunk = rows.slice(i, i + this.batchRows);
      if (await this.insert(chunk)) continue;
      // One row the database refuses must not hold back the others: each goes alone. If some are taken,
      // the database is there and the rest are refused for what they hold (dropped, counted); if none is,
      // the database is away and everything waits for the next write.
      let taken = 0;
      const refused: TrailRow[] = [];
      for (const row of chunk) {
        if (await this.insert([row])) taken += 1;
        else refused.push(row);
      }
      if (taken > 0) {
        if (refused.length > 0) {
          this.stats.dropped += refused.length;
          this.logger.warn({ rows: refused.length, stage: refused[0]?.stage }, 'message trail rows refused by the database: dropped');
        }
        continue;
      }
      // Kept for the next write, ahead of what arrived meanwhile (the buffer's bound still holds).
      const kept = rows.slice(i);
      this.buffer.unshift(...kept);
      if (this.buffer.length > this.maxBuffered) this.drop(this.buffer.length - this.maxBuffered);
      this.stats.failedWrites += 1;
      this.logger.warn({ rows: kept.length, err: this.lastError }, 'message trail rows not written yet; trying again');
      this.schedule(Math.max(this.delayMs, 1000));
      return;
    }
  }

  /** One INSERT of `rows`; false when the database refused it (the error's class is kept for the log). */
  private async insert(rows: TrailRow[]): Promise<boolean> {
    try {
      await this.db.query(
        `INSERT INTO message_trail (${COLUMNS.join(', ')}) VALUES ${rows.map(() => `(${placeholders(COLUMNS.length)})`).join(', ')}`,
        rows.flatMap(values),
      );
      this.stats.written += rows.length;
      return true;
    } catch (err) {
      this.lastError = err instanceof Error ? err.name : 'error';
      return false;
    }
  }

  private drop(n: number): void {
    this.buffer.splice(0, n);
    this.stats.dropped += n;
    this.logger.warn({ rows: n, dropped: this.stats.dropped }, 'message trail rows dropped: the database has not taken them and the buffer is full');
  }
}

/**
 * A row's column values, held to the table's limits: the fields come partly from the transport (the AMQP
 * subject, fromHerId), and a value the column cannot hold would make the database refuse the row.
 */
function values(r: TrailRow): unknown[] {
  const text = (v: string | null, max: number) => (v === null ? null : v.slice(0, max));
  const herId = r.herId !== null && Number.isInteger(r.herId) && r.herId >= 0 && r.herId <= 2_147_483_647 ? r.herId : null;
  return [
    text(r.id, 64),
    text(r.at, 32),
    text(r.stage, 32),
    text(r.msgId, 200),
    text(r.inboxId, 64),
    text(r.outboxId, 64),
    herId,
    text(r.process, 100),
    text(r.functionCode, 20),
    text(r.outcome, 200),
    r.detail === null ? null : JSON.stringify(r.detail),
  ];
}
