/**
 * Throughput of the protection stage, measured in one process against the raw node:crypto RSA
 * operations it is built on (the physical reference). Called by `npm run bench`.
 */
import { constants, privateDecrypt, publicEncrypt, randomBytes, sign as cryptoSign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { FixedClock } from '../../src/shared/clock.js';
import { envelopeContent, protect, signContent, type SigningIdentity } from '../../src/protection/cms.protect.js';
import { decryptEnvelope, unprotect, verifySignedContent, type DecryptionKeys } from '../../src/protection/cms.unprotect.js';
import { parseDer } from '../../src/protection/der.js';
import { loadCertificateFile, loadKeyFile, loadTrust } from '../../src/protection/keys.js';
import { generateTestPki } from './test-pki.js';

export interface CryptoBenchOptions {
  /** Milliseconds per measured round (three rounds, median kept). Default 400. */
  roundMs?: number;
  /** Size of the signed content in bytes (default 11 KB, a typical ReserverAvtale MsgHead). */
  contentBytes?: number;
  /** Also time node-forge's pure-JS EnvelopedData decryption, the path this stage replaces. Default true. */
  forgeReference?: boolean;
}

/**
 * Operations per second of each function: warm-up, then three rounds of `roundMs` each, the functions
 * interleaved round by round so that a change in machine load hits them alike; the median round is kept.
 */
function measureAll(fns: Record<string, () => unknown>, roundMs: number): Record<string, number> {
  const rates: Record<string, number[]> = {};
  for (const [name, fn] of Object.entries(fns)) {
    for (let i = 0; i < 20; i++) fn();
    rates[name] = [];
  }
  for (let round = 0; round < 3; round++) {
    for (const [name, fn] of Object.entries(fns)) {
      let n = 0;
      const start = process.hrtime.bigint();
      const until = start + BigInt(roundMs) * 1_000_000n;
      let now = start;
      while (now < until) {
        fn();
        n++;
        now = process.hrtime.bigint();
      }
      rates[name]!.push((n * 1e9) / Number(now - start));
    }
  }
  const out: Record<string, number> = {};
  for (const [name, r] of Object.entries(rates)) out[name] = Math.round(r.sort((a, b) => a - b)[1]!);
  return out;
}

function sampleContent(bytes: number): Buffer {
  const head = '<?xml version="1.0" encoding="utf-8"?><MsgHead xmlns="http://www.kith.no/xmlstds/msghead/2006-05-24">';
  const filler = '<Note>Timebok crypto benchmark filler text, no personal data.</Note>';
  let s = head;
  while (s.length < bytes - 10) s += filler;
  return Buffer.from(`${s.slice(0, bytes - 10)}</MsgHead>`, 'utf8');
}

/**
 * Returns operations per second: sign_per_s, encrypt_per_s, decrypt_per_s, verify_per_s, protect_per_s,
 * unprotect_per_s, rsa_sign_per_s (raw node:crypto RSA-2048 sign), rsa_private_per_s (raw node:crypto
 * RSA_NO_PADDING private operation), decrypt_rejected_per_s (decrypting a body whose encrypted key was
 * corrupted: bad RSA padding), decrypt_wrong_key_per_s (a valid padding around a wrong key),
 * forge_decrypt_per_s (reference), and the ratios decrypt_vs_rsa_private, decrypt_rejected_vs_decrypt,
 * bad_padding_vs_wrong_key (≈ 1: no timing oracle visible at this scale) and sign_vs_rsa_sign.
 */
export async function runCryptoBench(options: CryptoBenchOptions = {}): Promise<Record<string, number>> {
  const roundMs = options.roundMs ?? 400;
  const dir = mkdtempSync(join(tmpdir(), 'timebok-bench-pki-'));
  try {
    const pki = await generateTestPki(dir, { parties: [8142519, 115851] });
    const clock = new FixedClock(new Date('2026-03-01T10:00:00Z'));
    const trust = loadTrust(
      { anchors: [pki.rootCa.certPath], intermediates: [pki.issuingCa.certPath], crls: [pki.crls.issuing, pki.crls.root] },
      clock,
    );
    const sender = pki.parties['115851']!;
    const receiver = pki.parties['8142519']!;
    const identity: SigningIdentity = { key: loadKeyFile(sender.signing.keyPath), certificatePem: loadCertificateFile(sender.signing.certPath) };
    const encCert = loadCertificateFile(receiver.encryption.certPath);
    const encKey = loadKeyFile(receiver.encryption.keyPath);
    const keys: DecryptionKeys = { current: { key: encKey, certificatePem: encCert } };
    const registry = [identity.certificatePem];
    const content = sampleContent(options.contentBytes ?? 11 * 1024);

    const signed = signContent(content, identity, { clock });
    const body = envelopeContent(signed, encCert, { trust });
    // sanity: what we time must work
    if (!unprotect(body, keys, registry, trust).content.equals(content)) throw new Error('bench round trip failed');

    // The same body with a corrupted encrypted key: implicit rejection must cost what a success costs.
    const tampered = Buffer.from(body);
    const env = parseDer(tampered).children[1]!.children[0]!;
    const encryptedKey = env.children[1]!.children[0]!.children[3]!;
    tampered[encryptedKey.contentStart + 7]! ^= 0x5a;
    // And one whose encrypted key has a valid PKCS#1 padding around a wrong key: the case a Bleichenbacher
    // attacker tells apart from a bad padding when the implementation leaks. Both must cost the same.
    const wrongKey = Buffer.from(body);
    publicEncrypt({ key: encCert, padding: constants.RSA_PKCS1_PADDING }, randomBytes(32)).copy(wrongKey, encryptedKey.contentStart);
    const digestInput = randomBytes(32);
    const rawCipher = publicEncrypt({ key: encCert, padding: constants.RSA_PKCS1_PADDING }, randomBytes(32));

    const result = measureAll(
      {
        sign_per_s: () => signContent(content, identity, { clock }),
        encrypt_per_s: () => envelopeContent(signed, encCert, { trust }),
        decrypt_per_s: () => decryptEnvelope(body, keys),
        verify_per_s: () => verifySignedContent(signed, registry, trust),
        protect_per_s: () => protect(content, identity, encCert, { clock, trust }),
        unprotect_per_s: () => unprotect(body, keys, registry, trust),
        decrypt_rejected_per_s: () => {
          try {
            decryptEnvelope(tampered, keys);
          } catch {
            // ERR_PROTECTION_DECRYPT, as every time
          }
        },
        decrypt_wrong_key_per_s: () => {
          try {
            decryptEnvelope(wrongKey, keys);
          } catch {
            // ERR_PROTECTION_DECRYPT, as every time
          }
        },
        rsa_sign_per_s: () => cryptoSign('sha256', digestInput, identity.key),
        rsa_private_per_s: () => privateDecrypt({ key: encKey, padding: constants.RSA_NO_PADDING }, rawCipher),
      },
      roundMs,
    );

    if (options.forgeReference ?? true) {
      const forgeKey = forge.pki.privateKeyFromPem(encKey.export({ format: 'pem', type: 'pkcs1' }) as string);
      const forgeCert = forge.pki.certificateFromPem(encCert);
      const bodyBinary = body.toString('latin1');
      Object.assign(
        result,
        measureAll(
          {
            forge_decrypt_per_s: () => {
              const msg = forge.pkcs7.messageFromAsn1(forge.asn1.fromDer(bodyBinary)) as forge.pkcs7.PkcsEnvelopedData;
              msg.decrypt(msg.findRecipient(forgeCert)!, forgeKey);
            },
          },
          Math.min(roundMs, 300),
        ),
      );
    }
    const ratio = (a: string, b: string): number => Math.round(((result[a] ?? 0) / (result[b] ?? 1)) * 100) / 100;
    result.decrypt_vs_rsa_private = ratio('decrypt_per_s', 'rsa_private_per_s');
    result.decrypt_rejected_vs_decrypt = ratio('decrypt_rejected_per_s', 'decrypt_per_s');
    result.bad_padding_vs_wrong_key = ratio('decrypt_rejected_per_s', 'decrypt_wrong_key_per_s');
    result.sign_vs_rsa_sign = ratio('sign_per_s', 'rsa_sign_per_s');
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// `npx tsx scripts/support/crypto.bench.ts` prints the figures.
if (process.argv[1] !== undefined && /crypto\.bench\.[jt]s$/.test(process.argv[1])) {
  runCryptoBench().then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
}
