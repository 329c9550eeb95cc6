import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pipeline } from '../../pipeline/pipeline.js';
import type { InboundDelivery } from '../../pipeline/types.js';
import { describeError, isTimebokError, type TimebokError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { readSidecar, sniffSenderHerId, type Sidecar } from '../file-headers.js';

export interface SpoolOptions {
  spoolDir: string;
  herIds: number[];
  pollMs: number;
  maxBytes: number;
  /** Called after each processed file (the outbox relay drains here). */
  afterEach?: () => Promise<unknown>;
}

/**
 * The embedded transport's receiving side: `<spoolDir>/<herId>_sync` and `<herId>_async` for each of our
 * HER-ids, processed continuously in name order. A processed file moves to `processed/`; one that
 * cannot be processed moves to `error/` next to a `.reason.txt` that says why. A file is never deleted,
 * and a file whose processing hit a passing fault (database away) stays where it is and is tried again.
 */
export class SpoolConsumer {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly pipeline: Pipeline,
    private readonly options: SpoolOptions,
    private readonly logger: Logger,
  ) {}

  queues(): string[] {
    return this.options.herIds.flatMap((h) => [`${h}_sync`, `${h}_async`]);
  }

  async start(): Promise<void> {
    for (const q of this.queues()) {
      await mkdir(join(this.options.spoolDir, q, 'processed'), { recursive: true });
      await mkdir(join(this.options.spoolDir, q, 'error'), { recursive: true });
    }
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops polling and waits for the file in hand to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass over every queue folder; returns how many files were handled. */
  async pollOnce(respectStop = false): Promise<number> {
    let handled = 0;
    for (const queue of this.queues()) {
      const dir = join(this.options.spoolDir, queue);
      let names: string[];
      try {
        names = (await readdir(dir)).filter((n) => !n.startsWith('.') && /\.(xml|p7m|cms)$/i.test(n)).sort();
      } catch {
        continue;
      }
      for (const name of names) {
        if (respectStop && this.stopped) return handled;
        const ok = await this.handleFile(queue, dir, name);
        if (ok === 'retry') return handled;
        handled += 1;
      }
    }
    return handled;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pollOnce(true)
        .then((n) => {
          this.schedule(n > 0 ? 0 : this.options.pollMs);
        })
        .catch((err: unknown) => {
          this.logger.error({ err: describeError(err) }, 'spool poll failed');
          this.schedule(this.options.pollMs * 4);
        });
    }, delay);
  }

  private async handleFile(queue: string, dir: string, name: string): Promise<'done' | 'error' | 'retry'> {
    const path = join(dir, name);
    try {
      const info = await stat(path);
      if (info.size > this.options.maxBytes * 2 + 1024) {
        // Far over the limit: not even read into memory; the pipeline's guard covers the rest.
        await this.moveToError(dir, name, 'ERR_ENVELOPE_TOO_LARGE: file larger than the body limit');
        return 'error';
      }
      const body = await readFile(path);
      // A sidecar that is not JSON or not valid is an answered fault (error-queue report), not a crash.
      let sidecar: Sidecar | null = null;
      let fault: TimebokError | null = null;
      try {
        sidecar = await readSidecar(`${path}.json`);
      } catch (err) {
        if (!isTimebokError(err)) throw err;
        fault = err;
      }
      const sniffed = sniffSenderHerId(body);
      const delivery: InboundDelivery = {
        transport: 'spool',
        queue,
        body,
        messageId: sidecar?.messageId ?? name,
        ...(sidecar?.fromHerId ?? sniffed ? { fromHerId: (sidecar?.fromHerId ?? sniffed) as number } : {}),
        ...(sidecar?.toHerId ? { toHerId: sidecar.toHerId } : {}),
        ...(sidecar?.correlationId ? { correlationId: sidecar.correlationId } : {}),
        ...(sidecar?.replyTo ? { replyTo: sidecar.replyTo } : {}),
        ...(sidecar?.contentType ? { contentType: sidecar.contentType } : {}),
        ...(sidecar?.subject ? { subject: sidecar.subject } : {}),
      };
      const outcome = fault ? await this.pipeline.reportFault(delivery, fault) : await this.pipeline.process(delivery);
      await this.options.afterEach?.();
      this.logger.info({ queue, file: name, status: outcome.status, summary: outcome.summary }, 'spool message handled');
      await mkdir(join(dir, 'processed'), { recursive: true });
      await rename(path, join(dir, 'processed', name));
      await rename(`${path}.json`, join(dir, 'processed', `${name}.json`)).catch(() => undefined);
      return 'done';
    } catch (err) {
      if (isTimebokError(err) && err.disposition === 'retry') {
        this.logger.warn({ queue, file: name, code: err.code }, 'dependency unavailable; will retry');
        return 'retry';
      }
      const reason = describeError(err);
      this.logger.error({ queue, file: name, reason }, 'spool message failed; moved to error/');
      await this.moveToError(dir, name, reason);
      return 'error';
    }
  }

  private async moveToError(dir: string, name: string, reason: string): Promise<void> {
    await mkdir(join(dir, 'error'), { recursive: true });
    await writeFile(join(dir, 'error', `${name}.reason.txt`), `${reason}\n`, 'utf8');
    await rename(join(dir, name), join(dir, 'error', name));
    await rename(join(dir, `${name}.json`), join(dir, 'error', `${name}.json`)).catch(() => undefined);
  }
}
