/**
 * The broker transport against the real broker and PostgreSQL, on AMQP 0.9.1 and on AMQP 1.0 (NHN's
 * dialect): the §2.3 message profile both ways, sync and async exchanges with CMS, error-queue reports,
 * the error-queue watcher, unroutable replies (0.9.1), the topology `timebok amqp declare` sets up
 * (quorum + delivery limit + dead-letter queue, Timebok declaring nothing), a missing queue at start-up,
 * and dead-lettering of a poison message at the delivery limit.
 */
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { PROTECTED_CONTENT_TYPE } from '../../../src/protection/cms.protect.js';
import { runRequeueDead } from '../../../src/cli/deadletter.command.js';
import { createLogger } from '../../../src/shared/logger.js';
import { deadLetterQueueOf } from '../../../src/transport/amqp/topology.js';
import { freshDatabase } from '../pg.js';
import { HELSENORGE } from '../../fixtures/protection/pki.js';
import { runAmqpDeclare } from '../../../src/cli/amqp.command.js';
import {
  AMQP_URL, Helsenorge, HN_SERVICE, LAB, PROTOCOLS, attr, deleteWorldQueues, freeSlotsXml, makeWorld, queueDepth, reserveXml, sqlQuery, startTimebok, syntheticFnr, textOf, type World,
} from './world.js';
import type { AmqpProtocol } from '../../../src/config/config.js';

describe.each(PROTOCOLS)('broker transport over AMQP %s', (protocol: AmqpProtocol) => {
let schemas: SchemaSet;
let db: { url: string; drop: () => Promise<void> };
let world: World;
let hn: Helsenorge;
let timebok: Awaited<ReturnType<typeof startTimebok>>;
const logLines: Array<Record<string, unknown>> = [];
let poisonIds = new Set<string>();

beforeAll(async () => {
  schemas = await loadSchemaSet();
  db = await freshDatabase(`amqp${protocol.replace(/\W/g, '')}`);
  world = await makeWorld({ slots: 10, capacity: 50, protocol, deliveryLimit: 2 });
  hn = new Helsenorge(world);
  await hn.start();
  // A logger that keeps the records (to check alerts and that no body or FNR is logged).
  const sink = { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) };
  const { pino } = await import('pino');
  const logger = pino({ level: 'debug' }, sink) as unknown as ReturnType<typeof createLogger>;
  timebok = await startTimebok(world, db.url, schemas, {
    logger,
    pipeline: {
      process: (d) => {
        if (poisonIds.has(d.messageId)) return Promise.reject(new TypeError('injected fault'));
        return timebok.app.pipeline.process(d);
      },
    },
  });
});

afterAll(async () => {
  await timebok?.stop();
  await hn?.close();
  if (world) {
    await deleteWorldQueues(world);
    world.cleanup();
  }
  await db?.drop();
  schemas?.dispose();
});

test('reads the queues `amqp declare` set up (quorum, delivery limit, dead-letter queue) and declares none itself', async () => {
  expect(timebok.transport.protocol).toBe(protocol);
  expect(timebok.transport.queues.map((q) => q.name).sort()).toEqual([world.queues.ourAsync, world.queues.ourError, world.queues.ourSync].sort());
  const conn = await amqp.connect(AMQP_URL);
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    // Re-declaring with the same arguments succeeds; a classic declaration of the same name is refused (406).
    for (const q of timebok.transport.queues) await ch.checkQueue(deadLetterQueueOf(q.name));
    await expect(ch.assertQueue(world.queues.ourSync, { durable: true })).rejects.toThrow(/PRECONDITION_FAILED|inequivalent/);
  } finally {
    await conn.close().catch(() => undefined);
  }
});

test('start-up with a queue we must read missing fails and names the queue', async () => {
  // A world and database of its own (its registry names other queues for the same HER-ids).
  const other = await makeWorld({ slots: 1, protocol });
  const otherDb = await freshDatabase(`amqpmissing${protocol.replace(/\W/g, '')}`);
  try {
    const c = await amqp.connect(AMQP_URL);
    const ch = await c.createChannel();
    await ch.deleteQueue(other.queues.ourError);
    await c.close();
    await expect(startTimebok(other, otherDb.url, schemas)).rejects.toThrow(new RegExp(`queue ${other.queues.ourError} does not exist`));
  } finally {
    await otherDb.drop();
    await deleteWorldQueues(other);
    other.cleanup();
  }
});

