import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Database } from '../../../src/db/database.js';
import { RegistryMigration1732233600000 } from '../../../src/db/migrations/1732233600000-registry.js';
import { registryEntities } from '../../../src/registry/registry.entities.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** test/fixtures/registry/<name> */
export function registryFixture(name: string): string {
  return path.resolve(here, '../../fixtures/registry', name);
}

/** fixtures/demo/registry.json */
export const DEMO_REGISTRY = path.resolve(here, '../../../fixtures/demo/registry.json');

export function openRegistryDb(): Promise<Database> {
  return Database.open({
    url: ':memory:',
    entities: registryEntities,
    migrations: [RegistryMigration1732233600000],
  });
}
