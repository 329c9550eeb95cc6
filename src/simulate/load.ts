/**
 * Load mode: N virtual citizens, each looping look-up (HentLedigeTimer) → book (ReserverAvtale) →
 * sometimes cancel (AvbestillAvtale), at a target total rate of requests per second or as fast as
 * answers come. Bounded by a number of flows and a duration; refuses anything but a local target.
 * Shows a live progress line (rate, answers by code, p50/p99) and returns a summary the benchmark
 * can read.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addressXml } from './addressing.js';
import { SimulatorError } from './errors.js';
import { replyOf } from './expect.js';
import type { SimRegistry } from './registry.js';
import { awaitObservation, BUILTIN_TEMPLATES, DEFAULT_ASYNC_TIMEOUT_MS, DEFAULT_SYNC_TIMEOUT_MS } from './runner.js';
import type { TransportSettings } from './settings.js';
import type { HelsenorgeSimulator } from './simulator.js';
import { renderTemplate, syntheticFnr } from './template.js';

export const LOAD_LIMITS = { citizens: 1000, durationMs: 30 * 60_000, flows: 1_000_000 } as const;

export interface LoadOptions {
  simulator: HelsenorgeSimulator;
  registry: SimRegistry;
  /** The book's HER-id. */
  to: number;
  citizens: number;
  /** Requests per second over all citizens; 0 = as fast as answered. */
  rate: number;
  /** Stop after this many look-up → book flows … */
  flows: number;
  /** … or after this long, whichever comes first. */
  durationMs: number;
  /** Share of successful bookings cancelled again (0..1). */
  cancelRatio: number;
  /** Days ahead searched for free slots (default 27). */
  days?: number;
  templateDir?: string;
  /** Called about once a second with the progress line. */
  onProgress?: (line: string) => void;
}

export interface FunctionStats {
  sent: number;
  answered: number;
  timeouts: number;
  byCode: Record<string, number>;
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface LoadSummary {
  citizens: number;
  flows: number;
  elapsedMs: number;
  requests: number;
  requestsPerSecond: number;
  functions: Record<'HLT' | 'RT' | 'ART', FunctionStats>;
  /** Answers with protocol problems (unreadable, wrong sender, schema …). */
  problems: number;
  errorReports: number;
}

/** Refuses a load run against anything but this machine. @throws SimulatorError SIM_SETTINGS */
export function assertLocalTarget(t: TransportSettings): void {
  if (t.kind === 'spool') return;
  let host: string;
  try {
    host = new URL(t.url).hostname;
  } catch {
    throw new SimulatorError('SIM_SETTINGS', 'the broker URL is not a URL');
  }
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    throw new SimulatorError('SIM_SETTINGS', `load mode runs against this machine only (loopback broker), not ${host}`);
  }
}

class Recorder {
  readonly latencies: Record<'HLT' | 'RT' | 'ART', number[]> = { HLT: [], RT: [], ART: [] };
  readonly stats: Record<'HLT' | 'RT' | 'ART', Omit<FunctionStats, 'p50Ms' | 'p99Ms'>> = {
    HLT: { sent: 0, answered: 0, timeouts: 0, byCode: {} },
    RT: { sent: 0, answered: 0, timeouts: 0, byCode: {} },
    ART: { sent: 0, answered: 0, timeouts: 0, byCode: {} },
  };
  problems = 0;
  errorReports = 0;

  record(fn: 'HLT' | 'RT' | 'ART', code: string | null, ms: number | null): void {
    const s = this.stats[fn];
    if (code === null) {
      s.timeouts += 1;
      return;
    }
    s.answered += 1;
    s.byCode[code] = (s.byCode[code] ?? 0) + 1;
    if (ms !== null) this.latencies[fn].push(ms);
  }
}

export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? null;
}

/** One pacing gate for all citizens: at most `rate` starts per second (0 = no pacing). */
class Pacer {
  private next = Date.now();
  constructor(private readonly rate: number) {}
  async take(): Promise<void> {
    if (this.rate <= 0) return;
    const now = Date.now();
    const at = Math.max(now, this.next);
    this.next = at + 1000 / this.rate;
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  }
}

