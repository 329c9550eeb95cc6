import { sharedTestPki, HELSENORGE, US } from '../../fixtures/protection/pki.js';
import { loadSimKeys, openBody, protectBody } from '../../../src/simulate/protection.js';
import { loadCertificatesFile } from '../../../src/protection/keys.js';
import type { TestPki } from '../../../scripts/support/test-pki.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await sharedTestPki();
});

function keysOf(herId: string) {
  const p = pki.parties[herId]!;
  return loadSimKeys({
    signing: { key: p.signing.keyPath, certificate: p.signing.certPath },
    decryption: { key: p.encryption.keyPath, certificate: p.encryption.certPath },
    trust: { anchors: [pki.rootCa.certPath], intermediates: [pki.issuingCa.certPath], crls: [pki.crls.root, pki.crls.issuing] },
  });
}

const xml = '<?xml version="1.0" encoding="UTF-8"?><MsgHead xmlns="http://www.kith.no/xmlstds/msghead/2006-05-24"/>';

describe("the simulator's message protection", () => {
  it('signs as Helsenorge and encrypts for the practice; the practice opens and verifies it', () => {
    const hn = keysOf(HELSENORGE);
    const practice = keysOf(US);
    const practiceEnc = loadCertificatesFile(pki.parties[US]!.encryption.certPath)[0]!;
    const hnSign = loadCertificatesFile(pki.parties[HELSENORGE]!.signing.certPath);
    const body = protectBody(xml, 'cms', hn, practiceEnc);
    expect(body.contentType).toBe('application/pkcs7-mime; smime-type=signed-and-enveloped-data');
    const opened = openBody(body.body, practice, hnSign, Number(HELSENORGE));
    expect(opened).toMatchObject({ ok: true, xml, protectedBy: 'cms' });
  });

  it('explains an answer it cannot decrypt, and one signed by a certificate the registry does not list', () => {
    const hn = keysOf(HELSENORGE);
    const practice = keysOf(US);
    const hnEnc = loadCertificatesFile(pki.parties[HELSENORGE]!.encryption.certPath)[0]!;
    const practiceEnc = loadCertificatesFile(pki.parties[US]!.encryption.certPath)[0]!;
    const practiceSign = loadCertificatesFile(pki.parties[US]!.signing.certPath);
    // the practice encrypted for itself instead of for Helsenorge
    const wrongRecipient = protectBody(xml, 'cms', practice, practiceEnc);
    const a = openBody(wrongRecipient.body, hn, practiceSign, Number(US));
    expect(a).toMatchObject({ ok: false, stage: 'decrypt', code: 'ERR_PROTECTION_DECRYPT' });
    expect(a.ok ? '' : a.explanation).toContain('could not be decrypted');
    // signed with a certificate that is not the practice's registered signing certificate
    const unknownSigner = protectBody(xml, 'unknown-signer', practice, hnEnc);
    const b = openBody(unknownSigner.body, hn, practiceSign, Number(US));
    expect(b).toMatchObject({ ok: false, stage: 'verify', code: 'ERR_PROTECTION_CERTIFICATE' });
    expect(b.ok ? '' : b.explanation).toContain('unknown signer');
  });

  it('refuses plain XML when it has keys, and needs keys to open CMS', () => {
    const hn = keysOf(HELSENORGE);
    expect(openBody(Buffer.from(xml), hn, [], 1)).toMatchObject({ ok: false, stage: 'plain-refused' });
    expect(openBody(Buffer.from(xml), null, [], 1)).toMatchObject({ ok: true, protectedBy: 'none' });
    expect(openBody(Buffer.from([0x30, 0x82, 0x01]), null, [], 1)).toMatchObject({ ok: false, code: 'SIM_NO_KEYS' });
  });

  it('builds the broken bodies of the error scenarios', () => {
    const hn = keysOf(HELSENORGE);
    const practice = keysOf(US);
    const practiceEnc = loadCertificatesFile(pki.parties[US]!.encryption.certPath)[0]!;
    const hnSign = loadCertificatesFile(pki.parties[HELSENORGE]!.signing.certPath);
    expect(openBody(protectBody(xml, 'tampered', hn, practiceEnc).body, practice, hnSign, 1)).toMatchObject({ ok: false, code: 'ERR_PROTECTION_DECRYPT' });
    expect(openBody(protectBody(xml, 'wrong-recipient', hn, practiceEnc).body, practice, hnSign, 1)).toMatchObject({ ok: false, code: 'ERR_PROTECTION_DECRYPT' });
    expect(openBody(protectBody(xml, 'signed-only', hn, practiceEnc).body, practice, hnSign, 1)).toMatchObject({ ok: false, code: 'ERR_PROTECTION_CMS' });
    expect(openBody(protectBody(xml, 'not-cms', hn, practiceEnc).body, practice, hnSign, 1)).toMatchObject({ ok: false, code: 'ERR_PROTECTION_CMS' });
  });
});
