import { KeyObject, constants, createDecipheriv, createHash, timingSafeEqual, verify as cryptoVerify } from 'node:crypto';
import { TimebokError } from '../shared/errors.js';
import {
  CONTENT_CIPHERS,
  DIGESTS,
  OAEP_HASHES,
  OID,
  REFUSED_NAMES,
  SIGNATURE_ALGORITHMS,
  type ContentCipher,
  type DigestName,
} from './algorithms.js';
import { parseCertificate, type ParsedCertificate } from './certificates.js';
import {
  DerError,
  contentBytes,
  expectSequence,
  expectSet,
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
import { algorithmError, certificateError, cmsError, decryptFailed, signatureError } from './errors.js';
import { rsaOaepDecryptKey, rsaPkcs1DecryptKey } from './rsa.pkcs1.js';
import { checkParsedCertificate, type TrustOptions } from './trust.js';

/** A decryption key, optionally with its certificate so the matching RecipientInfo can be picked. */
/** Limits for parsing a received CMS message (the default reader allows more, for CRLs). */
const CMS_DER_LIMITS = { maxDepth: 32, maxNodes: 20_000 } as const;

export interface DecryptionKey {
  key: KeyObject;
  certificatePem?: string;
}

/** Our decryption keys: the current one, and legacy ones kept during a key roll-over. */
export interface DecryptionKeys {
  current: KeyObject | DecryptionKey;
  legacy?: Array<KeyObject | DecryptionKey>;
}

export interface DecryptedEnvelope {
  /** The decrypted bytes (a CMS ContentInfo carrying SignedData). */
  plaintext: Buffer;
  /** Which key opened it. */
  decryptedWith: 'current' | 'legacy';
  /** @internal the parsed plaintext */
  tree: DerNode;
}

export interface VerifiedContent {
  /** Exactly the encapsulated content whose digest was signed. */
  content: Buffer;
  /** SHA-1 thumbprint (upper-case hex) of the registry certificate that verified the signature. */
  signerThumbprint: string;
  /** That registry certificate, PEM. */
  signerCertificatePem: string;
  /** The signingTime attribute, if the sender put one. Informational only. */
  signingTime: Date | null;
}

export interface UnprotectResult extends VerifiedContent {
  decryptedWith: 'current' | 'legacy';
}

const MAX_RECIPIENT_INFOS = 32;
const MAX_ATTEMPTS = 16;

function structural<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DerError) throw cmsError(e.message);
    throw e;
  }
}

// ------------------------------------------------------------------------------------------------
// EnvelopedData

interface KeyTransport {
  rid: { issuerDer: Buffer; serialHex: string } | { subjectKeyId: Buffer };
  encryptedKey: Uint8Array;
  scheme: { kind: 'pkcs1' } | { kind: 'oaep'; hash: 'sha1' | DigestName };
}

interface EnvelopeParts {
  innerType: string;
  cipher: ContentCipher;
  iv: Uint8Array;
  encryptedContent: Uint8Array;
  transports: KeyTransport[];
}

function algorithmParts(node: DerNode | undefined): { oid: string; params: DerNode | undefined } {
  const seq = expectSequence(node);
  return { oid: oidValue(seq.children[0]), params: seq.children[1] };
}

function isAbsentOrNull(params: DerNode | undefined): boolean {
  return params === undefined || (isUniversal(params, UNIVERSAL.null) && params.contentEnd === params.contentStart);
}

