import { XMLParser } from 'fast-xml-parser';
import { junitXml, stepLine, totalsLine } from '../../../src/simulate/report.js';
import type { ScenarioResult } from '../../../src/simulate/runner.js';

const results: ScenarioResult[] = [
  {
    name: 'Book & cancel <lab>',
    file: 'fixtures/simulator/scenarios/02.yaml',
    durationMs: 1500,
    steps: [
      { name: 'look up', passed: true, differences: [], summary: 'reply 03 (Ledige timer), 3 VEVENTs', durationMs: 120 },
      { name: 'book "first"', passed: false, differences: ['reply: expected 05, got 06 (Time ikke tilgjengelig)', 'vevents: expected 1, got 0'], summary: 'AppRec 1; reply 06', durationMs: 900 },
    ],
  },
  { name: 'Errors', file: 'e.yaml', durationMs: 10, steps: [{ name: 'not CMS', passed: true, differences: [], summary: 'error queue transport:invalid-cms-pkcs', durationMs: 10 }] },
];

describe('reports', () => {
  it('writes JUnit XML that CI tools read: one suite per scenario, one case per step, the differences in <failure>', () => {
    const xml = junitXml(results);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(xml) as {
      testsuites: { '@tests': string; '@failures': string; testsuite: Array<{ '@name': string; '@tests': string; '@failures': string; testcase: unknown }> };
    };
    expect(doc.testsuites['@tests']).toBe('3');
    expect(doc.testsuites['@failures']).toBe('1');
    const [first, second] = doc.testsuites.testsuite;
    expect(first?.['@name']).toBe('Book & cancel <lab>');
    expect(first?.['@failures']).toBe('1');
    const cases = first?.testcase as Array<{ '@name': string; failure?: { '@message': string; '#text': string } }>;
    expect(cases[1]?.['@name']).toBe('book "first"');
    expect(cases[1]?.failure?.['@message']).toBe('reply: expected 05, got 06 (Time ikke tilgjengelig)');
    expect(cases[1]?.failure?.['#text']).toContain('vevents: expected 1, got 0');
    expect(cases[0]?.failure).toBeUndefined();
    expect(second?.['@tests']).toBe('1');
  });

  it('escapes what would break the XML', () => {
    const xml = junitXml(results);
    expect(xml).toContain('name="Book &amp; cancel &lt;lab&gt;"');
    expect(xml).toContain('name="book &quot;first&quot;"');
  });

  it('ends with N passed, M failed', () => {
    expect(totalsLine(results)).toBe('2 passed, 1 failed');
  });

  it('prints one line per step, with the differences under a failed one', () => {
    expect(stepLine(results[0]!.steps[0]!)).toBe('  ok   look up — reply 03 (Ledige timer), 3 VEVENTs (120 ms)');
    expect(stepLine(results[0]!.steps[1]!).split('\n')).toEqual([
      '  FAIL book "first" — AppRec 1; reply 06 (900 ms)',
      '         - reply: expected 05, got 06 (Time ikke tilgjengelig)',
      '         - vevents: expected 1, got 0',
    ]);
  });
});
