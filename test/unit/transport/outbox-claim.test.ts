/**
 * Outbox claims on SQLite (the same SQL runs on PostgreSQL in the integration tests): two relays on one
 * database never send the same row, and one conversation's rows go out in their order.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../../src/db/database.js';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '../../../src/db/schema.js';
import type { OutboxRow } from '../../../src/inbox/message.entities.js';
import { OutboxRelay, type Publisher } from '../../../src/outbox/outbox.relay.js';
import { addOutbox, claimUnsent, type NewOutboxRow } from '../../../src/outbox/outbox.store.js';
import { FixedClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';

function rows(conversations: number, perConversation: number): NewOutboxRow[] {
  const out: NewOutboxRow[] = [];
  for (let c = 0; c < conversations; c++) {
    for (let s = 0; s < perConversation; s++) {
      out.push({
        id: `row-${c}-${s}`, inboxId: `inbox-${c}`, kind: s === 0 ? 'apprec' : 'reply', queue: 'q', toHerId: 1, fromHerId: 2, process: 'P', correlationId: null,
        body: '<x/>', properties: {}, summary: 's', createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, c)).toISOString(), seq: s,
      });
    }
  }
  return out;
}

async function openDb(): Promise<Database> {
  const dir = mkdtempSync(join(tmpdir(), 'timebok-claim-'));
  return Database.open({ url: `sqlite:${join(dir, 'db.sqlite')}`, entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS });
}

class Recorder implements Publisher {
  readonly sent: string[] = [];
  failOnce = new Set<string>();
  constructor(private readonly log: string[]) {}
  async publish(row: OutboxRow): Promise<void> {
    await new Promise((r) => setImmediate(r));
    if (this.failOnce.delete(row.id)) throw new Error('boom');
    this.sent.push(row.id);
    this.log.push(row.id);
  }
}

test('two relays share one outbox: every row sent exactly once, each conversation in seq order', async () => {
  const db = await openDb();
  await db.run((tx) => addOutbox(tx, rows(40, 3)));
  const log: string[] = [];
  const a = new Recorder(log);
  const b = new Recorder(log);
  const clock = new FixedClock(new Date('2026-01-01T00:00:00Z'));
  const ra = new OutboxRelay(db, a, clock, silentLogger, { owner: 'a', batchGroups: 5 });
  const rb = new OutboxRelay(db, b, clock, silentLogger, { owner: 'b', batchGroups: 5 });
  await Promise.all([ra.drain(), rb.drain(), ra.drain(), rb.drain()]);
  await Promise.all([ra.drain(), rb.drain()]);
  expect(log).toHaveLength(120);
  expect(new Set(log).size).toBe(120);
  expect(a.sent.length).toBeGreaterThan(0);
  expect(b.sent.length).toBeGreaterThan(0);
  for (let c = 0; c < 40; c++) {
    const order = log.filter((id) => id.startsWith(`row-${c}-`));
    expect(order).toEqual([`row-${c}-0`, `row-${c}-1`, `row-${c}-2`]);
  }
  await db.close();
});

test('a failed row keeps its place and holds back the rest of its conversation until its back-off has passed', async () => {
  const db = await openDb();
  await db.run((tx) => addOutbox(tx, rows(2, 2)));
  const log: string[] = [];
  const p = new Recorder(log);
  p.failOnce.add('row-0-0');
  const relay = new OutboxRelay(db, p, new FixedClock(new Date('2026-01-01T00:00:00Z')), silentLogger, { owner: 'a', retryBaseMs: 200 });
  expect(await relay.drain()).toBe(2);
  expect(log).toEqual(['row-1-0', 'row-1-1']);
  const [failed] = await db.manager.query("SELECT attempts, last_error, sent_at FROM outbox_message WHERE id = 'row-0-0'");
  expect(failed).toMatchObject({ attempts: 1, sent_at: null });
  // only the error's name (and driver code) is stored, never its text
  expect(String(failed.last_error)).toBe('Error');
  expect(await relay.drain()).toBe(0); // still backing off
  await new Promise((r) => setTimeout(r, 250));
  expect(await relay.drain()).toBe(2);
  expect(log.slice(2)).toEqual(['row-0-0', 'row-0-1']);
  await db.close();
});

test('claims of a relay that died expire after the lease; another relay then sends the rows', async () => {
  const db = await openDb();
  await db.run((tx) => addOutbox(tx, rows(1, 2)));
  const claimed = await claimUnsent(db, { owner: 'dead', now: new Date(), leaseMs: 150, groups: 10 });
  expect(claimed.map((r) => r.id)).toEqual(['row-0-0', 'row-0-1']);
  const log: string[] = [];
  const relay = new OutboxRelay(db, new Recorder(log), new FixedClock(new Date()), silentLogger, { owner: 'alive' });
  expect(await relay.drain()).toBe(0);
  await new Promise((r) => setTimeout(r, 200));
  expect(await relay.drain()).toBe(2);
  expect(log).toEqual(['row-0-0', 'row-0-1']);
  await db.close();
});

/** A transport that takes batches (as the AMQP publisher does with confirms). */
class BatchRecorder extends Recorder {
  batches: number[] = [];
  failInBatch = new Set<string>();
  async publishMany(batch: OutboxRow[]): Promise<Array<unknown | null>> {
    this.batches.push(batch.length);
    return batch.map((row) => {
      if (this.failInBatch.delete(row.id)) return new Error('returned');
      this.sent.push(row.id);
      return null;
    });
  }
}

