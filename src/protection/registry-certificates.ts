import type { Party } from '../registry/types.js';
import { TimebokError } from '../shared/errors.js';
import { loadCertificatesFile } from './keys.js';

/** Errors about a registry certificate that a fresh copy from the registry may cure (protocol §3). */
const CERTIFICATE_CODES = new Set(['ERR_PROTECTION_CERTIFICATE', 'ERR_PROTECTION_EXPIRED', 'ERR_PROTECTION_REVOKED']);

export function isCertificateError(e: unknown): e is TimebokError {
  return e instanceof TimebokError && CERTIFICATE_CODES.has(e.code);
}

export interface RegistryCertificatesOptions {
  /** Which of the party's certificate files. */
  use: 'signing' | 'encryption';
  /** Reads a certificate file (PEM; may hold several during a roll-over). Default loadCertificatesFile. */
  read?: (path: string) => string[];
  /** Drops the party from the registry cache and reads it again from the registry source. */
  refreshParty?: (herId: number) => Promise<Party | null>;
  /** Puts a file's certificates in the order to try them, once per read (default: as in the file). */
  order?: (certificates: string[]) => string[];
}

/**
 * The certificate files the registry names for parties, read once and cached. `use` runs `work` with a
 * party's certificates; when it fails with a certificate error, the party is refreshed from the registry
 * and its file read again, and `work` is repeated once if either gave something new ("drop the cache,
 * fetch again, retry").
 */
export class RegistryCertificates {
  private readonly cache = new Map<string, string[]>();
  private readonly read: (path: string) => string[];

  constructor(private readonly options: RegistryCertificatesOptions) {
    this.read = options.read ?? ((path) => loadCertificatesFile(path));
  }

  /** The party's file, or null when the registry names none. */
  pathOf(party: Party | null): string | null {
    return party?.certificates?.[this.options.use] ?? null;
  }

  async use<T>(party: Party, path: string, work: (certificates: string[]) => T): Promise<T> {
    const certificates = this.cache.get(path) ?? this.load(path);
    try {
      return work(certificates);
    } catch (e) {
      if (!isCertificateError(e)) throw e;
      const fresh = this.options.refreshParty ? await this.options.refreshParty(party.herId) : party;
      const freshPath = this.pathOf(fresh) ?? path;
      const again = this.load(freshPath);
      if (freshPath === path && again.join('') === certificates.join('')) throw e;
      return work(again);
    }
  }

  /** Forget every cached file (after a registry refresh). */
  clear(): void {
    this.cache.clear();
  }

  private load(path: string): string[] {
    let certificates: string[];
    try {
      certificates = this.read(path);
    } catch (e) {
      // The registry names a file we cannot read: a dependency problem, not the other party's fault.
      throw new TimebokError('ERR_DEPENDENCY_UNAVAILABLE', 'Registry certificate file cannot be read.', { cause: e });
    }
    const ordered = this.options.order ? this.options.order(certificates) : certificates;
    this.cache.set(path, ordered);
    return ordered;
  }
}
