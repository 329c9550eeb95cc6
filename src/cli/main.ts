import { Command, InvalidArgumentError } from 'commander';
import { runValidate } from './validate.command.js';
import { ReplayUsageError, runReplay } from './replay.command.js';
import { staffCommand } from './staff.command.js';
import { runRequeueDead } from './deadletter.command.js';
import { runAmqpDeclare } from './amqp.command.js';
import { simulateCommand } from './simulate.command.js';
import { isTimebokError } from '../shared/errors.js';
import { runConfigCheck } from './config-check.command.js';
import { newToken } from '../admin/tokens.js';

function herIdList(value: string): number[] {
  const ids = value.split(',').map((s) => s.trim());
  if (ids.some((s) => !/^\d+$/.test(s))) throw new InvalidArgumentError('a comma-separated list of HER-ids');
  return ids.map(Number);
}

const program = new Command();
program.name('timebok').description('Timebok: Helsenorge appointment booking for resource timebooks').showHelpAfterError();
program.exitOverride((err) => {
  process.exit(err.exitCode === 0 ? 0 : 2);
});

program
  .command('validate')
  .description('validate XML files against the Helsenorge booking schema set (MsgHead, Dialogmelding, xCal, AppRec …)')
  .argument('<file...>', 'XML files')
  .action(async (files: string[]) => {
    process.exitCode = await runValidate(files, (line) => process.stdout.write(`${line}\n`));
  });

program
  .command('replay')
  .description('process message files through the whole pipeline with a fixed clock; write every outbound message to --out')
  .requiredOption('--setup <dir>', 'folder holding registry.json and timebooks.json (imported on every run)')
  .requiredOption('--db <file>', 'SQLite file that keeps state between runs (or a postgres:// URL)')
  .requiredOption('--now <iso-time>', 'the clock; without an offset it is Europe/Oslo local time')
  .requiredOption('--out <dir>', 'where outbound messages (.xml) and error-queue reports (.json) are written')
  .option('--ours <herIds>', 'HER-ids served besides the owners of timebooks', herIdList)
  .option('--accept-synthetic-ids', 'accept synthetic test fødselsnumre (month + 40 / + 80)', false)
  .option('--keys <file>', 'replay keys file (our keys; senders whose messages are signed and encrypted first; see docs/replay.md)')
  .argument('<message...>', 'message files, or folders of .xml files (read in name order)')
  .action(async (messages: string[], opts: { setup: string; db: string; now: string; out: string; ours?: number[]; acceptSyntheticIds: boolean; keys?: string }) => {
    try {
      process.exitCode = await runReplay(
        {
          setup: opts.setup,
          db: opts.db,
          now: opts.now,
          out: opts.out,
          messages,
          acceptSyntheticIds: opts.acceptSyntheticIds || process.env.ACCEPT_SYNTHETIC_IDS === 'true',
          ...(opts.ours ? { ours: opts.ours } : {}),
          ...(opts.keys ? { keys: opts.keys } : {}),
        },
        (line) => process.stdout.write(`${line}\n`),
      );
    } catch (err) {
      if (err instanceof ReplayUsageError) {
        process.stderr.write(`timebok replay: ${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      throw err;
    }
  });

program.addCommand(staffCommand());
program.addCommand(simulateCommand());

program
  .command('requeue-dead')
  .description('move dead-lettered messages from <queue>.dead-letter back onto <queue>, keeping properties and headers')
  .argument('<queue>', 'the consumed queue, e.g. 8142519_async')
  .option('--count <n>', 'at most this many', (v: string) => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError('a number');
    return Number(v);
  })
  .option('--dry-run', 'list what would be requeued; change nothing', false)
  .option('--url <amqp-url>', 'broker (default AMQP_URL)')
  .action(async (queue: string, opts: { count?: number; dryRun: boolean; url?: string }) => {
    const url = opts.url ?? process.env.AMQP_URL;
    if (!url) throw new InvalidArgumentError('set AMQP_URL or --url');
    await runRequeueDead({ url, queue, dryRun: opts.dryRun, ...(opts.count !== undefined ? { count: opts.count } : {}) }, (l) => process.stdout.write(`${l}\n`));
  });

const amqpCommand = program.command('amqp').description('the message bus (docs/amqp.md)');
amqpCommand
  .command('declare')
  .description('set up on a LOCAL RabbitMQ what NHN\'s bus provides: the exchange of AMQP_URL and every party\'s _async, _sync, _error and _syncreply quorum queues with dead-letter queues, bound to it')
  .option('--her-ids <herIds>', 'only these parties (default: every party of REGISTRY_FILE)', herIdList)
  .option('--registry <file>', 'registry.json (default REGISTRY_FILE, else fixtures/demo/registry.json)')
  .option('--url <amqp-url>', 'broker and exchange (default AMQP_URL)')
  .option('--delivery-limit <n>', 'x-delivery-limit (default AMQP_DELIVERY_LIMIT, else 10)', (v: string) => {
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('a positive number');
    return Number(v);
  })
  .action(async (opts: { herIds?: number[]; registry?: string; url?: string; deliveryLimit?: number }) => {
    const url = opts.url ?? process.env.AMQP_URL;
    if (!url) throw new InvalidArgumentError('set AMQP_URL or --url');
    const registryFile = opts.registry ?? process.env.REGISTRY_FILE ?? (opts.herIds ? undefined : 'fixtures/demo/registry.json');
    await runAmqpDeclare(
      {
        url,
        ...(registryFile ? { registryFile } : {}),
        ...(opts.herIds ? { herIds: opts.herIds } : {}),
        deliveryLimit: opts.deliveryLimit ?? Number(process.env.AMQP_DELIVERY_LIMIT ?? 10),
      },
      (l) => process.stdout.write(`${l}\n`),
    );
  });

const configCommand = program.command('config').description('the service\'s configuration');
configCommand
  .command('check')
  .description('validate every setting, file and certificate the service would load, without starting it (exit 0 ok, 1 not)')
  .action(async () => {
    process.exitCode = await runConfigCheck({ env: process.env, cwd: process.cwd(), out: (l) => process.stdout.write(`${l}\n`) });
  });

const tokenCommand = program.command('token').description('admin API tokens (ADMIN_TOKENS_FILE, docs/admin.md)');
tokenCommand
  .command('new')
  .description('make a new token: prints the token (give it to its user) and the line for ADMIN_TOKENS_FILE (only its hash)')
  .argument('<name>', 'who uses it, e.g. epj or kari')
  .option('--role <role>', 'staff or operator', 'staff')
  .action((name: string, opts: { role: string }) => {
    if (opts.role !== 'staff' && opts.role !== 'operator') throw new InvalidArgumentError('--role must be staff or operator');
    const { token, line } = newToken(name, opts.role);
    process.stdout.write(`token (shown once): ${token}\nline for ADMIN_TOKENS_FILE:\n${line}\n`);
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const reason = isTimebokError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
  process.stderr.write(`timebok: ${reason}\n`);
  process.exitCode = 1;
}
