/**
 * Group commit (docs/decisions.md §42): units that arrive while a transaction is in flight share the
 * next one; each unit settles only after its transaction committed; a failing unit sends its whole
 * group back to run one by one; groups run their units in lock order. The last tests use a real SQLite
 * database: a unit sees the writes of the units before it, and a rolled-back group leaves nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../../src/db/database.js';
import { GroupCommit, type TransactionRunner } from '../../../src/db/group-commit.js';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '../../../src/db/schema.js';
import type { SqlTx } from '../../../src/db/sql.js';

/** A transaction runner that records what each transaction ran and commits when told to. */
class FakeRunner implements TransactionRunner {
  readonly transactions: { statements: string[]; outcome: 'committed' | 'rolled back' | 'open' }[] = [];
  private gates: (() => void)[] = [];
  /** Hold every COMMIT until release() (else commit at once). */
  hold = false;

  async run<T>(work: (tx: SqlTx) => Promise<T>): Promise<T> {
    const record = { statements: [] as string[], outcome: 'open' as 'committed' | 'rolled back' | 'open' };
    this.transactions.push(record);
    const tx: SqlTx = {
      dialect: 'sqlite',
      query: async <R>(sql: string) => {
        record.statements.push(sql);
        return [] as R[];
      },
    };
    try {
      const result = await work(tx);
      if (this.hold) await new Promise<void>((r) => this.gates.push(r));
      record.outcome = 'committed';
      return result;
    } catch (err) {
      record.outcome = 'rolled back';
      throw err;
    }
  }

