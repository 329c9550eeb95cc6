import { randomBytes, type KeyObject } from 'node:crypto';
import { FixedClock } from '../../../src/shared/clock.js';
import { ERROR_TABLE, TimebokError } from '../../../src/shared/errors.js';
import { thumbprint } from '../../../src/protection/certificates.js';
import { envelopeContent, protect, signContent, type SigningIdentity } from '../../../src/protection/cms.protect.js';
import { decryptEnvelope, unprotect, verifySignedContent, type DecryptionKeys } from '../../../src/protection/cms.unprotect.js';
import { parseDer, type DerNode } from '../../../src/protection/der.js';
import { DECRYPT_FAILED_MESSAGE } from '../../../src/protection/errors.js';
import { loadKeyFile } from '../../../src/protection/keys.js';
import type { TrustOptions } from '../../../src/protection/trust.js';
import type { TestPki } from '../../../scripts/support/test-pki.js';
import { certPem, HELSENORGE, identity, sharedTestPki, TEST_NOW, testTrust, US } from '../../fixtures/protection/pki.js';

let pki: TestPki;
let trust: TrustOptions;
let helsenorge: SigningIdentity;
let ourEncCert: string;
let ourKeys: DecryptionKeys;
let registry: string[];
let specialKey: KeyObject;
const clock = new FixedClock(TEST_NOW);
const content = Buffer.from('<?xml version="1.0" encoding="utf-8"?><MsgHead><Note>æøå ÆØÅ</Note></MsgHead>', 'utf8');

beforeAll(async () => {
  pki = await sharedTestPki();
  trust = testTrust(pki, {}, clock);
  helsenorge = identity(pki.parties[HELSENORGE]!.signing);
  ourEncCert = certPem(pki.parties[US]!.encryption);
  ourKeys = {
    current: { key: loadKeyFile(pki.parties[US]!.encryption.keyPath), certificatePem: ourEncCert },
    legacy: [{ key: loadKeyFile(pki.parties[US]!.legacyEncryption.keyPath), certificatePem: certPem(pki.parties[US]!.legacyEncryption) }],
  };
  registry = [helsenorge.certificatePem];
  specialKey = loadKeyFile(pki.special.expired.keyPath);
}, 60_000);

function caught(fn: () => unknown): TimebokError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TimebokError) return e;
    throw e;
  }
  throw new Error('expected a TimebokError');
}

/** Signed by `signer`, encrypted for us. */
function messageFrom(signer: SigningIdentity, body: Uint8Array = content, options = {}): Buffer {
  return protect(body, signer, ourEncCert, { clock, ...options });
}

function special(entry: keyof TestPki['special']): SigningIdentity {
  return { key: specialKey, certificatePem: certPem(pki.special[entry]) };
}

/** Path of child indexes from the root. */
function nodeAt(root: DerNode, path: number[]): DerNode {
  return path.reduce((n, i) => n.children[i]!, root);
}

const E_CONTENT = [1, 0, 2, 1, 0];
const SIGNER_INFO = [1, 0, 4, 0];
const ENCRYPTED_CONTENT = [1, 0, 2, 2];
const ENCRYPTED_KEY = [1, 0, 1, 0, 3];

