import { ERROR_TABLE, type Disposition, type TimebokError } from '../../../src/shared/errors.js';
import {
  algorithmError,
  certificateError,
  cmsError,
  decryptFailed,
  expiredError,
  revocationUnknown,
  revokedError,
  signatureError,
} from '../../../src/protection/errors.js';

const cert = { thumbprint: 'AB', notBefore: '2020-01-01T00:00:00.000Z', notAfter: '2021-01-01T00:00:00.000Z', at: '2026-03-01T10:00:00.000Z' };

const rows: Array<[string, TimebokError, Disposition, string | undefined]> = [
  ['decryption failed', decryptFailed(), 'transport', 'transport:decryption-failed'],
  ['malformed CMS', cmsError('x'), 'transport', 'transport:invalid-cms-pkcs'],
  ['unacceptable certificate', certificateError('x'), 'transport', 'transport:invalid-certificate'],
  ['expired certificate', expiredError('expired', cert), 'transport', 'transport:expired-certificate'],
  ['not yet valid certificate', expiredError('not-yet-valid', cert), 'transport', 'transport:expired-certificate'],
  ['revoked certificate', revokedError({ thumbprint: 'AB', revokedAt: cert.at }), 'transport', 'transport:revoked-certificate'],
  ['bad signature', signatureError('x'), 'transport', 'transport:invalid-signature'],
  ['refused algorithm', algorithmError('content encryption', '1.2.840.113549.3.7'), 'transport', 'transport:unsupported-message'],
  ['unknown revocation status', revocationUnknown({ thumbprint: 'AB', reason: 'x' }), 'retry', undefined],
];

describe('the protection stage errors', () => {
  it.each(rows)('a %s is answered as the protocol says', (_name, error, disposition, condition) => {
    expect(error.disposition).toBe(disposition);
    expect(ERROR_TABLE[error.code]?.errorCondition).toBe(condition);
  });

  it('a decryption failure is always the same error with nothing attached', () => {
    const a = decryptFailed();
    const b = decryptFailed();
    expect([a.code, a.message, a.detail, a.cause]).toEqual([b.code, b.message, undefined, undefined]);
  });
});