test('HentLedigeTimer on _sync: reply 03 to reply-to with the same correlation-id, a TTL, our headers and CMS', async () => {
  const correlationId = randomUUID();
  const msgId = randomUUID();
  await hn.send(world.queues.ourSync, hn.protect(freeSlotsXml(msgId, syntheticFnr(1))), { sync: true, correlationId });
  await hn.waitFor((r) => r.some((x) => x.msg.properties.correlationId === correlationId), 30_000, 'the sync reply');
  const reply = hn.received.find((x) => x.msg.properties.correlationId === correlationId);
  expect(reply?.queue).toBe(world.queues.hnSyncReply);
  const p = reply?.msg.properties;
  expect(p?.contentType).toBe(PROTECTED_CONTENT_TYPE);
  expect(p?.type).toBe('DIALOG_INNBYGGER_TIMERESERVASJON');
  expect(p?.expiration).toBe('15000');
  expect(p?.deliveryMode).toBe(2);
  expect(p?.replyTo).toBe(world.queues.ourAsync);
  if (protocol === '1.0') expect(p?.to).toBe(world.queues.hnSyncReply);
  expect(typeof p?.messageId).toBe('string');
  expect(p?.headers).toMatchObject({ fromHerId: String(LAB), toHerId: String(HN_SERVICE) });
  expect(Number.isNaN(Date.parse(String(p?.headers?.applicationTimeStamp)))).toBe(false);
  const xml = reply?.xml ?? '';
  expect(textOf(xml, 'RefToParent')).toBe(msgId);
  expect(attr(xml, 'TemaKodet', 'V')).toBe('03');
  expect(xml).toContain(world.slotIds[0] as string);
  expect(schemas.validate(xml).valid).toBe(true);
});

test('ReserverAvtale on _async: AppRec 1 then reply 05 on Helsenorge\'s async queue, acked after the commit', async () => {
  const msgId = randomUUID();
  await hn.send(world.queues.ourAsync, hn.protect(reserveXml(msgId, syntheticFnr(2), world.slotIds[0] as string)));
  const about = (x: { xml: string }) => x.xml.includes(msgId);
  await hn.waitFor((r) => r.filter(about).length >= 2, 30_000, 'AppRec and reply');
  const answers = hn.received.filter(about);
  expect(answers.map((a) => a.queue)).toEqual([world.queues.hnAsync, world.queues.hnAsync]);
  expect(answers[0]?.xml).toMatch(/AppRec/);
  expect(answers[0]?.msg.properties.type).toBe('APPREC');
  expect(answers[1]?.msg.properties.type).toBe('DIALOG_INNBYGGER_TIMERESERVASJON');
  expect(answers[1]?.msg.properties.expiration).toBeUndefined();
  expect(attr(answers[1]?.xml ?? '', 'TemaKodet', 'V')).toBe('05');
  // The rows are marked sent once the broker confirmed the batch: Helsenorge may read them a moment earlier.
  const unsent = async () => Number((await sqlQuery<{ n: string }>(db.url, 'SELECT count(*) AS n FROM outbox_message WHERE sent_at IS NULL'))[0]?.n);
  await waitUntil(async () => (await unsent()) === 0, 5000);
  expect(await unsent()).toBe(0);
  expect(await queueDepth(world.queues.ourAsync)).toBe(0);
  // Nothing personal in the logs.
  const text = JSON.stringify(logLines);
  expect(text).not.toContain(syntheticFnr(2));
  expect(text).not.toContain('Testesen');
});

