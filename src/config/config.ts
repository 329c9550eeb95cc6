import { resolve } from 'node:path';
import { z } from 'zod';
import { TimebokError } from '../shared/errors.js';
import { DEFAULT_XML_LIMITS, type XmlLimits } from '../envelope/types.js';

const MIB = 1024 * 1024;

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const herIdList = z.string().regex(/^\s*(\d+\s*(,\s*\d+\s*)*)?$/, 'a comma-separated list of HER-ids');
const splitList = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

/**
 * Every setting, read from the environment (and `.env.example` documents each). Validated at start-up:
 * a bad value stops Timebok with the variable's name and what is wrong.
 */
const EnvSchema = z.object({
  DATABASE_URL: z.string().min(1).default('sqlite:var/timebok.sqlite'),
  // Most messages in one transaction (group commit, docs/decisions.md §42); 1 = one transaction each.
  DB_GROUP_COMMIT: int(1, 256).default(16),
  AMQP_URL: z.string().optional(),
  SPOOL_DIR: z.string().default('var/spool'),
  SPOOL_POLL_MS: int(50, 60_000).default(500),
  SPOOL_SETTLE_MS: int(0, 60_000).default(200),
  REGISTRY_FILE: z.string().default('fixtures/demo/registry.json'),
  TIMEBOOKS_FILE: z.string().default('fixtures/demo/timebooks.json'),
  OUR_HER_IDS: herIdList.default(''),
  ACCEPT_SYNTHETIC_IDS: bool.optional(),
  ALLOW_PLAIN_XML: bool.optional(),
  MAX_BODY_BYTES: int(1024, 20 * MIB).default(DEFAULT_XML_LIMITS.maxBytes),
  MAX_XML_DEPTH: int(10, 1000).default(DEFAULT_XML_LIMITS.maxDepth),
  MAX_VEVENTS: int(1, 10_000).default(DEFAULT_XML_LIMITS.maxVevents),
  // Message protection (docs/protection.md). With no signing key, CMS is off: plain XML only (spool/replay).
  SIGNING_KEY_FILE: z.string().optional(),
  SIGNING_CERT_FILE: z.string().optional(),
  DECRYPTION_KEY_FILE: z.string().optional(),
  DECRYPTION_CERT_FILE: z.string().optional(),
  LEGACY_DECRYPTION_KEY_FILE: z.string().optional(),
  LEGACY_DECRYPTION_CERT_FILE: z.string().optional(),
  KEY_PASSPHRASE: z.string().optional(),
  TRUST_ANCHOR_FILES: z.string().default(''),
  INTERMEDIATE_CA_FILES: z.string().default(''),
  CRL_FILES: z.string().default(''),
  REVOCATION_CHECK: z.enum(['crl', 'none']).default('crl'),
  // RabbitMQ transport (docs/amqp.md); used when AMQP_URL is set.
  AMQP_HER_IDS: herIdList.default(''),
  AMQP_PREFETCH: int(1, 1000).default(50),
  AMQP_DELIVERY_LIMIT: int(1, 1000).default(10),
  AMQP_SYNC_REPLY_TTL_MS: int(1000, 600_000).default(15_000),
  AMQP_RECONNECT_MAX_MS: int(100, 600_000).default(30_000),
  // AMQP 1.0 is what Helsenorge requires (docs/amqp.md); 0-9-1 is the second transport.
  AMQP_PROTOCOL: z.enum(['1.0', '0-9-1']).default('1.0'),
  AMQP_TLS_CA_FILE: z.string().optional(),
  AMQP_TLS_CERT_FILE: z.string().optional(),
  AMQP_TLS_KEY_FILE: z.string().optional(),
  AMQP_TLS_PASSPHRASE: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Staff: Helsenorge's HER-id (level 2) for Avtale pushes about desk bookings (docs/staff.md).
  HELSENORGE_HER_ID: int(1, 2_147_483_647).optional(),
  // Admin API, staff page, health and metrics (docs/admin.md); off unless ADMIN_PORT is set.
  ADMIN_PORT: int(0, 65_535).optional(),
  ADMIN_HOST: z.string().default('127.0.0.1'),
  ADMIN_TOKENS_FILE: z.string().optional(),
  RETENTION_DAYS: int(1, 3650).default(90),
  REGISTRY_MAX_AGE_DAYS: int(1, 3650).default(30),
});

