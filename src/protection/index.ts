/**
 * The protection stage: CMS SignedData inside CMS EnvelopedData, both ways, and the certificate checks
 * behind it. See docs/protection.md.
 *
 * Incoming: `unprotect(body, keys, senderSigningCertsPem, trust)` → the verified content.
 * Outgoing: `protect(content, identity, recipientEncryptionCertPem, { clock, trust })` → the AMQP body,
 * content type PROTECTED_CONTENT_TYPE.
 * Start-up: `loadIdentity`, `loadKeyFile`, `loadCertificateFile`, `loadTrust`, then
 * `checkCertificate(identity.certificatePem, 'signing', trust)` for our own certificate.
 */
export { protect, signContent, envelopeContent, PROTECTED_CONTENT_TYPE } from './cms.protect.js';
export type { SigningIdentity, ProtectOptions } from './cms.protect.js';
export { unprotect, decryptEnvelope, verifySignedContent, isProtectionError } from './cms.unprotect.js';
export type { DecryptionKey, DecryptionKeys, DecryptedEnvelope, VerifiedContent, UnprotectResult } from './cms.unprotect.js';
export { checkCertificate, prepareTrust } from './trust.js';
export type { TrustOptions, CertificateUse, CheckedCertificate } from './trust.js';
export { thumbprint, parseCertificate } from './certificates.js';
export type { ParsedCertificate } from './certificates.js';
export {
  loadKeyFile,
  loadCertificateFile,
  loadCertificatesFile,
  loadIdentity,
  loadCrlFile,
  loadTrust,
} from './keys.js';
export type { TrustFiles } from './keys.js';
export { DECRYPT_FAILED_MESSAGE } from './errors.js';
// The benchmark (runCryptoBench) lives in ./crypto.bench.js, outside this barrel: it pulls in the test PKI generator.
export { CmsUnprotector } from './cms.unprotector.js';
export type { CmsUnprotectorOptions } from './cms.unprotector.js';
export { CmsProtector } from './cms.protector.js';
export type { CmsProtectorOptions } from './cms.protector.js';
