/**
 * The simulator's message protection, as Helsenorge does it: requests and AppRecs are signed with the
 * simulator's signing key and encrypted for the receiver's encryption certificate from the registry;
 * answers are decrypted with the simulator's key and verified against the **registry** signing
 * certificate of the party that answered. Reuses src/protection (the same CMS code Timebok runs).
 *
 * For the error-condition scenarios it can also send what a careless or hostile sender would: plain XML,
 * bytes that are not CMS, signed but not encrypted, encrypted for someone else, signed by a certificate
 * the registry does not list, and a tampered ciphertext.
 */
import { randomBytes } from 'node:crypto';
import { envelopeContent, protect, PROTECTED_CONTENT_TYPE, signContent, type SigningIdentity } from '../protection/cms.protect.js';
import { decryptEnvelope, verifySignedContent, type DecryptionKeys } from '../protection/cms.unprotect.js';
import { loadCertificateFile, loadIdentity, loadKeyFile, loadTrust } from '../protection/keys.js';
import type { TrustOptions } from '../protection/trust.js';
import { isTimebokError } from '../shared/errors.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { SimulatorError } from './errors.js';

export const PROTECTION_MODES = ['cms', 'plain', 'not-cms', 'signed-only', 'wrong-recipient', 'unknown-signer', 'tampered'] as const;
export type ProtectionMode = (typeof PROTECTION_MODES)[number];

export interface SimKeyFiles {
  signing: { key: string; certificate?: string };
  decryption: { key: string; certificate?: string };
  passphrase?: string;
  trust: { anchors: string[]; intermediates?: string[]; crls?: string[]; revocation?: 'crl' | 'none' };
}

export interface SimKeys {
  identity: SigningIdentity;
  decryption: DecryptionKeys;
  /** Our own encryption certificate (the "wrong recipient" and "unknown signer" tricks use it). */
  ownEncryptionCertificatePem: string | null;
  trust: TrustOptions;
}

/** @throws SimulatorError SIM_KEYS naming the file that cannot be used (never its content). */
export function loadSimKeys(files: SimKeyFiles, clock: Clock = systemClock): SimKeys {
  try {
    const passphrase = files.passphrase === undefined ? {} : { passphrase: files.passphrase };
    const identity = loadIdentity({ ...files.signing, ...passphrase });
    const key = loadKeyFile(files.decryption.key, files.passphrase);
    const certificatePem = files.decryption.certificate ? loadCertificateFile(files.decryption.certificate, files.passphrase) : null;
    return {
      identity,
      decryption: { current: certificatePem ? { key, certificatePem } : key },
      ownEncryptionCertificatePem: certificatePem,
      trust: loadTrust({ anchors: files.trust.anchors, intermediates: files.trust.intermediates ?? [], crls: files.trust.crls ?? [], revocation: files.trust.revocation ?? 'crl' }, clock),
    };
  } catch (e) {
    if (isTimebokError(e)) throw new SimulatorError('SIM_KEYS', `keys: ${e.message}`, { cause: e });
    throw e;
  }
}

export interface ProtectedBody {
  body: Buffer;
  contentType: string;
}

/**
 * Builds the AMQP body for `xml` in the given mode. `keys` null means the simulator runs without CMS
 * (a spool with plain XML allowed); then only `plain` and `not-cms` are possible.
 */
export function protectBody(xml: string, mode: ProtectionMode, keys: SimKeys | null, recipientEncryptionCertPem: string | null, clock: Clock = systemClock): ProtectedBody {
  const content = Buffer.from(xml, 'utf8');
  if (mode === 'plain') return { body: content, contentType: 'application/xml' };
  if (mode === 'not-cms') return { body: Buffer.concat([Buffer.from('not a CMS message '), randomBytes(64)]), contentType: PROTECTED_CONTENT_TYPE };
  if (keys === null) throw new SimulatorError('SIM_KEYS', `protection "${mode}" needs the simulator's keys (settings "keys")`);
  const recipient = (): string => {
    if (!recipientEncryptionCertPem) throw new SimulatorError('SIM_REGISTRY', 'the receiver has no encryption certificate in the registry');
    return recipientEncryptionCertPem;
  };
  const options = { clock };
  switch (mode) {
    case 'cms':
      return { body: protect(content, keys.identity, recipient(), options), contentType: PROTECTED_CONTENT_TYPE };
    case 'signed-only':
      return { body: signContent(content, keys.identity, options), contentType: PROTECTED_CONTENT_TYPE };
    case 'wrong-recipient': {
      if (!keys.ownEncryptionCertificatePem) throw new SimulatorError('SIM_KEYS', '"wrong-recipient" needs keys.decryption.certificate');
      return { body: protect(content, keys.identity, keys.ownEncryptionCertificatePem, options), contentType: PROTECTED_CONTENT_TYPE };
    }
    case 'unknown-signer': {
      // Signed with a certificate of ours that the registry does not list as our signing certificate.
      if (!keys.ownEncryptionCertificatePem) throw new SimulatorError('SIM_KEYS', '"unknown-signer" needs keys.decryption.certificate');
      const key = 'key' in keys.decryption.current ? keys.decryption.current.key : keys.decryption.current;
      const other: SigningIdentity = { key, certificatePem: keys.ownEncryptionCertificatePem };
      return { body: envelopeContent(signContent(content, other, options), recipient(), options), contentType: PROTECTED_CONTENT_TYPE };
    }
    case 'tampered': {
      const body = protect(content, keys.identity, recipient(), options);
      // The last ciphertext block: its CBC padding (or the structure under it) no longer checks out.
      const at = body.length - 8;
      body[at] = (body[at] ?? 0) ^ 0x5a;
      return { body, contentType: PROTECTED_CONTENT_TYPE };
    }
    default:
      throw new SimulatorError('SIM_SETTINGS', `unknown protection mode ${String(mode)}`);
  }
}

