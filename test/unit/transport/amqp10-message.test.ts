import rhea from 'rhea';
import type { OutboxRow } from '../../../src/inbox/message.entities.js';
import { queuesToDeclare } from '../../../src/cli/amqp.command.js';
import type { RegistryRecord } from '../../../src/registry/types.js';
import { brokerUrlWithoutExchange, parseBrokerUrl, queueOfAddress, sourceAddress, targetAddress } from '../../../src/transport/amqp10/address.js';
import { amqp10IdText, bodyBytes, errorReportFrom10, fromAmqp10Message, toAmqp10Message, type Amqp10Message } from '../../../src/transport/amqp10/message.js';
import { classifyTlsError, tlsConnectOptions, tlsRefusal } from '../../../src/transport/amqp10/tls.js';

const NOW = new Date('2026-03-01T10:00:00.000Z');
const CMS = 'application/pkcs7-mime; smime-type=signed-and-enveloped-data';
const ctx = { contentType: CMS, replyTo: '8142519_async', now: NOW, syncReplyTtlMs: 15_000 };
const dataSection = (b: Buffer) => rhea.message.data_section(b);

function row(over: Partial<OutboxRow> = {}): OutboxRow {
  return {
    id: '3f1d2c4e-0000-5000-8000-000000000001', inboxId: 'inbox-1', kind: 'reply', queue: '115851_async', toHerId: 8093248, fromHerId: 8142521,
    process: 'DIALOG_INNBYGGER_TIMERESERVASJON', correlationId: null, body: '<MsgHead/>', properties: {}, summary: 'reply 05',
    createdAt: NOW.toISOString(), sentAt: null, attempts: 0, lastError: null, seq: 1, ...over,
  };
}

/** What the peer receives: the message through rhea's encoder and decoder (the bytes on the wire). */
function overTheWire(m: Amqp10Message): Amqp10Message {
  return rhea.message.decode(rhea.message.encode(m as rhea.Message)) as unknown as Amqp10Message;
}

describe('outbox row → AMQP 1.0 message (protocol §2.3 in AMQP 1.0 terms)', () => {
  test('an async reply: properties, string application properties, durable, one binary data section, no TTL', () => {
    const body = Buffer.from([0x30, 0x82, 0x01, 0x00, 0xff]);
    const m = overTheWire(toAmqp10Message(row(), body, ctx, dataSection));
    expect(m.message_id).toBe('3f1d2c4e-0000-5000-8000-000000000001');
    expect(m.to).toBe('115851_async');
    expect(m.subject).toBe('DIALOG_INNBYGGER_TIMERESERVASJON');
    expect(m.reply_to).toBe('8142519_async');
    expect(m.correlation_id).toBe('3f1d2c4e-0000-5000-8000-000000000001');
    expect(m.content_type).toBe(CMS);
    expect(m.durable).toBe(true);
    expect(m.ttl).toBeUndefined();
    expect(m.application_properties).toEqual({ fromHerId: '8142521', toHerId: '8093248', applicationTimeStamp: '2026-03-01T10:00:00.000Z' });
    expect((m.body as { typecode: number }).typecode).toBe(0x75);
    expect(bodyBytes(m.body)).toEqual(body);
  });

  test('a sync reply carries the request\'s correlation-id and the sync TTL in ms', () => {
    const m = overTheWire(toAmqp10Message(row({ correlationId: 'req-corr-1', queue: '115851_syncreply' }), Buffer.from('x'), ctx, dataSection));
    expect(m.correlation_id).toBe('req-corr-1');
    expect(m.ttl).toBe(15_000);
    expect(m.to).toBe('115851_syncreply');
  });

  test('an error report: the §2.6 application properties and cpaId, an empty data section', () => {
    const props = {
      originalMessageId: 'orig-1', receiverTimeStamp: '2026-03-01T09:59:00Z', errorCondition: 'transport:invalid-field-value',
      errorDescription: 'missing field', errorConditionData: 'applicationTimeStamp', cpaId: 'cpa-1', unrelated: 'dropped',
    };
    const m = overTheWire(toAmqp10Message(row({ kind: 'error-report', queue: '115851_error', properties: props }), new Uint8Array(0), { ...ctx, contentType: null }, dataSection));
    expect(m.application_properties).toEqual({
      fromHerId: '8142521', toHerId: '8093248', applicationTimeStamp: '2026-03-01T10:00:00.000Z', cpaId: 'cpa-1',
      originalMessageId: 'orig-1', receiverTimeStamp: '2026-03-01T09:59:00Z', errorCondition: 'transport:invalid-field-value',
      errorDescription: 'missing field', errorConditionData: 'applicationTimeStamp',
    });
    expect(m.content_type).toBeUndefined();
    expect(bodyBytes(m.body)).toEqual(Buffer.alloc(0));
  });
});

