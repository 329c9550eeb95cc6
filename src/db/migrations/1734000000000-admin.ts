import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Admin API and privacy (docs/admin.md): `access_log` (every read of a patient's data: who, when, which
 * patient, which call), `message_trail` (what happened to a message, ids, codes and times only; kept
 * when retention deletes bodies) and `timebook_change` (who changed which timebook through the API).
 */
export class AdminMigration1734000000000 implements MigrationInterface {
  name = 'AdminMigration1734000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'access_log',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'at', type: 'varchar', length: '32' },
          { name: 'actor', type: 'varchar', length: '100' },
          { name: 'role', type: 'varchar', length: '16' },
          { name: 'channel', type: 'varchar', length: '8' },
          { name: 'patient_id', type: 'varchar', length: '11' },
          { name: 'action', type: 'varchar', length: '200' },
          { name: 'target', type: 'varchar', length: '200', isNullable: true },
        ],
      }),
    );
    await q.createIndex('access_log', new TableIndex({ name: 'ix_access_log_at', columnNames: ['at'] }));
    await q.createIndex('access_log', new TableIndex({ name: 'ix_access_log_patient', columnNames: ['patient_id', 'at'] }));
    await q.createTable(
      new Table({
        name: 'message_trail',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'at', type: 'varchar', length: '32' },
          { name: 'stage', type: 'varchar', length: '32' },
          { name: 'msg_id', type: 'varchar', length: '200', isNullable: true },
          { name: 'inbox_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'outbox_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'her_id', type: 'integer', isNullable: true },
          { name: 'process', type: 'varchar', length: '100', isNullable: true },
          { name: 'function_code', type: 'varchar', length: '20', isNullable: true },
          { name: 'outcome', type: 'varchar', length: '200' },
          { name: 'detail', type: 'text', isNullable: true },
        ],
      }),
    );
    await q.createIndex('message_trail', new TableIndex({ name: 'ix_message_trail_msg', columnNames: ['msg_id'] }));
    await q.createIndex('message_trail', new TableIndex({ name: 'ix_message_trail_inbox', columnNames: ['inbox_id'] }));
    await q.createIndex('message_trail', new TableIndex({ name: 'ix_message_trail_at', columnNames: ['at'] }));
    await q.createTable(
      new Table({
        name: 'timebook_change',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'at', type: 'varchar', length: '32' },
          { name: 'actor', type: 'varchar', length: '100' },
          { name: 'timebook_id', type: 'varchar', length: '100' },
          { name: 'action', type: 'varchar', length: '40' },
          { name: 'detail', type: 'text', isNullable: true },
        ],
      }),
    );
    await q.createIndex('timebook_change', new TableIndex({ name: 'ix_timebook_change_book', columnNames: ['timebook_id', 'at'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('timebook_change');
    await q.dropTable('message_trail');
    await q.dropTable('access_log');
  }
}
