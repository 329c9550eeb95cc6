import type { Unprotector } from '../pipeline/pipeline.js';
import type { InboundDelivery } from '../pipeline/types.js';
import type { Party } from '../registry/types.js';
import { TimebokError } from '../shared/errors.js';
import { decryptEnvelope, verifySignedContent, type DecryptionKeys } from './cms.unprotect.js';
import { certificateError } from './errors.js';
import { loadCertificatesFile } from './keys.js';
import type { TrustOptions } from './trust.js';

export interface CmsUnprotectorOptions {
  keys: DecryptionKeys;
  trust: TrustOptions;
  /** Reads a registry certificate file (PEM; may hold several for a roll-over). Default loadCertificatesFile. */
  readCertificates?: (path: string) => string[];
  /** Drops the party from the registry cache and reads it again from the registry source. */
  refreshParty?: (herId: number) => Promise<Party | null>;
}

/** Errors about the sender's certificate that a fresh copy from the registry may cure (protocol §3). */
const CERTIFICATE_CODES = new Set(['ERR_PROTECTION_CERTIFICATE', 'ERR_PROTECTION_EXPIRED', 'ERR_PROTECTION_REVOKED']);

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
  private readonly cache = new Map<string, string[]>();
  private readonly read: (path: string) => string[];

  constructor(private readonly options: CmsUnprotectorOptions) {
    this.read = options.readCertificates ?? ((path) => loadCertificatesFile(path));
  }

  async unprotect(delivery: InboundDelivery, sender: Party | null): Promise<Uint8Array> {
    const envelope = decryptEnvelope(delivery.body, this.options.keys);
    const path = sender?.certificates?.signing ?? null;
    if (sender === null || path === null) {
      throw certificateError('no signing certificate registered for the sender', {
        herId: sender?.herId ?? delivery.fromHerId ?? null,
        expectedThumbprints: [],
        actualThumbprint: null,
      });
    }
    const cached = this.cache.get(path);
    const certificates = cached ?? this.load(path);
    try {
      return verifySignedContent(envelope.tree, certificates, this.options.trust).content;
    } catch (e) {
      if (!(e instanceof TimebokError) || !CERTIFICATE_CODES.has(e.code)) throw e;
      // Once: the party again from the registry source (its certificate entry may have changed), and
      // the certificate file read again; the check is repeated only if either gave something new.
      const party = this.options.refreshParty ? await this.options.refreshParty(sender.herId) : sender;
      const freshPath = party?.certificates?.signing ?? path;
      const fresh = this.load(freshPath);
      if (freshPath === path && fresh.join('') === certificates.join('')) throw e;
      return verifySignedContent(envelope.tree, fresh, this.options.trust).content;
    }
  }

  /** Forget cached registry certificates (after a registry refresh). */
  clear(): void {
    this.cache.clear();
  }

  private load(path: string): string[] {
    let certificates: string[];
    try {
      certificates = this.read(path);
    } catch (e) {
      // The registry names a file we cannot read: a dependency problem, not the sender's fault.
      throw new TimebokError('ERR_DEPENDENCY_UNAVAILABLE', 'Registry certificate file cannot be read.', { cause: e });
    }
    this.cache.set(path, certificates);
    return certificates;
  }
}
