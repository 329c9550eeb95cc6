/**
 * The embedded default side by side: 400 ReserverAvtale through the whole pipeline in-process on SQLite
 * (WAL, synchronous=FULL), plain XML, without and with the outbox relay drained after each message (as the
 * spool consumer does). Prints requests/s, CPU and wall time per request. `npx tsx scripts/bench-embedded.ts`;
 * to compare with an older commit, run the same file in a checkout of it (docs/performance.md).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, importSetup } from '../src/app.js';
import { DEFAULT_XML_LIMITS } from '../src/envelope/types.js';
import { loadSchemaSet } from '../src/envelope/schema.validator.js';
import { OutboxRelay } from '../src/outbox/outbox.relay.js';
import { systemClock } from '../src/shared/clock.js';
import { silentLogger } from '../src/shared/logger.js';
import { makeWorld, reserveXml, syntheticFnr } from './support/amqp-world.js';
const schemas = await loadSchemaSet();
const dir = mkdtempSync(join(tmpdir(), 'tb-sq-'));
for (const drain of [false, true]) {
  const world = await makeWorld({ slots: 12, capacity: 100, declare: false });
  const app = await createApp({ databaseUrl: `sqlite:${join(dir, `rt-${drain}.sqlite`)}`, clock: systemClock, logger: silentLogger, limits: DEFAULT_XML_LIMITS, acceptSyntheticIds: true, schemas });
  await importSetup(app, world.registryFile, world.timebooksFile);
  const relay = new OutboxRelay(app.db, { publish: async () => undefined, publishMany: async (rows) => rows.map(() => null) }, app.clock, silentLogger);
  const n = 400;
  const bodies = Array.from({ length: n }, (_, i) => Buffer.from(reserveXml(`rt-${i}`, syntheticFnr(i), world.slotIds[Math.floor(i / 100)] as string)));
  const t = performance.now();
  let cpu = process.cpuUsage();
  for (const [i, body] of bodies.entries()) {
    await app.pipeline.process({ transport: 'spool', queue: 'lab_async', body, messageId: `rt${i}` });
    if (drain) await relay.drain();
  }
  const wall = performance.now() - t; cpu = process.cpuUsage(cpu);
  console.log({ drain, per_s: Math.round((n * 1000) / wall), cpu_ms_per_req: ((cpu.user + cpu.system) / 1000 / n).toFixed(2), wall_ms_per_req: (wall / n).toFixed(2) });
  await app.close(); world.cleanup();
}
schemas.dispose();
