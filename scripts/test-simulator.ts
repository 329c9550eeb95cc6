/**
 * `npm run test:simulator`: the simulator's suite against a real Timebok on the spool, as CI runs it.
 *
 * 1. a test PKI in a temp folder (scripts/gen-test-pki.ts: 8142519 is the practice, 115851 Helsenorge);
 * 2. the demo set-up (fixtures/demo) copied next to it, its certificate paths filled from the PKI;
 * 3. Timebok started as a child process on the spool with those keys (CMS on, plain XML refused);
 * 4. every scenario of fixtures/simulator/scenarios run against it, one line per step;
 * 5. a JUnit report (var/simulator-junit.xml, or --junit FILE) and the closing `N passed, M failed`.
 *
 * Exit 0 when every step passed, 1 otherwise. Timebok's log is kept in the temp folder on failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeTestKeyFiles } from '../src/cli/replay-keys.js';
import { generateTestPki } from './support/test-pki.js';
import { junitXml, stepLine, totals, totalsLine } from '../src/simulate/report.js';
import { runScenario, type ScenarioResult } from '../src/simulate/runner.js';
import { loadScenarios } from '../src/simulate/scenario.js';
import { openSimulator, parseSettings } from '../src/simulate/settings.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PRACTICE = 8142519;
const HELSENORGE = 115851;

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function waitForStart(child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const started = Date.now();
  for (;;) {
    const log = readFileSync(logFile, 'utf8');
    if (log.includes('Timebok is running')) return;
    if (child.exitCode !== null) throw new Error(`Timebok exited during start-up (code ${child.exitCode}); see ${logFile}`);
    if (Date.now() - started > timeoutMs) throw new Error(`Timebok did not start within ${timeoutMs / 1000} s; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<number> {
  // The protocol suite, then the steps that drive Timebok's own staff commands (run: steps).
  const scenarioDirs = argValue('--scenarios') ? [resolve(argValue('--scenarios') as string)] : [join(ROOT, 'fixtures/simulator/scenarios'), join(ROOT, 'fixtures/simulator/scenarios-timebok')];
  const junitFile = resolve(argValue('--junit') ?? join(ROOT, 'var/simulator-junit.xml'));
  const work = mkdtempSync(join(tmpdir(), 'timebok-simulator-'));
  process.stdout.write(`test:simulator: working in ${work}\n`);

  // 1. keys
  const pki = await generateTestPki(join(work, 'pki'), { parties: [PRACTICE, HELSENORGE] });
  const { envFile } = writeTestKeyFiles(pki, PRACTICE);
  const keyEnv = Object.fromEntries(
    readFileSync(envFile, 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

  // 2. the demo set-up with the PKI's certificates where registry.json expects them (certs/<herId>-…)
  const setup = join(work, 'setup');
  mkdirSync(join(setup, 'certs'), { recursive: true });
  copyFileSync(join(ROOT, 'fixtures/demo/registry.json'), join(setup, 'registry.json'));
  copyFileSync(join(ROOT, 'fixtures/demo/timebooks.json'), join(setup, 'timebooks.json'));
  for (const herId of [PRACTICE, HELSENORGE]) {
    const party = pki.parties[String(herId)];
    if (!party) throw new Error(`PKI lacks ${herId}`);
    copyFileSync(party.signing.certPath, join(setup, 'certs', `${herId}-sign.pem`));
    copyFileSync(party.encryption.certPath, join(setup, 'certs', `${herId}-enc.pem`));
  }

  // 3. Timebok on the spool
  const spool = join(work, 'spool');
  const logFile = join(work, 'timebok.log');
  writeFileSync(logFile, '');
  const timebokEnv = {
    DATABASE_URL: `sqlite:${join(work, 'timebok.sqlite')}`,
    ACCEPT_SYNTHETIC_IDS: 'true',
    HELSENORGE_HER_ID: '8093248',
  };
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      ...keyEnv,
      ...timebokEnv,
      SPOOL_DIR: spool,
      SPOOL_POLL_MS: '50',
      REGISTRY_FILE: join(setup, 'registry.json'),
      TIMEBOOKS_FILE: join(setup, 'timebooks.json'),
      // The office's own HER-id too: its services share its queues in the registry.
      OUR_HER_IDS: String(PRACTICE),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const append = (chunk: Buffer) => writeFileSync(logFile, chunk, { flag: 'a' });
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let results: ScenarioResult[] = [];
  try {
    await waitForStart(child, logFile, 60_000);
    // 4. the suite
    const settings = parseSettings(
      {
        herId: 8093248,
        registry: join(setup, 'registry.json'),
        keys: {
          signing: { key: pki.parties[String(HELSENORGE)]?.signing.keyPath, certificate: pki.parties[String(HELSENORGE)]?.signing.certPath },
          decryption: { key: pki.parties[String(HELSENORGE)]?.encryption.keyPath, certificate: pki.parties[String(HELSENORGE)]?.encryption.certPath },
          trust: { anchors: [pki.rootCa.certPath], intermediates: [pki.issuingCa.certPath], crls: [pki.crls.root, pki.crls.issuing] },
        },
        transport: { kind: 'spool', dir: spool, pollMs: 50 },
      },
      work,
    );
    writeFileSync(join(work, 'simulator.json'), `${JSON.stringify(settings, null, 2)}\n`);
    const scenarios = scenarioDirs.flatMap((d) => loadScenarios(d));
    const opened = await openSimulator(settings);
    try {
      for (const scenario of scenarios) {
        process.stdout.write(`${scenario.name} (${scenario.file.replace(`${ROOT}/`, '')})\n`);
        results.push(
          await runScenario(scenario, {
            simulator: opened.simulator,
            registry: opened.registry,
            onStep: (_s, r) => process.stdout.write(`${stepLine(r)}\n`),
            allowRun: true,
            runEnv: { ...timebokEnv, LOG_LEVEL: 'warn' },
            vars: { timebok: `${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(join(ROOT, 'src/cli/main.ts'))}` },
          }),
        );
      }
    } finally {
      await opened.close();
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        r(undefined);
      }, 10_000);
      child.once('exit', () => {
        clearTimeout(t);
        r(undefined);
      });
    });
  }
  // 5. reports
  mkdirSync(dirname(junitFile), { recursive: true });
  writeFileSync(junitFile, junitXml(results, 'timebok simulate (test:simulator)'));
  const { failed } = totals(results);
  if (failed === 0) rmSync(work, { recursive: true, force: true });
  else process.stdout.write(`Timebok's log and the spool are kept in ${work}\n`);
  process.stdout.write(`JUnit report: ${junitFile}\n`);
  process.stdout.write(`${totalsLine(results)}\n`);
  return failed === 0 && results.length > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`test:simulator: ${e instanceof Error ? e.message : String(e)}\n`);
    process.stdout.write('0 passed, 1 failed\n');
    process.exit(1);
  },
);
