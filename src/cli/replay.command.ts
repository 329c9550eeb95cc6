import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { DateTime } from 'luxon';
import { createApp, importSetup, type App } from '../app.js';
import { DEFAULT_XML_LIMITS } from '../envelope/types.js';
import type { SchemaSet } from '../envelope/schema.validator.js';
import type { OutboxRow } from '../inbox/message.entities.js';
import { OutboxRelay, type Publisher } from '../outbox/outbox.relay.js';
import type { InboundDelivery } from '../pipeline/types.js';
import { FixedClock, systemClock } from '../shared/clock.js';
import { loadCertificateFile, loadIdentity } from '../protection/keys.js';
import { protect, PROTECTED_CONTENT_TYPE, type SigningIdentity } from '../protection/cms.protect.js';
import type { OutboundEncoder } from '../protection/outbound.js';
import { loadReplayKeys, type ReplayKeys } from './replay-keys.js';
import { isTimebokError } from '../shared/errors.js';
import { silentLogger, type Logger } from '../shared/logger.js';
import { sniffSenderHerId } from '../transport/file-headers.js';

export interface ReplayOptions {
  setup: string;
  db: string;
  now: string;
  out: string;
  messages: string[];
  ours?: number[];
  acceptSyntheticIds?: boolean;
  logger?: Logger;
  schemas?: SchemaSet;
  /**
   * A replay keys file (see replay-keys.ts): our keys, and senders' keys. A message from a sender with a
   * key is signed and encrypted as that sender would before it is processed; outbound messages are
   * written both as XML and as the protected `.p7m` that would go on the bus.
   */
  keys?: string;
}

/** A usage or setup problem: exit code 2. */
export class ReplayUsageError extends Error {}

/** Parses `--now`: ISO 8601; without an offset it is Europe/Oslo local time (docs/decisions.md §4). */
export function parseNow(value: string): Date {
  const dt = DateTime.fromISO(value, { zone: 'Europe/Oslo', setZone: true });
  if (!dt.isValid) throw new ReplayUsageError(`--now: not an ISO 8601 time: ${value}`);
  return dt.toJSDate();
}

/** Message arguments in the order given; folders read non-recursively, `.xml` files in name order. */
export async function expandMessages(args: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const arg of args) {
    let info;
    try {
      info = await stat(arg);
    } catch {
      throw new ReplayUsageError(`message ${arg}: no such file or folder`);
    }
    if (info.isDirectory()) {
      const names = (await readdir(arg)).filter((n) => n.toLowerCase().endsWith('.xml')).sort();
      files.push(...names.map((n) => join(arg, n)));
    } else {
      files.push(arg);
    }
  }
  return files;
}

/** Writes every outbound message of the current inbound file into `--out`. */
class ReplayPublisher implements Publisher {
  prefix = 'unknown';
  written: string[] = [];
  constructor(
    private readonly outDir: string,
    private readonly encoder: OutboundEncoder | null,
  ) {}

  async publish(row: OutboxRow): Promise<void> {
    const code = /reply (\w+)/.exec(row.summary)?.[1] ?? (row.kind === 'apprec' ? row.summary.replace(/^apprec /, '').replace(/\s+/g, '-') : null);
    const ext = row.kind === 'error-report' ? 'json' : 'xml';
    const name = `${this.prefix}--${String(row.seq + 1).padStart(2, '0')}-${row.kind}${code ? `-${code}` : ''}.${ext}`;
    if (this.encoder && row.kind !== 'error-report') {
      // what would go on the bus: signed by us, encrypted for the receiver (fails like the bus would)
      const encoded = await this.encoder.encode(row);
      await writeFile(join(this.outDir, `${name.replace(/\.xml$/, '')}.p7m`), encoded.body);
    }
    await writeFile(join(this.outDir, name), row.body, 'utf8');
    this.written.push(name);
  }
}

/** Signs and encrypts a sender's message as that sender would, for our decryption certificate. */
class SenderProtection {
  private readonly identities = new Map<number, SigningIdentity>();
  private readonly ourEncryptionCertificate: string;

  constructor(private readonly keys: ReplayKeys) {
    const cert = keys.ours.decryption.certificate;
    if (!cert) throw new ReplayUsageError('--keys: ours.decryption.certificate is needed to encrypt senders\' messages for us');
    this.ourEncryptionCertificate = loadCertificateFile(cert, keys.ours.passphrase);
  }

