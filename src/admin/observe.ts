import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.js';
import type { InboundDelivery, ProcessOutcome } from '../pipeline/types.js';
import type { Clock } from '../shared/clock.js';
import { isTimebokError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { TrailRow } from './admin.entities.js';
import type { TimebokMetrics } from './metrics.js';
import { TrailWriter } from './trail-writer.js';

/** Anything with the pipeline's `process(delivery)` (the Pipeline, or a transport's InboundProcessor). */
export interface Processor {
  process(delivery: InboundDelivery): Promise<ProcessOutcome>;
}

export interface ObserveOptions {
  db: Database;
  clock: Clock;
  logger: Logger;
  metrics?: TimebokMetrics;
}

/**
 * Wraps `processor.process` in place (a decorator; the pipeline itself is not changed): counts every
 * delivery by process, function and outcome, times it, and writes one `message_trail` row with what
 * the stored tables do not keep (transport, queue, protection, the verified signer, duration). Ids,
 * codes and times only. The row is handed to the database's {@link TrailWriter}, which writes it in the
 * background with others (docs/decisions.md §43): the message does not wait for it, and a row that
 * cannot be written does not fail the message, whose own transaction has already committed.
 */
export function observePipeline<P extends Processor>(processor: P, o: ObserveOptions): P {
  const inner = processor.process.bind(processor);
  const trail = TrailWriter.of(o.db, o.logger);
  processor.process = async (delivery: InboundDelivery): Promise<ProcessOutcome> => {
    const started = performance.now();
    const at = o.clock.now().toISOString();
    try {
      const outcome = await inner(delivery);
      const seconds = (performance.now() - started) / 1000;
      o.metrics?.observe(outcome.process ?? delivery.subject ?? 'unknown', outcome.functionCode ?? 'none', outcome.status, seconds);
      trail.add(trailOf(delivery, outcome, at, seconds));
      return outcome;
    } catch (err) {
      const seconds = (performance.now() - started) / 1000;
      o.metrics?.observe(delivery.subject ?? 'unknown', 'none', 'error', seconds);
      trail.add({
        id: randomUUID(),
        at,
        stage: 'failed',
        msgId: null,
        inboxId: null,
        outboxId: null,
        herId: delivery.fromHerId ?? null,
        process: delivery.subject ?? null,
        functionCode: null,
        outcome: `not processed (${isTimebokError(err) ? err.code : 'unexpected error'}); the transport tries again`,
        detail: { transport: delivery.transport, queue: delivery.queue, transportMessageId: delivery.messageId.slice(0, 200) },
      });
      throw err;
    }
  };
  return processor;
}

function trailOf(d: InboundDelivery, outcome: ProcessOutcome, at: string, seconds: number): TrailRow {
  const cms = d.body[0] === 0x30;
  const verified = cms && outcome.status !== 'reported' && outcome.status !== 'dropped';
  return {
    id: randomUUID(),
    at,
    stage: 'processed',
    msgId: outcome.msgId ?? null,
    inboxId: null,
    outboxId: null,
    herId: d.fromHerId ?? null,
    process: outcome.process ?? d.subject ?? null,
    functionCode: outcome.functionCode ?? null,
    outcome: `${outcome.status}: ${outcome.summary}`.slice(0, 200),
    detail: {
      transport: d.transport,
      queue: d.queue,
      transportMessageId: d.messageId.slice(0, 200),
      protection: cms ? 'cms' : 'plain',
      // The CMS unprotector verifies the signature with the registry certificate of the claimed sender.
      ...(verified ? { signerHerId: d.fromHerId ?? null } : {}),
      durationMs: Math.round(seconds * 1000),
      outboxIds: outcome.outboxIds,
    },
  };
}
