import type { Party } from '../registry/types.js';
import type { Clock } from '../shared/clock.js';
import { TimebokError } from '../shared/errors.js';
import { parseCertificate } from './certificates.js';
import { protect, type SigningIdentity } from './cms.protect.js';
import { certificateError } from './errors.js';
import { loadCertificatesFile } from './keys.js';
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

const CERTIFICATE_CODES = new Set(['ERR_PROTECTION_CERTIFICATE', 'ERR_PROTECTION_EXPIRED', 'ERR_PROTECTION_REVOKED']);

/**
 * Protects outgoing messages for a receiver from the registry: signs with our identity, encrypts for the
 * receiver's encryption certificate after checking it (validity, KeyEncipherment, chain, CRL). The
 * certificate file is cached; a failed check re-reads it once. When the file holds several certificates
 * the newest valid one is used (protocol §3: "use the newest by default").
 */
export class CmsProtector {
  private readonly cache = new Map<string, string[]>();
  private readonly read: (path: string) => string[];

  constructor(private readonly options: CmsProtectorOptions) {
    this.read = options.readCertificates ?? ((path) => loadCertificatesFile(path));
  }

  async protect(content: Uint8Array, receiver: Party): Promise<Uint8Array> {
    const path = receiver.certificates?.encryption ?? null;
    if (path === null) {
      throw certificateError('no encryption certificate registered for the receiver', { herId: receiver.herId });
    }
    const certificates = this.cache.get(path) ?? this.load(path);
    try {
      return this.protectWith(content, certificates);
    } catch (e) {
      if (!(e instanceof TimebokError) || !CERTIFICATE_CODES.has(e.code)) throw e;
      const party = this.options.refreshParty ? await this.options.refreshParty(receiver.herId) : receiver;
      const freshPath = party?.certificates?.encryption ?? path;
      const fresh = this.load(freshPath);
      if (freshPath === path && fresh.join('') === certificates.join('')) throw e;
      return this.protectWith(content, fresh);
    }
  }

  private protectWith(content: Uint8Array, certificates: string[]): Uint8Array {
    const { identity, trust, clock } = this.options;
    const newestFirst = [...certificates].sort(
      (a, b) => parseCertificate(b).notBefore.getTime() - parseCertificate(a).notBefore.getTime(),
    );
    let lastError: unknown = certificateError('no encryption certificate in the registry file');
    for (const pem of newestFirst) {
      try {
        return protect(content, identity, pem, { clock, trust });
      } catch (e) {
        if (!(e instanceof TimebokError) || !CERTIFICATE_CODES.has(e.code)) throw e;
        lastError = e;
      }
    }
    throw lastError;
  }

  clear(): void {
    this.cache.clear();
  }

  private load(path: string): string[] {
    let certificates: string[];
    try {
      certificates = this.read(path);
    } catch (e) {
      throw new TimebokError('ERR_DEPENDENCY_UNAVAILABLE', 'Registry certificate file cannot be read.', { cause: e });
    }
    this.cache.set(path, certificates);
    return certificates;
  }
}
