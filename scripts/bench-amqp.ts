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
 * afterwards. Uses the world shared with the integration tests (scripts/support/amqp-world.ts): test PKI, set-up files.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import amqp, { type ConfirmChannel } from 'amqplib';
import rhea from 'rhea';
import type * as Rhea from 'rhea';
import type { AmqpProtocol } from '../src/config/config.js';
import { parseBrokerUrl, sourceAddress, targetAddress } from '../src/transport/amqp10/address.js';
import { amqp10IdText, bodyBytes } from '../src/transport/amqp10/message.js';
import pg from 'pg';
import { PROTECTED_CONTENT_TYPE } from '../src/protection/cms.protect.js';
import { derivedId } from '../src/shared/ids.js';
import { AMQP_URL, HN_SERVICE, Helsenorge, LAB, deleteWorldQueues, freeSlotsXml, makeWorld, reserveXml, spawnTimebok, syntheticFnr, type World } from './support/amqp-world.js';

export interface AmqpBenchOptions {
  databaseUrl: string;
  /** Requests in the throughput run (default 2000). */
  requests?: number;
  /**
   * Offered rate and seconds of the latency run (default 200/s, the target's rate, and 10 s). The
   * latency figures are named for the rate (`reserve_p99_ms_at_200`).
   */
  rate?: number;
  seconds?: number;
  log?: (line: string) => void;
  /** Extra environment for the Timebok processes (Node 20 refuses --cpu-prof in NODE_OPTIONS). */
  childEnv?: Record<string, string>;
  /** Write a CPU profile of each Timebok process into this folder (`--cpu-prof`), read with scripts/profile-summary.ts. */
  profileDir?: string;
  /**
   * The protocol Timebok speaks in the end-to-end run (default 0-9-1). With 1.0 the stand-in also sends
   * and receives over AMQP 1.0 in NHN's dialect: RabbitMQ 3.10 does not carry 0-9-1 headers over to 1.0
   * application properties, where Timebok reads fromHerId and the other §2.3 fields.
   */
  protocol?: AmqpProtocol;
  /** Citizens and slots (capacity 1) of the mass-vaccination run (default 10,000 and 2,000; 0 = skip). */
  massCitizens?: number;
  massSlots?: number;
}

/**
 * The Timebok processes run as a clinic runs them: with the admin server (staff page, health, metrics),
 * and so with the message trail written for every message (on an ephemeral port each). Before the
 * trail was written in the background (docs/decisions.md §43) this alone cost a sixth of the throughput
 * and tripled the latency at 200/s, which a bench without it did not show.
 */
const CHILD_DEFAULTS = { AMQP_PREFETCH: '50', LOG_LEVEL: 'error', ADMIN_PORT: '0' };

/** Resident memory of a process in MB (Linux /proc), or NaN. */
function rssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU time (clock ticks, user + system) of the processes whose command name matches, or of `pids`. */
function cpuTicks(match: (comm: string, pid: number) => boolean): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (!match(comm, Number(entry))) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/** CPU ticks of Timebok (the children), PostgreSQL and RabbitMQ (every such process on the machine). */
function cpuSample(children: ChildProcess[]): { timebok: number; postgres: number; rabbitmq: number } {
  const pids = new Set(children.map((c) => c.pid));
  return {
    timebok: cpuTicks((_, pid) => pids.has(pid)),
    postgres: cpuTicks((comm) => comm.startsWith('postgres')),
    rabbitmq: cpuTicks((comm) => comm.startsWith('beam') || comm.startsWith('erl')),
  };
}

/** The machine's CPU time so far (/proc/stat, all CPUs, in ticks): busy and total. */
function machineTicks(): { busy: number; total: number } {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: NaN, total: NaN };
  }
}

/**
 * Measures from now on: `read(suffix)` gives the CPU of each party since then, in cores (ticks are
 * 1/100 s), and the machine's busy share, as `cpu_cores_<party><suffix>` and `machine_busy_share<suffix>`.
 */