/** Structure and algorithm checks: everything that needs no secret, before any RSA operation. */
function parseEnvelope(body: Uint8Array): EnvelopeParts {
  return structural(() => {
    // A CMS message has a few hundred elements; BER bombs stop at these limits (docs/errors.md).
    const root = expectSequence(parseDer(body, CMS_DER_LIMITS));
    const contentType = oidValue(root.children[0]);
    if (contentType !== OID.envelopedData) {
      throw cmsError(contentType === OID.signedData ? 'signed but not encrypted' : 'not EnvelopedData');
    }
    const wrapper = root.children[1];
    if (!isContext(wrapper, 0) || !wrapper.constructed) throw cmsError('EnvelopedData content missing');
    const env = expectSequence(wrapper.children[0]);
    let i = 0;
    smallIntValue(env.children[i++]); // version
    if (isContext(env.children[i], 0)) i++; // originatorInfo
    const recipientInfos = expectSet(env.children[i++]);
    const eci = expectSequence(env.children[i++]);

    const innerType = oidValue(eci.children[0]);
    if (innerType !== OID.data && innerType !== OID.signedData) throw cmsError('unexpected encrypted content type');
    const alg = algorithmParts(eci.children[1]);
    const cipher = CONTENT_CIPHERS.get(alg.oid);
    if (cipher === undefined) throw algorithmError('content encryption', alg.oid, REFUSED_NAMES.get(alg.oid));
    if (!isUniversal(alg.params, UNIVERSAL.octetString)) throw cmsError('content encryption IV missing');
    const iv = octetStringValue(alg.params);
    if (iv.length !== 16) throw cmsError('content encryption IV must be 16 bytes');
    const encNode = eci.children[2];
    if (!isContext(encNode, 0)) throw cmsError('encrypted content missing');
    const encryptedContent = encNode.constructed ? octetStringValue(encNode) : contentBytes(encNode);

    const transports: KeyTransport[] = [];
    let refused: string | undefined;
    if (recipientInfos.children.length > MAX_RECIPIENT_INFOS) throw cmsError('too many recipients');
    for (const ri of recipientInfos.children) {
      // Only KeyTransRecipientInfo (a plain SEQUENCE); kari/kekri/pwri/ori are context-tagged.
      if (!isUniversal(ri, UNIVERSAL.sequence)) {
        refused ??= `recipient info [${ri.tag}]`;
        continue;
      }
      smallIntValue(ri.children[0]);
      const ridNode = ri.children[1];
      let rid: KeyTransport['rid'];
      if (isUniversal(ridNode, UNIVERSAL.sequence)) {
        rid = { issuerDer: Buffer.from(rawBytes(expectSequence(ridNode.children[0]))), serialHex: integerHex(ridNode.children[1]) };
      } else if (isContext(ridNode, 0) && !ridNode.constructed) {
        rid = { subjectKeyId: Buffer.from(contentBytes(ridNode)) };
      } else {
        throw cmsError('bad recipient identifier');
      }
      const keyAlg = algorithmParts(ri.children[2]);
      const ekNode = ri.children[3];
      if (!isUniversal(ekNode, UNIVERSAL.octetString)) throw cmsError('encrypted key missing');
      const encryptedKey = octetStringValue(ekNode);
      let scheme: KeyTransport['scheme'] | undefined;
      if (keyAlg.oid === OID.rsaEncryption && isAbsentOrNull(keyAlg.params)) scheme = { kind: 'pkcs1' };
      else if (keyAlg.oid === OID.rsaesOaep) {
        const hash = oaepHash(keyAlg.params);
        if (hash !== undefined) scheme = { kind: 'oaep', hash };
      }
      if (scheme === undefined) {
        refused ??= keyAlg.oid;
        continue;
      }
      transports.push({ rid, encryptedKey, scheme });
    }
    if (transports.length === 0) {
      throw algorithmError('key transport', refused ?? 'none', refused === undefined ? undefined : REFUSED_NAMES.get(refused));
    }
    return { innerType, cipher, iv, encryptedContent, transports };
  });
}

/** RSAES-OAEP-params we can honour with node:crypto: MGF1 with the same hash, empty label. */
function oaepHash(params: DerNode | undefined): 'sha1' | DigestName | undefined {
  if (params === undefined) return 'sha1';
  const seq = expectSequence(params);
  let hash: 'sha1' | DigestName | undefined = 'sha1';
  let mgfHash: 'sha1' | DigestName | undefined = 'sha1';
  for (const c of seq.children) {
    if (isContext(c, 0)) hash = OAEP_HASHES.get(algorithmParts(c.children[0]).oid);
    else if (isContext(c, 1)) {
      const mgf = algorithmParts(c.children[0]);
      mgfHash = mgf.oid === OID.mgf1 ? OAEP_HASHES.get(algorithmParts(mgf.params).oid) : undefined;
    } else if (isContext(c, 2)) {
      const src = algorithmParts(c.children[0]);
      if (src.oid !== OID.pSpecified || !isUniversal(src.params, UNIVERSAL.octetString) || octetStringValue(src.params).length !== 0) {
        return undefined;
      }
    }
  }
  return hash !== undefined && hash === mgfHash ? hash : undefined;
}

