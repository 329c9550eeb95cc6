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
  ])('a bad %s stops start-up naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value }, '/x')).toThrow(new RegExp(name));
  });
});
