import { EntitySchema } from 'typeorm';

/** One read of a patient's data (API, staff page or CLI). The patient id stays in the database only. */
export interface AccessLogRow {
  id: string;
  at: string;
  /** Token name (API, page) or the OS user (CLI). */
  actor: string;
  role: string;
  channel: 'api' | 'page' | 'cli';
  patientId: string;
  /** The call: `GET /api/requests`, `staff pending` … */
  action: string;
  /** The object read (request, appointment or message id), when there is one. */
  target: string | null;
}

/** One step of a message's way through Timebok: ids, codes and times only, never personal data. */
export interface TrailRow {
  id: string;
  at: string;
  /** received, processed, outgoing, sent, apprec, error-report … */
  stage: string;
  msgId: string | null;
  inboxId: string | null;
  outboxId: string | null;
  herId: number | null;
  process: string | null;
  functionCode: string | null;
  outcome: string;
  detail: Record<string, unknown> | null;
}

/** A change to a timebook or its slots made through the admin API. */
export interface TimebookChangeRow {
  id: string;
  at: string;
  actor: string;
  timebookId: string;
  action: string;
  detail: Record<string, unknown> | null;
}

export const AccessLogEntity = new EntitySchema<AccessLogRow>({
  name: 'AccessLog',
  tableName: 'access_log',
  columns: {
    id: { type: 'varchar', length: 64, primary: true },
    at: { type: 'varchar', length: 32 },
    actor: { type: 'varchar', length: 100 },
    role: { type: 'varchar', length: 16 },
    channel: { type: 'varchar', length: 8 },
    patientId: { type: 'varchar', length: 11, name: 'patient_id' },
    action: { type: 'varchar', length: 200 },
    target: { type: 'varchar', length: 200, nullable: true },
  },
});

export const TrailEntity = new EntitySchema<TrailRow>({
  name: 'MessageTrail',
  tableName: 'message_trail',
  columns: {
    id: { type: 'varchar', length: 64, primary: true },
    at: { type: 'varchar', length: 32 },
    stage: { type: 'varchar', length: 32 },
    msgId: { type: 'varchar', length: 200, name: 'msg_id', nullable: true },
    inboxId: { type: 'varchar', length: 64, name: 'inbox_id', nullable: true },
    outboxId: { type: 'varchar', length: 64, name: 'outbox_id', nullable: true },
    herId: { type: 'integer', name: 'her_id', nullable: true },
    process: { type: 'varchar', length: 100, nullable: true },
    functionCode: { type: 'varchar', length: 20, name: 'function_code', nullable: true },
    outcome: { type: 'varchar', length: 200 },
    detail: { type: 'simple-json', nullable: true },
  },
});

export const TimebookChangeEntity = new EntitySchema<TimebookChangeRow>({
  name: 'TimebookChange',
  tableName: 'timebook_change',
  columns: {
    id: { type: 'varchar', length: 64, primary: true },
    at: { type: 'varchar', length: 32 },
    actor: { type: 'varchar', length: 100 },
    timebookId: { type: 'varchar', length: 100, name: 'timebook_id' },
    action: { type: 'varchar', length: 40 },
    detail: { type: 'simple-json', nullable: true },
  },
});

export const adminEntities: EntitySchema[] = [
  AccessLogEntity as unknown as EntitySchema,
  TrailEntity as unknown as EntitySchema,
  TimebookChangeEntity as unknown as EntitySchema,
];
