/**
 * The admin server as main.ts starts it (`startAdmin`): what the transport's relay sends is timed from
 * each outgoing message's creation (`timebok_outbox_send_delay_seconds`), and the pipeline's trail rows,
 * written in the background, are all in the table after `flushTrail` (what main.ts calls when stopping).
 */
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { TrailEntity } from '../../../src/admin/admin.entities.js';
import { startAdmin } from '../../../src/admin/runtime.js';
import type { OutboxRow } from '../../../src/inbox/message.entities.js';
import { OutboxRelay } from '../../../src/outbox/outbox.relay.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { RT_FILE, read, staffWorld } from '../staff/world.js';

let schemas: SchemaSet;
beforeAll(async () => {
  schemas = await loadSchemaSet();
});
afterAll(() => schemas.dispose());

test('startAdmin: the relay feeds the send-delay histogram; flushTrail writes the trail rows handed over', async () => {
  const world = await staffWorld(schemas);
  const sentAt: string[] = [];
  const relay = new OutboxRelay(
    world.app.db,
    {
      publish: async () => undefined,
      publishMany: async (rows: OutboxRow[]) => {
        sentAt.push(...rows.map((r) => r.createdAt));
        return rows.map(() => null);
      },
    },
    world.clock,
    silentLogger,
  );
  const admin = await startAdmin({
    settings: { port: 0, host: '127.0.0.1', tokensFile: null, retentionDays: 90, registryMaxAgeDays: 30 },
    db: world.app.db,
    clock: world.clock,
    logger: silentLogger,
    staff: world.staff,
    pipeline: world.app.pipeline,
    protection: null,
    registryFile: null,
    spoolDir: null,
    relay,
  });
  try {
    const outcome = await world.deliver(read(RT_FILE));
    const msgId = outcome.msgId as string;
    // held for staff: an AppRec goes out now; 2.5 s later by the world's clock the relay sends it
    world.clock.advance(2500);
    expect(await relay.drain()).toBe(outcome.outboxIds.length);
    const metrics = await (await fetch(`${admin.address}/metrics`)).text();
    expect(metrics).toMatch(/^timebok_outbox_send_delay_seconds_count\{kind="apprec"\} 1$/m);
    expect(metrics).toMatch(/^timebok_outbox_send_delay_seconds_sum\{kind="apprec"\} 2\.5$/m);
    expect(metrics).toMatch(/^timebok_outbox_send_delay_seconds_bucket\{le="5",kind="apprec"\} 1$/m);
    expect(metrics).toMatch(/^timebok_outbox_send_delay_seconds_bucket\{le="2\.5",kind="apprec"\} 1$/m);
    expect(metrics).toMatch(/^timebok_outbox_send_delay_seconds_bucket\{le="1",kind="apprec"\} 0$/m);
    // one `processed` trail row per message, in the table after the flush
    await world.deliver(read(RT_FILE).replace(msgId, `${msgId}-2`), 'second.xml');
    await admin.flushTrail();
    const trail = await world.app.db.manager.getRepository(TrailEntity).find({ where: { stage: 'processed' } });
    expect(trail.map((r) => r.msgId).sort()).toEqual([msgId, `${msgId}-2`].sort());
    expect(sentAt).toHaveLength(outcome.outboxIds.length);
  } finally {
    await admin.stop();
    await world.close();
  }
});
