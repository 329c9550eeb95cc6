/**
 * The simulator's own AMQP 1.0 client (rhea) on RabbitMQ's AMQP 1.0 plugin, in NHN's dialect: senders on
 * `/exchange/<exchange>/<queue>`, receivers on `/amq/queue/<queue>`.
 *
 * 1. Every §2.3 field survives the broker between two AMQP 1.0 peers (both address forms).
 * 2. The short scenario runs against Timebok's pipeline reached over AMQP 1.0. Timebok's own AMQP 1.0
 *    transport is being built separately, so the practice side here is a small test bridge: an AMQP 1.0
 *    receiver feeding `app.pipeline`, and the outbox relay publishing Timebok's encoded answers over
 *    AMQP 1.0. (RabbitMQ 3.10 does not carry application properties between 1.0 and 0.9.1 clients,
 *    so the 0.9.1 transport cannot stand in.)
 *
 * Needs rabbitmq_amqp1_0 enabled. Run under `flock -s /tmp/timebok-services.lock`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { createApp, importSetup, type App } from '../../../src/app.js';
import { DEFAULT_XML_LIMITS } from '../../../src/envelope/types.js';
import type { OutboxRow } from '../../../src/inbox/message.entities.js';
import { OutboxRelay } from '../../../src/outbox/outbox.relay.js';
import { runScenario } from '../../../src/simulate/runner.js';
import { loadScenarios } from '../../../src/simulate/scenario.js';
import { openSimulator, parseSettings, type OpenSimulator } from '../../../src/simulate/settings.js';
import { Amqp10Transport } from '../../../src/simulate/transport/amqp10.transport.js';
import type { InboundWire } from '../../../src/simulate/transport/wire.js';
import { systemClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { HELSENORGE } from '../../fixtures/protection/pki.js';
import { AMQP_URL, deleteWorldQueues, HN_SERVICE, makeWorld, type World } from '../amqp/world.js';

const AMQP10_URL = AMQP_URL;

let world: World;
let exchange: string;
let dbDir: string;
let app: App;
let practice: Amqp10Transport;
let relay: OutboxRelay;
let sim: OpenSimulator;
const extraQueues: string[] = [];
let createdQueues: string[] = [];

/** Binds the queues to a test exchange of our own; declares (durable) only those that do not exist yet. */
async function declare(queues: string[], ex: string): Promise<string[]> {
  const conn = await amqp.connect(AMQP_URL);
  conn.on('error', () => undefined);
  const created: string[] = [];
  try {
    const ch = await conn.createChannel();
    await ch.assertExchange(ex, 'direct', { durable: false, autoDelete: false });
    for (const q of queues) {
      const probe = await conn.createChannel();
      probe.on('error', () => undefined);
      const exists = await probe.checkQueue(q).then(() => true, () => false);
      await probe.close().catch(() => undefined);
      if (!exists) {
        await ch.assertQueue(q, { durable: true });
        created.push(q);
      }
      await ch.bindQueue(q, ex, q);
    }
  } finally {
    await conn.close().catch(() => undefined);
  }
  return created;
}

async function remove(queues: string[], ex: string): Promise<void> {
  const conn = await amqp.connect(AMQP_URL);
  conn.on('error', () => undefined);
  for (const q of queues) {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    await ch.deleteQueue(q).catch(() => undefined);
    await ch.close().catch(() => undefined);
  }
  const ch = await conn.createChannel();
  ch.on('error', () => undefined);
  await ch.deleteExchange(ex).catch(() => undefined);
  await conn.close().catch(() => undefined);
}

function allQueues(): string[] {
  const q = world.queues;
  return [q.ourSync, q.ourAsync, q.ourError, q.hnAsync, q.hnError, q.hnSyncReply, ...extraQueues];
}