test('a message without fromHerId/applicationTimeStamp: transport:invalid-field-value on the sender\'s error queue', async () => {
  const messageId = await hn.send(world.queues.ourAsync, hn.protect(reserveXml(randomUUID(), syntheticFnr(3), world.slotIds[0] as string)), {
    headers: { applicationTimeStamp: null },
  });
  await hn.waitFor((r) => r.some((x) => x.msg.properties.headers?.originalMessageId === messageId), 30_000, 'the error report');
  const report = hn.received.find((x) => x.msg.properties.headers?.originalMessageId === messageId);
  expect(report?.queue).toBe(world.queues.hnError);
  expect(report?.msg.content.length).toBe(0);
  expect(report?.msg.properties.headers).toMatchObject({
    errorCondition: 'transport:invalid-field-value',
    fromHerId: String(LAB),
    toHerId: String(HN_SERVICE),
  });
  expect(String(report?.msg.properties.headers?.errorConditionData)).toContain('applicationTimeStamp');
  expect(typeof report?.msg.properties.headers?.receiverTimeStamp).toBe('string');
  expect(typeof report?.msg.properties.headers?.errorDescription).toBe('string');
});

test('a non-numeric fromHerId counts as missing (nobody to report to: logged and acked)', async () => {
  const messageId = await hn.send(world.queues.ourAsync, hn.protect(reserveXml(randomUUID(), syntheticFnr(4), world.slotIds[0] as string)), {
    headers: { fromHerId: '80932x48' },
  });
  await waitUntil(async () => (await queueDepth(world.queues.ourAsync)) === 0 && logLines.some((l) => l.messageId === messageId));
  expect(logLines.some((l) => l.messageId === messageId && l.code === 'ERR_TRANSPORT_FIELD')).toBe(true);
  expect(hn.received.some((x) => x.msg.properties.headers?.originalMessageId === messageId)).toBe(false);
});

test('HER-ids sent as integers (not strings) are read as HER-ids: the request is answered', async () => {
  const msgId = randomUUID();
  await hn.send(world.queues.ourAsync, hn.protect(reserveXml(msgId, syntheticFnr(7), world.slotIds[3] as string)), {
    headers: { fromHerId: HN_SERVICE, toHerId: LAB },
  });
  await hn.waitFor((r) => r.filter((x) => x.xml.includes(msgId)).length >= 2, 30_000, 'AppRec and reply');
  expect(hn.received.filter((x) => x.xml.includes(msgId)).map((x) => x.msg.properties.type)).toEqual(['APPREC', 'DIALOG_INNBYGGER_TIMERESERVASJON']);
});

test('an error report sent to our _error queue is recorded on the outbox row it names, and not answered', async () => {
  const sent = await sqlQuery<{ id: string }>(db.url, "SELECT id FROM outbox_message WHERE kind = 'reply' AND sent_at IS NOT NULL LIMIT 1");
  const id = sent[0]?.id as string;
  const before = hn.received.length;
  await hn.send(world.queues.ourError, Buffer.alloc(0), {
    headers: { originalMessageId: id, receiverTimeStamp: new Date().toISOString(), errorCondition: 'transport:decryption-failed', errorDescription: 'test' },
    type: null,
    contentType: null,
  });
  await waitUntil(async () => ((await sqlQuery<{ e: string | null }>(db.url, 'SELECT last_error AS e FROM outbox_message WHERE id = $1', [id]))[0]?.e ?? '').includes('decryption-failed'));
  expect(logLines.some((l) => l.originalMessageId === id && l.errorCondition === 'transport:decryption-failed')).toBe(true);
  await new Promise((r) => setTimeout(r, 300));
  expect(hn.received.length).toBe(before);
});

