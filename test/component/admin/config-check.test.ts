import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConfigCheck } from '../../../src/cli/config-check.command.js';
import { FixedClock } from '../../../src/shared/clock.js';
import type { TestPki } from '../../../src/protection/test-pki.js';
import { TEST_NOW, US, sharedTestPki } from '../../fixtures/protection/pki.js';
import { ROOT } from '../staff/world.js';

/** `timebok config check`: what the service would load, checked without starting it. */
let pki: TestPki;
let dir: string;
beforeAll(async () => {
  pki = await sharedTestPki();
  dir = mkdtempSync(join(tmpdir(), 'timebok-config-check-'));
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const party = pki.parties[US]!;
  return {
    DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
    SPOOL_DIR: join(dir, 'spool'),
    REGISTRY_FILE: join(ROOT, 'test/fixtures/staff/setup/registry.json'),
    TIMEBOOKS_FILE: join(ROOT, 'test/fixtures/staff/setup/timebooks.json'),
    SIGNING_KEY_FILE: party.signing.keyPath,
    SIGNING_CERT_FILE: party.signing.certPath,
    DECRYPTION_KEY_FILE: party.encryption.keyPath,
    DECRYPTION_CERT_FILE: party.encryption.certPath,
    TRUST_ANCHOR_FILES: pki.rootCa.certPath,
    INTERMEDIATE_CA_FILES: pki.issuingCa.certPath,
    CRL_FILES: `${pki.crls.issuing},${pki.crls.root}`,
    ADMIN_PORT: '8470',
    ADMIN_TOKENS_FILE: join(ROOT, 'test/fixtures/admin/tokens.txt'),
    HELSENORGE_HER_ID: '8093248',
    ...extra,
  };
}

async function check(e: NodeJS.ProcessEnv): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runConfigCheck({ env: e, cwd: ROOT, out: (l) => lines.push(l), clock: new FixedClock(TEST_NOW) });
  return { code, lines };
}

test('a complete, valid configuration: exit 0 and what was found, certificates with their end dates', async () => {
  const { code, lines } = await check(env());
  expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
  expect(code).toBe(0);
  expect(lines).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^ok {4}SIGNING_KEY_FILE: key and certificate fit; .*valid until 2045-01-01/),
      expect.stringMatching(/^ok {4}DECRYPTION_KEY_FILE: key readable; .*valid until 2045-01-01/),
      expect.stringMatching(/^ok {4}TRUST_ANCHOR_FILES: 1 anchor\(s\), 1 intermediate\(s\), 2 CRL\(s\)/),
      expect.stringMatching(/^ok {4}ADMIN_TOKENS_FILE: 2 token\(s\): kari \(staff\), ops \(operator\)/),
      expect.stringMatching(/^ok {4}TIMEBOOKS_FILE: .*3 timebooks/),
      'configuration ok',
    ]),
  );
});

test('an expired signing certificate, a key that does not fit, a broken tokens file and timebooks file: exit 1 naming each', async () => {
  const tokens = join(dir, 'tokens.txt');
  writeFileSync(tokens, 'kari staff sha256:abc\n');
  const books = join(dir, 'timebooks.json');
  writeFileSync(books, JSON.stringify({ timebooks: [{ id: 'x', herId: 1235, kind: 'Lab', name: 'X', horizonDays: 0 }] }));
  const { code, lines } = await check(
    env({
      SIGNING_KEY_FILE: pki.special.expired.keyPath,
      SIGNING_CERT_FILE: pki.special.expired.certPath,
      DECRYPTION_CERT_FILE: pki.parties[US]!.signing.certPath,
      ADMIN_TOKENS_FILE: tokens,
      TIMEBOOKS_FILE: books,
    }),
  );
  expect(code).toBe(1);
  const failed = lines.filter((l) => l.startsWith('FAIL')).map((l) => l.split(':')[0]);
  expect(failed).toEqual(['FAIL  TIMEBOOKS_FILE', 'FAIL  SIGNING_KEY_FILE', 'FAIL  DECRYPTION_KEY_FILE', 'FAIL  ADMIN_TOKENS_FILE']);
  expect(lines.find((l) => l.startsWith('FAIL  TIMEBOOKS_FILE'))).toMatch(/timebooks\[0\]\.horizonDays/);
  expect(lines.find((l) => l.startsWith('FAIL  ADMIN_TOKENS_FILE'))).toMatch(/line 1/);
  expect(lines.at(-1)).toBe('configuration has 4 problems');
});

test('a bad setting stops the check naming the variable', async () => {
  const { code, lines } = await check(env({ RETENTION_DAYS: '0' }));
  expect(code).toBe(1);
  expect(lines).toEqual([expect.stringMatching(/^FAIL {2}settings: setting RETENTION_DAYS: /)]);
});
