import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ProtectionConfig } from '../config/config.js';
import type { Database } from '../db/database.js';
import type { OutboxRelay } from '../outbox/outbox.relay.js';
import { PartyEntity } from '../registry/registry.entities.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { StaffService } from '../staff/staff.service.js';
import { counterpartyCertificates, ourCertificates, type CertificateInfo } from './certificates.js';
import { TimebokMetrics, type MetricsSource } from './metrics.js';
import { observePipeline, type Processor } from './observe.js';
import { TrailWriter } from './trail-writer.js';
import { RetentionJob } from './retention.js';
import { buildAdminServer, type ReadinessCheck } from './server.js';
import { loadTokensFile } from './tokens.js';

export interface MetricsSourceOptions {
  db: Database;
  /** The message trail's writer (its drops and failed writes are counted). */
  trail?: TrailWriter;
  clock: Clock;
  protection: ProtectionConfig | null;
  /** The registry snapshot file: its age is the registry's age (else the newest imported row). */
  registryFile?: string | null;
  /** Spool folder: its `error/` files count as dead letters (embedded transport). */
  spoolDir?: string | null;
  /** Dead-lettered messages on the broker (AMQP), when known. */
  deadLetters?: () => Promise<number | null>;
}

/** The metrics' and readiness checks' view of this process (certificate files read at most once a minute). */
export function metricsSource(o: MetricsSourceOptions): MetricsSource {
  let certs: { at: number; list: CertificateInfo[] } | null = null;
  const trail = o.trail;
  return {
    now: () => o.clock.now(),
    async outbox() {
      const rows = (await o.db.manager.query('SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox_message WHERE sent_at IS NULL')) as Array<{ n: number | string; oldest: string | null }>;
      const r = rows[0];
      const oldest = r?.oldest ? Math.max(0, (o.clock.now().getTime() - Date.parse(r.oldest)) / 1000) : 0;
      return { unsent: Number(r?.n ?? 0), oldestUnsentSeconds: oldest };
    },
    async deadLetters() {
      if (o.deadLetters) return o.deadLetters();
      if (o.spoolDir) return countSpoolErrors(o.spoolDir);
      return null;
    },
    async registryAgeSeconds() {
      if (o.registryFile) {
        try {
          return Math.max(0, (o.clock.now().getTime() - (await stat(o.registryFile)).mtimeMs) / 1000);
        } catch {
          // fall back to the database
        }
      }
      const rows = (await o.db.manager.getRepository(PartyEntity).createQueryBuilder('p').select('MAX(p.importedAt)', 'at').getRawOne()) as { at: string | null } | undefined;
      return rows?.at ? Math.max(0, (o.clock.now().getTime() - Date.parse(rows.at)) / 1000) : null;
    },
    groupCommit: () => ({ ...o.db.grouped.stats }),
    ...(trail ? { trail: () => trail.stats } : {}),
    async certificates() {
      const now = Date.now();
      if (certs === null || now - certs.at > 60_000) certs = { at: now, list: [...ourCertificates(o.protection), ...(await counterpartyCertificates(o.db))] };
      return certs.list;
    },
  };
}

async function countSpoolErrors(spoolDir: string): Promise<number> {
  let n = 0;
  let queues: string[] = [];
  try {
    queues = await readdir(spoolDir);
  } catch {
    return 0;
  }
  for (const q of queues) {
    try {
      n += (await readdir(join(spoolDir, q, 'error'))).filter((f) => !f.endsWith('.reason.txt')).length;
    } catch {
      // no error folder
    }
  }
  return n;
}