interface KeyCandidate {
  key: KeyObject;
  cert: ParsedCertificate | null;
  which: 'current' | 'legacy';
}

function keyCandidates(keys: DecryptionKeys): KeyCandidate[] {
  const norm = (k: KeyObject | DecryptionKey, which: 'current' | 'legacy'): KeyCandidate => {
    const entry: DecryptionKey = k instanceof KeyObject ? { key: k } : k;
    let cert: ParsedCertificate | null = null;
    if (entry.certificatePem !== undefined) {
      try {
        cert = parseCertificate(entry.certificatePem);
      } catch (e) {
        throw new TimebokError('ERR_CONFIG', 'Decryption key configuration: the certificate is not readable.', { cause: e });
      }
    }
    return { key: entry.key, cert, which };
  };
  return [norm(keys.current, 'current'), ...(keys.legacy ?? []).map((k) => norm(k, 'legacy'))].filter(
    (c) => c.key.type === 'private' && c.key.asymmetricKeyType === 'rsa',
  );
}

function ridMatches(rid: KeyTransport['rid'], cert: ParsedCertificate): boolean {
  if ('subjectKeyId' in rid) return cert.subjectKeyId !== null && cert.subjectKeyId.equals(rid.subjectKeyId);
  return rid.serialHex === cert.serialHex && rid.issuerDer.equals(cert.issuerDer);
}

/**
 * AES-CBC decryption with the PKCS#7 padding removed here, in constant shape: no exception and no early
 * return on a bad padding (that is where OpenSSL would throw), so a bad padding and a good padding over
 * garbage take the same path into parseInner. Returns the unpadded bytes and whether the padding was good.
 */
function decryptContent(cipher: ContentCipher, cek: Buffer, iv: Uint8Array, data: Uint8Array): { plaintext: Buffer; paddingOk: boolean } {
  try {
    const d = createDecipheriv(cipher.name, cek, iv);
    d.setAutoPadding(false);
    const padded = Buffer.concat([d.update(data), d.final()]);
    const n = padded.length;
    const pad = padded[n - 1]!;
    // 1 <= pad <= 16, and the last `pad` bytes all equal pad
    let good = ((pad - 1) >>> 31) ^ 1; // pad >= 1
    good &= ((16 - pad) >>> 31) ^ 1; // pad <= 16
    for (let i = 1; i <= 16; i++) {
      const inPad = ((pad - i) >>> 31) ^ 1; // i <= pad
      const x = padded[n - i]! ^ pad;
      const differs = ((x | -x) >>> 31) & 1;
      good &= 1 ^ (inPad & differs);
    }
    const cut = (pad & -good) | (16 & ~-good);
    return { plaintext: padded.subarray(0, n - cut), paddingOk: good === 1 };
  } finally {
    cek.fill(0);
  }
}

/**
 * The decrypted bytes must be a well-formed ContentInfo carrying SignedData. A syntax failure here is
 * a decryption failure, not a CMS error: garbage from a wrong or synthetic key, or a plaintext shortened
 * by an attacker who found a valid CBC padding, must look exactly like a bad padding.
 */
function parseInner(plaintext: Buffer, innerType: string): DerNode | null {
  try {
    const root = expectSequence(parseDer(plaintext));
    if (isUniversal(root.children[0], UNIVERSAL.oid)) {
      if (oidValue(root.children[0]) !== OID.signedData) return null;
      const wrapper = root.children[1];
      if (!isContext(wrapper, 0) || !wrapper.constructed || wrapper.children.length !== 1) return null;
      expectSequence(wrapper.children[0]);
      if (root.children.length !== 2) return null;
    } else if (innerType !== OID.signedData || !isUniversal(root.children[0], UNIVERSAL.integer)) {
      return null; // a bare SignedData only when the envelope says so
    }
    return root;
  } catch {
    return null;
  }
}

/**
 * Decrypts CMS EnvelopedData with our keys. Checks first, before any private-key operation: the
 * structure, the content cipher (AES-128/192/256-CBC only) and the key transport (RSA PKCS#1 v1.5 or
 * RSAES-OAEP). Then it tries the RecipientInfo that names one of our certificates (issuer and serial, or
 * subject key identifier), current key first; when none names ours, every recipient with every key.
 *
 * @throws TimebokError ERR_PROTECTION_CMS (structure), ERR_PROTECTION_ALGORITHM (DES, 3DES, RC2,
 *   unknown), ERR_PROTECTION_DECRYPT (one code, one message, for every kind of decryption failure).
 */
