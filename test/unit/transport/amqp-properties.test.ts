import type { OutboxRow } from '../../../src/inbox/message.entities.js';
import { TimebokError } from '../../../src/shared/errors.js';
import { isDependencyFailure, redactedReason } from '../../../src/transport/amqp/failures.js';
import { parseHerIdHeader, toErrorReport, toInboundDelivery, toPublishProperties } from '../../../src/transport/amqp/properties.js';
import { consumedQueueArguments, queuesOf } from '../../../src/transport/amqp/topology.js';

const NOW = new Date('2026-03-01T10:00:00.000Z');

function row(over: Partial<OutboxRow> = {}): OutboxRow {
  return {
    id: '3f1d2c4e-0000-5000-8000-000000000001', inboxId: 'inbox-1', kind: 'reply', queue: '115851_async', toHerId: 8093248, fromHerId: 8142521,
    process: 'DIALOG_INNBYGGER_TIMERESERVASJON', correlationId: null, body: '<MsgHead/>', properties: {}, summary: 'reply 05',
    createdAt: NOW.toISOString(), sentAt: null, attempts: 0, lastError: null, seq: 1, ...over,
  };
}

const ctx = { contentType: 'application/pkcs7-mime; smime-type=signed-and-enveloped-data', replyTo: '8142519_async', now: NOW, syncReplyTtlMs: 15_000 };

describe('outbox row → AMQP properties (protocol §2.3)', () => {
  test('an async reply: message-id = row id, correlation-id = its own message-id, type = process, headers as strings, persistent, no TTL', () => {
    const p = toPublishProperties(row(), ctx);
    expect(p).toEqual({
      messageId: '3f1d2c4e-0000-5000-8000-000000000001',
      correlationId: '3f1d2c4e-0000-5000-8000-000000000001',
      replyTo: '8142519_async',
      contentType: ctx.contentType,
      type: 'DIALOG_INNBYGGER_TIMERESERVASJON',
      persistent: true,
      timestamp: NOW.getTime() / 1000,
      headers: { fromHerId: '8142521', toHerId: '8093248', applicationTimeStamp: '2026-03-01T10:00:00.000Z' },
    });
  });

  test('a sync reply keeps the request\'s correlation-id and gets the sync TTL as expiration', () => {
    const p = toPublishProperties(row({ correlationId: 'req-corr-1', queue: '115851_syncreply' }), ctx);
    expect(p.correlationId).toBe('req-corr-1');
    expect(p.expiration).toBe('15000');
  });

  test('an AppRec has type APPREC and no TTL', () => {
    const p = toPublishProperties(row({ kind: 'apprec', process: 'APPREC', seq: 0 }), ctx);
    expect(p.type).toBe('APPREC');
    expect(p.expiration).toBeUndefined();
  });

  test('an error report: no content-type, the §2.6 headers from the row properties, nothing else from them', () => {
    const properties = {
      originalMessageId: 'their-msg-1', receiverTimeStamp: '2026-03-01T09:59:59.000Z', errorCondition: 'transport:invalid-field-value',
      errorDescription: 'required AMQP fields missing: applicationTimeStamp', errorConditionData: '{"missing":["applicationTimeStamp"]}', stray: 'x',
    };
    const p = toPublishProperties(row({ kind: 'error-report', process: null, properties, correlationId: null }), { ...ctx, contentType: null });
    expect(p.contentType).toBeUndefined();
    expect(p.type).toBeUndefined();
    expect(p.headers).toEqual({
      fromHerId: '8142521', toHerId: '8093248', applicationTimeStamp: '2026-03-01T10:00:00.000Z',
      originalMessageId: 'their-msg-1', receiverTimeStamp: '2026-03-01T09:59:59.000Z', errorCondition: 'transport:invalid-field-value',
      errorDescription: 'required AMQP fields missing: applicationTimeStamp', errorConditionData: '{"missing":["applicationTimeStamp"]}',
    });
  });

  test('cpaId from the row properties becomes a header', () => {
    expect(toPublishProperties(row({ properties: { cpaId: 'cpa-1' } }), ctx).headers.cpaId).toBe('cpa-1');
  });
});

