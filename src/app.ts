import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Database } from './db/database.js';
import type { GroupCommitOptions } from './db/group-commit.js';
import { ALL_ENTITIES, ALL_MIGRATIONS } from './db/schema.js';
import { loadSchemaSet, type SchemaSet } from './envelope/schema.validator.js';
import type { XmlLimits } from './envelope/types.js';
import { Pipeline, type Unprotector } from './pipeline/pipeline.js';
import { PlainXmlUnprotector } from './protection/plain.unprotector.js';
import { CmsUnprotector } from './protection/cms.unprotector.js';
import { CmsProtector } from './protection/cms.protector.js';
import { loadIdentity, loadKeyFile, loadCertificateFile, loadTrust } from './protection/keys.js';
import { checkCertificate, type TrustOptions } from './protection/trust.js';
import type { DecryptionKey } from './protection/cms.unprotect.js';
import { CmsEncoder, PlainEncoder, type OutboundEncoder } from './protection/outbound.js';
import type { ProtectionConfig } from './config/config.js';
import { importRegistry, setOurParties } from './registry/registry.import.js';
import { loadRegistryFile } from './registry/registry.file.js';
import { RegistryService } from './registry/registry.service.js';
import { importTimebooks, loadTimebooksFile } from './timebook/timebook.import.js';
import { TimebookService } from './timebook/timebook.service.js';
import type { Clock } from './shared/clock.js';
import { isTimebokError } from './shared/errors.js';
import type { InboundDelivery } from './pipeline/types.js';
import type { Party } from './registry/types.js';
import type { Logger } from './shared/logger.js';

export interface AppOptions {
  databaseUrl: string;
  clock: Clock;
  logger: Logger;
  limits: XmlLimits;
  acceptSyntheticIds: boolean;
  /** HER-ids served besides the owners of timebooks (docs/decisions.md §1). */
  ourHerIds?: number[];
  /** A compiled schema set to share (tests compile it once); loaded when absent. */
  schemas?: SchemaSet;
  unprotector?: Unprotector;
  /** Accept unprotected XML on the spool/replay (default true; see ALLOW_PLAIN_XML). */
  allowPlainXml?: boolean;
  /** Keys and trust for CMS (docs/protection.md); null/absent = no CMS (plain XML on the spool only). */
  protection?: ProtectionConfig | null;
  /** Group commit of the message path (default DEFAULT_GROUP_COMMIT). */
  groupCommit?: GroupCommitOptions;
  /** Clock for certificate validity and CRL freshness (default `clock`; replay uses the real time). */
  protectionClock?: Clock;
}

/** Everything one Timebok process holds, wired together; transports are added by the caller. */
export interface App {
  db: Database;
  schemas: SchemaSet;
  registry: RegistryService;
  timebooks: TimebookService;
  pipeline: Pipeline;
  /** Wire encoding of outgoing rows: CMS sign-then-encrypt when keys are configured, else plain XML. */
  encoder: OutboundEncoder;
  clock: Clock;
  logger: Logger;
  close(): Promise<void>;
}

/** Composition of the stages (no transport): database, schemas, registry, timebooks, pipeline. */
export async function createApp(options: AppOptions): Promise<App> {
  const db = await Database.open({ url: options.databaseUrl, entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS, ...(options.groupCommit ? { groupCommit: options.groupCommit } : {}) });
  const ownSchemas = options.schemas === undefined;
  const schemas = options.schemas ?? (await loadSchemaSet());
  const registry = new RegistryService(db);
  const timebooks = new TimebookService(options.clock, {
    // The book's HER-id is a service or a practitioner; its office is its level-1 parent (docs/decisions.md §25).
    practitionersOfOffice: async (bookHerId: number) => {
      const party = await registry.getParty(bookHerId);
      const officeHerId = party?.parentHerId ?? bookHerId;
      return registry.practitionersOfOffice(officeHerId);
    },
  });
  const refreshParty = async (herId: number) => {
    registry.invalidate(herId);
    return registry.getParty(herId);
  };
  let cms: ReturnType<typeof openProtection> | null = null;
  try {
    cms = options.protection ? openProtection(options.protection, options.protectionClock ?? options.clock, options.logger, refreshParty) : null;
  } catch (err) {
    await db.close();
    if (ownSchemas) schemas.dispose();
    throw err;
  }
  const allowPlain = options.allowPlainXml ?? true;
  const unprotector = options.unprotector ?? (cms ? new PlainOrCms(cms.unprotector, allowPlain) : new PlainXmlUnprotector(allowPlain));
  const encoder: OutboundEncoder = cms
    ? new CmsEncoder(cms.protector, (herId) => registry.getParty(herId))
    : new PlainEncoder();
  const pipeline = new Pipeline({
    db,
    schemas,
    registry,
    timebooks,
    unprotector,
    clock: options.clock,
    logger: options.logger,
    settings: { limits: options.limits, acceptSyntheticIds: options.acceptSyntheticIds },
  });
  return {
    db,
    schemas,
    registry,
    timebooks,
    pipeline,
    encoder,
    clock: options.clock,
    logger: options.logger,
    async close() {
      await db.close();
      if (ownSchemas) schemas.dispose();
    },
  };
}

/**
 * Opens the configured keys and trust once at start-up, and checks our own certificates against the
 * trust (a bad key file, a certificate that does not fit its key or is expired stops Timebok here).
 */
