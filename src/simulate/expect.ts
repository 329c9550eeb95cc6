/**
 * Expectations against observations: what a step waits for, whether it may stop waiting, and the
 * differences between what was expected and what came back, in words. Pure functions.
 */
import { appRecErrorDisplayName, replyCodeDisplayName } from '../envelope/codes.js';
import type { Expectation } from './scenario.js';
import type { Answer, Observation } from './simulator.js';

export interface Needs {
  reply: boolean;
  apprec: boolean;
  errorReport: boolean;
  /** Something must NOT come: wait for a quiet period once the rest is in. */
  quiet: boolean;
}

export function needsOf(expect: Expectation, sync: boolean): Needs {
  const wantsError = expect.errorCondition !== undefined && expect.errorCondition !== 'none';
  const reply = expect.reply !== undefined ? expect.reply !== 'none' : !wantsError && (sync || expect.vevents !== undefined || expect.text !== undefined);
  const apprec = expect.apprec !== undefined ? expect.apprec !== 'none' : !sync && !wantsError && !reply;
  return {
    reply,
    apprec,
    errorReport: wantsError,
    quiet: expect.reply === 'none' || expect.apprec === 'none' || expect.errorCondition === 'none',
  };
}

/** The reply that answers the request: the sync reply, else the first async reply. */
export function replyOf(o: Observation): Answer | null {
  return o.syncReply ?? o.replies[0] ?? null;
}

/** True when waiting longer cannot change the verdict (or everything wanted is in and no quiet is needed). */
export function isSettled(o: Observation, needs: Needs): { done: boolean; needsQuiet: boolean } {
  const hasReply = replyOf(o) !== null;
  const hasAppRec = o.apprecs.length > 0;
  const hasError = o.errorReports.length > 0;
  // An error report nobody expected, or a negative AppRec before a wanted reply: nothing more will come.
  if (hasError && !needs.errorReport) return { done: true, needsQuiet: false };
  if (needs.reply && !hasReply && o.apprecs.some((a) => a.apprec?.status === '2')) return { done: true, needsQuiet: false };
  const complete = (!needs.reply || hasReply) && (!needs.apprec || hasAppRec) && (!needs.errorReport || hasError);
  return { done: complete, needsQuiet: complete && needs.quiet };
}

export function countMatches(spec: number | string, n: number): boolean {
  if (typeof spec === 'number') return n === spec;
  const m = /^(>=|<=|>|<|=)?\s*(\d+)$/.exec(spec.trim());
  if (!m) return false;
  const k = Number(m[2]);
  switch (m[1]) {
    case '>=': return n >= k;
    case '<=': return n <= k;
    case '>': return n > k;
    case '<': return n < k;
    default: return n === k;
  }
}

function describeReply(a: Answer | null): string {
  if (!a) return 'no reply';
  return a.code ? `${a.code} (${replyCodeDisplayName(a.code)})` : 'an unreadable reply';
}

function describeAppRec(a: Answer | undefined): string {
  if (!a?.apprec) return 'no AppRec';
  const errors = a.apprec.errors.map((e) => `${e} (${appRecErrorDisplayName(e)})`).join(', ');
  return `AppRec ${a.apprec.status ?? '?'}${errors ? ` ${errors}` : ''}`;
}

/**
 * The differences between `expect` and the observation (empty = as expected), plus every problem found
 * in the answers themselves (protection, schema, addressing).
 */
