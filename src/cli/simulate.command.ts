/**
 * `timebok simulate`: play Helsenorge against a running practice system (docs/simulator.md).
 *
 *   timebok simulate run <scenario file or folder...> --settings FILE [--junit FILE] [--var k=v] [--allow-run]
 *   timebok simulate check --her-id N --settings FILE [--patient FNR]
 *   timebok simulate load --to HERID --settings FILE [--citizens N] [--rate R] [--flows N] [--duration 60s] [--cancel-ratio 0.3] [--json FILE]
 *
 * Settings come from the settings file; --spool DIR, --amqp URL (0.9.1), --amqp10 URL and --registry FILE
 * override it (or replace it, without keys). Exit codes: 0 all as expected, 1 a difference / failed
 * check, 2 unusable arguments or settings.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { runCheck } from '../simulate/check.js';
import { SimulatorError } from '../simulate/errors.js';
import { assertLocalTarget, runLoad, summaryLines } from '../simulate/load.js';
import { junitXml, stepLine, totals, totalsLine } from '../simulate/report.js';
import { runScenario, type ScenarioResult } from '../simulate/runner.js';
import { loadScenarios } from '../simulate/scenario.js';
import { durationSchema } from '../simulate/scenario.js';
import { loadSettingsFile, openSimulator, type SimulatorSettings } from '../simulate/settings.js';

interface CommonOptions {
  settings?: string;
  spool?: string;
  amqp?: string;
  amqp10?: string;
  registry?: string;
  syncReplyQueue?: string;
}

const positiveInt = (what: string) => (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`${what}: a positive whole number`);
  return Number(v);
};

function withCommon(cmd: Command): Command {
  return cmd
    .option('--settings <file>', 'simulator settings (JSON): herId, registry, keys, transport (docs/simulator.md)')
    .option('--spool <dir>', 'use the spool folders in <dir> as the bus')
    .option('--amqp <url>', 'use RabbitMQ over AMQP 0.9.1 (amqp://user:pass@host:5672)')
    .option('--amqp10 <url>', 'use AMQP 1.0 (amqp[s]://user:pass@host:port[/exchange])')
    .option('--registry <file>', 'registry.json of the set-up (the parties, queues and certificates)')
    .option('--as <herId>', "Helsenorge's HER-id (level 2; default 8093248)", positiveInt('--as'))
    .option('--sync-reply-queue <name>', 'queue for sync replies (default <herId>_syncreply)');
}

/** Settings file and/or command-line overrides. @throws SimulatorError SIM_SETTINGS */
export function resolveSettings(opts: CommonOptions & { as?: number }): SimulatorSettings {
  const base: SimulatorSettings | null = opts.settings ? loadSettingsFile(opts.settings) : null;
  const transports = [opts.spool, opts.amqp, opts.amqp10].filter((v) => v !== undefined);
  if (transports.length > 1) throw new SimulatorError('SIM_SETTINGS', 'give one of --spool, --amqp, --amqp10');
  const transport = opts.spool
    ? { kind: 'spool' as const, dir: resolve(opts.spool) }
    : opts.amqp
      ? { kind: 'amqp091' as const, url: opts.amqp }
      : opts.amqp10
        ? { kind: 'amqp10' as const, url: opts.amqp10 }
        : base?.transport;
  const registry = opts.registry ? resolve(opts.registry) : base?.registry;
  if (!transport) throw new SimulatorError('SIM_SETTINGS', 'no transport: give --settings, or one of --spool, --amqp, --amqp10');
  if (!registry) throw new SimulatorError('SIM_SETTINGS', 'no registry: give --settings or --registry');
  const syncReplyQueue = opts.syncReplyQueue ?? base?.syncReplyQueue;
  return {
    herId: opts.as ?? base?.herId ?? 8093248,
    registry,
    keys: base?.keys ?? null,
    transport,
    timeZone: base?.timeZone ?? 'Europe/Oslo',
    checkSchemas: base?.checkSchemas ?? true,
    ...(syncReplyQueue ? { syncReplyQueue } : {}),
  };
}

function parseVars(values: string[] | undefined): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const v of values ?? []) {
    const i = v.indexOf('=');
    if (i < 1) throw new InvalidArgumentError(`--var ${v}: write name=value`);
    vars[v.slice(0, i)] = v.slice(i + 1);
  }
  return vars;
}

