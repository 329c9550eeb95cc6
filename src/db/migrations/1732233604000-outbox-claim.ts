import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Outbox claims, so that several Timebok processes can relay one outbox: a row is sent by whoever holds
 * an unexpired claim on it (`claimed_by`, `claimed_until`, ISO time). Not in the entity: only the
 * relay's own SQL (src/outbox/outbox.store.ts) reads and writes these columns.
 */
export class OutboxClaimMigration1732233604000 implements MigrationInterface {
  name = 'OutboxClaimMigration1732233604000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('outbox_message', [
      new TableColumn({ name: 'claimed_by', type: 'varchar', length: '100', isNullable: true }),
      new TableColumn({ name: 'claimed_until', type: 'varchar', length: '32', isNullable: true }),
    ]);
    await q.createIndex('outbox_message', new TableIndex({ name: 'ix_outbox_claim', columnNames: ['claimed_by', 'sent_at'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('outbox_message', 'ix_outbox_claim');
    await q.dropColumn('outbox_message', 'claimed_until');
    await q.dropColumn('outbox_message', 'claimed_by');
  }
}
