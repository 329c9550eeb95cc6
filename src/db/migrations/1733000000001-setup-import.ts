import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the last set-up import read (a digest of registry.json, timebooks.json and our HER-ids): a start
 * with the same files skips the import (docs/decisions.md §34).
 */
export class SetupImportMigration1733000000001 implements MigrationInterface {
  name = 'SetupImportMigration1733000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE setup_import (id integer PRIMARY KEY, digest varchar(64) NOT NULL, imported_at varchar(32) NOT NULL)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE setup_import');
  }
}
