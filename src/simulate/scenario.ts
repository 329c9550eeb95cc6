/**
 * Scenario files (docs/simulator.md "Scenarios"): YAML or JSON, one scenario per file, a suite is a
 * folder of them run in name order. Parsing checks the whole shape before anything is sent and names
 * the file and the path of the first problem.
 *
 *   name: Book a lab slot and cancel it
 *   vars: { lab: "8142521", patient: "15469030021" }
 *   steps:
 *     - name: free slots
 *       template: hent-ledige-timer.xml
 *       vars: { to: "{{lab}}", from: "{{today}}", until: "{{today+27}}" }
 *       expect: { reply: "03", vevents: ">=1" }
 *       save: { slot: reply.vevents[0].uid }
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SimulatorError } from './errors.js';
import { PROTECTION_MODES } from './protection.js';

const code = z.string().regex(/^[0-9A-Z]{2,4}$/, 'a code such as "05" (quote it in YAML)');
const scalar = z.union([z.string(), z.number()]).transform(String);

/** "15s", "500ms", "2m", or a number of milliseconds. */
export const durationSchema = z.union(
  [
  z.number().int().positive(),
  z
    .string()
    .regex(/^\d+(\.\d+)?\s*(ms|s|m)$/, 'a duration such as "15s", "500ms" or "2m"')
    .transform((v) => {
      const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m)$/.exec(v) as RegExpExecArray;
      const n = Number(m[1]);
      return Math.round(m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000);
    }),
  ],
  { error: 'a duration such as "15s", "500ms" or "2m"' },
);

const apprecSchema = z.union(
  [
  z.literal('none'),
  z
    .union([z.string(), z.number()])
    .transform(String)
    .pipe(z.string().regex(/^[123](\s+[A-Z]\d{2})*$/, 'an AppRec status, optionally with error codes: "1", "2 E10"'))
    .transform((v) => {
      const [status, ...errors] = v.split(/\s+/);
      return { status: status as string, errors };
    }),
  z.strictObject({ status: z.enum(['1', '2', '3']), error: z.union([z.string(), z.array(z.string())]).optional() }).transform((v) => ({
    status: v.status as string,
    errors: v.error === undefined ? [] : Array.isArray(v.error) ? v.error : [v.error],
  })),
  ],
  { error: 'an AppRec status, optionally with error codes ("1", "2 E10"), { status, error }, or none' },
);

export const expectSchema = z.strictObject({
  /** Reply code (7602): one, any of several, or "none" (no reply may come). */
  reply: z.union([z.literal('none'), code, z.array(code).min(1)], { error: 'a reply code such as "05" (quoted in YAML), a list of codes, or none' }).optional(),
  /** AppRec: "1", "2 E10", { status, error }, or "none". */
  apprec: apprecSchema.optional(),
  /** Number of VEVENTs in the reply: 3, ">=1", "0", "<5". */
  vevents: z.union([z.number().int().min(0), z.string().regex(/^(>=|<=|>|<|=)?\s*\d+$/)], { error: 'a count such as 3, ">=1" or "<5"' }).optional(),
  /** errorCondition of an error-queue report (e.g. transport:invalid-certificate), or "none". */
  errorCondition: z.string().min(1).optional(),
  /** Text the reply's TekstNotatInnhold must contain. */
  text: z.string().optional(),
  /** A `run` step: the Avtale push (TypeForesp 05, 07, 08, 11 or MOA) the practice must send. */
  avtale: code.optional(),
});
export type Expectation = z.output<typeof expectSchema>;

const transportSchema = z.strictObject({
  fromHerId: z.number().int().positive().optional(),
  toHerId: z.number().int().positive().optional(),
  subject: z.string().optional(),
  omit: z.array(z.enum(['fromHerId', 'toHerId', 'applicationTimeStamp', 'subject', 'contentType'])).optional(),
  queue: z.string().optional(),
});

export const stepSchema = z.strictObject({
  name: z.string().min(1),
  /** A template file: the scenario's folder, its templates/ folder, then the built-in templates. */
  template: z.string().min(1).optional(),
  /**
   * Instead of a template: a shell command that makes the practice system act on its own (a desk
   * booking, a staff cancellation), after which `expect.avtale` names the push it must send. Only run
   * with --allow-run.
   */
  run: z.string().min(1).optional(),
  vars: z.record(z.string(), scalar).optional(),
  protection: z.enum(PROTECTION_MODES).optional(),
  transport: transportSchema.optional(),
  expect: expectSchema.default({}),
  /** How long to wait for the answers (default 15 s sync, 30 s async). */
  timeout: durationSchema.optional(),
  /** How long to make sure that nothing else comes when an expectation says "none" (default 1.5 s). */
  quiet: durationSchema.optional(),
  /** Variables for later steps, read from the answers: reply.vevents[0].uid, reply.code, sent.msgId … */
  save: z.record(z.string().regex(/^[A-Za-z_][\w.-]*$/, 'a variable name'), z.string().min(1)).optional(),
}).superRefine((step, ctx) => {
  if ((step.template === undefined) === (step.run === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'a step has either a template or a run command', path: ['template'] });
  }
  if (step.run !== undefined && step.expect.avtale === undefined) {
    ctx.addIssue({ code: 'custom', message: 'a run step names the Avtale push it expects (expect.avtale)', path: ['expect', 'avtale'] });
  }
});
export type Step = z.output<typeof stepSchema>;

export const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  vars: z.record(z.string(), scalar).optional(),
  steps: z.array(stepSchema).min(1),
});
export type Scenario = z.output<typeof scenarioSchema> & { file: string; dir: string };

/** Parses one scenario's text. @throws SimulatorError SIM_SCENARIO naming the file and the path. */
export function parseScenario(text: string, file: string, dir: string): Scenario {
  let raw: unknown;
  try {
    raw = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new SimulatorError('SIM_SCENARIO', `${file}: cannot be read (${e instanceof Error ? e.message.split('\n')[0] : 'syntax error'})`);
  }
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue?.path.length ? issue.path.join('.') : '(top)';
    throw new SimulatorError('SIM_SCENARIO', `${file}: ${at}: ${issue?.message ?? 'invalid'}`);
  }
  return { ...parsed.data, file, dir };
}

const SCENARIO_FILE = /\.(ya?ml|json)$/i;

/** A file, or every scenario file of a folder (not recursive; `templates/` is skipped), in name order. */
export function loadScenarios(path: string): Scenario[] {
  let files: string[];
  let dir: string;
  try {
    if (statSync(path).isDirectory()) {
      dir = path;
      files = readdirSync(path).filter((n) => SCENARIO_FILE.test(n)).sort().map((n) => join(path, n));
    } else {
      dir = join(path, '..');
      files = [path];
    }
  } catch {
    throw new SimulatorError('SIM_SCENARIO', `${path}: no such scenario file or folder`);
  }
  if (files.length === 0) throw new SimulatorError('SIM_SCENARIO', `${path}: no scenario files (*.yaml, *.yml, *.json)`);
  return files.map((f) => parseScenario(readFileSync(f, 'utf8'), basename(f) === f ? f : f, dir));
}
