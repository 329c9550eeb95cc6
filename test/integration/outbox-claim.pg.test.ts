import pg from 'pg';
import { Database } from '../../src/db/database.js';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '../../src/db/schema.js';
import { addOutbox, claimRound, markManySentClaimed, type NewOutboxRow } from '../../src/outbox/outbox.store.js';
import { freshDatabase } from './pg.js';

/**
 * The relay's claim on PostgreSQL skips rows another transaction holds instead of waiting for them
 * (docs/decisions.md §41): a claim that waited could deadlock with another relay's sent mark.
 */
let drop: () => Promise<void>;
let url: string;
let db: Database;

function row(i: number): NewOutboxRow {
  return {
    id: `claim-row-${i}`, inboxId: `claim-inbox-${i}`, kind: 'reply', queue: 'q', toHerId: 1, fromHerId: 2, process: 'P', correlationId: null,
    body: '<x/>', properties: {}, summary: 's', createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), seq: 0,
  };
}

beforeAll(async () => {
  const fresh = await freshDatabase('claim');
  drop = fresh.drop;
  url = fresh.url;
  db = await Database.open({ url, entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS, poolSize: 4 });
});
afterAll(async () => {
  await db?.close();
  await drop?.();
});

test('a claim passes over a row another transaction has locked and takes the rest without waiting', async () => {
  await db.run((tx) => addOutbox(tx, [row(1), row(2), row(3)]));
  const other = new pg.Client({ connectionString: url });
  await other.connect();
  try {
    await other.query('BEGIN');
    // as another relay's sent mark holds it, uncommitted
    await other.query("UPDATE outbox_message SET last_error = 'held' WHERE id = 'claim-row-2'");
    const claim = claimRound(db, { owner: 'relay-a', now: new Date(), leaseMs: 30_000, groups: 10, mayHoldClaims: false });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'waited'>((r) => (timer = setTimeout(() => r('waited'), 3000)));
    const round = await Promise.race([claim, timedOut]).finally(() => clearTimeout(timer));
    expect(round).not.toBe('waited');
    if (round === 'waited') {
      await other.query('ROLLBACK');
      await claim;
      return;
    }
    expect(round.rows.map((r) => r.id).sort()).toEqual(['claim-row-1', 'claim-row-3']);
    await other.query('COMMIT');
    // once released, the skipped row is claimed in the next round
    const next = await claimRound(db, { owner: 'relay-a', now: new Date(), leaseMs: 30_000, groups: 10, mayHoldClaims: false });
    expect(next.rows.map((r) => r.id)).toEqual(['claim-row-2']);
  } finally {
    await other.query('ROLLBACK').catch(() => undefined);
    await other.end();
  }
});

test('a sent mark chosen as a deadlock victim runs again and marks every row', async () => {
  await db.run((tx) => addOutbox(tx, [row(11), row(12)]));
  const other = new pg.Client({ connectionString: url });
  await other.connect();
  try {
    // another transaction (as a message's requeue of a duplicate) holds row 12 …
    await other.query('BEGIN');
    await other.query("UPDATE outbox_message SET sent_at = NULL WHERE id = 'claim-row-12'");
    // … the sent mark takes row 11 (the primary key's order) and waits for row 12 …
    const started = Date.now();
    const mark = markManySentClaimed(db, ['claim-row-11', 'claim-row-12'], new Date());
    await new Promise((r) => setTimeout(r, 200));
    // … and the other transaction now wants row 11: a deadlock, whose victim is the sent mark (it waited first)
    const otherSide = other.query("UPDATE outbox_message SET sent_at = NULL WHERE id = 'claim-row-11'").then(() => other.query('COMMIT'));
    await Promise.all([mark, otherSide]);
    // PostgreSQL found the deadlock (after deadlock_timeout, 1 s by default) and the mark ran again
    expect(Date.now() - started).toBeGreaterThan(900);
    const marked = await db.query<{ n: unknown }>("SELECT COUNT(*) AS n FROM outbox_message WHERE id IN ('claim-row-11', 'claim-row-12') AND sent_at IS NOT NULL");
    expect(Number(marked[0]?.n)).toBe(2);
  } finally {
    await other.query('ROLLBACK').catch(() => undefined);
    await other.end();
  }
}, 20_000);

/**
 * Group commit on PostgreSQL (docs/decisions.md §42): two processes' groups lock contended rows in one
 * order, so they never deadlock, and every unit's write counts once.
 */
test('two databases grouping units over shared rows: no deadlock, no fallback, every write once', async () => {
  const second = await Database.open({ url, entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS, poolSize: 4, groupCommit: { maxBatch: 16, maxInFlight: 2 } });
  try {
    await db.query('CREATE TABLE contended (id TEXT PRIMARY KEY, n INTEGER NOT NULL)');
    const ids = Array.from({ length: 8 }, (_, i) => `row-${i}`);
    for (const id of ids) await db.query('INSERT INTO contended (id, n) VALUES (?, 0)', [id]);
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
    const units = (target: Database) =>
      Array.from({ length: 300 }, () => {
        const id = ids[Math.floor(random() * ids.length)]!;
        return target.runGrouped(async (tx) => {
          await tx.query('UPDATE contended SET n = n + 1 WHERE id = ?', [id]);
          // hold the lock a little, as a booking's later statements do
          await tx.query('SELECT pg_sleep(0.001)');
        }, id);
      });
    await Promise.all([...units(db), ...units(second)]);
    const total = await db.query<{ n: unknown }>('SELECT SUM(n) AS n FROM contended');
    expect(Number(total[0]?.n)).toBe(600);
    expect(db.grouped.stats.units + second.grouped.stats.units).toBe(600);
    // groups did form, and none had to fall back to one by one
    expect(db.grouped.stats.groups + second.grouped.stats.groups).toBeLessThan(600);
    expect(db.grouped.stats.fallbacks + second.grouped.stats.fallbacks).toBe(0);
  } finally {
    await second.close();
  }
}, 60_000);
