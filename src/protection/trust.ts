import type { Clock } from '../shared/clock.js';
import { TimebokError } from '../shared/errors.js';
import { CERT_SIGNATURE_ALGORITHMS, MIN_RSA_BITS } from './algorithms.js';
import { hasKeyUsage, KEY_USAGE, parseCertificate, type ParsedCertificate } from './certificates.js';
import { crlIssuedBy, parseCrl, type ParsedCrl } from './crl.js';
import { certificateError, expiredError, revocationUnknown, revokedError } from './errors.js';

/** What a certificate is checked for. */
export type CertificateUse = 'signing' | 'encryption';

/**
 * Where trust comes from. Build it once (see `loadTrust`) and reuse the same object: the parsed anchors,
 * CRLs and verified chains are cached per object. To pick up new CRL files, build a new object.
 */
export interface TrustOptions {
  /** Trust anchors (root CA certificates), PEM. */
  anchorsPem: string[];
  /** Intermediate CA certificates that may complete a chain; not trusted by themselves. PEM. */
  intermediatesPem?: string[];
  /** Certificate revocation lists, DER bytes or PEM text. */
  crls?: Array<Uint8Array | string>;
  /**
   * `crl` (default): every certificate in the chain below the anchor must be covered by a current CRL
   * from its issuer, otherwise ERR_PROTECTION_REVOCATION_UNKNOWN (retry). `none`: no revocation check
   * (development only).
   */
  revocation?: 'crl' | 'none';
  /** Certificate policy OIDs; when given, an end-entity certificate must carry at least one of them. */
  policies?: string[];
  /** Validity and CRL freshness are judged at `clock.now()`. */
  clock: Clock;
}

/** What checkCertificate established. */
export interface CheckedCertificate {
  thumbprint: string;
  subject: string;
  notAfter: Date;
  /** Thumbprints from the certificate up to (and including) the anchor. */
  chain: string[];
}

interface PreparedTrust {
  anchors: Set<ParsedCertificate>;
  /** Anchors and intermediates by subject Name (hex of the DER). */
  bySubject: Map<string, ParsedCertificate[]>;
  crls: ParsedCrl[];
  /** CRLs verified as issued by a CA certificate, keyed by that certificate. */
  crlsByIssuer: Map<ParsedCertificate, ParsedCrl[]>;
  /** The time-independent verdict on a certificate for a use: its chain, or the error. */
  chains: Map<string, ParsedCertificate[] | TimebokError>;
}

const prepared = new WeakMap<TrustOptions, PreparedTrust>();
const CHAIN_CACHE_LIMIT = 4096;
const MAX_CHAIN_LENGTH = 8;

/**
 * Parses anchors, intermediates and CRLs and matches each CRL with the CA that signed it.
 * Called lazily by the checks; call it at start-up to fail early. Throws ERR_CONFIG (crash) for a file
 * that is not a certificate or CRL, or a CRL naming a configured CA whose signature does not verify.
 */
export function prepareTrust(trust: TrustOptions): void {
  getPrepared(trust);
}

function getPrepared(trust: TrustOptions): PreparedTrust {
  let p = prepared.get(trust);
  if (p !== undefined) return p;
  const parseAll = (pems: string[], what: string): ParsedCertificate[] =>
    pems.map((pem, index) => {
      try {
        return parseCertificate(pem);
      } catch (e) {
        throw new TimebokError('ERR_CONFIG', `Trust configuration: ${what} #${index + 1} is not a certificate.`, {
          cause: e,
        });
      }
    });
  const anchorList = parseAll(trust.anchorsPem, 'anchor');
  const intermediates = parseAll(trust.intermediatesPem ?? [], 'intermediate');
  const bySubject = new Map<string, ParsedCertificate[]>();
  for (const c of [...anchorList, ...intermediates]) {
    const k = c.subjectDer.toString('hex');
    const list = bySubject.get(k) ?? [];
    if (!list.some((x) => x.der.equals(c.der))) list.push(c);
    bySubject.set(k, list);
  }
  const crls = (trust.crls ?? []).map((crl, index) => {
    try {
      return parseCrl(crl);
    } catch (e) {
      throw new TimebokError('ERR_CONFIG', `Trust configuration: CRL #${index + 1} is not a CRL.`, { cause: e });
    }
  });
  const crlsByIssuer = new Map<ParsedCertificate, ParsedCrl[]>();
  crls.forEach((crl, index) => {
    const named = bySubject.get(crl.issuerDer.toString('hex')) ?? [];
    let matched = false;
    for (const ca of named) {
      if (crlIssuedBy(crl, ca)) {
        matched = true;
        crlsByIssuer.set(ca, [...(crlsByIssuer.get(ca) ?? []), crl]);
      }
    }
    if (named.length > 0 && !matched) {
      throw new TimebokError(
        'ERR_CONFIG',
        `Trust configuration: CRL #${index + 1} names a configured CA but its signature does not verify.`,
      );
    }
  });
  p = { anchors: new Set(anchorList), bySubject, crls, crlsByIssuer, chains: new Map() };
  prepared.set(trust, p);
  return p;
}

