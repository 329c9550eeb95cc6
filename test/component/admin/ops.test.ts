import { mkdirSync, existsSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { TrailEntity } from '../../../src/admin/admin.entities.js';
import { TimebokMetrics } from '../../../src/admin/metrics.js';
import { observePipeline } from '../../../src/admin/observe.js';
import { TrailWriter } from '../../../src/admin/trail-writer.js';
import { RetentionJob } from '../../../src/admin/retention.js';
import { metricsSource, readinessChecks } from '../../../src/admin/runtime.js';
import { OutboxEntity } from '../../../src/inbox/message.entities.js';
import { PartyEntity } from '../../../src/registry/registry.entities.js';
import { silentLogger } from '../../../src/shared/logger.js';
import type { TestPki } from '../../../scripts/support/test-pki.js';
import { HELSENORGE as HN_PKI, US, sharedTestPki } from '../../fixtures/protection/pki.js';
import { PATIENT, RT_FILE, read } from '../staff/world.js';
import { OPERATOR, adminWorld, type AdminWorld } from './world.js';

/** Health, metrics, the message trail decorator and retention (issue 11, parts 3 and 4). */
let schemas: SchemaSet;
let pki: TestPki;
beforeAll(async () => {
  schemas = await loadSchemaSet();
  pki = await sharedTestPki();
});
afterAll(() => schemas.dispose());

async function observedWorld(spoolDir: string | null = null): Promise<{ world: AdminWorld; metrics: TimebokMetrics; retention: RetentionJob }> {
  let world: AdminWorld | null = null;
  const holder: { w: AdminWorld | null } = { w: null };
  const party = pki.parties[US]!;
  const protection = {
    signing: { key: party.signing.keyPath, certificate: party.signing.certPath },
    decryption: { key: party.encryption.keyPath, certificate: party.encryption.certPath },
    legacyDecryption: null,
    trust: { anchors: [pki.rootCa.certPath], intermediates: [], crls: [], revocation: 'none' as const },
  };
  // The world's db and clock exist only after it is built: the source reads them through the holder.
  const lazy = {
    get db() {
      return holder.w!.app.db;
    },
  };
  const source = () => metricsSource({ db: lazy.db, trail: TrailWriter.of(lazy.db, silentLogger), clock: holder.w!.clock, protection, spoolDir });
  const metrics = new TimebokMetrics({
    now: () => source().now(),
    outbox: () => source().outbox(),
    deadLetters: () => source().deadLetters(),
    registryAgeSeconds: () => source().registryAgeSeconds(),
    certificates: () => source().certificates(),
    groupCommit: () => source().groupCommit!(),
    trail: () => source().trail!(),
  });
  const retentionRef: { r: RetentionJob | null } = { r: null };
  world = await adminWorld(schemas, {
    metrics,
    readiness: readinessChecks({ now: () => source().now(), outbox: () => source().outbox(), deadLetters: () => source().deadLetters(), registryAgeSeconds: () => source().registryAgeSeconds(), certificates: () => source().certificates() }, { registryMaxAgeDays: 30 }),
    retention: { run: () => retentionRef.r!.run() },
  });
  holder.w = world;
  observePipeline(world.app.pipeline, { db: world.app.db, clock: world.clock, logger: silentLogger, metrics });
  retentionRef.r = new RetentionJob({ db: world.app.db, clock: world.clock, logger: silentLogger, days: 90, spoolDir });
  return { world, metrics, retention: retentionRef.r };
}

test('/metrics: messages by process, function and outcome, latency, outbox backlog and age, dead letters, registry age, certificate days', async () => {
  const spool = mkdtempSync(join(tmpdir(), 'timebok-spool-'));
  mkdirSync(join(spool, '91095_async', 'error'), { recursive: true });
  writeFileSync(join(spool, '91095_async', 'error', 'bad.xml'), '<x/>');
  writeFileSync(join(spool, '91095_async', 'error', 'bad.xml.reason.txt'), 'why');
  const { world } = await observedWorld(spool);
  try {
    await world.app.db.manager.getRepository(PartyEntity).update({ herId: 8093248 }, { certificates: { signing: pki.parties[HN_PKI]!.signing.certPath, encryption: null } });
    await world.deliver(read(RT_FILE));
    world.clock.advance(90_000);
    const text = (await world.call('GET', '/metrics', { token: null })).text;
    expect(text).toMatch(/^timebok_messages_total\{process="DIALOG_INNBYGGER_TIMERESERVASJON",function="RT",outcome="pending"\} 1$/m);
    expect(text).toMatch(/^timebok_processing_seconds_count\{process="DIALOG_INNBYGGER_TIMERESERVASJON"\} 1$/m);
    expect(text).toMatch(/^timebok_outbox_unsent 1$/m);
    expect(text).toMatch(/^timebok_outbox_oldest_unsent_seconds 90$/m);
    expect(text).toMatch(/^timebok_dead_letters 1$/m);
    expect(text).toMatch(/^timebok_registry_age_seconds 90$/m);
    // the one request: one transaction (group commit with nothing else in flight), no fallback
    expect(text).toMatch(/^timebok_db_message_transactions_total 1$/m);
    expect(text).toMatch(/^timebok_db_message_transaction_messages_total 1$/m);
    expect(text).toMatch(/^timebok_db_group_fallbacks_total 0$/m);
    // the trail row was written in the background, nothing dropped or refused
    expect(text).toMatch(/^timebok_trail_rows_dropped_total 0$/m);
    expect(text).toMatch(/^timebok_trail_write_failures_total 0$/m);
    // The clock stands at 1 July 2019: the certificates (valid 2020-2045) are far off their end.
    expect(text).toMatch(/^timebok_certificate_expiry_days\{owner="ours",her_id="",use="signing"\} 9315$/m);
    expect(text).toMatch(/^timebok_certificate_expiry_days\{owner="ours",her_id="",use="encryption"\} 9315$/m);
    expect(text).toMatch(/^timebok_certificate_expiry_days\{owner="counterparty",her_id="8093248",use="signing"\} 9315$/m);
    const ready = await world.call('GET', '/readyz', { token: null });
    expect(ready.json.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok])).toEqual([['database', true], ['registry', true], ['certificates', true]]);
    world.clock.advance(31 * 86_400_000);
    const stale = await world.call('GET', '/readyz', { token: null });
    expect(stale.status).toBe(503);
    expect(stale.json.checks.find((c: { name: string }) => c.name === 'registry')).toMatchObject({ ok: false });
  } finally {
    await world.close();
  }
});

