import { ERROR_TABLE, TimebokError, businessCodeOfReply, describeError, isErrorCode, refusalAnswer } from '../../../src/shared/errors.js';
import { derivedId } from '../../../src/shared/ids.js';

describe('the error table', () => {
  test('pins what the sender gets for each error code: disposition, AppRec / reply code or error condition, log level, retry', () => {
    const view = Object.fromEntries(
      Object.entries(ERROR_TABLE).map(([code, r]) => [
        code,
        [r.disposition, r.appRecCode ?? '', r.replyCode ?? '', r.errorCondition ?? '', r.exitCode ?? '', r.level, r.retry ? 'retry' : 'once']
          .filter((x) => x !== '')
          .join(' '),
      ]),
    );
    expect(view).toEqual({
      ERR_ENVELOPE_NOT_WELL_FORMED: 'transport transport:not-well-formed-xml warn once',
      ERR_ENVELOPE_DOCTYPE: 'transport transport:not-well-formed-xml warn once',
      ERR_ENVELOPE_TOO_LARGE: 'transport transport:not-well-formed-xml warn once',
      ERR_ENVELOPE_TOO_DEEP: 'transport transport:not-well-formed-xml warn once',
      ERR_ENVELOPE_ENCODING: 'transport transport:invalid-encoding warn once',
      ERR_ENVELOPE_NOT_MSGHEAD: 'transport transport:not-well-formed-xml warn once',
      ERR_TRANSPORT_FIELD: 'transport transport:invalid-field-value warn once',
      ERR_TRANSPORT_UNSUPPORTED: 'transport transport:unsupported-message warn once',
      ERR_REGISTRY_SENDER_UNKNOWN: 'transport transport:invalid-field-value warn once',
      ERR_REGISTRY_SPOOFING: 'transport abuse:spoofing-attack error once',
      ERR_ENVELOPE_SCHEMA: 'reply T02 26 warn once',
      ERR_ENVELOPE_CONTENT: 'reply T02 26 warn once',
      ERR_ENVELOPE_PATIENT_ID: 'reply E31 26 warn once',
      ERR_REGISTRY_RECEIVER_MISMATCH: 'reply E10 26 warn once',
      ERR_REGISTRY_RECEIVER: 'reply E21 26 warn once',
      ERR_REGISTRY_PROCESS: 'reply T10 26 warn once',
      ERR_INBOX_MSGID_REUSED: 'reply E10 26 warn once',
      ERR_FUNCTION_NOT_OFFERED: 'business 26 info once',
      ERR_REPRESENTATION_NOT_ALLOWED: 'business 26 info once',
      ERR_BOOKING_NO_XCAL: 'business 26 info once',
      ERR_BOOKING_SLOT_UNAVAILABLE: 'business 06 info once',
      ERR_BOOKING_REFUSED: 'business 26 info once',
      ERR_BOOKING_NOT_ELIGIBLE: 'business 30 info once',
      ERR_CANCEL_NO_XCAL: 'business 09 info once',
      ERR_CANCEL_REFUSED: 'business 09 info once',
      ERR_PROTECTION_DECRYPT: 'transport transport:decryption-failed warn once',
      ERR_PROTECTION_CMS: 'transport transport:invalid-cms-pkcs warn once',
      ERR_PROTECTION_CERTIFICATE: 'transport transport:invalid-certificate warn once',
      ERR_PROTECTION_EXPIRED: 'transport transport:expired-certificate warn once',
      ERR_PROTECTION_REVOKED: 'transport transport:revoked-certificate warn once',
      ERR_PROTECTION_SIGNATURE: 'transport transport:invalid-signature warn once',
      ERR_PROTECTION_ALGORITHM: 'transport transport:unsupported-message warn once',
      ERR_STAFF_USAGE: 'staff 2 info once',
      ERR_STAFF_NOT_FOUND: 'staff 1 info once',
      ERR_STAFF_REFUSED: 'staff 1 info once',
      ERR_STAFF_CONFLICT: 'staff 1 info once',
      ERR_STAFF_INVALID_OUTPUT: 'staff 1 error once',
      ERR_PROTECTION_REVOCATION_UNKNOWN: 'retry warn retry',
      ERR_DEPENDENCY_UNAVAILABLE: 'retry warn retry',
      ERR_CONFIG: 'crash error once',
      ERR_SETUP_FILE: 'crash error once',
      ERR_INTERNAL: 'crash error once',
    });
  });

  test('every row is complete for its disposition and names nothing it does not use', () => {
    for (const [code, r] of Object.entries(ERROR_TABLE)) {
      const has = { appRec: r.appRecCode !== undefined, reply: r.replyCode !== undefined, condition: r.errorCondition !== undefined, exit: r.exitCode !== undefined };
      const expected = {
        reply: { appRec: true, reply: true, condition: false, exit: false },
        business: { appRec: false, reply: true, condition: false, exit: false },
        transport: { appRec: false, reply: false, condition: true, exit: false },
        staff: { appRec: false, reply: false, condition: false, exit: true },
        retry: { appRec: false, reply: false, condition: false, exit: false },
        crash: { appRec: false, reply: false, condition: false, exit: false },
      }[r.disposition];
      expect({ code, ...has }).toEqual({ code, ...expected });
      expect(r.retry).toBe(r.disposition === 'retry');
    }
  });

  test('an error takes its disposition from the table, whatever the call site states', () => {
    expect(new TimebokError('ERR_REGISTRY_SPOOFING', 'x').disposition).toBe('transport');
    expect(new TimebokError('ERR_CONFIG', 'x', { disposition: 'retry' }).disposition).toBe('crash');
    expect(new TimebokError('ERR_DEPENDENCY_UNAVAILABLE', 'x').rule.retry).toBe(true);
    expect(isErrorCode('ERR_NOT_IN_TABLE')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode('ERR_CONFIG')).toBe(true);
  });

  test('a refusal and a business no take their answer codes from the table', () => {
    expect(refusalAnswer('ERR_REGISTRY_RECEIVER')).toEqual({ appRecCode: 'E21', replyCode: '26' });
    expect(businessCodeOfReply('RT', '06')).toEqual({ refusal: 'ERR_BOOKING_SLOT_UNAVAILABLE' });
    expect(businessCodeOfReply('ART', '09')).toEqual({ refusal: 'ERR_CANCEL_REFUSED' });
    expect(businessCodeOfReply('RT', '05')).toEqual({});
  });

  test('an unknown error is described by its name and driver code only, never its text', () => {
    const driver = Object.assign(new Error('duplicate key value (patient_id)=(01017012345)'), { code: '23505' });
    expect(describeError(driver)).toBe('Error (23505)');
    const typeorm = Object.assign(new Error('Key (x)=(secret) already exists'), { name: 'QueryFailedError', driverError: { code: 'SQLITE_CONSTRAINT_UNIQUE' } });
    expect(describeError(typeorm)).toBe('QueryFailedError (SQLITE_CONSTRAINT_UNIQUE)');
    expect(describeError(new TypeError('Cannot read properties of undefined (reading "Ola Nordmann")'))).toBe('TypeError');
    expect(describeError('a string')).toBe('unknown error');
    expect(describeError(new TimebokError('ERR_CONFIG', 'setting X: invalid'))).toBe('ERR_CONFIG: setting X: invalid');
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
