import { TimebokError } from '../shared/errors.js';

/**
 * The protection stage's errors, built in one place so that each condition always carries the same code
 * and message. Codes and dispositions come from src/shared/errors.ts ERROR_TABLE.
 */

/**
 * The one and only decryption failure. Wrong key, bad RSA padding, wrong key length, bad CBC padding,
 * garbage after decryption: all of them produce this same code and this same message, with no cause and
 * no detail, so that nothing distinguishes them (no padding oracle).
 */
export const DECRYPT_FAILED_MESSAGE = 'The message could not be decrypted.';

export function decryptFailed(): TimebokError {
  return new TimebokError('ERR_PROTECTION_DECRYPT', DECRYPT_FAILED_MESSAGE);
}

export function cmsError(reason: string): TimebokError {
  return new TimebokError('ERR_PROTECTION_CMS', `Malformed CMS: ${reason}.`, { detail: { reason } });
}

export function algorithmError(what: string, oid: string, name?: string): TimebokError {
  return new TimebokError(
    'ERR_PROTECTION_ALGORITHM',
    `Algorithm not allowed for ${what}: ${name ?? oid}.`,
    { detail: { what, oid, ...(name === undefined ? {} : { name }) } },
  );
}

export function signatureError(reason: string): TimebokError {
  return new TimebokError('ERR_PROTECTION_SIGNATURE', `Signature not valid: ${reason}.`, { detail: { reason } });
}

export function certificateError(reason: string, detail: Record<string, unknown> = {}): TimebokError {
  return new TimebokError('ERR_PROTECTION_CERTIFICATE', `Certificate not acceptable: ${reason}.`, {
    detail: { reason, ...detail },
  });
}

export function expiredError(
  reason: 'expired' | 'not-yet-valid',
  detail: { thumbprint: string; notBefore: string; notAfter: string; at: string },
): TimebokError {
  return new TimebokError(
    'ERR_PROTECTION_EXPIRED',
    reason === 'expired' ? 'Certificate has expired.' : 'Certificate is not yet valid.',
    { detail: { reason, ...detail } },
  );
}

export function revokedError(detail: { thumbprint: string; revokedAt: string }): TimebokError {
  return new TimebokError('ERR_PROTECTION_REVOKED', 'Certificate has been revoked.', { detail });
}

export function revocationUnknown(detail: { thumbprint: string; reason: string }): TimebokError {
  return new TimebokError(
    'ERR_PROTECTION_REVOCATION_UNKNOWN',
    `Revocation status unknown: ${detail.reason}.`,
    { detail },
  );
}
