/** `timebok replay --keys`: senders' messages are signed and encrypted first; answers are also written protected. */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadReplayKeys } from '../../../src/cli/replay-keys.js';
import { ReplayUsageError, runReplay } from '../../../src/cli/replay.command.js';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { unprotect } from '../../../src/protection/cms.unprotect.js';
import { loadKeyFile } from '../../../src/protection/keys.js';
import type { TestPki } from '../../../scripts/support/test-pki.js';
import { certPem, HELSENORGE, sharedTestPki, testTrust, US } from '../../fixtures/protection/pki.js';
import { REPLAY_SETUP, TR } from '../pipeline/helpers.js';

let schemas: SchemaSet;
let pki: TestPki;
let keysFile: string;

beforeAll(async () => {
  schemas = await loadSchemaSet();
  pki = await sharedTestPki();
  const us = pki.parties[US]!;
  const hn = pki.parties[HELSENORGE]!;
  keysFile = join(mkdtempSync(join(tmpdir(), 'timebok-keys-')), 'replay-keys.json');
  writeFileSync(
    keysFile,
    JSON.stringify({
      ours: {
        signing: { key: us.signing.keyPath, certificate: us.signing.certPath },
        decryption: { key: us.encryption.keyPath, certificate: us.encryption.certPath },
        trust: { anchors: [pki.rootCa.certPath], intermediates: [pki.issuingCa.certPath], crls: [pki.crls.issuing, pki.crls.root] },
      },
      // the 2019 examples' Helsenorge service signs with Helsenorge's test key
      parties: { '8093248': { signingCertificate: hn.signing.certPath, encryptionCertificate: hn.encryption.certPath, signingKey: hn.signing.keyPath } },
    }),
  );
});
afterAll(() => schemas.dispose());

async function run(messages: string[], keys = keysFile) {
  const dir = mkdtempSync(join(tmpdir(), 'timebok-replay-keys-'));
  const lines: string[] = [];
  const code = await runReplay({ setup: REPLAY_SETUP, db: join(dir, 'db.sqlite'), now: '2019-07-01T09:00', out: join(dir, 'out'), messages, schemas, keys }, (l) => lines.push(l));
  return { code, lines, out: join(dir, 'out') };
}

describe('replay --keys', () => {
  test('citizen requests are protected as Helsenorge would, processed through CMS, and answered protected', async () => {
    const r = await run([join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml'), join(TR, 'Ledige-timer--Foresporsel-innbygger--Hent-ledige-timer.xml')]);
    expect(r.code).toBe(0);
    expect(r.lines[0]).toMatch(/: answered \(cms\) .*RT → apprec 1, reply 05/);
    expect(r.lines[1]).toMatch(/: answered \(cms\) .*HLT → reply/);
    const files = readdirSync(r.out).sort();
    const sealed = files.filter((f) => f.endsWith('.p7m'));
    expect(sealed).toHaveLength(3);
    for (const f of sealed) {
      const opened = unprotect(readFileSync(join(r.out, f)), { current: loadKeyFile(pki.parties[HELSENORGE]!.encryption.keyPath) }, [certPem(pki.parties[US]!.signing)], testTrust(pki));
      expect(opened.content.toString('utf8')).toBe(readFileSync(join(r.out, f.replace(/\.p7m$/, '.xml')), 'utf8'));
    }
  });

  test('a keys file with a problem is a usage error naming the problem', async () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'timebok-keys-bad-')), 'keys.json');
    writeFileSync(bad, JSON.stringify({ ours: { signing: { key: 'x.pem' } } }));
    await expect(run([join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml')], bad)).rejects.toThrow(ReplayUsageError);
    await expect(run([join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml')], bad)).rejects.toThrow(/--keys: .*ours\.decryption/);
    writeFileSync(bad, JSON.stringify({ ours: { signing: { key: 'missing.pem' }, decryption: { key: 'missing.pem', certificate: 'missing.pem' }, trust: { anchors: ['missing.pem'] } } }));
    await expect(run([join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml')], bad)).rejects.toThrow(/--keys: .*missing\.pem: cannot be read/);
  });

  test('paths in the keys file are relative to it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'timebok-keys-rel-'));
    writeFileSync(join(dir, 'k.json'), JSON.stringify({ ours: { signing: { key: 's.pem' }, decryption: { key: 'd.pem' }, trust: { anchors: ['ca.pem'] } }, parties: { '1': { signingKey: 'p.pem' } } }));
    const keys = loadReplayKeys(join(dir, 'k.json'));
    expect(keys.ours.signing.key).toBe(join(dir, 's.pem'));
    expect(keys.ours.trust.anchors).toEqual([join(dir, 'ca.pem')]);
    expect(keys.parties.get(1)?.signingKey).toBe(join(dir, 'p.pem'));
  });
});
