import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A generation counter for the timebook definitions (docs/decisions.md §33): one row,
 * bumped by a trigger on every write to `timebook`, whoever writes (an import, staff, the admin API,
 * another process, a person with psql). Each process caches the definitions and compares the counter
 * once per transaction: a changed counter drops the cache.
 */
export class TimebookGenerationMigration1733000000000 implements MigrationInterface {
  name = 'TimebookGenerationMigration1733000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE timebook_generation (id integer PRIMARY KEY, n bigint NOT NULL)');
    await q.query('INSERT INTO timebook_generation (id, n) VALUES (1, 0)');
    if (q.connection.options.type === 'postgres') {
      await q.query(`CREATE FUNCTION timebok_bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN UPDATE timebook_generation SET n = n + 1 WHERE id = 1; RETURN NULL; END $$`);
      await q.query(`CREATE TRIGGER timebook_generation_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON timebook
        FOR EACH STATEMENT EXECUTE FUNCTION timebok_bump_generation()`);
      return;
    }
    for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
      await q.query(`CREATE TRIGGER timebook_generation_${op.toLowerCase()} AFTER ${op} ON timebook
        BEGIN UPDATE timebook_generation SET n = n + 1 WHERE id = 1; END`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    if (q.connection.options.type === 'postgres') {
      await q.query('DROP TRIGGER timebook_generation_bump ON timebook');
      await q.query('DROP FUNCTION timebok_bump_generation()');
    } else {
      for (const op of ['insert', 'update', 'delete']) await q.query(`DROP TRIGGER timebook_generation_${op}`);
    }
    await q.query('DROP TABLE timebook_generation');
  }
}