/** What opening an answer gave: the verified XML, or the step where it failed, in an integrator's words. */
export type OpenedBody =
  | { ok: true; xml: string; protectedBy: 'cms' | 'none'; signerThumbprint: string | null }
  | { ok: false; stage: 'decrypt' | 'verify' | 'plain-refused'; code: string; explanation: string };

/**
 * Opens an answer from `senderHerId`. Plain XML is accepted only when the simulator runs without keys.
 * Never throws for what the other side sent.
 */
export function openBody(body: Buffer, keys: SimKeys | null, senderSigningCertsPem: string[], senderHerId: number | null): OpenedBody {
  const looksLikeXml = /^\s*(<\?xml|<)/.test(body.subarray(0, 64).toString('utf8').replace(/^\uFEFF/, ''));
  if (keys === null) {
    if (looksLikeXml) return { ok: true, xml: body.toString('utf8'), protectedBy: 'none', signerThumbprint: null };
    return { ok: false, stage: 'decrypt', code: 'SIM_NO_KEYS', explanation: 'the answer is CMS-protected but the simulator has no keys to open it (settings "keys")' };
  }
  if (looksLikeXml) {
    return { ok: false, stage: 'plain-refused', code: 'PLAIN_XML', explanation: 'the answer is plain XML: on the bus every answer must be signed and encrypted (CMS)' };
  }
  let envelope;
  try {
    envelope = decryptEnvelope(body, keys.decryption);
  } catch (e) {
    const code = isTimebokError(e) ? e.code : 'ERR_UNKNOWN';
    return { ok: false, stage: 'decrypt', code, explanation: explainProtectionFailure(code, 'decrypt', senderHerId) };
  }
  try {
    const verified = verifySignedContent(envelope.tree, senderSigningCertsPem, keys.trust);
    return { ok: true, xml: verified.content.toString('utf8'), protectedBy: 'cms', signerThumbprint: verified.signerThumbprint };
  } catch (e) {
    const code = isTimebokError(e) ? e.code : 'ERR_UNKNOWN';
    return { ok: false, stage: 'verify', code, explanation: explainProtectionFailure(code, 'verify', senderHerId) };
  }
}

/** An integrator's sentence for a protection failure on an answer we received. */
export function explainProtectionFailure(code: string, stage: 'decrypt' | 'verify', senderHerId: number | null): string {
  const who = senderHerId === null ? 'the sender' : `HER-id ${senderHerId}`;
  switch (code) {
    case 'ERR_PROTECTION_DECRYPT':
      return `the answer could not be decrypted with the simulator's key: ${who} encrypted it for another certificate than the simulator's encryption certificate in the registry (or the bytes were damaged)`;
    case 'ERR_PROTECTION_CMS':
      return `the answer is not a well-formed CMS signed-and-enveloped message (${stage === 'decrypt' ? 'envelope' : 'signature part'})`;
    case 'ERR_PROTECTION_ALGORITHM':
      return `the answer uses an algorithm Helsenorge refuses (e.g. 3DES, SHA-1); use AES-256-CBC and SHA-256`;
    case 'ERR_PROTECTION_CERTIFICATE':
      return `unknown signer: the answer is signed with a certificate that is not ${who}'s signing certificate in the registry (or that certificate is not trusted / has the wrong key usage)`;
    case 'ERR_PROTECTION_EXPIRED':
      return `${who}'s signing certificate has expired or is not yet valid`;
    case 'ERR_PROTECTION_REVOKED':
      return `${who}'s signing certificate is revoked`;
    case 'ERR_PROTECTION_REVOCATION_UNKNOWN':
      return `the revocation status of ${who}'s signing certificate is unknown (no current CRL configured for the simulator)`;
    case 'ERR_PROTECTION_SIGNATURE':
      return `the signature of the answer does not verify: the content was changed after signing or signed with another key`;
    default:
      return `the answer could not be opened (${code})`;
  }
}