async function guarded(fn: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await fn();
  } catch (e) {
    if (e instanceof SimulatorError) {
      process.stderr.write(`timebok simulate: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
}

export function simulateCommand(): Command {
  const simulate = new Command('simulate').description('play Helsenorge against a running practice system: scenarios, load, a certificate check (docs/simulator.md)');

  withCommon(simulate.command('run'))
    .description('run scenario files (or folders of them) and report every step; exit 1 if any step differs')
    .argument('<scenario...>', 'scenario files (.yaml/.yml/.json) or folders of them')
    .option('--junit <file>', 'also write a JUnit XML report')
    .option('--var <name=value...>', 'a variable every scenario starts with')
    .option('--templates <dir>', 'a folder of templates searched after the scenario folder')
    .option('--allow-run', 'allow `run:` steps (shell commands from the scenario files)', false)
    .action(async (paths: string[], opts: CommonOptions & { as?: number; junit?: string; var?: string[]; templates?: string; allowRun: boolean }) => {
      await guarded(async () => {
        const settings = resolveSettings(opts);
        const scenarios = paths.flatMap((p) => loadScenarios(resolve(p)));
        const vars = parseVars(opts.var);
        const opened = await openSimulator(settings);
        const results: ScenarioResult[] = [];
        // What answers nothing we sent is shown, never silently dropped (codes only).
        opened.simulator.on('stray-error-report', (r: { errorCondition: string | null; originalMessageId: string | null }) => {
          process.stdout.write(`  note: an error-queue report (${r.errorCondition ?? '?'}) for a message-id the simulator did not send (${r.originalMessageId ?? 'none'})\n`);
        });
        opened.simulator.on('problem', (text: string) => process.stdout.write(`  note: ${text}\n`));
        try {
          for (const scenario of scenarios) {
            process.stdout.write(`${scenario.name} (${scenario.file})\n`);
            results.push(
              await runScenario(scenario, {
                simulator: opened.simulator,
                registry: opened.registry,
                vars,
                allowRun: opts.allowRun,
                timeZone: settings.timeZone,
                ...(opts.templates ? { templateDirs: [resolve(opts.templates)] } : {}),
                onStep: (_s, r) => process.stdout.write(`${stepLine(r)}\n`),
              }),
            );
          }
        } finally {
          await opened.close();
        }
        const strays = opened.simulator.takeUnsolicited();
        for (const a of strays) process.stdout.write(`  note: an unsolicited ${a.kind}${a.code ? ` ${a.code}` : ''} from HER-id ${a.senderHerId ?? '?'} arrived (answered with an AppRec when it asked for one)\n`);
        if (opts.junit) writeFileSync(opts.junit, junitXml(results));
        process.stdout.write(`${totalsLine(results)}\n`);
        return totals(results).failed > 0 ? 1 : 0;
      });
    });

  withCommon(simulate.command('check'))
    .description('send one protected HentLedigeTimer to a HER-id and explain what came back')
    .requiredOption('--her-id <n>', 'the practice party (level 2) to check', positiveInt('--her-id'))
    .option('--patient <fnr>', 'patient id for the request (default: a synthetic test number)')
    .option('--timeout <duration>', 'how long to wait (default 15s)', '15s')
    .action(async (opts: CommonOptions & { as?: number; herId: number; patient?: string; timeout: string }) => {
      await guarded(async () => {
        const timeout = durationSchema.safeParse(opts.timeout);
        if (!timeout.success) throw new SimulatorError('SIM_SETTINGS', '--timeout: a duration such as 15s');
        const settings = resolveSettings(opts);
        const opened = await openSimulator(settings);
        try {
          const result = await runCheck({ simulator: opened.simulator, registry: opened.registry, herId: opts.herId, timeoutMs: timeout.data, ...(opts.patient ? { patient: opts.patient } : {}) });
          for (const line of result.lines) process.stdout.write(`${line}\n`);
          return result.ok ? 0 : 1;
        } finally {
          await opened.close();
        }
      });
    });

  withCommon(simulate.command('load'))
    .description('N virtual citizens: look-up → book → sometimes cancel, against a local system; live progress and a summary')
    .requiredOption('--to <herId>', 'the book (HER-id) to load', positiveInt('--to'))
    .option('--citizens <n>', 'virtual citizens (default 10, at most 1000)', positiveInt('--citizens'), 10)
    .option('--rate <n>', 'requests per second over all citizens; 0 = as fast as answered', (v: string) => {
      if (!/^\d+(\.\d+)?$/.test(v)) throw new InvalidArgumentError('--rate: a number');
      return Number(v);
    }, 0)
    .option('--flows <n>', 'stop after this many look-up → book flows (default 100)', positiveInt('--flows'), 100)
    .option('--duration <duration>', 'stop after this long (default 60s, at most 30m)', '60s')
    .option('--cancel-ratio <r>', 'share of bookings cancelled again (default 0.3)', (v: string) => {
      const n = Number(v);
      if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('--cancel-ratio: between 0 and 1');
      return n;
    }, 0.3)
    .option('--json <file>', 'write the summary as JSON')
    .action(async (opts: CommonOptions & { as?: number; to: number; citizens: number; rate: number; flows: number; duration: string; cancelRatio: number; json?: string }) => {
      await guarded(async () => {
        const duration = durationSchema.safeParse(opts.duration);
        if (!duration.success) throw new SimulatorError('SIM_SETTINGS', '--duration: a duration such as 60s or 5m');
        const settings = resolveSettings(opts);
        assertLocalTarget(settings.transport);
        const opened = await openSimulator(settings);
        try {
          const summary = await runLoad({
            simulator: opened.simulator,
            registry: opened.registry,
            to: opts.to,
            citizens: opts.citizens,
            rate: opts.rate,
            flows: opts.flows,
            durationMs: duration.data,
            cancelRatio: opts.cancelRatio,
            onProgress: (line) => process.stderr.write(`\r${line.padEnd(140).slice(0, 200)}`),
          });
          process.stderr.write('\n');
          for (const line of summaryLines(summary)) process.stdout.write(`${line}\n`);
          if (opts.json) writeFileSync(opts.json, `${JSON.stringify(summary, null, 2)}\n`);
          return summary.functions.HLT.answered > 0 ? 0 : 1;
        } finally {
          await opened.close();
        }
      });
    });
  return simulate;
}
