/**
 * Runs scenarios step by step against a started simulator: fill the template, send, wait for what the
 * expectation needs (or the time-out), compare, save variables for later steps. A step whose template
 * cannot be filled (an earlier step failed to deliver the slot it needs) fails with that reason; the
 * scenario goes on, so one run reports every difference.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, countMatches, isSettled, needsOf, readPath, summarise, type Needs } from './expect.js';
import { addressXml } from './addressing.js';
import { SimulatorError } from './errors.js';
import type { Scenario, Step } from './scenario.js';
import type { Answer, HelsenorgeSimulator, Observation } from './simulator.js';
import type { SimRegistry } from './registry.js';
import { fillValue, renderTemplate, type TemplateContext } from './template.js';

/** The templates shipped with Timebok (fixtures/simulator/templates). */
export const BUILTIN_TEMPLATES = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures/simulator/templates');

export interface StepResult {
  name: string;
  passed: boolean;
  differences: string[];
  /** What came back, in one line (codes and counts). */
  summary: string;
  durationMs: number;
}

export interface ScenarioResult {
  name: string;
  file: string;
  steps: StepResult[];
  durationMs: number;
}

export interface RunOptions {
  simulator: HelsenorgeSimulator;
  registry: SimRegistry;
  /** Extra template folders searched after the scenario's own (default: the built-in templates). */
  templateDirs?: string[];
  now?: () => Date;
  timeZone?: string;
  /** Variables every scenario starts with (e.g. from --var). */
  vars?: Record<string, string>;
  /** Allow `run:` steps (shell commands from the scenario file). Off unless asked for. */
  allowRun?: boolean;
  /** Extra environment for `run:` commands. */
  runEnv?: Record<string, string>;
  onStep?: (scenario: Scenario, result: StepResult) => void;
}

export const DEFAULT_SYNC_TIMEOUT_MS = 15_000;
export const DEFAULT_ASYNC_TIMEOUT_MS = 30_000;
export const DEFAULT_QUIET_MS = 1500;

export async function runScenario(scenario: Scenario, options: RunOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const now = options.now ?? (() => new Date());
  const vars: Record<string, string> = { ...(options.vars ?? {}) };
  const ctx = (): TemplateContext => ({ vars, now: now(), timeZone: options.timeZone ?? 'Europe/Oslo' });
  // Scenario variables may use placeholders themselves ({{fnr:1950}}, {{today+1}}): filled once.
  for (const [k, v] of Object.entries(scenario.vars ?? {})) vars[k] = fillValue(v, ctx());
  const steps: StepResult[] = [];
  for (const step of scenario.steps) {
    const result = await runStep(scenario, step, vars, ctx, options);
    steps.push(result);
    options.onStep?.(scenario, result);
  }
  return { name: scenario.name, file: scenario.file, steps, durationMs: Date.now() - started };
}

