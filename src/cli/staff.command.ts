import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { createApp } from '../app.js';
import { loadConfig } from '../config/config.js';
import type { SchemaSet } from '../envelope/schema.validator.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { isTimebokError } from '../shared/errors.js';
import { silentLogger } from '../shared/logger.js';
import { isStaffError } from '../staff/staff.errors.js';
import { StaffService, type PractitionerInput, type StaffResult } from '../staff/staff.service.js';
import { logAccess } from '../admin/access-log.js';
import { userInfo } from 'node:os';

/**
 * `timebok staff <command>`: what clinic staff do with held requests, Timeønsker and appointments
 * (docs/staff.md). Opens the database from DATABASE_URL (default as the service), changes it and writes
 * the outgoing messages to the outbox in one transaction; the running service's outbox relay sends
 * them. Exit 0 done (or nothing to do), 1 refused or failed, 2 usage error. Never a stack trace; the
 * patient id is printed for staff in listings but never logged.
 */
export interface StaffIo {
  env: NodeJS.ProcessEnv;
  out(line: string): void;
  err(line: string): void;
  /** Defaults to the wall clock. */
  clock?: Clock;
  /** A compiled schema set to share (tests); loaded when absent. */
  schemas?: SchemaSet;
  cwd?: string;
}

const defaultIo: StaffIo = {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

function herIdArg(value: string): number {
  if (!/^\d{1,10}$/.test(value.trim())) throw new InvalidArgumentError('a HER-id (digits)');
  return Number(value.trim());
}

function codeArg(value: string): string {
  if (!/^\d{2}$/.test(value.trim())) throw new InvalidArgumentError('a two-digit 7602 code, e.g. 05');
  return value.trim();
}

/** Checked by the service, whose error never repeats the value (it may be a real fødselsnummer). */
function patientArg(value: string): string {
  return value.trim();
}

/**
 * The `staff` command with its subcommands. `setExit` receives the exit code of an action;
 * `onCommanderExit` handles commander's own exits (usage errors, help).
 */
export function staffCommand(io: StaffIo = defaultIo, setExit: (code: number) => void = (c) => (process.exitCode = c), onCommanderExit?: (err: CommanderError) => void): Command {
  const staff = new Command('staff').description('staff operations: held requests, Timeønsker, appointments (written to the outbox; the running service sends them)');

  const run = (work: (svc: StaffService, audit: Audit) => Promise<void>) => async () => {
    setExit(await withService(io, work));
  };

  staff
    .command('pending')
    .description('list requests held in manual books, waiting for confirm / reject / book-other')
    .action(
      run(async (svc, audit) => {
        const holds = await svc.listPending();
        await audit('staff pending', holds.map((h) => h.patientId));
        if (holds.length === 0) return io.out('no held requests');
        io.out(['REQUEST', 'RECEIVED', 'BOOK', 'SLOT', 'TIME', 'PATIENT', 'NOTES'].join('  '));
        for (const h of holds) {
          const notes = [h.onBehalf ? 'on behalf' : null, h.hasQuestion ? 'has question' : null].filter(Boolean).join(', ');
          io.out([h.id, h.receivedAt, h.bookId, h.slotId, `${h.localStart}–${h.localEnd.slice(11)}`, h.patientId, notes || '-'].join('  '));
        }
      }),
    );

  staff
    .command('wishes')
    .description('list open Timeønsker (OT, OET, OAT) and the answers each allows')
    .option('--all', 'include answered and withdrawn wishes', false)
    .option('--text', "include the citizen's subject and question", false)
    .action((opts: { all: boolean; text: boolean }) =>
      run(async (svc, audit) => {
        const wishes = await svc.listWishes({ all: opts.all, includeText: opts.text });
        await audit('staff wishes', wishes.map((w) => w.patientId));
        if (wishes.length === 0) return io.out(opts.all ? 'no wishes' : 'no open wishes');
        for (const w of wishes) {
          const parts = [
            w.id,
            w.functionCode,
            w.status === 'answered' ? `answered ${w.answerCode ?? ''}`.trim() : w.status,
            `received ${w.receivedAt}`,
            `to ${w.ourHerId}`,
            `patient ${w.patientId}`,
            w.onBehalf ? 'on behalf' : null,
            w.fromDate || w.toDate ? `period ${w.fromDate ?? '…'}–${w.toDate ?? '…'}` : null,
            w.reference?.dtstart ? `refers to ${w.reference.dtstart}` : null,
            w.appointmentId ? `appointment ${w.appointmentId}` : null,
            w.acceptsOther === '1' ? 'accepts another practitioner' : w.acceptsOther === '2' ? 'only the chosen practitioner' : null,
            w.wishedPractitioner ? `wishes ${w.wishedPractitioner}` : null,
            `answers ${w.allowedAnswers.join('/')}`,
          ];
          io.out(parts.filter(Boolean).join('  '));
          if (opts.text) {
            if (w.emneSporsmal) io.out(`    subject: ${w.emneSporsmal}`);
            if (w.sporsmal) io.out(`    question: ${w.sporsmal}`);
          }
        }
      })(),
    );

  staff
    .command('confirm')
    .description('confirm a held request: SvarTimeReservasjon 05 with the appointment')
    .argument('<id>', 'request id (from `staff pending`)')
    .option('--text <text>', 'message to the citizen (TekstNotatInnhold)')
    .action((id: string, opts: { text?: string }) => run(async (svc) => report(io, await svc.confirm(id, textOf(opts))))());

  staff
    .command('reject')
    .description('reject a held request and release the place: 26, or 06 with --gone')
    .argument('<id>', 'request id')
    .option('--gone', 'the slot is no longer available: answer 06 instead of 26', false)
    .option('--text <text>', 'message to the citizen')
    .action((id: string, opts: { gone: boolean; text?: string }) =>
      run(async (svc) => report(io, await svc.reject(id, { gone: opts.gone, ...textOf(opts) })))(),
    );

  staff
    .command('book-other')
    .description('book a held request with another practitioner: 10 with a Helsepersonell document')
    .argument('<id>', 'request id')
    .requiredOption('--practitioner <herId>', "the practitioner's HER-id (name and HPR from the registry)", herIdArg)
    .option('--hpr <number>', 'HPR number (when the registry has none)')
    .option('--name <name>', '"Given Family" (when the practitioner is not in the registry)')
    .option('--slot <slotId>', 'move the appointment to this slot (e.g. in the practitioner\'s book)')
    .option('--text <text>', 'message to the citizen')
    .action((id: string, opts: { practitioner: number; hpr?: string; name?: string; slot?: string; text?: string }) =>
      run(async (svc) =>
        report(io, await svc.bookOther(id, { practitioner: practitionerOf(opts), ...(opts.slot ? { slotId: opts.slot } : {}), ...textOf(opts) })),
      )(),
    );

  staff
    .command('answer-wish')
    .description('answer a Timeønske with SvarØnske: OT → 05/10/06, OET → 07/10/06/34, OAT → 08/09')
    .argument('<wishId>', 'wish id (from `staff wishes`)')
    .requiredOption('--code <NN>', '7602 answer code', codeArg)
    .option('--slot <slotId>', 'the slot to book (OT 05/10) or move to (OET 07/10)')
    .option('--appointment <id>', 'the appointment the wish is about (OET/OAT), when it is not matched')
    .option('--practitioner <herId>', 'the other practitioner (code 10)', herIdArg)
    .option('--hpr <number>', 'HPR number of the other practitioner')
    .option('--name <name>', '"Given Family" of the other practitioner (when not in the registry)')
    .option('--text <text>', 'message to the citizen')
    .action(
      (wishId: string, opts: { code: string; slot?: string; appointment?: string; practitioner?: number; hpr?: string; name?: string; text?: string }) =>
        run(async (svc) => {
          const practitioner = opts.practitioner !== undefined || opts.hpr || opts.name ? practitionerOf(opts) : undefined;
          report(
            io,
            await svc.answerWish(wishId, {
              code: opts.code,
              ...(opts.slot ? { slotId: opts.slot } : {}),
              ...(opts.appointment ? { appointmentId: opts.appointment } : {}),
              ...(practitioner ? { practitioner } : {}),
              ...textOf(opts),
            }),
          );
        })(),
    );

  staff
    .command('cancel')
    .description('cancel a booked appointment (staff): place released, Avtale 08 to Helsenorge')
    .argument('<appointmentId>')
    .action((id: string) => run(async (svc) => report(io, await svc.cancel(id)))());

  staff
    .command('no-show')
    .description('mark a booked appointment that has started as not attended: Avtale 11')
    .argument('<appointmentId>')
    .action((id: string) => run(async (svc) => report(io, await svc.noShow(id)))());

  staff
    .command('create')
    .description('book a slot for a patient at the desk or by phone: Avtale 05 to HELSENORGE_HER_ID')
    .requiredOption('--book <id>', 'timebook id')
    .requiredOption('--slot <slotId>', 'slot id, e.g. blodprover@2026-11-23T08:00')
    .requiredOption('--patient <fnr>', 'fødselsnummer or D-number of the patient', patientArg)
    .option('--dnr', 'the patient id is a D-number', false)
    .option('--given <name>', "patient's given name (sent in MsgHead/Patient)")
    .option('--family <name>', "patient's family name")
    .action((opts: { book: string; slot: string; patient: string; dnr: boolean; given?: string; family?: string }) =>
      run(async (svc) =>
        report(
          io,
          await svc.create({
            bookId: opts.book,
            slotId: opts.slot,
            patientId: opts.patient,
            ...(opts.dnr ? { idType: 'DNR' as const } : {}),
            ...(opts.given ? { givenName: opts.given } : {}),
            ...(opts.family ? { familyName: opts.family } : {}),
          }),
        ),
      )(),
    );

  staff
    .command('move')
    .description('move a booked appointment to another slot: Avtale 07')
    .argument('<appointmentId>')
    .requiredOption('--slot <slotId>', 'the new slot')
    .action((id: string, opts: { slot: string }) => run(async (svc) => report(io, await svc.move(id, opts.slot)))());

  const exit = onCommanderExit ?? ((err: CommanderError) => process.exit(err.exitCode === 0 ? 0 : 2));
  for (const c of [staff, ...staff.commands]) {
    c.exitOverride(exit);
    c.configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) });
    c.showHelpAfterError();
  }
  return staff;
}

