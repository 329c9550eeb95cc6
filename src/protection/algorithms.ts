/**
 * Object identifiers and the algorithm allow-lists. Anything not listed here is refused with
 * ERR_PROTECTION_ALGORITHM (transport:unsupported-message): DES, 3DES, RC2, SHA-1 digests, unknown OIDs.
 */

export const OID = {
  // CMS content types
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  // signed attributes
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  // digests
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  // RSA
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaesOaep: '1.2.840.113549.1.1.7',
  mgf1: '1.2.840.113549.1.1.8',
  pSpecified: '1.2.840.113549.1.1.9',
  rsassaPss: '1.2.840.113549.1.1.10',
  sha1WithRSA: '1.2.840.113549.1.1.5',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  // content encryption
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  desCbc: '1.3.14.3.2.7',
  desEde3Cbc: '1.2.840.113549.3.7',
  rc2Cbc: '1.2.840.113549.3.2',
  // X.509 extensions
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

export type DigestName = 'sha256' | 'sha384' | 'sha512';

/** SignedData digest algorithms we accept. SHA-1 is deliberately absent. */
export const DIGESTS: ReadonlyMap<string, DigestName> = new Map<string, DigestName>([
  [OID.sha256, 'sha256'],
  [OID.sha384, 'sha384'],
  [OID.sha512, 'sha512'],
]);

export const DIGEST_OIDS: Readonly<Record<DigestName, string>> = {
  sha256: OID.sha256,
  sha384: OID.sha384,
  sha512: OID.sha512,
};

/**
 * SignerInfo signature algorithms: rsaEncryption (what OpenSSL and .NET write) or the matching
 * shaNNNWithRSAEncryption. The digest comes from SignerInfo.digestAlgorithm; a shaNNNWithRSA OID must agree.
 */
export const SIGNATURE_ALGORITHMS: ReadonlyMap<string, DigestName | 'any'> = new Map<string, DigestName | 'any'>([
  [OID.rsaEncryption, 'any'],
  [OID.sha256WithRSA, 'sha256'],
  [OID.sha384WithRSA, 'sha384'],
  [OID.sha512WithRSA, 'sha512'],
]);

export interface ContentCipher {
  oid: string;
  /** node:crypto cipher name */
  name: 'aes-128-cbc' | 'aes-192-cbc' | 'aes-256-cbc';
  keyLength: 16 | 24 | 32;
}

/** EnvelopedData content-encryption algorithms we accept (AES-CBC only). */
export const CONTENT_CIPHERS: ReadonlyMap<string, ContentCipher> = new Map<string, ContentCipher>([
  [OID.aes128Cbc, { oid: OID.aes128Cbc, name: 'aes-128-cbc', keyLength: 16 }],
  [OID.aes192Cbc, { oid: OID.aes192Cbc, name: 'aes-192-cbc', keyLength: 24 }],
  [OID.aes256Cbc, { oid: OID.aes256Cbc, name: 'aes-256-cbc', keyLength: 32 }],
]);

/** The cipher we encrypt with (Helsenorge.Messaging's current choice). */
export const DEFAULT_CONTENT_CIPHER: ContentCipher = CONTENT_CIPHERS.get(OID.aes256Cbc)!;

/** OAEP hashes accepted for key transport (MGF1 must use the same hash, the label must be empty). */
export const OAEP_HASHES: ReadonlyMap<string, 'sha1' | DigestName> = new Map<string, 'sha1' | DigestName>([
  [OID.sha1, 'sha1'],
  [OID.sha256, 'sha256'],
  [OID.sha384, 'sha384'],
  [OID.sha512, 'sha512'],
]);

/** Certificate and CRL signature algorithms accepted in a chain. */
export const CERT_SIGNATURE_ALGORITHMS: ReadonlyMap<string, DigestName | 'pss'> = new Map<string, DigestName | 'pss'>([
  [OID.sha256WithRSA, 'sha256'],
  [OID.sha384WithRSA, 'sha384'],
  [OID.sha512WithRSA, 'sha512'],
  [OID.rsassaPss, 'pss'],
  [OID.ecdsaWithSha256, 'sha256'],
  [OID.ecdsaWithSha384, 'sha384'],
  [OID.ecdsaWithSha512, 'sha512'],
]);

/** Names for log lines and error details (never secrets). */
export const REFUSED_NAMES: ReadonlyMap<string, string> = new Map([
  [OID.desCbc, 'des-cbc'],
  [OID.desEde3Cbc, 'des-ede3-cbc'],
  [OID.rc2Cbc, 'rc2-cbc'],
  [OID.sha1, 'sha1'],
  [OID.sha1WithRSA, 'sha1WithRSAEncryption'],
]);

/** Smallest RSA modulus accepted in a signing or encryption certificate. */
export const MIN_RSA_BITS = 2048;