function cpuMeter(children: ChildProcess[]): (suffix?: string) => Record<string, number> {
  const cpu0 = cpuSample(children);
  const machine0 = machineTicks();
  const bench0 = process.cpuUsage();
  const t0 = performance.now();
  return (suffix = '') => {
    const cpu1 = cpuSample(children);
    const machine1 = machineTicks();
    const bench = process.cpuUsage(bench0);
    const seconds = (performance.now() - t0) / 1000;
    return {
      [`machine_busy_share${suffix}`]: (machine1.busy - machine0.busy) / (machine1.total - machine0.total),
      [`cpu_cores_timebok${suffix}`]: (cpu1.timebok - cpu0.timebok) / 100 / seconds,
      [`cpu_cores_postgres${suffix}`]: (cpu1.postgres - cpu0.postgres) / 100 / seconds,
      [`cpu_cores_rabbitmq${suffix}`]: (cpu1.rabbitmq - cpu0.rabbitmq) / 100 / seconds,
      [`cpu_cores_bench${suffix}`]: (bench.user + bench.system) / 1e6 / seconds,
    };
  };
}

/** Waits until `queue` has `consumers` consumers; the time it took in ms. */
async function untilConsumed(conn: amqp.ChannelModel, queue: string, consumers: number, since: number): Promise<number> {
  for (;;) {
    // a check of a queue not declared yet closes its channel (404): use a throwaway one
    const probe = await conn.createChannel();
    probe.on('error', () => undefined);
    const q = await probe.checkQueue(queue).catch(() => null);
    if (q) await probe.close().catch(() => undefined);
    if (q && q.consumerCount >= consumers) return performance.now() - since;
    if (performance.now() - since > 60_000) throw new Error('bench: Timebok processes did not start');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** node flags that make a child write its CPU profile into `dir` when it stops. */
function profileArgs(dir: string | undefined, run: string): string[] {
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${join(dir, run)}`] : [];
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
  const protocol = options.protocol ?? '0-9-1';
  const world: World = await makeWorld({ slots: Math.ceil((n + maxRate * seconds) / 100) + 2, capacity: 100, protocol });
  const hn = new Helsenorge(world); // used to protect requests and to open a sample of answers
  const children: ChildProcess[] = [];
  const conn = await amqp.connect(AMQP_URL, { noDelay: true });
  let bus10: StandIn10 | null = null;
  try {
    const ch: ConfirmChannel = await conn.createConfirmChannel();
    const arrivals = new Map<string, number>();
    // the answers still awaited: the stand-in checks a count, not every request, per arrival (the bench
    // must not take the CPU it measures)
    const pending = new Set<string>();
    const expect = (ids: Iterable<string>) => {
      for (const id of ids) if (!arrivals.has(id)) pending.add(id);
    };
    const bodies = new Map<string, Buffer>();
    let waiter: (() => void) | null = null;
    const arrived = (q: string, id: string, content: Buffer) => {
      if (!arrivals.has(id)) {
        arrivals.set(id, performance.now());
        pending.delete(id);
      }
      if (bodies.size < 5 && q === world.queues.hnAsync) bodies.set(id, content);
      waiter?.();
    };
    const answerQueues = [world.queues.hnAsync, world.queues.hnSyncReply, world.queues.hnError];
    if (protocol === '1.0') {
      bus10 = await StandIn10.open(world, answerQueues, (q, m) => arrived(q, (q === world.queues.hnSyncReply ? amqp10IdText(m.correlation_id) : amqp10IdText(m.message_id)) ?? '', bodyBytes(m.body) ?? Buffer.alloc(0)));
    } else {
      for (const q of answerQueues) {
        // (declared by makeWorld, as `timebok amqp declare` sets up NHN's queues)
        await ch.consume(q, (m) => {
          if (!m) return;
          arrived(q, q === world.queues.hnSyncReply ? String(m.properties.correlationId) : String(m.properties.messageId), m.content);
          ch.ack(m);
        });
      }
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

    // two Timebok processes (compiled, as `npm start` runs them). The first starts alone on the fresh
    // database (it migrates and imports): its time to consuming is `startup_ms`; then the second.
    conn.on('error', () => undefined);
    const env = (name: string) => ({ ...CHILD_DEFAULTS, TIMEBOK_NAME: name, ...options.childEnv });
    const started = performance.now();
    const spawnOptions = { compiled: true, nodeArgs: profileArgs(options.profileDir, 'e2e') };
    children.push(spawnTimebok(world, db.url, env('a'), spawnOptions));
    figures.startup_first_ms = await untilConsumed(conn, world.queues.ourAsync, 1, started);
    const second = performance.now();
    children.push(spawnTimebok(world, db.url, env('b'), spawnOptions));
    figures.startup_ms = await untilConsumed(conn, world.queues.ourAsync, 2, second);
    await new Promise((r) => setTimeout(r, 2000));
    figures.rss_idle_mb = Math.max(...children.map((c) => rssMb(c.pid)));

    const replyIdOf = (msgId: string) => derivedId('reply', `${HN_SERVICE}:${msgId}`);
    let slotIndex = 0;
    let patient = 0;
    const build = (): { msgId: string; replyId: string; body: Buffer } => {
      const msgId = randomUUID();
      // round robin over the slots: many citizens over many sessions (bookings of one hot slot queue on
      // its row lock: 100 in a row on one slot measured 67/s against 79/s spread)
      const slot = world.slotIds[slotIndex++ % world.slotIds.length] as string;
      return { msgId, replyId: replyIdOf(msgId), body: hn.protect(reserveXml(msgId, syntheticFnr(patient++), slot)) };
    };
    const publish = (queue: string, body: Buffer, extra: { sync?: boolean; correlationId?: string } = {}) => {
      const messageId = randomUUID();
      if (bus10) {
        bus10.send(queue, {
          message_id: messageId,
          to: queue,
          correlation_id: extra.correlationId ?? messageId,
          reply_to: extra.sync ? world.queues.hnSyncReply : world.queues.hnAsync,
          content_type: PROTECTED_CONTENT_TYPE,
          subject: 'DIALOG_INNBYGGER_TIMERESERVASJON',
          durable: true,
          application_properties: { fromHerId: String(HN_SERVICE), toHerId: String(LAB), applicationTimeStamp: new Date().toISOString() },
          body: rhea.message.data_section(body),
        } as Rhea.Message);
        return;
      }
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
    expect(warm.map((r) => r.replyId));
    for (const r of warm) publish(world.queues.ourAsync, r.body);
    await until(() => pending.size === 0, 60_000);

    // throughput
    log(`  amqp ${protocol}: protecting ${n} requests as Helsenorge …`);
    const batch = Array.from({ length: n }, build);
    const throughputCpu = cpuMeter(children);
    expect(batch.map((r) => r.replyId));
    const t0 = performance.now();
    for (const r of batch) publish(world.queues.ourAsync, r.body);
    await (bus10 ? bus10.settled() : ch.waitForConfirms());
    await until(() => pending.size === 0, 600_000);
    const t1 = Math.max(...batch.map((r) => arrivals.get(r.replyId) as number));
    figures.e2e_reserve_per_s = (n * 1000) / (t1 - t0);
    // CPU of each party during the throughput run: where the time goes.
    Object.assign(figures, throughputCpu());
    figures.rss_after_load_mb = Math.max(...children.map((c) => rssMb(c.pid)));

    // latency at the target's offered rate (200/s), with sync HentLedigeTimer probes every 100 ms
    const rate = maxRate;
    const paced = rate * seconds;
    const pacedBatch = Array.from({ length: paced }, build);
    const sent = new Map<string, number>();
    const probes = new Map<string, number>();
    const latencyCpu = cpuMeter(children);
    const t2 = performance.now();
    let probeNo = 0;
    for (let i = 0; i < paced; i++) {
      const due = t2 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const r = pacedBatch[i]!;
      expect([r.replyId]);
      sent.set(r.replyId, performance.now());
      publish(world.queues.ourAsync, r.body);
      if (i % Math.max(1, Math.round(rate / 10)) === 0) {
        const correlationId = randomUUID();
        const body = hn.protect(freeSlotsXml(`probe-${probeNo++}-${randomUUID()}`, syntheticFnr(100_000 + probeNo)));
        expect([correlationId]);
        probes.set(correlationId, performance.now());
        publish(world.queues.ourSync, body, { sync: true, correlationId });
      }
    }
    await until(() => pending.size === 0, 600_000);
    // CPU during the latency run: with little to batch, a booking costs more than in the throughput run,
    // and the machine is busier than the rate alone suggests (docs/performance.md).
    Object.assign(figures, latencyCpu(`_at_${rate}`));
    const latencies = [...sent].map(([id, at]) => (arrivals.get(id) as number) - at);
    const syncLatencies = [...probes].map(([id, at]) => (arrivals.get(id) as number) - at);
    // (named for the rate offered: `_at_200` unless `npm run bench -- --rate N` chose another)
    figures[`reserve_p50_ms_at_${rate}`] = percentile(latencies, 50);
    figures[`reserve_p99_ms_at_${rate}`] = percentile(latencies, 99);
    figures.hlt_sync_p99_ms_under_load = percentile(syncLatencies, 99);
    figures.latency_offered_per_s = rate;

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
    bus10?.close();
    await conn.close().catch(() => undefined);
    await deleteWorldQueues(world).catch(() => undefined);
    world.cleanup();
    await db.drop();
  }
}

/**
 * The stand-in's AMQP 1.0 side (NHN's dialect: sends to `/exchange/<exchange>/<queue>`, reads
 * `/amq/queue/<queue>`): messages are sent as link credit allows, without waiting for each outcome;
 * `settled()` waits until the broker has accepted all of them.
 */
class StandIn10 {
  private readonly senders = new Map<string, { link: Rhea.Sender; queue: Rhea.Message[] }>();
  private sent = 0;
  private accepted = 0;
  private failed = 0;
  private readonly waiting: Array<() => void> = [];

  private constructor(
    private readonly conn: Rhea.Connection,
    private readonly exchange: string,
  ) {}

  static async open(world: World, queues: string[], onMessage: (queue: string, m: Rhea.Message) => void): Promise<StandIn10> {
    const a = parseBrokerUrl(world.url);
    const container = rhea.create_container({ id: `bench-${world.prefix}` });
    container.on('error', () => undefined);
    const conn = container.connect({ host: a.host, port: a.port, username: a.username, password: a.password, reconnect: false } as Rhea.ConnectionOptions);
    await new Promise<void>((res, rej) => {
      conn.once('connection_open', () => res());
      conn.once('disconnected', (ctx: Rhea.EventContext) => rej((ctx as { error?: unknown }).error ?? new Error('bench: AMQP 1.0 connection failed')));
    });
    conn.on('error', () => undefined);
    for (const q of queues) {
      const r = conn.open_receiver({ source: { address: sourceAddress(q) }, credit_window: 500 });
      r.on('message', (ctx: Rhea.EventContext) => {
        if (ctx.message) onMessage(q, ctx.message);
      });
    }
    return new StandIn10(conn, world.exchange);
  }

  send(queue: string, message: Rhea.Message): void {
    let s = this.senders.get(queue);
    if (!s) {
      const link = this.conn.open_sender({ target: { address: targetAddress(this.exchange, queue) } });
      const entry = { link, queue: [] as Rhea.Message[] };
      link.on('sendable', () => this.pump(entry));
      link.on('accepted', () => this.settle(true));
      link.on('rejected', () => this.settle(false));
      link.on('released', () => this.settle(false));
      this.senders.set(queue, entry);
      s = entry;
    }
    s.queue.push(message);
    this.pump(s);
  }

  private pump(s: { link: Rhea.Sender; queue: Rhea.Message[] }): void {
    while (s.queue.length > 0 && s.link.sendable()) {
      s.link.send(s.queue.shift() as Rhea.Message);
      this.sent += 1;
    }
  }

  private settle(ok: boolean): void {
    if (ok) this.accepted += 1;
    else this.failed += 1;
    for (const w of this.waiting.splice(0)) w();
  }

  /** Resolves when every message given to `send` is accepted (rejects when the broker refused one). */
  async settled(): Promise<void> {
    for (;;) {
      if (this.failed > 0) throw new Error(`bench: the broker refused ${this.failed} request(s)`);
      const queued = [...this.senders.values()].reduce((n, s) => n + s.queue.length, 0);
      if (queued === 0 && this.accepted === this.sent) return;
      await new Promise<void>((r) => {
        this.waiting.push(r);
        setTimeout(r, 200);
      });
    }
  }

  close(): void {
    this.conn.close();
  }
}

/**
 * Mass vaccination: `citizens` ReserverAvtale published at once at a book whose `slots` slots (capacity
 * 1 each) have just been published; citizen i asks for slot i mod slots, so most lose the race. Two
 * Timebok processes. Drained = the time from the first publish to the last answer; unanswered = requests
 * with no reply, or whose inbox outcome is not a reply 05 or 06; double = patients holding more than one
 * place plus places over capacity plus slots whose count disagrees with their appointments.
 */
export async function runMassVaccination(options: AmqpBenchOptions): Promise<Record<string, number>> {
  const log = options.log ?? (() => undefined);
  const citizens = options.massCitizens ?? 10_000;
  const slots = options.massSlots ?? 2_000;
  const figures: Record<string, number> = {};
  const db = await freshDatabase(options.databaseUrl);
  const world: World = await makeWorld({ slots, capacity: 1 });
  const hn = new Helsenorge(world);
  const children: ChildProcess[] = [];
  const conn = await amqp.connect(AMQP_URL, { noDelay: true });
  conn.on('error', () => undefined);
  try {
    const ch: ConfirmChannel = await conn.createConfirmChannel();
    const arrivals = new Map<string, number>();
    const pending = new Set<string>();
    for (const q of [world.queues.hnAsync, world.queues.hnSyncReply, world.queues.hnError]) {
      await ch.checkQueue(q); // declared by makeWorld with the bus's arguments
      await ch.consume(q, (m) => {
        if (!m) return;
        const id = String(m.properties.messageId);
        if (!arrivals.has(id)) {
          arrivals.set(id, performance.now());
          pending.delete(id);
        }
        ch.ack(m);
      });
    }
    const started = performance.now();
    for (const name of ['a', 'b']) children.push(spawnTimebok(world, db.url, { ...CHILD_DEFAULTS, TIMEBOK_NAME: name, ...options.childEnv }, { compiled: true, nodeArgs: profileArgs(options.profileDir, 'mass') }));
    await untilConsumed(conn, world.queues.ourAsync, 2, started);

    log(`  mass vaccination: protecting ${citizens} requests as Helsenorge …`);
    const requests = Array.from({ length: citizens }, (_, i) => {
      const msgId = randomUUID();
      return { msgId, replyId: derivedId('reply', `${HN_SERVICE}:${msgId}`), body: hn.protect(reserveXml(msgId, syntheticFnr(200_000 + i), world.slotIds[i % slots] as string)) };
    });
    for (const r of requests) pending.add(r.replyId);
    const t0 = performance.now();
    for (const r of requests) {
      const messageId = randomUUID();
      ch.publish('', world.queues.ourAsync, r.body, {
        messageId,
        correlationId: messageId,
        replyTo: world.queues.hnAsync,
        contentType: PROTECTED_CONTENT_TYPE,
        type: 'DIALOG_INNBYGGER_TIMERESERVASJON',
        persistent: true,
        headers: { fromHerId: String(HN_SERVICE), toHerId: String(LAB), applicationTimeStamp: new Date().toISOString() },
      });
    }
    await ch.waitForConfirms();
    const deadline = Date.now() + 300_000;
    while (pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const answered = requests.filter((r) => arrivals.has(r.replyId));
    const last = Math.max(...answered.map((r) => arrivals.get(r.replyId) as number));
    figures.mass_vaccination_drain_s = (last - t0) / 1000;

    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const wrong = await c.query(
        "SELECT COUNT(*) AS n FROM inbox_message WHERE process = 'DIALOG_INNBYGGER_TIMERESERVASJON' AND outcome NOT LIKE '%reply 05%' AND outcome NOT LIKE '%reply 06%'",
      );
      figures.mass_vaccination_unanswered = citizens - answered.length + Number(wrong.rows[0]?.n ?? 0);
      const doubles = await c.query(`SELECT
          (SELECT COUNT(*) FROM (SELECT "patientId" FROM appointment WHERE status IN ('requested', 'booked') GROUP BY "patientId" HAVING COUNT(*) > 1) p) AS patients,
          (SELECT COALESCE(SUM(booked - capacity), 0) FROM slot WHERE booked > capacity) AS over,
          (SELECT COUNT(*) FROM slot s WHERE s.booked <> (SELECT COUNT(*) FROM appointment a WHERE a."slotId" = s.id AND a.status IN ('requested', 'booked'))) AS skew`);
      const d = doubles.rows[0] as { patients: string; over: string; skew: string };
      figures.mass_vaccination_double = Number(d.patients) + Number(d.over) + Number(d.skew);
      const booked = await c.query("SELECT COUNT(*) AS n FROM appointment WHERE status = 'booked'");
      figures.mass_vaccination_booked = Number(booked.rows[0]?.n ?? 0);
    } finally {
      await c.end();
    }
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

