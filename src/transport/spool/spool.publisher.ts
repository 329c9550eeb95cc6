import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutboxRow } from '../../inbox/message.entities.js';
import type { Publisher } from '../../outbox/outbox.relay.js';

/**
 * The embedded transport's sending side: each outbound message becomes a file in the folder named
 * like its queue (`<spoolDir>/<queue>/`), written to a temporary name and renamed, so a reader never
 * sees half a file. Error reports are JSON (their AMQP-level properties); everything else is XML.
 */
export class SpoolPublisher implements Publisher {
  constructor(private readonly spoolDir: string) {}

  async publish(row: OutboxRow): Promise<void> {
    const dir = join(this.spoolDir, safeName(row.queue));
    await mkdir(dir, { recursive: true });
    const ext = row.kind === 'error-report' ? 'json' : 'xml';
    const name = `${row.createdAt.replace(/[:.]/g, '-')}-${row.kind}-${row.id}.${ext}`;
    const tmp = join(dir, `.${name}.tmp`);
    await writeFile(tmp, row.body, 'utf8');
    await rename(tmp, join(dir, name));
  }
}

/** Queue names come from the registry; keep them to one safe path segment. */
export function safeName(queue: string): string {
  return queue.replace(/[^A-Za-z0-9_.-]/g, '_');
}