export async function runLoad(options: LoadOptions): Promise<LoadSummary> {
  if (options.citizens < 1 || options.citizens > LOAD_LIMITS.citizens) throw new SimulatorError('SIM_SETTINGS', `citizens must be 1–${LOAD_LIMITS.citizens}`);
  if (options.durationMs < 1 || options.durationMs > LOAD_LIMITS.durationMs) throw new SimulatorError('SIM_SETTINGS', 'duration must be at most 30 minutes');
  if (options.flows < 1 || options.flows > LOAD_LIMITS.flows) throw new SimulatorError('SIM_SETTINGS', `flows must be 1–${LOAD_LIMITS.flows}`);
  const { simulator, registry } = options;
  const dir = options.templateDir ?? BUILTIN_TEMPLATES;
  const templates = {
    HLT: readFileSync(join(dir, 'hent-ledige-timer.xml'), 'utf8'),
    RT: readFileSync(join(dir, 'reserver-avtale.xml'), 'utf8'),
    ART: readFileSync(join(dir, 'avbestill-avtale.xml'), 'utf8'),
  };
  const base = { sender: addressXml(registry.resolve(simulator.herId).address), receiver: addressXml(registry.resolve(options.to).address), to: String(options.to) };
  const rec = new Recorder();
  const pacer = new Pacer(options.rate);
  const started = Date.now();
  const deadline = started + options.durationMs;
  let flowsStarted = 0;
  let flowsDone = 0;
  const stopped = () => Date.now() >= deadline;

  const exchange = async (fn: 'HLT' | 'RT' | 'ART', vars: Record<string, string>) => {
    await pacer.take();
    const now = new Date();
    const xml = renderTemplate(templates[fn], { vars: { ...base, ...vars, msgId: randomUUID(), genDate: now.toISOString() }, now });
    rec.stats[fn].sent += 1;
    const sent = await simulator.send({ xml });
    const timeout = fn === 'HLT' ? DEFAULT_SYNC_TIMEOUT_MS : DEFAULT_ASYNC_TIMEOUT_MS;
    const { observation } = await awaitObservation(simulator, sent, { expect: {}, quiet: undefined }, timeout, { reply: true, apprec: false, errorReport: false, quiet: false });
    simulator.forget(sent);
    const reply = replyOf(observation);
    rec.errorReports += observation.errorReports.length;
    if (reply && reply.problems.length > 0) rec.problems += 1;
    rec.record(fn, reply?.code ?? null, reply ? reply.receivedAt - sent.sentAt : null);
    return reply;
  };

  const citizen = async () => {
    const patient = syntheticFnr(1940 + randomInt(60));
    while (!stopped() && flowsStarted < options.flows) {
      flowsStarted += 1;
      const free = await exchange('HLT', { patient, from: localDay(0), until: localDay(options.days ?? 27) });
      const slots = (free?.vevents ?? []).filter((v) => v.uid && v.dtstart && v.dtend && !v.categories.includes('MustCall'));
      const slot = slots.length > 0 ? slots[randomInt(slots.length)] : undefined;
      if (slot && !stopped()) {
        const booked = await exchange('RT', { patient, uid: slot.uid as string, start: slot.dtstart as string, end: slot.dtend as string });
        const appointment = booked?.code === '05' ? booked.vevents[0] : undefined;
        if (appointment?.uid && Math.random() < options.cancelRatio && !stopped()) {
          await exchange('ART', {
            patient,
            uid: appointment.uid,
            relatedTo: appointment.relatedTo ?? appointment.uid,
            start: appointment.dtstart ?? (slot.dtstart as string),
            end: appointment.dtend ?? (slot.dtend as string),
          });
        }
      }
      flowsDone += 1;
    }
  };

  const progress = setInterval(() => options.onProgress?.(progressLine(rec, Date.now() - started, flowsDone)), 1000);
  try {
    await Promise.all(Array.from({ length: options.citizens }, () => citizen()));
  } finally {
    clearInterval(progress);
  }
  const elapsedMs = Date.now() - started;
  const functions = Object.fromEntries(
    (['HLT', 'RT', 'ART'] as const).map((fn) => {
      const sorted = [...rec.latencies[fn]].sort((a, b) => a - b);
      return [fn, { ...rec.stats[fn], p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) }];
    }),
  ) as LoadSummary['functions'];
  const requests = functions.HLT.sent + functions.RT.sent + functions.ART.sent;
  return {
    citizens: options.citizens,
    flows: flowsDone,
    elapsedMs,
    requests,
    requestsPerSecond: Math.round((requests / Math.max(1, elapsedMs)) * 10_000) / 10,
    functions,
    problems: rec.problems,
    errorReports: rec.errorReports,
  };
}

function localDay(offset: number): string {
  const d = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Oslo', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  const [y, m, day] = d.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, day + offset)).toISOString().slice(0, 10);
}

function progressLine(rec: Recorder, elapsedMs: number, flows: number): string {
  const all = rec.stats.HLT.answered + rec.stats.RT.answered + rec.stats.ART.answered;
  const parts = (['HLT', 'RT', 'ART'] as const).map((fn) => {
    const s = rec.stats[fn];
    const sorted = [...rec.latencies[fn]].sort((a, b) => a - b);
    const codes = Object.entries(s.byCode).map(([c, n]) => `${c}:${n}`).join(' ') || '-';
    return `${fn} ${codes}${s.timeouts ? ` t/o:${s.timeouts}` : ''} p50 ${percentile(sorted, 50) ?? '-'} p99 ${percentile(sorted, 99) ?? '-'} ms`;
  });
  return `${(elapsedMs / 1000).toFixed(0)} s  ${((all * 1000) / Math.max(1, elapsedMs)).toFixed(1)} answers/s  flows ${flows}  | ${parts.join(' | ')}`;
}

export function summaryLines(s: LoadSummary): string[] {
  const lines = [
    `load: ${s.citizens} citizens, ${s.flows} flows, ${s.requests} requests in ${(s.elapsedMs / 1000).toFixed(1)} s (${s.requestsPerSecond} requests/s)`,
  ];
  for (const fn of ['HLT', 'RT', 'ART'] as const) {
    const f = s.functions[fn];
    const codes = Object.entries(f.byCode).map(([c, n]) => `${c}=${n}`).join(' ') || 'none';
    lines.push(`  ${fn.padEnd(3)} sent ${f.sent}, answered ${f.answered}, timeouts ${f.timeouts}; codes ${codes}; p50 ${f.p50Ms ?? '-'} ms, p99 ${f.p99Ms ?? '-'} ms`);
  }
  lines.push(`  answers with protocol problems: ${s.problems}; error-queue reports: ${s.errorReports}`);
  return lines;
}
