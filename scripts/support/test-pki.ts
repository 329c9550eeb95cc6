/**
 * TEST ONLY: generates a complete throw-away PKI for tests, benchmarks and the demo. Nothing it writes is
 * a secret, and nothing it writes may be used outside a test.
 *
 * node:crypto generates the keys and does every RSA signature; node-forge builds the certificates and
 * the PKCS#12 files; the CRLs are built with forge's ASN.1 writer.
 */
import { createHash, createPublicKey, generateKeyPair, sign as cryptoSign, randomBytes, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { OID } from '../../src/protection/algorithms.js';
import { bitStringValue, expectSequence, parseDer } from '../../src/protection/der.js';
import { pemEncode } from '../../src/protection/pem.js';
import { forgeSigner } from '../../src/protection/rsa.pkcs1.js';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface TestPkiOptions {
  /** HER-ids that get signing, encryption and legacy encryption certificates. Default 8142519, 115851. */
  parties?: number[];
  /** RSA key size (default 2048). */
  keyBits?: number;
  /** Passphrase of the PKCS#12 files (default "test"). */
  p12Passphrase?: string;
}

export interface TestPkiEntry {
  /** PEM certificate. */
  certPath: string;
  /** PEM private key (PKCS#8, unencrypted). */
  keyPath: string;
  /** PKCS#12 with key and certificate chain (party certificates only). */
  p12Path?: string;
  /** Serial number, upper-case hex. */
  serialHex: string;
}

export interface TestPartyPki {
  signing: TestPkiEntry;
  encryption: TestPkiEntry;
  /** An older encryption certificate with its own key: decryption during a key roll-over. */
  legacyEncryption: TestPkiEntry;
}

export interface TestPki {
  dir: string;
  p12Passphrase: string;
  rootCa: TestPkiEntry;
  issuingCa: TestPkiEntry;
  /** A CA nobody trusts. */
  untrustedCa: TestPkiEntry;
  /** Root + issuing CA, for `openssl … -CAfile`. */
  caBundlePath: string;
  crls: {
    /** Issued by the root (revokes nothing). PEM. */
    root: string;
    /** Issued by the issuing CA, revokes `special.revoked`. PEM and DER. */
    issuing: string;
    issuingDer: string;
    /** Issuing CA CRL whose nextUpdate is long past (revokes nothing). PEM. */
    issuingStale: string;
  };
  parties: Record<string, TestPartyPki>;
  /** Deliberately bad certificates; they share one key (`special.*.keyPath`). */
  special: {
    expired: TestPkiEntry;
    notYetValid: TestPkiEntry;
    revoked: TestPkiEntry;
    /** Signing certificate without NonRepudiation (KeyEncipherment only). */
    wrongUsageSigning: TestPkiEntry;
    /** Encryption certificate without KeyEncipherment (NonRepudiation only). */
    wrongUsageEncryption: TestPkiEntry;
    /** Issued by the untrusted CA. */
    untrusted: TestPkiEntry;
    /** Same issuer and serial number as the first party's signing certificate, another key. */
    impostor: TestPkiEntry;
  };
  /** Validity of the ordinary certificates. */
  validity: { notBefore: string; notAfter: string };
}

export const TEST_PKI_VALIDITY = { notBefore: '2020-01-01T00:00:00Z', notAfter: '2045-01-01T00:00:00Z' } as const;
export const TEST_POLICY_OID = '2.16.578.1.26.1.0.3.2';

interface Issued {
  forgeCert: forge.pki.Certificate;
  der: Buffer;
  key: KeyObject;
  ski: Buffer;
  serialHex: string;
}

interface CertSpec {
  subject: { cn: string; org: string; orgNumber?: string };
  key: KeyObject;
  issuer: Issued | null;
  ca?: boolean;
  usage: Array<'digitalSignature' | 'nonRepudiation' | 'keyEncipherment' | 'dataEncipherment' | 'keyCertSign' | 'cRLSign'>;
  notBefore: Date;
  notAfter: Date;
  serialHex?: string;
  policy?: boolean;
}

const asn1 = forge.asn1;
const U = asn1.Class.UNIVERSAL;
const T = asn1.Type;

function randomSerial(): string {
  // 16 bytes, positive, no leading zero byte
  return `1${randomBytes(16).toString('hex').slice(1)}`.toUpperCase();
}

function subjectKeyId(key: KeyObject): Buffer {
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  const { bytes } = bitStringValue(expectSequence(parseDer(spki)).children[1]);
  return createHash('sha1').update(bytes).digest();
}

function bin(b: Uint8Array): string {
  return Buffer.from(b).toString('latin1');
}

function issue(spec: CertSpec): Issued {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(createPublicKey(spec.key).export({ format: 'pem', type: 'spki' }) as string);
  const serialHex = spec.serialHex ?? randomSerial();
  cert.serialNumber = serialHex.toLowerCase();
  cert.validity.notBefore = spec.notBefore;
  cert.validity.notAfter = spec.notAfter;
  const attrs: forge.pki.CertificateField[] = [
    { shortName: 'C', value: 'NO' },
    { name: 'organizationName', value: spec.subject.org },
    ...(spec.subject.orgNumber === undefined ? [] : [{ type: '2.5.4.5', value: spec.subject.orgNumber }]),
    { name: 'commonName', value: spec.subject.cn },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(spec.issuer === null ? attrs : spec.issuer.forgeCert.subject.attributes);
  const ski = subjectKeyId(spec.key);
  const akid = spec.issuer === null ? ski : spec.issuer.ski;
  const usage: Record<string, boolean> = {};
  for (const u of spec.usage) usage[u] = true;
  const extensions: object[] = [
    { name: 'basicConstraints', cA: spec.ca === true, critical: true },
    { name: 'keyUsage', critical: true, ...usage },
    { id: OID.subjectKeyIdentifier, value: asn1.create(U, T.OCTETSTRING, false, bin(ski)) },
    {
      id: OID.authorityKeyIdentifier,
      value: asn1.create(U, T.SEQUENCE, true, [asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, bin(akid))]),
    },
  ];
  if (spec.policy === true) {
    extensions.push({
      id: OID.certificatePolicies,
      value: asn1.create(U, T.SEQUENCE, true, [
        asn1.create(U, T.SEQUENCE, true, [asn1.create(U, T.OID, false, asn1.oidToDer(TEST_POLICY_OID).getBytes())]),
      ]),
    });
  }
  cert.setExtensions(extensions);
  const signingKey = spec.issuer === null ? spec.key : spec.issuer.key;
  cert.sign(forgeSigner(signingKey) as unknown as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  const der = Buffer.from(asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'latin1');
  return { forgeCert: cert, der, key: spec.key, ski, serialHex };
}

function buildCrl(
  issuer: Issued,
  options: { thisUpdate: Date; nextUpdate: Date; revoked: Array<{ serialHex: string; at: Date }>; number: number },
): Buffer {
  // the subject Name of the issuer, as encoded in its certificate
  const tbsCert = expectSequence(parseDer(issuer.der)).children[0]!;
  let idx = 0;
  if (tbsCert.children[0]?.cls === 2) idx++;
  const subjectNode = tbsCert.children[idx + 4]!;
  const subjectBytes = issuer.der.subarray(subjectNode.start, subjectNode.end);
  const sigAlg = asn1.create(U, T.SEQUENCE, true, [
    asn1.create(U, T.OID, false, asn1.oidToDer(OID.sha256WithRSA).getBytes()),
    asn1.create(U, T.NULL, false, ''),
  ]);
  const time = (d: Date): forge.asn1.Asn1 => asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(d));
  const tbsItems: forge.asn1.Asn1[] = [
    asn1.create(U, T.INTEGER, false, String.fromCharCode(1)),
    sigAlg,
    asn1.fromDer(bin(subjectBytes)),
    time(options.thisUpdate),
    time(options.nextUpdate),
  ];
  if (options.revoked.length > 0) {
    tbsItems.push(
      asn1.create(
        U,
        T.SEQUENCE,
        true,
        options.revoked.map((r) =>
          asn1.create(U, T.SEQUENCE, true, [
            asn1.create(U, T.INTEGER, false, forge.util.hexToBytes(r.serialHex)),
            time(r.at),
          ]),
        ),
      ),
    );
  }
  const ext = (id: string, value: forge.asn1.Asn1): forge.asn1.Asn1 =>
    asn1.create(U, T.SEQUENCE, true, [
      asn1.create(U, T.OID, false, asn1.oidToDer(id).getBytes()),
      asn1.create(U, T.OCTETSTRING, false, asn1.toDer(value).getBytes()),
    ]);
  tbsItems.push(
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [
      asn1.create(U, T.SEQUENCE, true, [
        ext(
          OID.authorityKeyIdentifier,
          asn1.create(U, T.SEQUENCE, true, [asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, bin(issuer.ski))]),
        ),
        ext(OID.crlNumber, asn1.create(U, T.INTEGER, false, asn1.integerToDer(options.number).getBytes())),
      ]),
    ]),
  );
  const tbs = asn1.create(U, T.SEQUENCE, true, tbsItems);
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'latin1');
  const signature = cryptoSign('sha256', tbsDer, issuer.key);
  const crl = asn1.create(U, T.SEQUENCE, true, [
    tbs,
    sigAlg,
    asn1.create(U, T.BITSTRING, false, String.fromCharCode(0) + bin(signature)),
  ]);
  return Buffer.from(asn1.toDer(crl).getBytes(), 'latin1');
}

