import { X509Certificate, createHash, type KeyObject } from 'node:crypto';
import { OID } from './algorithms.js';
import {
  DerError,
  bitStringValue,
  child,
  contentBytes,
  expectSequence,
  integerHex,
  isContext,
  isUniversal,
  octetStringValue,
  oidValue,
  parseDer,
  rawBytes,
  smallIntValue,
  timeValue,
  UNIVERSAL,
  type DerNode,
} from './der.js';
import { pemDecodeAll, pemEncode, looksLikePem } from './pem.js';

/** X.509 KeyUsage bits (RFC 5280 §4.2.1.3). */
export const KEY_USAGE = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
} as const;

/** A certificate, parsed once, with what the checks need. */
export interface ParsedCertificate {
  der: Buffer;
  pem: string;
  x509: X509Certificate;
  publicKey: KeyObject;
  /** SHA-1 of the DER, upper-case hex: the "thumbprint" Windows and Helsenorge.Messaging show. */
  thumbprint: string;
  /** SHA-256 of the DER, upper-case hex. */
  thumbprintSha256: string;
  serialHex: string;
  /** The serialNumber INTEGER element as encoded. */
  serialDer: Buffer;
  /** The issuer Name element as encoded. */
  issuerDer: Buffer;
  /** The subject Name element as encoded. */
  subjectDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  /** Outer signatureAlgorithm OID. */
  signatureAlgorithm: string;
  /** KeyUsage bits as a bit set (bit n = KEY_USAGE value n); null when the extension is absent. */
  keyUsage: number | null;
  basicConstraints: { ca: boolean; pathLen: number | null } | null;
  subjectKeyId: Buffer | null;
  authorityKeyId: Buffer | null;
  policies: string[];
  /** Critical extensions this module does not understand (such a certificate is refused). */
  unknownCriticalExtensions: string[];
  selfIssued: boolean;
}

const UNDERSTOOD_EXTENSIONS = new Set<string>([
  OID.keyUsage,
  OID.basicConstraints,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
  OID.certificatePolicies,
  OID.subjectAltName,
  OID.extKeyUsage,
]);

const cache = new Map<string, ParsedCertificate>();
const CACHE_LIMIT = 1024;

/**
 * Parses a certificate given as PEM text or DER bytes (results are cached by input).
 * Throws DerError (or a node:crypto error) when it is not a certificate.
 */
export function parseCertificate(input: string | Uint8Array): ParsedCertificate {
  const key = typeof input === 'string' ? input : Buffer.from(input).toString('base64');
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let der: Buffer;
  if (typeof input === 'string' || looksLikePem(input)) {
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
    const blocks = pemDecodeAll(text, 'CERTIFICATE');
    if (blocks.length === 0) throw new DerError('no CERTIFICATE block');
    der = blocks[0]!;
  } else {
    der = Buffer.from(input);
  }
  const parsed = parseCertificateDer(der);
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(key, parsed);
  return parsed;
}

