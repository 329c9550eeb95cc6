import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Staff operations (docs/staff.md): the `citizen_request` table (Timeønske and requests held in `manual`
 * books, with what is needed to answer them later) and the appointment columns the answers and the
 * Avtale push need. Dialect-neutral: runs on SQLite and PostgreSQL.
 */
export class StaffMigration1732233603000 implements MigrationInterface {
  name = 'StaffMigration1732233603000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('appointment', [
      new TableColumn({ name: 'originHerId', type: 'integer', isNullable: true }),
      new TableColumn({ name: 'patientIdType', type: 'varchar', length: '3', isNullable: true }),
      new TableColumn({ name: 'patientFamilyName', type: 'varchar', length: '200', isNullable: true }),
      new TableColumn({ name: 'patientGivenName', type: 'varchar', length: '200', isNullable: true }),
      new TableColumn({ name: 'practitioner', type: 'text', isNullable: true }),
      new TableColumn({ name: 'revision', type: 'integer', default: 0 }),
    ]);
    await q.createTable(
      new Table({
        name: 'citizen_request',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'kind', type: 'varchar', length: '8' },
          { name: 'process', type: 'varchar', length: '100' },
          { name: 'functionCode', type: 'varchar', length: '10' },
          { name: 'status', type: 'varchar', length: '10' },
          { name: 'answerCode', type: 'varchar', length: '4', isNullable: true },
          { name: 'answerMsgId', type: 'varchar', length: '64', isNullable: true },
          { name: 'counterpartyHerId', type: 'integer' },
          { name: 'ourHerId', type: 'integer' },
          { name: 'msgId', type: 'varchar', length: '200' },
          { name: 'conversationId', type: 'varchar', length: '200' },
          { name: 'inboxId', type: 'varchar', length: '64' },
          { name: 'patientId', type: 'varchar', length: '11' },
          { name: 'patientIdType', type: 'varchar', length: '3' },
          { name: 'patientFamilyName', type: 'varchar', length: '200', isNullable: true },
          { name: 'patientGivenName', type: 'varchar', length: '200', isNullable: true },
          { name: 'representativeId', type: 'varchar', length: '11', isNullable: true },
          { name: 'relation', type: 'varchar', length: '10', isNullable: true },
          { name: 'fromDate', type: 'varchar', length: '32', isNullable: true },
          { name: 'toDate', type: 'varchar', length: '32', isNullable: true },
          { name: 'event', type: 'text', isNullable: true },
          { name: 'wishedPractitioner', type: 'text', isNullable: true },
          { name: 'acceptsOther', type: 'varchar', length: '2', isNullable: true },
          { name: 'emneSporsmal', type: 'text', isNullable: true },
          { name: 'sporsmal', type: 'text', isNullable: true },
          { name: 'appointmentId', type: 'varchar', length: '64', isNullable: true },
          { name: 'receivedAt', type: 'varchar', length: '32' },
          { name: 'answeredAt', type: 'varchar', length: '32', isNullable: true },
          { name: 'updatedAt', type: 'varchar', length: '32' },
        ],
      }),
    );
    await q.createIndex(
      'citizen_request',
      new TableIndex({ name: 'IDX_citizen_request_open', columnNames: ['kind', 'status', 'receivedAt'] }),
    );
    await q.createIndex(
      'citizen_request',
      new TableIndex({ name: 'IDX_citizen_request_appointment', columnNames: ['appointmentId'] }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('citizen_request', 'IDX_citizen_request_appointment');
    await q.dropIndex('citizen_request', 'IDX_citizen_request_open');
    await q.dropTable('citizen_request');
    for (const c of ['revision', 'practitioner', 'patientGivenName', 'patientFamilyName', 'patientIdType', 'originHerId']) {
      await q.dropColumn('appointment', c);
    }
  }
}
