import type { SqlTx } from './sql.js';

/** What group commit needs of the database: one transaction around some work. */
export interface TransactionRunner {
  run<T>(work: (tx: SqlTx) => Promise<T>): Promise<T>;
}

export interface GroupCommitOptions {
  /** Most units of work in one transaction (1: every unit alone, as without group commit). */
  maxBatch: number;
  /** Transactions of grouped work in flight at once in this process. */
  maxInFlight: number;
}

interface Pending<T> {
  work: (tx: SqlTx) => Promise<T>;
  /** Units of a group run in the order of this key (see {@link GroupCommit.run}). */
  lockOrder: string;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

/**
 * Group commit (docs/decisions.md §42): units of work that arrive while a transaction is in flight wait
 * for it and then run one after the other in one transaction of their own, so that many messages share
 * one BEGIN and one COMMIT (one fsync, two round trips) instead of each paying for its own.
 *
 * Every unit sees the writes of the units before it in its group, exactly as if they had run one after
 * the other, and its promise settles only after the group's COMMIT: a caller that acknowledges a message
 * once its unit resolves acknowledges only what is durable.
 *
 * If any unit of a group throws, or the COMMIT fails, the group is rolled back and every unit runs again
 * alone, so a bad message, a deadlock or a lost connection costs the others a retry and nothing more;
 * each unit then settles with its own result or error. A unit must therefore be safe to run twice
 * when its first run was rolled back: it may not act outside the transaction (the pipeline's units only
 * compute rows and write them).
 */
export class GroupCommit {
  private readonly queue: Pending<unknown>[] = [];
  private inFlight = 0;
  /** Counts for the bench and the tests: groups committed, their units, groups that fell back. */
  readonly stats = { groups: 0, units: 0, fallbacks: 0 };

  constructor(
    private readonly db: TransactionRunner,
    private readonly options: GroupCommitOptions,
  ) {
    if (!(options.maxBatch >= 1) || !(options.maxInFlight >= 1)) throw new RangeError('group commit: maxBatch and maxInFlight must be at least 1');
  }

  /**
   * Runs `work` in the next group. `lockOrder` names the contended row the unit will lock (for a
   * booking, the slot it asks for): a group runs its units sorted by it, so that every group takes those
   * locks in the same order and two groups cannot deadlock over them. Units that arrived together run
   * concurrently anyway; their order among themselves is not an order of arrival.
   */
  run<T>(work: (tx: SqlTx) => Promise<T>, lockOrder = ''): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, lockOrder, resolve, reject } as Pending<unknown>);
      this.start();
    });
  }

  private start(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const group = this.queue.splice(0, this.options.maxBatch).sort(byLockOrder);
      this.inFlight += 1;
      void this.commit(group).finally(() => {
        this.inFlight -= 1;
        this.start();
      });
    }
  }

  private async commit(group: Pending<unknown>[]): Promise<void> {
    if (group.length === 1) return this.alone(group[0]!);
    let results: unknown[];
    try {
      results = await this.db.run(async (tx) => {
        const out: unknown[] = [];
        for (const unit of group) out.push(await unit.work(tx));
        return out;
      });
    } catch {
      // Which unit failed does not matter: each runs again in its own transaction and keeps its own outcome.
      this.stats.fallbacks += 1;
      await Promise.all(group.map((unit) => this.alone(unit)));
      return;
    }
    this.stats.groups += 1;
    this.stats.units += group.length;
    group.forEach((unit, i) => unit.resolve(results[i]));
  }

  private async alone(unit: Pending<unknown>): Promise<void> {
    try {
      unit.resolve(await this.db.run(unit.work));
      this.stats.groups += 1;
      this.stats.units += 1;
    } catch (err) {
      unit.reject(err);
    }
  }
}

function byLockOrder(a: Pending<unknown>, b: Pending<unknown>): number {
  return a.lockOrder < b.lockOrder ? -1 : a.lockOrder > b.lockOrder ? 1 : 0;
}
