/**
 * A peer that is not our code talks to Timebok over AMQP 1.0: a small Qpid Proton script (Debian's
 * python3-qpid-proton, run with /usr/bin/python3) sends a CMS-protected HentLedigeTimer to our `_sync`
 * queue through the exchange (`/exchange/<exchange>/<queue>`), with one HER-id as an integer, and reads
 * the answer from its sync-reply queue (`/amq/queue/<queue>`). The answer must carry the request's
 * correlation-id, the process as subject, the 15 s TTL, our HER-ids, and open (verify + decrypt) as a
 * valid reply 03. The test fails (it does not skip) when proton is missing: `.ci/run` installs it.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { PROTECTED_CONTENT_TYPE } from '../../../src/protection/cms.protect.js';
import { freshDatabase } from '../pg.js';
import { AMQP_URL, HN_SERVICE, Helsenorge, LAB, ROOT, attr, deleteWorldQueues, freeSlotsXml, makeWorld, startTimebok, syntheticFnr, textOf, type World } from './world.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';

let schemas: SchemaSet;
let db: { url: string; drop: () => Promise<void> };
let world: World;
let timebok: Awaited<ReturnType<typeof startTimebok>>;

beforeAll(async () => {
  schemas = await loadSchemaSet();
  db = await freshDatabase('proton');
  world = await makeWorld({ slots: 3, protocol: '1.0' });
  timebok = await startTimebok(world, db.url, schemas);
});

afterAll(async () => {
  await timebok?.stop();
  if (world) {
    await deleteWorldQueues(world);
    world.cleanup();
  }
  await db?.drop();
  schemas?.dispose();
});

test('a Qpid Proton client sends a protected HentLedigeTimer over AMQP 1.0 and gets reply 03 on its reply queue', async () => {
  const hn = new Helsenorge(world); // only its keys: protect the request, open the answer
  const msgId = randomUUID();
  const bodyFile = join(world.dir, 'request.p7m');
  const outFile = join(world.dir, 'answer.json');
  writeFileSync(bodyFile, hn.protect(freeSlotsXml(msgId, syntheticFnr(11))));
  const args = [
    join(ROOT, 'test/integration/amqp/proton_peer.py'),
    '--url', AMQP_URL, '--exchange', world.exchange, '--queue', world.queues.ourSync, '--reply-queue', world.queues.hnSyncReply,
    '--subject', 'DIALOG_INNBYGGER_TIMERESERVASJON', '--body', bodyFile, '--out', outFile,
    '--from-her-id', String(HN_SERVICE), '--to-her-id', String(LAB), '--timestamp', new Date().toISOString(), '--timeout', '30',
  ];
  try {
    await run(PYTHON, args, { timeout: 45_000 });
  } catch (err) {
    const e = err as { stderr?: string; code?: unknown };
    throw new Error(`the proton peer failed (exit ${String(e.code)}): ${(e.stderr ?? '').slice(-2000)}`);
  }
  const answer = JSON.parse(readFileSync(outFile, 'utf8')) as Record<string, unknown> & { properties: Record<string, unknown>; body: string };
  expect(answer.correlation_id).toBe(answer.sentCorrelationId);
  expect(answer.id).not.toBe(answer.sentMessageId);
  expect(answer.subject).toBe('DIALOG_INNBYGGER_TIMERESERVASJON');
  expect(answer.to).toBe(world.queues.hnSyncReply);
  expect(answer.reply_to).toBe(world.queues.ourAsync);
  expect(answer.content_type).toBe(PROTECTED_CONTENT_TYPE);
  expect(answer.ttl).toBe(15);
  expect(answer.durable).toBe(true);
  expect(answer.properties).toMatchObject({ fromHerId: String(LAB), toHerId: String(HN_SERVICE) });
  expect(Number.isNaN(Date.parse(String(answer.properties.applicationTimeStamp)))).toBe(false);
  const xml = hn.open(Buffer.from(answer.body, 'base64'));
  expect(textOf(xml, 'RefToParent')).toBe(msgId);
  expect(attr(xml, 'TemaKodet', 'V')).toBe('03');
  expect(schemas.validate(xml).valid).toBe(true);
});
