import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import forge from 'node-forge';
import type { Clock } from '../shared/clock.js';
import { TimebokError } from '../shared/errors.js';
import { certificateToPem, parseCertificate } from './certificates.js';
import { parseCrl } from './crl.js';
import { looksLikePem, pemBlocks, pemEncode } from './pem.js';
import { prepareTrust, type TrustOptions } from './trust.js';
import type { SigningIdentity } from './cms.protect.js';

/**
 * Keys and certificates from files: PEM, DER, or PKCS#12 (.p12/.pfx; node-forge opens it, node:crypto
 * holds the key). Every failure is ERR_SETUP_FILE (crash) naming the file, never its contents.
 */

function setupError(path: string, what: string, cause?: unknown): TimebokError {
  return new TimebokError('ERR_SETUP_FILE', `${path}: ${what}.`, cause === undefined ? {} : { cause });
}

function readFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw setupError(path, 'cannot be read', e);
  }
}

interface Pkcs12Contents {
  keys: KeyObject[];
  certificatesDer: Buffer[];
}

function isPkcs12(data: Buffer): boolean {
  // PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo, … }
  if (data[0] !== 0x30) return false;
  const lenBytes = (data[1] ?? 0) & 0x80 ? (data[1]! & 0x7f) + 2 : 2;
  return data[lenBytes] === 0x02 && data[lenBytes + 1] === 0x01 && data[lenBytes + 2] === 0x03;
}

function openPkcs12(data: Buffer, path: string, passphrase: string | undefined): Pkcs12Contents {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const der = forge.asn1.fromDer(forge.util.createBuffer(data.toString('latin1')));
    p12 = forge.pkcs12.pkcs12FromAsn1(der, passphrase ?? '');
  } catch (e) {
    throw setupError(path, 'PKCS#12 cannot be opened (wrong passphrase or unsupported format)', e);
  }
  const keys: KeyObject[] = [];
  for (const type of [forge.pki.oids.pkcs8ShroudedKeyBag!, forge.pki.oids.keyBag!]) {
    for (const bag of p12.getBags({ bagType: type })[type] ?? []) {
      try {
        if (bag.key !== undefined && bag.key !== null) {
          const pkcs1 = forge.asn1.toDer(forge.pki.privateKeyToAsn1(bag.key as forge.pki.rsa.PrivateKey)).getBytes();
          keys.push(createPrivateKey({ key: Buffer.from(pkcs1, 'latin1'), format: 'der', type: 'pkcs1' }));
        } else if (bag.asn1 !== undefined) {
          // a key type forge does not model (EC …): the PrivateKeyInfo as it was
          const pkcs8 = forge.asn1.toDer(bag.asn1).getBytes();
          keys.push(createPrivateKey({ key: Buffer.from(pkcs8, 'latin1'), format: 'der', type: 'pkcs8' }));
        }
      } catch (e) {
        throw setupError(path, 'PKCS#12 key cannot be imported', e);
      }
    }
  }
  const certificatesDer: Buffer[] = [];
  const certBag = forge.pki.oids.certBag!;
  for (const bag of p12.getBags({ bagType: certBag })[certBag] ?? []) {
    if (bag.cert === undefined || bag.cert === null) continue;
    // certificateToAsn1 reuses the parsed TBS, so the DER is the original one (checked in the tests).
    certificatesDer.push(Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(bag.cert)).getBytes(), 'latin1'));
  }
  return { keys, certificatesDer };
}

/**
 * Loads a private key: PEM (PKCS#8, PKCS#1, encrypted PKCS#8 with `passphrase`), DER PKCS#8/PKCS#1,
 * or the key of a PKCS#12 file.
 * @throws TimebokError ERR_SETUP_FILE
 */
export function loadKeyFile(path: string, passphrase?: string): KeyObject {
  const data = readFile(path);
  if (looksLikePem(data)) {
    try {
      return createPrivateKey({ key: data.toString('latin1'), format: 'pem', ...(passphrase === undefined ? {} : { passphrase }) });
    } catch (e) {
      throw setupError(path, 'no usable private key in the PEM file (or wrong passphrase)', e);
    }
  }
  if (isPkcs12(data)) {
    const { keys } = openPkcs12(data, path, passphrase);
    const key = keys[0];
    if (key === undefined) throw setupError(path, 'PKCS#12 holds no private key');
    return key;
  }
  for (const type of ['pkcs8', 'pkcs1'] as const) {
    try {
      return createPrivateKey({ key: data, format: 'der', type, ...(passphrase === undefined ? {} : { passphrase }) });
    } catch {
      // try the next encoding
    }
  }
  throw setupError(path, 'not a private key (PEM, DER or PKCS#12 expected)');
}

/**
 * Loads every certificate in a file: PEM (any number of blocks), DER, or PKCS#12 (the certificate
 * matching the key first). Returned as canonical PEM strings.
 * @throws TimebokError ERR_SETUP_FILE
 */
export function loadCertificatesFile(path: string, passphrase?: string): string[] {
  return certificatesFrom(readFile(path), path, passphrase, null);
}

