import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Registry cache: the imported registry.json snapshot and the HER-ids this Timebok serves. */
export class RegistryMigration1732233600000 implements MigrationInterface {
  name = 'RegistryMigration1732233600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'registry_party',
        columns: [
          { name: 'herId', type: 'integer', isPrimary: true },
          { name: 'name', type: 'varchar', length: '500' },
          { name: 'type', type: 'varchar', length: '20' },
          { name: 'parentHerId', type: 'integer', isNullable: true },
          { name: 'organizationNumber', type: 'varchar', length: '20', isNullable: true },
          { name: 'hprNumber', type: 'varchar', length: '20', isNullable: true },
          { name: 'active', type: 'boolean' },
          // simple-json columns are text on every dialect
          { name: 'processes', type: 'text' },
          { name: 'queues', type: 'text', isNullable: true },
          { name: 'certificates', type: 'text', isNullable: true },
          { name: 'source', type: 'varchar', length: '4096' },
          { name: 'importedAt', type: 'varchar', length: '32' },
        ],
      }),
    );
    await queryRunner.createIndex(
      'registry_party',
      new TableIndex({ name: 'IDX_registry_party_parent', columnNames: ['parentHerId'] }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'registry_our_party',
        columns: [{ name: 'herId', type: 'integer', isPrimary: true }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('registry_our_party');
    await queryRunner.dropIndex('registry_party', 'IDX_registry_party_parent');
    await queryRunner.dropTable('registry_party');
  }
}
