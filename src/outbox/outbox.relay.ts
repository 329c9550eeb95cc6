import type { Database } from '../db/database.js';
import type { OutboxRow } from '../inbox/message.entities.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { markFailed, markSent, unsentOutbox } from './outbox.store.js';

/** A transport's sending side. `publish` resolves only when the message is safely handed over. */
export interface Publisher {
  publish(row: OutboxRow): Promise<void>;
}

/**
 * Sends unsent outbox rows in order and marks each sent only after the transport confirmed it. A row
 * that fails stays unsent (attempts and last error recorded) and is tried again on the next drain.
 */
export class OutboxRelay {
  private draining: Promise<number> | null = null;

  constructor(
    private readonly db: Database,
    private readonly publisher: Publisher,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly batchSize = 100,
  ) {}

  /** Sends everything unsent; concurrent calls share one run. Returns the number sent. */
  drain(): Promise<number> {
    if (!this.draining) {
      this.draining = this.run().finally(() => {
        this.draining = null;
      });
    }
    return this.draining;
  }

  private async run(): Promise<number> {
    let sent = 0;
    for (;;) {
      const rows = await unsentOutbox(this.db.manager, this.batchSize);
      if (rows.length === 0) return sent;
      let progressed = false;
      for (const row of rows) {
        try {
          await this.publisher.publish(row);
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          this.logger.warn({ outboxId: row.id, queue: row.queue, kind: row.kind, err: reason }, 'outbox publish failed');
          await this.db.transaction((em) => markFailed(em, row, reason));
          continue;
        }
        await this.db.transaction((em) => markSent(em, row.id, this.clock.now()));
        sent += 1;
        progressed = true;
      }
      if (!progressed) return sent;
    }
  }
}