export function decryptEnvelope(body: Uint8Array, keys: DecryptionKeys): DecryptedEnvelope {
  const parts = parseEnvelope(body);
  const candidates = keyCandidates(keys);
  let attempts: Array<{ t: KeyTransport; k: KeyCandidate }> = [];
  for (const k of candidates) {
    if (k.cert === null) continue;
    for (const t of parts.transports) if (ridMatches(t.rid, k.cert)) attempts.push({ t, k });
  }
  if (attempts.length === 0) {
    for (const k of candidates) for (const t of parts.transports) attempts.push({ t, k });
  }
  attempts = attempts.slice(0, MAX_ATTEMPTS);
  // The ciphertext length is public: refuse before touching the key, with the same answer.
  const blockOk = parts.encryptedContent.length > 0 && parts.encryptedContent.length % 16 === 0;
  if (!blockOk) throw decryptFailed();

  for (const { t, k } of attempts) {
    const cek =
      t.scheme.kind === 'pkcs1'
        ? rsaPkcs1DecryptKey(k.key, t.encryptedKey, parts.cipher.keyLength)
        : rsaOaepDecryptKey(k.key, t.encryptedKey, parts.cipher.keyLength, t.scheme.hash);
    const { plaintext, paddingOk } = decryptContent(parts.cipher, cek, parts.iv, parts.encryptedContent);
    const tree = parseInner(plaintext, parts.innerType);
    if (tree === null || !paddingOk) continue;
    return { plaintext, tree, decryptedWith: k.which };
  }
  throw decryptFailed();
}

// ------------------------------------------------------------------------------------------------
// SignedData

interface SignerParts {
  sid: { issuerDer: Buffer; serialHex: string } | { subjectKeyId: Buffer };
  digest: DigestName;
  signedAttrs: { der: Buffer; contentType: string; messageDigest: Buffer; signingTime: Date | null } | null;
  signature: Buffer;
}

interface SignedParts {
  content: Buffer;
  contentType: string;
  embedded: ParsedCertificate[];
  signer: SignerParts;
}

function parseSigned(root: DerNode): SignedParts {
  return structural(() => {
    let sd: DerNode;
    if (isUniversal(root.children[0], UNIVERSAL.oid)) {
      if (oidValue(root.children[0]) !== OID.signedData) throw cmsError('not SignedData');
      const wrapper = root.children[1];
      if (!isContext(wrapper, 0) || !wrapper.constructed) throw cmsError('SignedData content missing');
      sd = expectSequence(wrapper.children[0]);
    } else {
      sd = root; // a bare SignedData (encrypted content type id-signedData)
    }
    let i = 0;
    smallIntValue(sd.children[i++]); // version
    const digestAlgorithms = expectSet(sd.children[i++]);
    for (const a of digestAlgorithms.children) {
      const alg = algorithmParts(a);
      if (!DIGESTS.has(alg.oid)) throw algorithmError('digest', alg.oid, REFUSED_NAMES.get(alg.oid));
    }
    const encap = expectSequence(sd.children[i++]);
    const contentType = oidValue(encap.children[0]);
    if (contentType !== OID.data) throw cmsError('encapsulated content is not id-data');
    const eContentWrapper = encap.children[1];
    if (!isContext(eContentWrapper, 0) || !eContentWrapper.constructed) throw cmsError('no encapsulated content (detached signature)');
    const eContent = eContentWrapper.children[0];
    if (!isUniversal(eContent, UNIVERSAL.octetString)) throw cmsError('encapsulated content is not an OCTET STRING');
    // Copy first: these exact bytes are digested, verified and returned.
    const content = Buffer.from(octetStringValue(eContent));

    const embedded: ParsedCertificate[] = [];
    if (isContext(sd.children[i], 0)) {
      for (const c of sd.children[i]!.children) {
        if (!isUniversal(c, UNIVERSAL.sequence)) continue; // other certificate formats are ignored
        try {
          embedded.push(parseCertificate(rawBytes(c)));
        } catch {
          // an unreadable embedded certificate is never used anyway
        }
      }
      i++;
    }
    if (isContext(sd.children[i], 1)) i++; // crls in the message are ignored
    const signerInfos = expectSet(sd.children[i++]);
    if (signerInfos.children.length !== 1) throw cmsError('exactly one SignerInfo expected');
    return { content, contentType, embedded, signer: parseSignerInfo(expectSequence(signerInfos.children[0]), contentType) };
  });
}

