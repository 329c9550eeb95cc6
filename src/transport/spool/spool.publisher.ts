import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutboxRow } from '../../inbox/message.entities.js';
import type { Publisher } from '../../outbox/outbox.relay.js';
import type { OutboundEncoder } from '../../protection/outbound.js';
import { writeNoClobber, writePairNoClobber } from './safe-files.js';

/**
 * The embedded transport's sending side: each outbound message becomes a file in the folder named
 * like its queue (`<spoolDir>/<queue>/`), written to a hidden temporary name and linked into place, so a
 * reader never sees half a file and no file is ever written over (a re-sent answer gets `~1` …). Error reports are JSON (their AMQP-level properties); everything else is XML, or
 * with keys configured the signed and encrypted `.p7m` that would go on the bus (with a `.json` sidecar
 * holding fromHerId/toHerId, as the spool consumer reads them).
 */
export class SpoolPublisher implements Publisher {
  constructor(
    private readonly spoolDir: string,
    private readonly encoder: OutboundEncoder | null = null,
  ) {}

  async publish(row: OutboxRow): Promise<void> {
    const dir = join(this.spoolDir, safeName(row.queue));
    const base = `${row.createdAt.replace(/[:.]/g, '-')}-${row.kind}-${row.id}`;
    if (row.kind === 'error-report' || !this.encoder?.protects) {
      await mkdir(dir, { recursive: true });
      // A re-sent row (a duplicate's stored answer) has the same name: it is written beside, never over.
      await writeNoClobber(dir, `${base}.${row.kind === 'error-report' ? 'json' : 'xml'}`, row.body);
      return;
    }
    const encoded = await this.encoder.encode(row);
    await mkdir(dir, { recursive: true });
    const fields = { fromHerId: row.fromHerId, toHerId: row.toHerId, subject: row.process, contentType: encoded.contentType, correlationId: row.correlationId };
    const sidecar = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null));
    // The sidecar first (a reader looks for it when the .p7m appears), both under one free name.
    await writePairNoClobber(dir, `${base}.p7m`, encoded.body, JSON.stringify(sidecar, null, 2));
  }
}

/** Queue names come from the registry; keep them to one safe path segment. */
export function safeName(queue: string): string {
  return queue.replace(/[^A-Za-z0-9_.-]/g, '_');
}
