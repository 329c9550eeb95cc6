import type { ProtectionConfig } from '../config/config.js';
import type { Database } from '../db/database.js';
import { parseCertificate } from '../protection/certificates.js';
import { loadCertificateFile, loadIdentity } from '../protection/keys.js';
import { PartyEntity } from '../registry/registry.entities.js';

/** One certificate Timebok relies on, and when it ends. */
export interface CertificateInfo {
  owner: 'ours' | 'counterparty';
  /** HER-id of the counterparty; null for ours. */
  herId: number | null;
  use: 'signing' | 'encryption' | 'legacy-encryption';
  file: string;
  notAfter: string | null;
  /** Null when the file cannot be read or parsed. */
  problem: string | null;
}

/** Our certificates from the protection settings (none when CMS is off). */
export function ourCertificates(p: ProtectionConfig | null): CertificateInfo[] {
  if (p === null) return [];
  const out: CertificateInfo[] = [];
  const one = (use: CertificateInfo['use'], file: string, read: () => string) => {
    try {
      out.push({ owner: 'ours', herId: null, use, file, notAfter: parseCertificate(read()).notAfter.toISOString(), problem: null });
    } catch (err) {
      out.push({ owner: 'ours', herId: null, use, file, notAfter: null, problem: err instanceof Error ? err.message : 'unreadable' });
    }
  };
  one('signing', p.signing.certificate ?? p.signing.key, () =>
    loadIdentity({ key: p.signing.key, ...(p.signing.certificate ? { certificate: p.signing.certificate } : {}), ...(p.passphrase ? { passphrase: p.passphrase } : {}) }).certificatePem,
  );
  for (const [use, pair] of [['encryption', p.decryption], ['legacy-encryption', p.legacyDecryption]] as const) {
    if (pair?.certificate) one(use, pair.certificate, () => loadCertificateFile(pair.certificate as string, p.passphrase));
  }
  return out;
}

/** The counterparties' certificates named in the imported registry (each file read once). */
export async function counterpartyCertificates(db: Database): Promise<CertificateInfo[]> {
  const parties = await db.manager.getRepository(PartyEntity).find();
  const out: CertificateInfo[] = [];
  const seen = new Map<string, { notAfter: string | null; problem: string | null }>();
  for (const party of parties) {
    for (const use of ['signing', 'encryption'] as const) {
      const file = party.certificates?.[use];
      if (!file) continue;
      let info = seen.get(file);
      if (!info) {
        try {
          info = { notAfter: parseCertificate(loadCertificateFile(file)).notAfter.toISOString(), problem: null };
        } catch (err) {
          info = { notAfter: null, problem: err instanceof Error ? err.message : 'unreadable' };
        }
        seen.set(file, info);
      }
      out.push({ owner: 'counterparty', herId: Number(party.herId), use, file, ...info });
    }
  }
  return out;
}