export interface Config {
  databaseUrl: string;
  /** Most messages sharing one transaction (group commit); 1 = each alone. */
  groupCommit: number;
  amqpUrl: string | null;
  spoolDir: string;
  spoolPollMs: number;
  /** A spool file is read once its size and mtime have been stable this long (docs/spool.md). */
  spoolSettleMs: number;
  registryFile: string;
  timebooksFile: string;
  ourHerIds: number[];
  acceptSyntheticIds: boolean;
  allowPlainXml: boolean;
  limits: XmlLimits;
  /** Key and trust files; null when CMS protection is not configured (no SIGNING_KEY_FILE). */
  protection: ProtectionConfig | null;
  amqp: AmqpConfig;
  logLevel: string;
  // Staff: Avtale pushes about desk bookings go to this Helsenorge party; null = not configured.
  helsenorgeHerId: number | null;
  admin: AdminConfig;
}

export interface AdminConfig {
  /** ADMIN_PORT; null = no admin server. */
  port: number | null;
  host: string;
  /** ADMIN_TOKENS_FILE (absolute); null = no tokens (every /api call gets 401). */
  tokensFile: string | null;
  /** RETENTION_DAYS: message bodies, processed spool files and stored replies older than this are deleted. */
  retentionDays: number;
  /** REGISTRY_MAX_AGE_DAYS: an older registry snapshot makes /readyz fail. */
  registryMaxAgeDays: number;
}

export interface ProtectionConfig {
  signing: { key: string; certificate?: string };
  decryption: { key: string; certificate?: string };
  legacyDecryption: { key: string; certificate?: string } | null;
  passphrase?: string;
  trust: { anchors: string[]; intermediates: string[]; crls: string[]; revocation: 'crl' | 'none' };
}

export interface AmqpConfig {
  /** HER-ids whose queues this process consumes; empty = all of ours. */
  herIds: number[];
  prefetch: number;
  /** x-delivery-limit of every consumed queue: deliveries before a message is dead-lettered. */
  deliveryLimit: number;
  syncReplyTtlMs: number;
  reconnectMaxMs: number;
  /** Which AMQP the transport speaks: `1.0` (NHN's bus, the default) or `0-9-1`. */
  protocol: AmqpProtocol;
  /** TLS files for `amqps://` (absolute paths); empty = system CA store, no client certificate. */
  tls: AmqpTlsConfig;
}

export type AmqpProtocol = '1.0' | '0-9-1';

export interface AmqpTlsConfig {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  passphrase?: string;
}

