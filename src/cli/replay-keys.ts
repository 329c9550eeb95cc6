/**
 * The replay keys file (TEST/INTEGRATION use): our keys and trust, and for counterparties the
 * certificates to register for them and, where given, the signing key replay uses to sign and encrypt
 * their messages as they would. Paths are relative to the file. `scripts/gen-test-pki.ts` writes one.
 *
 * {
 *   "ours":    { "signing": { "key": "…", "certificate": "…" }, "decryption": { "key": "…", "certificate": "…" },
 *                "legacyDecryption"?: { … }, "passphrase"?: "…",
 *                "trust": { "anchors": ["…"], "intermediates"?: ["…"], "crls"?: ["…"], "revocation"?: "crl" | "none" } },
 *   "parties": { "115851": { "signingCertificate": "…", "encryptionCertificate": "…", "signingKey"?: "…" } }
 * }
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import type { ProtectionConfig } from '../config/config.js';
import { keyPairSchema, trustFilesSchema } from '../protection/key-files.schema.js';
import { TimebokError } from '../shared/errors.js';

const keysFileSchema = z.strictObject({
  ours: z.strictObject({
    signing: keyPairSchema,
    decryption: keyPairSchema,
    legacyDecryption: keyPairSchema.optional(),
    passphrase: z.string().optional(),
    trust: trustFilesSchema,
  }),
  parties: z
    .record(
      z.string().regex(/^\d+$/, 'a HER-id'),
      z.strictObject({
        signingCertificate: z.string().min(1).optional(),
        encryptionCertificate: z.string().min(1).optional(),
        signingKey: z.string().min(1).optional(),
      }),
    )
    .default({}),
});

export interface ReplayParty {
  signingCertificate: string | null;
  encryptionCertificate: string | null;
  /** With a key, replay signs this party's messages and encrypts them for us. */
  signingKey: string | null;
}

export interface ReplayKeys {
  ours: ProtectionConfig;
  parties: Map<number, ReplayParty>;
}

/** @throws TimebokError ERR_SETUP_FILE naming the file and the first problem (never a key). */
export function loadReplayKeys(path: string): ReplayKeys {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new TimebokError('ERR_SETUP_FILE', `${path}: cannot be read as JSON`, { cause: e });
  }
  const parsed = keysFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TimebokError('ERR_SETUP_FILE', `${path}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const base = dirname(resolve(path));
  const file = (p: string) => resolve(base, p);
  const pair = (p: { key: string; certificate?: string | undefined }) => ({ key: file(p.key), ...(p.certificate ? { certificate: file(p.certificate) } : {}) });
  const o = parsed.data.ours;
  const ours: ProtectionConfig = {
    signing: pair(o.signing),
    decryption: pair(o.decryption),
    legacyDecryption: o.legacyDecryption ? pair(o.legacyDecryption) : null,
    ...(o.passphrase ? { passphrase: o.passphrase } : {}),
    trust: {
      anchors: o.trust.anchors.map(file),
      intermediates: (o.trust.intermediates ?? []).map(file),
      crls: (o.trust.crls ?? []).map(file),
      revocation: o.trust.revocation ?? 'crl',
    },
  };
  const parties = new Map<number, ReplayParty>();
  for (const [herId, p] of Object.entries(parsed.data.parties)) {
    parties.set(Number(herId), {
      signingCertificate: p.signingCertificate ? file(p.signingCertificate) : null,
      encryptionCertificate: p.encryptionCertificate ? file(p.encryptionCertificate) : null,
      signingKey: p.signingKey ? file(p.signingKey) : null,
    });
  }
  return { ours, parties };
}

/**
 * Writes `replay-keys.json` and `timebok.env` next to a generated test PKI: the first party is us, the
 * others are counterparties whose messages replay signs and encrypts. TEST ONLY.
 */
export function writeTestKeyFiles(pki: { dir: string; p12Passphrase: string; parties: Record<string, { signing: { certPath: string; keyPath: string }; encryption: { certPath: string; keyPath: string } }>; rootCa: { certPath: string }; issuingCa: { certPath: string }; crls: { root: string; issuing: string } }, ourHerId: number): { keysFile: string; envFile: string } {
  const rel = (p: string) => relative(pki.dir, p);
  const ours = pki.parties[String(ourHerId)];
  if (!ours) throw new Error(`party ${ourHerId} is not in the PKI`);
  const parties: Record<string, { signingCertificate: string; encryptionCertificate: string; signingKey: string }> = {};
  for (const [herId, p] of Object.entries(pki.parties)) {
    if (herId === String(ourHerId)) continue;
    parties[herId] = { signingCertificate: rel(p.signing.certPath), encryptionCertificate: rel(p.encryption.certPath), signingKey: rel(p.signing.keyPath) };
  }
  const keys = {
    ours: {
      signing: { key: rel(ours.signing.keyPath), certificate: rel(ours.signing.certPath) },
      decryption: { key: rel(ours.encryption.keyPath), certificate: rel(ours.encryption.certPath) },
      trust: { anchors: [rel(pki.rootCa.certPath)], intermediates: [rel(pki.issuingCa.certPath)], crls: [rel(pki.crls.root), rel(pki.crls.issuing)] },
    },
    parties,
  };
  const keysFile = join(pki.dir, 'replay-keys.json');
  writeFileSync(keysFile, `${JSON.stringify(keys, null, 2)}\n`);
  const envFile = join(pki.dir, 'timebok.env');
  writeFileSync(
    envFile,
    [
      '# TEST ONLY: settings for a Timebok that uses this generated PKI (docs/protection.md).',
      `SIGNING_KEY_FILE=${ours.signing.keyPath}`,
      `SIGNING_CERT_FILE=${ours.signing.certPath}`,
      `DECRYPTION_KEY_FILE=${ours.encryption.keyPath}`,
      `DECRYPTION_CERT_FILE=${ours.encryption.certPath}`,
      `TRUST_ANCHOR_FILES=${pki.rootCa.certPath}`,
      `INTERMEDIATE_CA_FILES=${pki.issuingCa.certPath}`,
      `CRL_FILES=${pki.crls.root},${pki.crls.issuing}`,
      '',
    ].join('\n'),
  );
  return { keysFile, envFile };
}
