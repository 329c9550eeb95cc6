import { createHash } from 'node:crypto';
import { Mutex } from 'async-mutex';
import { DataSource, type EntityManager, type EntitySchema, type Logger as OrmLogger, type MixedList, type QueryRunner } from 'typeorm';
import { TimebokError } from '../shared/errors.js';
import { StatementCounter, sqlRunner, type Dialect, type SqliteLike, type SqlTx } from './sql.js';
import { GroupCommit, type GroupCommitOptions } from './group-commit.js';

export type { Dialect, SqlTx } from './sql.js';

export interface DatabaseOptions {
  /** `postgres://…` / `postgresql://…` for PostgreSQL; `sqlite:PATH`, a file path or `:memory:` for SQLite. */
  url: string;
  entities: MixedList<EntitySchema>;
  // TypeORM migration classes
  migrations: MixedList<Function>;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
  /** Group commit of {@link Database.runGrouped} (default: up to 16 units per transaction, one transaction in flight). */
  groupCommit?: GroupCommitOptions;
}

export const DEFAULT_GROUP_COMMIT: GroupCommitOptions = { maxBatch: 16, maxInFlight: 1 };

/**
 * The store every stage writes through. Writes go through {@link Database.transaction}: on SQLite they
 * are serialised by a mutex, because TypeORM's transactions on one SQLite connection interleave
 * ("cannot start a transaction within a transaction") and produced double bookings when they ran
 * concurrently; on PostgreSQL they run concurrently and rely on conditional updates.
 */
export class Database {
  readonly dataSource: DataSource;
  readonly dialect: Dialect;
  /** Every statement this process ran (plain SQL and TypeORM), for the bench. */
  readonly counter: StatementCounter;
  private readonly writeLock = new Mutex();
  private readonly sqliteStatements = new Map<string, ReturnType<SqliteLike['prepare']>>();
  /** Group commit for {@link runGrouped}. */
  readonly grouped: GroupCommit;

