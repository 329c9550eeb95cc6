/**
 * Message templates and their placeholders (docs/simulator.md "Templates").
 *
 *   {{name}}        a variable, XML-escaped: scenario `vars`, step `vars`, values saved from earlier answers
 *   {{{name}}}      the same, not escaped (for the `sender` / `receiver` addressing blocks)
 *   {{today}}, {{today+3}}, {{today-1}}   a date in the practice's time zone (YYYY-MM-DD)
 *   {{now}}         the current time, ISO 8601 UTC
 *   {{uuid}}        a new UUID at every occurrence
 *   {{fnr:1950}}    a new synthetic test fødselsnummer (month + 40) of someone born in that year (1900–1999)
 *
 * A placeholder without a value is an error naming every missing name, never an empty string.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { SimulatorError } from './errors.js';
import { withCheckDigits } from '../envelope/person-id.js';

export interface TemplateContext {
  vars: Readonly<Record<string, string>>;
  now: Date;
  /** IANA zone for `today` (default Europe/Oslo). */
  timeZone?: string;
}

const PLACEHOLDER = /\{\{\{\s*([^{}]+?)\s*\}\}\}|\{\{\s*([^{}]+?)\s*\}\}/g;

/** Fills every placeholder of `text`. @throws SimulatorError SIM_TEMPLATE listing the names without a value. */
export function renderTemplate(text: string, ctx: TemplateContext, escape = true): string {
  const missing = new Set<string>();
  const out = text.replace(PLACEHOLDER, (_m, raw: string | undefined, plain: string | undefined) => {
    const name = (raw ?? plain ?? '').trim();
    const value = resolvePlaceholder(name, ctx);
    if (value === undefined) {
      missing.add(name);
      return '';
    }
    return raw !== undefined || !escape ? value : escapeXml(value);
  });
  if (missing.size > 0) {
    throw new SimulatorError('SIM_TEMPLATE', `no value for ${[...missing].map((n) => `{{${n}}}`).join(', ')}`);
  }
  return out;
}

/** Fills placeholders in a plain value (scenario vars, expectations): nothing is escaped. */
export function fillValue(text: string, ctx: TemplateContext): string {
  return renderTemplate(text, ctx, false);
}

/** The placeholders a text uses (for checking a scenario before it runs). */
export function placeholdersOf(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => (m[1] ?? m[2] ?? '').trim());
}

function resolvePlaceholder(name: string, ctx: TemplateContext): string | undefined {
  if (Object.prototype.hasOwnProperty.call(ctx.vars, name)) return ctx.vars[name];
  const day = /^today\s*(?:([+-])\s*(\d{1,4}))?$/.exec(name);
  if (day) {
    const offset = day[2] === undefined ? 0 : Number(day[2]) * (day[1] === '-' ? -1 : 1);
    return localDate(ctx.now, offset, ctx.timeZone ?? 'Europe/Oslo');
  }
  if (name === 'now') return ctx.now.toISOString();
  if (name === 'uuid') return randomUUID();
  const fnr = /^fnr:(\d{4})$/.exec(name);
  if (fnr) return syntheticFnr(Number(fnr[1]));
  return undefined;
}

/** YYYY-MM-DD of `now` + `days` calendar days in `timeZone`. */
export function localDate(now: Date, days: number, timeZone = 'Europe/Oslo'): string {
  const today = new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  const shifted = new Date(Date.UTC(y, m - 1, d + days));
  return shifted.toISOString().slice(0, 10);
}

export function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/**
 * A synthetic test fødselsnummer (month + 40, as in Norway's synthetic population) with valid check
 * digits, born on a random day of `year` (1900–1999: individual numbers 000–499).
 */
export function syntheticFnr(year: number, pick: (max: number) => number = randomInt): string {
  if (year < 1900 || year > 1999) throw new SimulatorError('SIM_TEMPLATE', `{{fnr:${year}}}: the year must be 1900–1999`);
  for (;;) {
    const dayOfYear = pick(365);
    const date = new Date(Date.UTC(year, 0, 1 + dayOfYear));
    const dd = String(date.getUTCDate()).padStart(2, '0');
    const mm = String(date.getUTCMonth() + 1 + 40).padStart(2, '0');
    const yy = String(year % 100).padStart(2, '0');
    const individual = String(pick(500)).padStart(3, '0');
    const fnr = withCheckDigits(`${dd}${mm}${yy}${individual}`);
    if (fnr !== null) return fnr;
  }
}
