import { EntitySchema } from 'typeorm';

/** One processed inbound business message (key: sender level-2 HER-id + MsgId, docs/decisions.md §20). */
export interface InboxRow {
  id: string;
  senderHerId: number;
  msgId: string;
  /** SHA-256 of the MsgHead bytes as received (after unprotection): same key + other content → E10. */
  contentHash: string;
  receiverHerId: number | null;
  process: string;
  functionCode: string | null;
  /** What Timebok did, e.g. `reply 05`, `apprec 2 T02`, `wish stored`: codes only. */
  outcome: string;
  transport: string;
  receivedAt: string;
  /** Times a duplicate was answered from the store. */
  duplicateCount: number;
}

/** One message waiting to be sent or sent: reply, AppRec, Avtale push or error-queue report (outbox). */
export interface OutboxRow {
  id: string;
  inboxId: string | null;
  kind: 'reply' | 'apprec' | 'avtale' | 'error-report';
  /** Target queue (AMQP queue or spool folder name). */
  queue: string;
  toHerId: number | null;
  fromHerId: number | null;
  /** 8279 process code (AMQP subject / `type`). */
  process: string | null;
  correlationId: string | null;
  /** XML text for messages; JSON text for error reports. */
  body: string;
  /** Transport properties/headers to set (error condition etc.). */
  properties: Record<string, string>;
  /** Code summary for logs and staff (e.g. `05`, `apprec 1`). */
  summary: string;
  createdAt: string;
  sentAt: string | null;
  attempts: number;
  lastError: string | null;
  /** Position within its inbound message, so re-sends keep the original order. */
  seq: number;
}

export const InboxEntity = new EntitySchema<InboxRow>({
  name: 'InboxMessage',
  tableName: 'inbox_message',
  columns: {
    id: { type: 'varchar', length: 64, primary: true },
    senderHerId: { type: 'integer', name: 'sender_her_id' },
    msgId: { type: 'varchar', length: 200, name: 'msg_id' },
    contentHash: { type: 'varchar', length: 64, name: 'content_hash' },
    receiverHerId: { type: 'integer', name: 'receiver_her_id', nullable: true },
    process: { type: 'varchar', length: 100 },
    functionCode: { type: 'varchar', length: 20, name: 'function_code', nullable: true },
    outcome: { type: 'varchar', length: 200 },
    transport: { type: 'varchar', length: 20 },
    receivedAt: { type: 'varchar', length: 32, name: 'received_at' },
    duplicateCount: { type: 'integer', name: 'duplicate_count', default: 0 },
  },
  uniques: [{ name: 'uq_inbox_sender_msgid', columns: ['senderHerId', 'msgId'] }],
});

export const OutboxEntity = new EntitySchema<OutboxRow>({
  name: 'OutboxMessage',
  tableName: 'outbox_message',
  columns: {
    id: { type: 'varchar', length: 64, primary: true },
    inboxId: { type: 'varchar', length: 64, name: 'inbox_id', nullable: true },
    kind: { type: 'varchar', length: 20 },
    queue: { type: 'varchar', length: 200 },
    toHerId: { type: 'integer', name: 'to_her_id', nullable: true },
    fromHerId: { type: 'integer', name: 'from_her_id', nullable: true },
    process: { type: 'varchar', length: 100, nullable: true },
    correlationId: { type: 'varchar', length: 200, name: 'correlation_id', nullable: true },
    body: { type: 'text' },
    properties: { type: 'simple-json' },
    summary: { type: 'varchar', length: 200 },
    createdAt: { type: 'varchar', length: 32, name: 'created_at' },
    sentAt: { type: 'varchar', length: 32, name: 'sent_at', nullable: true },
    attempts: { type: 'integer', default: 0 },
    lastError: { type: 'varchar', length: 500, name: 'last_error', nullable: true },
    seq: { type: 'integer', default: 0 },
  },
  indices: [
    // the relay's indexes hold unsent rows only (migration 1735000000000; claimed_by is not in the entity)
    { name: 'ix_outbox_waiting', columns: ['createdAt'], where: 'sent_at IS NULL' },
    { name: 'ix_outbox_waiting_inbox', columns: ['inboxId'], where: 'sent_at IS NULL' },
    { name: 'ix_outbox_inbox', columns: ['inboxId'] },
  ],
});

export const messageEntities = [InboxEntity, OutboxEntity];
