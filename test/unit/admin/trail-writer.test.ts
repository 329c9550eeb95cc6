/**
 * The message trail's background writer (docs/decisions.md §43): rows handed over are written together
 * (one INSERT per batch), within the delay or at once when a batch is full; a flush writes everything
 * handed over before it; a write the database refuses keeps its rows, in order, for the next one; while
 * the database stays away the buffer is bounded and the oldest rows are dropped and counted.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrailEntity, type TrailRow } from '../../../src/admin/admin.entities.js';
import { TrailWriter } from '../../../src/admin/trail-writer.js';
import { Database } from '../../../src/db/database.js';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '../../../src/db/schema.js';
import { silentLogger, type Logger } from '../../../src/shared/logger.js';

function row(n: number): TrailRow {
  return {
    id: `trail-${String(n).padStart(4, '0')}`,
    at: new Date(Date.UTC(2026, 11, 4, 12, 0, 0, n)).toISOString(),
    stage: 'processed',
    msgId: `msg-${n}`,
    inboxId: null,
    outboxId: null,
    herId: 8_093_312,
    process: 'DIALOG_INNBYGGER_TIMERESERVASJON',
    functionCode: 'RT',
    outcome: `answered: RT → reply 05 (${n})`,
    detail: { transport: 'amqp', durationMs: n, outboxIds: [`out-${n}`] },
  };
}

describe('TrailWriter', () => {
  let db: Database;
  beforeEach(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'timebok-trail-'));
    db = await Database.open({ url: `sqlite:${join(dir, 'db.sqlite')}`, entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS });
  });
  afterEach(async () => db.close());

  const stored = async () => db.manager.getRepository(TrailEntity).find({ order: { id: 'ASC' } });

  it('writes the rows handed over in one statement per batch, as the entity reads them back', async () => {
    const writer = new TrailWriter(db, silentLogger, { delayMs: 10_000, batchRows: 50 });
    for (let n = 0; n < 120; n++) writer.add(row(n));
    const before = db.counter.statements;
    await writer.flush();
    // 120 rows: the first 50 went at once (a full batch), then 50 + 20 at the flush.
    expect(db.counter.statements - before).toBe(3);
    const rows = await stored();
    expect(rows).toHaveLength(120);
    expect(rows[7]).toEqual(row(7));
    expect(writer.stats).toEqual({ written: 120, dropped: 0, failedWrites: 0 });
    expect(writer.pending).toBe(0);
  });

  it('writes a lone row within its delay, without a flush', async () => {
    const writer = new TrailWriter(db, silentLogger, { delayMs: 20 });
    writer.add(row(1));
    expect(await stored()).toHaveLength(0);
    for (let i = 0; i < 100 && (await stored()).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await stored()).map((r) => r.id)).toEqual(['trail-0001']);
  });

  it('keeps the rows of a refused write, in order, and writes them once the database takes them again', async () => {
    const warnings: unknown[] = [];
    const logger = { ...silentLogger, warn: (o: unknown) => warnings.push(o) } as unknown as Logger;
    const writer = new TrailWriter(db, logger, { delayMs: 10_000 });
    await db.query('ALTER TABLE message_trail RENAME TO message_trail_away');
    writer.add(row(1));
    writer.add(row(2));
    await writer.flush();
    expect(writer.pending).toBe(2);
    expect(writer.stats.failedWrites).toBe(1);
    // what was logged names a count and an error class, nothing of the rows
    expect(JSON.stringify(warnings)).not.toContain('msg-1');
    writer.add(row(3));
    await db.query('ALTER TABLE message_trail_away RENAME TO message_trail');
    await writer.flush();
    expect((await stored()).map((r) => r.id)).toEqual(['trail-0001', 'trail-0002', 'trail-0003']);
    expect(writer.stats).toMatchObject({ written: 3, dropped: 0 });
  });

  it('drops a row the database refuses while it takes the others, so one bad row holds back nothing', async () => {
    const writer = new TrailWriter(db, silentLogger, { delayMs: 10_000 });
    writer.add(row(1));
    await writer.flush();
    // the same id again: refused (primary key) every time it is written
    for (const n of [2, 1, 3]) writer.add(row(n));
    await writer.flush();
    expect((await stored()).map((r) => r.id)).toEqual(['trail-0001', 'trail-0002', 'trail-0003']);
    expect(writer.pending).toBe(0);
    expect(writer.stats).toEqual({ written: 3, dropped: 1, failedWrites: 0 });
  });

  it('holds values from the transport to the columns\' limits', async () => {
    const writer = new TrailWriter(db, silentLogger, { delayMs: 10_000 });
    writer.add({ ...row(1), process: 'P'.repeat(300), functionCode: 'F'.repeat(30), herId: 99_999_999_999 });
    await writer.flush();
    const [r] = await stored();
    expect(r?.process).toBe('P'.repeat(100));
    expect(r?.functionCode).toBe('F'.repeat(20));
    expect(r?.herId).toBeNull();
  });

  it('bounds what it keeps while the database is away: the oldest rows are dropped and counted', async () => {
    const writer = new TrailWriter(db, silentLogger, { delayMs: 10_000, batchRows: 10, maxBuffered: 25 });
    await db.query('ALTER TABLE message_trail RENAME TO message_trail_away');
    for (let n = 0; n < 40; n++) writer.add(row(n));
    await writer.flush();
    expect(writer.pending).toBe(25);
    expect(writer.stats.dropped).toBe(15);
    await db.query('ALTER TABLE message_trail_away RENAME TO message_trail');
    await writer.flush();
    const ids = (await stored()).map((r) => r.id);
    expect(ids).toHaveLength(25);
    expect(ids[0]).toBe('trail-0015');
    expect(ids[24]).toBe('trail-0039');
  });

  it('drops what a closed database can no longer take, and does not try again', async () => {
    const writer = new TrailWriter(db, silentLogger, { delayMs: 10_000 });
    writer.add(row(1));
    await db.close();
    await writer.flush();
    expect(writer.pending).toBe(0);
    expect(writer.stats).toEqual({ written: 0, dropped: 1, failedWrites: 0 });
  });

  it('is one writer per database, found again by readers', () => {
    const a = TrailWriter.of(db, silentLogger);
    expect(TrailWriter.of(db, silentLogger)).toBe(a);
    expect(TrailWriter.existing(db)).toBe(a);
  });
});
