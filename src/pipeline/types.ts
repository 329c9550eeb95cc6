import type { ErrorCode } from '../shared/errors.js';

/** One message as a transport hands it to the pipeline (AMQP delivery, spool file or replay file). */
export interface InboundDelivery {
  transport: 'amqp' | 'spool' | 'replay';
  /** Queue (or spool folder) it was read from, e.g. `8142520_async`. */
  queue: string;
  body: Uint8Array;
  /** Transport message id (AMQP `message-id`; a file name on the spool). */
  messageId: string;
  correlationId?: string;
  replyTo?: string;
  contentType?: string;
  /** AMQP subject / `type`: the process code. */
  subject?: string;
  /** AMQP application properties; absent on the spool unless a sidecar gives them. */
  fromHerId?: number;
  toHerId?: number;
  applicationTimeStamp?: string;
  cpaId?: string;
}

export type OutcomeStatus =
  /** answered: a business reply and/or positive AppRec */
  | 'answered'
  /** refused with a negative AppRec or a 26-style sync reply */
  | 'rejected'
  /** reported on the sender's error queue */
  | 'reported'
  /** a duplicate: the stored answer was re-sent */
  | 'duplicate'
  /** held for staff (manual confirmation, wishes): AppRec sent, reply later */
  | 'pending'
  /** an inbound AppRec, recorded */
  | 'recorded'
  /** dropped with a log line only (nobody to tell) */
  | 'dropped';

/** What the pipeline did with one delivery: codes and ids only, never personal data. */
export interface ProcessOutcome {
  status: OutcomeStatus;
  /** Short code summary, e.g. `RT → apprec 1, reply 05`. */
  summary: string;
  msgId?: string;
  process?: string;
  functionCode?: string | null;
  /** Outbox rows written for this delivery (ids), in send order. */
  outboxIds: string[];
  /**
   * The error-table code of a refusal (`rejected`), a report (`reported`/`dropped`) or a business no
   * (`answered` with 06/09/26/30); absent for a plain answer. The outbox rows already hold what the
   * table says to send, so a transport only acks and lets the relay send them (docs/errors.md).
   */
  code?: ErrorCode;
}
