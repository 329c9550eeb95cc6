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
      await dataSource.runMigrations({ transaction: 'each' });
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
    return this.dataSource.transaction('READ COMMITTED', work);
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
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
        extra: { max: options.poolSize ?? 10 },
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