/** Runs `timebok staff <args…>` in-process (tests) and returns the exit code. */
export async function runStaff(args: string[], io: StaffIo): Promise<number> {
  let code = 0;
  const staff = staffCommand(
    io,
    (c) => (code = c),
    (err) => {
      throw err;
    },
  );
  try {
    await staff.parseAsync(args, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  return code;
}

function safeUser(): string {
  try {
    return `os:${userInfo().username}`;
  } catch {
    return 'os:unknown';
  }
}

function textOf(opts: { text?: string }): { text?: string } {
  return opts.text !== undefined ? { text: opts.text } : {};
}

function practitionerOf(opts: { practitioner?: number; hpr?: string; name?: string }): PractitionerInput {
  return {
    ...(opts.practitioner !== undefined ? { herId: opts.practitioner } : {}),
    ...(opts.hpr ? { hprNumber: opts.hpr.trim() } : {}),
    ...(opts.name ? { name: opts.name } : {}),
  };
}

function report(io: StaffIo, r: StaffResult): void {
  if (!r.changed) {
    io.out(`${r.action}: nothing to do: ${r.note}`);
    return;
  }
  io.out(`${r.action}: ${r.note}`);
  for (const o of r.outbox) io.out(`  ${o.kind} ${o.code} → ${o.queue} (outbox ${o.id})`);
  if (r.outbox.length > 0) io.out('  queued in the outbox: the running Timebok service sends it');
}

/** Records a read of patients' data in the access log (docs/admin.md), as the OS user (or TIMEBOK_USER). */
type Audit = (action: string, patients: string[]) => Promise<void>;

/** Opens the database, runs `work`, closes; maps every failure to an exit code and one line. */
async function withService(io: StaffIo, work: (svc: StaffService, audit: Audit) => Promise<void>): Promise<number> {
  let app: Awaited<ReturnType<typeof createApp>> | null = null;
  try {
    const config = loadConfig(io.env, io.cwd ?? process.cwd());
    app = await createApp({
      databaseUrl: config.databaseUrl,
      clock: io.clock ?? systemClock,
      logger: silentLogger,
      limits: config.limits,
      acceptSyntheticIds: config.acceptSyntheticIds,
      ...(io.schemas ? { schemas: io.schemas } : {}),
    });
    const svc = new StaffService({
      db: app.db,
      registry: app.registry,
      clock: app.clock,
      helsenorgeHerId: config.helsenorgeHerId,
      acceptSyntheticIds: config.acceptSyntheticIds,
      schemas: app.schemas,
    });
    const opened = app;
    const actor = io.env.TIMEBOK_USER ?? safeUser();
    await work(svc, (action, patients) => logAccess(opened.db, opened.clock, { actor, role: 'cli', channel: 'cli', action }, patients));
    return 0;
  } catch (err) {
    if (isStaffError(err)) {
      io.err(`timebok staff: ${err.message}`);
      return err.exitCode;
    }
    if (isTimebokError(err)) {
      io.err(`timebok staff: ${err.code}: ${err.message}`);
      return err.code === 'ERR_CONFIG' ? 2 : 1;
    }
    // Never a stack trace, nor a driver message (it may quote values): the error's class only.
    io.err(`timebok staff: failed (${err instanceof Error ? err.name : 'unknown error'}); nothing was changed`);
    return 1;
  } finally {
    await app?.close().catch(() => undefined);
  }
}