test('the decorator records transport, protection and duration in the trail; a message the pipeline cannot read is reported', async () => {
  const { world } = await observedWorld();
  try {
    await world.deliver(read(RT_FILE), 'rt.xml');
    await world.deliver('<not-xml', 'broken.xml');
    // The rows are written in the background (docs/decisions.md §43); a flush writes what is handed over.
    await TrailWriter.existing(world.app.db)?.flush();
    const rows = await world.app.db.manager.getRepository(TrailEntity).find({ order: { at: 'ASC' } });
    expect(rows.map((r) => [r.stage, r.detail?.transportMessageId])).toEqual([['processed', 'rt.xml'], ['processed', 'broken.xml']]);
    expect(rows[0]).toMatchObject({ process: 'DIALOG_INNBYGGER_TIMERESERVASJON', functionCode: 'RT', detail: expect.objectContaining({ transport: 'replay', protection: 'plain' }) });
    expect(JSON.stringify(rows)).not.toContain(PATIENT);
    const msgId = (await world.requests())[0]!.msgId;
    const trail = await world.call('GET', `/api/messages/${msgId}/trail`, { token: OPERATOR });
    expect(trail.json.steps[1]).toMatchObject({ stage: 'processed', summary: expect.stringMatching(/^pending: .*plain XML, \d+ ms$/) });
  } finally {
    await world.close();
  }
});

test('retention: bodies, stored replies and processed spool files older than RETENTION_DAYS are gone; the trail remains', async () => {
  const spool = mkdtempSync(join(tmpdir(), 'timebok-spool-'));
  const processed = join(spool, '91095_async', 'processed');
  mkdirSync(processed, { recursive: true });
  const old = join(processed, 'old.xml');
  const recent = join(processed, 'recent.xml');
  writeFileSync(old, read(RT_FILE));
  writeFileSync(recent, read(RT_FILE));
  const { world } = await observedWorld(spool);
  try {
    await world.deliver(read(RT_FILE), 'rt.xml');
    const id = (await world.requests())[0]!.id;
    await world.call('POST', `/api/requests/${id}/confirm`, { body: {} });
    const msgId = (await world.requests())[0]!.msgId;
    const before = await world.call('GET', `/api/messages/${msgId}/trail`);
    await world.app.db.manager.query('UPDATE outbox_message SET sent_at = ?', [world.clock.now().toISOString()]);
    world.clock.advance(91 * 86_400_000);
    const now = world.clock.now().getTime() / 1000;
    utimesSync(old, now - 92 * 86_400, now - 92 * 86_400);
    utimesSync(recent, now - 10 * 86_400, now - 10 * 86_400);

    const result = await world.call('POST', '/api/retention/run', { token: OPERATOR });
    expect(result.json).toMatchObject({ outboxDeleted: 2, spoolFilesDeleted: 1 });
    expect(await world.app.db.manager.getRepository(OutboxEntity).count()).toBe(0);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    // The trail keeps what happened: the same steps, the outgoing ones marked as archived.
    const after = await world.call('GET', `/api/messages/${msgId}/trail`);
    expect(after.json.steps.map((s: { stage: string }) => s.stage)).toEqual(before.json.steps.map((s: { stage: string }) => s.stage));
    expect(after.json.steps.filter((s: { stage: string }) => s.stage === 'outgoing').map((s: { summary: string }) => s.summary)).toEqual([
      expect.stringMatching(/^apprec 1 .*body deleted by retention/),
      expect.stringMatching(/^reply 05 .*body deleted by retention/),
    ]);
    const trailRows = JSON.stringify(await world.app.db.manager.getRepository(TrailEntity).find());
    for (const secret of [PATIENT, 'Danser', 'Folke']) expect(trailRows).not.toContain(secret);
    // Unsent rows are never deleted.
    expect((await world.call('POST', '/api/retention/run', { token: OPERATOR })).json.outboxDeleted).toBe(0);
  } finally {
    await world.close();
  }
});