describe('AMQP 1.0 message from a peer → the pipeline\'s delivery', () => {
  const peer = (over: Partial<Amqp10Message> = {}): Amqp10Message => ({
    message_id: 'peer-msg-1', to: '8142519_async', subject: 'DIALOG_INNBYGGER_TIMERESERVASJON', reply_to: '115851_async',
    correlation_id: 'peer-msg-1', content_type: CMS, durable: true,
    application_properties: { fromHerId: '8093248', toHerId: '8142521', applicationTimeStamp: '2026-03-01T10:00:00+01:00', cpaId: 'cpa-9' },
    body: rhea.message.data_section(Buffer.from('cms')),
    ...over,
  });

  test('every §2.3 field is read: ids, reply-to, subject, content type, HER-ids as strings, timestamp, cpaId, body', () => {
    expect(fromAmqp10Message('8142519_async', overTheWire(peer()))).toEqual({
      transport: 'amqp', queue: '8142519_async', body: Buffer.from('cms'), messageId: 'peer-msg-1', correlationId: 'peer-msg-1',
      replyTo: '115851_async', contentType: CMS, subject: 'DIALOG_INNBYGGER_TIMERESERVASJON', fromHerId: 8093248, toHerId: 8142521,
      applicationTimeStamp: '2026-03-01T10:00:00+01:00', cpaId: 'cpa-9',
    });
  });

  test.each([
    ['int', rhea.types.wrap_int(8093248)],
    ['uint', rhea.types.wrap_uint(8093248)],
    ['long', rhea.types.wrap_long(8093248)],
    ['plain number', 8093248],
  ])('a HER-id sent as an integer (%s) is read as that HER-id', (_label, value) => {
    const d = fromAmqp10Message('q', overTheWire(peer({ application_properties: { fromHerId: value, toHerId: 8142521, applicationTimeStamp: 'x' } })));
    expect(d.fromHerId).toBe(8093248);
    expect(d.toHerId).toBe(8142521);
  });

  test.each([['80932x48'], [''], ['-5'], ['1.5']])('an invalid HER-id (%p) counts as missing, for the pipeline to report', (v) => {
    expect(fromAmqp10Message('q', overTheWire(peer({ application_properties: { fromHerId: v } }))).fromHerId).toBeUndefined();
  });

  test('a uuid or ulong message-id, a reply-to given as an address, a timestamp-typed applicationTimeStamp, several data sections', () => {
    const uuid = rhea.string_to_uuid('0e3c8a50-3b9c-4b7e-9a53-1f1e2d3c4b5a');
    const m = overTheWire(peer({
      message_id: uuid, correlation_id: rhea.types.wrap_ulong(42), reply_to: '/amq/queue/115851_syncreply',
      application_properties: { fromHerId: '8093248', applicationTimeStamp: rhea.types.wrap_timestamp(NOW.getTime()) },
      body: [rhea.message.data_section(Buffer.from('ab')), rhea.message.data_section(Buffer.from('cd'))],
    }));
    const d = fromAmqp10Message('q', m);
    expect(d.messageId).toBe('0e3c8a50-3b9c-4b7e-9a53-1f1e2d3c4b5a');
    expect(d.correlationId).toBe('42');
    expect(d.replyTo).toBe('115851_syncreply');
    expect(d.applicationTimeStamp).toBe(NOW.toISOString());
    expect(Buffer.from(d.body).toString()).toBe('abcd');
  });

  test('a message without message-id gets a stable stand-in from its body; a text amqp-value body is no §2.3 body', () => {
    const a = fromAmqp10Message('q', overTheWire(peer({ message_id: undefined })));
    const b = fromAmqp10Message('q', overTheWire(peer({ message_id: undefined })));
    expect(a.messageId).toMatch(/^no-message-id:/);
    expect(a.messageId).toBe(b.messageId);
    expect(fromAmqp10Message('q', overTheWire(peer({ body: '<MsgHead/>' }))).body).toEqual(Buffer.alloc(0));
  });

  test('an error-queue message is read from its application properties', () => {
    const r = errorReportFrom10(overTheWire(peer({
      application_properties: { originalMessageId: 'ours-1', errorCondition: 'transport:decryption-failed', errorDescription: 'd', receiverTimeStamp: 't', fromHerId: 8093248 },
      body: rhea.message.data_section(Buffer.alloc(0)),
    })));
    expect(r).toEqual({ messageId: 'peer-msg-1', originalMessageId: 'ours-1', errorCondition: 'transport:decryption-failed', errorDescription: 'd', errorConditionData: undefined, receiverTimeStamp: 't', fromHerId: 8093248 });
  });

  test('ids as text: uuid bytes formatted, binary as UTF-8, empty as missing', () => {
    expect(amqp10IdText(Buffer.from('0e3c8a503b9c4b7e9a531f1e2d3c4b5a', 'hex'))).toBe('0e3c8a50-3b9c-4b7e-9a53-1f1e2d3c4b5a');
    expect(amqp10IdText(Buffer.from('abc'))).toBe('abc');
    expect(amqp10IdText('')).toBeUndefined();
    expect(amqp10IdText(7)).toBe('7');
  });
});

