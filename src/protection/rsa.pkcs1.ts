import {
  constants,
  createHash,
  createHmac,
  privateDecrypt,
  privateEncrypt,
  type KeyObject,
} from 'node:crypto';
import type { DigestName } from './algorithms.js';

/**
 * RSA operations done by node:crypto (OpenSSL), with the two pieces Node 20 does not offer:
 *
 * - PKCS#1 v1.5 key transport. Since the CVE-2023-46809 fix, `privateDecrypt` refuses
 *   RSA_PKCS1_PADDING. We do the raw private-key operation (RSA_NO_PADDING) and remove the padding here,
 *   with *implicit rejection*: whatever the padding looks like, the function returns a key of the
 *   expected length, either the real one or one derived from the ciphertext and a secret bound to the
 *   private key. No exception, no early return, no branch on secret data: a bad padding shows up later
 *   as a content decryption failure, exactly like a wrong key does (the Bleichenbacher/Marvin
 *   countermeasure OpenSSL 3.2 and later apply themselves).
 * - Signing a digest that node-forge computed (forge builds the CMS; the private key never leaves Node).
 */

/** Per private key: the secret the synthetic (rejection) key is derived from. */
const rejectionSecrets = new WeakMap<KeyObject, Buffer>();

function rejectionSecret(key: KeyObject): Buffer {
  let secret = rejectionSecrets.get(key);
  if (secret === undefined) {
    const der = key.export({ format: 'der', type: 'pkcs8' });
    secret = createHash('sha256').update('timebok implicit rejection v1\0').update(der).digest();
    rejectionSecrets.set(key, secret);
  }
  return secret;
}

/** RSA modulus length in bytes. */
export function modulusBytes(key: KeyObject): number {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (key.asymmetricKeyType !== 'rsa' || bits === undefined) throw new TypeError('RSA key expected');
  return Math.ceil(bits / 8);
}

/** 1 when a === b, else 0 (both bytes or small non-negative integers < 2^31). */
function ctEq(a: number, b: number): number {
  const x = a ^ b;
  // (x | -x) has the sign bit set iff x !== 0
  return 1 ^ (((x | -x) >>> 31) & 1);
}

/** 1 when a >= b, else 0 (non-negative integers < 2^31). */
function ctGe(a: number, b: number): number {
  return 1 ^ (((a - b) >>> 31) & 1);
}

/**
 * Decrypts a PKCS#1 v1.5 encrypted key of exactly `expectedLength` bytes, with implicit rejection.
 * Always returns `expectedLength` bytes; never throws for bad input.
 *
 * The caller must treat the result as possibly synthetic: the only way to learn whether it was the real
 * key is to use it (decrypt and parse the content), and every failure there must look the same.
 */
export function rsaPkcs1DecryptKey(key: KeyObject, encryptedKey: Uint8Array, expectedLength: number): Buffer {
  const k = modulusBytes(key);
  const synthetic = syntheticKey(key, encryptedKey, expectedLength);

  // The ciphertext length and its range against the public modulus are public facts; when they are
  // wrong we still run the same unpadding over a dummy block.
  let em: Buffer;
  let lengthOk = ctEq(encryptedKey.length, k);
  if (lengthOk === 1) {
    try {
      em = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, encryptedKey);
      if (em.length !== k) {
        lengthOk = 0;
        em = Buffer.alloc(k);
      }
    } catch {
      // "data too large for modulus": a public property of the ciphertext
      lengthOk = 0;
      em = Buffer.alloc(k);
    }
  } else {
    em = Buffer.alloc(k);
  }

  // EM = 00 || 02 || PS (>= 8 non-zero bytes) || 00 || M, with |M| = expectedLength
  let good = lengthOk & ctEq(em[0]!, 0) & ctEq(em[1]!, 2);
  let found = 0;
  let zeroIndex = 0;
  for (let i = 2; i < k; i++) {
    const isZero = ctEq(em[i]!, 0);
    const take = isZero & (found ^ 1);
    const mask = -take; // 0 or -1
    zeroIndex = (i & mask) | (zeroIndex & ~mask);
    found |= isZero;
  }
  good &= found;
  // At least 8 bytes of padding string. With keys of at most 32 bytes and moduli of 1024 bits or more the
  // length check below already implies it; kept because the standard says so.
  good &= ctGe(zeroIndex, 10);
  good &= ctEq(k - 1 - zeroIndex, expectedLength);

  const out = Buffer.allocUnsafe(expectedLength);
  const keep = -good; // all ones when the padding was good
  const offset = k - expectedLength;
  for (let j = 0; j < expectedLength; j++) {
    out[j] = (em[offset + j]! & keep) | (synthetic[j]! & ~keep);
  }
  em.fill(0);
  return out;
}

/**
 * The key used in place of the real one when unwrapping fails: derived from the ciphertext and the
 * private key, so the same bad ciphertext always leads to the same (wrong) key.
 */
export function syntheticKey(key: KeyObject, encryptedKey: Uint8Array, expectedLength: number): Buffer {
  if (expectedLength > 32) throw new RangeError('synthetic keys are at most 32 bytes');
  return createHmac('sha256', rejectionSecret(key))
    .update(Buffer.from([expectedLength]))
    .update(encryptedKey)
    .digest()
    .subarray(0, expectedLength);
}

/**
 * RSAES-OAEP key transport (node:crypto allows it), with the same contract as rsaPkcs1DecryptKey:
 * never throws, always returns `expectedLength` bytes, synthetic on any failure.
 */
export function rsaOaepDecryptKey(
  key: KeyObject,
  encryptedKey: Uint8Array,
  expectedLength: number,
  oaepHash: 'sha1' | DigestName,
): Buffer {
  const synthetic = syntheticKey(key, encryptedKey, expectedLength);
  let out: Buffer | null = null;
  try {
    out = privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, encryptedKey);
  } catch {
    out = null;
  }
  if (out === null || out.length !== expectedLength) return synthetic;
  return out;
}

const DIGEST_INFO_PREFIX: Readonly<Record<DigestName, Buffer>> = {
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
};

/**
 * RSASSA-PKCS1-v1_5 signature over a digest computed elsewhere (identical to
 * `crypto.sign(hash, data, key)` over the data the digest was computed from).
 */
export function rsaSignDigest(key: KeyObject, hash: DigestName, digest: Uint8Array): Buffer {
  const prefix = DIGEST_INFO_PREFIX[hash];
  if (digest.length !== prefix[prefix.length - 1]) throw new TypeError(`digest length does not fit ${hash}`);
  return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([prefix, digest]));
}

/**
 * A key object node-forge can sign with (`cert.sign(key, md)`, `p7.addSigner({ key })`): forge hands us
 * its message digest and we do the RSA operation in node:crypto.
 */
export function forgeSigner(key: KeyObject): {
  sign(md: { algorithm: string; digest(): { getBytes(): string } }): string;
} {
  return {
    sign(md) {
      const hash = md.algorithm as DigestName;
      if (!(hash in DIGEST_INFO_PREFIX)) throw new TypeError(`unsupported digest ${md.algorithm}`);
      const digest = Buffer.from(md.digest().getBytes(), 'binary');
      return rsaSignDigest(key, hash, digest).toString('binary');
    },
  };
}
