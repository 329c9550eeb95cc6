/**
 * The simulator against Timebok's RabbitMQ transport (AMQP 0.9.1): a short scenario (look-up, book,
 * cancel, a non-CMS body, a missing AMQP field) and `simulate check`, over a real broker with CMS both
 * ways. Run under `flock -s /tmp/timebok-services.lock`.
 */
import { join } from 'node:path';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { runCheck } from '../../../src/simulate/check.js';
import { runLoad } from '../../../src/simulate/load.js';
import { runScenario } from '../../../src/simulate/runner.js';
import { loadScenarios } from '../../../src/simulate/scenario.js';
import { openSimulator, parseSettings, type OpenSimulator } from '../../../src/simulate/settings.js';
import { HELSENORGE } from '../../fixtures/protection/pki.js';
import { freshDatabase } from '../pg.js';
import { AMQP_URL, deleteWorldQueues, HN_SERVICE, LAB, makeWorld, startTimebok, type World } from '../amqp/world.js';

let schemas: SchemaSet;
let db: { url: string; drop: () => Promise<void> };
let world: World;
let timebok: { stop(): Promise<void> };
let sim: OpenSimulator;

beforeAll(async () => {
  schemas = await loadSchemaSet();
  db = await freshDatabase('simulator');
  world = await makeWorld({ slots: 20, capacity: 1 });
  timebok = await startTimebok(world, db.url, schemas);
  const hn = world.pki.parties[HELSENORGE]!;
  const settings = parseSettings(
    {
      herId: HN_SERVICE,
      registry: world.registryFile,
      keys: {
        signing: { key: hn.signing.keyPath, certificate: hn.signing.certPath },
        decryption: { key: hn.encryption.keyPath, certificate: hn.encryption.certPath },
        trust: { anchors: [world.pki.rootCa.certPath], intermediates: [world.pki.issuingCa.certPath], crls: [world.pki.crls.root, world.pki.crls.issuing] },
      },
      transport: { kind: 'amqp091', url: AMQP_URL },
      syncReplyQueue: world.queues.hnSyncReply,
    },
    world.dir,
  );
  sim = await openSimulator(settings);
});

afterAll(async () => {
  await sim?.close();
  await timebok?.stop();
  await deleteWorldQueues(world);
  world?.cleanup();
  await db?.drop();
  schemas?.dispose();
});

describe('simulate over AMQP 0.9.1 against a running Timebok', () => {
  it('runs look-up → book → cancel and the fault steps with every expectation met', async () => {
    const [scenario] = loadScenarios(join(import.meta.dirname, 'amqp-world.yaml'));
    const result = await runScenario(scenario!, { simulator: sim.simulator, registry: sim.registry });
    const failed = result.steps.filter((s) => !s.passed).map((s) => `${s.name}: ${s.differences.join('; ')}`);
    expect(failed).toEqual([]);
    expect(result.steps.map((s) => s.summary)).toEqual([
      expect.stringMatching(/^reply 03 .*20 VEVENTs$/),
      expect.stringMatching(/^AppRec 1; reply 05/),
      expect.stringMatching(/^AppRec 1; reply 08/),
      'error queue transport:invalid-cms-pkcs',
      'error queue transport:invalid-field-value',
    ]);
  });

  it('check explains a working set-up in one OK line', async () => {
    const result = await runCheck({ simulator: sim.simulator, registry: sim.registry, herId: LAB });
    expect(result.ok).toBe(true);
    expect(result.lines).toContainEqual(expect.stringMatching(/^OK: a signed and encrypted SvarLedigeTimer came back in \d+ ms: 03 Ledige timer with 20 free slot/));
  });

  it('load: virtual citizens look up, book and cancel; every request is answered, none with a protocol problem', async () => {
    const summary = await runLoad({ simulator: sim.simulator, registry: sim.registry, to: LAB, citizens: 3, rate: 0, flows: 6, durationMs: 60_000, cancelRatio: 1 });
    expect(summary.flows).toBe(6);
    expect(summary.functions.HLT).toMatchObject({ sent: 6, answered: 6, timeouts: 0, byCode: { '03': 6 } });
    expect(summary.functions.RT.sent).toBe(6);
    expect(summary.functions.RT.answered).toBe(6);
    expect(Object.keys(summary.functions.RT.byCode).every((c) => c === '05' || c === '06')).toBe(true);
    expect(summary.functions.ART).toMatchObject({ sent: summary.functions.RT.byCode['05'] ?? 0, timeouts: 0 });
    expect(Object.keys(summary.functions.ART.byCode)).toEqual(summary.functions.ART.sent > 0 ? ['08'] : []);
    expect(summary.problems).toBe(0);
    expect(summary.errorReports).toBe(0);
    expect(summary.functions.HLT.p50Ms).not.toBeNull();
  });

  it('check says so when the HER-id is not in the registry, and sends nothing', async () => {
    const result = await runCheck({ simulator: sim.simulator, registry: sim.registry, herId: 999 });
    expect(result.ok).toBe(false);
    expect(result.lines).toEqual([expect.stringContaining('HER-id 999 is not in the registry file')]);
  });
});
