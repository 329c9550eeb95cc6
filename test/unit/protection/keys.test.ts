import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificate } from '../../../src/protection/certificates.js';
import {
  loadCertificateFile,
  loadCertificatesFile,
  loadCrlFile,
  loadIdentity,
  loadKeyFile,
} from '../../../src/protection/keys.js';
import { pemDecodeAll } from '../../../src/protection/pem.js';
import type { TestPki } from '../../../scripts/support/test-pki.js';
import { sharedTestPki, US } from '../../fixtures/protection/pki.js';

let pki: TestPki;
let scratch: string;

beforeAll(async () => {
  pki = await sharedTestPki();
  scratch = mkdtempSync(join(tmpdir(), 'timebok-keys-'));
}, 60_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const spki = (k: Parameters<typeof createPublicKey>[0]): string =>
  createPublicKey(k).export({ format: 'der', type: 'spki' }).toString('hex');

describe('loading keys', () => {
  it('loads a PEM private key', () => {
    const key = loadKeyFile(pki.parties[US]!.signing.keyPath);
    expect(key.type).toBe('private');
    expect(key.asymmetricKeyType).toBe('rsa');
  });

  it('loads the key of a PKCS#12 file with its passphrase, the same key as the PEM one', () => {
    const fromP12 = loadKeyFile(pki.parties[US]!.signing.p12Path!, pki.p12Passphrase);
    expect(spki(fromP12)).toBe(spki(loadKeyFile(pki.parties[US]!.signing.keyPath)));
  });

  it('refuses a PKCS#12 file with the wrong passphrase, naming the file but not the passphrase', () => {
    expect(() => loadKeyFile(pki.parties[US]!.signing.p12Path!, 'wrong-pass')).toThrow(
      expect.objectContaining({ code: 'ERR_SETUP_FILE', message: expect.not.stringContaining('wrong-pass') }),
    );
  });

  it('loads a DER PKCS#8 key', () => {
    const key = loadKeyFile(pki.parties[US]!.signing.keyPath);
    const path = join(scratch, 'key.der');
    writeFileSync(path, key.export({ format: 'der', type: 'pkcs8' }));
    expect(spki(loadKeyFile(path))).toBe(spki(key));
  });

  it('loads an encrypted PEM key with its passphrase', () => {
    const key = loadKeyFile(pki.parties[US]!.signing.keyPath);
    const path = join(scratch, 'key.enc.pem');
    writeFileSync(path, key.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }));
    expect(spki(loadKeyFile(path, 'pw'))).toBe(spki(key));
    expect(() => loadKeyFile(path, 'nope')).toThrow(expect.objectContaining({ code: 'ERR_SETUP_FILE' }));
  });

  it('reports a missing or unreadable file as a setup error', () => {
    expect(() => loadKeyFile(join(scratch, 'missing.pem'))).toThrow(expect.objectContaining({ code: 'ERR_SETUP_FILE' }));
    const junk = join(scratch, 'junk.bin');
    writeFileSync(junk, 'not a key');
    expect(() => loadKeyFile(junk)).toThrow(expect.objectContaining({ code: 'ERR_SETUP_FILE' }));
  });
});

describe('loading certificates', () => {
  it('loads a PEM certificate unchanged', () => {
    const pem = loadCertificateFile(pki.parties[US]!.signing.certPath);
    expect(pemDecodeAll(pem, 'CERTIFICATE')[0]).toEqual(pemDecodeAll(readFileSync(pki.parties[US]!.signing.certPath, 'utf8'), 'CERTIFICATE')[0]);
  });

  it('loads a DER certificate', () => {
    const der = parseCertificate(loadCertificateFile(pki.parties[US]!.signing.certPath)).der;
    const path = join(scratch, 'cert.der');
    writeFileSync(path, der);
    expect(parseCertificate(loadCertificateFile(path)).der).toEqual(der);
  });

  it('takes the certificate that matches the key from a PKCS#12, byte for byte', () => {
    const fromP12 = parseCertificate(loadCertificateFile(pki.parties[US]!.signing.p12Path!, pki.p12Passphrase));
    const fromPem = parseCertificate(loadCertificateFile(pki.parties[US]!.signing.certPath));
    expect(fromP12.der).toEqual(fromPem.der);
  });

  it('loads every certificate of a bundle in order', () => {
    const all = loadCertificatesFile(pki.caBundlePath);
    expect(all.map((p) => parseCertificate(p).thumbprint)).toEqual([
      parseCertificate(loadCertificateFile(pki.rootCa.certPath)).thumbprint,
      parseCertificate(loadCertificateFile(pki.issuingCa.certPath)).thumbprint,
    ]);
  });

  it('loads a signing identity from one PKCS#12 with the intermediate but not the root', () => {
    const id = loadIdentity({ key: pki.parties[US]!.signing.p12Path!, passphrase: pki.p12Passphrase });
    expect(parseCertificate(id.certificatePem).der).toEqual(parseCertificate(loadCertificateFile(pki.parties[US]!.signing.certPath)).der);
    expect(id.chainPem?.map((p) => parseCertificate(p).thumbprint)).toEqual([
      parseCertificate(loadCertificateFile(pki.issuingCa.certPath)).thumbprint,
    ]);
  });

  it('refuses an identity whose certificate does not belong to the key', () => {
    expect(() =>
      loadIdentity({ key: pki.parties[US]!.signing.keyPath, certificate: pki.parties[US]!.encryption.certPath }),
    ).toThrow(expect.objectContaining({ code: 'ERR_SETUP_FILE' }));
  });

  it('loads CRLs from PEM and DER to the same DER', () => {
    expect(loadCrlFile(pki.crls.issuing)).toEqual(loadCrlFile(pki.crls.issuingDer));
    expect(() => loadCrlFile(pki.rootCa.certPath)).toThrow(expect.objectContaining({ code: 'ERR_SETUP_FILE' }));
  });
});
