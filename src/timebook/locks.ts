import type { EntityManager } from 'typeorm';

/**
 * A transaction-scoped lock on `key` (PostgreSQL advisory lock on its hash): concurrent transactions
 * that take the same key run one after the other. SQLite writes are serialised already (Database), so
 * there it does nothing. The key is hashed in the database and never logged.
 */
export async function lockKey(em: EntityManager, key: string): Promise<void> {
  if (em.dataSource.options.type !== 'postgres') return;
  await em.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
}
