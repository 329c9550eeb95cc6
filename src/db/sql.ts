import { createHash } from 'node:crypto';

export type Dialect = 'sqlite' | 'postgres';

/** One row as the driver returns it (column name → value). */
export type Row = Record<string, unknown>;

/**
 * The transaction every hot statement runs in: plain SQL with `?` placeholders in both dialects.
 * `query` returns the rows of a SELECT or a `RETURNING` clause (an empty array for other writes), so
 * a conditional write that must tell whether it happened says `RETURNING id`.
 *
 * Booleans are passed as JavaScript booleans (1/0 on SQLite). Nothing of TypeORM crosses this
 * interface: the pipeline and the timebook port see only this.
 */
export interface SqlTx {
  readonly dialect: Dialect;
  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

/** Statements run, counted for the bench (`statements_per_booking`); BEGIN/COMMIT/ROLLBACK and PRAGMA excluded. */
export class StatementCounter {
  statements = 0;
  /** Transactions begun (BEGIN / START TRANSACTION): with group commit, fewer than messages. */
  transactions = 0;

  count(sql: string): void {
    if (!/^\s*(BEGIN|START TRANSACTION|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO|PRAGMA)/i.test(sql)) this.statements += 1;
    else if (/^\s*(BEGIN|START TRANSACTION)/i.test(sql)) this.transactions += 1;
  }
}

/** The subset of a pg client we use. */
export interface PgClientLike {
  query(config: { text: string; values: unknown[]; name?: string }): Promise<{ rows: Row[] }>;
}

/** The subset of a better-sqlite3 database we use. */
export interface SqliteLike {
  prepare(sql: string): { reader: boolean; all(...p: unknown[]): unknown[]; run(...p: unknown[]): unknown };
}

const pgTexts = new Map<string, { text: string; name: string }>();

/** `?` → `$1, $2 …`, and a stable statement name so each connection prepares a statement once. */
function pgText(sql: string): { text: string; name: string } {
  let hit = pgTexts.get(sql);
  if (hit === undefined) {
    let i = 0;
    const text = sql.replace(/\?/g, () => `$${++i}`);
    hit = { text, name: `tb_${createHash('sha1').update(text).digest('hex').slice(0, 20)}` };
    if (pgTexts.size < 2000) pgTexts.set(sql, hit);
  }
  return hit;
}

/** Runs plain SQL on a PostgreSQL client (prepared by name) or a better-sqlite3 database (statement cache). */
export function sqlRunner(
  dialect: Dialect,
  connection: unknown,
  counter: StatementCounter,
  sqliteCache: Map<string, ReturnType<SqliteLike['prepare']>>,
): SqlTx['query'] {
  if (dialect === 'postgres') {
    const client = connection as PgClientLike;
    return async <T>(sql: string, params: readonly unknown[] = []): Promise<T[]> => {
      counter.count(sql);
      const { text, name } = pgText(sql);
      const result = await client.query({ name, text, values: params as unknown[] });
      return result.rows as T[];
    };
  }
  const db = connection as SqliteLike;
  return async <T>(sql: string, params: readonly unknown[] = []): Promise<T[]> => {
    counter.count(sql);
    let stmt = sqliteCache.get(sql);
    if (stmt === undefined) {
      stmt = db.prepare(sql);
      if (sqliteCache.size < 2000) sqliteCache.set(sql, stmt);
    }
    const values = params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p === undefined ? null : p));
    if (stmt.reader) return stmt.all(...values) as T[];
    stmt.run(...values);
    return [];
  };
}

/** `?, ?, ?` for `n` values. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/** A boolean column as read back: PostgreSQL gives booleans, SQLite 0/1. */
export function bool(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 't';
}

/** A JSON text column (TypeORM `simple-json`), or null. */
export function json<T>(v: unknown): T {
  if (v === null || v === undefined) return null as T;
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

/** An integer column (PostgreSQL may return bigint/numeric as text). */
export function int(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

export function intOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : int(v);
}