export function compare(expect: Expectation, o: Observation, timedOut: boolean, timeoutMs: number): string[] {
  const diffs: string[] = [];
  const reply = replyOf(o);
  const apprec = o.apprecs[0];
  const error = o.errorReports[0];
  const within = `within ${Math.round(timeoutMs / 100) / 10} s`;
  const needs = needsOf(expect, o.sent.sync);

  if (expect.errorCondition !== undefined) {
    if (expect.errorCondition === 'none') {
      if (error) diffs.push(`errorCondition: expected none, got ${error.errorCondition ?? '?'}${error.errorDescription ? ` (${error.errorDescription})` : ''}`);
    } else if (!error) {
      diffs.push(`errorCondition: expected ${expect.errorCondition}, got no error-queue report ${timedOut ? within : ''}`.trim());
    } else if (error.errorCondition !== expect.errorCondition) {
      diffs.push(`errorCondition: expected ${expect.errorCondition}, got ${error.errorCondition ?? 'none'}`);
    }
  } else if (error) {
    diffs.push(`unexpected error-queue report: ${error.errorCondition ?? '?'}${error.errorDescription ? ` (${error.errorDescription})` : ''}`);
  }

  if (expect.reply === 'none') {
    if (reply) diffs.push(`reply: expected none, got ${describeReply(reply)}`);
  } else if (expect.reply !== undefined || needs.reply) {
    const wanted = expect.reply === undefined ? null : Array.isArray(expect.reply) ? expect.reply : [expect.reply];
    if (!reply) diffs.push(`reply: expected ${wanted ? wanted.join(' or ') : 'one'}, got no reply${timedOut ? ` ${within}` : ''}`);
    else if (wanted && (reply.code === null || !wanted.includes(reply.code))) diffs.push(`reply: expected ${wanted.join(' or ')}, got ${describeReply(reply)}`);
  }

  if (expect.vevents !== undefined && reply) {
    if (!countMatches(expect.vevents, reply.vevents.length)) diffs.push(`vevents: expected ${expect.vevents}, got ${reply.vevents.length}`);
  }
  if (expect.text !== undefined && reply && !(reply.text ?? '').includes(expect.text)) {
    diffs.push(`text: expected the reply text to contain "${expect.text}"`);
  }

  if (expect.apprec === 'none') {
    if (apprec) diffs.push(`apprec: expected none, got ${describeAppRec(apprec)}`);
  } else if (expect.apprec !== undefined) {
    if (!apprec) diffs.push(`apprec: expected ${expect.apprec.status}${expect.apprec.errors.length ? ` ${expect.apprec.errors.join(' ')}` : ''}, got no AppRec${timedOut ? ` ${within}` : ''}`);
    else {
      const statusOk = apprec.apprec?.status === expect.apprec.status;
      const errorsOk = expect.apprec.errors.every((e) => apprec.apprec?.errors.includes(e));
      if (!statusOk || !errorsOk) diffs.push(`apprec: expected ${expect.apprec.status}${expect.apprec.errors.length ? ` ${expect.apprec.errors.join(' ')}` : ''}, got ${describeAppRec(apprec)}`);
    }
  } else if (needs.apprec && !apprec) {
    diffs.push(`apprec: expected one, got no AppRec${timedOut ? ` ${within}` : ''}`);
  }

  if (o.apprecs.length > 1) diffs.push(`${o.apprecs.length} AppRecs for one message (protocol §4: exactly one)`);
  if (o.replies.length > (o.sent.sync ? 0 : 1)) diffs.push(`${o.replies.length + (o.syncReply ? 1 : 0)} replies for one request`);
  if (o.sent.sync && o.apprecs.length > 0) diffs.push('an AppRec for a synchronous request (protocol §9: never for sync)');

  for (const a of [...(o.syncReply ? [o.syncReply] : []), ...o.replies, ...o.apprecs]) {
    for (const p of a.problems) diffs.push(`${a.kind === 'apprec' ? 'AppRec' : 'reply'}: ${p}`);
  }
  return diffs;
}

/** One line saying what came back (no personal data: codes and counts only). */
export function summarise(o: Observation): string {
  const parts: string[] = [];
  const reply = replyOf(o);
  if (o.apprecs[0]) parts.push(describeAppRec(o.apprecs[0]));
  if (reply) parts.push(`reply ${describeReply(reply)}${reply.vevents.length ? `, ${reply.vevents.length} VEVENT${reply.vevents.length === 1 ? '' : 's'}` : ''}`);
  for (const e of o.errorReports) parts.push(`error queue ${e.errorCondition ?? '?'}`);
  return parts.length ? parts.join('; ') : 'nothing';
}

/**
 * Reads a value for `save` from the observation: `reply.code`, `reply.text`, `reply.msgId`,
 * `reply.vevents[0].uid` (`[last]`, `[random]` too), `apprec.status`, `sent.msgId`, `error.condition`.
 * Returns undefined when the path leads nowhere.
 */
export function readPath(o: Observation, path: string, random: (n: number) => number = (n) => Math.floor(Math.random() * n)): string | undefined {
  const reply = replyOf(o);
  const root: Record<string, unknown> = {
    sent: { msgId: o.sent.msgId, genDate: o.sent.genDate, messageId: o.sent.messageId, to: o.sent.receiverHerId },
    reply: reply ? { code: reply.code, text: reply.text, msgId: reply.msgId, vevents: reply.vevents, count: reply.vevents.length, from: reply.senderHerId } : undefined,
    apprec: o.apprecs[0]?.apprec ? { status: o.apprecs[0].apprec.status, errors: o.apprecs[0].apprec.errors.join(' ') } : undefined,
    error: o.errorReports[0] ? { condition: o.errorReports[0].errorCondition, description: o.errorReports[0].errorDescription } : undefined,
  };
  let current: unknown = root;
  for (const token of path.match(/[^.[\]]+|\[[^\]]*\]/g) ?? []) {
    if (current === undefined || current === null) return undefined;
    const index = /^\[(\d+|last|random)\]$/.exec(token);
    if (index) {
      if (!Array.isArray(current) || current.length === 0) return undefined;
      const i = index[1] === 'last' ? current.length - 1 : index[1] === 'random' ? random(current.length) : Number(index[1]);
      current = current[i];
    } else {
      if (typeof current !== 'object') return undefined;
      current = (current as Record<string, unknown>)[token];
    }
  }
  if (current === undefined || current === null || typeof current === 'object') return undefined;
  return String(current);
}
