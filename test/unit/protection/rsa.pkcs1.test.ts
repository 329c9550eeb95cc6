import {
  constants,
  createPublicKey,
  generateKeyPairSync,
  publicEncrypt,
  randomBytes,
  sign as cryptoSign,
  createHash,
  type KeyObject,
} from 'node:crypto';
import { publicEncrypt as rawPublic } from 'node:crypto';
import { modulusBytes, rsaOaepDecryptKey, rsaPkcs1DecryptKey, rsaSignDigest } from '../../../src/protection/rsa.pkcs1.js';

let key: KeyObject;
let pub: KeyObject;
let k: number;

beforeAll(() => {
  key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  pub = createPublicKey(key);
  k = modulusBytes(key);
});

/** RSA public operation on a hand-made encoded message (textbook, no padding added). */
function encryptRaw(em: Buffer): Buffer {
  return rawPublic({ key: pub, padding: constants.RSA_NO_PADDING }, em);
}

/** EM = 00 02 PS 00 M with a chosen PS length and bytes. */
function encodedMessage(message: Buffer, tweak: (em: Buffer) => void = () => undefined): Buffer {
  const em = Buffer.alloc(k);
  em[0] = 0;
  em[1] = 2;
  const psEnd = k - message.length - 1;
  for (let i = 2; i < psEnd; i++) em[i] = 1 + (i % 255);
  em[psEnd] = 0;
  message.copy(em, psEnd + 1);
  tweak(em);
  return em;
}

describe('PKCS#1 v1.5 key unwrapping with implicit rejection', () => {
  it('recovers the content-encryption key that node:crypto wrapped', () => {
    const cek = randomBytes(32);
    const wrapped = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, cek);
    expect(rsaPkcs1DecryptKey(key, wrapped, 32)).toEqual(cek);
  });

  it('recovers AES-128 and AES-192 sized keys too', () => {
    for (const len of [16, 24]) {
      const cek = randomBytes(len);
      const wrapped = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, cek);
      expect(rsaPkcs1DecryptKey(key, wrapped, len)).toEqual(cek);
    }
  });

  const badPaddings: Array<[string, (em: Buffer) => void]> = [
    ['first byte is not 00', (em) => (em[0] = 1)],
    ['block type is 01 instead of 02', (em) => (em[1] = 1)],
    ['the padding string is shorter than eight bytes', (em) => em.fill(0, 2, 9)],
    ['there is no zero separator', (em) => em.fill(0xaa, 2)],
  ];

  it.each(badPaddings)('returns a synthetic key instead of failing when %s', (_name, tweak) => {
    const cek = randomBytes(32);
    const ciphertext = encryptRaw(encodedMessage(cek, tweak));
    const out = rsaPkcs1DecryptKey(key, ciphertext, 32);
    expect(out).toHaveLength(32);
    expect(out.equals(cek)).toBe(false);
    // deterministic: the same bad ciphertext always gives the same synthetic key
    expect(rsaPkcs1DecryptKey(key, ciphertext, 32)).toEqual(out);
  });

  it('returns a synthetic key when the padding is valid but the key has the wrong length', () => {
    const short = randomBytes(16);
    const ciphertext = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, short);
    const out = rsaPkcs1DecryptKey(key, ciphertext, 32);
    expect(out).toHaveLength(32);
    expect(out.subarray(16).equals(short)).toBe(false);
    expect(out.subarray(0, 16).equals(short)).toBe(false);
  });

  it('returns a synthetic key for a ciphertext of the wrong length or not below the modulus', () => {
    for (const ciphertext of [randomBytes(k - 1), randomBytes(k + 1), Buffer.alloc(k, 0xff), Buffer.alloc(0)]) {
      const out = rsaPkcs1DecryptKey(key, ciphertext, 32);
      expect(out).toHaveLength(32);
    }
  });

  it('derives different synthetic keys for different bad ciphertexts', () => {
    const a = rsaPkcs1DecryptKey(key, randomBytes(k - 1), 32);
    const b = rsaPkcs1DecryptKey(key, randomBytes(k - 1), 32);
    expect(a.equals(b)).toBe(false);
  });

  it('binds the synthetic key to the private key', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const junk = Buffer.alloc(k - 3, 0x42);
    expect(rsaPkcs1DecryptKey(key, junk, 32).equals(rsaPkcs1DecryptKey(other, junk, 32))).toBe(false);
  });

  it('never throws, whatever the input', () => {
    for (let i = 0; i < 50; i++) {
      expect(() => rsaPkcs1DecryptKey(key, randomBytes(k), 32)).not.toThrow();
    }
  });
});

describe('RSAES-OAEP key unwrapping', () => {
  it('recovers a key wrapped with OAEP SHA-256', () => {
    const cek = randomBytes(32);
    const wrapped = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, cek);
    expect(rsaOaepDecryptKey(key, wrapped, 32, 'sha256')).toEqual(cek);
  });

  it('returns a synthetic key when the OAEP hash does not match', () => {
    const cek = randomBytes(32);
    const wrapped = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, cek);
    const out = rsaOaepDecryptKey(key, wrapped, 32, 'sha1');
    expect(out).toHaveLength(32);
    expect(out.equals(cek)).toBe(false);
  });
});

describe('signing a digest', () => {
  it('produces exactly the signature node:crypto makes over the data', () => {
    const data = Buffer.from('<MsgHead/>');
    for (const hash of ['sha256', 'sha384', 'sha512'] as const) {
      const digest = createHash(hash).update(data).digest();
      expect(rsaSignDigest(key, hash, digest)).toEqual(cryptoSign(hash, data, key));
    }
  });

  it('refuses a digest of the wrong length', () => {
    expect(() => rsaSignDigest(key, 'sha256', Buffer.alloc(20))).toThrow(TypeError);
  });
});
