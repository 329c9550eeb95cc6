import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FixedClock } from '../../../src/shared/clock.js';
import { ERROR_TABLE, TimebokError, type ErrorCode } from '../../../src/shared/errors.js';
import { parseCertificate, thumbprint } from '../../../src/protection/certificates.js';
import { loadTrust } from '../../../src/protection/keys.js';
import { checkCertificate, type TrustOptions } from '../../../src/protection/trust.js';
import type { TestPki } from '../../../src/protection/test-pki.js';
import { certPem, HELSENORGE, sharedTestPki, TEST_NOW, testTrust, trustFiles, US } from '../../fixtures/protection/pki.js';

let pki: TestPki;
let trust: TrustOptions;

beforeAll(async () => {
  pki = await sharedTestPki();
  trust = testTrust(pki);
}, 60_000);

function codeOf(fn: () => unknown): { code: ErrorCode; disposition: string; detail: Record<string, unknown> | undefined } {
  try {
    fn();
  } catch (e) {
    if (e instanceof TimebokError) return { code: e.code, disposition: e.disposition, detail: e.detail };
    throw e;
  }
  throw new Error('expected a TimebokError');
}

describe('certificate checks', () => {
  it('accepts a party signing certificate for signing and its encryption certificate for encryption', () => {
    const checked = checkCertificate(certPem(pki.parties[HELSENORGE]!.signing), 'signing', trust);
    expect(checked.chain).toHaveLength(3);
    expect(checked.thumbprint).toBe(thumbprint(certPem(pki.parties[HELSENORGE]!.signing)));
    expect(() => checkCertificate(certPem(pki.parties[US]!.encryption), 'encryption', trust)).not.toThrow();
  });

  it('refuses an expired certificate as expired', () => {
    const r = codeOf(() => checkCertificate(certPem(pki.special.expired), 'signing', trust));
    expect(r.code).toBe('ERR_PROTECTION_EXPIRED');
    expect(r.detail?.reason).toBe('expired');
  });

  it('refuses a certificate that is not yet valid with the expired-certificate condition', () => {
    const r = codeOf(() => checkCertificate(certPem(pki.special.notYetValid), 'signing', trust));
    expect(r.code).toBe('ERR_PROTECTION_EXPIRED');
    expect(r.detail?.reason).toBe('not-yet-valid');
    expect(ERROR_TABLE[r.code]?.errorCondition).toBe('transport:expired-certificate');
  });

  it('judges validity at the injected clock, not the wall clock', () => {
    const then = testTrust(pki, {}, new FixedClock(new Date('2020-06-01T00:00:00Z')));
    expect(() => checkCertificate(certPem(pki.special.expired), 'signing', then)).not.toThrow();
    const later = testTrust(pki, {}, new FixedClock(new Date('2045-06-01T00:00:00Z')));
    expect(codeOf(() => checkCertificate(certPem(pki.parties[US]!.signing), 'signing', later)).code).toBe('ERR_PROTECTION_EXPIRED');
  });

  it('refuses a certificate listed in the issuer CRL as revoked', () => {
    const r = codeOf(() => checkCertificate(certPem(pki.special.revoked), 'signing', trust));
    expect(r.code).toBe('ERR_PROTECTION_REVOKED');
    expect(ERROR_TABLE[r.code]?.errorCondition).toBe('transport:revoked-certificate');
  });

  it('reads the CRL in DER as well as PEM', () => {
    const der = testTrust(pki, { crls: [pki.crls.issuingDer, pki.crls.root] });
    expect(codeOf(() => checkCertificate(certPem(pki.special.revoked), 'signing', der)).code).toBe('ERR_PROTECTION_REVOKED');
  });

  it('asks for a retry when the only CRL of the issuer is out of date', () => {
    const stale = testTrust(pki, { crls: [pki.crls.issuingStale, pki.crls.root] });
    const r = codeOf(() => checkCertificate(certPem(pki.parties[HELSENORGE]!.signing), 'signing', stale));
    expect(r.code).toBe('ERR_PROTECTION_REVOCATION_UNKNOWN');
    expect(r.disposition).toBe('retry');
  });

  it('asks for a retry when there is no CRL from the issuer at all', () => {
    const none = testTrust(pki, { crls: [pki.crls.root] });
    const r = codeOf(() => checkCertificate(certPem(pki.parties[HELSENORGE]!.signing), 'signing', none));
    expect(r.code).toBe('ERR_PROTECTION_REVOCATION_UNKNOWN');
    expect(r.disposition).toBe('retry');
  });

  it('checks the intermediate CA against the root CRL too', () => {
    const noRootCrl = testTrust(pki, { crls: [pki.crls.issuing] });
    expect(codeOf(() => checkCertificate(certPem(pki.parties[US]!.signing), 'signing', noRootCrl)).code).toBe(
      'ERR_PROTECTION_REVOCATION_UNKNOWN',
    );
  });

  it('skips revocation only when told to', () => {
    const off = testTrust(pki, { crls: [], revocation: 'none' });
    expect(() => checkCertificate(certPem(pki.special.revoked), 'signing', off)).not.toThrow();
  });

  it('refuses a signing certificate without NonRepudiation', () => {
    const r = codeOf(() => checkCertificate(certPem(pki.special.wrongUsageSigning), 'signing', trust));
    expect(r.code).toBe('ERR_PROTECTION_CERTIFICATE');
    expect(r.detail?.reason).toBe('wrong key usage');
  });

  it('refuses an encryption certificate without KeyEncipherment', () => {
    const r = codeOf(() => checkCertificate(certPem(pki.special.wrongUsageEncryption), 'encryption', trust));
    expect(r.code).toBe('ERR_PROTECTION_CERTIFICATE');
    expect(r.detail?.reason).toBe('wrong key usage');
  });

  it('refuses an encryption certificate offered for signing', () => {
    expect(codeOf(() => checkCertificate(certPem(pki.parties[US]!.encryption), 'signing', trust)).code).toBe('ERR_PROTECTION_CERTIFICATE');
  });

  it('refuses a certificate that does not chain to a configured anchor', () => {
    const r = codeOf(() => checkCertificate(certPem(pki.special.untrusted), 'signing', trust));
    expect(r.code).toBe('ERR_PROTECTION_CERTIFICATE');
    expect(r.detail?.reason).toBe('no chain to a trust anchor');
  });

  it('refuses a chain when the intermediate CA is not configured', () => {
    const rootOnly = testTrust(pki, { intermediates: [] });
    expect(codeOf(() => checkCertificate(certPem(pki.parties[US]!.signing), 'signing', rootOnly)).code).toBe('ERR_PROTECTION_CERTIFICATE');
  });

  it('refuses a certificate whose signature was not made by the named issuer', () => {
    // The impostor carries the same issuer name; break its signature and it must not chain.
    const der = Buffer.from(parseCertificate(certPem(pki.special.impostor)).der);
    der[der.length - 5]! ^= 0xff;
    const r = codeOf(() => checkCertificate(der, 'signing', trust));
    expect(r.code).toBe('ERR_PROTECTION_CERTIFICATE');
  });

  it('enforces configured certificate policies', () => {
    const policy = testTrust(pki, { policies: ['2.16.578.1.26.1.0.3.2'] });
    expect(() => checkCertificate(certPem(pki.parties[US]!.signing), 'signing', policy)).not.toThrow();
    const other = testTrust(pki, { policies: ['2.16.578.1.26.1.3.2'] });
    expect(codeOf(() => checkCertificate(certPem(pki.parties[US]!.signing), 'signing', other)).code).toBe('ERR_PROTECTION_CERTIFICATE');
  });

  it('refuses input that is not a certificate', () => {
    expect(codeOf(() => checkCertificate('not a certificate', 'signing', trust)).code).toBe('ERR_PROTECTION_CERTIFICATE');
  });

  it('fails at start-up when a CRL naming our CA does not verify', () => {
    const der = Buffer.from(readFileSync(pki.crls.issuingDer));
    der[der.length - 3]! ^= 0x01;
    const dir = mkdtempSync(join(tmpdir(), 'timebok-crl-'));
    try {
      const bad = join(dir, 'bad.crl');
      writeFileSync(bad, der);
      expect(() => loadTrust(trustFiles(pki, { crls: [bad] }), new FixedClock(TEST_NOW))).toThrow(
        expect.objectContaining({ code: 'ERR_CONFIG' }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
