import { compare, isSettled, needsOf, readPath, summarise } from '../../../src/simulate/expect.js';
import { expectSchema, type Expectation } from '../../../src/simulate/scenario.js';
import type { Answer, Observation } from '../../../src/simulate/simulator.js';

function exp(raw: unknown): Expectation {
  return expectSchema.parse(raw);
}

function answer(over: Partial<Answer>): Answer {
  return {
    kind: 'reply', receivedAt: 0, queue: 'q', transportFromHerId: 8142521, senderHerId: 8142521, msgId: 'm', process: 'DIALOG_INNBYGGER_TIMERESERVASJON',
    code: null, text: null, vevents: [], refToParent: 'req', ack: 'J', correlationId: null, apprec: null, problems: [], ...over,
  };
}

function observation(sync: boolean, over: Partial<Observation> = {}): Observation {
  return {
    sent: { messageId: 'mid', msgId: 'req', genDate: '2026-12-04T10:00:00Z', process: 'DIALOG_INNBYGGER_TIMERESERVASJON', functionCode: sync ? 'HLT' : 'RT', sync, receiverHerId: 8142521, queueOwnerHerId: 8142519, queue: 'q', sentAt: 0 },
    syncReply: null, replies: [], apprecs: [], errorReports: [], ...over,
  };
}

const slot = { uid: 'slot-1', dtstart: '2026-12-07T08:00:00', dtend: '2026-12-07T08:10:00', categories: [] };
const apprec = (status: string, errors: string[] = []) => answer({ kind: 'apprec', apprec: { status, errors, originalMsgId: 'req' } });

describe('expectations', () => {
  it('passes when the reply code, VEVENT count and AppRec are as expected', () => {
    const o = observation(false, { apprecs: [apprec('1')], replies: [answer({ code: '05', vevents: [slot] })] });
    expect(compare(exp({ apprec: '1', reply: '05', vevents: 1 }), o, false, 30_000)).toEqual([]);
  });

  it('names the expected and the received reply code with its meaning', () => {
    const o = observation(false, { apprecs: [apprec('1')], replies: [answer({ code: '06' })] });
    expect(compare(exp({ reply: '05' }), o, false, 30_000)).toEqual(['reply: expected 05, got 06 (Time ikke tilgjengelig)']);
  });

  it('accepts any of several reply codes', () => {
    const o = observation(true, { syncReply: answer({ code: '04' }) });
    expect(compare(exp({ reply: ['03', '04'] }), o, false, 15_000)).toEqual([]);
  });

  it('reports a missing answer with the time-out', () => {
    const d = compare(exp({ reply: '03' }), observation(true), true, 15_000);
    expect(d).toEqual(['reply: expected 03, got no reply within 15 s']);
  });

  it('compares VEVENT counts with >=, < and exact numbers', () => {
    const o = observation(true, { syncReply: answer({ code: '03', vevents: [slot, slot] }) });
    expect(compare(exp({ vevents: '>=1' }), o, false, 1)).toEqual([]);
    expect(compare(exp({ vevents: '<2' }), o, false, 1)).toEqual(['vevents: expected <2, got 2']);
    expect(compare(exp({ vevents: 3 }), o, false, 1)).toEqual(['vevents: expected 3, got 2']);
  });

  it('checks AppRec status and error codes', () => {
    const o = observation(false, { apprecs: [apprec('2', ['E21'])] });
    expect(compare(exp({ apprec: '2 E21', reply: 'none' }), o, false, 1)).toEqual([]);
    expect(compare(exp({ apprec: '2 E10' }), o, false, 1)).toEqual(['apprec: expected 2 E10, got AppRec 2 E21 (Mottaker finnes ikke)']);
  });

  it('fails a "none" expectation when the thing came anyway', () => {
    const o = observation(false, { apprecs: [apprec('1')], replies: [answer({ code: '05' })] });
    expect(compare(exp({ apprec: '1', reply: 'none' }), o, false, 1)).toEqual(['reply: expected none, got 05 (Timereservasjon bekreftet)']);
  });

  it('expects an errorCondition on the error queue and reports any other', () => {
    const report = { receivedAt: 0, originalMessageId: 'mid', errorCondition: 'transport:decryption-failed', errorDescription: 'x', errorConditionData: null };
    const o = observation(false, { errorReports: [report] });
    expect(compare(exp({ errorCondition: 'transport:decryption-failed' }), o, false, 1)).toEqual([]);
    expect(compare(exp({ errorCondition: 'transport:invalid-certificate' }), o, false, 1)).toEqual(['errorCondition: expected transport:invalid-certificate, got transport:decryption-failed']);
    expect(compare(exp({ apprec: '1' }), o, false, 1)[0]).toBe('unexpected error-queue report: transport:decryption-failed (x)');
  });

  it('lists the problems found in an answer itself, and protocol breaches around it', () => {
    const o = observation(true, { syncReply: answer({ code: '03', problems: ['the answer comes from HER-id 1, but the request was addressed to 8142521'] }), apprecs: [apprec('1')] });
    expect(compare(exp({ reply: '03' }), o, false, 1)).toEqual([
      'an AppRec for a synchronous request (protocol §9: never for sync)',
      'reply: the answer comes from HER-id 1, but the request was addressed to 8142521',
    ]);
  });

  it('flags two AppRecs for one message', () => {
    const o = observation(false, { apprecs: [apprec('1'), apprec('1')] });
    expect(compare(exp({ apprec: '1' }), o, false, 1)).toContain('2 AppRecs for one message (protocol §4: exactly one)');
  });
});

