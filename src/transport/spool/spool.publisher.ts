import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutboxRow } from '../../inbox/message.entities.js';
import type { Publisher } from '../../outbox/outbox.relay.js';
import type { OutboundEncoder } from '../../protection/outbound.js';

/**
 * The embedded transport's sending side: each outbound message becomes a file in the folder named
 * like its queue (`<spoolDir>/<queue>/`), written to a temporary name and renamed, so a reader never
 * sees half a file. Error reports are JSON (their AMQP-level properties); everything else is XML, or
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
      await writeAtomically(dir, `${base}.${row.kind === 'error-report' ? 'json' : 'xml'}`, row.body);
      return;
    }
    const encoded = await this.encoder.encode(row);
    await mkdir(dir, { recursive: true });
    const fields = { fromHerId: row.fromHerId, toHerId: row.toHerId, subject: row.process, contentType: encoded.contentType, correlationId: row.correlationId };
    const sidecar = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null));
    await writeAtomically(dir, `${base}.p7m.json`, JSON.stringify(sidecar, null, 2));
    await writeAtomically(dir, `${base}.p7m`, encoded.body);
  }
}

async function writeAtomically(dir: string, name: string, data: string | Buffer): Promise<void> {
  const tmp = join(dir, `.${name}.tmp`);
  await writeFile(tmp, data);
  await rename(tmp, join(dir, name));
}

/** Queue names come from the registry; keep them to one safe path segment. */
export function safeName(queue: string): string {
  return queue.replace(/[^A-Za-z0-9_.-]/g, '_');
}
