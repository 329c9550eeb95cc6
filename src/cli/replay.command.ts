import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { DateTime } from 'luxon';
import { createApp, importSetup, type App } from '../app.js';
import { DEFAULT_XML_LIMITS } from '../envelope/types.js';
import type { SchemaSet } from '../envelope/schema.validator.js';
import type { OutboxRow } from '../inbox/message.entities.js';
import { OutboxRelay, type Publisher } from '../outbox/outbox.relay.js';
import type { InboundDelivery } from '../pipeline/types.js';
import { FixedClock } from '../shared/clock.js';
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
}

/** A usage or setup problem: exit code 2. */
export class ReplayUsageError extends Error {}

/** Parses `--now`: ISO 8601; without an offset it is Europe/Oslo local time (DECISIONS 4). */
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
  constructor(private readonly outDir: string) {}

  async publish(row: OutboxRow): Promise<void> {
    const code = /reply (\w+)/.exec(row.summary)?.[1] ?? (row.kind === 'apprec' ? row.summary.replace(/^apprec /, '').replace(/\s+/g, '-') : null);
    const ext = row.kind === 'error-report' ? 'json' : 'xml';
    const name = `${this.prefix}--${String(row.seq + 1).padStart(2, '0')}-${row.kind}${code ? `-${code}` : ''}.${ext}`;
    await writeFile(join(this.outDir, name), row.body, 'utf8');
    this.written.push(name);
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
  let app: App;
  try {
    app = await createApp({
      databaseUrl: dbUrl,
      clock,
      logger,
      limits: DEFAULT_XML_LIMITS,
      acceptSyntheticIds: options.acceptSyntheticIds ?? false,
      ...(options.schemas ? { schemas: options.schemas } : {}),
    });
  } catch (err) {
    throw new ReplayUsageError(`--db ${options.db}: cannot be opened (${err instanceof Error ? err.message : String(err)})`);
  }
  try {
    try {
      await importSetup(app, join(setupDir, 'registry.json'), join(setupDir, 'timebooks.json'), options.ours ?? []);
    } catch (err) {
      if (isTimebokError(err) && err.code === 'ERR_SETUP_FILE') {
        const path = typeof err.detail?.path === 'string' ? ` at ${err.detail.path}` : '';
        throw new ReplayUsageError(`--setup: ${err.message}${path}`);
      }
      throw err;
    }
    const publisher = new ReplayPublisher(options.out);
    const relay = new OutboxRelay(app.db, publisher, clock, logger);
    await relay.drain(); // anything left unsent by an earlier run
    let failed = 0;
    for (const [index, file] of files.entries()) {
      const base = basename(file).replace(/\.xml$/i, '');
      publisher.prefix = `${String(index + 1).padStart(3, '0')}-${base}`;
      const body = await readFile(file);
      const fromHerId = sniffSenderHerId(body);
      const delivery: InboundDelivery = {
        transport: 'replay',
        queue: 'replay',
        body,
        messageId: basename(file),
        ...(fromHerId !== undefined ? { fromHerId } : {}),
      };
      try {
        const outcome = await app.pipeline.process(delivery);
        publisher.written = [];
        await relay.drain();
        const what = [outcome.process, outcome.functionCode].filter(Boolean).join(' ');
        print(`${basename(file)}: ${outcome.status}${what ? ` [${what}]` : ''} ${outcome.summary}${publisher.written.length ? ` → ${publisher.written.join(', ')}` : ''}`);
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