/**
 * Checks a certificate for a use at `trust.clock.now()`: allowed key and signature algorithms, key usage
 * (NonRepudiation to sign, KeyEncipherment to encrypt), no unknown critical extension, policies if
 * configured, a chain to a configured anchor, validity of every certificate in the chain, and revocation
 * from the configured CRLs.
 *
 * @throws TimebokError ERR_PROTECTION_CERTIFICATE (unusable or untrusted; detail.reason),
 *   ERR_PROTECTION_EXPIRED (expired or not yet valid), ERR_PROTECTION_REVOKED,
 *   ERR_PROTECTION_REVOCATION_UNKNOWN (no current CRL: retry later), ERR_CONFIG (bad trust files).
 */
export function checkCertificate(pem: string | Uint8Array, use: CertificateUse, trust: TrustOptions): CheckedCertificate {
  let cert: ParsedCertificate;
  try {
    cert = parseCertificate(pem);
  } catch {
    throw certificateError('not a certificate', { use });
  }
  return checkParsedCertificate(cert, use, trust);
}

/** As checkCertificate, for an already parsed certificate. */
export function checkParsedCertificate(cert: ParsedCertificate, use: CertificateUse, trust: TrustOptions): CheckedCertificate {
  const p = getPrepared(trust);
  const chain = chainFor(p, cert, use, trust.policies);
  const now = trust.clock.now();
  for (const c of chain) {
    if (now.getTime() < c.notBefore.getTime() || now.getTime() > c.notAfter.getTime()) {
      throw expiredError(now.getTime() < c.notBefore.getTime() ? 'not-yet-valid' : 'expired', {
        thumbprint: c.thumbprint,
        notBefore: c.notBefore.toISOString(),
        notAfter: c.notAfter.toISOString(),
        at: now.toISOString(),
      });
    }
  }
  if ((trust.revocation ?? 'crl') === 'crl') {
    for (let i = 0; i < chain.length - 1; i++) checkRevocation(p, chain[i]!, chain[i + 1]!, now);
  }
  return {
    thumbprint: cert.thumbprint,
    subject: cert.x509.subject,
    notAfter: cert.notAfter,
    chain: chain.map((c) => c.thumbprint),
  };
}

function checkRevocation(p: PreparedTrust, cert: ParsedCertificate, issuer: ParsedCertificate, now: Date): void {
  const crls = p.crlsByIssuer.get(issuer) ?? [];
  // A listed serial stays revoked even when the list itself is out of date.
  for (const crl of crls) {
    if (crl.hasUnknownCritical) continue;
    const at = crl.revoked.get(cert.serialHex);
    if (at !== undefined) throw revokedError({ thumbprint: cert.thumbprint, revokedAt: at.toISOString() });
  }
  const current = crls.some(
    (crl) =>
      !crl.hasUnknownCritical &&
      crl.thisUpdate.getTime() <= now.getTime() &&
      (crl.nextUpdate === null || now.getTime() <= crl.nextUpdate.getTime()),
  );
  if (!current) {
    throw revocationUnknown({
      thumbprint: cert.thumbprint,
      reason: crls.length === 0 ? 'no CRL from the issuer' : 'the CRL from the issuer is out of date',
    });
  }
}

