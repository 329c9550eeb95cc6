/**
 * Runs scenarios step by step against a started simulator: fill the template, send, wait for what the
 * expectation needs (or the time-out), compare, save variables for later steps. A step whose template
 * cannot be filled (an earlier step failed to deliver the slot it needs) fails with that reason; the
 * scenario goes on, so one run reports every difference.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, isSettled, needsOf, readPath, summarise, type Needs } from './expect.js';
import { addressXml } from './addressing.js';
import { SimulatorError } from './errors.js';
import type { Scenario, Step } from './scenario.js';
import type { HelsenorgeSimulator, Observation } from './simulator.js';
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
  let xml: string;
  let stepVars: Record<string, string>;
  try {
    stepVars = { ...vars };
    for (const [k, v] of Object.entries(step.vars ?? {})) stepVars[k] = fillValue(v, { ...ctx(), vars: stepVars });
    stepVars.msgId ??= randomUUID();
    stepVars.genDate ??= ctx().now.toISOString();
    addAddressing(stepVars, options.registry, options.simulator.herId);
    xml = renderTemplate(readTemplate(step.template, scenario.dir, options.templateDirs ?? [BUILTIN_TEMPLATES]), { ...ctx(), vars: stepVars });
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
