import path from 'node:path';
import { FileRegistrySource, loadRegistryFile } from '../../../src/registry/registry.file.js';
import { TimebokError } from '../../../src/shared/errors.js';
import { DEMO_REGISTRY, registryFixture } from './helpers.js';

async function loadError(file: string): Promise<TimebokError> {
  try {
    await loadRegistryFile(registryFixture(file));
  } catch (e) {
    if (e instanceof TimebokError) return e;
    throw e;
  }
  throw new Error(`${file} was accepted`);
}

describe('loadRegistryFile', () => {
  it('reads the demo registry with every party and no warnings', async () => {
    const file = await loadRegistryFile(DEMO_REGISTRY);
    expect(file.parties.map((p) => p.herId)).toEqual([
      115851, 8093248, 8142519, 8142520, 8142521, 8142522, 8142529, 8142530,
    ]);
    expect(file.warnings).toEqual([]);
    expect(file.generatedAt).toBe('2026-03-01T06:00:00+01:00');
  });

  it('resolves certificate paths against the folder of the file', async () => {
    const file = await loadRegistryFile(DEMO_REGISTRY);
    const office = file.parties.find((p) => p.herId === 8142519);
    const demoDir = path.dirname(DEMO_REGISTRY);
    expect(office?.certificates).toEqual({
      signing: path.join(demoDir, 'certs/8142519-sign.pem'),
      encryption: path.join(demoDir, 'certs/8142519-enc.pem'),
    });
  });

  it('fills the defaults: active true, no processes, no queues, null parent', async () => {
    const file = await loadRegistryFile(registryFixture('world.json'));
    const department = file.parties.find((p) => p.herId === 110);
    expect(department).toEqual({
      herId: 110,
      name: 'Avdeling Ti',
      type: 'Department',
      parentHerId: 100,
      organizationNumber: null,
      hprNumber: null,
      active: true,
      processes: [],
      queues: null,
      certificates: null,
    });
    expect(file.parties.find((p) => p.herId === 140)?.active).toBe(false);
  });

  it('reads one certificate path as the certificate for both uses', async () => {
    const file = await loadRegistryFile(registryFixture('world.json'));
    const both = registryFixture('certs/120-both.pem');
    expect(file.parties.find((p) => p.herId === 120)?.certificates).toEqual({ signing: both, encryption: both });
  });

  it.each([
    ['duplicate-herid.json', 'parties[2].herId'],
    ['unknown-parent.json', 'parties[1].parentHerId'],
    ['parent-cycle.json', 'parties[1].parentHerId'],
    ['self-parent.json', 'parties[1].parentHerId'],
    ['unknown-key.json', 'parties[1].queus'],
    ['unknown-queue-key.json', 'parties[0].queues.syncreply'],
    ['unknown-top-key.json', 'ours'],
    ['wrong-type.json', 'parties[0].type'],
    ['herid-as-string.json', 'parties[1].herId'],
    ['herid-negative.json', 'parties[0].herId'],
    ['missing-name.json', 'parties[0].name'],
    ['incomplete-queues.json', 'parties[0].queues.error'],
    ['empty-certificates.json', 'parties[0].certificates'],
    ['bad-organization-number.json', 'parties[0].organizationNumber'],
    ['active-as-string.json', 'parties[0].active'],
    ['process-not-string.json', 'parties[0].processes[1]'],
    ['bad-generated-at.json', 'generatedAt'],
    ['missing-parties.json', 'parties'],
    ['not-an-object.json', ''],
  ])('rejects invalid/%s with ERR_SETUP_FILE at %s', async (file, jsonPath) => {
    const error = await loadError(`invalid/${file}`);
    expect(error.code).toBe('ERR_SETUP_FILE');
    expect(error.disposition).toBe('crash');
    expect(error.detail?.path).toBe(jsonPath);
    if (jsonPath !== '') expect(error.message).toContain(jsonPath);
  });

  it('names the HER-ids of a parent cycle', async () => {
    const error = await loadError('invalid/parent-cycle.json');
    expect(error.message).toContain('11 → 13 → 12 → 11');
  });

  it.each([
    ['trailing-comma.json', 4, 63],
    ['bare-word.json', 4, 73],
    ['empty.json', 1, 1],
  ])('reports where invalid/%s stops being JSON (line %i, column %i)', async (file, line, column) => {
    const error = await loadError(`invalid/${file}`);
    expect(error.code).toBe('ERR_SETUP_FILE');
    expect(error.detail).toMatchObject({ line, column });
    expect(error.message).toContain(`line ${line}, column ${column}`);
  });

  it('never quotes the file content (a name) in a JSON syntax error', async () => {
    const error = await loadError('invalid/bare-word.json');
    expect(error.message).not.toContain('Kari');
  });

  it('reports a missing file as ERR_SETUP_FILE', async () => {
    const error = await loadError('no-such-registry.json');
    expect(error.code).toBe('ERR_SETUP_FILE');
  });

  it('warns about a Person or Service without parent and without queues, and accepts it', async () => {
    const file = await loadRegistryFile(registryFixture('orphans.json'));
    expect(file.parties).toHaveLength(4);
    expect(file.warnings.map((w) => w.path)).toEqual(['parties[0].queues', 'parties[3].queues']);
  });
});

describe('FileRegistrySource', () => {
  it('answers a party of the file as written, and null for another HER-id', async () => {
    const source = new FileRegistrySource(await loadRegistryFile(DEMO_REGISTRY));
    expect((await source.fetchParty(8142520))?.queues).toBeNull();
    expect((await source.fetchParty(8142520))?.name).toBe('Vaksinasjon');
    expect(await source.fetchParty(1)).toBeNull();
  });
});
