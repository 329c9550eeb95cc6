/**
 * The simulator's settings file (docs/simulator.md "Settings"): who Helsenorge is, where the registry
 * is, the keys, and the transport. Paths are relative to the file. Command-line options override it.
 *
 *   {
 *     "herId": 8093248,
 *     "registry": "registry.json",
 *     "keys": { "signing": { "key": "hn-sign.key.pem", "certificate": "hn-sign.pem" },
 *               "decryption": { "key": "hn-enc.key.pem", "certificate": "hn-enc.pem" },
 *               "trust": { "anchors": ["root-ca.pem"], "intermediates": ["issuing-ca.pem"], "crls": ["issuing-ca.crl.pem"] } },
 *     "transport": { "kind": "amqp10", "url": "amqp://guest:guest@127.0.0.1:5672" },
 *     "syncReplyQueue": "8093248_syncreply",
 *     "checkSchemas": true
 *   }
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { loadSchemaSet, type SchemaSet } from '../envelope/schema.validator.js';
import { keyPairSchema, trustFilesSchema } from '../protection/key-files.schema.js';
import { SimulatorError } from './errors.js';
import { loadSimKeys, type SimKeyFiles } from './protection.js';
import { SimRegistry } from './registry.js';
import { HelsenorgeSimulator } from './simulator.js';
import { Amqp091Transport } from './transport/amqp091.transport.js';
import { Amqp10Transport } from './transport/amqp10.transport.js';
import { SpoolTransport } from './transport/spool.transport.js';
import type { SimTransport } from './transport/wire.js';

const keysSchema = z.strictObject({
  signing: keyPairSchema,
  decryption: keyPairSchema,
  passphrase: z.string().optional(),
  trust: trustFilesSchema,
});

const transportSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('spool'), dir: z.string().min(1), pollMs: z.number().int().min(10).max(10_000).optional() }),
  z.strictObject({ kind: z.literal('amqp091'), url: z.string().min(1) }),
  z.strictObject({ kind: z.literal('amqp10'), url: z.string().min(1), sendAddress: z.string().optional(), receiveAddress: z.string().optional() }),
]);

export const settingsSchema = z.strictObject({
  herId: z.number().int().positive().default(8093248),
  registry: z.string().min(1),
  keys: keysSchema.nullable().optional(),
  transport: transportSchema,
  syncReplyQueue: z.string().min(1).optional(),
  timeZone: z.string().default('Europe/Oslo'),
  checkSchemas: z.boolean().default(true),
});

export type SimulatorSettings = z.output<typeof settingsSchema>;
export type TransportSettings = z.output<typeof transportSchema>;

/** Reads a settings file; relative paths become absolute. @throws SimulatorError SIM_SETTINGS */
export function loadSettingsFile(path: string): SimulatorSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new SimulatorError('SIM_SETTINGS', `${path}: cannot be read as JSON`);
  }
  return parseSettings(raw, dirname(resolve(path)), path);
}

export function parseSettings(raw: unknown, baseDir: string, label = 'settings'): SimulatorSettings {
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SimulatorError('SIM_SETTINGS', `${label}: ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`);
  }
  const s = parsed.data;
  const file = (p: string) => resolve(baseDir, p);
  const keys: SimKeyFiles | null = s.keys
    ? {
        signing: { key: file(s.keys.signing.key), ...(s.keys.signing.certificate ? { certificate: file(s.keys.signing.certificate) } : {}) },
        decryption: { key: file(s.keys.decryption.key), ...(s.keys.decryption.certificate ? { certificate: file(s.keys.decryption.certificate) } : {}) },
        ...(s.keys.passphrase ? { passphrase: s.keys.passphrase } : {}),
        trust: {
          anchors: s.keys.trust.anchors.map(file),
          intermediates: (s.keys.trust.intermediates ?? []).map(file),
          crls: (s.keys.trust.crls ?? []).map(file),
          revocation: s.keys.trust.revocation ?? 'crl',
        },
      }
    : null;
  return {
    ...s,
    registry: file(s.registry),
    keys,
    transport: s.transport.kind === 'spool' ? { ...s.transport, dir: file(s.transport.dir) } : s.transport,
  };
}

export function createTransport(t: TransportSettings): SimTransport {
  switch (t.kind) {
    case 'spool':
      return new SpoolTransport({ dir: t.dir, ...(t.pollMs ? { pollMs: t.pollMs } : {}) });
    case 'amqp091':
      return new Amqp091Transport(t.url);
    case 'amqp10':
      return new Amqp10Transport({ url: t.url, ...(t.sendAddress ? { sendAddress: t.sendAddress } : {}), ...(t.receiveAddress ? { receiveAddress: t.receiveAddress } : {}) });
  }
}

export interface OpenSimulator {
  simulator: HelsenorgeSimulator;
  registry: SimRegistry;
  settings: SimulatorSettings;
  close(): Promise<void>;
}

/** Loads registry, keys and schemas, connects the transport and starts reading the simulator's queues. */
export async function openSimulator(settings: SimulatorSettings, options: { sendAppRecs?: boolean; start?: boolean } = {}): Promise<OpenSimulator> {
  const registry = await SimRegistry.load(settings.registry).catch((e: unknown) => {
    if (e instanceof SimulatorError) throw e;
    throw new SimulatorError('SIM_REGISTRY', `registry ${settings.registry}: ${e instanceof Error ? e.message : String(e)}`);
  });
  if (!registry.has(settings.herId)) throw new SimulatorError('SIM_SETTINGS', `herId ${settings.herId} (Helsenorge) is not in the registry`);
  const keys = settings.keys ? loadSimKeys(settings.keys as SimKeyFiles) : null;
  const schemas: SchemaSet | null = settings.checkSchemas ? await loadSchemaSet() : null;
  const transport = createTransport(settings.transport);
  const simulator = new HelsenorgeSimulator({
    registry,
    keys,
    transport,
    herId: settings.herId,
    schemas,
    ...(settings.syncReplyQueue ? { syncReplyQueue: settings.syncReplyQueue } : {}),
    ...(options.sendAppRecs === undefined ? {} : { sendAppRecs: options.sendAppRecs }),
  });
  if (options.start !== false) await simulator.start();
  return {
    simulator,
    registry,
    settings,
    async close() {
      await simulator.stop();
      schemas?.dispose();
    },
  };
}
