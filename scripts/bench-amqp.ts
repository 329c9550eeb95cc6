/**
 * End-to-end figures on RabbitMQ + PostgreSQL (part of `npm run bench` when AMQP_URL and a postgres
 * DATABASE_URL are set): two Timebok processes (`src/main.ts`, full CMS both ways) serve ReserverAvtale
 * requests that a Helsenorge stand-in in this process has signed and encrypted beforehand.
 *
 * - throughput: N requests published at once; time from the first publish to the last reply;
 * - latency: requests offered at a fixed rate; request publish → reply arrival, p50/p99; with a
 *   HentLedigeTimer sync round trip every 100 ms under that load.
 *
 * Replies are matched to requests by their AMQP message-id (the outbox row id, derived from the request's
 * MsgId), so the stand-in does not spend CPU decrypting during the run; a sample is decrypted and checked
 * afterwards. Uses the integration tests' world (test/integration/amqp/world.ts): test PKI, set-up files.
 */
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import amqp, { type ConfirmChannel } from 'amqplib';
import pg from 'pg';
import { PROTECTED_CONTENT_TYPE } from '../src/protection/cms.protect.js';
import { derivedId } from '../src/shared/ids.js';
import { AMQP_URL, HN_SERVICE, Helsenorge, LAB, deleteWorldQueues, freeSlotsXml, makeWorld, reserveXml, spawnTimebok, syntheticFnr, type World } from '../test/integration/amqp/world.js';

