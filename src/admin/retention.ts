import { randomUUID } from 'node:crypto';
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { In, IsNull, LessThan, Not } from 'typeorm';
import type { Database } from '../db/database.js';
import { OutboxEntity } from '../inbox/message.entities.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { CitizenRequestEntity } from '../timebook/request.entities.js';
import { AppointmentEntity } from '../timebook/timebook.entities.js';
import { TrailEntity, type TrailRow } from './admin.entities.js';

export interface RetentionOptions {
  db: Database;
  clock: Clock;
  logger: Logger;
  /** RETENTION_DAYS: bodies older than this many days are deleted. */
  days: number;
  /** The spool folder (embedded transport), whose `*\/processed/` files are deleted when old. */
  spoolDir?: string | null;
}

export interface RetentionResult {
  cutoff: string;
  /** Sent outbox rows (replies, AppRecs, Avtaler, reports) whose bodies were deleted; their trail stays. */
  outboxDeleted: number;
  /** Citizens' texts cleared from answered or withdrawn requests and from past appointments. */
  textsCleared: number;
  spoolFilesDeleted: number;
}

const BATCH = 500;

/**
 * Privacy by default (docs/admin.md): message bodies, stored replies and processed spool files older
 * than RETENTION_DAYS are deleted. What happened stays in `message_trail` (ids, codes, HER-ids, times:
 * never a fødselsnummer or a name). Unsent rows are never touched. After this a duplicate of a message
 * that old is no longer answered byte for byte: its stored answer is gone (it is logged as a duplicate
 * with nothing to re-send).
 */
export class RetentionJob {
  constructor(private readonly o: RetentionOptions) {}

  async run(): Promise<RetentionResult> {
    const { db, clock } = this.o;
    const cutoff = new Date(clock.now().getTime() - this.o.days * 86_400_000).toISOString();
    let outboxDeleted = 0;
    for (;;) {
      const n = await db.transaction(async (em) => {
        const repo = em.getRepository(OutboxEntity);
        const rows = await repo.find({ where: { createdAt: LessThan(cutoff), sentAt: Not(IsNull()) }, take: BATCH, order: { createdAt: 'ASC' } });
        if (rows.length === 0) return 0;
        const trail: TrailRow[] = rows.map((r) => ({
          id: randomUUID(),
          at: r.createdAt,
          stage: 'outgoing',
          msgId: null,
          inboxId: r.inboxId,
          outboxId: r.id,
          herId: r.toHerId,
          process: r.process,
          functionCode: r.summary.split(' ').slice(1).join(' ') || null,
          outcome: `${r.summary} (${r.kind}) to ${r.toHerId ?? '?'}`.slice(0, 200),
          detail: { kind: r.kind, queue: r.queue, fromHerId: r.fromHerId, sentAt: r.sentAt, attempts: r.attempts, ...(r.lastError ? { lastError: scrub(r.lastError) } : {}) },
        }));
        await em.getRepository(TrailEntity).insert(trail as never);
        await repo.delete({ id: In(rows.map((r) => r.id)) });
        return rows.length;
      });
      outboxDeleted += n;
      if (n < BATCH) break;
    }
    const textsCleared = await db.transaction(async (em) => {
      const requests = await em
        .createQueryBuilder()
        .update(CitizenRequestEntity)
        .set({ emneSporsmal: null, sporsmal: null })
        .where('status <> :open', { open: 'open' })
        .andWhere('"updatedAt" < :cutoff', { cutoff })
        .andWhere('("emneSporsmal" IS NOT NULL OR sporsmal IS NOT NULL)')
        .execute();
      const appointments = await em
        .createQueryBuilder()
        .update(AppointmentEntity)
        .set({ emneSporsmal: null, sporsmal: null, attachments: null })
        .where('"endUtc" < :cutoff', { cutoff })
        .andWhere('("emneSporsmal" IS NOT NULL OR sporsmal IS NOT NULL OR attachments IS NOT NULL)')
        .execute();
      return (requests.affected ?? 0) + (appointments.affected ?? 0);
    });
    const spoolFilesDeleted = this.o.spoolDir ? await deleteOldSpoolFiles(this.o.spoolDir, Date.parse(cutoff)) : 0;
    const result = { cutoff, outboxDeleted, textsCleared, spoolFilesDeleted };
    this.o.logger.info({ retention: result }, 'retention: old message bodies deleted');
    return result;
  }

  /** Runs now and then every `everyMs` (default 6 hours) until the returned stop is called. */
  start(everyMs = 6 * 3_600_000): () => void {
    const tick = () => {
      this.run().catch((err: unknown) => this.o.logger.error({ err: err instanceof Error ? err.name : 'error' }, 'retention run failed; tried again later'));
    };
    tick();
    const timer = setInterval(tick, everyMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}

/** Files in `<spool>/<queue>/processed/` last changed before `cutoffMs`. */
async function deleteOldSpoolFiles(spoolDir: string, cutoffMs: number): Promise<number> {
  let deleted = 0;
  let queues: string[];
  try {
    queues = await readdir(spoolDir);
  } catch {
    return 0;
  }
  for (const q of queues) {
    const dir = join(spoolDir, q, 'processed');
    let files: string[];
    try {
      files = await readdir(dir);
    } catch {
      continue;
    }
    for (const f of files) {
      const path = join(dir, f);
      try {
        const s = await stat(path);
        if (s.isFile() && s.mtimeMs < cutoffMs) {
          await unlink(path);
          deleted += 1;
        }
      } catch {
        // gone already, or not ours to delete
      }
    }
  }
  return deleted;
}

/** An error text from another party may quote anything: 11-digit numbers are not kept. */
function scrub(text: string): string {
  return text.replace(/\d{11}/g, '<11 digits>').slice(0, 300);
}