const README = `TEST ONLY — not secrets.

Everything in this folder was generated by scripts/gen-test-pki.ts for tests, benchmarks and the demo.
The private keys are unprotected and throw-away. Never use them, or certificates issued from them,
anywhere else. Regenerate at will:  npx tsx scripts/gen-test-pki.ts OUTDIR [--parties 8142519,115851]

root-ca.pem            trust anchor (self-signed)
issuing-ca.pem         intermediate CA that issues every party certificate
ca-bundle.pem          root + issuing CA (for openssl -CAfile)
untrusted-ca.pem       a CA nobody trusts
<herId>-sign.*         signing certificate (NonRepudiation) + key (+ .p12, passphrase in pki.json)
<herId>-enc.*          encryption certificate (KeyEncipherment) + key (+ .p12)
<herId>-enc-legacy.*   older encryption certificate + key (key roll-over)
expired-sign.pem       expired (2020-2021)          not-yet-valid-sign.pem   valid from 2044
revoked-sign.pem       revoked in issuing-ca.crl.*  wrong-usage-sign.pem     KeyEncipherment only
wrong-usage-enc.pem    NonRepudiation only          untrusted-sign.pem       issued by untrusted-ca
impostor-sign.pem      same issuer + serial as the first party's signing certificate, other key
special.key.pem        the key of all the certificates in the line above
issuing-ca.crl.pem/der CRL of the issuing CA (revokes revoked-sign)
root-ca.crl.pem        CRL of the root (revokes nothing)
issuing-ca-stale.crl.pem  an out-of-date CRL (nextUpdate 2020-02-01)
pki.json               the same, machine-readable
`;

