/**
 * Shared load, fault and bookkeeping for the RELIABILITY.md tests on RabbitMQ + PostgreSQL, each run
 * over AMQP 0.9.1 and over AMQP 1.0 (the world's protocol: Timebok's transport and Helsenorge's client). Helsenorge
 * sends ReserverAvtale requests (distinct MsgIds, patients and slot places), collects every answer, and
 * the figures are computed from what it received plus three SQL invariants: no slot above capacity,
 * inbox rows = distinct MsgIds processed, no outbox row left unsent.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { deadLetterQueueOf } from '../../../src/transport/amqp/topology.js';
import { freshDatabase } from '../pg.js';
import type { AmqpProtocol } from '../../../src/config/config.js';
import { Helsenorge, deleteWorldQueues, makeWorld, queueDepth, reserveXml, sqlQuery, startTimebok, syntheticFnr, type Received, type World } from '../amqp/world.js';

export type Started = Awaited<ReturnType<typeof startTimebok>>;

/** What one reliability test file runs on; filled in by its beforeAll. */
export interface ReliabilityWorld {
  schemas: SchemaSet;
  db: { url: string; drop: () => Promise<void> };
  world: World;
  hn: Helsenorge;
  /** The in-process Timebok instances `start` returned. */
  instances: Started[];
}

/**
 * Registers the file's beforeAll/afterAll: compiled schemas, a fresh PostgreSQL database, a world with
 * place for `n` requests, Helsenorge on the broker, and the Timebok instances `start` returns. Teardown
 * first runs `restore` (e.g. start PostgreSQL again), then stops and deletes everything.
 */
export function useReliabilityWorld(
  label: string,
  n: number,
  start: (w: Omit<ReliabilityWorld, 'instances'>) => Promise<Started[]>,
  restore?: () => void,
  opts: { protocol?: AmqpProtocol; deliveryLimit?: number } = {},
): ReliabilityWorld {
  const w = { instances: [] as Started[] } as ReliabilityWorld;
  beforeAll(async () => {
    w.schemas = await loadSchemaSet();
    w.db = await freshDatabase(`${label}${(opts.protocol ?? '0-9-1').replace(/\W/g, '')}`);
    w.world = await makeWorld({
      slots: Math.ceil(n / 100) + 1, capacity: 100, protocol: opts.protocol ?? '0-9-1',
      ...(opts.deliveryLimit !== undefined ? { deliveryLimit: opts.deliveryLimit } : {}),
    });
    w.hn = new Helsenorge(w.world);
    await w.hn.start();
    w.instances = await start(w);
  });
  afterAll(async () => {
    restore?.();
    for (const t of w.instances) await t.stop().catch(() => undefined);
    await w.hn?.close();
    if (w.world) {
      await deleteWorldQueues(w.world).catch(() => undefined);
      w.world.cleanup();
    }
    await w.db?.drop();
    w.schemas?.dispose();
  }, 120_000);
  return w;
}

export interface Request {
  msgId: string;
  messageId: string;
  body: Buffer;
}

/** `n` protected ReserverAvtale requests spread over the world's slots. */
export function makeRequests(hn: Helsenorge, world: World, n: number, offset = 0): Request[] {
  return Array.from({ length: n }, (_, i) => {
    const msgId = randomUUID();
    const slot = world.slotIds[(i + offset) % world.slotIds.length] as string;
    return { msgId, messageId: randomUUID(), body: hn.protect(reserveXml(msgId, syntheticFnr(i + offset), slot)) };
  });
}

export async function sendAll(hn: Helsenorge, queue: string, requests: Request[]): Promise<void> {
  for (const r of requests) await hn.send(queue, r.body, { messageId: r.messageId });
}

/** The request MsgId an answer refers to: RefToParent (reply) or OriginalMsgId/Id (AppRec). */
export function requestOf(x: Received): string | undefined {
  const ref = /<(?:\w+:)?RefToParent>([^<]+)</.exec(x.xml)?.[1];
  if (ref) return ref;
  return /<(?:\w+:)?OriginalMsgId>[\s\S]*?<(?:\w+:)?Id>([^<]+)</.exec(x.xml)?.[1];
}

export interface Tally {
  /** request MsgId → distinct reply message-ids / AppRec message-ids */
  replies: Map<string, Set<string>>;
  apprecs: Map<string, Set<string>>;
  /** answers received in total (wire copies included) */
  total: number;
  distinct: number;
}

export function tally(hn: Helsenorge): Tally {
  const replies = new Map<string, Set<string>>();
  const apprecs = new Map<string, Set<string>>();
  const seen = new Set<string>();
  let total = 0;
  for (const x of hn.received) {
    if (x.xml === '') continue;
    const req = requestOf(x);
    if (!req) continue;
    total += 1;
    const id = String(x.msg.properties.messageId);
    seen.add(id);
    const map = x.msg.properties.type === 'APPREC' ? apprecs : replies;
    const set = map.get(req) ?? new Set<string>();
    set.add(id);
    map.set(req, set);
  }
  return { replies, apprecs, total, distinct: seen.size };
}

