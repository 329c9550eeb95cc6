import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, importSetup, type App } from '../../../src/app.js';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { DEFAULT_XML_LIMITS } from '../../../src/envelope/types.js';
import type { InboundDelivery, ProcessOutcome } from '../../../src/pipeline/types.js';
import { FixedClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { EXAMPLES, FIXTURES, REPLAY_SETUP, ROOT, TR, attr, text } from './helpers.js';

/**
 * Every outgoing message names as sender the party of ours whose queue received the request (issue 12
 * part 5): never a receiver the sender wrote that is not ours. In fixtures/replay-2019 our parties are
 * 91095 (August September, a practitioner of Nanset legekontor 1234) and 95316 (a service of 87688).
 */
const REGRESSIONS = join(ROOT, 'test/fixtures/hostile/regressions');

let schemas: SchemaSet;
let app: App;

beforeAll(async () => {
  schemas = await loadSchemaSet();
});
afterAll(() => schemas.dispose());

beforeEach(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'timebok-ours-'));
  app = await createApp({
    databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`,
    clock: new FixedClock(new Date('2019-07-01T07:00:00Z')),
    logger: silentLogger,
    limits: { ...DEFAULT_XML_LIMITS, maxVevents: 20 },
    acceptSyntheticIds: false,
    schemas,
  });
  await importSetup(app, join(REPLAY_SETUP, 'registry.json'), join(REPLAY_SETUP, 'timebooks.json'));
});
afterEach(() => app.close());

interface SentRow {
  id: string;
  kind: string;
  queue: string;
  from_her_id: number;
  to_her_id: number;
  body: string;
}

async function deliver(queue: string, file: string, extra: Partial<InboundDelivery> = {}): Promise<{ outcome: ProcessOutcome; rows: SentRow[] }> {
  const outcome = await app.pipeline.process({ transport: 'spool', queue, body: readFileSync(file), messageId: file.split('/').pop() as string, ...extra });
  const rows: SentRow[] = [];
  for (const id of outcome.outboxIds) {
    const [row] = (await app.db.manager.query('SELECT id, kind, queue, from_her_id, to_her_id, body FROM outbox_message WHERE id = ?', [id])) as SentRow[];
    rows.push(row as SentRow);
  }
  return { outcome, rows };
}

/** AppRec Sender: Inst id and the level-2 (HCPerson or Dept) id. */
function appRecSender(xml: string): { inst: string | undefined; level2: string | undefined } {
  const sender = /<Sender>([\s\S]*?)<\/Sender>/.exec(xml)?.[1] ?? '';
  const ids = text(sender, 'Id');
  return { inst: ids[0], level2: ids[1] };
}

function msgHeadSender(xml: string): string {
  return /<(?:\w+:)?Sender>([\s\S]*?)<\/(?:\w+:)?Sender>/.exec(xml)?.[1] ?? '';
}

describe('answers go out in our own name only', () => {
  test('E21 for a receiver we do not serve is sent as our party whose queue received it, not as that receiver', async () => {
    const { outcome, rows } = await deliver('91095_async', join(REGRESSIONS, 'refusal-sent-in-the-name-of-a-receiver-not-ours.xml'));
    expect(outcome).toMatchObject({ status: 'rejected', code: 'ERR_REGISTRY_RECEIVER' });
    expect(rows).toHaveLength(1);
    const [row] = rows as [SentRow];
    expect(attr(row.body, 'Error', 'V')).toBe('E21');
    expect(appRecSender(row.body)).toEqual({ inst: '1234', level2: '91095' });
    expect(row.body).not.toContain('99999');
    expect(Number(row.from_her_id)).toBe(91095);
    expect(schemas.validate(row.body).valid).toBe(true);
  });

  test('an official TIMER request for a hospital that is not ours is refused as us, never as "HELSE FØRDE HF"', async () => {
    const file = join(EXAMPLES, 'DIALOG_INNBYGGER_TIMER/1.1/Henvendelse--Foresporsel-innbygger--Henvendelse.xml');
    const { outcome, rows } = await deliver('95316_async', file);
    expect(outcome.status).toBe('rejected');
    const [row] = rows as [SentRow];
    expect(row.body).not.toMatch(/HELSE FØRDE/i);
    expect(appRecSender(row.body)).toEqual({ inst: '87688', level2: '95316' });
    expect(Number(row.from_her_id)).toBe(95316);
  });

  test('T02 for a schema-invalid message and E10 for a toHerId mismatch come from the receiving queue\'s party', async () => {
    const t02 = await deliver('95316_async', join(FIXTURES, 'rt-schema-invalid.xml'));
    expect(attr(t02.rows[0]!.body, 'Error', 'V')).toBe('T02');
    expect(appRecSender(t02.rows[0]!.body).level2).toBe('95316');
    const e10 = await deliver('91095_async', join(FIXTURES, 'rt-bad-check-digits.xml'), { toHerId: 95316 });
    expect(e10.outcome.code).toBe('ERR_REGISTRY_RECEIVER_MISMATCH');
    expect(attr(e10.rows[0]!.body, 'Error', 'V')).toBe('E10');
    expect(Number(e10.rows[0]!.from_her_id)).toBe(91095);
  });

  test('a sync refusal (reply 26) names our party as the MsgHead sender', async () => {
    const hlt = readFileSync(join(TR, 'Ledige-timer--Foresporsel-innbygger--Hent-ledige-timer.xml'), 'utf8').replace(/<Id>91095\s*<\/Id>/, '<Id>99999</Id>');
    const dir = mkdtempSync(join(tmpdir(), 'timebok-ours-hlt-'));
    const file = join(dir, 'hlt-unknown-receiver.xml');
    writeFileSync(file, hlt);
    const { outcome, rows } = await deliver('91095_sync', file);
    expect(outcome.code).toBe('ERR_REGISTRY_RECEIVER');
    const [row] = rows as [SentRow];
    expect(attr(row.body, 'TemaKodet', 'V')).toBe('26');
    expect(msgHeadSender(row.body)).toContain('<Id>91095</Id>');
    expect(msgHeadSender(row.body)).not.toContain('99999');
    expect(schemas.validate(row.body).valid).toBe(true);
  });

  test('an error-queue report names as fromHerId our queue\'s party, not the toHerId the sender claimed', async () => {
    const { outcome, rows } = await deliver('91095_async', join(FIXTURES, 'not-well-formed.xml'), { fromHerId: 8093248, toHerId: 8130047 });
    expect(outcome).toMatchObject({ status: 'reported', code: 'ERR_ENVELOPE_NOT_WELL_FORMED' });
    expect(Number(rows[0]!.from_her_id)).toBe(91095);
  });

  test('AppRec OriginalMsgId/MsgType quotes the process as received, not our normalised reading of it', async () => {
    const { rows } = await deliver('91095_async', join(REGRESSIONS, 'apprec-quoted-normalised-msgtype.xml'));
    const appRec = rows.find((r) => r.kind === 'apprec') as SentRow;
    const original = /<OriginalMsgId>([\s\S]*?)<\/OriginalMsgId>/.exec(appRec.body)?.[1] ?? '';
    expect(attr(original, 'MsgType', 'V')).toBe('Dialog_Innbygger_Timereservasjon');
    expect(text(original, 'Id')).toEqual(['b0000000-0000-4000-8000-000000000002']);
  });

  test('a practitioner as our level 2 carries RoleToPatient in the MsgHead sender, as the official examples do', async () => {
    const { rows } = await deliver('91095_async', join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml'));
    const reply = rows.find((r) => r.kind === 'reply') as SentRow;
    const sender = msgHeadSender(reply.body);
    expect(sender).toMatch(/<HealthcareProfessional>\s*<RoleToPatient V="6" S="2.16.578.1.12.4.1.1.9034" DN="Fastlege"\/>/);
    expect(schemas.validate(reply.body).valid).toBe(true);
  });

  test('more VEVENTs than the limit is answered T02 (was thrown to error/ and redelivered)', async () => {
    const { outcome, rows } = await deliver('91095_async', join(REGRESSIONS, 'too-many-vevents-thrown-instead-of-answered.xml'));
    expect(outcome).toMatchObject({ status: 'rejected', code: 'ERR_ENVELOPE_CONTENT' });
    expect(attr(rows[0]!.body, 'Error', 'V')).toBe('T02');
    expect(attr(rows[0]!.body, 'Error', 'OT')).toBe('more than 20 VEVENTs');
  });
});
