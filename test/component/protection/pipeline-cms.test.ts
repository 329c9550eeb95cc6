/**
 * Message protection on the message path (issue 4): a Timebok configured with keys unprotects every
 * inbound message before anything else, answers each protection failure on the sender's error queue with
 * its own condition (books nothing), protects every outbound message, and re-reads a registry
 * certificate once when the cached one fails.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, importSetup, type App } from '../../../src/app.js';
import type { ProtectionConfig } from '../../../src/config/config.js';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { DEFAULT_XML_LIMITS } from '../../../src/envelope/types.js';
import { OutboxEntity } from '../../../src/inbox/message.entities.js';
import { OutboxRelay } from '../../../src/outbox/outbox.relay.js';
import { SpoolConsumer } from '../../../src/transport/spool/spool.consumer.js';
import { SpoolPublisher } from '../../../src/transport/spool/spool.publisher.js';
import type { InboundDelivery } from '../../../src/pipeline/types.js';
import { protect, PROTECTED_CONTENT_TYPE } from '../../../src/protection/cms.protect.js';
import { unprotect } from '../../../src/protection/cms.unprotect.js';
import { loadKeyFile } from '../../../src/protection/keys.js';
import type { TestPki } from '../../../scripts/support/test-pki.js';
import { FixedClock } from '../../../src/shared/clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { certPem, HELSENORGE, identity, openssl, sharedTestPki, TEST_NOW, testTrust, US } from '../../fixtures/protection/pki.js';
import { REPLAY_SETUP, TR } from '../pipeline/helpers.js';

/** The 2019 examples' Helsenorge service (MsgHead sender level 2) and the GP's book (receiver). */
const HN_SERVICE = 8093248;
const GP = 91095;
const RT = readFileSync(join(TR, 'Reserver-time--Foresporsel-innbygger--Reserver-time.xml'));

let schemas: SchemaSet;
let pki: TestPki;
let app: App;
let hnSigningFile: string;

function protection(extra: Partial<ProtectionConfig['trust']> = {}): ProtectionConfig {
  const us = pki.parties[US]!;
  return {
    signing: { key: us.signing.keyPath, certificate: us.signing.certPath },
    decryption: { key: us.encryption.keyPath, certificate: us.encryption.certPath },
    legacyDecryption: { key: us.legacyEncryption.keyPath, certificate: us.legacyEncryption.certPath },
    trust: { anchors: [pki.rootCa.certPath], intermediates: [pki.issuingCa.certPath], crls: [pki.crls.issuing, pki.crls.root], revocation: 'crl', ...extra },
  };
}