describe('protect and unprotect', () => {
  it('returns exactly the signed content, with the signer registry thumbprint', () => {
    const result = unprotect(messageFrom(helsenorge), ourKeys, registry, trust);
    expect(result.content).toEqual(content);
    expect(result.signerThumbprint).toBe(thumbprint(helsenorge.certificatePem));
    expect(result.signingTime).toEqual(TEST_NOW);
    expect(result.decryptedWith).toBe('current');
  });

  it('carries every byte value and an empty content unchanged', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(unprotect(messageFrom(helsenorge, all), ourKeys, registry, trust).content).toEqual(all);
    expect(unprotect(messageFrom(helsenorge, Buffer.alloc(0)), ourKeys, registry, trust).content).toHaveLength(0);
  });

  it('produces SignedData inside EnvelopedData with AES-256-CBC and the recipient named by issuer and serial', () => {
    const body = messageFrom(helsenorge);
    const root = parseDer(body);
    const algOid = nodeAt(root, [1, 0, 2, 1, 0]);
    expect(Buffer.from(body.subarray(algOid.contentStart, algOid.contentEnd)).toString('hex')).toBe('60864801650304012a'); // 2.16.840.1.101.3.4.1.42
    const serial = nodeAt(root, [1, 0, 1, 0, 1, 1]);
    expect(Buffer.from(body.subarray(serial.contentStart, serial.contentEnd)).toString('hex').toUpperCase()).toBe(
      pki.parties[US]!.encryption.serialHex,
    );
  });

  it('round-trips contents of every length modulo the AES block (every padding length)', () => {
    for (let length = 0; length < 40; length++) {
      const body = Buffer.alloc(length, 0x41 + length);
      // the SignedData grows by one byte per content byte, so 40 lengths cover all 16 padding lengths
      expect(unprotect(envelopeContent(signContent(body, helsenorge), ourEncCert), ourKeys, registry, trust).content).toEqual(body);
    }
  });

  it('decrypts a message for our previous encryption certificate with the legacy key', () => {
    const body = protect(content, helsenorge, certPem(pki.parties[US]!.legacyEncryption), { clock });
    const result = unprotect(body, ourKeys, registry, trust);
    expect(result.content).toEqual(content);
    expect(result.decryptedWith).toBe('legacy');
  });

  it('finds the right key by trying them when no certificates are configured', () => {
    const bare: DecryptionKeys = {
      current: loadKeyFile(pki.parties[US]!.encryption.keyPath),
      legacy: [loadKeyFile(pki.parties[US]!.legacyEncryption.keyPath)],
    };
    const body = protect(content, helsenorge, certPem(pki.parties[US]!.legacyEncryption), { clock });
    expect(unprotect(body, bare, registry, trust).decryptedWith).toBe('legacy');
    expect(unprotect(messageFrom(helsenorge), bare, registry, trust).decryptedWith).toBe('current');
  });

  it('verifies against any of several registry certificates of the sender', () => {
    const rotated = [certPem(pki.parties[US]!.signing), helsenorge.certificatePem];
    expect(unprotect(messageFrom(helsenorge), ourKeys, rotated, trust).content).toEqual(content);
  });

  it('checks the recipient certificate before encrypting when trust is given', () => {
    const e = caught(() => protect(content, helsenorge, certPem(pki.special.wrongUsageEncryption), { clock, trust }));
    expect(e.code).toBe('ERR_PROTECTION_CERTIFICATE');
  });
});

