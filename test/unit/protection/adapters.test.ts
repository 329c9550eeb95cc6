import type { InboundDelivery } from '../../../src/pipeline/types.js';
import type { Party } from '../../../src/registry/types.js';
import { FixedClock } from '../../../src/shared/clock.js';
import { TimebokError } from '../../../src/shared/errors.js';
import { protect } from '../../../src/protection/cms.protect.js';
import { CmsProtector } from '../../../src/protection/cms.protector.js';
import { unprotect, type DecryptionKeys } from '../../../src/protection/cms.unprotect.js';
import { CmsUnprotector } from '../../../src/protection/cms.unprotector.js';
import { loadKeyFile } from '../../../src/protection/keys.js';
import type { TrustOptions } from '../../../src/protection/trust.js';
import type { TestPki } from '../../../scripts/support/test-pki.js';
import { certPem, HELSENORGE, identity, sharedTestPki, TEST_NOW, testTrust, US } from '../../fixtures/protection/pki.js';

let pki: TestPki;
let trust: TrustOptions;
let ourKeys: DecryptionKeys;
const clock = new FixedClock(TEST_NOW);
const content = Buffer.from('<MsgHead/>');

function party(herId: number, certificates: Party['certificates']): Party {
  return {
    herId,
    name: `Party ${herId}`,
    type: 'Organization',
    parentHerId: null,
    organizationNumber: null,
    hprNumber: null,
    active: true,
    processes: [],
    queues: null,
    certificates,
  };
}

function delivery(body: Uint8Array): InboundDelivery {
  return { transport: 'amqp', queue: `${US}_async`, body, messageId: 'm-1', fromHerId: Number(HELSENORGE) };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TimebokError) return e.code;
    throw e;
  }
  return 'accepted';
}

beforeAll(async () => {
  pki = await sharedTestPki();
  trust = testTrust(pki, {}, clock);
  ourKeys = { current: { key: loadKeyFile(pki.parties[US]!.encryption.keyPath), certificatePem: certPem(pki.parties[US]!.encryption) } };
}, 60_000);