  private constructor(dataSource: DataSource, dialect: Dialect, counter: StatementCounter, groupCommit: GroupCommitOptions) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.counter = counter;
    this.grouped = new GroupCommit(this, groupCommit);
    byDataSource.set(dataSource, this);
  }

  static async open(options: DatabaseOptions): Promise<Database> {
    const counter = new StatementCounter();
    const { dialect, dataSource } = createDataSource(options, counter);
    try {
      await dataSource.initialize();
      // Several processes may start on one fresh database at once: one migrates, the others wait.
      await withSessionLock(dataSource, dialect, 'migrations', () => dataSource.runMigrations({ transaction: 'each' }));
    } catch (cause) {
      if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
      throw new TimebokError('ERR_DEPENDENCY_UNAVAILABLE', `database could not be opened (${dialect})`, {
        cause,
        disposition: 'retry',
      });
    }
    return new Database(dataSource, dialect, counter, options.groupCommit ?? DEFAULT_GROUP_COMMIT);
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /**
   * Runs `work` in one transaction with the plain-SQL interface (serialised on SQLite). The hot path
   * (pipeline, booking core, outbox) uses this; TypeORM stays reachable for cold paths inside the same
   * transaction through {@link managerOf}.
   */
  async run<T>(work: (tx: SqlTx) => Promise<T>): Promise<T> {
    if (this.dialect === 'sqlite') return this.writeLock.runExclusive(() => this.runUnlocked(work));
    return this.runUnlocked(work);
  }

  /**
   * Runs `work` in a transaction it may share with other work that arrives meanwhile (group commit,
   * docs/decisions.md §42); resolves after that transaction committed. `work` must be safe to run again
   * after a rollback (it may only read and write through `tx`). `lockOrder`: the contended row it will
   * lock, see {@link GroupCommit.run}. The message path uses this.
   */
  runGrouped<T>(work: (tx: SqlTx) => Promise<T>, lockOrder?: string): Promise<T> {
    return this.grouped.run(work, lockOrder);
  }

  /** Runs `work` in one transaction with a TypeORM entity manager (cold paths: imports, staff). */
  async transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.run((tx) => work(managerOf(tx)));
  }

  /**
   * Plain SQL outside a transaction (one statement, autocommit): reads of the relay and the admin.
   *
   * `bookkeeping`: the statement only records the relay's own progress (a claim, a sent mark), which a
   * crash may lose without harm: a lost claim expires, a lost sent mark sends the message once more, as
   * a crash between publish and mark always could (docs/decisions.md §38). On SQLite it then commits
   * without its own fsync (`synchronous = NORMAL` for that statement: in WAL mode it becomes durable with
   * the next booking's commit), which saves two of the three fsyncs per message.
   */
  async query<T>(sql: string, params: readonly unknown[] = [], options: { bookkeeping?: boolean } = {}): Promise<T[]> {
    // SQLite has one connection: a statement between another transaction's statements would join it.
    if (this.dialect !== 'sqlite') return options.bookkeeping ? this.retryingDeadlocks(() => this.queryUnlocked<T>(sql, params)) : this.queryUnlocked<T>(sql, params);
    return this.writeLock.runExclusive(async () => {
      if (!options.bookkeeping) return this.queryUnlocked<T>(sql, params);
      await this.queryUnlocked('PRAGMA synchronous = NORMAL', []);
      try {
        return await this.queryUnlocked<T>(sql, params);
      } finally {
        await this.queryUnlocked('PRAGMA synchronous = FULL', []);
      }
    });
  }

  /**
   * A bookkeeping statement that PostgreSQL chose as a deadlock's victim runs again (a few times): it is
   * one autocommitted statement over the relay's own rows (a claim, a sent mark), so running it again is
   * safe, and the other side (a message's transaction requeuing rows of a duplicate) has gone on by then.
   */
  private async retryingDeadlocks<T>(statement: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await statement();
      } catch (err) {
        const code = (err as { code?: unknown } | null)?.code;
        if (attempt >= 3 || (code !== '40P01' && code !== '40001')) throw err;
      }
    }
  }

  private async queryUnlocked<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const connection = await runner.connect();
      return await sqlRunner(this.dialect, connection, this.counter, this.sqliteStatements)<T>(sql, params);
    } finally {
      await runner.release();
    }
  }

  /** The plain-SQL view of a TypeORM transaction (staff commands call the booking core with it). */
  sqlOf(em: EntityManager): SqlTx {
    const runner = em.queryRunner;
    if (runner === undefined || !runner.isTransactionActive) {
      throw new TimebokError('ERR_INTERNAL', 'sqlOf needs an entity manager inside a transaction');
    }
    // TypeORM keeps the pg client on the runner, and the one better-sqlite3 connection on the driver.
    const connection =
      this.dialect === 'postgres'
        ? (runner as unknown as { databaseConnection: unknown }).databaseConnection
        : (this.dataSource.driver as unknown as { databaseConnection: unknown }).databaseConnection;
    return new Transaction(this.dialect, runner, sqlRunner(this.dialect, connection, this.counter, this.sqliteStatements));
  }

  private async runUnlocked<T>(work: (tx: SqlTx) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    const connection = await runner.connect();
    try {
      // READ COMMITTED is set for every pooled PostgreSQL connection (createDataSource): no SET per
      // transaction.
      await runner.startTransaction();
      const tx = new Transaction(this.dialect, runner, sqlRunner(this.dialect, connection, this.counter, this.sqliteStatements));
      const result = await work(tx);
      await runner.commitTransaction();
      return result;
    } catch (err) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await runner.release();
    }
  }

  /**
   * Runs `work` while holding a lock named `name` across processes (PostgreSQL session advisory lock;
   * on SQLite, where one process writes, the write mutex). For start-up work such as the set-up import.
   */
  async exclusive<T>(name: string, work: () => Promise<T>): Promise<T> {
    return withSessionLock(this.dataSource, this.dialect, name, work);
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

const byDataSource = new WeakMap<DataSource, Database>();

/**
 * The plain-SQL view of a TypeORM transaction's entity manager (staff commands, which run on TypeORM,
 * call the booking core with it).
 */
export function sqlOf(em: EntityManager): SqlTx {
  const db = byDataSource.get(em.connection);
  if (db === undefined) throw new TimebokError('ERR_INTERNAL', 'entity manager of an unknown database');
  return db.sqlOf(em);
}

/** A transaction: plain SQL for the hot path, TypeORM's manager (same connection) for cold paths. */
class Transaction implements SqlTx {
  readonly query: SqlTx['query'];

  constructor(
    readonly dialect: Dialect,
    readonly runner: QueryRunner,
    query: SqlTx['query'],
  ) {
    this.query = query;
  }
}

/**
 * TypeORM's entity manager of a transaction, for cold paths (imports, slot roll-forward, staff
 * listings) that run inside a plain-SQL transaction. Only db/, timebook/ and staff/ adapters call it.
 */
export function managerOf(tx: SqlTx): EntityManager {
  if (!(tx instanceof Transaction)) throw new TimebokError('ERR_INTERNAL', 'not a Database transaction');
  return tx.runner.manager;
}

/** Counts TypeORM's statements with ours (it logs nothing). */
class CountingLogger implements OrmLogger {
  constructor(private readonly counter: StatementCounter) {}
  logQuery(query: string): void {
    this.counter.count(query);
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

/** A stable 63-bit advisory-lock key for a name. */
function lockKeyOf(name: string): string {
  return BigInt.asIntN(64, BigInt(`0x${createHash('sha256').update(`timebok:${name}`).digest('hex').slice(0, 16)}`)).toString();
}

async function withSessionLock<T>(dataSource: DataSource, dialect: Dialect, name: string, work: () => Promise<T>): Promise<T> {
  if (dialect !== 'postgres') return work();
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const key = lockKeyOf(name);
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [key]);
    return await work();
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
    await runner.release();
  }
}

function createDataSource(options: DatabaseOptions, counter: StatementCounter): { dialect: Dialect; dataSource: DataSource } {
  const logger = new CountingLogger(counter);
  const { url } = options;
  if (/^postgres(ql)?:\/\//.test(url)) {
    return {
      dialect: 'postgres',
      dataSource: new DataSource({
        type: 'postgres',
        url,
        entities: options.entities,
        migrations: options.migrations,
        migrationsRun: false,
        synchronize: false,
        logging: false,
        logger,
        extra: { max: options.poolSize ?? 10, options: '-c default_transaction_isolation=read\\ committed' },
      }),
    };
  }
  const file = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : url;
  return {
    dialect: 'sqlite',
    dataSource: new DataSource({
      type: 'better-sqlite3',
      database: file,
      entities: options.entities,
      migrations: options.migrations,
      migrationsRun: false,
      synchronize: false,
      logging: false,
      logger,
      enableWAL: file !== ':memory:',
      // WAL + FULL: a booking that was answered must survive a power cut.
      prepareDatabase: (db: { pragma(s: string): unknown }) => {
        db.pragma('synchronous = FULL');
        db.pragma('busy_timeout = 5000');
        db.pragma('foreign_keys = ON');
      },
    }),
  };
}
