import { Table, TableIndex, TableUnique, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Inbox (processed messages) and outbox (messages to send) tables. */
export class MessagesMigration1732233602000 implements MigrationInterface {
  name = 'MessagesMigration1732233602000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'inbox_message',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'sender_her_id', type: 'integer' },
          { name: 'msg_id', type: 'varchar', length: '200' },
          { name: 'content_hash', type: 'varchar', length: '64' },
          { name: 'receiver_her_id', type: 'integer', isNullable: true },
          { name: 'process', type: 'varchar', length: '100' },
          { name: 'function_code', type: 'varchar', length: '20', isNullable: true },
          { name: 'outcome', type: 'varchar', length: '200' },
          { name: 'transport', type: 'varchar', length: '20' },
          { name: 'received_at', type: 'varchar', length: '32' },
          { name: 'duplicate_count', type: 'integer', default: 0 },
        ],
        uniques: [new TableUnique({ name: 'uq_inbox_sender_msgid', columnNames: ['sender_her_id', 'msg_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'outbox_message',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'inbox_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'kind', type: 'varchar', length: '20' },
          { name: 'queue', type: 'varchar', length: '200' },
          { name: 'to_her_id', type: 'integer', isNullable: true },
          { name: 'from_her_id', type: 'integer', isNullable: true },
          { name: 'process', type: 'varchar', length: '100', isNullable: true },
          { name: 'correlation_id', type: 'varchar', length: '200', isNullable: true },
          { name: 'body', type: 'text' },
          { name: 'properties', type: 'text' },
          { name: 'summary', type: 'varchar', length: '200' },
          { name: 'created_at', type: 'varchar', length: '32' },
          { name: 'sent_at', type: 'varchar', length: '32', isNullable: true },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'last_error', type: 'varchar', length: '500', isNullable: true },
          { name: 'seq', type: 'integer', default: 0 },
        ],
      }),
    );
    await q.createIndex('outbox_message', new TableIndex({ name: 'ix_outbox_unsent', columnNames: ['sent_at', 'created_at'] }));
    await q.createIndex('outbox_message', new TableIndex({ name: 'ix_outbox_inbox', columnNames: ['inbox_id'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('outbox_message');
    await q.dropTable('inbox_message');
  }
}
