import { loadConfig } from '../../../src/config/config.js';

describe('configuration', () => {
  test('with nothing set, runs on the embedded default with the demo set-up and synthetic ids allowed', () => {
    const c = loadConfig({}, '/srv/timebok');
    expect(c.databaseUrl).toBe('sqlite:/srv/timebok/var/timebok.sqlite');
    expect(c.spoolDir).toBe('/srv/timebok/var/spool');
    expect(c.registryFile).toBe('/srv/timebok/fixtures/demo/registry.json');
    expect(c.acceptSyntheticIds).toBe(true);
    expect(c.limits).toEqual({ maxBytes: 1048576, maxDepth: 100, maxVevents: 500 });
  });

  test('own set-up files turn synthetic ids off unless asked for', () => {
    expect(loadConfig({ REGISTRY_FILE: 'r.json', TIMEBOOKS_FILE: 't.json' }, '/x').acceptSyntheticIds).toBe(false);
    expect(loadConfig({ REGISTRY_FILE: 'r.json', ACCEPT_SYNTHETIC_IDS: 'true' }, '/x').acceptSyntheticIds).toBe(true);
  });

  test('group commit: 16 messages per transaction by default, 1 turns it off', () => {
    expect(loadConfig({}, '/x').groupCommit).toBe(16);
    expect(loadConfig({ DB_GROUP_COMMIT: '1' }, '/x').groupCommit).toBe(1);
  });

  test('a PostgreSQL URL is kept as it is; HER-id lists are parsed', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u@h/db', OUR_HER_IDS: '1, 2,3' }, '/x');
    expect(c.databaseUrl).toBe('postgres://u@h/db');
    expect(c.ourHerIds).toEqual([1, 2, 3]);
  });

  test.each([
    ['MAX_BODY_BYTES', String(21 * 1024 * 1024)],
    ['OUR_HER_IDS', 'abc'],
    ['LOG_LEVEL', 'loud'],
    ['ACCEPT_SYNTHETIC_IDS', 'maybe'],
    ['DB_GROUP_COMMIT', '0'],
    ['DB_GROUP_COMMIT', 'many'],
  ])('a bad %s stops start-up naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value }, '/x')).toThrow(new RegExp(name));
  });

  test('without SIGNING_KEY_FILE there is no CMS; with it, the key, trust and CRL files are resolved', () => {
    expect(loadConfig({}, '/x').protection).toBeNull();
    const c = loadConfig(
      {
        SIGNING_KEY_FILE: 'keys/sign.p12',
        DECRYPTION_KEY_FILE: 'keys/enc.key.pem',
        DECRYPTION_CERT_FILE: 'keys/enc.pem',
        LEGACY_DECRYPTION_KEY_FILE: 'keys/old.key.pem',
        KEY_PASSPHRASE: 'pw',
        TRUST_ANCHOR_FILES: 'ca/root.pem, ca/root2.pem',
        CRL_FILES: 'ca/issuing.crl',
      },
      '/x',
    );
    expect(c.protection).toEqual({
      signing: { key: '/x/keys/sign.p12' },
      decryption: { key: '/x/keys/enc.key.pem', certificate: '/x/keys/enc.pem' },
      legacyDecryption: { key: '/x/keys/old.key.pem' },
      passphrase: 'pw',
      trust: { anchors: ['/x/ca/root.pem', '/x/ca/root2.pem'], intermediates: [], crls: ['/x/ca/issuing.crl'], revocation: 'crl' },
    });
  });

  test.each([
    [{ SIGNING_KEY_FILE: 's.pem', TRUST_ANCHOR_FILES: 'ca.pem' }, /DECRYPTION_KEY_FILE/],
    [{ SIGNING_KEY_FILE: 's.pem', DECRYPTION_KEY_FILE: 'd.pem' }, /TRUST_ANCHOR_FILES/],
    [{ DECRYPTION_KEY_FILE: 'd.pem' }, /DECRYPTION_KEY_FILE: needs SIGNING_KEY_FILE/],
    [{ SIGNING_KEY_FILE: 's.pem', DECRYPTION_KEY_FILE: 'd.pem', TRUST_ANCHOR_FILES: 'ca.pem', REVOCATION_CHECK: 'ocsp' }, /REVOCATION_CHECK/],
  ])('an incomplete key configuration stops start-up naming the setting (%o)', (env, message) => {
    expect(() => loadConfig(env, '/x')).toThrow(message);
  });

  test('plain XML is accepted only when a setting allows it: by default only in the bundled demo world without keys', () => {
    expect(loadConfig({}, '/x').allowPlainXml).toBe(true);
    expect(loadConfig({ REGISTRY_FILE: 'r.json' }, '/x').allowPlainXml).toBe(false);
    expect(loadConfig({ SIGNING_KEY_FILE: 's.pem', DECRYPTION_KEY_FILE: 'd.pem', TRUST_ANCHOR_FILES: 'ca.pem' }, '/x').allowPlainXml).toBe(false);
    expect(loadConfig({ REGISTRY_FILE: 'r.json', ALLOW_PLAIN_XML: 'true' }, '/x').allowPlainXml).toBe(true);
    expect(loadConfig({ ALLOW_PLAIN_XML: 'off' }, '/x').allowPlainXml).toBe(false);
  });

  test('AMQP settings have the protocol defaults', () => {
    expect(loadConfig({}, '/x').amqp).toEqual({ herIds: [], prefetch: 50, deliveryLimit: 10, syncReplyTtlMs: 15000, reconnectMaxMs: 30000, protocol: '1.0', tls: {} });
    expect(loadConfig({ AMQP_HER_IDS: '8142520,8142521' }, '/x').amqp.herIds).toEqual([8142520, 8142521]);
  });

  test('AMQP_PROTOCOL is 1.0 (NHN\'s bus) unless 0-9-1 is chosen; anything else stops start-up naming it', () => {
    expect(loadConfig({ AMQP_URL: 'amqps://u:p@sb.test.nhn.no:5671/NHNTESTServiceBus' }, '/x').amqp.protocol).toBe('1.0');
    expect(loadConfig({ AMQP_PROTOCOL: '0-9-1' }, '/x').amqp.protocol).toBe('0-9-1');
    expect(() => loadConfig({ AMQP_PROTOCOL: '0.9.1' }, '/x')).toThrow(/AMQP_PROTOCOL/);
  });

  test('AMQP TLS files are resolved against the working directory', () => {
    expect(loadConfig({ AMQP_TLS_CA_FILE: 'certs/nhn-ca.pem', AMQP_TLS_CERT_FILE: '/etc/t/client.p12', AMQP_TLS_PASSPHRASE: 'pw' }, '/x').amqp.tls)
      .toEqual({ caFile: '/x/certs/nhn-ca.pem', certFile: '/etc/t/client.p12', passphrase: 'pw' });
  });
});
