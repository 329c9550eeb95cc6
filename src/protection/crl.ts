import { constants, verify as cryptoVerify } from 'node:crypto';
import { CERT_SIGNATURE_ALGORITHMS } from './algorithms.js';
import { hasKeyUsage, KEY_USAGE, type ParsedCertificate } from './certificates.js';
import {
  DerError,
  bitStringValue,
  child,
  contentBytes,
  expectSequence,
  integerHex,
  isContext,
  isUniversal,
  oidValue,
  parseDer,
  rawBytes,
  timeValue,
  UNIVERSAL,
} from './der.js';
import { looksLikePem, pemDecodeAll } from './pem.js';

/** A certificate revocation list, parsed (its signature is checked separately, against its issuer). */
export interface ParsedCrl {
  der: Buffer;
  issuerDer: Buffer;
  thisUpdate: Date;
  nextUpdate: Date | null;
  /** Revoked serial numbers (upper-case hex) → revocation date. */
  revoked: Map<string, Date>;
  signatureAlgorithm: string;
  tbs: Buffer;
  signature: Buffer;
  /** A critical CRL or entry extension we do not understand (delta CRL, indirect CRL …): unusable. */
  hasUnknownCritical: boolean;
}

const UNDERSTOOD_CRL_EXTENSIONS = new Set<string>(['2.5.29.20', '2.5.29.35', '2.5.29.21', '2.5.29.24']);

/** Parses a CRL given as DER bytes or PEM text ("X509 CRL"). Throws DerError when it is not one. */
export function parseCrl(input: Uint8Array | string): ParsedCrl {
  let der: Buffer;
  if (typeof input === 'string' || looksLikePem(input)) {
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
    const blocks = pemDecodeAll(text, 'X509 CRL');
    if (blocks.length === 0) throw new DerError('no X509 CRL block');
    der = blocks[0]!;
  } else {
    der = Buffer.from(input);
  }
  const root = expectSequence(parseDer(der, { maxDepth: 16, maxNodes: 5_000_000 }));
  if (root.children.length !== 3) throw new DerError('CertificateList must have three elements');
  const tbs = expectSequence(child(root, 0));
  const signatureAlgorithm = oidValue(child(expectSequence(child(root, 1)), 0));
  const { bytes: signature, unusedBits } = bitStringValue(child(root, 2));
  if (unusedBits !== 0) throw new DerError('signature BIT STRING with unused bits');

  let i = 0;
  if (isUniversal(tbs.children[0], UNIVERSAL.integer)) i++; // version
  i++; // signature AlgorithmIdentifier
  const issuer = expectSequence(tbs.children[i++]);
  const thisUpdate = timeValue(tbs.children[i++]);
  let nextUpdate: Date | null = null;
  const maybeNext = tbs.children[i];
  if (maybeNext !== undefined && maybeNext.cls === 0 && (maybeNext.tag === UNIVERSAL.utcTime || maybeNext.tag === UNIVERSAL.generalizedTime)) {
    nextUpdate = timeValue(maybeNext);
    i++;
  }
  const revoked = new Map<string, Date>();
  let hasUnknownCritical = false;
  const maybeList = tbs.children[i];
  if (isUniversal(maybeList, UNIVERSAL.sequence)) {
    for (const entry of maybeList.children) {
      expectSequence(entry);
      revoked.set(integerHex(entry.children[0]), timeValue(entry.children[1]));
      const entryExts = entry.children[2];
      if (entryExts !== undefined && criticalUnknown(expectSequence(entryExts))) hasUnknownCritical = true;
    }
    i++;
  }
  const maybeExts = tbs.children[i];
  if (isContext(maybeExts, 0) && criticalUnknown(expectSequence(maybeExts.children[0]))) hasUnknownCritical = true;

  return {
    der,
    issuerDer: Buffer.from(rawBytes(issuer)),
    thisUpdate,
    nextUpdate,
    revoked,
    signatureAlgorithm,
    tbs: Buffer.from(rawBytes(tbs)),
    signature: Buffer.from(signature),
    hasUnknownCritical,
  };
}

function criticalUnknown(extensions: ReturnType<typeof expectSequence>): boolean {
  for (const ext of extensions.children) {
    expectSequence(ext);
    const id = oidValue(ext.children[0]);
    const flag = ext.children[1];
    const critical = isUniversal(flag, UNIVERSAL.boolean) && contentBytes(flag)[0] !== 0;
    if (critical && !UNDERSTOOD_CRL_EXTENSIONS.has(id)) return true;
  }
  return false;
}

/**
 * True when `crl` was issued and signed by `issuer` (name match, cRLSign usage when key usage is present,
 * allowed signature algorithm, valid signature).
 */
export function crlIssuedBy(crl: ParsedCrl, issuer: ParsedCertificate): boolean {
  if (!crl.issuerDer.equals(issuer.subjectDer)) return false;
  if (issuer.keyUsage !== null && !hasKeyUsage(issuer, KEY_USAGE.cRLSign)) return false;
  const alg = CERT_SIGNATURE_ALGORITHMS.get(crl.signatureAlgorithm);
  if (alg === undefined || alg === 'pss') return false;
  try {
    const keyType = issuer.publicKey.asymmetricKeyType;
    if (keyType === 'rsa') {
      return cryptoVerify(alg, crl.tbs, { key: issuer.publicKey, padding: constants.RSA_PKCS1_PADDING }, crl.signature);
    }
    if (keyType === 'ec') return cryptoVerify(alg, crl.tbs, { key: issuer.publicKey, dsaEncoding: 'der' }, crl.signature);
    return false;
  } catch {
    return false;
  }
}
