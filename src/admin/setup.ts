import { importSetup, type App, type SetupSummary } from '../app.js';
import { importRegistry, setOurParties } from '../registry/registry.import.js';
import { loadRegistryFile } from '../registry/registry.file.js';
import { TimebookEntity } from '../timebook/timebook.entities.js';
import { TimebookChangeEntity } from './admin.entities.js';

/**
 * The start-up import with the admin API in mind: timebooks.json sets a new installation up, but once
 * timebooks were changed through the API (a `timebook_change` row exists), the database is the source
 * of the books and the file is no longer imported (it would undo those changes and retire books made
 * through the API). The registry is imported either way.
 */
export async function importSetupRespectingApi(app: App, registryFile: string, timebooksFile: string, extraOurs: number[]): Promise<SetupSummary & { timebooksFromFile: boolean }> {
  const managed = (await app.db.manager.getRepository(TimebookChangeEntity).count()) > 0;
  if (!managed) return { ...(await importSetup(app, registryFile, timebooksFile, extraOurs)), timebooksFromFile: true };
  return app.db.exclusive('setup-import', async () => {
    const registry = await loadRegistryFile(registryFile);
    await importRegistry(app.db, registry, registryFile, app.clock);
    const books = await app.db.manager.getRepository(TimebookEntity).find({ where: { retired: false } });
    const ours = [...new Set([...books.map((b) => Number(b.herId)), ...extraOurs])].sort((a, b) => a - b);
    await setOurParties(app.db, ours);
    app.registry.invalidate();
    return { parties: registry.parties.length, timebooks: books.length, ourHerIds: ours, timebooksFromFile: false };
  });
}