/**
 * Generates the test PKI into `outDir` (created if missing) and returns the paths. Takes about a second
 * (RSA-2048 key generation, in parallel on the libuv pool).
 */
export async function generateTestPki(outDir: string, options: TestPkiOptions = {}): Promise<TestPki> {
  const parties = options.parties ?? [8142519, 115851];
  const bits = options.keyBits ?? 2048;
  const passphrase = options.p12Passphrase ?? 'test';
  mkdirSync(outDir, { recursive: true });

  const keyCount = 4 + parties.length * 3;
  const keys = await Promise.all(
    Array.from({ length: keyCount }, async () => (await generateKeyPairAsync('rsa', { modulusLength: bits })).privateKey),
  );
  let next = 0;
  const takeKey = (): KeyObject => keys[next++]!;

  const from = new Date(TEST_PKI_VALIDITY.notBefore);
  const to = new Date(TEST_PKI_VALIDITY.notAfter);
  const root = issue({
    subject: { cn: 'Timebok Test Root CA', org: 'Timebok Test PKI' },
    key: takeKey(),
    issuer: null,
    ca: true,
    usage: ['keyCertSign', 'cRLSign'],
    notBefore: from,
    notAfter: to,
  });
  const issuing = issue({
    subject: { cn: 'Timebok Test Issuing CA', org: 'Timebok Test PKI' },
    key: takeKey(),
    issuer: root,
    ca: true,
    usage: ['keyCertSign', 'cRLSign'],
    notBefore: from,
    notAfter: to,
  });
  const untrustedCa = issue({
    subject: { cn: 'Untrusted Test CA', org: 'Somebody Else' },
    key: takeKey(),
    issuer: null,
    ca: true,
    usage: ['keyCertSign', 'cRLSign'],
    notBefore: from,
    notAfter: to,
  });
  const specialKey = takeKey();

  const written = new Map<string, TestPkiEntry>();
  const write = (name: string, cert: Issued, keyFile: string, chain: Issued[] = [], p12 = false): TestPkiEntry => {
    const certPath = join(outDir, `${name}.pem`);
    writeFileSync(certPath, pemEncode(cert.der, 'CERTIFICATE'));
    const keyPath = join(outDir, keyFile);
    writeFileSync(keyPath, cert.key.export({ format: 'pem', type: 'pkcs8' }));
    const entry: TestPkiEntry = { certPath, keyPath, serialHex: cert.serialHex };
    if (p12) {
      const p12Path = join(outDir, `${name}.p12`);
      const forgeKey = forge.pki.privateKeyFromPem(cert.key.export({ format: 'pem', type: 'pkcs1' }) as string);
      const pfx = forge.pkcs12.toPkcs12Asn1(forgeKey, [cert.forgeCert, ...chain.map((c) => c.forgeCert)], passphrase, {
        algorithm: 'aes256',
        friendlyName: name,
        generateLocalKeyId: true,
      });
      writeFileSync(p12Path, Buffer.from(asn1.toDer(pfx).getBytes(), 'latin1'));
      entry.p12Path = p12Path;
    }
    written.set(name, entry);
    return entry;
  };

  const rootEntry = write('root-ca', root, 'root-ca.key.pem');
  const issuingEntry = write('issuing-ca', issuing, 'issuing-ca.key.pem');
  const untrustedEntry = write('untrusted-ca', untrustedCa, 'untrusted-ca.key.pem');
  const caBundlePath = join(outDir, 'ca-bundle.pem');
  writeFileSync(caBundlePath, pemEncode(root.der, 'CERTIFICATE') + pemEncode(issuing.der, 'CERTIFICATE'));

  const partyPki: Record<string, TestPartyPki> = {};
  let firstSigning: Issued | null = null;
  for (const herId of parties) {
    const org = `Timebok Test Party ${herId}`;
    const orgNumber = String(900000000 + (herId % 100000000)).slice(0, 9);
    const signing = issue({
      subject: { cn: `${org} signing`, org, orgNumber },
      key: takeKey(),
      issuer: issuing,
      usage: ['nonRepudiation'],
      notBefore: from,
      notAfter: to,
      policy: true,
    });
    firstSigning ??= signing;
    const encryption = issue({
      subject: { cn: `${org} encryption`, org, orgNumber },
      key: takeKey(),
      issuer: issuing,
      usage: ['keyEncipherment', 'dataEncipherment'],
      notBefore: from,
      notAfter: to,
      policy: true,
    });
    const legacy = issue({
      subject: { cn: `${org} encryption (previous)`, org, orgNumber },
      key: takeKey(),
      issuer: issuing,
      usage: ['keyEncipherment', 'dataEncipherment'],
      notBefore: from,
      notAfter: to,
      policy: true,
    });
    partyPki[String(herId)] = {
      signing: write(`${herId}-sign`, signing, `${herId}-sign.key.pem`, [issuing, root], true),
      encryption: write(`${herId}-enc`, encryption, `${herId}-enc.key.pem`, [issuing, root], true),
      legacyEncryption: write(`${herId}-enc-legacy`, legacy, `${herId}-enc-legacy.key.pem`),
    };
  }

  const special = (name: string, spec: Partial<CertSpec> & Pick<CertSpec, 'usage'>): TestPkiEntry =>
    write(
      name,
      issue({
        subject: { cn: `Special ${name}`, org: 'Timebok Test Specials' },
        key: specialKey,
        issuer: issuing,
        notBefore: from,
        notAfter: to,
        ...spec,
      }),
      'special.key.pem',
    );
  const revokedEntry = special('revoked-sign', { usage: ['nonRepudiation'] });
  const specials: TestPki['special'] = {
    expired: special('expired-sign', {
      usage: ['nonRepudiation'],
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2021-01-01T00:00:00Z'),
    }),
    notYetValid: special('not-yet-valid-sign', { usage: ['nonRepudiation'], notBefore: new Date('2044-01-01T00:00:00Z') }),
    revoked: revokedEntry,
    wrongUsageSigning: special('wrong-usage-sign', { usage: ['keyEncipherment'] }),
    wrongUsageEncryption: special('wrong-usage-enc', { usage: ['nonRepudiation'] }),
    untrusted: special('untrusted-sign', { usage: ['nonRepudiation'], issuer: untrustedCa }),
    impostor: special('impostor-sign', {
      usage: ['nonRepudiation'],
      ...(firstSigning === null ? {} : { serialHex: firstSigning.serialHex }),
    }),
  };

  const crlPath = (name: string): string => join(outDir, name);
  const issuingCrl = buildCrl(issuing, {
    thisUpdate: from,
    nextUpdate: to,
    revoked: [{ serialHex: revokedEntry.serialHex, at: new Date('2021-06-01T00:00:00Z') }],
    number: 2,
  });
  writeFileSync(crlPath('issuing-ca.crl.pem'), pemEncode(issuingCrl, 'X509 CRL'));
  writeFileSync(crlPath('issuing-ca.crl.der'), issuingCrl);
  writeFileSync(
    crlPath('issuing-ca-stale.crl.pem'),
    pemEncode(buildCrl(issuing, { thisUpdate: from, nextUpdate: new Date('2020-02-01T00:00:00Z'), revoked: [], number: 1 }), 'X509 CRL'),
  );
  writeFileSync(
    crlPath('root-ca.crl.pem'),
    pemEncode(buildCrl(root, { thisUpdate: from, nextUpdate: to, revoked: [], number: 1 }), 'X509 CRL'),
  );
  writeFileSync(join(outDir, 'README.txt'), README);

  const pki: TestPki = {
    dir: outDir,
    p12Passphrase: passphrase,
    rootCa: rootEntry,
    issuingCa: issuingEntry,
    untrustedCa: untrustedEntry,
    caBundlePath,
    crls: {
      root: crlPath('root-ca.crl.pem'),
      issuing: crlPath('issuing-ca.crl.pem'),
      issuingDer: crlPath('issuing-ca.crl.der'),
      issuingStale: crlPath('issuing-ca-stale.crl.pem'),
    },
    parties: partyPki,
    special: specials,
    validity: { ...TEST_PKI_VALIDITY },
  };
  const rel = (value: unknown): unknown => {
    if (typeof value === 'string' && value.startsWith(outDir)) return relative(outDir, value);
    if (Array.isArray(value)) return value.map(rel);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'dir' ? '.' : rel(v)]));
    }
    return value;
  };
  writeFileSync(join(outDir, 'pki.json'), `${JSON.stringify(rel(pki), null, 2)}\n`);
  return pki;
}