beforeAll(async () => {
  world = await makeWorld({ slots: 10, capacity: 1 });
  exchange = `${world.prefix}.simulator`;
  extraQueues.push(`${world.prefix}_roundtrip_a`, `${world.prefix}_roundtrip_b`);
  createdQueues = await declare(allQueues(), exchange);

  // The practice: Timebok's app behind a test bridge on AMQP 1.0.
  dbDir = mkdtempSync(join(tmpdir(), 'timebok-sim10-'));
  app = await createApp({ databaseUrl: `sqlite:${join(dbDir, 'db.sqlite')}`, clock: systemClock, logger: silentLogger, limits: DEFAULT_XML_LIMITS, acceptSyntheticIds: true, protection: world.protection });
  await importSetup(app, world.registryFile, world.timebooksFile);
  practice = new Amqp10Transport({ url: `${AMQP10_URL}/${exchange}` });
  relay = new OutboxRelay(
    app.db,
    {
      async publish(row: OutboxRow) {
        const encoded = await app.encoder.encode(row);
        await practice.send({
          queue: row.queue,
          body: encoded.body,
          messageId: row.id,
          correlationId: row.correlationId ?? row.id,
          ...(row.process ? { subject: row.process } : {}),
          ...(encoded.contentType ? { contentType: encoded.contentType } : {}),
          headers: { ...(row.fromHerId ? { fromHerId: String(row.fromHerId) } : {}), ...(row.toHerId ? { toHerId: String(row.toHerId) } : {}), applicationTimeStamp: new Date().toISOString(), ...row.properties },
        });
      },
    },
    systemClock,
    silentLogger,
  );
  let chain = Promise.resolve();
  const feed = (m: InboundWire) => {
    chain = chain.then(async () => {
      const from = Number(m.headers.fromHerId);
      const to = Number(m.headers.toHerId);
      await app.pipeline.process({
        transport: 'amqp',
        queue: m.queue,
        body: m.body,
        messageId: m.messageId ?? randomUUID(),
        ...(m.correlationId ? { correlationId: m.correlationId } : {}),
        ...(m.replyTo ? { replyTo: m.replyTo } : {}),
        ...(m.contentType ? { contentType: m.contentType } : {}),
        ...(m.subject ? { subject: m.subject } : {}),
        ...(Number.isInteger(from) && from > 0 ? { fromHerId: from } : {}),
        ...(Number.isInteger(to) && to > 0 ? { toHerId: to } : {}),
        ...(m.headers.applicationTimeStamp ? { applicationTimeStamp: m.headers.applicationTimeStamp } : {}),
      });
      await relay.drain();
    });
  };
  await practice.start([world.queues.ourSync, world.queues.ourAsync], feed);

  const hn = world.pki.parties[HELSENORGE]!;
  sim = await openSimulator(
    parseSettings(
      {
        herId: HN_SERVICE,
        registry: world.registryFile,
        keys: {
          signing: { key: hn.signing.keyPath, certificate: hn.signing.certPath },
          decryption: { key: hn.encryption.keyPath, certificate: hn.encryption.certPath },
          trust: { anchors: [world.pki.rootCa.certPath], intermediates: [world.pki.issuingCa.certPath], crls: [world.pki.crls.root, world.pki.crls.issuing] },
        },
        transport: { kind: 'amqp10', url: `${AMQP10_URL}/${exchange}` },
        syncReplyQueue: world.queues.hnSyncReply,
      },
      world.dir,
    ),
  );
});

afterAll(async () => {
  await sim?.close();
  await practice?.close();
  await app?.close();
  if (world) {
    await remove(createdQueues, exchange);
    await deleteWorldQueues(world);
  }
  world?.cleanup();
  if (dbDir) rmSync(dbDir, { recursive: true, force: true });
});

describe("the simulator's AMQP 1.0 client on RabbitMQ", () => {
  it('carries every protocol field between two AMQP 1.0 peers, through /exchange/<x>/<q> and /amq/queue/<q>', async () => {
    const [a, b] = extraQueues as [string, string];
    const viaExchange = new Amqp10Transport({ url: `${AMQP10_URL}/${exchange}` });
    const viaQueue = new Amqp10Transport({ url: AMQP10_URL });
    expect(viaExchange.sendAddressOf(a)).toBe(`/exchange/${exchange}/${a}`);
    expect(viaQueue.sendAddressOf(a)).toBe(`/amq/queue/${a}`);
    const got: InboundWire[] = [];
    const reader = new Amqp10Transport({ url: AMQP10_URL });
    await reader.start([a, b], (m) => got.push(m));
    const body = Buffer.from([0x30, 0x80, 0x00, 0xff, 0x10]);
    const headers = { fromHerId: '8093248', toHerId: '8142521', applicationTimeStamp: '2026-12-04T10:00:00.000Z' };
    const fields = { body, correlationId: 'c-1', replyTo: 'hn_syncreply', subject: 'DIALOG_INNBYGGER_TIMERESERVASJON', contentType: 'application/pkcs7-mime; smime-type=signed-and-enveloped-data', headers };
    await viaExchange.send({ queue: a, messageId: 'm-1', ttlMs: 15_000, ...fields });
    await viaQueue.send({ queue: b, messageId: 'm-2', ...fields });
    for (let i = 0; got.length < 2 && i < 200; i++) await new Promise((r) => setTimeout(r, 25));
    await Promise.all([reader.close(), viaExchange.close(), viaQueue.close()]);
    expect(got.map((m) => m.queue).sort()).toEqual([a, b].sort());
    for (const m of got) {
      expect(m.body.equals(body)).toBe(true);
      expect(m).toMatchObject({ correlationId: 'c-1', replyTo: 'hn_syncreply', subject: 'DIALOG_INNBYGGER_TIMERESERVASJON', contentType: fields.contentType, headers, isErrorReport: false });
    }
    expect(got.map((m) => m.messageId).sort()).toEqual(['m-1', 'm-2']);
  });

  it('runs look-up → book → cancel and the fault steps against Timebok over AMQP 1.0', async () => {
    const [scenario] = loadScenarios(join(import.meta.dirname, 'amqp-world.yaml'));
    const result = await runScenario(scenario!, { simulator: sim.simulator, registry: sim.registry });
    expect(result.steps.filter((s) => !s.passed).map((s) => `${s.name}: ${s.differences.join('; ')}`)).toEqual([]);
    expect(result.steps.map((s) => s.summary)).toEqual([
      expect.stringMatching(/^reply 03 .*10 VEVENTs$/),
      expect.stringMatching(/^AppRec 1; reply 05/),
      expect.stringMatching(/^AppRec 1; reply 08/),
      'error queue transport:invalid-cms-pkcs',
      'error queue transport:invalid-field-value',
    ]);
  });
});
