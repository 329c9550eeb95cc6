import { constants, createCipheriv, createHash, publicEncrypt, randomBytes, sign as cryptoSign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import type { Clock } from '../shared/clock.js';
import { DEFAULT_CONTENT_CIPHER, DIGEST_OIDS, OID, type DigestName } from './algorithms.js';
import { parseCertificate, type ParsedCertificate } from './certificates.js';
import { certificateError } from './errors.js';
import { checkParsedCertificate, type TrustOptions } from './trust.js';

/** Our signing key and its certificate (key usage NonRepudiation). */
export interface SigningIdentity {
  key: KeyObject;
  certificatePem: string;
  /** Intermediate CA certificates to include in the message (never the root). */
  chainPem?: string[];
}

export interface ProtectOptions {
  /** When given, a signingTime attribute is added with `clock.now()`. */
  clock?: Clock;
  /**
   * When given, the recipient's encryption certificate is checked before use (validity, KeyEncipherment,
   * chain, revocation) and the check's error is thrown (ERR_PROTECTION_*).
   */
  trust?: TrustOptions;
  /** Digest for the signature (default sha256). */
  digest?: DigestName;
  /** Put our certificate (and chainPem) in the SignedData (default true; receivers use the registry's). */
  includeCertificates?: boolean;
}

const asn1 = forge.asn1;
type Asn1 = forge.asn1.Asn1;
const U = asn1.Class.UNIVERSAL;
const C = asn1.Class.CONTEXT_SPECIFIC;
const T = asn1.Type;

function bin(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function seq(items: Asn1[]): Asn1 {
  return asn1.create(U, T.SEQUENCE, true, items);
}

function set(items: Asn1[]): Asn1 {
  return asn1.create(U, T.SET, true, items);
}

function oid(value: string): Asn1 {
  return asn1.create(U, T.OID, false, asn1.oidToDer(value).getBytes());
}

function int(value: number): Asn1 {
  return asn1.create(U, T.INTEGER, false, asn1.integerToDer(value).getBytes());
}

function octets(bytes: Uint8Array): Asn1 {
  return asn1.create(U, T.OCTETSTRING, false, bin(bytes));
}

function explicit(tag: number, inner: Asn1): Asn1 {
  return asn1.create(C, tag, true, [inner]);
}

function algorithm(id: string, nullParams: boolean): Asn1 {
  return seq(nullParams ? [oid(id), asn1.create(U, T.NULL, false, '')] : [oid(id)]);
}

/** Raw DER spliced into a forge tree (parsed once per certificate and cached). */
const rawCache = new WeakMap<ParsedCertificate, { cert: Asn1; issuerAndSerial: Asn1 }>();

function fromDer(bytes: Uint8Array): Asn1 {
  // decodeBitStrings: false keeps BIT STRING contents byte for byte.
  return (asn1.fromDer as unknown as (b: string, o: object) => Asn1)(bin(bytes), { strict: true, decodeBitStrings: false });
}

function rawParts(cert: ParsedCertificate): { cert: Asn1; issuerAndSerial: Asn1 } {
  let parts = rawCache.get(cert);
  if (parts === undefined) {
    parts = { cert: fromDer(cert.der), issuerAndSerial: seq([fromDer(cert.issuerDer), fromDer(cert.serialDer)]) };
    rawCache.set(cert, parts);
  }
  return parts;
}

function toBuffer(node: Asn1): Buffer {
  return Buffer.from(asn1.toDer(node).getBytes(), 'latin1');
}

/** DER SET OF: elements sorted by their encodings. */
function derSetOf(elements: Asn1[]): { node: Asn1; encodings: Buffer[] } {
  const encoded = elements.map((e) => ({ e, der: toBuffer(e) }));
  encoded.sort((a, b) => Buffer.compare(a.der, b.der));
  return { node: set(encoded.map((x) => x.e)), encodings: encoded.map((x) => x.der) };
}

/**
 * CMS SignedData (encapsulated) over `content`, as a DER ContentInfo. node-forge builds the structure;
 * node:crypto computes the digests and does the RSA signature (PKCS#1 v1.5).
 * Signed attributes: contentType (id-data), messageDigest, and signingTime when a clock is given.
 */
export function signContent(content: Uint8Array, our: SigningIdentity, options: ProtectOptions = {}): Buffer {
  const digestName = options.digest ?? 'sha256';
  const cert = parseCertificate(our.certificatePem);
  const digestAlg = algorithm(DIGEST_OIDS[digestName], false);
  const contentDigest = createHash(digestName).update(content).digest();

  const attributes: Asn1[] = [
    seq([oid(OID.contentType), set([oid(OID.data)])]),
    seq([oid(OID.messageDigest), set([octets(contentDigest)])]),
  ];
  if (options.clock !== undefined) {
    attributes.push(
      seq([oid(OID.signingTime), set([asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(options.clock.now()))])]),
    );
  }
  const attrs = derSetOf(attributes);
  // The signature covers the attributes encoded as a SET OF (tag 0x31), not as the [0] that carries them.
  const attrsDer = toBuffer(attrs.node);
  const signature = cryptoSign(digestName, attrsDer, { key: our.key, padding: constants.RSA_PKCS1_PADDING });
  const signedAttrs = asn1.create(C, 0, true, attrs.node.value as Asn1[]);

  const signerInfo = seq([
    int(1),
    rawParts(cert).issuerAndSerial,
    digestAlg,
    signedAttrs,
    algorithm(OID.rsaEncryption, true),
    octets(signature),
  ]);
  const certificates = [rawParts(cert).cert, ...(our.chainPem ?? []).map((pem) => rawParts(parseCertificate(pem)).cert)];
  const signedData = seq([
    int(1),
    set([algorithm(DIGEST_OIDS[digestName], false)]),
    seq([oid(OID.data), explicit(0, octets(content))]),
    ...(options.includeCertificates === false ? [] : [asn1.create(C, 0, true, certificates)]),
    set([signerInfo]),
  ]);
  return toBuffer(seq([oid(OID.signedData), explicit(0, signedData)]));
}

/**
 * CMS EnvelopedData of `plaintext` for one recipient, as a DER ContentInfo: AES-256-CBC content
 * encryption (node:crypto), RSA PKCS#1 v1.5 key transport (node:crypto), recipient identified by issuer
 * and serial number. The plaintext is carried as id-data, as Helsenorge.Messaging does.
 */
export function envelopeContent(plaintext: Uint8Array, recipientEncryptionCertPem: string, options: ProtectOptions = {}): Buffer {
  let recipient: ParsedCertificate;
  try {
    recipient = parseCertificate(recipientEncryptionCertPem);
  } catch {
    throw certificateError('recipient encryption certificate is not a certificate', { use: 'encryption' });
  }
  if (options.trust !== undefined) checkParsedCertificate(recipient, 'encryption', options.trust);
  if (recipient.publicKey.asymmetricKeyType !== 'rsa') {
    throw certificateError('recipient key is not RSA', { thumbprint: recipient.thumbprint, use: 'encryption' });
  }
  const cipher = DEFAULT_CONTENT_CIPHER;
  const cek = randomBytes(cipher.keyLength);
  const iv = randomBytes(16);
  const c = createCipheriv(cipher.name, cek, iv);
  const encrypted = Buffer.concat([c.update(plaintext), c.final()]);
  const encryptedKey = publicEncrypt({ key: recipient.publicKey, padding: constants.RSA_PKCS1_PADDING }, cek);
  cek.fill(0);

  const recipientInfo = seq([
    int(0),
    rawParts(recipient).issuerAndSerial,
    algorithm(OID.rsaEncryption, true),
    octets(encryptedKey),
  ]);
  const envelopedData = seq([
    int(0),
    set([recipientInfo]),
    seq([
      oid(OID.data),
      seq([oid(cipher.oid), octets(iv)]),
      asn1.create(C, 0, false, bin(encrypted)),
    ]),
  ]);
  return toBuffer(seq([oid(OID.envelopedData), explicit(0, envelopedData)]));
}

/**
 * Protects an outgoing message: CMS SignedData (encapsulated, signed with our key) inside CMS
 * EnvelopedData for the receiver's encryption certificate. The result is the AMQP body, content type
 * `application/pkcs7-mime; smime-type=signed-and-enveloped-data`.
 *
 * Checks the recipient certificate when `options.trust` is given; our own signing certificate is
 * checked by the caller at start-up (checkCertificate(…, 'signing', …)).
 *
 * @throws TimebokError ERR_PROTECTION_CERTIFICATE / _EXPIRED / _REVOKED / _REVOCATION_UNKNOWN for the
 *   recipient certificate.
 */
export function protect(
  content: Uint8Array,
  our: SigningIdentity,
  recipientEncryptionCertPem: string,
  options: ProtectOptions = {},
): Buffer {
  return envelopeContent(signContent(content, our, options), recipientEncryptionCertPem, options);
}

export const PROTECTED_CONTENT_TYPE = 'application/pkcs7-mime; smime-type=signed-and-enveloped-data';