export interface AmqpBenchOptions {
  databaseUrl: string;
  /** Requests in the throughput run (default 2000). */
  requests?: number;
  /**
   * Offered rate and seconds of the latency run (default: 200/s, the target's rate, or half the measured
   * throughput when that is lower — latency beyond capacity only measures the queue; 10 s).
   */
  rate?: number;
  seconds?: number;
  log?: (line: string) => void;
  /** Extra environment for the Timebok processes (e.g. NODE_OPTIONS=--cpu-prof to profile them). */
  childEnv?: Record<string, string>;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function freshDatabase(base: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `timebok_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await c.end();
    },
  };
}

export async function runAmqpBench(options: AmqpBenchOptions): Promise<Record<string, number>> {
  const log = options.log ?? (() => undefined);
  const n = options.requests ?? 2000;
  const seconds = options.seconds ?? 10;
  const maxRate = options.rate ?? 200;
  const figures: Record<string, number> = {};
  const db = await freshDatabase(options.databaseUrl);
  const world: World = await makeWorld({ slots: Math.ceil((n + maxRate * seconds) / 100) + 2, capacity: 100 });
  const hn = new Helsenorge(world); // used to protect requests and to open a sample of answers
  const children: ChildProcess[] = [];
  const conn = await amqp.connect(AMQP_URL, { noDelay: true });
  try {
    const ch: ConfirmChannel = await conn.createConfirmChannel();
    const arrivals = new Map<string, number>();
    const bodies = new Map<string, Buffer>();
    let waiter: (() => void) | null = null;
    for (const q of [world.queues.hnAsync, world.queues.hnSyncReply, world.queues.hnError]) {
      // (declared by makeWorld, as `timebok amqp declare` sets up NHN's queues)
      await ch.consume(q, (m) => {
        if (!m) return;
        const id = q === world.queues.hnSyncReply ? String(m.properties.correlationId) : String(m.properties.messageId);
        if (!arrivals.has(id)) arrivals.set(id, performance.now());
        if (bodies.size < 5 && q === world.queues.hnAsync) bodies.set(id, m.content);
        ch.ack(m);
        waiter?.();
      });
    }
    const until = async (done: () => boolean, timeoutMs: number) => {
      const end = Date.now() + timeoutMs;
      while (!done()) {
        if (Date.now() > end) throw new Error(`bench: timed out (${arrivals.size} answers)`);
        await new Promise<void>((r) => {
          waiter = r;
          setTimeout(r, 200);
        });
      }
    };

    // two Timebok processes; wait until both consume
    const started = performance.now();
    for (const name of ['a', 'b']) children.push(spawnTimebok(world, db.url, { AMQP_PREFETCH: '50', LOG_LEVEL: 'error', TIMEBOK_NAME: name, ...options.childEnv }));
    conn.on('error', () => undefined);
    for (;;) {
      // a check of a queue not declared yet closes its channel (404): use a throwaway one
      const probe = await conn.createChannel();
      probe.on('error', () => undefined);
      const q = await probe.checkQueue(world.queues.ourAsync).catch(() => null);
      if (q) await probe.close().catch(() => undefined);
      if (q && q.consumerCount >= 2) break;
      if (performance.now() - started > 60_000) throw new Error('bench: Timebok processes did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    figures.amqp_startup_two_processes_ms = performance.now() - started;

    let slotIndex = 0;
    let patient = 0;
    const build = (): { msgId: string; body: Buffer } => {
      const msgId = randomUUID();
      // round robin over the slots: many citizens over many sessions (bookings of one hot slot queue on
      // its row lock: 100 in a row on one slot measured 67/s against 79/s spread)
      const slot = world.slotIds[slotIndex++ % world.slotIds.length] as string;
      return { msgId, body: hn.protect(reserveXml(msgId, syntheticFnr(patient++), slot)) };
    };
    const replyIdOf = (msgId: string) => derivedId('reply', `${HN_SERVICE}:${msgId}`);
    const publish = (queue: string, body: Buffer, extra: { sync?: boolean; correlationId?: string } = {}) => {
      const messageId = randomUUID();
      ch.publish('', queue, body, {
        messageId,
        correlationId: extra.correlationId ?? messageId,
        replyTo: extra.sync ? world.queues.hnSyncReply : world.queues.hnAsync,
        contentType: PROTECTED_CONTENT_TYPE,
        type: 'DIALOG_INNBYGGER_TIMERESERVASJON',
        persistent: true,
        headers: { fromHerId: String(HN_SERVICE), toHerId: String(LAB), applicationTimeStamp: new Date().toISOString() },
      });
    };

    // warm-up (JIT, connection pools, prepared schemas)
    const warm = Array.from({ length: 50 }, build);
    for (const r of warm) publish(world.queues.ourAsync, r.body);
    await until(() => warm.every((r) => arrivals.has(replyIdOf(r.msgId))), 60_000);

    // throughput
    log(`  amqp: protecting ${n} requests as Helsenorge …`);
    const batch = Array.from({ length: n }, build);
    const t0 = performance.now();
    for (const r of batch) publish(world.queues.ourAsync, r.body);
    await ch.waitForConfirms();
    await until(() => batch.every((r) => arrivals.has(replyIdOf(r.msgId))), 600_000);
    const t1 = Math.max(...batch.map((r) => arrivals.get(replyIdOf(r.msgId)) as number));
    figures.amqp_pg_reserve_e2e_per_s = (n * 1000) / (t1 - t0);

    // latency at a fixed offered rate, with sync HentLedigeTimer probes
    const rate = Math.max(5, Math.min(maxRate, Math.floor(figures.amqp_pg_reserve_e2e_per_s / 2)));
    const paced = rate * seconds;
    const pacedBatch = Array.from({ length: paced }, build);
    const sent = new Map<string, number>();
    const probes = new Map<string, number>();
    const t2 = performance.now();
    let probeNo = 0;
    for (let i = 0; i < paced; i++) {
      const due = t2 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const r = pacedBatch[i]!;
      sent.set(replyIdOf(r.msgId), performance.now());
      publish(world.queues.ourAsync, r.body);
      if (i % Math.max(1, Math.round(rate / 10)) === 0) {
        const correlationId = randomUUID();
        const body = hn.protect(freeSlotsXml(`probe-${probeNo++}-${randomUUID()}`, syntheticFnr(100_000 + probeNo)));
        probes.set(correlationId, performance.now());
        publish(world.queues.ourSync, body, { sync: true, correlationId });
      }
    }
    await until(() => [...sent.keys()].every((id) => arrivals.has(id)) && [...probes.keys()].every((id) => arrivals.has(id)), 600_000);
    const latencies = [...sent].map(([id, at]) => (arrivals.get(id) as number) - at);
    const syncLatencies = [...probes].map(([id, at]) => (arrivals.get(id) as number) - at);
    figures.amqp_reserve_latency_p50_ms_at_rate = percentile(latencies, 50);
    figures.amqp_reserve_latency_p99_ms_at_rate = percentile(latencies, 99);
    figures.amqp_hlt_sync_p99_ms_under_load = percentile(syncLatencies, 99);
    figures.amqp_latency_offered_per_s = rate;

    // a sample of the answers: verified, decrypted, booked
    let confirmed = 0;
    for (const body of bodies.values()) if (/V="05"|Status V="1"/.test(hn.open(body))) confirmed += 1;
    if (confirmed !== bodies.size) throw new Error('bench: a sampled answer is not a confirmation');
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const over = await c.query('SELECT COUNT(*) AS n FROM slot WHERE booked > capacity');
    await c.end();
    if (Number(over.rows[0]?.n) !== 0) throw new Error('bench: a slot is above its capacity');
    return figures;
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)))));
    await conn.close().catch(() => undefined);
    await deleteWorldQueues(world).catch(() => undefined);
    world.cleanup();
    await db.drop();
  }
}