describe('when to stop waiting', () => {
  it('a sync request waits for its reply; an async one for its AppRec unless more is expected', () => {
    expect(needsOf(exp({}), true)).toMatchObject({ reply: true, apprec: false });
    expect(needsOf(exp({}), false)).toMatchObject({ reply: false, apprec: true });
    expect(needsOf(exp({ reply: '05' }), false)).toMatchObject({ reply: true, apprec: false });
    expect(needsOf(exp({ errorCondition: 'transport:invalid-cms-pkcs' }), true)).toMatchObject({ reply: false, errorReport: true });
    expect(needsOf(exp({ apprec: '1', reply: 'none' }), false)).toMatchObject({ apprec: true, quiet: true });
  });

  it('stops at once on an unexpected error report or a negative AppRec before a wanted reply', () => {
    const report = { receivedAt: 0, originalMessageId: 'mid', errorCondition: 'x', errorDescription: null, errorConditionData: null };
    expect(isSettled(observation(false, { errorReports: [report] }), needsOf(exp({ reply: '05' }), false)).done).toBe(true);
    expect(isSettled(observation(false, { apprecs: [apprec('2', ['T02'])] }), needsOf(exp({ reply: '05' }), false)).done).toBe(true);
    expect(isSettled(observation(false, { apprecs: [apprec('1')] }), needsOf(exp({ reply: '05' }), false)).done).toBe(false);
  });

  it('asks for a quiet period once everything wanted is in and something must not come', () => {
    const state = isSettled(observation(false, { apprecs: [apprec('1')] }), needsOf(exp({ apprec: '1', reply: 'none' }), false));
    expect(state).toEqual({ done: true, needsQuiet: true });
  });
});

describe('saving values from answers', () => {
  const o = observation(false, {
    apprecs: [apprec('1')],
    replies: [answer({ code: '05', vevents: [{ ...slot, uid: 'appt-1', relatedTo: 'slot-1' }, { ...slot, uid: 'appt-2' }] })],
  });

  it('reads reply fields, VEVENTs by index, last and random, and what was sent', () => {
    expect(readPath(o, 'reply.code')).toBe('05');
    expect(readPath(o, 'reply.vevents[0].uid')).toBe('appt-1');
    expect(readPath(o, 'reply.vevents[0].relatedTo')).toBe('slot-1');
    expect(readPath(o, 'reply.vevents[last].uid')).toBe('appt-2');
    expect(readPath(o, 'reply.vevents[random].uid', () => 1)).toBe('appt-2');
    expect(readPath(o, 'reply.count')).toBe('2');
    expect(readPath(o, 'sent.msgId')).toBe('req');
    expect(readPath(o, 'apprec.status')).toBe('1');
  });

  it('gives nothing for a path that leads nowhere', () => {
    expect(readPath(o, 'reply.vevents[5].uid')).toBeUndefined();
    expect(readPath(o, 'reply.vevents')).toBeUndefined();
    expect(readPath(o, 'error.condition')).toBeUndefined();
    expect(readPath(observation(true), 'reply.code')).toBeUndefined();
  });

  it('summarises codes and counts only', () => {
    expect(summarise(o)).toBe('AppRec 1; reply 05 (Timereservasjon bekreftet), 2 VEVENTs');
  });
});