describe('AMQP delivery → InboundDelivery', () => {
  const body = Buffer.from([0x30, 0x80]);
  const full = {
    content: body,
    properties: {
      messageId: 'm-1', correlationId: 'c-1', replyTo: '115851_syncreply', contentType: ctx.contentType, type: 'DIALOG_INNBYGGER_TIMERESERVASJON',
      headers: { fromHerId: '8093248', toHerId: '8142521', applicationTimeStamp: '2026-03-01T10:00:00+01:00', cpaId: 'cpa-9', other: 'x' },
    },
  };

  test('maps every field faithfully; HER-ids parsed from header strings', () => {
    expect(toInboundDelivery('8142519_sync', full)).toEqual({
      transport: 'amqp', queue: '8142519_sync', body, messageId: 'm-1', correlationId: 'c-1', replyTo: '115851_syncreply', contentType: ctx.contentType,
      subject: 'DIALOG_INNBYGGER_TIMERESERVASJON', fromHerId: 8093248, toHerId: 8142521, applicationTimeStamp: '2026-03-01T10:00:00+01:00', cpaId: 'cpa-9',
    });
  });

  test('missing properties and headers are left out (the pipeline reports them); Buffers and numbers are read', () => {
    const d = toInboundDelivery('q', { content: body, properties: { headers: { fromHerId: Buffer.from('8093248'), toHerId: 8142521 } } });
    expect(d.fromHerId).toBe(8093248);
    expect(d.toHerId).toBe(8142521);
    expect(d).not.toHaveProperty('subject');
    expect(d).not.toHaveProperty('contentType');
    expect(d).not.toHaveProperty('applicationTimeStamp');
    expect(d.messageId).toMatch(/^no-message-id:[0-9a-f]{32}$/);
    // stable across redeliveries of the same body
    expect(toInboundDelivery('q', { content: body, properties: {} }).messageId).toBe(d.messageId);
  });

  test('a subject header stands in for a missing type', () => {
    expect(toInboundDelivery('q', { content: body, properties: { headers: { subject: 'APPREC' } } }).subject).toBe('APPREC');
  });

  test.each([['80932x48'], [''], ['-5'], ['1.5'], ['0'], [' '], [null], [true], [1.5], [-3], ['12345678901234567']])('fromHerId %p is missing/invalid', (v) => {
    expect(parseHerIdHeader(v)).toBeUndefined();
    expect(toInboundDelivery('q', { content: body, properties: { headers: { fromHerId: v } } })).not.toHaveProperty('fromHerId');
  });

  test('an error-queue message is read from its headers', () => {
    expect(toErrorReport({ content: Buffer.alloc(0), properties: { messageId: 'e-1', headers: { originalMessageId: 'o-1', errorCondition: 'transport:decryption-failed', fromHerId: '8093248' } } })).toEqual({
      messageId: 'e-1', originalMessageId: 'o-1', errorCondition: 'transport:decryption-failed', errorDescription: undefined, errorConditionData: undefined, receiverTimeStamp: undefined, fromHerId: 8093248,
    });
  });
});

describe('topology', () => {
  test('queues of our HER-ids: the registry\'s (inherited) queues, else the convention, each once', () => {
    const party = (herId: number, queues: { async: string; sync: string; error: string } | null) => ({
      herId, name: 'x', type: 'Service' as const, parentHerId: null, organizationNumber: null, hprNumber: null, active: true, processes: [], queues, certificates: null,
    });
    const office = { async: '8142519_async', sync: '8142519_sync', error: '8142519_error' };
    const parties = new Map([[8142520, party(8142520, office)], [8142521, party(8142521, office)], [9000001, null]]);
    expect(queuesOf([8142520, 8142521, 9000001], parties).map((q) => `${q.role}:${q.name}`)).toEqual([
      'sync:8142519_sync', 'async:8142519_async', 'error:8142519_error', 'sync:9000001_sync', 'async:9000001_async', 'error:9000001_error',
    ]);
  });

  test('consumed queues are quorum queues with a delivery limit and a dead-letter exchange', () => {
    expect(consumedQueueArguments('8142519_async', 10)).toMatchObject({
      'x-queue-type': 'quorum', 'x-delivery-limit': 10, 'x-dead-letter-exchange': 'timebok.dead-letter', 'x-dead-letter-routing-key': '8142519_async',
    });
  });
});

describe('failure classification', () => {
  test('dependency failures: retry-disposition errors and database connection errors anywhere in the cause chain', () => {
    expect(isDependencyFailure(new TimebokError('ERR_DEPENDENCY_UNAVAILABLE', 'db away'))).toBe(true);
    expect(isDependencyFailure(new TimebokError('ERR_PROTECTION_REVOCATION_UNKNOWN', 'no CRL'))).toBe(true);
    expect(isDependencyFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDependencyFailure(Object.assign(new Error('query failed'), { driverError: { code: '57P01' } }))).toBe(true);
    expect(isDependencyFailure(new Error('wrapped', { cause: new Error('Connection terminated unexpectedly') }))).toBe(true);
    expect(isDependencyFailure(Object.assign(new Error('x'), { code: '08006' }))).toBe(true);
    const released = new Error('Query runner already released. Cannot run queries anymore.');
    released.name = 'QueryRunnerAlreadyReleasedError';
    expect(isDependencyFailure(released)).toBe(true);
    released.name = 'QueryRunnerProviderAlreadyReleasedError';
    expect(isDependencyFailure(released)).toBe(true);
  });

  test('anything else is unknown (requeued, dead-lettered after the limit)', () => {
    expect(isDependencyFailure(new TypeError('cannot read properties of undefined'))).toBe(false);
    expect(isDependencyFailure(Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }))).toBe(false);
    expect(isDependencyFailure(new TimebokError('ERR_INTERNAL', 'bug'))).toBe(false);
  });

  test('only the name and code of an unknown error are logged', () => {
    expect(redactedReason(Object.assign(new Error('Key (msg_id)=(13116900216) already exists'), { code: '23505' }))).toBe('Error (23505)');
    expect(redactedReason(new TypeError('secret text'))).toBe('TypeError');
    expect(redactedReason(new TimebokError('ERR_INTERNAL', 'x'))).toBe('ERR_INTERNAL');
  });
});