test('with publishMany: two relays send every row exactly once in batches; a failed row backs off only its conversation', async () => {
  const db = await openDb();
  await db.run((tx) => addOutbox(tx, rows(30, 2)));
  const a = new BatchRecorder([]);
  const b = new BatchRecorder([]);
  a.failInBatch.add('row-3-0');
  const clock = new FixedClock(new Date('2026-01-01T00:00:00Z'));
  const ra = new OutboxRelay(db, a, clock, silentLogger, { owner: 'a', batchGroups: 10, retryBaseMs: 60_000 });
  const rb = new OutboxRelay(db, b, clock, silentLogger, { owner: 'b', batchGroups: 10, retryBaseMs: 60_000 });
  await Promise.all([ra.drain(), rb.drain()]);
  await Promise.all([ra.drain(), rb.drain()]);
  const all = [...a.sent, ...b.sent];
  expect(new Set(all).size).toBe(all.length);
  // row-3-0 failed; row-3-1 was in the same batch and on the wire, so it counts as sent
  expect(all.sort()).toEqual(rows(30, 2).map((r) => r.id).filter((id) => id !== 'row-3-0').sort());
  expect(Math.max(...a.batches, ...b.batches)).toBeGreaterThan(1);
  const [failed] = await db.manager.query("SELECT attempts, sent_at, claimed_by FROM outbox_message WHERE id = 'row-3-0'");
  expect(failed).toMatchObject({ attempts: 1, sent_at: null, claimed_by: 'backoff' });
  const unsent = await db.manager.query('SELECT COUNT(*) AS n FROM outbox_message WHERE sent_at IS NULL');
  expect(Number(unsent[0].n)).toBe(1);
  await db.close();
});

test('a run that fails after its claim leaves no row waiting for the lease: the next drain sends what it holds', async () => {
  const db = await openDb();
  await db.run((tx) => addOutbox(tx, rows(2, 2)));
  const p = new BatchRecorder([]);
  let broken = true;
  const publishMany = p.publishMany.bind(p);
  // a fault the relay does not expect (not a per-row error): the run ends with its claims held
  p.publishMany = async (batch) => {
    if (broken) throw new Error('transport fault');
    return publishMany(batch);
  };
  const relay = new OutboxRelay(db, p, new FixedClock(new Date('2026-01-01T00:00:00Z')), silentLogger, { owner: 'a', leaseMs: 60_000 });
  await expect(relay.drain()).rejects.toThrow('transport fault');
  const held = await db.manager.query("SELECT COUNT(*) AS n FROM outbox_message WHERE claimed_by = 'a' AND sent_at IS NULL");
  expect(Number(held[0].n)).toBe(4);
  broken = false;
  expect(await relay.drain()).toBe(4);
  expect(p.sent).toEqual(['row-0-0', 'row-0-1', 'row-1-0', 'row-1-1']);
  await db.close();
});