function certificatesFrom(data: Buffer, path: string, passphrase: string | undefined, opened: Pkcs12Contents | null): string[] {
  let ders: Buffer[];
  if (looksLikePem(data)) {
    ders = pemBlocks(data.toString('latin1'))
      .filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE')
      .map((b) => b.der);
  } else if (opened !== null || isPkcs12(data)) {
    const { keys, certificatesDer } = opened ?? openPkcs12(data, path, passphrase);
    const key = keys[0];
    if (key !== undefined) {
      const pub = createPublicKey(key).export({ format: 'der', type: 'spki' });
      const matches = (der: Buffer): boolean => {
        try {
          return parseCertificate(der).publicKey.export({ format: 'der', type: 'spki' }).equals(pub);
        } catch {
          return false;
        }
      };
      certificatesDer.sort((a, b) => Number(matches(b)) - Number(matches(a)));
    }
    ders = certificatesDer;
  } else {
    ders = [data];
  }
  const pems: string[] = [];
  for (const der of ders) {
    try {
      pems.push(parseCertificate(der).pem);
    } catch (e) {
      throw setupError(path, 'holds something that is not an X.509 certificate', e);
    }
  }
  if (pems.length === 0) throw setupError(path, 'holds no certificate');
  return pems;
}

/**
 * Loads one certificate as PEM: the first of a PEM file, a DER file, or the certificate of a PKCS#12
 * that matches its key.
 * @throws TimebokError ERR_SETUP_FILE
 */
export function loadCertificateFile(path: string, passphrase?: string): string {
  return loadCertificatesFile(path, passphrase)[0]!;
}

/**
 * Loads a signing identity: a key and a certificate (and any CA certificates, included in messages).
 * From one PKCS#12 file, or a key file plus a certificate file. Checks that the key fits the certificate.
 * @throws TimebokError ERR_SETUP_FILE
 */
export function loadIdentity(files: { key: string; certificate?: string; passphrase?: string }): SigningIdentity {
  let key: KeyObject;
  let certs: string[];
  const data = readFile(files.key);
  if (files.certificate === undefined && !looksLikePem(data) && isPkcs12(data)) {
    // one PKCS#12 holds both: open it once (its key derivation is the slow part)
    const opened = openPkcs12(data, files.key, files.passphrase);
    const first = opened.keys[0];
    if (first === undefined) throw setupError(files.key, 'PKCS#12 holds no private key');
    key = first;
    certs = certificatesFrom(data, files.key, files.passphrase, opened);
  } else {
    key = loadKeyFile(files.key, files.passphrase);
    certs = loadCertificatesFile(files.certificate ?? files.key, files.passphrase);
  }
  const [certificatePem, ...rest] = certs as [string, ...string[]];
  const cert = parseCertificate(certificatePem);
  const pub = createPublicKey(key).export({ format: 'der', type: 'spki' });
  if (!cert.publicKey.export({ format: 'der', type: 'spki' }).equals(pub)) {
    throw setupError(files.certificate ?? files.key, 'the certificate does not belong to the private key');
  }
  const chainPem = rest.filter((pem) => !parseCertificate(pem).selfIssued);
  return chainPem.length > 0 ? { key, certificatePem, chainPem } : { key, certificatePem };
}

/**
 * Loads a CRL (DER or PEM) as DER bytes.
 * @throws TimebokError ERR_SETUP_FILE
 */
export function loadCrlFile(path: string): Buffer {
  const data = readFile(path);
  try {
    return parseCrl(data).der;
  } catch (e) {
    throw setupError(path, 'not a CRL (DER or PEM expected)', e);
  }
}

export interface TrustFiles {
  /** Root CA certificate files (PEM bundles allowed). */
  anchors: string[];
  /** Intermediate CA certificate files. */
  intermediates?: string[];
  /** CRL files (DER or PEM). */
  crls?: string[];
  revocation?: 'crl' | 'none';
  policies?: string[];
}

/**
 * Builds TrustOptions from files and checks them at once (every CRL that names a configured CA must be
 * signed by it). Call it at start-up and keep the returned object: its caches live with it.
 * @throws TimebokError ERR_SETUP_FILE, ERR_CONFIG
 */
export function loadTrust(files: TrustFiles, clock: Clock): TrustOptions {
  if (files.anchors.length === 0) throw new TimebokError('ERR_CONFIG', 'Trust configuration: no trust anchor given.');
  const trust: TrustOptions = {
    anchorsPem: files.anchors.flatMap((p) => loadCertificatesFile(p)),
    intermediatesPem: (files.intermediates ?? []).flatMap((p) => loadCertificatesFile(p)),
    crls: (files.crls ?? []).map((p) => loadCrlFile(p)),
    revocation: files.revocation ?? 'crl',
    clock,
    ...(files.policies === undefined ? {} : { policies: files.policies }),
  };
  prepareTrust(trust);
  return trust;
}

/** PEM of a DER certificate (re-exported for callers that only hold DER). */
export { certificateToPem, pemEncode };
