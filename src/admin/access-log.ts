import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.js';
import type { Clock } from '../shared/clock.js';
import { AccessLogEntity, type AccessLogRow } from './admin.entities.js';

export interface AccessEntry {
  actor: string;
  role: string;
  channel: AccessLogRow['channel'];
  action: string;
  target?: string | null;
}

/**
 * Records reads of patient data (the norm for the health sector asks for it): one row per patient seen
 * in one call. Written before the data is returned: a read that cannot be logged is not served.
 */
export async function logAccess(db: Database, clock: Clock, who: AccessEntry, patientIds: Iterable<string | null | undefined>): Promise<void> {
  const at = clock.now().toISOString();
  const unique = [...new Set([...patientIds].filter((p): p is string => typeof p === 'string' && p !== ''))];
  if (unique.length === 0) return;
  const rows: AccessLogRow[] = unique.map((patientId) => ({
    id: randomUUID(),
    at,
    actor: who.actor.slice(0, 100),
    role: who.role.slice(0, 16),
    channel: who.channel,
    patientId,
    action: who.action.slice(0, 200),
    target: who.target ? who.target.slice(0, 200) : null,
  }));
  await db.transaction(async (em) => {
    for (let i = 0; i < rows.length; i += 200) await em.getRepository(AccessLogEntity).insert(rows.slice(i, i + 200));
  });
}

export interface AccessQuery {
  patientId?: string;
  actor?: string;
  from?: string;
  to?: string;
  limit?: number;
}

/** The access log, newest first (operators only). */
export async function queryAccessLog(db: Database, q: AccessQuery): Promise<AccessLogRow[]> {
  const qb = db.manager.getRepository(AccessLogEntity).createQueryBuilder('a');
  if (q.patientId) qb.andWhere('a.patientId = :p', { p: q.patientId });
  if (q.actor) qb.andWhere('a.actor = :actor', { actor: q.actor });
  if (q.from) qb.andWhere('a.at >= :from', { from: q.from });
  if (q.to) qb.andWhere('a.at < :to', { to: q.to });
  return qb.orderBy('a.at', 'DESC').addOrderBy('a.id', 'ASC').take(Math.min(q.limit ?? 200, 1000)).getMany();
}