function chainFor(
  p: PreparedTrust,
  cert: ParsedCertificate,
  use: CertificateUse,
  policies: string[] | undefined,
): ParsedCertificate[] {
  const key = `${use}:${cert.thumbprintSha256}`;
  let verdict = p.chains.get(key);
  if (verdict === undefined) {
    try {
      verdict = buildChain(p, cert, use, policies);
    } catch (e) {
      if (!(e instanceof TimebokError)) throw e;
      verdict = e;
    }
    if (p.chains.size >= CHAIN_CACHE_LIMIT) p.chains.clear();
    p.chains.set(key, verdict);
  }
  if (verdict instanceof TimebokError) throw verdict;
  return verdict;
}

function buildChain(
  p: PreparedTrust,
  leaf: ParsedCertificate,
  use: CertificateUse,
  policies: string[] | undefined,
): ParsedCertificate[] {
  const base = { thumbprint: leaf.thumbprint, use };
  if (leaf.unknownCriticalExtensions.length > 0) {
    throw certificateError('unknown critical extension', { ...base, extensions: leaf.unknownCriticalExtensions });
  }
  const required = use === 'signing' ? KEY_USAGE.nonRepudiation : KEY_USAGE.keyEncipherment;
  if (!hasKeyUsage(leaf, required)) {
    throw certificateError('wrong key usage', {
      ...base,
      required: use === 'signing' ? 'nonRepudiation' : 'keyEncipherment',
    });
  }
  const details = leaf.publicKey.asymmetricKeyDetails;
  if (leaf.publicKey.asymmetricKeyType !== 'rsa' || (details?.modulusLength ?? 0) < MIN_RSA_BITS) {
    throw certificateError('key type or size not allowed', { ...base, keyType: leaf.publicKey.asymmetricKeyType ?? 'unknown' });
  }
  if (policies !== undefined && policies.length > 0 && !leaf.policies.some((oid) => policies.includes(oid))) {
    throw certificateError('certificate policy not accepted', { ...base, policies: leaf.policies });
  }
  const chain = [leaf];
  if (isAnchor(p, leaf)) return chain;
  let current = leaf;
  for (let depth = 0; depth < MAX_CHAIN_LENGTH; depth++) {
    const issuer = findIssuer(p, current, chain.length - 1);
    if (issuer === null) break;
    chain.push(issuer);
    if (isAnchor(p, issuer)) return chain;
    current = issuer;
  }
  throw certificateError('no chain to a trust anchor', { ...base, issuer: leaf.x509.issuer });
}

function isAnchor(p: PreparedTrust, cert: ParsedCertificate): boolean {
  for (const a of p.anchors) if (a === cert || a.der.equals(cert.der)) return true;
  return false;
}

/** An issuer of `cert` among the configured CAs whose signature on `cert` verifies. */
function findIssuer(p: PreparedTrust, cert: ParsedCertificate, intermediatesBelow: number): ParsedCertificate | null {
  if (!CERT_SIGNATURE_ALGORITHMS.has(cert.signatureAlgorithm)) return null;
  const candidates = p.bySubject.get(cert.issuerDer.toString('hex')) ?? [];
  // Anchors first: a cross-signed intermediate should not hide the anchor itself.
  const ordered = [...candidates].sort((a, b) => Number(isAnchor(p, b)) - Number(isAnchor(p, a)));
  for (const ca of ordered) {
    if (ca === cert || ca.der.equals(cert.der)) continue;
    if (cert.authorityKeyId !== null && ca.subjectKeyId !== null && !cert.authorityKeyId.equals(ca.subjectKeyId)) continue;
    if (!isAnchor(p, ca)) {
      if (ca.basicConstraints?.ca !== true) continue;
      if (ca.keyUsage !== null && !hasKeyUsage(ca, KEY_USAGE.keyCertSign)) continue;
      const pathLen = ca.basicConstraints.pathLen;
      if (pathLen !== null && intermediatesBelow > pathLen) continue;
      if (ca.unknownCriticalExtensions.length > 0) continue;
    }
    let ok = false;
    try {
      ok = cert.x509.verify(ca.publicKey);
    } catch {
      ok = false;
    }
    if (ok) return ca;
  }
  return null;
}