async function runStep(scenario: Scenario, step: Step, vars: Record<string, string>, ctx: () => TemplateContext, options: RunOptions): Promise<StepResult> {
  const started = Date.now();
  const fail = (reason: string): StepResult => ({ name: step.name, passed: false, differences: [reason], summary: 'not sent', durationMs: Date.now() - started });
  if (step.run !== undefined) return await runPushStep(step, step.run, vars, ctx, options, started);
  const template = step.template as string;
  let xml: string;
  let stepVars: Record<string, string>;
  try {
    stepVars = { ...vars };
    for (const [k, v] of Object.entries(step.vars ?? {})) stepVars[k] = fillValue(v, { ...ctx(), vars: stepVars });
    stepVars.msgId ??= randomUUID();
    stepVars.genDate ??= ctx().now.toISOString();
    addAddressing(stepVars, options.registry, options.simulator.herId);
    xml = renderTemplate(readTemplate(template, scenario.dir, options.templateDirs ?? [BUILTIN_TEMPLATES]), { ...ctx(), vars: stepVars });
  } catch (e) {
    if (e instanceof SimulatorError) return fail(`cannot build the request: ${e.message}`);
    throw e;
  }
  let observation: Observation;
  let timedOut: boolean;
  let timeoutMs = 0;
  try {
    const sent = await options.simulator.send({
      xml,
      ...(step.protection ? { protection: step.protection } : {}),
      ...(step.transport?.fromHerId ? { fromHerId: step.transport.fromHerId } : {}),
      ...(step.transport?.toHerId ? { toHerId: step.transport.toHerId } : {}),
      ...(step.transport?.subject ? { subject: step.transport.subject } : {}),
      ...(step.transport?.omit ? { omit: step.transport.omit } : {}),
      ...(step.transport?.queue ? { queue: step.transport.queue } : {}),
    });
    timeoutMs = step.timeout ?? (sent.sync ? DEFAULT_SYNC_TIMEOUT_MS : DEFAULT_ASYNC_TIMEOUT_MS);
    ({ observation, timedOut } = await awaitObservation(options.simulator, sent, step, timeoutMs));
  } catch (e) {
    if (e instanceof SimulatorError) return fail(`cannot send: ${e.message}`);
    throw e;
  }
  const differences = compare(step.expect, observation, timedOut, timeoutMs);
  for (const [name, path] of Object.entries(step.save ?? {})) {
    const value = readPath(observation, path);
    if (value === undefined) differences.push(`save ${name}: nothing at ${path} in the answers`);
    else vars[name] = value;
  }
  return { name: step.name, passed: differences.length === 0, differences, summary: summarise(observation), durationMs: Date.now() - started };
}

/**
 * A `run:` step: the command makes the practice act on its own; the practice must then push an Avtale
 * with the expected code to Helsenorge, which the simulator verifies and acknowledges with an AppRec.
 */