function parseSignerInfo(si: DerNode, eContentType: string): SignerParts {
  let i = 0;
  smallIntValue(si.children[i++]);
  const sidNode = si.children[i++];
  let sid: SignerParts['sid'];
  if (isUniversal(sidNode, UNIVERSAL.sequence)) {
    sid = { issuerDer: Buffer.from(rawBytes(expectSequence(sidNode.children[0]))), serialHex: integerHex(sidNode.children[1]) };
  } else if (isContext(sidNode, 0) && !sidNode.constructed) {
    sid = { subjectKeyId: Buffer.from(contentBytes(sidNode)) };
  } else {
    throw cmsError('bad signer identifier');
  }
  const digestAlg = algorithmParts(si.children[i++]);
  const digest = DIGESTS.get(digestAlg.oid);
  if (digest === undefined) throw algorithmError('digest', digestAlg.oid, REFUSED_NAMES.get(digestAlg.oid));
  if (!isAbsentOrNull(digestAlg.params)) throw cmsError('digest algorithm parameters');

  let signedAttrs: SignerParts['signedAttrs'] = null;
  if (isContext(si.children[i], 0)) {
    signedAttrs = parseSignedAttributes(si.children[i++]!, eContentType);
  }
  const sigAlg = algorithmParts(si.children[i++]);
  const sigHash = SIGNATURE_ALGORITHMS.get(sigAlg.oid);
  if (sigHash === undefined) throw algorithmError('signature', sigAlg.oid, REFUSED_NAMES.get(sigAlg.oid));
  if (sigHash !== 'any' && sigHash !== digest) throw algorithmError('signature', sigAlg.oid);
  if (!isAbsentOrNull(sigAlg.params)) throw cmsError('signature algorithm parameters');
  const sigNode = si.children[i++];
  if (!isUniversal(sigNode, UNIVERSAL.octetString)) throw cmsError('signature missing');
  return { sid, digest, signedAttrs, signature: Buffer.from(octetStringValue(sigNode)) };
}

function parseSignedAttributes(node: DerNode, eContentType: string): NonNullable<SignerParts['signedAttrs']> {
  if (!node.constructed || node.indefinite) throw cmsError('signed attributes must be DER');
  const seen = new Set<string>();
  let contentType: string | undefined;
  let messageDigest: Buffer | undefined;
  let signingTime: Date | null = null;
  for (const attr of node.children) {
    expectSequence(attr);
    const type = oidValue(attr.children[0]);
    if (seen.has(type)) throw cmsError('duplicate signed attribute');
    seen.add(type);
    const values = expectSet(attr.children[1]);
    if (type === OID.contentType || type === OID.messageDigest || type === OID.signingTime) {
      if (values.children.length !== 1) throw cmsError('signed attribute must have one value');
    }
    const value = values.children[0];
    if (type === OID.contentType) contentType = oidValue(value);
    else if (type === OID.messageDigest) {
      if (!isUniversal(value, UNIVERSAL.octetString)) throw cmsError('messageDigest must be an OCTET STRING');
      messageDigest = Buffer.from(octetStringValue(value));
    } else if (type === OID.signingTime) signingTime = timeValue(value);
  }
  if (contentType === undefined || messageDigest === undefined) {
    throw cmsError('contentType and messageDigest signed attributes are required');
  }
  if (contentType !== eContentType) throw signatureError('content-type attribute does not match the content');
  // What was signed is the DER of the attributes as a SET OF: the same bytes with the tag 0x31.
  const der = Buffer.from(rawBytes(node));
  der[0] = 0x31;
  return { der, contentType, messageDigest, signingTime };
}

function sidMatches(sid: SignerParts['sid'], cert: ParsedCertificate): boolean {
  if ('subjectKeyId' in sid) return cert.subjectKeyId !== null && cert.subjectKeyId.equals(sid.subjectKeyId);
  return sid.serialHex === cert.serialHex && sid.issuerDer.equals(cert.issuerDer);
}

