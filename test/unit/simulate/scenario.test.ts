import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SimulatorError } from '../../../src/simulate/errors.js';
import { loadScenarios, parseScenario } from '../../../src/simulate/scenario.js';

const SUITE = resolve(import.meta.dirname, '../../../fixtures/simulator/scenarios');

function parse(text: string, file = 's.yaml') {
  return parseScenario(text, file, '/tmp');
}

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof SimulatorError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('did not throw');
}

describe('scenario files', () => {
  it('reads a YAML scenario with shorthand expectations and durations', () => {
    const s = parse(`
name: book
vars: { lab: 8142521 }
steps:
  - name: book
    template: reserver-avtale.xml
    vars: { to: "{{lab}}" }
    expect: { apprec: "2 E10", reply: none, vevents: ">=1", errorCondition: none }
    timeout: 2.5s
    quiet: 500ms
    save: { slot: "reply.vevents[0].uid" }
`);
    expect(s.vars).toEqual({ lab: '8142521' });
    const step = s.steps[0]!;
    expect(step.expect).toEqual({ apprec: { status: '2', errors: ['E10'] }, reply: 'none', vevents: '>=1', errorCondition: 'none' });
    expect(step.timeout).toBe(2500);
    expect(step.quiet).toBe(500);
    expect(step.save).toEqual({ slot: 'reply.vevents[0].uid' });
  });

  it('reads JSON too, and an AppRec expectation as an object', () => {
    const s = parse(JSON.stringify({ name: 'x', steps: [{ name: 'a', template: 't.xml', expect: { apprec: { status: '2', error: 'T02' }, reply: ['05', '06'] } }] }), 's.json');
    expect(s.steps[0]!.expect).toEqual({ apprec: { status: '2', errors: ['T02'] }, reply: ['05', '06'] });
  });

  it('names the file and the path of a misspelt key', () => {
    const e = codeOf(() => parse('name: x\nsteps:\n  - name: a\n    template: t.xml\n    expct: { reply: "03" }\n'));
    expect(e.code).toBe('SIM_SCENARIO');
    expect(e.message).toMatch(/^s\.yaml: steps\.0/);
  });

  it('refuses an unquoted YAML number as a reply code, saying how to write it', () => {
    const e = codeOf(() => parse('name: x\nsteps:\n  - name: a\n    template: t.xml\n    expect: { reply: 5 }\n'));
    expect(e.message).toBe('s.yaml: steps.0.expect.reply: a reply code such as "05" (quoted in YAML), a list of codes, or none');
  });

  it('refuses an unknown protection mode and a bad duration', () => {
    expect(codeOf(() => parse('name: x\nsteps:\n  - { name: a, template: t.xml, protection: rot13 }\n')).message).toContain('protection');
    expect(codeOf(() => parse('name: x\nsteps:\n  - { name: a, template: t.xml, timeout: soon }\n')).message).toContain('timeout');
  });

  it('refuses a scenario without steps and a file that is not YAML', () => {
    expect(codeOf(() => parse('name: x\nsteps: []\n')).code).toBe('SIM_SCENARIO');
    expect(codeOf(() => parse('name: [x\n')).code).toBe('SIM_SCENARIO');
  });

  it('a step has a template or a run command (which names the Avtale push it expects), not both', () => {
    expect(codeOf(() => parse('name: x\nsteps:\n  - { name: a, expect: { reply: "03" } }\n')).message).toContain('either a template or a run command');
    expect(codeOf(() => parse('name: x\nsteps:\n  - { name: a, template: t.xml, run: "true" }\n')).message).toContain('either a template or a run command');
    expect(codeOf(() => parse('name: x\nsteps:\n  - { name: a, run: "true" }\n')).message).toContain('expect.avtale');
    expect(parse('name: x\nsteps:\n  - { name: a, run: "true", expect: { avtale: "05" } }\n').steps[0]).toMatchObject({ run: 'true', expect: { avtale: '05' } });
  });

  it('parses every scenario of the shipped suite, each step naming a shipped template', () => {
    expect(loadScenarios(join(SUITE, '../scenarios-timebok')).length).toBeGreaterThan(0);
    const scenarios = loadScenarios(SUITE);
    expect(scenarios.length).toBe(readdirSync(SUITE).filter((n) => /\.ya?ml$/.test(n)).length);
    const templates = new Set(readdirSync(join(SUITE, '../templates')));
    for (const s of scenarios) for (const step of s.steps) if (step.template !== undefined) expect(templates.has(step.template)).toBe(true);
  });
});