function openProtection(
  config: ProtectionConfig,
  clock: Clock,
  logger: Logger,
  refreshParty: (herId: number) => Promise<Party | null>,
): { unprotector: CmsUnprotector; protector: CmsProtector; trust: TrustOptions } {
  const trust = loadTrust(config.trust, clock);
  // Our own certificates must be usable; an out-of-date CRL only means we cannot tell yet (alert, go on).
  const checkOurs = (pem: string, use: 'signing' | 'encryption') => {
    try {
      checkCertificate(pem, use, trust);
    } catch (e) {
      if (!(isTimebokError(e) && e.code === 'ERR_PROTECTION_REVOCATION_UNKNOWN')) throw e;
      logger.warn({ alert: 'crl-out-of-date', use, reason: e.message }, 'revocation status of our own certificate is unknown');
    }
  };
  const identity = loadIdentity({
    key: config.signing.key,
    ...(config.signing.certificate ? { certificate: config.signing.certificate } : {}),
    ...(config.passphrase ? { passphrase: config.passphrase } : {}),
  });
  checkOurs(identity.certificatePem, 'signing');
  const decryptionKey = (pair: { key: string; certificate?: string }): DecryptionKey => ({
    key: loadKeyFile(pair.key, config.passphrase),
    ...(pair.certificate ? { certificatePem: loadCertificateFile(pair.certificate, config.passphrase) } : {}),
  });
  const current = decryptionKey(config.decryption);
  if (current.certificatePem) checkOurs(current.certificatePem, 'encryption');
  const keys = {
    current,
    ...(config.legacyDecryption ? { legacy: [decryptionKey(config.legacyDecryption)] } : {}),
  };
  return {
    trust,
    unprotector: new CmsUnprotector({ keys, trust, refreshParty }),
    protector: new CmsProtector({ identity, trust, clock, refreshParty }),
  };
}

/**
 * With keys: CMS bodies are unprotected; a plain XML body is accepted only on the spool/replay and only
 * when ALLOW_PLAIN_XML is on (never on AMQP).
 */
class PlainOrCms implements Unprotector {
  private readonly plain: PlainXmlUnprotector;

  constructor(
    private readonly cms: CmsUnprotector,
    allowPlainXml: boolean,
  ) {
    this.plain = new PlainXmlUnprotector(allowPlainXml);
  }

  unprotect(delivery: InboundDelivery, sender: Party | null): Promise<Uint8Array> {
    if (delivery.transport !== 'amqp' && delivery.body[0] !== 0x30) return this.plain.unprotect(delivery);
    return this.cms.unprotect(delivery, sender);
  }
}

export interface SetupSummary {
  parties: number;
  timebooks: number;
  ourHerIds: number[];
  /** True when the files were unchanged since the last import and nothing was imported. */
  skipped?: boolean;
}

/**
 * Imports registry.json and timebooks.json (both idempotent) and records which parties are ours: the
 * owners of timebooks plus the configured HER-ids (docs/decisions.md §1, §2).
 */
export async function importSetup(
  app: App,
  registryFile: string,
  timebooksFile: string,
  extraOurs: number[] = [],
  options: {
    certificates?: ReadonlyMap<number, { signing: string | null; encryption: string | null }>;
    /**
     * Skip the import when the files and our HER-ids are the ones the last import read (the service's
     * start: a restart with unchanged files writes nothing; slots are rolled forward on demand).
     */
    skipUnchanged?: boolean;
  } = {},
): Promise<SetupSummary> {
  return app.db.exclusive('setup-import', () => importSetupLocked(app, registryFile, timebooksFile, extraOurs, options));
}

async function importSetupLocked(
  app: App,
  registryFile: string,
  timebooksFile: string,
  extraOurs: number[],
  options: { certificates?: ReadonlyMap<number, { signing: string | null; encryption: string | null }>; skipUnchanged?: boolean },
): Promise<SetupSummary> {
  const digest = createHash('sha256')
    .update(JSON.stringify([resolve(registryFile), resolve(timebooksFile), [...extraOurs].sort(), [...(options.certificates ?? [])]]))
    .update(await readFile(registryFile))
    .update(await readFile(timebooksFile))
    .digest('hex');
  if (options.skipUnchanged) {
    const last = await app.db.query<{ digest: string }>('SELECT digest FROM setup_import WHERE id = 1');
    if (last[0]?.digest === digest) {
      const timebookData = await loadTimebooksFile(timebooksFile);
      const ours = [...new Set([...timebookData.timebooks.map((t) => t.herId), ...extraOurs])].sort((a, b) => a - b);
      const parties = await app.db.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM registry_party');
      return { parties: Number(parties[0]?.n ?? 0), timebooks: timebookData.timebooks.length, ourHerIds: ours, skipped: true };
    }
  }
  const registryData = await loadRegistryFile(registryFile);
  // Replay with a keys file: the certificates it names for a party replace the registry's.
  for (const party of registryData.parties) {
    const given = options.certificates?.get(party.herId);
    if (given) party.certificates = { signing: given.signing ?? party.certificates?.signing ?? null, encryption: given.encryption ?? party.certificates?.encryption ?? null };
  }
  const timebookData = await loadTimebooksFile(timebooksFile);
  await importRegistry(app.db, registryData, registryFile, app.clock);
  await importTimebooks(app.db, timebookData, app.clock);
  const ours = [...new Set([...timebookData.timebooks.map((t) => t.herId), ...extraOurs])].sort((a, b) => a - b);
  await setOurParties(app.db, ours);
  await app.db.run(async (tx) => {
    const at = app.clock.now().toISOString();
    await tx.query('DELETE FROM setup_import WHERE id = 1');
    await tx.query('INSERT INTO setup_import (id, digest, imported_at) VALUES (1, ?, ?)', [digest, at]);
  });
  app.registry.invalidate();
  return { parties: registryData.parties.length, timebooks: timebookData.timebooks.length, ourHerIds: ours, skipped: false };
}