/** `/readyz` beyond the database: the broker, the registry's age, our own certificates. */
export function readinessChecks(source: MetricsSource, o: { registryMaxAgeDays: number; broker?: () => Promise<boolean> }): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [];
  if (o.broker) {
    const broker = o.broker;
    checks.push({ name: 'broker', check: async () => ((await broker()) ? { ok: true, detail: 'connected' } : { ok: false, detail: 'not connected' }) });
  }
  checks.push({
    name: 'registry',
    check: async () => {
      const age = await source.registryAgeSeconds();
      if (age === null) return { ok: false, detail: 'no registry imported' };
      const days = age / 86_400;
      return { ok: days <= o.registryMaxAgeDays, detail: `${days.toFixed(1)} days old (at most ${o.registryMaxAgeDays})` };
    },
  });
  checks.push({
    name: 'certificates',
    check: async () => {
      const ours = (await source.certificates()).filter((c) => c.owner === 'ours');
      if (ours.length === 0) return { ok: true, detail: 'CMS not configured' };
      const now = source.now().getTime();
      const bad = ours.filter((c) => c.notAfter === null || Date.parse(c.notAfter) <= now);
      return bad.length === 0 ? { ok: true, detail: `${ours.length} valid` } : { ok: false, detail: `${bad.map((c) => c.use).join(', ')} expired or unreadable` };
    },
  });
  return checks;
}

export interface AdminSettings {
  port: number;
  host: string;
  tokensFile: string | null;
  retentionDays: number;
  registryMaxAgeDays: number;
}

export interface StartAdminOptions {
  settings: AdminSettings;
  db: Database;
  clock: Clock;
  logger: Logger;
  staff: StaffService;
  pipeline: Processor;
  protection: ProtectionConfig | null;
  registryFile: string | null;
  spoolDir: string | null;
  broker?: () => Promise<boolean>;
  deadLetters?: () => Promise<number | null>;
  /** The transport's outbox relay: what it sends feeds `timebok_outbox_send_delay_seconds`. */
  relay?: Pick<OutboxRelay, 'onSent'>;
}

/**
 * Everything issue 11 adds to a running service: the pipeline decorator (metrics and trail), the
 * retention job, and the admin server on ADMIN_HOST:ADMIN_PORT. Returns a stop function.
 */
export async function startAdmin(o: StartAdminOptions): Promise<{ server: FastifyInstance; address: string; stop(): Promise<void>; flushTrail(): Promise<void> }> {
  const trail = TrailWriter.of(o.db, o.logger);
  const source = metricsSource({ db: o.db, trail, clock: o.clock, protection: o.protection, registryFile: o.registryFile, spoolDir: o.spoolDir, ...(o.deadLetters ? { deadLetters: o.deadLetters } : {}) });
  const metrics = new TimebokMetrics(source);
  observePipeline(o.pipeline, { db: o.db, clock: o.clock, logger: o.logger, metrics });
  o.relay?.onSent((rows, at) => {
    for (const row of rows) metrics.observeSent(row.kind, (at.getTime() - Date.parse(row.createdAt)) / 1000);
  });
  const retention = new RetentionJob({ db: o.db, clock: o.clock, logger: o.logger, days: o.settings.retentionDays, spoolDir: o.spoolDir });
  const stopRetention = retention.start();
  const tokens = o.settings.tokensFile ? loadTokensFile(o.settings.tokensFile) : [];
  if (tokens.length === 0) o.logger.warn({ setting: 'ADMIN_TOKENS_FILE' }, 'no admin tokens: every /api call is refused (401); health, metrics and the page still answer');
  const server = await buildAdminServer({
    db: o.db,
    clock: o.clock,
    logger: o.logger,
    staff: o.staff,
    tokens,
    metrics,
    retention,
    readiness: readinessChecks(source, { registryMaxAgeDays: o.settings.registryMaxAgeDays, ...(o.broker ? { broker: o.broker } : {}) }),
  });
  const address = await server.listen({ host: o.settings.host, port: o.settings.port });
  o.logger.info({ address, tokens: tokens.length }, 'admin API and staff page listening');
  return {
    server,
    address,
    async stop() {
      stopRetention();
      await server.close();
    },
    // After the transport has finished the messages in hand: their trail rows are written before exit.
    flushTrail: () => trail.flush(),
  };
}
