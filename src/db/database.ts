import { createHash } from 'node:crypto';
import { Mutex } from 'async-mutex';
import { DataSource, type EntityManager, type EntitySchema, type MixedList } from 'typeorm';
import { TimebokError } from '../shared/errors.js';

export type Dialect = 'sqlite' | 'postgres';

export interface DatabaseOptions {
  /** `postgres://…` / `postgresql://…` for PostgreSQL; `sqlite:PATH`, a file path or `:memory:` for SQLite. */
  url: string;
  entities: MixedList<EntitySchema>;
  // TypeORM migration classes
  migrations: MixedList<Function>;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
}

/**
 * The store every stage writes through. Writes go through {@link Database.transaction}: on SQLite they
 * are serialised by a mutex, because TypeORM's transactions on one SQLite connection interleave
 * ("cannot start a transaction within a transaction") and produced double bookings when they ran
 * concurrently; on PostgreSQL they run concurrently and rely on conditional updates.
 */
export class Database {
  readonly dataSource: DataSource;
  readonly dialect: Dialect;
  private readonly writeLock = new Mutex();

  private constructor(dataSource: DataSource, dialect: Dialect) {
    this.dataSource = dataSource;
    this.dialect = dialect;
  }

  static async open(options: DatabaseOptions): Promise<Database> {
    const { dialect, dataSource } = createDataSource(options);
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
    return new Database(dataSource, dialect);
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /** Runs `work` in one transaction (serialised on SQLite). */
  async transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    if (this.dialect === 'sqlite') {
      return this.writeLock.runExclusive(() => this.dataSource.transaction(work));
    }
    // READ COMMITTED is set for every pooled connection (createDataSource), saving a round trip per
    // transaction.
    return this.dataSource.transaction(work);
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

function createDataSource(options: DatabaseOptions): { dialect: Dialect; dataSource: DataSource } {
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