describe('AMQP_URL and NHN\'s addresses', () => {
  test('NHN\'s form: TLS, port 5671, credentials, the path as the (case-sensitive) exchange', () => {
    expect(parseBrokerUrl('amqps://user%40x:p%3Aw@sb.test.nhn.no:5671/NHNTESTServiceBus')).toEqual({
      tls: true, host: 'sb.test.nhn.no', port: 5671, username: 'user@x', password: 'p:w', exchange: 'NHNTESTServiceBus',
    });
    expect(parseBrokerUrl('amqps://sb.test.nhn.no').port).toBe(5671);
    expect(parseBrokerUrl('amqp://guest:guest@127.0.0.1')).toMatchObject({ tls: false, port: 5672, exchange: null });
  });

  test('a URL that is not one fails naming AMQP_URL, without echoing the password', () => {
    expect(() => parseBrokerUrl('http://u:secret@host/x')).toThrow(/AMQP_URL/);
    expect(() => parseBrokerUrl('amqp://u:secret@host/a/b')).toThrow(/one exchange/);
    try {
      parseBrokerUrl('https://u:secret@host');
    } catch (err) {
      expect(String(err)).not.toContain('secret');
    }
  });

  test('senders attach to /exchange/<exchange>/<queue> (or /amq/queue/<queue> without an exchange), receivers to /amq/queue/<queue>', () => {
    expect(targetAddress('NHNTESTServiceBus', '8142519_async')).toBe('/exchange/NHNTESTServiceBus/8142519_async');
    expect(targetAddress(null, '8142519_async')).toBe('/amq/queue/8142519_async');
    expect(sourceAddress('8142519_sync')).toBe('/amq/queue/8142519_sync');
    expect(queueOfAddress('sb.test.nhn.no/NHNTESTServiceBus/115851_syncreply')).toBe('115851_syncreply');
    expect(queueOfAddress('115851_async')).toBe('115851_async');
  });

  test('for amqplib the exchange path is dropped (it would read it as a virtual host)', () => {
    expect(brokerUrlWithoutExchange('amqp://guest:guest@127.0.0.1:5672/timebok.bus')).toBe('amqp://guest:guest@127.0.0.1:5672');
    expect(brokerUrlWithoutExchange('amqp://guest:guest@127.0.0.1:5672')).toBe('amqp://guest:guest@127.0.0.1:5672');
  });
});

describe('TLS settings and refusals', () => {
  test('TLS 1.2 to 1.3 only, the certificate checked, SNI with the host name', () => {
    expect(tlsConnectOptions('sb.test.nhn.no', {})).toEqual({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', rejectUnauthorized: true, servername: 'sb.test.nhn.no' });
  });

  test('a missing file or a key without a certificate stops start-up naming the setting', () => {
    expect(() => tlsConnectOptions('h', { caFile: '/nonexistent/ca.pem' })).toThrow(/AMQP_TLS_CA_FILE/);
    expect(() => tlsConnectOptions('h', { keyFile: '/nonexistent/k.pem' })).toThrow(/AMQP_TLS_CERT_FILE/);
  });

  test.each([
    [{ code: 'SELF_SIGNED_CERT_IN_CHAIN' }, 'untrusted-certificate'],
    [{ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, 'untrusted-certificate'],
    [{ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }, 'host-name-mismatch'],
    [{ code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', message: 'tlsv1 alert protocol version' }, 'protocol-version'],
    [{ code: 'ERR_SSL_UNSUPPORTED_PROTOCOL', message: 'unsupported protocol' }, 'protocol-version'],
    [{ code: 'CERT_HAS_EXPIRED' }, 'expired-certificate'],
    [{ code: 'ECONNREFUSED' }, null],
  ])('%o is a %s refusal', (err, which) => {
    expect(classifyTlsError(err)).toBe(which);
  });

  test('a refusal becomes an error that says which check failed', () => {
    expect(tlsRefusal({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' })?.message).toMatch(/does not name the host.*host-name-mismatch/);
    expect(tlsRefusal({ code: 'ECONNREFUSED' })).toBeNull();
  });
});

describe('timebok amqp declare: the queues of the bus', () => {
  const rec = (herId: number, parentHerId: number | null, queues: RegistryRecord['queues']): RegistryRecord => ({
    herId, name: 'x', type: parentHerId === null ? 'Organization' : 'Service', parentHerId, organizationNumber: null, hprNumber: null, active: true, processes: [], queues, certificates: null,
  });
  const records = [
    rec(8142519, null, { async: 'a_8142519_async', sync: 'a_8142519_sync', error: 'a_8142519_error' }),
    rec(8142521, 8142519, null),
    rec(115851, null, null),
  ];

  test('every party with queues of its own, or no parent, gets _async, _sync, _error and _syncreply', () => {
    expect(queuesToDeclare(records).sort()).toEqual([
      '115851_async', '115851_error', '115851_sync', '115851_syncreply', 'a_8142519_async', 'a_8142519_error', 'a_8142519_sync', 'a_8142519_syncreply',
    ]);
  });

  test('--her-ids: a service declares the queues it inherits from its parent', () => {
    expect(queuesToDeclare(records, [8142521]).sort()).toEqual(['a_8142519_async', 'a_8142519_error', 'a_8142519_sync', 'a_8142519_syncreply']);
  });
});
