import { resolve } from 'node:path';
import { z } from 'zod';
import { TimebokError } from '../shared/errors.js';
import { DEFAULT_XML_LIMITS, type XmlLimits } from '../envelope/types.js';

const MIB = 1024 * 1024;

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Every setting, read from the environment (and `.env.example` documents each). Validated at start-up:
 * a bad value stops Timebok with the variable's name and what is wrong.
 */
const EnvSchema = z.object({
  DATABASE_URL: z.string().min(1).default('sqlite:var/timebok.sqlite'),
  AMQP_URL: z.string().optional(),
  SPOOL_DIR: z.string().default('var/spool'),
  SPOOL_POLL_MS: int(50, 60_000).default(500),
  REGISTRY_FILE: z.string().default('fixtures/demo/registry.json'),
  TIMEBOOKS_FILE: z.string().default('fixtures/demo/timebooks.json'),
  OUR_HER_IDS: z
    .string()
    .regex(/^\s*(\d+\s*(,\s*\d+\s*)*)?$/, 'a comma-separated list of HER-ids')
    .default(''),
  ACCEPT_SYNTHETIC_IDS: bool.optional(),
  ALLOW_PLAIN_XML: bool.default(true),
  MAX_BODY_BYTES: int(1024, 20 * MIB).default(DEFAULT_XML_LIMITS.maxBytes),
  MAX_XML_DEPTH: int(10, 1000).default(DEFAULT_XML_LIMITS.maxDepth),
  MAX_VEVENTS: int(1, 10_000).default(DEFAULT_XML_LIMITS.maxVevents),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  databaseUrl: string;
  amqpUrl: string | null;
  spoolDir: string;
  spoolPollMs: number;
  registryFile: string;
  timebooksFile: string;
  ourHerIds: number[];
  acceptSyntheticIds: boolean;
  allowPlainXml: boolean;
  limits: XmlLimits;
  logLevel: string;
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
    amqpUrl: e.AMQP_URL ?? null,
    spoolDir: resolve(cwd, e.SPOOL_DIR),
    spoolPollMs: e.SPOOL_POLL_MS,
    registryFile: resolve(cwd, e.REGISTRY_FILE),
    timebooksFile: resolve(cwd, e.TIMEBOOKS_FILE),
    ourHerIds: e.OUR_HER_IDS.split(',').map((s) => s.trim()).filter(Boolean).map(Number),
    // Off by default (DECISIONS 10); on for the bundled demo world, whose patients are synthetic.
    acceptSyntheticIds: e.ACCEPT_SYNTHETIC_IDS ?? (env.REGISTRY_FILE === undefined && env.TIMEBOOKS_FILE === undefined),
    allowPlainXml: e.ALLOW_PLAIN_XML,
    limits: { maxBytes: e.MAX_BODY_BYTES, maxDepth: e.MAX_XML_DEPTH, maxVevents: e.MAX_VEVENTS },
    logLevel: e.LOG_LEVEL,
  };
}