async function runPushStep(step: Step, command: string, vars: Record<string, string>, ctx: () => TemplateContext, options: RunOptions, started: number): Promise<StepResult> {
  const result = (differences: string[], summary: string): StepResult => ({ name: step.name, passed: differences.length === 0, differences, summary, durationMs: Date.now() - started });
  if (!options.allowRun) return result(['run: steps execute shell commands from the scenario file; allow them with --allow-run'], 'not run');
  let filled: string;
  try {
    filled = fillValue(command, ctx());
  } catch (e) {
    if (e instanceof SimulatorError) return result([`cannot build the command: ${e.message}`], 'not run');
    throw e;
  }
  const sim = options.simulator;
  const since = Date.now();
  const exit = await new Promise<{ code: number | null; stderr: string }>((resolveExit) => {
    execFile('/bin/sh', ['-c', filled], { env: { ...process.env, ...(options.runEnv ?? {}) }, timeout: 60_000, maxBuffer: 1024 * 1024 }, (err, _stdout, stderr) => {
      resolveExit({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr: String(stderr) });
    });
  });
  if (exit.code !== 0) {
    // Only the exit code and the command's own first error line: never echo more of its output.
    const first = exit.stderr.split('\n').find((l) => l.trim().length > 0)?.slice(0, 160) ?? '';
    return result([`run: the command exited with ${exit.code ?? 'a signal'}${first ? ` (${first})` : ''}`], 'command failed');
  }
  const timeoutMs = step.timeout ?? DEFAULT_ASYNC_TIMEOUT_MS;
  const wanted = step.expect.avtale as string;
  const deadline = Date.now() + timeoutMs;
  let pushes: Answer[] = [];
  while (Date.now() < deadline) {
    pushes = sim.takeUnsolicited((a) => a.kind === 'avtale' && a.receivedAt >= since);
    if (pushes.length > 0) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  const push = pushes[0];
  if (!push) return result([`avtale: expected ${wanted}, got no Avtale push within ${Math.round(timeoutMs / 100) / 10} s`], 'nothing');
  const differences: string[] = [];
  if (push.code !== wanted) differences.push(`avtale: expected ${wanted}, got ${push.code ?? 'an unreadable push'}`);
  if (step.expect.vevents !== undefined && !countMatches(step.expect.vevents, push.vevents.length)) differences.push(`vevents: expected ${step.expect.vevents}, got ${push.vevents.length}`);
  if (push.ack !== 'J') differences.push('avtale: the push does not ask for an AppRec (Ack J, protocol §10.5)');
  if (push.refToParent !== null) differences.push('avtale: the push has a ConversationRef; it starts a new thread (protocol §10.5)');
  if (pushes.length > 1) differences.push(`${pushes.length} Avtale pushes for one change (protocol §10.5: one per change)`);
  for (const p of push.problems) differences.push(`avtale: ${p}`);
  for (const [name, path] of Object.entries(step.save ?? {})) {
    const m = /^avtale\.vevents\[(\d+|last)\]\.(\w+)$/.exec(path);
    const event = m ? push.vevents[m[1] === 'last' ? push.vevents.length - 1 : Number(m[1])] : undefined;
    const value = event && m ? (event as unknown as Record<string, unknown>)[m[2] as string] : undefined;
    if (typeof value === 'string') vars[name] = value;
    else differences.push(`save ${name}: nothing at ${path} in the push`);
  }
  return result(differences, `Avtale ${push.code ?? '?'}${push.vevents.length ? `, ${push.vevents.length} VEVENT${push.vevents.length === 1 ? '' : 's'}` : ''}`);
}

/** Waits until the observation is settled for the step's expectation, or the time-out. */
export async function awaitObservation(
  sim: HelsenorgeSimulator,
  sent: Observation['sent'],
  step: Pick<Step, 'expect' | 'quiet'>,
  timeoutMs: number,
  needsOverride?: Needs,
): Promise<{ observation: Observation; timedOut: boolean }> {
  const needs = needsOverride ?? needsOf(step.expect, sent.sync);
  const quietMs = step.quiet ?? DEFAULT_QUIET_MS;
  const deadline = Date.now() + timeoutMs;
  let quietUntil: number | null = null;
  return await new Promise((resolvePromise) => {
    const check = (): boolean => {
      const o = sim.observation(sent);
      const state = isSettled(o, needs);
      const nowMs = Date.now();
      if (state.done && !state.needsQuiet) return finish(o, false);
      if (state.done && state.needsQuiet) {
        quietUntil ??= nowMs + quietMs;
        if (nowMs >= quietUntil) return finish(o, false);
      }
      if (nowMs >= deadline) return finish(o, !state.done);
      return false;
    };
    const finish = (o: Observation, timedOut: boolean): boolean => {
      clearInterval(timer);
      sim.off('message', onMessage);
      resolvePromise({ observation: o, timedOut });
      return true;
    };
    const onMessage = (): void => {
      check();
    };
    const timer = setInterval(check, 25);
    sim.on('message', onMessage);
    check();
  });
}

function addAddressing(vars: Record<string, string>, registry: SimRegistry, selfHerId: number): void {
  vars.sender ??= addressXml(registry.resolve(selfHerId).address);
  const to = vars.to;
  if (to !== undefined && vars.receiver === undefined) {
    if (!/^\d+$/.test(to)) throw new SimulatorError('SIM_TEMPLATE', `"to" is not a HER-id: ${to}`);
    vars.receiver = addressXml(registry.resolve(Number(to)).address);
  }
}

function readTemplate(name: string, scenarioDir: string, extraDirs: string[]): string {
  const candidates = isAbsolute(name) ? [name] : [join(scenarioDir, name), join(scenarioDir, 'templates', name), ...extraDirs.map((d) => join(d, name))];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new SimulatorError('SIM_TEMPLATE', `template ${name} not found (looked in ${candidates.map((c) => dirname(c)).join(', ')})`);
  return readFileSync(found, 'utf8');
}
