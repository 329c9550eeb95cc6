/**
 * Reports of a scenario run: one line per step for people, JUnit XML for CI, and the closing
 * `N passed, M failed` line. Only codes, counts and our own texts: never a message body or a patient id.
 */
import type { ScenarioResult, StepResult } from './runner.js';

export function stepLine(result: StepResult): string {
  const head = `  ${result.passed ? 'ok  ' : 'FAIL'} ${result.name} — ${result.summary} (${result.durationMs} ms)`;
  return result.passed ? head : [head, ...result.differences.map((d) => `         - ${d}`)].join('\n');
}

export function totals(results: ScenarioResult[]): { passed: number; failed: number } {
  const steps = results.flatMap((r) => r.steps);
  const failed = steps.filter((s) => !s.passed).length;
  return { passed: steps.length - failed, failed };
}

export function totalsLine(results: ScenarioResult[]): string {
  const { passed, failed } = totals(results);
  return `${passed} passed, ${failed} failed`;
}

function esc(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** JUnit XML: one testsuite per scenario, one testcase per step, the differences in `<failure>`. */
export function junitXml(results: ScenarioResult[], suiteName = 'timebok simulate'): string {
  const { passed, failed } = totals(results);
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const total = results.reduce((s, r) => s + r.durationMs, 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${esc(suiteName)}" tests="${passed + failed}" failures="${failed}" errors="0" time="${seconds(total)}">`,
  ];
  for (const r of results) {
    const f = r.steps.filter((s) => !s.passed).length;
    lines.push(`  <testsuite name="${esc(r.name)}" file="${esc(r.file)}" tests="${r.steps.length}" failures="${f}" errors="0" time="${seconds(r.durationMs)}">`);
    for (const s of r.steps) {
      const open = `    <testcase classname="${esc(r.name)}" name="${esc(s.name)}" time="${seconds(s.durationMs)}"`;
      if (s.passed) {
        lines.push(`${open}>`, `      <system-out>${esc(s.summary)}</system-out>`, '    </testcase>');
      } else {
        lines.push(
          `${open}>`,
          `      <failure message="${esc(s.differences[0] ?? 'failed')}" type="expectation">${esc(s.differences.join('\n'))}</failure>`,
          `      <system-out>${esc(s.summary)}</system-out>`,
          '    </testcase>',
        );
      }
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}