function parseCertificateDer(der: Buffer): ParsedCertificate {
  const root = expectSequence(parseDer(der, { maxDepth: 24, maxNodes: 20_000 }));
  if (root.children.length !== 3) throw new DerError('Certificate must have three elements');
  const tbs = expectSequence(child(root, 0));
  const signatureAlgorithm = oidValue(child(expectSequence(child(root, 1)), 0));
  let i = 0;
  if (isContext(tbs.children[0], 0)) i++;
  const serialNode = tbs.children[i++];
  const serialHex = integerHex(serialNode);
  i++; // inner signature AlgorithmIdentifier
  const issuer = expectSequence(tbs.children[i++]);
  const validity = expectSequence(tbs.children[i++]);
  const subject = expectSequence(tbs.children[i++]);
  expectSequence(tbs.children[i++]); // subjectPublicKeyInfo
  let extensions: DerNode | undefined;
  for (; i < tbs.children.length; i++) {
    const c = tbs.children[i]!;
    if (isContext(c, 3)) extensions = expectSequence(c.children[0]);
  }

  let keyUsage: number | null = null;
  let basicConstraints: ParsedCertificate['basicConstraints'] = null;
  let subjectKeyId: Buffer | null = null;
  let authorityKeyId: Buffer | null = null;
  const policies: string[] = [];
  const unknownCriticalExtensions: string[] = [];
  for (const ext of extensions?.children ?? []) {
    expectSequence(ext);
    const id = oidValue(ext.children[0]);
    let critical = false;
    let valueNode = ext.children[1];
    if (isUniversal(valueNode, UNIVERSAL.boolean)) {
      critical = contentBytes(valueNode)[0] !== 0;
      valueNode = ext.children[2];
    }
    if (!isUniversal(valueNode, UNIVERSAL.octetString)) throw new DerError('extension value expected');
    const value = octetStringValue(valueNode);
    if (critical && !UNDERSTOOD_EXTENSIONS.has(id)) unknownCriticalExtensions.push(id);
    switch (id) {
      case OID.keyUsage: {
        const { bytes } = bitStringValue(parseDer(value));
        let bits = 0;
        for (let bit = 0; bit < 9; bit++) {
          const byte = bytes[bit >> 3] ?? 0;
          if ((byte & (0x80 >> (bit & 7))) !== 0) bits |= 1 << bit;
        }
        keyUsage = bits;
        break;
      }
      case OID.basicConstraints: {
        const seq = expectSequence(parseDer(value));
        let ca = false;
        let pathLen: number | null = null;
        for (const c of seq.children) {
          if (isUniversal(c, UNIVERSAL.boolean)) ca = contentBytes(c)[0] !== 0;
          else if (isUniversal(c, UNIVERSAL.integer)) pathLen = smallIntValue(c);
        }
        basicConstraints = { ca, pathLen };
        break;
      }
      case OID.subjectKeyIdentifier: {
        const node = parseDer(value);
        if (!isUniversal(node, UNIVERSAL.octetString)) throw new DerError('SubjectKeyIdentifier expected');
        subjectKeyId = Buffer.from(contentBytes(node));
        break;
      }
      case OID.authorityKeyIdentifier: {
        const seq = expectSequence(parseDer(value));
        const keyId = seq.children.find((c) => isContext(c, 0));
        if (keyId !== undefined && !keyId.constructed) authorityKeyId = Buffer.from(contentBytes(keyId));
        break;
      }
      case OID.certificatePolicies: {
        const seq = expectSequence(parseDer(value));
        for (const info of seq.children) policies.push(oidValue(expectSequence(info).children[0]));
        break;
      }
      default:
        break;
    }
  }

  const x509 = new X509Certificate(der);
  const issuerDer = Buffer.from(rawBytes(issuer));
  const subjectDer = Buffer.from(rawBytes(subject));
  return {
    der,
    pem: pemEncode(der, 'CERTIFICATE'),
    x509,
    publicKey: x509.publicKey,
    thumbprint: createHash('sha1').update(der).digest('hex').toUpperCase(),
    thumbprintSha256: createHash('sha256').update(der).digest('hex').toUpperCase(),
    serialHex,
    serialDer: Buffer.from(rawBytes(serialNode!)),
    issuerDer,
    subjectDer,
    notBefore: timeValue(validity.children[0]),
    notAfter: timeValue(validity.children[1]),
    signatureAlgorithm,
    keyUsage,
    basicConstraints,
    subjectKeyId,
    authorityKeyId,
    policies,
    unknownCriticalExtensions,
    selfIssued: issuerDer.equals(subjectDer),
  };
}

export function hasKeyUsage(cert: ParsedCertificate, bit: number): boolean {
  return cert.keyUsage !== null && (cert.keyUsage & (1 << bit)) !== 0;
}

/** SHA-1 thumbprint (upper-case hex) of a PEM or DER certificate. */
export function thumbprint(certificate: string | Uint8Array): string {
  return parseCertificate(certificate).thumbprint;
}

/** PEM text of a DER certificate (canonical form). */
export function certificateToPem(der: Uint8Array): string {
  return pemEncode(der, 'CERTIFICATE');
}
