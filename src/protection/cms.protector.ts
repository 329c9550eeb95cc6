import type { Party } from '../registry/types.js';
import type { Clock } from '../shared/clock.js';
import { parseCertificate } from './certificates.js';
import { protect, type SigningIdentity } from './cms.protect.js';
import { certificateError } from './errors.js';
import { isCertificateError, RegistryCertificates } from './registry-certificates.js';
import type { TrustOptions } from './trust.js';

export interface CmsProtectorOptions {
  identity: SigningIdentity;
  trust: TrustOptions;
  clock: Clock;
  /** Reads a registry certificate file (PEM). Default loadCertificatesFile. */
  readCertificates?: (path: string) => string[];
  /** Drops the party from the registry cache and reads it again from the registry source. */
  refreshParty?: (herId: number) => Promise<Party | null>;
}

/**
 * Protects outgoing messages for a receiver from the registry: signs with our identity, encrypts for the
 * receiver's encryption certificate after checking it (validity, KeyEncipherment, chain, CRL). The
 * certificate file is cached; a failed check re-reads it once. When the file holds several certificates
 * the newest valid one is used (protocol §3: "use the newest by default").
 */
export class CmsProtector {
  private readonly certificates: RegistryCertificates;

  constructor(private readonly options: CmsProtectorOptions) {
    this.certificates = new RegistryCertificates({
      use: 'encryption',
      ...(options.readCertificates ? { read: options.readCertificates } : {}),
      ...(options.refreshParty ? { refreshParty: options.refreshParty } : {}),
      // newest first, sorted once per file read rather than per message
      order: (pems) =>
        pems
          .map((pem) => ({ pem, from: parseCertificate(pem).notBefore.getTime() }))
          .sort((a, b) => b.from - a.from)
          .map((c) => c.pem),
    });
  }

  async protect(content: Uint8Array, receiver: Party): Promise<Uint8Array> {
    const path = this.certificates.pathOf(receiver);
    if (path === null) {
      throw certificateError('no encryption certificate registered for the receiver', { herId: receiver.herId });
    }
    return this.certificates.use(receiver, path, (newestFirst) => this.protectWith(content, newestFirst));
  }

  private protectWith(content: Uint8Array, newestFirst: string[]): Uint8Array {
    const { identity, trust, clock } = this.options;
    let lastError: unknown = null;
    for (const pem of newestFirst) {
      try {
        return protect(content, identity, pem, { clock, trust });
      } catch (e) {
        if (!isCertificateError(e)) throw e;
        lastError = e;
      }
    }
    // (built only here: an error captures a stack trace, too dear to make for every message)
    throw lastError ?? certificateError('no encryption certificate in the registry file');
  }

  clear(): void {
    this.certificates.clear();
  }
}
