import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadTokensFile } from '../admin/tokens.js';
import { loadConfig, type Config } from '../config/config.js';
import { loadSchemaSet } from '../envelope/schema.validator.js';
import { parseCertificate } from '../protection/certificates.js';
import { loadCertificateFile, loadCrlFile, loadIdentity, loadKeyFile, loadTrust } from '../protection/keys.js';
import { checkCertificate } from '../protection/trust.js';
import { loadRegistryFile, type RegistryFile } from '../registry/registry.file.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { isTimebokError } from '../shared/errors.js';
import { loadTimebooksFile } from '../timebook/timebook.import.js';

export interface ConfigCheckIo {
  env: NodeJS.ProcessEnv;
  cwd: string;
  out(line: string): void;
  clock?: Clock;
}

const DAY = 86_400_000;

/**
 * `timebok config check`: validates every setting, file and certificate the service would load at
 * start-up, without starting it (no database connection, no broker connection, nothing written). Prints
 * one line per item, `ok`, `warn` or `FAIL` with what it found or exactly what is wrong, and returns
 * 0 when nothing failed, else 1.
 */
export async function runConfigCheck(io: ConfigCheckIo): Promise<number> {
  const clock = io.clock ?? systemClock;
  let failed = 0;
  const ok = (what: string, found: string) => io.out(`ok    ${what}: ${found}`);
  const warn = (what: string, found: string) => io.out(`warn  ${what}: ${found}`);
  const fail = (what: string, problem: string) => {
    failed += 1;
    io.out(`FAIL  ${what}: ${problem}`);
  };
  const reason = (err: unknown) => (isTimebokError(err) ? err.message : err instanceof Error ? err.message : String(err));
  const step = async (what: string, work: () => Promise<string | null> | string | null) => {
    try {
      const found = await work();
      if (found !== null) ok(what, found);
    } catch (err) {
      fail(what, reason(err));
    }
  };

  let config: Config;
  try {
    config = loadConfig(io.env, io.cwd);
    ok('settings', 'every environment variable is valid');
  } catch (err) {
    fail('settings', reason(err));
    return 1;
  }

  await step('DATABASE_URL', () => {
    if (/^postgres/.test(config.databaseUrl)) {
      const u = new URL(config.databaseUrl);
      return `PostgreSQL at ${u.hostname}:${u.port || 5432}${u.pathname} (not connected by this check)`;
    }
    const file = config.databaseUrl.replace(/^sqlite:/, '');
    if (file === ':memory:') return 'SQLite in memory';
    writableOrCreatable(dirname(file));
    return `SQLite ${file}${existsSync(file) ? '' : ' (created at start)'}`;
  });

  let registry: RegistryFile | null = null;
  await step('REGISTRY_FILE', async () => {
    registry = await loadRegistryFile(config.registryFile);
    const certs = registry.parties.flatMap((p) => [p.certificates?.signing, p.certificates?.encryption]).filter((f): f is string => Boolean(f));
    for (const f of new Set(certs)) {
      let pem: string;
      try {
        pem = loadCertificateFile(f);
      } catch (err) {
        // Counterparty certificates are read only when a message is protected or unprotected.
        if (config.protection !== null) throw err;
        warn('registry certificate', `${reason(err)} (needed once CMS is on)`);
        continue;
      }
      const days = Math.floor((parseCertificate(pem).notAfter.getTime() - clock.now().getTime()) / DAY);
      if (days < 0) warn('registry certificate', `${f} expired ${-days} days ago`);
      else if (days < 30) warn('registry certificate', `${f} expires in ${days} days`);
    }
    return `${config.registryFile}: ${registry.parties.length} parties, ${new Set(certs).size} certificate file(s) named`;
  });

  await step('TIMEBOOKS_FILE', async () => {
    const file = await loadTimebooksFile(config.timebooksFile);
    const parties = new Map(((registry as RegistryFile | null)?.parties ?? []).map((p) => [p.herId, p]));
    for (const b of file.timebooks) {
      const owner = parties.get(b.herId);
      if (registry !== null && (owner === undefined || !owner.active)) throw new Error(`timebook ${b.id}: owner HER-id ${b.herId} is not an active party in the registry`);
    }
    return `${config.timebooksFile}: ${file.timebooks.length} timebooks (imported at start unless the admin API manages them)`;
  });

  await step('HELSENORGE_HER_ID', () => {
    if (config.helsenorgeHerId === null) {
      warn('HELSENORGE_HER_ID', 'not set: desk bookings (staff create) are refused');
      return null;
    }
    if (registry !== null && !(registry as RegistryFile).parties.some((p) => p.herId === config.helsenorgeHerId)) throw new Error(`${config.helsenorgeHerId} is not in the registry`);
    return String(config.helsenorgeHerId);
  });

  await step('schemas', async () => {
    const set = await loadSchemaSet();
    set.dispose();
    return 'the XML Schema set compiles';
  });

  const p = config.protection;
  if (p === null) {
    if (config.amqpUrl) fail('SIGNING_KEY_FILE', 'AMQP_URL is set but CMS protection is not: set SIGNING_KEY_FILE, DECRYPTION_KEY_FILE and TRUST_ANCHOR_FILES');
    else ok('protection', `CMS off (plain XML ${config.allowPlainXml ? 'accepted' : 'refused'} on the spool)`);
  } else {
    let trust: ReturnType<typeof loadTrust> | null = null;
    await step('TRUST_ANCHOR_FILES', () => {
      trust = loadTrust(p.trust, clock);
      for (const f of p.trust.crls) loadCrlFile(f);
      return `${p.trust.anchors.length} anchor(s), ${p.trust.intermediates.length} intermediate(s), ${p.trust.crls.length} CRL(s); revocation ${p.trust.revocation}`;
    });
    const ours = (what: string, pem: string, use: 'signing' | 'encryption') => {
      const cert = parseCertificate(pem);
      const days = Math.floor((cert.notAfter.getTime() - clock.now().getTime()) / DAY);
      if (trust !== null) {
        try {
          checkCertificate(pem, use, trust);
        } catch (err) {
          if (!(isTimebokError(err) && err.code === 'ERR_PROTECTION_REVOCATION_UNKNOWN')) throw err;
          warn(what, 'revocation status unknown (CRL out of date)');
        }
      }
      return `${cert.x509.subject.replace(/\n/g, ', ')}; valid until ${cert.notAfter.toISOString().slice(0, 10)} (${days} days)`;
    };
    await step('SIGNING_KEY_FILE', () => {
      const id = loadIdentity({ key: p.signing.key, ...(p.signing.certificate ? { certificate: p.signing.certificate } : {}), ...(p.passphrase ? { passphrase: p.passphrase } : {}) });
      return `key and certificate fit; ${ours('SIGNING_KEY_FILE', id.certificatePem, 'signing')}`;
    });
    for (const [name, pair] of [['DECRYPTION_KEY_FILE', p.decryption], ['LEGACY_DECRYPTION_KEY_FILE', p.legacyDecryption]] as const) {
      if (pair === null) continue;
      await step(name, () => {
        loadKeyFile(pair.key, p.passphrase);
        return pair.certificate ? `key readable; ${ours(name, loadCertificateFile(pair.certificate, p.passphrase), 'encryption')}` : 'key readable (no certificate given)';
      });
    }
  }

  if (config.amqpUrl) {
    await step('AMQP_URL', () => {
      const u = new URL(config.amqpUrl as string);
      if (!/^amqps?:$/.test(u.protocol)) throw new Error('must start with amqp:// or amqps://');
      return `${u.protocol}//${u.hostname}:${u.port || (u.protocol === 'amqps:' ? 5671 : 5672)} (not connected by this check)`;
    });
  } else {
    await step('SPOOL_DIR', () => {
      if (!existsSync(config.spoolDir)) {
        writableOrCreatable(config.spoolDir);
        return `${config.spoolDir} (created at start)`;
      }
      if (!statSync(config.spoolDir).isDirectory()) throw new Error(`${config.spoolDir} is not a folder`);
      accessSync(config.spoolDir, constants.W_OK);
      return config.spoolDir;
    });
  }

  const a = config.admin;
  if (a.port === null) ok('ADMIN_PORT', 'not set: no admin API, staff page, health or metrics endpoint');
  else {
    ok('ADMIN_PORT', `${a.host}:${a.port}${a.host === '127.0.0.1' || a.host === 'localhost' || a.host === '::1' ? '' : ' (reachable from other machines: put TLS in front)'}`);
    if (a.tokensFile === null) warn('ADMIN_TOKENS_FILE', 'not set: every /api call is refused (401)');
    else {
      await step('ADMIN_TOKENS_FILE', () => {
        const tokens = loadTokensFile(a.tokensFile as string);
        if (tokens.length === 0) warn('ADMIN_TOKENS_FILE', 'holds no tokens');
        return `${tokens.length} token(s): ${tokens.map((t) => `${t.name} (${t.role})`).join(', ') || 'none'}`;
      });
    }
  }
  ok('RETENTION_DAYS', `${a.retentionDays} days`);

  io.out(failed === 0 ? 'configuration ok' : `configuration has ${failed} problem${failed === 1 ? '' : 's'}`);
  return failed === 0 ? 0 : 1;
}

/** A folder that exists and is writable, or can be made in the nearest existing parent. */
function writableOrCreatable(path: string): void {
  let dir = path;
  while (!existsSync(dir)) dir = dirname(dir);
  if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder`);
  accessSync(dir, constants.W_OK);
}
