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
  /** Rows dropped because the buffer overflowed while the database was away. */
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
 * write that fails keeps its rows for the next one. Readers of the trail in this process call
 * {@link flush} first, so what a process did is in its own answers at once.
 *
 * One writer per database: {@link TrailWriter.of}.
 */
export class TrailWriter {
  private buffer: TrailRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
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
      try {
        await this.db.query(
          `INSERT INTO message_trail (${COLUMNS.join(', ')}) VALUES ${chunk.map(() => `(${placeholders(COLUMNS.length)})`).join(', ')}`,
          chunk.flatMap(values),
        );
        this.stats.written += chunk.length;
      } catch (err) {
        // Kept for the next write, ahead of what arrived meanwhile (the buffer's bound still holds).
        const kept = rows.slice(i);
        this.buffer.unshift(...kept);
        if (this.buffer.length > this.maxBuffered) this.drop(this.buffer.length - this.maxBuffered);
        this.stats.failedWrites += 1;
        this.logger.warn({ rows: kept.length, err: err instanceof Error ? err.name : 'error' }, 'message trail rows not written yet; trying again');
        this.schedule(Math.max(this.delayMs, 1000));
        return;
      }
    }
  }

  private drop(n: number): void {
    this.buffer.splice(0, n);
    this.stats.dropped += n;
    this.logger.warn({ rows: n, dropped: this.stats.dropped }, 'message trail rows dropped: the database has not taken them and the buffer is full');
  }
}

function values(r: TrailRow): unknown[] {
  return [r.id, r.at, r.stage, r.msgId, r.inboxId, r.outboxId, r.herId, r.process, r.functionCode, r.outcome, r.detail === null ? null : JSON.stringify(r.detail)];
}
