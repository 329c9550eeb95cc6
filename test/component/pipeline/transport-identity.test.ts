import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, importSetup, type App } from '../../../src/app.js';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { DEFAULT_XML_LIMITS } from '../../../src/envelope/types.js';
import { OutboxEntity } from '../../../src/inbox/message.entities.js';
import type { InboundDelivery } from '../../../src/pipeline/types.js';
import { FixedClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { REPLAY_SETUP, TR, attr } from './helpers.js';

let schemas: SchemaSet;
let app: App;
const RT = readFileSync(join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml'));
const HLT = readFileSync(join(TR, 'Ledige-timer--Foresporsel-innbygger--Hent-ledige-timer.xml'));

beforeAll(async () => {
  schemas = await loadSchemaSet();
});
afterAll(() => schemas.dispose());

beforeEach(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'timebok-identity-'));
  app = await createApp({
    databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`,
    clock: new FixedClock(new Date('2019-07-01T07:00:00Z')),
    logger: silentLogger,
    limits: DEFAULT_XML_LIMITS,
    acceptSyntheticIds: false,
    schemas,
  });
  await importSetup(app, join(REPLAY_SETUP, 'registry.json'), join(REPLAY_SETUP, 'timebooks.json'));
});
afterEach(() => app.close());

function delivery(body: Buffer, extra: Partial<InboundDelivery>): InboundDelivery {
  return { transport: 'spool', queue: '91095_async', body, messageId: 'm-1', ...extra };
}

async function outbox() {
  return app.db.manager.getRepository(OutboxEntity).find({ order: { seq: 'ASC' } });
}

describe('transport identity checks', () => {
  test('fromHerId that differs from the MsgHead sender is reported as abuse:spoofing-attack and books nothing', async () => {
    const outcome = await app.pipeline.process(delivery(RT, { fromHerId: 8130047 }));
    expect(outcome.status).toBe('reported');
    const rows = await outbox();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.properties.errorCondition).toBe('abuse:spoofing-attack');
    expect(rows[0]?.queue).toBe('8130047_error');
    expect(JSON.parse(rows[0]?.properties.errorConditionData ?? '{}')).toEqual({ fromHerId: 8130047, msgHeadSender: 8093248 });
  });

  test('toHerId that differs from the MsgHead receiver gets AppRec E10', async () => {
    const outcome = await app.pipeline.process(delivery(RT, { fromHerId: 8093248, toHerId: 1234 }));
    expect(outcome.status).toBe('rejected');
    const rows = await outbox();
    expect(rows.map((r) => r.kind)).toEqual(['apprec']);
    expect(attr(rows[0]?.body ?? '', 'Error', 'V')).toBe('E10');
  });

  test('a sync reply goes to reply-to with the request correlation-id; an async one to the registry queue', async () => {
    await app.pipeline.process(delivery(HLT, { queue: '91095_sync', fromHerId: 8093248, toHerId: 91095, replyTo: 'hn_syncreply', correlationId: 'c-42' }));
    await app.pipeline.process(delivery(RT, { fromHerId: 8093248, toHerId: 91095, messageId: 'm-2' }));
    const rows = await outbox();
    const sync = rows.find((r) => r.kind === 'reply' && r.queue === 'hn_syncreply');
    expect(sync?.correlationId).toBe('c-42');
    expect(rows.filter((r) => r.queue === '8093248_async').map((r) => r.kind).sort()).toEqual(['apprec', 'reply']);
  });

  test('AppRec addressing: our practitioner in HCPerson, Helsenorge service in Dept (DECISIONS 18)', async () => {
    await app.pipeline.process(delivery(RT, { fromHerId: 8093248 }));
    const apprec = (await outbox()).find((r) => r.kind === 'apprec')?.body ?? '';
    expect(apprec).toMatch(/<Sender>[\s\S]*<HCPerson>[\s\S]*<Id>91095<\/Id>[\s\S]*<\/Sender>/);
    expect(apprec).toMatch(/<Receiver>[\s\S]*<Dept>[\s\S]*<Id>8093248<\/Id>[\s\S]*<\/Receiver>/);
  });
});

describe('plain XML setting', () => {
  test('with ALLOW_PLAIN_XML off, a plain spool message is reported as transport:invalid-cms-pkcs and nothing is booked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'timebok-plain-'));
    const strict = await createApp({
      databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`,
      clock: new FixedClock(new Date('2019-07-01T07:00:00Z')),
      logger: silentLogger,
      limits: DEFAULT_XML_LIMITS,
      acceptSyntheticIds: false,
      allowPlainXml: false,
      schemas,
    });
    try {
      await importSetup(strict, join(REPLAY_SETUP, 'registry.json'), join(REPLAY_SETUP, 'timebooks.json'));
      const outcome = await strict.pipeline.process(delivery(RT, { fromHerId: 8093248 }));
      expect(outcome.status).toBe('reported');
      const rows = await strict.db.manager.getRepository(OutboxEntity).find();
      expect(rows.map((r) => r.properties.errorCondition)).toEqual(['transport:invalid-cms-pkcs']);
    } finally {
      await strict.close();
    }
  });
});

describe('copies of one message processed at the same time', () => {
  test('the first books, every other copy is answered as a duplicate with the same rows', async () => {
    const copies = await Promise.all(
      Array.from({ length: 6 }, (_, i) => app.pipeline.process(delivery(RT, { messageId: `copy-${i}`, fromHerId: 8093248 }))),
    );
    const statuses = copies.map((c) => c.status).sort();
    expect(statuses).toEqual(['answered', 'duplicate', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
    const first = copies.find((c) => c.status === 'answered')!;
    for (const c of copies) expect(c.outboxIds).toEqual(first.outboxIds);
    const rows = await outbox();
    expect(rows.map((r) => r.kind)).toEqual(['apprec', 'reply']);
    const appointments = await app.db.manager.query('SELECT COUNT(*) AS n FROM appointment');
    expect(Number(appointments[0].n)).toBe(1);
  });
});