// AMQP 1.0 has no `mandatory`: RabbitMQ 3.10 accepts a message its exchange routes nowhere (docs/amqp.md).
(protocol === '0-9-1' ? test : test.skip)('an unroutable reply (receiver queue missing) stays unsent and raises an alert', async () => {
  const conn = await amqp.connect(AMQP_URL);
  const ch = await conn.createChannel();
  await ch.deleteQueue(world.queues.hnAsync);
  try {
    const msgId = randomUUID();
    await hn.send(world.queues.ourAsync, hn.protect(reserveXml(msgId, syntheticFnr(5), world.slotIds[1] as string)));
    await waitUntil(async () => logLines.some((l) => l.alert === 'unroutable-message' && l.queue === world.queues.hnAsync));
    const rows = await sqlQuery<{ sent_at: string | null; attempts: number; last_error: string | null }>(
      db.url, "SELECT sent_at, attempts, last_error FROM outbox_message WHERE inbox_id IN (SELECT id FROM inbox_message WHERE msg_id = $1) ORDER BY seq", [msgId],
    );
    expect(rows.length).toBe(2);
    expect(rows[0]?.sent_at).toBeNull();
    expect(rows[0]?.attempts).toBeGreaterThanOrEqual(1);
    expect(rows[0]?.last_error).toMatch(/UnroutableError/);
    expect(rows[1]?.sent_at).toBeNull(); // the reply waits behind its AppRec
  } finally {
    // Helsenorge's queue is back: the rows go out on a later try.
    await runAmqpDeclare({ url: world.url, registryFile: world.registryFile, herIds: [Number(HELSENORGE)], deliveryLimit: world.deliveryLimit });
    await hn.resubscribe(world.queues.hnAsync);
    await conn.close().catch(() => undefined);
  }
  await waitUntil(async () => Number((await sqlQuery<{ n: string }>(db.url, 'SELECT count(*) AS n FROM outbox_message WHERE sent_at IS NULL'))[0]?.n) === 0, 20_000);
});

test(`a message that keeps failing (unknown fault) is ${protocol === '1.0' ? 'released' : 'requeued'}, dead-lettered after limit + 1 deliveries${protocol === '1.0' ? '' : ', and requeue-dead brings it back'}`, async () => {
  const messageId = randomUUID();
  const msgId = randomUUID();
  poisonIds = new Set([messageId]);
  await hn.send(world.queues.ourAsync, hn.protect(reserveXml(msgId, syntheticFnr(6), world.slotIds[2] as string)), { messageId });
  const dead = deadLetterQueueOf(world.queues.ourAsync);
  await waitUntil(async () => (await queueDepth(dead)) === 1, 30_000);
  const failures = logLines.filter((l) => l.messageId === messageId && l.reason === 'TypeError');
  expect(failures.length).toBe(3); // deliveryLimit 2 → 3 deliveries
  expect(JSON.stringify(failures)).not.toContain('injected fault');
  const conn = await amqp.connect(AMQP_URL);
  try {
    const ch = await conn.createChannel();
    const got = await ch.get(dead, { noAck: false });
    expect(got && got.properties.messageId).toBe(messageId);
    expect(got && got.properties.headers?.['x-first-death-reason']).toBe('delivery_limit');
    // (RabbitMQ 3.10 does not map AMQP 1.0 application properties to 0.9.1 headers: read them over 0.9.1 only.)
    if (protocol === '0-9-1') expect(got && got.properties.headers?.fromHerId).toBe(String(HN_SERVICE));
    if (got) ch.nack(got, false, true);
    await ch.close();
  } finally {
    await conn.close();
  }
  poisonIds = new Set();
  // requeue-dead speaks 0.9.1: RabbitMQ 3.10 hands it an AMQP 1.0 message's application properties only
  // as an encoded `x-amqp-1.0-app-properties` header, so it cannot move such a message faithfully
  // (docs/amqp.md). Over 1.0 the test ends at the dead letter.
  if (protocol === '1.0') return;
  const lines: string[] = [];
  expect(await runRequeueDead({ url: AMQP_URL, queue: world.queues.ourAsync, dryRun: true }, (l) => lines.push(l))).toBe(1);
  expect(lines[0]).toContain(`message-id=${messageId}`);
  expect(lines[0]).toContain('reason=delivery_limit');
  expect(await queueDepth(dead)).toBe(1);
  expect(await runRequeueDead({ url: AMQP_URL, queue: world.queues.ourAsync }, () => undefined)).toBe(1);
  await hn.waitFor((r) => r.filter((x) => x.xml.includes(msgId)).length >= 2, 30_000, 'answers to the requeued message');
  expect(await queueDepth(dead)).toBe(0);
});

});

async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