async function openApp(config: ProtectionConfig): Promise<App> {
  const dir = mkdtempSync(join(tmpdir(), 'timebok-cms-'));
  // Helsenorge's registry entry points at a copy of its signing certificate, so a test can "rotate" it.
  hnSigningFile = join(dir, 'hn-signing.pem');
  copyFileSync(pki.parties[HELSENORGE]!.signing.certPath, hnSigningFile);
  const a = await createApp({
    databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`,
    clock: new FixedClock(new Date('2019-07-01T07:00:00Z')),
    protectionClock: new FixedClock(TEST_NOW),
    logger: silentLogger,
    limits: DEFAULT_XML_LIMITS,
    acceptSyntheticIds: false,
    schemas,
    protection: config,
  });
  await importSetup(a, join(REPLAY_SETUP, 'registry.json'), join(REPLAY_SETUP, 'timebooks.json'), [], {
    certificates: new Map([[HN_SERVICE, { signing: hnSigningFile, encryption: pki.parties[HELSENORGE]!.encryption.certPath }]]),
  });
  return a;
}

beforeAll(async () => {
  schemas = await loadSchemaSet();
  pki = await sharedTestPki();
});
afterAll(() => schemas.dispose());
beforeEach(async () => {
  app = await openApp(protection());
});
afterEach(() => app.close());

/** RT signed by `signer` and encrypted for `recipientCert` (default: Helsenorge for us). */
function sealed(body: Buffer = RT, signer = pki.parties[HELSENORGE]!.signing, recipientCert = pki.parties[US]!.encryption): Buffer {
  return protect(body, identity(signer), certPem(recipientCert), { clock: new FixedClock(TEST_NOW) });
}

function amqp(body: Uint8Array, extra: Partial<InboundDelivery> = {}): InboundDelivery {
  return {
    transport: 'amqp',
    queue: `${GP}_async`,
    body,
    messageId: `m-${Math.random()}`,
    fromHerId: HN_SERVICE,
    toHerId: GP,
    subject: 'DIALOG_INNBYGGER_TIMERESERVASJON',
    applicationTimeStamp: '2019-07-01T07:00:00Z',
    contentType: PROTECTED_CONTENT_TYPE,
    ...extra,
  };
}

async function outbox() {
  return app.db.manager.getRepository(OutboxEntity).find({ order: { seq: 'ASC' } });
}

async function appointments(): Promise<number> {
  const rows = (await app.db.manager.query('SELECT COUNT(*) AS n FROM appointment')) as { n: number | string }[];
  return Number(rows[0]?.n);
}

describe('inbound CMS on the message path', () => {
  test('a message signed by the registry certificate and encrypted for us is booked and answered', async () => {
    const outcome = await app.pipeline.process(amqp(sealed()));
    expect(outcome.status).toBe('answered');
    expect(outcome.summary).toBe('RT → apprec 1, reply 05');
    expect(await appointments()).toBe(1);
  });

  test('a message encrypted for our legacy key is still accepted (key roll-over)', async () => {
    const outcome = await app.pipeline.process(amqp(sealed(RT, undefined, pki.parties[US]!.legacyEncryption)));
    expect(outcome.status).toBe('answered');
  });

  test('plain XML on AMQP is refused as transport:invalid-cms-pkcs', async () => {
    const outcome = await app.pipeline.process(amqp(RT));
    expect(outcome.status).toBe('reported');
    expect((await outbox())[0]?.properties.errorCondition).toBe('transport:invalid-cms-pkcs');
  });

  const failures: { what: string; build: () => Buffer; condition: string }[] = ([
    ['encrypted for someone else', () => sealed(RT, undefined, pki.parties[HELSENORGE]!.encryption), 'transport:decryption-failed'],
    ['not CMS at all', () => Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]), 'transport:invalid-cms-pkcs'],
    ['signed by a certificate the registry does not hold for the sender', () => sealed(RT, pki.parties[US]!.signing), 'transport:invalid-certificate'],
    ['signed by an impostor with the registry certificate\'s issuer and serial', () => sealed(RT, pki.special.impostor), 'transport:invalid-certificate'],
    [
      '3DES content encryption',
      () => openssl(['cms', '-encrypt', '-binary', '-outform', 'DER', '-des3', certPathOf(pki.parties[US]!.encryption)], signedOnly()),
      'transport:unsupported-message',
    ],
    ['a signature that does not match the content', () => tampered(), 'transport:invalid-signature'],
  ] as [string, () => Buffer, string][]).map(([what, build, condition]) => ({ what, build, condition }));
  test.each(failures)('$what → $condition on the sender\'s error queue, nothing booked', async ({ build, condition }) => {
    const outcome = await app.pipeline.process(amqp(build()));
    expect(outcome.status).toBe('reported');
    const rows = await outbox();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.kind).toBe('error-report');
    expect(rows[0]?.queue).toBe(`${HN_SERVICE}_error`);
    expect(rows[0]?.properties.errorCondition).toBe(condition);
    expect(await appointments()).toBe(0);
  });

  test('an expired or revoked registry certificate is reported with its own condition', async () => {
    for (const [entry, condition] of [
      [pki.special.expired, 'transport:expired-certificate'],
      [pki.special.revoked, 'transport:revoked-certificate'],
    ] as const) {
      copyFileSync(entry.certPath, hnSigningFile);
      const local = await openApp(protection());
      copyFileSync(entry.certPath, hnSigningFile);
      try {
        const body = protect(RT, { key: loadKeyFile(entry.keyPath), certificatePem: certPem(entry) }, certPem(pki.parties[US]!.encryption));
        const outcome = await local.pipeline.process(amqp(body));
        expect(outcome.status).toBe('reported');
        const rows = await local.db.manager.getRepository(OutboxEntity).find();
        expect(rows.map((r) => r.properties.errorCondition)).toEqual([condition]);
      } finally {
        await local.close();
      }
    }
  });

  test('revocation status unknown (stale CRL) is not answered: the pipeline throws so the transport retries', async () => {
    const local = await openApp(protection({ crls: [pki.crls.issuingStale, pki.crls.root] }));
    try {
      await expect(local.pipeline.process(amqp(sealed()))).rejects.toMatchObject({ code: 'ERR_PROTECTION_REVOCATION_UNKNOWN' });
      expect(await local.db.manager.getRepository(OutboxEntity).count()).toBe(0);
    } finally {
      await local.close();
    }
  });

  test('when the sender rotates its certificate, the registry file is read again once and the message is accepted', async () => {
    expect((await app.pipeline.process(amqp(sealed()))).status).toBe('answered'); // caches the old certificate
    // Helsenorge's registry entry now holds a new certificate (here: another valid signing certificate).
    copyFileSync(pki.parties[US]!.signing.certPath, hnSigningFile);
    const second = Buffer.from(RT.toString('utf8').replace(/<MsgId>[^<]+<\/MsgId>/, '<MsgId>rotated-1</MsgId>'));
    const outcome = await app.pipeline.process(amqp(sealed(second, pki.parties[US]!.signing)));
    expect(outcome.status).not.toBe('reported');
  });
});

describe('outbound protection', () => {
  test('every outgoing message is signed by us and encrypted for the receiver; the plaintext is the stored MsgHead', async () => {
    await app.pipeline.process(amqp(sealed()));
    const rows = await outbox();
    expect(rows.map((r) => r.kind)).toEqual(['apprec', 'reply']);
    expect(app.encoder.protects).toBe(true);
    for (const row of rows) {
      const encoded = await app.encoder.encode(row);
      expect(encoded.contentType).toBe(PROTECTED_CONTENT_TYPE);
      const opened = unprotect(
        encoded.body,
        { current: loadKeyFile(pki.parties[HELSENORGE]!.encryption.keyPath) },
        [certPem(pki.parties[US]!.signing)],
        testTrust(pki),
      );
      expect(opened.content.toString('utf8')).toBe(row.body);
    }
  });

  test('openssl decrypts and verifies what Timebok sends', async () => {
    await app.pipeline.process(amqp(sealed()));
    const [row] = await outbox();
    const encoded = await app.encoder.encode(row!);
    const signed = openssl(['cms', '-decrypt', '-inform', 'DER', '-outform', 'DER', '-inkey', pki.parties[HELSENORGE]!.encryption.keyPath], encoded.body);
    const plain = openssl(['cms', '-verify', '-inform', 'DER', '-CAfile', pki.caBundlePath, '-purpose', 'any'], signed);
    expect(plain.toString('utf8')).toBe(row!.body);
  });

  test('an error report has no body and no content type', async () => {
    await app.pipeline.process(amqp(RT));
    const [row] = await outbox();
    expect(await app.encoder.encode(row!)).toEqual({ body: Buffer.alloc(0), contentType: null });
  });

  test('a receiver without an encryption certificate in the registry cannot be sent to (the row stays unsent)', async () => {
    await app.pipeline.process(amqp(sealed()));
    const [row] = await outbox();
    await expect(app.encoder.encode({ ...row!, toHerId: GP })).rejects.toMatchObject({ code: 'ERR_PROTECTION_CERTIFICATE' });
  });
});

describe('spool with keys', () => {
  test('a .p7m with a sidecar is unprotected and processed; answers are written as .p7m + sidecar; plain XML still works when allowed', async () => {
    const spool = mkdtempSync(join(tmpdir(), 'timebok-cms-spool-'));
    const relay = new OutboxRelay(app.db, new SpoolPublisher(spool, app.encoder), app.clock, silentLogger);
    const consumer = new SpoolConsumer(app.pipeline, { spoolDir: spool, herIds: [GP], pollMs: 20, maxBytes: DEFAULT_XML_LIMITS.maxBytes, afterEach: () => relay.drain() }, silentLogger);
    await consumer.start();
    await consumer.stop();
    writeFileSync(join(spool, `${GP}_async`, 'rt.p7m'), sealed());
    writeFileSync(join(spool, `${GP}_async`, 'rt.p7m.json'), JSON.stringify({ fromHerId: HN_SERVICE, toHerId: GP }));
    expect(await consumer.pollOnce()).toBe(1);
    expect(readdirSync(join(spool, `${GP}_async`, 'processed')).sort()).toEqual(['rt.p7m', 'rt.p7m.json']);
    const out = readdirSync(join(spool, `${HN_SERVICE}_async`)).sort();
    expect(out.filter((n) => n.endsWith('.p7m'))).toHaveLength(2);
    expect(out.filter((n) => n.endsWith('.p7m.json'))).toHaveLength(2);
    const reply = out.find((n) => n.includes('-reply-') && n.endsWith('.p7m'))!;
    const opened = unprotect(
      readFileSync(join(spool, `${HN_SERVICE}_async`, reply)),
      { current: loadKeyFile(pki.parties[HELSENORGE]!.encryption.keyPath) },
      [certPem(pki.parties[US]!.signing)],
      testTrust(pki),
    );
    expect(opened.content.toString('utf8')).toContain('V="05"');
    expect(JSON.parse(readFileSync(join(spool, `${HN_SERVICE}_async`, `${reply}.json`), 'utf8'))).toMatchObject({ fromHerId: GP, toHerId: HN_SERVICE });

    const hlt = readFileSync(join(TR, 'Ledige-timer--Foresporsel-innbygger--Hent-ledige-timer.xml'));
    writeFileSync(join(spool, `${GP}_sync`, 'hlt.xml'), hlt);
    expect(await consumer.pollOnce()).toBe(1);
    expect(readdirSync(join(spool, `${GP}_sync`, 'processed'))).toEqual(['hlt.xml']);
  });
});

describe('start-up', () => {
  test('a key that does not fit its certificate stops Timebok with the file named', async () => {
    const bad = protection();
    bad.signing = { key: pki.parties[HELSENORGE]!.signing.keyPath, certificate: pki.parties[US]!.signing.certPath };
    await expect(openApp(bad)).rejects.toMatchObject({ code: 'ERR_SETUP_FILE', message: expect.stringContaining(pki.parties[US]!.signing.certPath) });
  });

  test('our own signing certificate must be valid for signing', async () => {
    const bad = protection();
    bad.signing = { key: pki.special.wrongUsageSigning.keyPath, certificate: pki.special.wrongUsageSigning.certPath };
    await expect(openApp(bad)).rejects.toMatchObject({ code: 'ERR_PROTECTION_CERTIFICATE' });
  });
});

function certPathOf(entry: { certPath: string }): string {
  return entry.certPath;
}

/** Helsenorge's SignedData of RT, not encrypted (for openssl to encrypt with a refused cipher). */
function signedOnly(): Buffer {
  const hn = pki.parties[HELSENORGE]!.signing;
  return openssl(['cms', '-sign', '-binary', '-nodetach', '-outform', 'DER', '-md', 'sha256', '-signer', hn.certPath, '-inkey', hn.keyPath], RT);
}

/** A SignedData whose content was changed after signing, then encrypted for us. */
function tampered(): Buffer {
  const signed = signedOnly();
  const at = signed.indexOf(Buffer.from('ReserverAvtale'));
  const changed = Buffer.from(signed);
  if (at >= 0) changed[at] = 'r'.charCodeAt(0);
  else changed[signed.indexOf(Buffer.from('MsgHead'))] = 'm'.charCodeAt(0);
  return openssl(['cms', '-encrypt', '-binary', '-outform', 'DER', '-aes256', pki.parties[US]!.encryption.certPath], changed);
}
