import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The relay's indexes cover only unsent rows (partial indexes, `WHERE sent_at IS NULL`), so that its claim
 * reads what is waiting and nothing of what was sent (docs/decisions.md §39). The full indexes they
 * replace listed every row ever sent, and the claim slowed down as the outbox grew: in the
 * mass-vaccination run (30,000 rows) it took about 60 ms and PostgreSQL became the bottleneck. The same
 * SQL runs on SQLite and PostgreSQL.
 */
export class OutboxUnsentIndexesMigration1735000000000 implements MigrationInterface {
  name = 'OutboxUnsentIndexesMigration1735000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE INDEX ix_outbox_waiting ON outbox_message (created_at) WHERE sent_at IS NULL');
    await q.query('CREATE INDEX ix_outbox_waiting_claim ON outbox_message (claimed_by) WHERE sent_at IS NULL');
    await q.query('CREATE INDEX ix_outbox_waiting_inbox ON outbox_message (inbox_id) WHERE sent_at IS NULL');
    await q.query('DROP INDEX IF EXISTS ix_outbox_unsent');
    await q.query('DROP INDEX IF EXISTS ix_outbox_claim');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('CREATE INDEX ix_outbox_unsent ON outbox_message (sent_at, created_at)');
    await q.query('CREATE INDEX ix_outbox_claim ON outbox_message (claimed_by, sent_at)');
    await q.query('DROP INDEX IF EXISTS ix_outbox_waiting_inbox');
    await q.query('DROP INDEX IF EXISTS ix_outbox_waiting_claim');
    await q.query('DROP INDEX IF EXISTS ix_outbox_waiting');
  }
}
