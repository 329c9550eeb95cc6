import { Database } from './db/database.js';
import { ALL_ENTITIES, ALL_MIGRATIONS } from './db/schema.js';
import { loadSchemaSet, type SchemaSet } from './envelope/schema.validator.js';
import type { XmlLimits } from './envelope/types.js';
import { Pipeline, type Unprotector } from './pipeline/pipeline.js';
import { PlainXmlUnprotector } from './protection/plain.unprotector.js';
import { importRegistry, setOurParties } from './registry/registry.import.js';
import { loadRegistryFile } from './registry/registry.file.js';
import { RegistryService } from './registry/registry.service.js';
import { importTimebooks, loadTimebooksFile } from './timebook/timebook.import.js';
import { TimebookService } from './timebook/timebook.service.js';
import type { Clock } from './shared/clock.js';
import type { Logger } from './shared/logger.js';

export interface AppOptions {
  databaseUrl: string;
  clock: Clock;
  logger: Logger;
  limits: XmlLimits;
  acceptSyntheticIds: boolean;
  /** HER-ids served besides the owners of timebooks (DECISIONS 1). */
  ourHerIds?: number[];
  /** A compiled schema set to share (tests compile it once); loaded when absent. */
  schemas?: SchemaSet;
  unprotector?: Unprotector;
  /** Accept unprotected XML on the spool/replay (default true; see ALLOW_PLAIN_XML). */
  allowPlainXml?: boolean;
}

/** Everything one Timebok process holds, wired together; transports are added by the caller. */
export interface App {
  db: Database;
  schemas: SchemaSet;
  registry: RegistryService;
  timebooks: TimebookService;
  pipeline: Pipeline;
  clock: Clock;
  logger: Logger;
  close(): Promise<void>;
}

/** Composition of the stages (no transport): database, schemas, registry, timebooks, pipeline. */
export async function createApp(options: AppOptions): Promise<App> {
  const db = await Database.open({ url: options.databaseUrl, entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS });
  const ownSchemas = options.schemas === undefined;
  const schemas = options.schemas ?? (await loadSchemaSet());
  const registry = new RegistryService(db);
  const timebooks = new TimebookService(options.clock, {
    // The book's HER-id is a service or a practitioner; its office is its level-1 parent (DECISIONS 25).
    practitionersOfOffice: async (bookHerId: number) => {
      const party = await registry.getParty(bookHerId);
      const officeHerId = party?.parentHerId ?? bookHerId;
      return registry.practitionersOfOffice(officeHerId);
    },
  });
  const pipeline = new Pipeline({
    db,
    schemas,
    registry,
    timebooks,
    unprotector: options.unprotector ?? new PlainXmlUnprotector(options.allowPlainXml ?? true),
    clock: options.clock,
    logger: options.logger,
    settings: { limits: options.limits, acceptSyntheticIds: options.acceptSyntheticIds },
  });
  return {
    db,
    schemas,
    registry,
    timebooks,
    pipeline,
    clock: options.clock,
    logger: options.logger,
    async close() {
      await db.close();
      if (ownSchemas) schemas.dispose();
    },
  };
}

export interface SetupSummary {
  parties: number;
  timebooks: number;
  ourHerIds: number[];
}

/**
 * Imports registry.json and timebooks.json (both idempotent) and records which parties are ours: the
 * owners of timebooks plus the configured HER-ids (DECISIONS 1, 2).
 */
export async function importSetup(app: App, registryFile: string, timebooksFile: string, extraOurs: number[] = []): Promise<SetupSummary> {
  const registryData = await loadRegistryFile(registryFile);
  const timebookData = await loadTimebooksFile(timebooksFile);
  await importRegistry(app.db, registryData, registryFile, app.clock);
  await importTimebooks(app.db, timebookData, app.clock);
  const ours = [...new Set([...timebookData.timebooks.map((t) => t.herId), ...extraOurs])].sort((a, b) => a - b);
  await setOurParties(app.db, ours);
  app.registry.invalidate();
  return { parties: registryData.parties.length, timebooks: timebookData.timebooks.length, ourHerIds: ours };
}