/** Reads the configuration; throws ERR_CONFIG naming the variable on a bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const parsed = EnvSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = issue?.path.join('.') ?? '?';
    throw new TimebokError('ERR_CONFIG', `setting ${name}: ${issue?.message ?? 'invalid'}`, { detail: { setting: name } });
  }
  const e = parsed.data;
  const databaseUrl = /^postgres(ql)?:\/\//.test(e.DATABASE_URL) || e.DATABASE_URL === ':memory:'
    ? e.DATABASE_URL
    : `sqlite:${resolve(cwd, e.DATABASE_URL.replace(/^sqlite:/, ''))}`;
  return {
    databaseUrl,
    groupCommit: e.DB_GROUP_COMMIT,
    amqpUrl: e.AMQP_URL ?? null,
    spoolDir: resolve(cwd, e.SPOOL_DIR),
    spoolPollMs: e.SPOOL_POLL_MS,
    spoolSettleMs: e.SPOOL_SETTLE_MS,
    registryFile: resolve(cwd, e.REGISTRY_FILE),
    timebooksFile: resolve(cwd, e.TIMEBOOKS_FILE),
    ourHerIds: splitList(e.OUR_HER_IDS).map(Number),
    // Off by default (docs/decisions.md §10); on for the bundled demo world, whose patients are synthetic.
    acceptSyntheticIds: e.ACCEPT_SYNTHETIC_IDS ?? (env.REGISTRY_FILE === undefined && env.TIMEBOOKS_FILE === undefined),
    // Plain XML only when a setting allows it; on by default only for the bundled demo world without keys.
    allowPlainXml: e.ALLOW_PLAIN_XML ?? (env.REGISTRY_FILE === undefined && env.TIMEBOOKS_FILE === undefined && e.SIGNING_KEY_FILE === undefined),
    limits: { maxBytes: e.MAX_BODY_BYTES, maxDepth: e.MAX_XML_DEPTH, maxVevents: e.MAX_VEVENTS },
    protection: protectionConfig(e, cwd),
    amqp: {
      herIds: splitList(e.AMQP_HER_IDS).map(Number),
      prefetch: e.AMQP_PREFETCH,
      deliveryLimit: e.AMQP_DELIVERY_LIMIT,
      syncReplyTtlMs: e.AMQP_SYNC_REPLY_TTL_MS,
      reconnectMaxMs: e.AMQP_RECONNECT_MAX_MS,
      protocol: e.AMQP_PROTOCOL,
      tls: {
        ...(e.AMQP_TLS_CA_FILE ? { caFile: resolve(cwd, e.AMQP_TLS_CA_FILE) } : {}),
        ...(e.AMQP_TLS_CERT_FILE ? { certFile: resolve(cwd, e.AMQP_TLS_CERT_FILE) } : {}),
        ...(e.AMQP_TLS_KEY_FILE ? { keyFile: resolve(cwd, e.AMQP_TLS_KEY_FILE) } : {}),
        ...(e.AMQP_TLS_PASSPHRASE ? { passphrase: e.AMQP_TLS_PASSPHRASE } : {}),
      },
    },
    logLevel: e.LOG_LEVEL,
    // Staff
    helsenorgeHerId: e.HELSENORGE_HER_ID ?? null,
    admin: {
      port: e.ADMIN_PORT ?? null,
      host: e.ADMIN_HOST,
      tokensFile: e.ADMIN_TOKENS_FILE ? resolve(cwd, e.ADMIN_TOKENS_FILE) : null,
      retentionDays: e.RETENTION_DAYS,
      registryMaxAgeDays: e.REGISTRY_MAX_AGE_DAYS,
    },
  };
}

function protectionConfig(e: z.infer<typeof EnvSchema>, cwd: string): ProtectionConfig | null {
  const file = (v: string) => resolve(cwd, v);
  const pair = (key: string | undefined, certificate: string | undefined) =>
    key === undefined ? null : { key: file(key), ...(certificate ? { certificate: file(certificate) } : {}) };
  const signing = pair(e.SIGNING_KEY_FILE, e.SIGNING_CERT_FILE);
  if (signing === null) {
    const stray = (['DECRYPTION_KEY_FILE', 'SIGNING_CERT_FILE', 'TRUST_ANCHOR_FILES'] as const).find((k) => e[k]);
    if (stray) throw new TimebokError('ERR_CONFIG', `setting ${stray}: needs SIGNING_KEY_FILE as well`, { detail: { setting: stray } });
    return null;
  }
  const decryption = pair(e.DECRYPTION_KEY_FILE, e.DECRYPTION_CERT_FILE);
  if (decryption === null) throw new TimebokError('ERR_CONFIG', 'setting DECRYPTION_KEY_FILE: required with SIGNING_KEY_FILE', { detail: { setting: 'DECRYPTION_KEY_FILE' } });
  const anchors = splitList(e.TRUST_ANCHOR_FILES).map(file);
  if (anchors.length === 0) throw new TimebokError('ERR_CONFIG', 'setting TRUST_ANCHOR_FILES: required with SIGNING_KEY_FILE', { detail: { setting: 'TRUST_ANCHOR_FILES' } });
  return {
    signing,
    decryption,
    legacyDecryption: pair(e.LEGACY_DECRYPTION_KEY_FILE, e.LEGACY_DECRYPTION_CERT_FILE),
    ...(e.KEY_PASSPHRASE ? { passphrase: e.KEY_PASSPHRASE } : {}),
    trust: {
      anchors,
      intermediates: splitList(e.INTERMEDIATE_CA_FILES).map(file),
      crls: splitList(e.CRL_FILES).map(file),
      revocation: e.REVOCATION_CHECK,
    },
  };
}
