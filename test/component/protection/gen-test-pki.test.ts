/**
 * The test PKI generator (scripts/gen-test-pki.ts): what it writes is what it says, as judged by
 * openssl, not by our own checks.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateTestPki, type TestPki } from '../../../scripts/gen-test-pki.js';
import { openssl } from '../../fixtures/protection/pki.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
let dir: string;
let pki: TestPki;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'timebok-gen-pki-'));
  pki = await generateTestPki(join(dir, 'pki'), { parties: [4242] });
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function verify(certPath: string, extra: string[] = []): string {
  try {
    return openssl(['verify', '-CAfile', pki.caBundlePath, ...extra, certPath]).toString();
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? e);
  }
}

describe('the test PKI generator', () => {
  it('marks the folder as test-only', () => {
    expect(readFileSync(join(pki.dir, 'README.txt'), 'utf8')).toMatch(/^TEST ONLY — not secrets/);
  });

  it('writes a manifest with paths relative to the folder', () => {
    const manifest = JSON.parse(readFileSync(join(pki.dir, 'pki.json'), 'utf8')) as TestPki;
    expect(manifest.parties['4242']!.signing.certPath).toBe('4242-sign.pem');
    for (const path of [pki.parties['4242']!.signing.p12Path!, pki.crls.issuingDer, pki.special.impostor.certPath]) {
      expect(existsSync(path)).toBe(true);
    }
  });

  it('issues party certificates that openssl verifies to the root, with the key usages they are for', () => {
    expect(verify(pki.parties['4242']!.signing.certPath)).toContain(': OK');
    expect(verify(pki.parties['4242']!.encryption.certPath)).toContain(': OK');
    const sign = openssl(['x509', '-in', pki.parties['4242']!.signing.certPath, '-noout', '-ext', 'keyUsage']).toString();
    expect(sign).toContain('Non Repudiation');
    expect(sign).not.toContain('Key Encipherment');
    const enc = openssl(['x509', '-in', pki.parties['4242']!.encryption.certPath, '-noout', '-ext', 'keyUsage']).toString();
    expect(enc).toContain('Key Encipherment');
  });

  it('issues the deliberately bad certificates openssl refuses for the stated reason', () => {
    expect(verify(pki.special.expired.certPath)).toContain('certificate has expired');
    expect(verify(pki.special.notYetValid.certPath)).toContain('certificate is not yet valid');
    expect(verify(pki.special.untrusted.certPath)).toContain('unable to get local issuer certificate');
    const wrong = openssl(['x509', '-in', pki.special.wrongUsageSigning.certPath, '-noout', '-ext', 'keyUsage']).toString();
    expect(wrong).not.toContain('Non Repudiation');
  });

  it('writes CRLs openssl accepts, revoking exactly the revoked certificate', () => {
    const crls = join(dir, 'all.pem');
    writeFileSync(crls, [pki.caBundlePath, pki.crls.issuing, pki.crls.root].map((p) => readFileSync(p, 'utf8')).join(''));
    const check = (cert: string): string => {
      try {
        return openssl(['verify', '-crl_check_all', '-CAfile', crls, cert]).toString();
      } catch (e) {
        return String((e as { stderr?: Buffer }).stderr ?? e);
      }
    };
    expect(check(pki.special.revoked.certPath)).toContain('certificate revoked');
    expect(check(pki.parties['4242']!.signing.certPath)).toContain(': OK');
    openssl(['crl', '-in', pki.crls.issuing, '-CAfile', pki.caBundlePath, '-noout']);
    openssl(['crl', '-in', pki.crls.issuingDer, '-inform', 'DER', '-CAfile', pki.caBundlePath, '-noout']);
  });

  it('gives the impostor the issuer and serial number of the first party signing certificate', () => {
    const serial = (p: string): string => openssl(['x509', '-in', p, '-noout', '-serial', '-issuer']).toString();
    expect(serial(pki.special.impostor.certPath)).toBe(serial(pki.parties['4242']!.signing.certPath));
  });

  it('writes PKCS#12 files openssl opens with the passphrase', () => {
    const out = openssl(['pkcs12', '-in', pki.parties['4242']!.encryption.p12Path!, '-passin', `pass:${pki.p12Passphrase}`, '-nokeys']).toString();
    expect(out).toContain('BEGIN CERTIFICATE');
  });

  it('runs as a command line', () => {
    const out = join(dir, 'cli');
    execFileSync(join(root, 'node_modules/.bin/tsx'), [join(root, 'scripts/gen-test-pki.ts'), out, '--parties', '1111'], {
      cwd: root,
      stdio: 'pipe',
    });
    expect(existsSync(join(out, '1111-sign.pem'))).toBe(true);
    expect(existsSync(join(out, '1111-enc.p12'))).toBe(true);
    expect(readFileSync(join(out, 'README.txt'), 'utf8')).toContain('TEST ONLY');
  }, 60_000);
});