describe('T9: identity and signature', () => {
  it('refuses a message signed by someone other than the registered sender, with both thumbprints', () => {
    const us = identity(pki.parties[US]!.signing);
    const e = caught(() => unprotect(messageFrom(us), ourKeys, registry, trust));
    expect(e.code).toBe('ERR_PROTECTION_CERTIFICATE');
    expect(ERROR_TABLE[e.code]?.errorCondition).toBe('transport:invalid-certificate');
    expect(e.detail).toMatchObject({
      expectedThumbprints: [thumbprint(helsenorge.certificatePem)],
      actualThumbprint: thumbprint(us.certificatePem),
    });
  });

  it('refuses a message whose embedded certificate differs from the registry one with the same issuer and serial', () => {
    // The impostor has the issuer and serial number of our clinic's signing certificate.
    const registered = certPem(pki.parties[US]!.signing);
    const e = caught(() => unprotect(messageFrom(special('impostor')), ourKeys, [registered], trust));
    expect(e.code).toBe('ERR_PROTECTION_CERTIFICATE');
    expect(e.detail).toMatchObject({
      reason: 'certificate in the message differs from the registry',
      expectedThumbprints: [thumbprint(registered)],
      actualThumbprint: thumbprint(certPem(pki.special.impostor)),
    });
  });

  it('never trusts the key of the message: an impostor without embedded certificate fails the signature', () => {
    const body = messageFrom(special('impostor'), content, { includeCertificates: false });
    const registered = certPem(pki.parties[US]!.signing);
    expect(caught(() => unprotect(body, ourKeys, [registered], trust)).code).toBe('ERR_PROTECTION_SIGNATURE');
  });

  it('refuses when the registry has no signing certificate for the sender', () => {
    expect(caught(() => unprotect(messageFrom(helsenorge), ourKeys, [], trust)).code).toBe('ERR_PROTECTION_CERTIFICATE');
  });

  it.each([
    ['expired', 'ERR_PROTECTION_EXPIRED'],
    ['notYetValid', 'ERR_PROTECTION_EXPIRED'],
    ['revoked', 'ERR_PROTECTION_REVOKED'],
    ['wrongUsageSigning', 'ERR_PROTECTION_CERTIFICATE'],
    ['untrusted', 'ERR_PROTECTION_CERTIFICATE'],
  ] as const)('refuses a message signed with the %s certificate: %s', (which, code) => {
    const signer = special(which);
    const e = caught(() => unprotect(messageFrom(signer), ourKeys, [signer.certificatePem], trust));
    expect(e.code).toBe(code);
  });

  it('asks for a retry when the revocation status of the signer is unknown', () => {
    const stale = testTrust(pki, { crls: [pki.crls.issuingStale, pki.crls.root] }, clock);
    const e = caught(() => unprotect(messageFrom(helsenorge), ourKeys, registry, stale));
    expect(e.code).toBe('ERR_PROTECTION_REVOCATION_UNKNOWN');
    expect(e.disposition).toBe('retry');
  });

  it('refuses content changed after signing', () => {
    const signed = signContent(content, helsenorge, { clock });
    const node = nodeAt(parseDer(signed), E_CONTENT);
    signed[node.contentStart + 10]! ^= 0x01;
    const e = caught(() => unprotect(envelopeContent(signed, ourEncCert), ourKeys, registry, trust));
    expect(e.code).toBe('ERR_PROTECTION_SIGNATURE');
    expect(ERROR_TABLE[e.code]?.errorCondition).toBe('transport:invalid-signature');
  });

  it('refuses a changed signature value', () => {
    const signed = signContent(content, helsenorge, { clock });
    const si = nodeAt(parseDer(signed), SIGNER_INFO);
    const sig = si.children[si.children.length - 1]!;
    signed[sig.contentStart + 20]! ^= 0x80;
    expect(caught(() => verifySignedContent(signed, registry, trust)).code).toBe('ERR_PROTECTION_SIGNATURE');
  });

  it('refuses a changed signed attribute (signing time)', () => {
    const signed = signContent(content, helsenorge, { clock });
    const attrs = nodeAt(parseDer(signed), SIGNER_INFO).children[3]!;
    const time = attrs.children.find((a) => a.children[1]!.children[0]!.tag === 23)!.children[1]!.children[0]!;
    signed[time.contentStart + 1]! ^= 0x01; // 2026 → 2027
    expect(caught(() => verifySignedContent(signed, registry, trust)).code).toBe('ERR_PROTECTION_SIGNATURE');
  });

  it('verifies the SignedData alone (no encryption) and returns the content', () => {
    expect(verifySignedContent(signContent(content, helsenorge, { clock }), registry, trust).content).toEqual(content);
  });
});