/**
 * Verifies CMS SignedData (encapsulated) against the sender's signing certificates **from the registry**.
 * A certificate carried in the message is never trusted; when one names the signer but differs from the
 * registry's, the message is refused.
 *
 * Order: structure and algorithm allow-list (SHA-256/384/512; RSA) → signer among the registry
 * certificates → registry certificate checked (validity at the clock, NonRepudiation, chain, CRL) →
 * messageDigest attribute against the content → RSA signature with node:crypto.
 *
 * @returns exactly the encapsulated content whose digest was verified.
 * @throws TimebokError ERR_PROTECTION_CMS, ERR_PROTECTION_ALGORITHM, ERR_PROTECTION_CERTIFICATE (detail:
 *   expectedThumbprints / actualThumbprint), ERR_PROTECTION_EXPIRED, ERR_PROTECTION_REVOKED,
 *   ERR_PROTECTION_REVOCATION_UNKNOWN (retry), ERR_PROTECTION_SIGNATURE.
 */
export function verifySignedContent(
  signed: Uint8Array | DerNode,
  senderSigningCertsPem: string[],
  trust: TrustOptions,
): VerifiedContent {
  const tree = signed instanceof Uint8Array ? structural(() => expectSequence(parseDer(signed))) : signed;
  const parts = parseSigned(tree);
  const { signer } = parts;

  const registry: ParsedCertificate[] = [];
  for (const pem of senderSigningCertsPem) {
    try {
      registry.push(parseCertificate(pem));
    } catch {
      throw certificateError('registry certificate unreadable');
    }
  }
  const expectedThumbprints = registry.map((c) => c.thumbprint);
  const claimed = parts.embedded.find((c) => sidMatches(signer.sid, c));
  const registered = registry.find((c) => sidMatches(signer.sid, c));
  if (registered === undefined) {
    throw certificateError(registry.length === 0 ? 'no signing certificate registered for the sender' : 'signer is not the registered sender', {
      expectedThumbprints,
      actualThumbprint: claimed?.thumbprint ?? null,
    });
  }
  for (const c of parts.embedded) {
    if (sidMatches(signer.sid, c) && !c.der.equals(registered.der)) {
      throw certificateError('certificate in the message differs from the registry', {
        expectedThumbprints: [registered.thumbprint],
        actualThumbprint: c.thumbprint,
      });
    }
  }

  checkParsedCertificate(registered, 'signing', trust);

  const digest = createHash(signer.digest).update(parts.content).digest();
  let signedBytes: Buffer;
  if (signer.signedAttrs !== null) {
    const md = signer.signedAttrs.messageDigest;
    if (md.length !== digest.length || !timingSafeEqual(md, digest)) throw signatureError('message digest does not match the content');
    signedBytes = signer.signedAttrs.der;
  } else {
    signedBytes = parts.content;
  }
  let ok = false;
  try {
    ok = cryptoVerify(signer.digest, signedBytes, { key: registered.publicKey, padding: constants.RSA_PKCS1_PADDING }, signer.signature);
  } catch {
    ok = false;
  }
  if (!ok) throw signatureError('signature does not verify with the registered certificate');

  return {
    content: parts.content,
    signerThumbprint: registered.thumbprint,
    signerCertificatePem: registered.pem,
    signingTime: signer.signedAttrs?.signingTime ?? null,
  };
}

/**
 * Unprotects an incoming message: decrypts the CMS EnvelopedData with our keys (decryptEnvelope), then
 * verifies the CMS SignedData inside against the sender's registry certificates (verifySignedContent).
 *
 * @param body the AMQP body (DER or BER)
 * @param keys our decryption keys (current, and legacy during a roll-over)
 * @param senderSigningCertsPem the sender's signing certificates from the address registry
 * @param trust anchors, CRLs and the clock
 * @returns the verified content (the MsgHead XML bytes), exactly as signed, and who signed it.
 */
export function unprotect(
  body: Uint8Array,
  keys: DecryptionKeys,
  senderSigningCertsPem: string[],
  trust: TrustOptions,
): UnprotectResult {
  const envelope = decryptEnvelope(body, keys);
  const verified = verifySignedContent(envelope.tree, senderSigningCertsPem, trust);
  return { ...verified, decryptedWith: envelope.decryptedWith };
}

export function isProtectionError(e: unknown): e is TimebokError {
  return e instanceof TimebokError && e.code.startsWith('ERR_PROTECTION_');
}
