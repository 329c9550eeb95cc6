/**
 * Interop with `openssl cms` (OpenSSL 3.0): what Timebok protects, OpenSSL decrypts and verifies; what
 * OpenSSL protects, Timebok accepts, or refuses with the specific condition.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FixedClock } from '../../../src/shared/clock.js';
import { TimebokError } from '../../../src/shared/errors.js';
import { thumbprint } from '../../../src/protection/certificates.js';
import { protect, type SigningIdentity } from '../../../src/protection/cms.protect.js';
import { unprotect, type DecryptionKeys } from '../../../src/protection/cms.unprotect.js';
import { loadIdentity, loadKeyFile } from '../../../src/protection/keys.js';
import type { TrustOptions } from '../../../src/protection/trust.js';
import type { TestPki } from '../../../scripts/support/test-pki.js';
import { certPem, HELSENORGE, identity, openssl, sharedTestPki, TEST_NOW, testTrust, US } from '../../fixtures/protection/pki.js';

let pki: TestPki;
let trust: TrustOptions;
let work: string;
let helsenorge: SigningIdentity;
let ourKeys: DecryptionKeys;
let registry: string[];
const clock = new FixedClock(TEST_NOW);
const content = Buffer.from('<?xml version="1.0" encoding="utf-8"?>\r\n<MsgHead>Bokmål: æøå</MsgHead>\n', 'utf8');
const LEGACY = ['-provider', 'legacy', '-provider', 'default'];

beforeAll(async () => {
  pki = await sharedTestPki();
  trust = testTrust(pki, {}, clock);
  work = mkdtempSync(join(tmpdir(), 'timebok-openssl-'));
  writeFileSync(join(work, 'content.xml'), content);
  helsenorge = identity(pki.parties[HELSENORGE]!.signing);
  ourKeys = {
    current: { key: loadKeyFile(pki.parties[US]!.encryption.keyPath), certificatePem: certPem(pki.parties[US]!.encryption) },
  };
  registry = [helsenorge.certificatePem];
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

function opensslSign(args: string[] = [], signer = pki.parties[HELSENORGE]!.signing): Buffer {
  return openssl([
    'cms', '-sign', '-nodetach', '-md', 'sha256', '-binary', '-outform', 'DER',
    '-in', join(work, 'content.xml'), '-signer', signer.certPath, '-inkey', signer.keyPath, ...args,
  ]);
}

function opensslEncrypt(signed: Buffer, args: string[] = ['-aes256'], recipients = [pki.parties[US]!.encryption.certPath]): Buffer {
  return openssl(['cms', '-encrypt', '-binary', '-inform', 'DER', '-outform', 'DER', ...args, ...recipients], signed);
}

function caught(fn: () => unknown): TimebokError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TimebokError) return e;
    throw e;
  }
  throw new Error('expected a TimebokError');
}

describe('messages protected by openssl cms are accepted', () => {
  it('sign -nodetach -md sha256 | encrypt -aes256: the exact content, signed by the registered sender', () => {
    const result = unprotect(opensslEncrypt(opensslSign()), ourKeys, registry, trust);
    expect(result.content).toEqual(content);
    expect(result.signerThumbprint).toBe(thumbprint(helsenorge.certificatePem));
  });

  it.each([['-aes128'], ['-aes192']])('content encrypted with %s', (cipher) => {
    expect(unprotect(opensslEncrypt(opensslSign(), [cipher]), ourKeys, registry, trust).content).toEqual(content);
  });

  it('BER with indefinite lengths and chunked OCTET STRINGs (-stream)', () => {
    const signed = opensslSign(['-stream']);
    expect(signed.subarray(0, 2).toString('hex')).toBe('3080');
    const body = opensslEncrypt(signed, ['-aes256', '-stream']);
    expect(body.subarray(0, 2).toString('hex')).toBe('3080');
    expect(unprotect(body, ourKeys, registry, trust).content).toEqual(content);
  });

  it('RSAES-OAEP key transport with SHA-256', () => {
    const body = opensslEncrypt(opensslSign(), ['-aes256'], [
      '-recip', pki.parties[US]!.encryption.certPath, '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256',
    ]);
    expect(openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-noout'], body).toString()).toContain('rsaesOaep');
    expect(unprotect(body, ourKeys, registry, trust).content).toEqual(content);
  });

  it('recipient and signer named by subject key identifier (-keyid)', () => {
    const body = opensslEncrypt(opensslSign(['-keyid']), ['-aes256', '-keyid']);
    expect(unprotect(body, ourKeys, registry, trust).content).toEqual(content);
  });

  it('several recipients: ours is found among them', () => {
    const body = opensslEncrypt(opensslSign(), ['-aes256'], [pki.parties[HELSENORGE]!.encryption.certPath, pki.parties[US]!.encryption.certPath]);
    expect(unprotect(body, ourKeys, registry, trust).content).toEqual(content);
  });

  it('with the legacy key during a key roll-over', () => {
    const keys: DecryptionKeys = {
      current: ourKeys.current,
      legacy: [{ key: loadKeyFile(pki.parties[US]!.legacyEncryption.keyPath), certificatePem: certPem(pki.parties[US]!.legacyEncryption) }],
    };
    const body = opensslEncrypt(opensslSign(), ['-aes256'], [pki.parties[US]!.legacyEncryption.certPath]);
    const result = unprotect(body, keys, registry, trust);
    expect(result.content).toEqual(content);
    expect(result.decryptedWith).toBe('legacy');
  });
});

describe('messages protected by openssl cms are refused with the specific condition', () => {
  it.each([
    ['3DES (des-ede3-cbc)', ['-des3']],
    ['single DES', ['-des', ...LEGACY]],
    ['RC2', ['-rc2', ...LEGACY]],
  ])('content encrypted with %s: unsupported algorithm', (_name, args) => {
    const e = caught(() => unprotect(opensslEncrypt(opensslSign(), args), ourKeys, registry, trust));
    expect(e.code).toBe('ERR_PROTECTION_ALGORITHM');
  });

  it('a SHA-1 signature: unsupported algorithm', () => {
    const signed = openssl([
      'cms', '-sign', '-nodetach', '-md', 'sha1', '-binary', '-outform', 'DER', '-in', join(work, 'content.xml'),
      '-signer', pki.parties[HELSENORGE]!.signing.certPath, '-inkey', pki.parties[HELSENORGE]!.signing.keyPath,
    ]);
    expect(caught(() => unprotect(opensslEncrypt(signed), ourKeys, registry, trust)).code).toBe('ERR_PROTECTION_ALGORITHM');
  });

  it('a detached signature: invalid CMS', () => {
    const signed = openssl([
      'cms', '-sign', '-md', 'sha256', '-binary', '-outform', 'DER', '-in', join(work, 'content.xml'),
      '-signer', pki.parties[HELSENORGE]!.signing.certPath, '-inkey', pki.parties[HELSENORGE]!.signing.keyPath,
    ]);
    const e = caught(() => unprotect(opensslEncrypt(signed), ourKeys, registry, trust));
    expect(e.code).toBe('ERR_PROTECTION_CMS');
  });

  it('signed by a party other than the sender: invalid certificate with thumbprints', () => {
    const body = opensslEncrypt(opensslSign([], pki.parties[US]!.signing));
    const e = caught(() => unprotect(body, ourKeys, registry, trust));
    expect(e.code).toBe('ERR_PROTECTION_CERTIFICATE');
    expect(e.detail).toMatchObject({ actualThumbprint: thumbprint(certPem(pki.parties[US]!.signing)) });
  });

  it('signed with a revoked certificate: revoked', () => {
    const signer = { certPath: pki.special.revoked.certPath, keyPath: pki.special.revoked.keyPath, serialHex: '' };
    const body = opensslEncrypt(opensslSign([], signer));
    expect(caught(() => unprotect(body, ourKeys, [certPem(pki.special.revoked)], trust)).code).toBe('ERR_PROTECTION_REVOKED');
  });

  it('encrypted for somebody else: decryption failed', () => {
    const body = opensslEncrypt(opensslSign(), ['-aes256'], [pki.parties[HELSENORGE]!.encryption.certPath]);
    expect(caught(() => unprotect(body, ourKeys, registry, trust)).code).toBe('ERR_PROTECTION_DECRYPT');
  });
});

describe('messages protected by Timebok are accepted by openssl cms', () => {
  function opensslUnprotect(body: Buffer, caFile = pki.caBundlePath, extraVerify: string[] = []): Buffer {
    const enc = pki.parties[HELSENORGE]!.encryption;
    const signed = openssl(['cms', '-decrypt', '-inform', 'DER', '-binary', '-outform', 'DER', '-recip', enc.certPath, '-inkey', enc.keyPath], body);
    return openssl(['cms', '-verify', '-inform', 'DER', '-binary', '-CAfile', caFile, '-purpose', 'any', ...extraVerify], signed);
  }

  /** openssl cms reads CRLs from the -CAfile: a bundle of the CA certificates and both CRLs. */
  function caAndCrls(): string {
    const path = join(work, 'ca-and-crls.pem');
    writeFileSync(path, [pki.caBundlePath, pki.crls.issuing, pki.crls.root].map((p) => readFileSync(p, 'utf8')).join(''));
    return path;
  }

  it('openssl cms -decrypt then -verify against the CA gives back the content', () => {
    const us = identity(pki.parties[US]!.signing);
    const body = protect(content, us, certPem(pki.parties[HELSENORGE]!.encryption), { clock, trust });
    expect(opensslUnprotect(body)).toEqual(content);
  });

  it('verifies with CRL checking of the whole chain', () => {
    const us = identity(pki.parties[US]!.signing);
    const body = protect(content, us, certPem(pki.parties[HELSENORGE]!.encryption), { clock });
    expect(opensslUnprotect(body, caAndCrls(), ['-crl_check_all'])).toEqual(content);
  });

  it('a message signed with the revoked certificate fails openssl verification with CRLs', () => {
    const revoked = { key: loadKeyFile(pki.special.revoked.keyPath), certificatePem: certPem(pki.special.revoked) };
    const body = protect(content, revoked, certPem(pki.parties[HELSENORGE]!.encryption), { clock });
    expect(opensslUnprotect(body, caAndCrls())).toEqual(content); // without CRL checking it verifies
    expect(() => opensslUnprotect(body, caAndCrls(), ['-crl_check_all'])).toThrow(/certificate revoked/);
  });

  it('signing with an identity from a PKCS#12 includes the intermediate, so openssl needs only the root', () => {
    const fromP12 = loadIdentity({ key: pki.parties[US]!.signing.p12Path!, passphrase: pki.p12Passphrase });
    const body = protect(content, fromP12, certPem(pki.parties[HELSENORGE]!.encryption), { clock });
    const enc = pki.parties[HELSENORGE]!.encryption;
    const signed = openssl(['cms', '-decrypt', '-inform', 'DER', '-binary', '-outform', 'DER', '-recip', enc.certPath, '-inkey', enc.keyPath], body);
    const out = openssl(['cms', '-verify', '-inform', 'DER', '-binary', '-CAfile', pki.rootCa.certPath, '-purpose', 'any'], signed);
    expect(out).toEqual(content);
  });

  it('the structure is what Helsenorge expects: AES-256-CBC, issuer and serial, SHA-256, RSA', () => {
    const us = identity(pki.parties[US]!.signing);
    const body = protect(content, us, certPem(pki.parties[HELSENORGE]!.encryption), { clock });
    const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-noout'], body).toString();
    expect(printed).toContain('contentType: pkcs7-envelopedData');
    expect(printed).toContain('aes-256-cbc');
    expect(printed).toContain('d.issuerAndSerialNumber');
    const enc = pki.parties[HELSENORGE]!.encryption;
    const signed = openssl(['cms', '-decrypt', '-inform', 'DER', '-binary', '-outform', 'DER', '-recip', enc.certPath, '-inkey', enc.keyPath], body);
    const inner = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-noout'], signed).toString();
    expect(inner).toContain('contentType: pkcs7-signedData');
    expect(inner).toContain('algorithm: sha256');
    expect(inner).toContain('algorithm: rsaEncryption');
  });
});

describe('PKCS#12 made by openssl', () => {
  it('opens an OpenSSL 3 default PKCS#12 (AES-256, PBKDF2-SHA256, SHA-256 MAC)', () => {
    const p12 = join(work, 'openssl.p12');
    const party = pki.parties[US]!.signing;
    openssl(['pkcs12', '-export', '-inkey', party.keyPath, '-in', party.certPath, '-certfile', pki.issuingCa.certPath, '-out', p12, '-passout', 'pass:secret']);
    const id = loadIdentity({ key: p12, passphrase: 'secret' });
    expect(thumbprint(id.certificatePem)).toBe(thumbprint(certPem(party)));
    const body = protect(content, id, certPem(pki.parties[US]!.encryption), { clock });
    expect(unprotect(body, ourKeys, [certPem(party)], trust).content).toEqual(content);
  });
});
