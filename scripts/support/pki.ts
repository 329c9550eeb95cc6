/**
 * The test PKI for the protection tests. Keys are never committed: the PKI is generated with
 * generateTestPki into the system temp folder once, and shared by every test file of the run (and the
 * next runs) under a name derived from the generator's source, so a change to the generator makes a new
 * one. Generation is atomic (write to a private folder, then rename).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FixedClock } from '../../src/shared/clock.js';
import { loadCertificateFile, loadKeyFile, loadTrust, type TrustFiles } from '../../src/protection/keys.js';
import type { SigningIdentity } from '../../src/protection/cms.protect.js';
import type { TrustOptions } from '../../src/protection/trust.js';
import { generateTestPki, type TestPki, type TestPkiEntry } from './test-pki.js';

const here = dirname(fileURLToPath(import.meta.url));
const generatorSource = resolve(here, 'test-pki.ts');

/** The clinic (us) and Helsenorge (the counterparty) in these tests. */
export const US = '8142519';
export const HELSENORGE = '115851';

/** A moment inside every ordinary certificate's validity and after the "expired" one's. */
export const TEST_NOW = new Date('2026-03-01T10:00:00Z');

function absolutise(value: unknown, dir: string): unknown {
  if (typeof value === 'string' && /\.(pem|der|p12|key\.pem)$/.test(value)) return join(dir, value);
  if (Array.isArray(value)) return value.map((v) => absolutise(v, dir));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'dir' ? dir : absolutise(v, dir)]));
  }
  return value;
}

export async function sharedTestPki(): Promise<TestPki> {
  const hash = createHash('sha256').update(readFileSync(generatorSource)).digest('hex').slice(0, 16);
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const dir = join(tmpdir(), `timebok-test-pki-${uid}-${hash}`);
  const manifest = join(dir, 'pki.json');
  if (!existsSync(manifest)) {
    const work = mkdtempSync(join(tmpdir(), 'timebok-test-pki-work-'));
    await generateTestPki(work, { parties: [Number(US), Number(HELSENORGE)] });
    try {
      renameSync(work, dir);
    } catch {
      // another test worker got there first
      rmSync(work, { recursive: true, force: true });
    }
  }
  return absolutise(JSON.parse(readFileSync(manifest, 'utf8')), dir) as TestPki;
}

export function trustFiles(pki: TestPki, extra: Partial<TrustFiles> = {}): TrustFiles {
  return {
    anchors: [pki.rootCa.certPath],
    intermediates: [pki.issuingCa.certPath],
    crls: [pki.crls.issuing, pki.crls.root],
    ...extra,
  };
}

export function testTrust(pki: TestPki, extra: Partial<TrustFiles> = {}, clock = new FixedClock(TEST_NOW)): TrustOptions {
  return loadTrust(trustFiles(pki, extra), clock);
}

export function identity(entry: TestPkiEntry): SigningIdentity {
  return { key: loadKeyFile(entry.keyPath), certificatePem: loadCertificateFile(entry.certPath) };
}

export function certPem(entry: TestPkiEntry): string {
  return loadCertificateFile(entry.certPath);
}

/** Runs openssl with binary stdin/stdout; throws with stderr on failure. */
export function openssl(args: string[], input?: Uint8Array): Buffer {
  return execFileSync('openssl', args, {
    input: input === undefined ? undefined : Buffer.from(input),
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}
