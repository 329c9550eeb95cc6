import { Table, TableIndex, TableUnique, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Timebooks, their materialised slots, appointments and practitioners' list patients
 * (src/timebook/timebook.entities.ts). Timestamps are ISO-8601 UTC strings; JSON is `text`.
 * The unique (timebookId, localStart) makes lazy slot roll-forward safe to run concurrently.
 */
export class TimebookMigration1732233601000 implements MigrationInterface {
  name = 'TimebookMigration1732233601000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'timebook',
        columns: [
          { name: 'id', type: 'varchar', length: '100', isPrimary: true },
          { name: 'herId', type: 'integer' },
          { name: 'kind', type: 'varchar', length: '32' },
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'text', type: 'text', isNullable: true },
          { name: 'location', type: 'text', isNullable: true },
          { name: 'published', type: 'boolean' },
          { name: 'prerequisites', type: 'text', isNullable: true },
          { name: 'eligibility', type: 'text', isNullable: true },
          { name: 'form', type: 'varchar', length: '200', isNullable: true },
          { name: 'confirmation', type: 'varchar', length: '10' },
          { name: 'minNoticeMinutes', type: 'integer' },
          { name: 'horizonDays', type: 'integer' },
          { name: 'cancelCutoffMinutes', type: 'integer' },
          { name: 'maxActivePerPatient', type: 'integer', isNullable: true },
          { name: 'urgentBookableDigitally', type: 'boolean' },
          { name: 'schedule', type: 'text' },
          { name: 'singleSlots', type: 'text' },
          { name: 'validFrom', type: 'varchar', length: '10', isNullable: true },
          { name: 'validTo', type: 'varchar', length: '10', isNullable: true },
          { name: 'timeZone', type: 'varchar', length: '64' },
          { name: 'retired', type: 'boolean' },
          { name: 'slotsUntil', type: 'varchar', length: '32', isNullable: true },
          { name: 'updatedAt', type: 'varchar', length: '32' },
        ],
      }),
    );
    await queryRunner.createIndex('timebook', new TableIndex({ name: 'IDX_timebook_her_id', columnNames: ['herId'] }));

    await queryRunner.createTable(
      new Table({
        name: 'slot',
        columns: [
          { name: 'id', type: 'varchar', length: '130', isPrimary: true },
          { name: 'timebookId', type: 'varchar', length: '100' },
          { name: 'startUtc', type: 'varchar', length: '32' },
          { name: 'endUtc', type: 'varchar', length: '32' },
          { name: 'localStart', type: 'varchar', length: '19' },
          { name: 'localEnd', type: 'varchar', length: '19' },
          { name: 'capacity', type: 'integer' },
          { name: 'booked', type: 'integer' },
          { name: 'type', type: 'varchar', length: '32' },
          { name: 'origin', type: 'varchar', length: '10' },
          { name: 'blocked', type: 'boolean' },
        ],
        uniques: [new TableUnique({ name: 'UQ_slot_timebook_local_start', columnNames: ['timebookId', 'localStart'] })],
      }),
    );
    await queryRunner.createIndex(
      'slot',
      new TableIndex({ name: 'IDX_slot_timebook_start', columnNames: ['timebookId', 'startUtc'] }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'appointment',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'slotId', type: 'varchar', length: '130' },
          { name: 'timebookId', type: 'varchar', length: '100' },
          { name: 'patientId', type: 'varchar', length: '11' },
          { name: 'representativeId', type: 'varchar', length: '11', isNullable: true },
          { name: 'relation', type: 'varchar', length: '10', isNullable: true },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'type', type: 'varchar', length: '32' },
          { name: 'startUtc', type: 'varchar', length: '32' },
          { name: 'endUtc', type: 'varchar', length: '32' },
          { name: 'localStart', type: 'varchar', length: '19' },
          { name: 'localEnd', type: 'varchar', length: '19' },
          { name: 'emneSporsmal', type: 'text', isNullable: true },
          { name: 'sporsmal', type: 'text', isNullable: true },
          { name: 'attachments', type: 'text', isNullable: true },
          { name: 'sourceMsgId', type: 'varchar', length: '200' },
          { name: 'cancelMsgId', type: 'varchar', length: '200', isNullable: true },
          { name: 'createdAt', type: 'varchar', length: '32' },
          { name: 'updatedAt', type: 'varchar', length: '32' },
          { name: 'cancelledAt', type: 'varchar', length: '32', isNullable: true },
        ],
      }),
    );
    await queryRunner.createIndex(
      'appointment',
      new TableIndex({ name: 'IDX_appointment_patient', columnNames: ['patientId', 'timebookId'] }),
    );
    await queryRunner.createIndex('appointment', new TableIndex({ name: 'IDX_appointment_slot', columnNames: ['slotId'] }));

    await queryRunner.createTable(
      new Table({
        name: 'list_patient',
        columns: [
          { name: 'practitionerHerId', type: 'integer', isPrimary: true },
          { name: 'patientId', type: 'varchar', length: '11', isPrimary: true },
        ],
      }),
    );
    await queryRunner.createIndex(
      'list_patient',
      new TableIndex({ name: 'IDX_list_patient_patient', columnNames: ['patientId'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('list_patient', 'IDX_list_patient_patient');
    await queryRunner.dropTable('list_patient');
    await queryRunner.dropIndex('appointment', 'IDX_appointment_slot');
    await queryRunner.dropIndex('appointment', 'IDX_appointment_patient');
    await queryRunner.dropTable('appointment');
    await queryRunner.dropIndex('slot', 'IDX_slot_timebook_start');
    await queryRunner.dropTable('slot');
    await queryRunner.dropIndex('timebook', 'IDX_timebook_her_id');
    await queryRunner.dropTable('timebook');
  }
}