/** Requests that have their business reply. */
export function answeredCount(hn: Helsenorge, requests: Request[]): number {
  const t = tally(hn);
  return requests.filter((r) => t.replies.has(r.msgId)).length;
}

export async function waitAnswered(hn: Helsenorge, requests: Request[], atLeast: number, timeoutMs: number): Promise<void> {
  await hn.waitFor(() => answeredCount(hn, requests) >= atLeast, timeoutMs, `${atLeast} answered requests`);
}

export interface Figures {
  sent: number;
  answered: number;
  lost: number;
  double: number;
  wire_dup: number;
  dead_lettered: number;
}

/** Figures of a run and the three SQL invariants (thrown as a failed expectation by the caller). */
export async function figures(hn: Helsenorge, world: World, dbUrl: string, requests: Request[]): Promise<Figures & { invariants: Invariants }> {
  const t = tally(hn);
  const answered = requests.filter((r) => t.replies.has(r.msgId)).length;
  let double = 0;
  for (const r of requests) {
    if ((t.replies.get(r.msgId)?.size ?? 0) > 1 || (t.apprecs.get(r.msgId)?.size ?? 0) > 1) double += 1;
  }
  const dead = (await queueDepth(deadLetterQueueOf(world.queues.ourAsync))) + (await queueDepth(deadLetterQueueOf(world.queues.ourSync)));
  const invariants = await checkInvariants(dbUrl, requests);
  double += invariants.doubleAppointments;
  return {
    sent: requests.length,
    answered,
    lost: requests.length - answered - dead,
    double,
    wire_dup: t.total - t.distinct,
    dead_lettered: dead,
    invariants,
  };
}

export interface Invariants {
  slotsAboveCapacity: number;
  inboxRows: number;
  /** Distinct request MsgIds among the inbox rows (must equal inboxRows). */
  distinctInboxMsgIds: number;
  unsentOutbox: number;
  doubleAppointments: number;
  bookings: number;
  inboxHits: number;
}

export async function checkInvariants(dbUrl: string, requests: Request[]): Promise<Invariants> {
  const one = async (sql: string, params: unknown[] = []) => Number(Object.values((await sqlQuery(dbUrl, sql, params))[0] ?? { n: 0 })[0]);
  const ids = requests.map((r) => r.msgId);
  return {
    slotsAboveCapacity: await one('SELECT count(*) FROM slot WHERE booked > capacity'),
    inboxRows: await one('SELECT count(*) FROM inbox_message WHERE msg_id = ANY($1)', [ids]),
    distinctInboxMsgIds: await one('SELECT count(DISTINCT msg_id) FROM inbox_message WHERE msg_id = ANY($1)', [ids]),
    unsentOutbox: await one('SELECT count(*) FROM outbox_message WHERE sent_at IS NULL'),
    doubleAppointments: await one('SELECT count(*) FROM (SELECT "sourceMsgId" FROM appointment WHERE "sourceMsgId" = ANY($1) GROUP BY "sourceMsgId" HAVING count(*) > 1) d', [ids]),
    bookings: await one('SELECT count(*) FROM appointment WHERE "sourceMsgId" = ANY($1)', [ids]),
    inboxHits: await one('SELECT coalesce(sum(duplicate_count), 0) FROM inbox_message WHERE msg_id = ANY($1)', [ids]),
  };
}

/** Prints the figures on one line of their own, e.g. `RELIABILITY T2 protocol=1.0 sent=2000 answered=2000 lost=0 …`. */
export function report(test: string, protocol: AmqpProtocol, values: Record<string, number | string>): void {
  const line = `RELIABILITY ${test} ${Object.entries({ protocol, ...values }).map(([k, v]) => `${k}=${v}`).join(' ')}`;
  process.stdout.write(`\n${line}\n`);
}

// ---- faults ----------------------------------------------------------------------------------------------

function rabbitmqctl(...args: string[]): void {
  execFileSync('rabbitmqctl', args, { stdio: 'ignore', timeout: 120_000 });
}

export function brokerStop(): void {
  rabbitmqctl('stop_app');
}

/** Starts the RabbitMQ application and waits until it serves (await_startup). */
export function brokerStart(): void {
  rabbitmqctl('start_app');
  rabbitmqctl('await_startup');
}

const pgVersion = (): string => readdirSync('/etc/postgresql')[0] as string;

export function postgresStop(): void {
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', pgVersion(), 'main', 'stop'], { stdio: 'ignore', timeout: 120_000 });
}

export function postgresStart(): void {
  try {
    execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', pgVersion(), 'main', 'start'], { stdio: 'ignore', timeout: 120_000 });
  } catch {
    // already running
  }
  for (let i = 0; i < 60; i++) {
    try {
      execFileSync('pg_isready', ['-h', '127.0.0.1', '-p', '5432'], { stdio: 'ignore' });
      return;
    } catch {
      execFileSync('sleep', ['0.5']);
    }
  }
  throw new Error('PostgreSQL did not come back');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