describe('decryption failures all look the same', () => {
  function decryptError(body: Uint8Array, keys = ourKeys): TimebokError {
    return caught(() => decryptEnvelope(body, keys));
  }

  function expectUniform(e: TimebokError): void {
    expect(e.code).toBe('ERR_PROTECTION_DECRYPT');
    expect(e.message).toBe(DECRYPT_FAILED_MESSAGE);
    expect(e.detail).toBeUndefined();
    expect(e.cause).toBeUndefined();
    expect(ERROR_TABLE[e.code]?.errorCondition).toBe('transport:decryption-failed');
  }

  it('for a message encrypted for somebody else', () => {
    const body = protect(content, helsenorge, certPem(pki.parties[HELSENORGE]!.encryption), { clock });
    expectUniform(decryptError(body));
  });

  it('for a corrupted encrypted key (bad RSA padding)', () => {
    const body = messageFrom(helsenorge);
    const ek = nodeAt(parseDer(body), ENCRYPTED_KEY);
    body[ek.contentStart + 100]! ^= 0x01;
    expectUniform(decryptError(body));
  });

  it('for an encrypted key of the wrong length', () => {
    const body = messageFrom(helsenorge);
    const ek = nodeAt(parseDer(body), ENCRYPTED_KEY);
    body[ek.contentStart]! = 0xff; // now >= the modulus
    expectUniform(decryptError(body));
  });

  it('for a corrupted last block (bad CBC padding)', () => {
    const body = messageFrom(helsenorge);
    const ec = nodeAt(parseDer(body), ENCRYPTED_CONTENT);
    body[ec.contentEnd - 20]! ^= 0x01; // second to last block: garbles the padding of the last
    expectUniform(decryptError(body));
  });

  it('for a content cut short by whole blocks (possibly valid padding, broken structure)', () => {
    const ciphertexts: Buffer[] = [];
    for (let i = 0; i < 8; i++) {
      const body = messageFrom(helsenorge, randomBytes(300));
      const ec = nodeAt(parseDer(body), ENCRYPTED_CONTENT);
      // overwrite the last block with the one before: the tail decrypts to garbage of our choosing
      body.copy(body, ec.contentEnd - 16, ec.contentEnd - 48, ec.contentEnd - 32);
      ciphertexts.push(body);
    }
    for (const body of ciphertexts) expectUniform(decryptError(body));
  });

  it('for a wrong key', () => {
    const wrong: DecryptionKeys = { current: loadKeyFile(pki.parties[HELSENORGE]!.encryption.keyPath) };
    expectUniform(decryptError(messageFrom(helsenorge), wrong));
  });

  it('for many random encrypted keys', () => {
    const body = messageFrom(helsenorge);
    const ek = nodeAt(parseDer(body), ENCRYPTED_KEY);
    const messages = new Set<string>();
    for (let i = 0; i < 40; i++) {
      randomBytes(ek.contentEnd - ek.contentStart).copy(body, ek.contentStart);
      body[ek.contentStart] = 0; // below the modulus: the RSA operation runs
      const e = decryptError(body);
      messages.add(`${e.code}|${e.message}|${JSON.stringify(e.detail)}`);
    }
    expect([...messages]).toEqual([`ERR_PROTECTION_DECRYPT|${DECRYPT_FAILED_MESSAGE}|undefined`]);
  });
});

describe('malformed input', () => {
  it('answers invalid CMS for bytes that are not CMS', () => {
    for (const junk of [Buffer.alloc(0), Buffer.from('<MsgHead/>'), randomBytes(500), Buffer.from('3080', 'hex')]) {
      expect(caught(() => unprotect(junk, ourKeys, registry, trust)).code).toBe('ERR_PROTECTION_CMS');
    }
  });

  it('answers invalid CMS for a message that is signed but not encrypted', () => {
    const e = caught(() => unprotect(signContent(content, helsenorge, { clock }), ourKeys, registry, trust));
    expect(e.code).toBe('ERR_PROTECTION_CMS');
    expect(ERROR_TABLE[e.code]?.errorCondition).toBe('transport:invalid-cms-pkcs');
  });

  it('answers invalid CMS for a truncated message', () => {
    const body = messageFrom(helsenorge);
    expect(caught(() => unprotect(body.subarray(0, body.length - 7), ourKeys, registry, trust)).code).toBe('ERR_PROTECTION_CMS');
  });

  it('never answers with anything but a protection error for random corruption', () => {
    const original = messageFrom(helsenorge);
    const codes = new Set<string>();
    let seed = 20260301;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let i = 0; i < 300; i++) {
      const body = Buffer.from(original);
      body[random(body.length)] = random(256);
      try {
        // whatever is accepted is exactly what was signed
        expect(unprotect(body, ourKeys, registry, trust).content).toEqual(content);
        codes.add('accepted');
      } catch (e) {
        if (!(e instanceof TimebokError)) throw e;
        codes.add(e.code);
      }
    }
    for (const code of codes) {
      // A change to a byte nothing depends on (the recipient's issuer name, say: every key is then
      // tried) may still be accepted; a garbled block inside the content fails the signature, one in the
      // signer identifier or the embedded certificate makes it somebody else's certificate.
      expect([
        'ERR_PROTECTION_CERTIFICATE',
        'accepted',
        'ERR_PROTECTION_CMS',
        'ERR_PROTECTION_DECRYPT',
        'ERR_PROTECTION_ALGORITHM',
        'ERR_PROTECTION_SIGNATURE',
      ]).toContain(code);
    }
  });
});
