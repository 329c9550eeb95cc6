import type { Unprotector } from '../pipeline/pipeline.js';
import type { InboundDelivery } from '../pipeline/types.js';
import type { Party } from '../registry/types.js';
import { decryptEnvelope, verifySignedContent, type DecryptionKeys } from './cms.unprotect.js';
import { certificateError } from './errors.js';
import { RegistryCertificates } from './registry-certificates.js';
import type { TrustOptions } from './trust.js';

export interface CmsUnprotectorOptions {
  keys: DecryptionKeys;
  trust: TrustOptions;
  /** Reads a registry certificate file (PEM; may hold several for a roll-over). Default loadCertificatesFile. */
  readCertificates?: (path: string) => string[];
  /** Drops the party from the registry cache and reads it again from the registry source. */
  refreshParty?: (herId: number) => Promise<Party | null>;
}

/**
 * The pipeline's Unprotector for CMS bodies: decrypts with our keys, then verifies against the signing
 * certificate(s) the registry holds for the claimed sender (the AMQP `fromHerId`). Registry certificate
 * files are read once and cached; when the certificate check fails, the party is refreshed from the
 * registry source and its file read again, and the check repeated once ("drop the cache, fetch again,
 * retry").
 *
 * @throws TimebokError ERR_PROTECTION_* (see unprotect); ERR_PROTECTION_CERTIFICATE when the sender is
 *   unknown or has no signing certificate.
 */
export class CmsUnprotector implements Unprotector {
  private readonly certificates: RegistryCertificates;

  constructor(private readonly options: CmsUnprotectorOptions) {
    this.certificates = new RegistryCertificates({
      use: 'signing',
      ...(options.readCertificates ? { read: options.readCertificates } : {}),
      ...(options.refreshParty ? { refreshParty: options.refreshParty } : {}),
    });
  }

  async unprotect(delivery: InboundDelivery, sender: Party | null): Promise<Uint8Array> {
    const envelope = decryptEnvelope(delivery.body, this.options.keys);
    const path = this.certificates.pathOf(sender);
    if (sender === null || path === null) {
      throw certificateError('no signing certificate registered for the sender', {
        herId: sender?.herId ?? delivery.fromHerId ?? null,
        expectedThumbprints: [],
        actualThumbprint: null,
      });
    }
    return this.certificates.use(sender, path, (certificates) => verifySignedContent(envelope.tree, certificates, this.options.trust).content);
  }

  /** Forget cached registry certificates (after a registry refresh). */
  clear(): void {
    this.certificates.clear();
  }
}