  protect(body: Buffer, senderHerId: number | undefined): Buffer | null {
    if (senderHerId === undefined) return null;
    const party = this.keys.parties.get(senderHerId);
    if (!party?.signingKey || !party.signingCertificate) return null;
    let identity = this.identities.get(senderHerId);
    if (!identity) {
      identity = loadIdentity({ key: party.signingKey, certificate: party.signingCertificate });
      this.identities.set(senderHerId, identity);
    }
    return protect(body, identity, this.ourEncryptionCertificate, { clock: systemClock });
  }
}

/**
 * `timebok replay`: processes message files through the whole pipeline as if received from their MsgHead
 * sender on the right queue, with a fixed clock, and writes every outbound message into `--out`.
 * Returns the exit code: 0 when Timebok worked (rejections included), 1 when it failed on a message.
 */
export async function runReplay(options: ReplayOptions, print: (line: string) => void): Promise<number> {
  const now = parseNow(options.now);
  const files = await expandMessages(options.messages);
  const setupDir = resolve(options.setup);
  await mkdir(options.out, { recursive: true });
  const clock = new FixedClock(now);
  const logger = options.logger ?? silentLogger;
  const dbUrl = /^postgres(ql)?:\/\//.test(options.db) ? options.db : `sqlite:${resolve(options.db)}`;
  let keys: ReplayKeys | null = null;
  let senders: SenderProtection | null = null;
  if (options.keys !== undefined) {
    try {
      keys = loadReplayKeys(options.keys);
      senders = new SenderProtection(keys);
    } catch (err) {
      if (err instanceof ReplayUsageError) throw err;
      throw new ReplayUsageError(`--keys: ${isTimebokError(err) ? err.message : String(err)}`);
    }
  }
  let app: App;
  try {
    app = await createApp({
      databaseUrl: dbUrl,
      clock,
      logger,
      limits: DEFAULT_XML_LIMITS,
      acceptSyntheticIds: options.acceptSyntheticIds ?? false,
      ...(options.schemas ? { schemas: options.schemas } : {}),
      // certificates are judged at the real time: --now is the business clock only
      ...(keys ? { protection: keys.ours, protectionClock: systemClock } : {}),
    });
  } catch (err) {
    if (keys && isTimebokError(err) && (err.code === 'ERR_SETUP_FILE' || err.code === 'ERR_CONFIG' || err.code.startsWith('ERR_PROTECTION'))) {
      throw new ReplayUsageError(`--keys: ${err.message}`);
    }
    throw new ReplayUsageError(`--db ${options.db}: cannot be opened (${err instanceof Error ? err.message : String(err)})`);
  }
  try {
    try {
      const certificates = new Map(
        [...(keys?.parties ?? new Map())].map(([herId, p]) => [herId, { signing: p.signingCertificate, encryption: p.encryptionCertificate }]),
      );
      await importSetup(app, join(setupDir, 'registry.json'), join(setupDir, 'timebooks.json'), options.ours ?? [], { certificates });
    } catch (err) {
      if (isTimebokError(err) && err.code === 'ERR_SETUP_FILE') {
        const path = typeof err.detail?.path === 'string' ? ` at ${err.detail.path}` : '';
        throw new ReplayUsageError(`--setup: ${err.message}${path}`);
      }
      throw err;
    }
    const publisher = new ReplayPublisher(options.out, app.encoder.protects ? app.encoder : null);
    const relay = new OutboxRelay(app.db, publisher, clock, logger);
    await relay.drain(); // anything left unsent by an earlier run
    let failed = 0;
    for (const [index, file] of files.entries()) {
      const base = basename(file).replace(/\.xml$/i, '');
      publisher.prefix = `${String(index + 1).padStart(3, '0')}-${base}`;
      const plain = await readFile(file);
      const fromHerId = sniffSenderHerId(plain);
      const protectedBody = senders?.protect(plain, fromHerId) ?? null;
      const delivery: InboundDelivery = {
        transport: 'replay',
        queue: 'replay',
        body: protectedBody ?? plain,
        messageId: basename(file),
        ...(protectedBody ? { contentType: PROTECTED_CONTENT_TYPE } : {}),
        ...(fromHerId !== undefined ? { fromHerId } : {}),
      };
      try {
        const outcome = await app.pipeline.process(delivery);
        publisher.written = [];
        await relay.drain();
        const what = [outcome.process, outcome.functionCode].filter(Boolean).join(' ');
        print(`${basename(file)}: ${outcome.status}${protectedBody ? ' (cms)' : ''}${what ? ` [${what}]` : ''} ${outcome.summary}${publisher.written.length ? ` → ${publisher.written.join(', ')}` : ''}`);
      } catch (err) {
        failed += 1;
        const reason = isTimebokError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
        print(`${basename(file)}: FAILED ${reason}`);
      }
    }
    return failed > 0 ? 1 : 0;
  } finally {
    await app.close();
  }
}
