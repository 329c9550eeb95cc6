import { type SqlTx } from '../db/sql.js';
import { bookById, booksAtHerId } from './booking.core.js';
import type { TimebookRow } from './timebook.entities.js';

/**
 * Timebook definitions cached in memory (docs/decisions.md §33). Every write to the
 * `timebook` table, by anyone and from any process, bumps `timebook_generation.n` through a database
 * trigger. Each transaction that reads definitions first reads that counter (one tiny statement, which
 * on PostgreSQL also takes the patient's lock when one is asked for); a different value than the cached
 * one drops the cache. Slots and appointments are never cached: their statements read them live.
 */
export class TimebookCatalog {
  private generation: string | null = null;
  private readonly byHerId = new Map<number, TimebookRow[]>();
  private readonly byId = new Map<string, TimebookRow | null>();

  /**
   * Compares the generation counter in `tx` (and, on PostgreSQL, takes the transaction lock `lockKey`
   * in the same statement); drops the cache when it moved.
   */
  async check(tx: SqlTx, lockKey?: string): Promise<void> {
    const rows =
      lockKey !== undefined && tx.dialect === 'postgres'
        ? await tx.query<{ n: unknown }>('SELECT pg_advisory_xact_lock(hashtext(?)) AS locked, n FROM timebook_generation WHERE id = 1', [lockKey])
        : await tx.query<{ n: unknown }>('SELECT n FROM timebook_generation WHERE id = 1');
    const n = String(rows[0]?.n ?? 'none');
    if (n !== this.generation) {
      this.byHerId.clear();
      this.byId.clear();
      this.generation = n;
    }
  }

  /** The books at a HER-id (after {@link check} in this transaction). Do not change the rows. */
  async booksAt(tx: SqlTx, herId: number): Promise<TimebookRow[]> {
    let books = this.byHerId.get(herId);
    if (books === undefined) {
      books = await booksAtHerId(tx, herId);
      this.byHerId.set(herId, books);
      for (const b of books) this.byId.set(b.id, b);
    }
    return books;
  }

  /** One book by id (after {@link check} in this transaction), or null. */
  async book(tx: SqlTx, id: string): Promise<TimebookRow | null> {
    if (this.byId.has(id)) return this.byId.get(id) ?? null;
    const book = await bookById(tx, id);
    this.byId.set(id, book);
    return book;
  }

  /** Forgets everything (tests; the next check reloads anyway). */
  clear(): void {
    this.generation = null;
    this.byHerId.clear();
    this.byId.clear();
  }
}
