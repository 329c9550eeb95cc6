/**
 * TEST ONLY: writes a complete throw-away PKI (CA chain, per-party signing and encryption certificates,
 * expired / not-yet-valid / revoked / wrong-key-usage / untrusted ones, CRLs, PKCS#12 files) into OUTDIR.
 *
 *   npx tsx scripts/gen-test-pki.ts OUTDIR [--parties 8142519,115851] [--bits 2048] [--passphrase test]
 *
 * The first party is us: `timebok.env` holds the service settings for it, `replay-keys.json` the keys
 * for `timebok replay --keys` (the other parties sign and encrypt their messages for us).
 *
 * Tests call `generateTestPki(outDir, options)` directly. Never commit the output.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { generateTestPki } from './support/test-pki.js';
import { writeTestKeyFiles } from '../src/cli/replay-keys.js';

export { generateTestPki };
export type { TestPki, TestPkiOptions, TestPkiEntry, TestPartyPki } from './support/test-pki.js';

async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('gen-test-pki')
    .description('Generate a throw-away test PKI (TEST ONLY — not secrets)')
    .argument('<outdir>', 'folder to write into (created if missing)')
    .option('--parties <herIds>', 'comma-separated HER-ids', '8142519,115851')
    .option('--bits <n>', 'RSA key size', '2048')
    .option('--passphrase <text>', 'PKCS#12 passphrase', 'test')
    .parse(argv);
  const [outDir] = program.args as [string];
  const opts = program.opts<{ parties: string; bits: string; passphrase: string }>();
  const parties = opts.parties.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--parties: not a HER-id: ${s}`);
    return n;
  });
  const started = Date.now();
  const pki = await generateTestPki(resolve(outDir), { parties, keyBits: Number(opts.bits), p12Passphrase: opts.passphrase });
  const files = writeTestKeyFiles(pki, parties[0]!);
  process.stdout.write(
    `test PKI for ${parties.join(', ')} written to ${pki.dir} in ${Date.now() - started} ms (see README.txt, pki.json)\n` +
      `  ${parties[0]} is us: settings in ${files.envFile}; replay keys (the others sign) in ${files.keysFile}\n`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