  release(): void {
    const gates = this.gates;
    this.gates = [];
    for (const g of gates) g();
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe('GroupCommit', () => {
  it('runs units that arrive during a transaction together in the next one', async () => {
    const db = new FakeRunner();
    db.hold = true;
    const gc = new GroupCommit(db, { maxBatch: 16, maxInFlight: 1 });
    const first = gc.run(async (tx) => (await tx.query('a'), 'A'));
    await tick();
    const rest = ['b', 'c', 'd'].map((s) => gc.run(async (tx) => (await tx.query(s), s.toUpperCase())));
    await tick();
    expect(db.transactions.map((t) => t.statements)).toEqual([['a']]);
    db.release();
    expect(await first).toBe('A');
    await tick();
    expect(db.transactions.map((t) => t.statements)).toEqual([['a'], ['b', 'c', 'd']]);
    db.release();
    expect(await Promise.all(rest)).toEqual(['B', 'C', 'D']);
    expect(gc.stats).toEqual({ groups: 2, units: 4, fallbacks: 0 });
  });

  it('settles a unit only after its transaction committed', async () => {
    const db = new FakeRunner();
    db.hold = true;
    const gc = new GroupCommit(db, { maxBatch: 4, maxInFlight: 1 });
    let settled = false;
    const p = gc.run(async (tx) => tx.query('x')).then(() => (settled = true));
    for (let i = 0; i < 5; i++) await tick();
    expect(db.transactions[0]?.statements).toEqual(['x']);
    expect(settled).toBe(false);
    db.release();
    await p;
    expect(settled).toBe(true);
    expect(db.transactions[0]?.outcome).toBe('committed');
  });

  it('takes at most maxBatch units per transaction and keeps maxInFlight transactions open', async () => {
    const db = new FakeRunner();
    db.hold = true;
    const gc = new GroupCommit(db, { maxBatch: 3, maxInFlight: 2 });
    const all = Array.from({ length: 8 }, (_, i) => gc.run(async (tx) => (await tx.query(`s${i}`), i)));
    await tick();
    // nothing waits for company: the first two units start at once, each alone; the rest queue
    expect(db.transactions.map((t) => t.statements.length)).toEqual([1, 1]);
    db.release();
    await tick();
    await tick();
    // then two groups of at most three are open at once
    expect(db.transactions.map((t) => t.statements.length)).toEqual([1, 1, 3, 3]);
    db.release();
    expect(await Promise.all(all)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('runs a group in lock order', async () => {
    const db = new FakeRunner();
    db.hold = true;
    const gc = new GroupCommit(db, { maxBatch: 16, maxInFlight: 1 });
    const first = gc.run(async (tx) => tx.query('first'));
    await tick();
    const keys = ['slot-c', '', 'slot-a', 'slot-b', 'slot-a'];
    const rest = keys.map((k, i) => gc.run(async (tx) => tx.query(`${k || 'none'}#${i}`), k));
    db.release();
    await first;
    await tick();
    db.release();
    await Promise.all(rest);
    expect(db.transactions[1]?.statements).toEqual(['none#1', 'slot-a#2', 'slot-a#4', 'slot-b#3', 'slot-c#0']);
  });

  it('rolls a group back when one unit fails and runs every unit again alone', async () => {
    const db = new FakeRunner();
    db.hold = true;
    const gc = new GroupCommit(db, { maxBatch: 16, maxInFlight: 1 });
    const first = gc.run(async (tx) => tx.query('first'));
    await tick();
    const runs = new Map<string, number>();
    const unit = (name: string, fail: boolean) =>
      gc.run(async (tx) => {
        runs.set(name, (runs.get(name) ?? 0) + 1);
        await tx.query(name);
        if (fail) throw new Error(`${name} failed`);
        return name;
      });
    const ok1 = unit('ok1', false);
    const bad = unit('bad', true);
    const ok2 = unit('ok2', false);
    const badSeen = bad.catch((err: Error) => err.message);
    db.hold = false;
    db.release();
    await first;
    expect(await ok1).toBe('ok1');
    expect(await ok2).toBe('ok2');
    expect(await badSeen).toBe('bad failed');
    // the group: ok1 and bad ran, then it rolled back (ok2 never ran in it); then each alone
    expect(db.transactions.slice(1).map((t) => [t.statements.join(','), t.outcome])).toEqual([
      ['ok1,bad', 'rolled back'],
      ['ok1', 'committed'],
      ['bad', 'rolled back'],
      ['ok2', 'committed'],
    ]);
    expect(Object.fromEntries(runs)).toEqual({ ok1: 2, bad: 2, ok2: 1 });
    expect(gc.stats.fallbacks).toBe(1);
  });

  it('refuses a size below one', () => {
    expect(() => new GroupCommit(new FakeRunner(), { maxBatch: 0, maxInFlight: 1 })).toThrow(RangeError);
  });
});

describe('GroupCommit on SQLite', () => {
  let db: Database;
  beforeEach(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'timebok-group-'));
    db = await Database.open({
      url: `sqlite:${join(dir, 'db.sqlite')}`,
      entities: ALL_ENTITIES,
      migrations: ALL_MIGRATIONS,
      groupCommit: { maxBatch: 16, maxInFlight: 1 },
    });
    await db.query('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)');
  });
  afterEach(async () => db.close());

  it('lets a unit see the writes of the units before it in its group', async () => {
    const insert = (k: string) =>
      db.runGrouped(async (tx) => {
        const before = await tx.query<{ n: number }>('SELECT COUNT(*) AS n FROM t');
        await tx.query('INSERT INTO t (k, v) VALUES (?, ?)', [k, Number(before[0]?.n ?? 0)]);
        return before[0]?.n;
      });
    const seen = await Promise.all(['a', 'b', 'c', 'd', 'e'].map(insert));
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(db.grouped.stats.groups).toBeLessThan(5);
  });

  it('leaves nothing of a rolled-back group: the good units commit alone, the bad one not at all', async () => {
    const unit = (k: string) =>
      db.runGrouped(async (tx) => {
        await tx.query('INSERT INTO t (k, v) VALUES (?, 1)', [k]);
        if (k === 'bad') throw new Error('refused');
        return k;
      });
    const results = await Promise.allSettled(['x', 'bad', 'y'].map(unit));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const rows = await db.query<{ k: string }>('SELECT k FROM t ORDER BY k');
    expect(rows.map((r) => r.k)).toEqual(['x', 'y']);
  });
});
