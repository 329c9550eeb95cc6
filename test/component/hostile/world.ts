/**
 * The world the hostile corpus and the fuzzer run in: fixtures/replay-2019 with TIMEONSKEUNGDOM also
 * activated on the GP 91095 (test/fixtures/hostile/setup/), the clock at 2019-07-01 09:00 Oslo, limits
 * lowered so that over-limit inputs stay small (body 128 KiB, depth 100, 20 VEVENTs), and optionally
 * message protection with the test PKI (Helsenorge 8093248 signs, we decrypt).
 */
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, importSetup, type App } from '../../../src/app.js';
import type { ProtectionConfig } from '../../../src/config/config.js';
import type { SchemaSet } from '../../../src/envelope/schema.validator.js';
import type { XmlLimits } from '../../../src/envelope/types.js';
import type { InboundDelivery, ProcessOutcome } from '../../../src/pipeline/types.js';
import { envelopeContent, PROTECTED_CONTENT_TYPE, signContent } from '../../../src/protection/cms.protect.js';
import { parseDer, type DerNode } from '../../../src/protection/der.js';
import type { TestPki, TestPkiEntry } from '../../../scripts/support/test-pki.js';
import { FixedClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { sniffSenderHerId } from '../../../src/transport/file-headers.js';
import { certPem, HELSENORGE, identity, TEST_NOW, US } from '../../fixtures/protection/pki.js';
import { EXAMPLES, ROOT } from '../pipeline/helpers.js';

export const HOSTILE = join(ROOT, 'test/fixtures/hostile');
export const CORPUS = join(HOSTILE, 'corpus');
export const SETUP = join(HOSTILE, 'setup');
export const HOSTILE_LIMITS: XmlLimits = { maxBytes: 128 * 1024, maxDepth: 100, maxVevents: 20 };
export const HN_SERVICE = 8093248;
export const GP = 91095;

export const PLAINTEXTS: Record<string, string> = {
  rt: join(EXAMPLES, 'DIALOG_INNBYGGER_TIMERESERVASJON/1.2/Reserver-time--Foresporsel-innbygger--Reserver-time.xml'),
  hlt: join(EXAMPLES, 'DIALOG_INNBYGGER_TIMERESERVASJON/1.2/Ledige-timer--Foresporsel-innbygger--Hent-ledige-timer.xml'),
  art: join(EXAMPLES, 'DIALOG_INNBYGGER_TIMERESERVASJON/1.2/Avbestill-time--Foresporsel-innbygger--Avbestill-reservert-time.xml'),
  ot: join(EXAMPLES, 'DIALOG_INNBYGGER_TIMEONSKE/1.2/Onske-om-time--Foresporsel-innbygger--Onske-om-time.xml'),
};

export interface HostileWorld {
  app: App;
  process(delivery: InboundDelivery): Promise<ProcessOutcome>;
  /** Appointments in the database (anything booked). */
  appointments(): Promise<number>;
  /** Back to the freshly imported state: no appointment, request, inbox or outbox row. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

function protection(pki: TestPki): ProtectionConfig {
  const us = pki.parties[US]!;
  return {
    signing: { key: us.signing.keyPath, certificate: us.signing.certPath },
    decryption: { key: us.encryption.keyPath, certificate: us.encryption.certPath },
    legacyDecryption: { key: us.legacyEncryption.keyPath, certificate: us.legacyEncryption.certPath },
    trust: { anchors: [pki.rootCa.certPath], intermediates: [pki.issuingCa.certPath], crls: [pki.crls.issuing, pki.crls.root], revocation: 'crl' },
  };
}

export async function openHostileWorld(schemas: SchemaSet, pki?: TestPki): Promise<HostileWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'timebok-hostile-'));
  const app = await createApp({
    databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`,
    clock: new FixedClock(new Date('2019-07-01T07:00:00Z')),
    ...(pki ? { protectionClock: new FixedClock(TEST_NOW), protection: protection(pki) } : {}),
    logger: silentLogger,
    limits: HOSTILE_LIMITS,
    acceptSyntheticIds: false,
    schemas,
  });
  if (pki) {
    const hnSigning = join(dir, 'hn-signing.pem');
    copyFileSync(pki.parties[HELSENORGE]!.signing.certPath, hnSigning);
    await importSetup(app, join(SETUP, 'registry.json'), join(SETUP, 'timebooks.json'), [], {
      certificates: new Map([[HN_SERVICE, { signing: hnSigning, encryption: pki.parties[HELSENORGE]!.encryption.certPath }]]),
    });
  } else {
    await importSetup(app, join(SETUP, 'registry.json'), join(SETUP, 'timebooks.json'));
  }
  const count = async () => Number(((await app.db.manager.query('SELECT COUNT(*) AS n FROM appointment')) as { n: number }[])[0]?.n);
  return {
    app,
    process: (d) => app.pipeline.process(d),
    appointments: count,
    async reset() {
      for (const sql of ['DELETE FROM appointment', 'DELETE FROM citizen_request', 'DELETE FROM outbox_message', 'DELETE FROM inbox_message', 'UPDATE slot SET booked = 0']) {
        await app.db.manager.query(sql);
      }
    },
    close: () => app.close(),
  };
}

/** How a corpus input is delivered: spool on our GP's async queue, sender sniffed like the spool does. */
export function deliveryFor(
  body: Uint8Array,
  messageId: string,
  d: { queue?: string; fromHerId?: number; toHerId?: number; transport?: 'amqp' | 'spool'; contentType?: string } = {},
): InboundDelivery {
  const transport = d.transport ?? 'spool';
  const fromHerId = d.fromHerId ?? sniffSenderHerId(body);
  const base: InboundDelivery = {
    transport,
    queue: d.queue ?? `${GP}_async`,
    body,
    messageId,
    ...(fromHerId !== undefined ? { fromHerId } : {}),
    ...(d.toHerId !== undefined ? { toHerId: d.toHerId } : {}),
    ...(d.contentType !== undefined ? { contentType: d.contentType } : {}),
  };
  if (transport !== 'amqp') return base;
  return {
    toHerId: GP,
    subject: 'DIALOG_INNBYGGER_TIMERESERVASJON',
    applicationTimeStamp: '2019-07-01T07:00:00Z',
    contentType: PROTECTED_CONTENT_TYPE,
    ...base,
  };
}

// ------------------------------------------------------------------------------------- CMS recipes

export interface CmsRecipe {
  plaintext: keyof typeof PLAINTEXTS | string;
  signer: 'helsenorge' | 'us' | 'helsenorge-encryption' | 'stranger';
  recipient: 'us' | 'helsenorge' | 'stranger';
  seed?: number;
  includeCertificates?: boolean;
  mutate?: {
    truncate?: number;
    flipCiphertext?: number;
    zeroLastBlock?: boolean;
    flipEncryptedKey?: number;
    flipIv?: number;
    dropLastBlock?: boolean;
    dropCiphertextBytes?: number;
    replaceOid?: { where: 'content' | 'digest' | 'signature' | 'keyTransport'; oid: string };
  };
}

function strangers(pki: TestPki): TestPkiEntry[] {
  const s = pki.special;
  return [s.untrusted, s.expired, s.notYetValid, s.revoked, s.wrongUsageSigning, s.impostor];
}

function signerEntry(pki: TestPki, who: CmsRecipe['signer']): TestPkiEntry {
  if (who === 'us') return pki.parties[US]!.signing;
  if (who === 'helsenorge-encryption') return pki.parties[HELSENORGE]!.encryption;
  if (who === 'stranger') return pki.special.untrusted;
  return pki.parties[HELSENORGE]!.signing;
}

function recipientEntry(pki: TestPki, who: CmsRecipe['recipient'], seed = 0): TestPkiEntry {
  if (who === 'helsenorge') return pki.parties[HELSENORGE]!.encryption;
  if (who === 'stranger') return strangers(pki)[seed % 6]!;
  return pki.parties[US]!.encryption;
}

/** Signs and encrypts a plaintext as the recipe says, then applies its mutation. */
export function buildCms(recipe: CmsRecipe, pki: TestPki, plaintext?: Uint8Array): Buffer {
  const content = plaintext ?? readFileSync(PLAINTEXTS[recipe.plaintext] ?? recipe.plaintext);
  const options = { clock: new FixedClock(TEST_NOW), ...(recipe.includeCertificates === false ? { includeCertificates: false } : {}) };
  let signed = signContent(content, identity(signerEntry(pki, recipe.signer)), options);
  const m = recipe.mutate ?? {};
  if (m.replaceOid && (m.replaceOid.where === 'digest' || m.replaceOid.where === 'signature')) {
    signed = replaceInSignedData(signed, m.replaceOid.where, m.replaceOid.oid);
  }
  let cms = envelopeContent(signed, certPem(recipientEntry(pki, recipe.recipient, recipe.seed)), options);
  cms = mutateEnvelope(cms, m);
  if (m.truncate !== undefined) cms = cms.subarray(0, m.truncate < 0 ? cms.length + m.truncate : m.truncate);
  return cms;
}

const OID = {
  sha256: '2.16.840.1.101.3.4.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRsa: '1.2.840.113549.1.1.11',
};

function oidText(n: DerNode): string | null {
  if (n.cls !== 0 || n.tag !== 6 || n.constructed) return null;
  const b = n.buf.subarray(n.contentStart, n.contentEnd);
  const arcs: number[] = [];
  let v = 0;
  for (const byte of b) {
    v = v * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  return arcs.join('.');
}

function encodeOid(text: string): Buffer {
  const arcs = text.split('.').map(Number);
  const out: number[] = [];
  const push = (v: number) => {
    const bytes = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift(0x80 | (v & 0x7f));
    out.push(...bytes);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return Buffer.from(out);
}

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Re-encodes a parsed tree with definite lengths; `edit` may return new content for a node. */
function encode(n: DerNode, edit: (n: DerNode) => Buffer | null): Buffer {
  const id = Buffer.from(n.buf.subarray(n.start, n.start + 1));
  if (id[0]! & 0x1f) {
    // low tag numbers only in CMS
  }
  const replaced = edit(n);
  const content = replaced ?? (n.constructed ? Buffer.concat(n.children.map((c) => encode(c, edit))) : Buffer.from(n.buf.subarray(n.contentStart, n.contentEnd)));
  return Buffer.concat([id, len(content.length), content]);
}

function replaceInSignedData(signed: Buffer, where: 'digest' | 'signature', oid: string): Buffer {
  const root = parseDer(signed);
  const sd = root.children[1]!.children[0]!; // ContentInfo [0] SignedData
  const certificates = sd.children.find((c) => c.cls === 2 && c.tag === 0);
  const targets = where === 'digest' ? [OID.sha256] : [OID.rsaEncryption, OID.sha256WithRsa];
  const inCerts = (n: DerNode) => certificates !== undefined && n.start >= certificates.start && n.end <= certificates.end;
  return encode(root, (n) => {
    const t = oidText(n);
    return t !== null && targets.includes(t) && !inCerts(n) ? encodeOid(oid) : null;
  });
}

function mutateEnvelope(cms: Buffer, m: NonNullable<CmsRecipe['mutate']>): Buffer {
  const needs = m.flipCiphertext !== undefined || m.zeroLastBlock || m.flipEncryptedKey !== undefined || m.flipIv !== undefined || m.dropLastBlock || m.dropCiphertextBytes !== undefined || (m.replaceOid && (m.replaceOid.where === 'content' || m.replaceOid.where === 'keyTransport'));
  if (!needs) return cms;
  const root = parseDer(cms);
  const env = root.children[1]!.children[0]!;
  const recipient = env.children.find((c) => c.cls === 0 && c.tag === 17)!.children[0]!;
  const keyAlg = recipient.children[2]!;
  const encryptedKey = recipient.children[3]!;
  const eci = env.children.find((c) => c.cls === 0 && c.tag === 16 && c.children.length >= 2 && c.children.some((x) => x.cls === 2))!;
  const contentAlg = eci.children[1]!;
  const iv = contentAlg.children[1]!;
  const encrypted = eci.children[2]!;
  const out = Buffer.from(cms);
  const flip = (node: DerNode, index: number) => {
    const at = index < 0 ? node.contentEnd + index : node.contentStart + index;
    out[at] = out[at]! ^ 0x5a;
  };
  if (m.flipCiphertext !== undefined) flip(encrypted, m.flipCiphertext);
  if (m.zeroLastBlock) out.fill(0, encrypted.contentEnd - 16, encrypted.contentEnd);
  if (m.flipEncryptedKey !== undefined) flip(encryptedKey, m.flipEncryptedKey);
  if (m.flipIv !== undefined) flip(iv, m.flipIv);
  if (!m.dropLastBlock && m.dropCiphertextBytes === undefined && !m.replaceOid) return out;
  const tree = parseDer(out);
  const drop = m.dropLastBlock ? 16 : (m.dropCiphertextBytes ?? 0);
  return encode(tree, (n) => {
    if (n.start === encrypted.start && drop > 0) return Buffer.from(out.subarray(n.contentStart, n.contentEnd - drop));
    if (m.replaceOid?.where === 'content' && n.start === contentAlg.children[0]!.start) return encodeOid(m.replaceOid.oid);
    if (m.replaceOid?.where === 'keyTransport' && n.start === keyAlg.children[0]!.start) return encodeOid(m.replaceOid.oid);
    return null;
  });
}
