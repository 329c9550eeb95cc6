/**
 * A RabbitMQ + PostgreSQL world for the AMQP and reliability tests: a temp set-up (registry.json and
 * timebooks.json whose parties point at the shared test PKI), unique queue names per world, Timebok
 * started in-process (or as child processes), and Helsenorge acting on the broker: it protects requests
 * with its signing key for our encryption certificate and reads and verifies the answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import amqp, { type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import rhea, { type Connection as Connection10, type EventContext, type Receiver as Receiver10, type Sender as Sender10 } from 'rhea';
import type * as Rhea from 'rhea';
import pg from 'pg';
import { createApp, importSetup, type App } from '../../src/app.js';
import type { AmqpConfig, AmqpProtocol, ProtectionConfig } from '../../src/config/config.js';
import { runAmqpDeclare } from '../../src/cli/amqp.command.js';
import { DEFAULT_XML_LIMITS } from '../../src/envelope/types.js';
import { withCheckDigits } from '../../src/envelope/person-id.js';
import type { SchemaSet } from '../../src/envelope/schema.validator.js';
import { protect, PROTECTED_CONTENT_TYPE } from '../../src/protection/cms.protect.js';
import { unprotect } from '../../src/protection/cms.unprotect.js';
import { loadKeyFile, loadTrust } from '../../src/protection/keys.js';
import type { TestPki } from './test-pki.js';
import type { TrustOptions } from '../../src/protection/trust.js';
import { systemClock } from '../../src/shared/clock.js';
import { createLogger, silentLogger, type Logger } from '../../src/shared/logger.js';
import type { AmqpTransport, AmqpTransportOptions } from '../../src/transport/amqp/amqp.transport.js';
import { deadLetterQueueOf } from '../../src/transport/amqp/topology.js';
import { startBrokerTransport } from '../../src/transport/broker.js';
import { parseBrokerUrl, sourceAddress, targetAddress } from '../../src/transport/amqp10/address.js';
import { amqp10IdText, bodyBytes } from '../../src/transport/amqp10/message.js';
import { certPem, HELSENORGE, identity, sharedTestPki, trustFiles, US } from './pki.js';

export const ROOT = resolve(import.meta.dirname, '../..');
/** The broker (no exchange); each world adds its own exchange as the URL's path, as NHN's URLs have one. */
export const AMQP_URL = (process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672').replace(/\/+$/, '');
/** Both protocols, for tests that run on each. */
export const PROTOCOLS: AmqpProtocol[] = ['0-9-1', '1.0'];
export const LAB = 8142521;
export const HN_SERVICE = 8093248;
export const CHAOS = process.env.TIMEBOK_CHAOS === '1';

export interface WorldQueues {
  ourSync: string;
  ourAsync: string;
  ourError: string;
  hnAsync: string;
  hnSync: string;
  hnError: string;
  hnSyncReply: string;
}

export interface World {
  protocol: AmqpProtocol;
  /** AMQP_URL with this world's exchange as its path (NHN's form). */
  url: string;
  exchange: string;
  /** x-delivery-limit of the declared queues. */
  deliveryLimit: number;
  pki: TestPki;
  dir: string;
  registryFile: string;
  timebooksFile: string;
  prefix: string;
  queues: WorldQueues;
  slotIds: string[];
  protection: ProtectionConfig;
  /** Environment for a Timebok child process (`node --import tsx src/main.ts`). */
  env(databaseUrl: string, extra?: Record<string, string>): Record<string, string>;
  cleanup(): void;
}

/** A local date in Oslo `days` from today, as YYYY-MM-DD. */
function osloDate(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  return new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Oslo', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

/**
 * Set-up files in a temp folder: Helsenorge (115851, service 8093248) and our office (8142519, lab
 * 8142521) with queues named `<prefix>_<herId>_…`, certificates from the test PKI, and one lab book with
 * `slots` slots (ids `<prefix>-slot-N`) of `capacity` each, starting tomorrow. The world's exchange and
 * queues are declared on the broker unless `declare` is false.
 */
export async function makeWorld(opts: { slots?: number; capacity?: number; protocol?: AmqpProtocol; deliveryLimit?: number; declare?: boolean } = {}): Promise<World> {
  const pki = await sharedTestPki();
  const prefix = `it${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const dir = mkdtempSync(join(tmpdir(), 'timebok-amqp-'));
  const hn = pki.parties[HELSENORGE];
  const us = pki.parties[US];
  if (!hn || !us) throw new Error('test PKI lacks a party');
  const q = (herId: number | string, kind: string) => `${prefix}_${herId}_${kind}`;
  const queues: WorldQueues = {
    ourSync: q(US, 'sync'),
    ourAsync: q(US, 'async'),
    ourError: q(US, 'error'),
    hnAsync: q(HELSENORGE, 'async'),
    hnSync: q(HELSENORGE, 'sync'),
    hnError: q(HELSENORGE, 'error'),
    hnSyncReply: q(HELSENORGE, 'syncreply'),
  };
  const registry = {
    generatedAt: new Date().toISOString(),
    parties: [
      {
        herId: Number(HELSENORGE), name: 'DIREKTORATET FOR E-HELSE', type: 'Organization', parentHerId: null, active: true,
        queues: { async: queues.hnAsync, sync: queues.hnSync, error: queues.hnError },
        processes: [],
        certificates: { signing: hn.signing.certPath, encryption: hn.encryption.certPath },
      },
      {
        herId: HN_SERVICE, name: 'Digitale innbyggertjenester', type: 'Service', parentHerId: Number(HELSENORGE), active: true,
        processes: ['DIALOG_INNBYGGER_TIMERESERVASJON', 'DIALOG_INNBYGGER_AVTALEAVBESTILLING', 'APPREC'],
      },
      {
        herId: Number(US), name: 'Testlegekontoret', type: 'Organization', parentHerId: null, organizationNumber: '999999999', active: true,
        queues: { async: queues.ourAsync, sync: queues.ourSync, error: queues.ourError },
        processes: [],
        certificates: { signing: us.signing.certPath, encryption: us.encryption.certPath },
      },
      {
        herId: LAB, name: 'Laboratoriet', type: 'Service', parentHerId: Number(US), active: true,
        processes: ['DIALOG_INNBYGGER_TIMERESERVASJON', 'DIALOG_INNBYGGER_AVTALEAVBESTILLING'],
      },
    ],
  };
  const n = opts.slots ?? 20;
  const slotIds: string[] = [];
  const slots = Array.from({ length: n }, (_, i) => {
    const day = osloDate(1 + Math.floor(i / 60));
    const minutes = 8 * 60 + (i % 60) * 10;
    const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    const id = `${prefix}-slot-${i}`;
    slotIds.push(id);
    return { id, start: `${day}T${hhmm(minutes)}`, end: `${day}T${hhmm(minutes + 10)}`, capacity: opts.capacity ?? 100, type: 'Lab' };
  });
  const timebooks = {
    timeZone: 'Europe/Oslo',
    timebooks: [
      {
        id: `${prefix}-lab`, herId: LAB, kind: 'Lab', name: 'Blodprøver', published: true, confirmation: 'auto',
        minNoticeMinutes: 0, horizonDays: 60, cancelCutoffMinutes: 0, maxActivePerPatient: 5, slots,
      },
    ],
  };
  const registryFile = join(dir, 'registry.json');
  const timebooksFile = join(dir, 'timebooks.json');
  writeFileSync(registryFile, JSON.stringify(registry, null, 2));
  writeFileSync(timebooksFile, JSON.stringify(timebooks, null, 2));
  const trust = { anchors: [pki.rootCa.certPath], intermediates: [pki.issuingCa.certPath], crls: [pki.crls.issuing, pki.crls.root], revocation: 'crl' as const };
  const protection: ProtectionConfig = {
    signing: { key: us.signing.keyPath, certificate: us.signing.certPath },
    decryption: { key: us.encryption.keyPath, certificate: us.encryption.certPath },
    legacyDecryption: null,
    trust,
  };
  const exchange = `${prefix}.bus`;
  const url = `${AMQP_URL}/${exchange}`;
  // What NHN's bus provides, as `timebok amqp declare` sets it up: exchange, all queues of both parties.
  // (`declare: false`: the set-up files only, for runs without a broker, which then leave no queues behind)
  if (opts.declare !== false) await runAmqpDeclare({ url, registryFile, herIds: [Number(US), Number(HELSENORGE)], deliveryLimit: opts.deliveryLimit ?? AMQP_SETTINGS.deliveryLimit });
  return {
    protocol: opts.protocol ?? '0-9-1', url, exchange, deliveryLimit: opts.deliveryLimit ?? AMQP_SETTINGS.deliveryLimit,
    pki, dir, registryFile, timebooksFile, prefix, queues, slotIds, protection,
    env(databaseUrl, extra = {}) {
      return {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        DATABASE_URL: databaseUrl,
        AMQP_URL: url,
        AMQP_PROTOCOL: opts.protocol ?? '0-9-1',
        REGISTRY_FILE: registryFile,
        TIMEBOOKS_FILE: timebooksFile,
        ACCEPT_SYNTHETIC_IDS: 'true',
        SIGNING_KEY_FILE: us.signing.keyPath,
        SIGNING_CERT_FILE: us.signing.certPath,
        DECRYPTION_KEY_FILE: us.encryption.keyPath,
        DECRYPTION_CERT_FILE: us.encryption.certPath,
        TRUST_ANCHOR_FILES: trust.anchors.join(','),
        INTERMEDIATE_CA_FILES: trust.intermediates.join(','),
        CRL_FILES: trust.crls.join(','),
        AMQP_PREFETCH: '20',
        LOG_LEVEL: 'warn',
        ...extra,
      };
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const AMQP_SETTINGS: AmqpConfig = { herIds: [], prefetch: 20, deliveryLimit: 5, syncReplyTtlMs: 15_000, reconnectMaxMs: 2000, protocol: '0-9-1', tls: {} };

/** Timebok in this process: app on `databaseUrl`, set-up imported, the world's broker transport started. */
export async function startTimebok(
  world: World,
  databaseUrl: string,
  schemas: SchemaSet,
  extra: Partial<Omit<AmqpTransportOptions, 'settings'>> & { settings?: Partial<AmqpConfig>; logger?: Logger } = {},
): Promise<{ app: App; transport: AmqpTransport; stop(): Promise<void> }> {
  const logger = extra.logger ?? (process.env.TIMEBOK_TEST_LOG ? createLogger(process.env.TIMEBOK_TEST_LOG) : silentLogger);
  const app = await createApp({
    databaseUrl, clock: systemClock, logger, limits: DEFAULT_XML_LIMITS, acceptSyntheticIds: true, schemas, protection: world.protection,
  });
  const setup = await importSetup(app, world.registryFile, world.timebooksFile);
  const { settings, logger: _l, ...rest } = extra;
  const transport = await startBrokerTransport({
    app, url: world.url, settings: { ...AMQP_SETTINGS, protocol: world.protocol, deliveryLimit: world.deliveryLimit, ...settings }, herIds: setup.ourHerIds, relayIntervalMs: 500, holdMinMs: 100, holdMaxMs: 1000, ...rest,
  }).catch(async (err: unknown) => {
    await app.close();
    throw err;
  });
  return {
    app,
    transport,
    async stop() {
      await transport.stop();
      await app.close();
    },
  };
}

/** Timebok as a child process (`node --import tsx src/main.ts`); resolves when it consumes. */
export function spawnTimebok(
  world: World,
  databaseUrl: string,
  extra: Record<string, string> = {},
  options: { compiled?: boolean; nodeArgs?: string[] } = {},
): ChildProcess {
  // `compiled`: `node dist/main.js` as `npm start` runs it (the caller makes sure dist/ is built);
  // `nodeArgs`: flags for node itself, such as --cpu-prof (which NODE_OPTIONS refuses)
  const args = [...(options.nodeArgs ?? []), ...(options.compiled ? ['dist/main.js'] : ['--import', 'tsx', 'src/main.ts'])];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: world.env(databaseUrl, extra),
    stdio: ['ignore', process.env.TIMEBOK_TEST_LOG ? 'pipe' : 'ignore', 'pipe'],
  });
  // TIMEBOK_TEST_LOG=1: the child's log (stdout) and errors (stderr) on this process's stderr
  const relay = (d: Buffer) => {
    if (process.env.TIMEBOK_TEST_LOG) process.stderr.write(d);
  };
  child.stdout?.on('data', relay);
  child.stderr?.on('data', relay);
  return child;
}

// ---- synthetic patients and messages -------------------------------------------------------------------

/** The i-th synthetic test fødselsnummer (month + 40), adult, valid check digits. */
export function syntheticFnr(i: number): string {
  const day = 1 + (i % 28);
  const month = 41 + (Math.floor(i / 28) % 12);
  const year = 50 + (Math.floor(i / 336) % 40);
  for (let ind = 100 + (Math.floor(i / 13440) % 300); ; ind++) {
    const fnr = withCheckDigits(`${String(day).padStart(2, '0')}${month}${year}${ind}`);
    if (fnr !== null) return fnr;
  }
}

const SENDER = `<Sender><Organisation><OrganisationName>DIREKTORATET FOR E-HELSE</OrganisationName><Ident><Id>${HELSENORGE}</Id><TypeId V="HER" S="2.16.578.1.12.4.1.1.9051" DN="HER-id"/></Ident><Organisation><OrganisationName>Digitale innbyggertjenester</OrganisationName><Ident><Id>${HN_SERVICE}</Id><TypeId V="HER" S="2.16.578.1.12.4.1.1.9051" DN="HER-id"/></Ident></Organisation></Organisation></Sender>`;
const RECEIVER = `<Receiver><Organisation><OrganisationName>Testlegekontoret</OrganisationName><Ident><Id>${US}</Id><TypeId V="HER" S="2.16.578.1.12.4.1.1.9051" DN="HER-id"/></Ident><Organisation><OrganisationName>Laboratoriet</OrganisationName><Ident><Id>${LAB}</Id><TypeId V="HER" S="2.16.578.1.12.4.1.1.9051" DN="HER-id"/></Ident></Organisation></Organisation></Receiver>`;

function head(msgId: string, ack: 'J' | 'N', fnr: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<MsgHead xmlns="http://www.kith.no/xmlstds/msghead/2006-05-24"><MsgInfo><Type V="DIALOG_INNBYGGER_TIMERESERVASJON" DN="Dialog med innbygger - timereservasjon"/><MIGversion>v1.2 2006-05-24</MIGversion><GenDate>${new Date().toISOString()}</GenDate><MsgId>${msgId}</MsgId><Ack V="${ack}" DN="${ack === 'J' ? 'Ja' : 'Nei'}"/>${SENDER}${RECEIVER}<Patient><FamilyName>Testesen</FamilyName><GivenName>Test</GivenName><Ident><Id>${fnr}</Id><TypeId V="FNR" S="2.16.578.1.12.4.1.1.8116" DN="Fødselsnummer"/></Ident></Patient></MsgInfo>`;
}

/** ReserverAvtale (RT, async) for one slot. */
export function reserveXml(msgId: string, fnr: string, slotId: string): string {
  return `${head(msgId, 'J', fnr)}<Document><RefDoc><MsgType V="XML" DN="XML-instans"/><Content><Dialogmelding xmlns="http://www.kith.no/xmlstds/dialog/2013-01-23"><Foresporsel><TypeForesp V="RT" S="2.16.578.1.12.4.1.1.7601" DN="Reserver time"/></Foresporsel></Dialogmelding></Content></RefDoc></Document><Document><RefDoc><MsgType V="XML" DN="XML-instans"/><Description>iCalendarBestillTime</Description><Content><icalendar xmlns="urn:ietf:params:xml:ns:icalendar-2.0"><vcalendar><properties><version><text>2.0</text></version><prodid><text>Helsenorge test</text></prodid></properties><components><vevent><properties><uid><text>${slotId}</text></uid><contact><text>${LAB}</text></contact></properties><components/></vevent></components></vcalendar></icalendar></Content></RefDoc></Document></MsgHead>`;
}

/** HentLedigeTimer (HLT, sync). */
export function freeSlotsXml(msgId: string, fnr: string): string {
  return `${head(msgId, 'N', fnr)}<Document><RefDoc><MsgType V="XML" DN="XML-instans"/><Content><Dialogmelding xmlns="http://www.kith.no/xmlstds/dialog/2013-01-23"><Foresporsel><TypeForesp V="HLT" S="2.16.578.1.12.4.1.1.7601" DN="Hent ledige timer"/><FraDato>${osloDate(0)}</FraDato><TilDato>${osloDate(30)}</TilDato></Foresporsel></Dialogmelding></Content></RefDoc></Document></MsgHead>`;
}

// ---- Helsenorge on the broker ----------------------------------------------------------------------------

/** A message Helsenorge received, in one shape for both protocols (AMQP 1.0 fields under their 0.9.1 names). */
export interface ReceivedMessage {
  content: Buffer;
  properties: {
    messageId?: unknown;
    correlationId?: unknown;
    replyTo?: unknown;
    contentType?: unknown;
    /** 0.9.1 `type`, AMQP 1.0 `subject` */
    type?: unknown;
    /** TTL in ms as text (0.9.1 `expiration`, AMQP 1.0 header `ttl`) */
    expiration?: unknown;
    /** 2 = persistent / durable */
    deliveryMode?: unknown;
    /** AMQP 1.0 `to` (absent on 0.9.1) */
    to?: unknown;
    /** 0.9.1 headers, AMQP 1.0 application properties */
    headers?: Record<string, unknown>;
  };
}

export interface Received {
  queue: string;
  msg: ReceivedMessage;
  /** The verified MsgHead/AppRec text (empty for error reports). */
  xml: string;
}

export interface SendOptions {
  messageId?: string;
  sync?: boolean;
  correlationId?: string;
  /** Application properties / headers over the defaults; `null` drops one; numbers are sent as integers. */
  headers?: Record<string, string | number | null>;
  type?: string | null;
  contentType?: string | null;
}

function from10(m: Rhea.Message): ReceivedMessage {
  const ttl = (m as { ttl?: unknown }).ttl;
  return {
    content: bodyBytes(m.body) ?? Buffer.alloc(0),
    properties: {
      messageId: amqp10IdText(m.message_id),
      correlationId: amqp10IdText(m.correlation_id),
      replyTo: m.reply_to,
      contentType: m.content_type,
      type: m.subject,
      expiration: typeof ttl === 'number' ? String(ttl) : undefined,
      deliveryMode: (m as { durable?: unknown }).durable === true ? 2 : 1,
      to: m.to,
      headers: (m.application_properties as Record<string, unknown> | undefined) ?? {},
    },
  };
}

/**
 * Helsenorge's side, on the world's protocol: reads its queues (declared by the world), sends protected
 * requests to ours through the world's exchange, collects and verifies answers. AMQP 0.9.1 with
 * amqplib; AMQP 1.0 with rhea in NHN's dialect (`/exchange/<exchange>/<queue>`, `/amq/queue/<queue>`).
 */
export class Helsenorge {
  conn: ChannelModel | null = null;
  ch: ConfirmChannel | null = null;
  private conn10: Connection10 | null = null;
  private readonly senders10 = new Map<string, Sender10>();
  readonly received: Received[] = [];
  private readonly trust: TrustOptions;
  private readonly keys;
  private readonly ourSigning: string[];
  private readonly identity;
  private readonly ourEncryption: string;
  private readonly waiters: Array<() => void> = [];
  private closing = false;

  constructor(private readonly world: World) {
    const hn = world.pki.parties[HELSENORGE];
    const us = world.pki.parties[US];
    if (!hn || !us) throw new Error('test PKI lacks a party');
    this.trust = loadTrust(trustFiles(world.pki), systemClock);
    this.keys = { current: { key: loadKeyFile(hn.encryption.keyPath), certificatePem: certPem(hn.encryption) } };
    this.ourSigning = [certPem(us.signing)];
    this.identity = identity(hn.signing);
    this.ourEncryption = certPem(us.encryption);
  }

  private readQueues(): string[] {
    const { hnAsync, hnError, hnSyncReply } = this.world.queues;
    return [hnAsync, hnError, hnSyncReply];
  }

  private push(queue: string, msg: ReceivedMessage): void {
    const xml = msg.content.length > 0 ? this.open(msg.content) : '';
    this.received.push({ queue, msg, xml });
    for (const w of this.waiters.splice(0)) w();
  }

  /** Connects and reads Helsenorge's queues; reconnects after a broker restart. */
  async start(): Promise<void> {
    if (this.world.protocol === '1.0') return this.start10();
    const conn = await amqp.connect(AMQP_URL, { noDelay: true });
    conn.on('error', () => undefined);
    const ch = await conn.createConfirmChannel();
    ch.on('error', () => undefined);
    this.conn = conn;
    this.ch = ch;
    for (const q of this.readQueues()) await this.consume091(q);
    conn.on('close', () => {
      if (!this.closing) void this.reconnect();
    });
  }

  private async consume091(q: string): Promise<void> {
    const ch = this.ch;
    if (!ch) throw new Error('not connected');
    await ch.consume(q, (m: ConsumeMessage | null) => {
      if (!m) return;
      try {
        ch.ack(m);
      } catch {
        // channel gone: redelivered (a wire duplicate, counted by the tests)
      }
      this.push(q, { content: m.content, properties: { ...m.properties, headers: m.properties.headers ?? {} } });
    });
  }

  private async start10(): Promise<void> {
    const a = parseBrokerUrl(this.world.url);
    const container = rhea.create_container({ id: `helsenorge-${this.world.prefix}` });
    container.on('error', () => undefined);
    const conn = container.connect({ host: a.host, port: a.port, username: a.username, password: a.password, reconnect: false } as Rhea.ConnectionOptions);
    await new Promise<void>((res, rej) => {
      conn.once('connection_open', () => res());
      conn.once('disconnected', (ctx: EventContext) => rej((ctx as { error?: unknown }).error ?? new Error('disconnected')));
    });
    conn.on('error', () => undefined);
    this.conn10 = conn;
    this.senders10.clear();
    for (const q of this.readQueues()) this.consume10(conn, q);
    conn.on('disconnected', () => {
      if (this.conn10 === conn) this.conn10 = null;
      if (!this.closing) void this.reconnect();
    });
  }

  private consume10(conn: Connection10, q: string): Receiver10 {
    const r = conn.open_receiver({ source: { address: sourceAddress(q) }, autoaccept: false, credit_window: 200 });
    r.on('message', (ctx: EventContext) => {
      if (!ctx.message || !ctx.delivery) return;
      ctx.delivery.accept();
      this.push(q, from10(ctx.message));
    });
    r.on('receiver_error', () => undefined);
    return r;
  }

  /** Reads `queue` again (after a test deleted it and declared it anew). */
  async resubscribe(queue: string): Promise<void> {
    if (this.world.protocol === '1.0') {
      if (this.conn10) this.consume10(this.conn10, queue);
      return;
    }
    await this.consume091(queue);
  }

  private async reconnect(): Promise<void> {
    while (!this.closing) {
      await new Promise((r) => setTimeout(r, 500));
      try {
        await this.start();
        return;
      } catch {
        // broker still away
      }
    }
  }

  /** Verifies and decrypts one of our answers (signed by us, encrypted for Helsenorge). */
  open(body: Buffer): string {
    return Buffer.from(unprotect(body, this.keys, this.ourSigning, this.trust).content).toString('utf8');
  }

  /** Protects a MsgHead as Helsenorge would send it to us. */
  protect(xml: string): Buffer {
    return Buffer.from(protect(Buffer.from(xml, 'utf8'), this.identity, this.ourEncryption, { clock: systemClock, trust: this.trust }));
  }

  /** Sends to one of our queues with the §2.3 properties (overridable; `null` drops one). */
  async send(queue: string, body: Buffer, opts: SendOptions = {}): Promise<string> {
    const messageId = opts.messageId ?? randomUUID();
    const headers: Record<string, string | number> = {};
    const base: Record<string, string | number | null> = {
      fromHerId: String(HN_SERVICE), toHerId: String(LAB), applicationTimeStamp: new Date().toISOString(), ...opts.headers,
    };
    for (const [k, v] of Object.entries(base)) if (v !== null) headers[k] = v;
    const type = opts.type === undefined ? 'DIALOG_INNBYGGER_TIMERESERVASJON' : opts.type;
    const contentType = opts.contentType === undefined ? PROTECTED_CONTENT_TYPE : opts.contentType;
    const correlationId = opts.correlationId ?? messageId;
    const replyTo = opts.sync ? this.world.queues.hnSyncReply : this.world.queues.hnAsync;
    if (this.world.protocol === '1.0') {
      await this.send10(queue, {
        message_id: messageId, to: queue, reply_to: replyTo, correlation_id: correlationId,
        ...(contentType ? { content_type: contentType } : {}),
        ...(type ? { subject: type } : {}),
        durable: true,
        application_properties: headers,
        body: rhea.message.data_section(body),
      } as Rhea.Message);
      return messageId;
    }
    const ch = this.ch;
    if (!ch) throw new Error('not connected');
    await new Promise<void>((res, rej) => {
      ch.publish(this.world.exchange, queue, body, {
        messageId, correlationId, replyTo,
        ...(contentType ? { contentType } : {}),
        ...(type ? { type } : {}),
        persistent: true,
        headers,
      }, (err: unknown) => (err ? rej(err) : res()));
    });
    return messageId;
  }

  private async send10(queue: string, message: Rhea.Message): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const conn = this.conn10;
      if (!conn) {
        if (attempt > 100) throw new Error('Helsenorge is not connected');
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      let sender = this.senders10.get(queue);
      if (!sender) {
        sender = conn.open_sender({ target: { address: targetAddress(this.world.exchange, queue) } });
        sender.on('sender_error', () => undefined);
        this.senders10.set(queue, sender);
      }
      const s = sender;
      const ok = await new Promise<boolean>((res) => {
        const d = s.send(message);
        const finish = (accepted: boolean) => {
          s.removeListener('accepted', onAccepted);
          s.removeListener('released', onOther);
          s.removeListener('rejected', onOther);
          conn.removeListener('disconnected', onGone);
          res(accepted);
        };
        const onAccepted = (ctx: EventContext) => ctx.delivery === d && finish(true);
        const onOther = (ctx: EventContext) => ctx.delivery === d && finish(false);
        const onGone = () => finish(false);
        s.on('accepted', onAccepted);
        s.on('released', onOther);
        s.on('rejected', onOther);
        conn.on('disconnected', onGone);
      });
      if (ok) return;
      this.senders10.delete(queue);
      if (attempt > 100) throw new Error(`message to ${queue} not accepted`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Waits until `predicate` holds over what was received (or throws after `timeoutMs`). */
  async waitFor(predicate: (r: Received[]) => boolean, timeoutMs = 60_000, what = 'answers'): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!predicate(this.received)) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what} (${this.received.length} received)`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.conn?.close().catch(() => undefined);
    const c = this.conn10;
    this.conn10 = null;
    if (c) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, 1000);
        c.once('connection_close', () => {
          clearTimeout(t);
          r();
        });
        c.close();
      });
    }
  }
}

/** Every queue the world declared (both parties' four, each with its dead-letter queue). */
export function worldQueueNames(world: World): string[] {
  const { ourSync, ourAsync, ourError, hnAsync, hnSync, hnError, hnSyncReply } = world.queues;
  const ourSyncReply = ourAsync.replace(/_async$/, '_syncreply');
  const all = [ourSync, ourAsync, ourError, ourSyncReply, hnAsync, hnSync, hnError, hnSyncReply];
  return [...all, ...all.map(deadLetterQueueOf)];
}

/** Deletes every queue and the exchange of a world. */
export async function deleteWorldQueues(world: World): Promise<void> {
  const conn = await amqp.connect(AMQP_URL);
  conn.on('error', () => undefined);
  try {
    for (const q of worldQueueNames(world)) {
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      await ch.deleteQueue(q).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    await ch.deleteExchange(world.exchange).catch(() => undefined);
    await ch.close().catch(() => undefined);
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** Number of messages ready in a queue (0 when it does not exist). */
export async function queueDepth(queue: string): Promise<number> {
  const conn = await amqp.connect(AMQP_URL);
  conn.on('error', () => undefined);
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    const r = await ch.checkQueue(queue).catch(() => null);
    return r?.messageCount ?? 0;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** Waits until a queue exists (a Timebok child declared it). */
export async function waitForQueue(queue: string, timeoutMs = 60_000): Promise<void> {
  const conn = await amqp.connect(AMQP_URL);
  conn.on('error', () => undefined);
  try {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      const ok = await ch.checkQueue(queue).then(() => true, () => false);
      if (ok) {
        await ch.close().catch(() => undefined);
        return;
      }
      if (Date.now() > end) throw new Error(`queue ${queue} was not declared in time`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** Direct SQL on a test database (invariants after a run). */
export async function sqlQuery<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** The value of the first `attr` on `element` (tests only). */
export function attr(xml: string, element: string, name: string): string | undefined {
  return new RegExp(`<(?:\\w+:)?${element}\\b[^>]*\\b${name}="([^"]*)"`).exec(xml)?.[1];
}

export function textOf(xml: string, element: string): string | undefined {
  return new RegExp(`<(?:\\w+:)?${element}>([^<]*)</(?:\\w+:)?${element}>`).exec(xml)?.[1];
}