test('the relay bookkeeping on SQLite commits without its own fsync and leaves every other write FULL', async () => {
  const db = await openDb();
  const synchronous = async () => (await db.query<{ synchronous: number }>('PRAGMA synchronous'))[0]?.synchronous;
  expect(await synchronous()).toBe(2); // FULL
  await db.run((tx) => addOutbox(tx, rows(2, 1)));
  const claimed = await claimUnsent(db, { owner: 'a', now: new Date('2026-01-01T00:00:10Z'), leaseMs: 30_000, groups: 10 });
  expect(claimed.map((r) => r.id).sort()).toEqual(['row-0-0', 'row-1-0']);
  expect(await synchronous()).toBe(2);
  // a bookkeeping statement that fails still puts FULL back
  // (better-sqlite3's error comes from outside jest's module realm: matched by message, not by class)
  const failed = await db.query('UPDATE no_such_table SET x = 1', [], { bookkeeping: true }).then(() => 'resolved', (e: unknown) => String(e));
  expect(failed).toMatch(/no such table/);
  expect(await synchronous()).toBe(2);
  const statements = db.counter.statements;
  await db.query("UPDATE outbox_message SET last_error = 'x' WHERE id = 'row-0-0'", [], { bookkeeping: true });
  expect(db.counter.statements - statements).toBe(1); // the PRAGMAs around it are not counted
  await db.close();
});

test("the relay's indexes hold only unsent rows (partial indexes), so a long history does not slow its claim", async () => {
  const db = await openDb();
  const indexes = await db.query<{ name: string; sql: string | null }>("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox_message'");
  const partial = indexes.filter((i) => /WHERE sent_at IS NULL/i.test(i.sql ?? '')).map((i) => i.name).sort();
  expect(partial).toEqual(['ix_outbox_waiting', 'ix_outbox_waiting_claim', 'ix_outbox_waiting_inbox']);
  // the full indexes they replace are gone
  expect(indexes.map((i) => i.name)).not.toEqual(expect.arrayContaining(['ix_outbox_unsent']));
  expect(indexes.map((i) => i.name)).not.toEqual(expect.arrayContaining(['ix_outbox_claim']));
  const plan = await db.query<{ detail: string }>(
    "EXPLAIN QUERY PLAN SELECT id FROM outbox_message WHERE sent_at IS NULL AND (claimed_until IS NULL OR claimed_until < '2026') ORDER BY created_at LIMIT 5",
  );
  expect(plan.map((p) => p.detail).join(' ')).toMatch(/ix_outbox_waiting/);
  await db.close();
});

test('what a relay sends is reported to its listeners with the time, in both paths, and a failing listener changes nothing', async () => {
  const db = await openDb();
  await db.run((tx) => addOutbox(tx, rows(3, 2)));
  const clock = new FixedClock(new Date('2026-01-01T00:00:10Z'));
  const seen: Array<{ id: string; at: string }> = [];
  const listen = (relay: OutboxRelay) => {
    relay.onSent(() => {
      throw new Error('a broken listener');
    });
    relay.onSent((sent, at) => seen.push(...sent.map((r) => ({ id: r.id, at: at.toISOString() }))));
  };
  // one row at a time (publish)
  const single = new OutboxRelay(db, new Recorder([]), clock, silentLogger, { owner: 'single', batchGroups: 1 });
  listen(single);
  // the batch path (publishMany)
  const batch = new OutboxRelay(db, { publish: async () => undefined, publishMany: async (r: OutboxRow[]) => r.map(() => null) }, clock, silentLogger, { owner: 'batch' });
  listen(batch);
  expect(await single.drain()).toBe(6);
  await db.run((tx) => addOutbox(tx, rows(5, 1).map((r) => ({ ...r, id: `more-${r.id}`, inboxId: `more-${r.inboxId}` }))));
  expect(await batch.drain()).toBe(5);
  expect(seen).toHaveLength(11);
  expect(new Set(seen.map((s) => s.id)).size).toBe(11);
  expect(seen.every((s) => s.at === '2026-01-01T00:00:10.000Z')).toBe(true);
  await db.close();
});