describe('the CMS unprotector for the pipeline', () => {
  it('verifies against the signing certificate file the registry names for the sender', async () => {
    const sender = party(Number(HELSENORGE), { signing: pki.parties[HELSENORGE]!.signing.certPath, encryption: null });
    const body = protect(content, identity(pki.parties[HELSENORGE]!.signing), certPem(pki.parties[US]!.encryption), { clock });
    const unprotector = new CmsUnprotector({ keys: ourKeys, trust });
    expect(Buffer.from(await unprotector.unprotect(delivery(body), sender))).toEqual(content);
  });

  it('refuses with invalid-certificate when the sender is unknown or has no signing certificate', async () => {
    const body = protect(content, identity(pki.parties[HELSENORGE]!.signing), certPem(pki.parties[US]!.encryption), { clock });
    const unprotector = new CmsUnprotector({ keys: ourKeys, trust });
    expect(await codeOf(unprotector.unprotect(delivery(body), null))).toBe('ERR_PROTECTION_CERTIFICATE');
    expect(await codeOf(unprotector.unprotect(delivery(body), party(Number(HELSENORGE), null)))).toBe('ERR_PROTECTION_CERTIFICATE');
  });

  it('reads the registry certificate again once when the check fails, then succeeds with the new one', async () => {
    const sender = party(Number(HELSENORGE), { signing: '/registry/certs/115851-sign.pem', encryption: null });
    const files = [[certPem(pki.parties[US]!.signing)], [certPem(pki.parties[HELSENORGE]!.signing)]];
    let reads = 0;
    const unprotector = new CmsUnprotector({ keys: ourKeys, trust, readCertificates: () => files[Math.min(reads++, 1)]! });
    const body = protect(content, identity(pki.parties[HELSENORGE]!.signing), certPem(pki.parties[US]!.encryption), { clock });
    // the (stale) file is read, the check fails, the file is read again (now renewed) and the message accepted
    expect(await codeOf(unprotector.unprotect(delivery(body), sender))).toBe('accepted');
    expect(reads).toBe(2);
    // the renewed copy is cached
    expect(await codeOf(unprotector.unprotect(delivery(body), sender))).toBe('accepted');
    expect(reads).toBe(2);
  });

  it('refreshes the party from the registry once: a new certificate entry is used; an unchanged one is not retried', async () => {
    const stale = party(Number(HELSENORGE), { signing: '/registry/old.pem', encryption: null });
    const renewed = party(Number(HELSENORGE), { signing: '/registry/new.pem', encryption: null });
    const read: string[] = [];
    const readCertificates = (path: string) => {
      read.push(path);
      return [certPem(path === '/registry/new.pem' ? pki.parties[HELSENORGE]!.signing : pki.parties[US]!.signing)];
    };
    const refreshed: number[] = [];
    const body = protect(content, identity(pki.parties[HELSENORGE]!.signing), certPem(pki.parties[US]!.encryption), { clock });
    const renewing = new CmsUnprotector({ keys: ourKeys, trust, readCertificates, refreshParty: async (h) => (refreshed.push(h), renewed) });
    expect(await codeOf(renewing.unprotect(delivery(body), stale))).toBe('accepted');
    expect(refreshed).toEqual([Number(HELSENORGE)]);
    expect(read).toEqual(['/registry/old.pem', '/registry/new.pem']);

    read.length = 0;
    const unchanged = new CmsUnprotector({ keys: ourKeys, trust, readCertificates, refreshParty: async () => stale });
    expect(await codeOf(unchanged.unprotect(delivery(body), stale))).toBe('ERR_PROTECTION_CERTIFICATE');
    expect(read).toEqual(['/registry/old.pem', '/registry/old.pem']);
  });

  it('asks for a retry when the registry certificate file cannot be read', async () => {
    const sender = party(Number(HELSENORGE), { signing: '/nowhere/cert.pem', encryption: null });
    const body = protect(content, identity(pki.parties[HELSENORGE]!.signing), certPem(pki.parties[US]!.encryption), { clock });
    const unprotector = new CmsUnprotector({ keys: ourKeys, trust });
    expect(await codeOf(unprotector.unprotect(delivery(body), sender))).toBe('ERR_DEPENDENCY_UNAVAILABLE');
  });
});

describe('the CMS protector for replies', () => {
  it('signs with our identity and encrypts for the receiver encryption certificate from the registry', async () => {
    const protector = new CmsProtector({ identity: identity(pki.parties[US]!.signing), trust, clock });
    const receiver = party(Number(HELSENORGE), { signing: null, encryption: pki.parties[HELSENORGE]!.encryption.certPath });
    const body = await protector.protect(content, receiver);
    const keys: DecryptionKeys = { current: loadKeyFile(pki.parties[HELSENORGE]!.encryption.keyPath) };
    expect(unprotect(body, keys, [certPem(pki.parties[US]!.signing)], trust).content).toEqual(content);
  });

  it('skips an unusable certificate in the receiver file and uses the valid one', async () => {
    const protector = new CmsProtector({
      identity: identity(pki.parties[US]!.signing),
      trust,
      clock,
      readCertificates: () => [certPem(pki.special.wrongUsageEncryption), certPem(pki.parties[HELSENORGE]!.encryption)],
    });
    const receiver = party(Number(HELSENORGE), { signing: null, encryption: '/registry/enc.pem' });
    const body = await protector.protect(content, receiver);
    const keys: DecryptionKeys = { current: loadKeyFile(pki.parties[HELSENORGE]!.encryption.keyPath) };
    expect(unprotect(body, keys, [certPem(pki.parties[US]!.signing)], trust).content).toEqual(content);
  });

  it('refuses a receiver without an encryption certificate', async () => {
    const protector = new CmsProtector({ identity: identity(pki.parties[US]!.signing), trust, clock });
    expect(await codeOf(protector.protect(content, party(Number(HELSENORGE), null)))).toBe('ERR_PROTECTION_CERTIFICATE');
  });
});
