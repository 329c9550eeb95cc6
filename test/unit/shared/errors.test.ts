import { ERROR_TABLE, TimebokError } from '../../../src/shared/errors.js';
import { derivedId } from '../../../src/shared/ids.js';

describe('the error table', () => {
  test('pins what the sender gets for each error code', () => {
    const view = Object.fromEntries(
      Object.entries(ERROR_TABLE).map(([code, r]) => [code, [r.disposition, r.errorCondition ?? r.appRecCode ?? '-'].join(' ')]),
    );
    expect(view).toEqual({
      ERR_ENVELOPE_NOT_WELL_FORMED: 'transport transport:not-well-formed-xml',
      ERR_ENVELOPE_DOCTYPE: 'transport transport:not-well-formed-xml',
      ERR_ENVELOPE_TOO_LARGE: 'transport transport:not-well-formed-xml',
      ERR_ENVELOPE_TOO_DEEP: 'transport transport:not-well-formed-xml',
      ERR_ENVELOPE_ENCODING: 'transport transport:invalid-encoding',
      ERR_ENVELOPE_NOT_MSGHEAD: 'transport transport:not-well-formed-xml',
      ERR_ENVELOPE_SCHEMA: 'reply T02',
      ERR_ENVELOPE_CONTENT: 'reply T02',
      ERR_ENVELOPE_PATIENT_ID: 'reply E31',
      ERR_TRANSPORT_FIELD: 'transport transport:invalid-field-value',
      ERR_TRANSPORT_UNSUPPORTED: 'transport transport:unsupported-message',
      ERR_REGISTRY_SENDER_UNKNOWN: 'transport transport:invalid-field-value',
      ERR_REGISTRY_SPOOFING: 'transport abuse:spoofing-attack',
      ERR_REGISTRY_RECEIVER_MISMATCH: 'reply E10',
      ERR_REGISTRY_RECEIVER: 'reply E21',
      ERR_REGISTRY_PROCESS: 'reply T10',
      ERR_INBOX_MSGID_REUSED: 'reply E10',
      ERR_PROTECTION_DECRYPT: 'transport transport:decryption-failed',
      ERR_PROTECTION_CMS: 'transport transport:invalid-cms-pkcs',
      ERR_PROTECTION_CERTIFICATE: 'transport transport:invalid-certificate',
      ERR_PROTECTION_EXPIRED: 'transport transport:expired-certificate',
      ERR_PROTECTION_REVOKED: 'transport transport:revoked-certificate',
      ERR_PROTECTION_SIGNATURE: 'transport transport:invalid-signature',
      ERR_PROTECTION_ALGORITHM: 'transport transport:unsupported-message',
      ERR_PROTECTION_REVOCATION_UNKNOWN: 'retry -',
      ERR_DEPENDENCY_UNAVAILABLE: 'retry -',
      ERR_CONFIG: 'crash -',
      ERR_SETUP_FILE: 'crash -',
      ERR_INTERNAL: 'crash -',
    });
  });

  test('an error takes its disposition from the table unless told otherwise; unknown codes crash', () => {
    expect(new TimebokError('ERR_REGISTRY_SPOOFING', 'x').disposition).toBe('transport');
    expect(new TimebokError('ERR_NOT_IN_TABLE', 'x').disposition).toBe('crash');
    expect(new TimebokError('ERR_CONFIG', 'x', { disposition: 'retry' }).disposition).toBe('retry');
  });
});

describe('derived ids', () => {
  test('are stable UUID v5 values that differ by purpose', () => {
    const a = derivedId('reply', '8093248:m1');
    expect(a).toBe(derivedId('reply', '8093248:m1'));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(derivedId('apprec', '8093248:m1')).not.toBe(a);
  });
});
