import { join } from 'node:path';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { AccessLogEntity } from '../../../src/admin/admin.entities.js';
import { SlotEntity } from '../../../src/timebook/timebook.entities.js';
import { PATIENT, RT_FILE, TR, read, withMsgId } from '../staff/world.js';
import { OPERATOR, adminWorld, type AdminWorld } from './world.js';

/** Issue 11: the admin HTTP API driven in-process (fastify inject) on the staff world (SQLite). */
let schemas: SchemaSet;
let world: AdminWorld;
beforeAll(async () => {
  schemas = await loadSchemaSet();
});
afterAll(() => schemas.dispose());
beforeEach(async () => {
  world = await adminWorld(schemas);
});
afterEach(async () => {
  await world.close();
});

const HLT = join(TR, 'Ledige-timer--Foresporsel-innbygger--Hent-ledige-timer.xml');

/** HentLedigeTimer for July 2019 (the example asks for 2014). */
function hlt(msgId: string): string {
  return withMsgId(read(HLT), msgId).replace('2014-01-30', '2019-07-01').replace('2014-02-27', '2019-07-31');
}

async function hold(): Promise<string> {
  expect((await world.deliver(read(RT_FILE))).status).toBe('pending');
  const [r] = (await world.requests()).filter((x) => x.kind === 'hold');
  return r!.id;
}

describe('tokens', () => {
  test('every /api call without a valid token gets 401 and nothing else', async () => {
    for (const [method, url] of [['GET', '/api/timebooks'], ['GET', '/api/requests'], ['POST', '/api/timebooks/blodprover/unpublish'], ['GET', '/api/messages'], ['GET', '/api/access-log']]) {
      const none = await world.call(method!, url!, { token: null });
      expect(none.status).toBe(401);
      expect(none.json).toEqual({ error: 'unauthorized', message: expect.any(String) });
      expect((await world.call(method!, url!, { token: 'not-a-token' })).status).toBe(401);
    }
    expect((await world.app.db.manager.getRepository(SlotEntity).count({ where: { timebookId: 'blodprover' } })) > 0).toBe(true);
    expect((await world.call('GET', '/api/timebooks/blodprover')).json.published).toBe(true);
  });

  test('a staff token cannot use operator calls (403); an operator token can', async () => {
    expect((await world.call('GET', '/api/messages')).status).toBe(403);
    expect((await world.call('GET', '/api/access-log')).status).toBe(403);
    expect((await world.call('POST', '/api/retention/run')).status).toBe(403);
    expect((await world.call('GET', '/api/messages', { token: OPERATOR })).status).toBe(200);
    expect((await world.call('GET', '/api/whoami')).json).toEqual({ name: 'kari', role: 'staff' });
  });

  test('health, readiness, metrics, the page and the OpenAPI description need no token', async () => {
    expect((await world.call('GET', '/healthz', { token: null })).json).toEqual({ status: 'ok' });
    const ready = await world.call('GET', '/readyz', { token: null });
    expect(ready.status).toBe(200);
    expect(ready.json.checks).toEqual([{ name: 'database', ok: true, detail: 'sqlite' }]);
    expect((await world.call('GET', '/openapi.json', { token: null })).status).toBe(200);
    expect((await world.call('GET', '/', { token: null })).text).toMatch(/<html/);
  });
});

describe('bad input: 400 with the field and the problem, never a stack trace', () => {
  test.each([
    ['PATCH', '/api/timebooks/blodprover', { horizonDays: 0 }, 'horizonDays', /at least 1/],
    ['PATCH', '/api/timebooks/blodprover', { publsihed: false }, 'publsihed', /not a known field/],
    ['PATCH', '/api/timebooks/blodprover', { schedule: [{ days: ['mon'], from: '8:00', to: '10:00', slotMinutes: 10 }] }, 'schedule[0].from', /HH:MM/],
    ['PATCH', '/api/timebooks/blodprover', { prerequisites: 'x'.repeat(301) }, 'prerequisites', /at most 300/],
    ['POST', '/api/timebooks', { id: 'ny', herId: 1235, kind: 'Lab' }, 'name', /required/],
    ['POST', '/api/timebooks/blodprover/series', { days: ['mon'], from: '08:00', to: '10:00', slotMinutes: 'ten' }, 'slotMinutes', /integer/],
    ['POST', '/api/timebooks/blodprover/slots', { start: '2019-07-10 08:00', end: '2019-07-10T08:10' }, 'start', /pattern/],
    ['POST', '/api/requests/x/reject', { gone: 'yes' }, 'gone', /boolean/],
    ['POST', '/api/wishes/x/answer', { code: '5' }, 'code', /./],
    ['POST', '/api/appointments', { bookId: 'blodprover', slotId: 's', patientId: '123' }, 'patientId', /pattern/],
  ])('%s %s %j → 400 naming %s', async (method, url, body, field, problem) => {
    const r = await world.call(method, url, { body });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: 'bad-request', field });
    expect(r.json.problem).toMatch(problem);
    expect(r.text).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  test('a body that is not JSON gets 400 without echoing it', async () => {
    const res = await world.call('PATCH', '/api/timebooks/blodprover', { body: '{"name": 13116900216' });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'bad-request', field: null, problem: 'the body is not valid JSON' });
  });

  test('a query with a malformed patient id is refused without repeating it', async () => {
    const r = await world.call('GET', '/api/appointments?patient=1311690021X');
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ in: 'querystring', field: 'patient' });
    expect(r.text).not.toContain('1311690021X');
  });
});

describe('timebooks and slots', () => {
  test('unpublishing a book takes effect at once for HentLedigeTimer; publishing brings it back', async () => {
    const before = await world.deliver(hlt('hlt-1'));
    expect(before.summary).toMatch(/reply 03/);
    const off = await world.call('POST', '/api/timebooks/september-fastlege/unpublish');
    expect(off.status).toBe(200);
    expect(off.json.published).toBe(false);
    expect((await world.deliver(hlt('hlt-2'))).summary).toMatch(/reply 04/);
    await world.call('POST', '/api/timebooks/september-fastlege/publish');
    expect((await world.deliver(hlt('hlt-3'))).summary).toMatch(/reply 03/);
  });

  test('create a book: its slots exist over the horizon; change name, meeting place, prerequisites and rules', async () => {
    const created = await world.call('POST', '/api/timebooks', {
      body: { id: 'vaksine', herId: 1235, kind: 'Vaksine', name: 'Influensavaksine', schedule: [{ days: ['tue'], from: '12:00', to: '13:00', slotMinutes: 20, capacity: 3, type: 'Vaksine' }], validFrom: '2019-07-01', validTo: '2019-07-31' },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: 'vaksine', published: true, confirmation: 'auto', horizonDays: 60 });
    const week = await world.call('GET', '/api/timebooks/vaksine/slots?from=2019-07-01&days=7');
    expect(week.json.slots.map((s: { id: string; state: string; capacity: number }) => [s.id, s.state, s.capacity])).toEqual([
      ['vaksine@2019-07-02T12:00', 'free', 3],
      ['vaksine@2019-07-02T12:20', 'free', 3],
      ['vaksine@2019-07-02T12:40', 'free', 3],
    ]);
    const changed = await world.call('PATCH', '/api/timebooks/vaksine', {
      body: { name: 'Vaksine', location: { name: 'Nanset legekontor', meetingPlace: 'Rom 3' }, prerequisites: 'Ta med vaksinekort.', minNoticeMinutes: 120, cancelCutoffMinutes: 60, horizonDays: 30, confirmation: 'manual', urgentBookableDigitally: true, eligibility: { minAge: 18 }, videoMeeting: null },
    });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({ name: 'Vaksine', location: { meetingPlace: 'Rom 3' }, prerequisites: 'Ta med vaksinekort.', minNoticeMinutes: 120, horizonDays: 30, confirmation: 'manual', urgentBookableDigitally: true, eligibility: { minAge: 18 } });
    expect((await world.call('POST', '/api/timebooks', { body: { id: 'vaksine', herId: 1235, kind: 'Vaksine', name: 'x' } })).status).toBe(409);
  });

  test('a series with a date range, a single slot, block and remove; a booked slot is not removed', async () => {
    const series = await world.call('POST', '/api/timebooks/blodprover/series', { body: { days: ['sat'], from: '10:00', to: '11:00', slotMinutes: 30, capacity: 4, type: 'Lab', fromDate: '2019-07-06', toDate: '2019-07-13' } });
    expect(series.status).toBe(201);
    expect(series.json).toEqual({ added: 4 });
    const sat = await world.call('GET', '/api/timebooks/blodprover/slots?from=2019-07-06&days=1');
    expect(sat.json.slots.map((s: { localStart: string; capacity: number }) => [s.localStart, s.capacity])).toEqual([['2019-07-06T10:00:00', 4], ['2019-07-06T10:30:00', 4]]);
    const single = await world.call('POST', '/api/timebooks/blodprover/slots', { body: { start: '2019-07-07T09:00', end: '2019-07-07T09:30', capacity: 2, type: 'Lab' } });
    expect(single.status).toBe(201);
    expect(single.json.id).toBe('blodprover@2019-07-07T09:00');
    const blocked = await world.call('POST', `/api/slots/${encodeURIComponent(single.json.id)}/block`);
    expect(blocked.json.blocked).toBe(true);
    expect((await world.call('GET', '/api/timebooks/blodprover/slots?from=2019-07-07&days=1')).json.slots[0].state).toBe('blocked');
    expect((await world.call('DELETE', `/api/slots/${encodeURIComponent(single.json.id)}`)).status).toBe(204);
    expect((await world.call('GET', '/api/timebooks/blodprover')).json.singleSlots.some((s: { start: string }) => s.start === '2019-07-07T09:00')).toBe(false);
    // A held request's slot stays.
    const id = await hold();
    const appt = await world.appointment(id);
    const refused = await world.call('DELETE', `/api/slots/${encodeURIComponent(appt.slotId)}`);
    expect(refused.status).toBe(409);
    expect((await world.call('GET', `/api/timebooks/september-fastlege/slots?from=${appt.localStart.slice(0, 10)}&days=1`)).json.slots.find((s: { id: string }) => s.id === appt.slotId).state).toBe('requested');
  });

  test('a schedule change keeps slots that hold appointments', async () => {
    const id = await hold();
    const appt = await world.appointment(id);
    const r = await world.call('PATCH', '/api/timebooks/september-fastlege', { body: { schedule: [{ days: ['mon'], from: '08:00', to: '09:00', slotMinutes: 30 }] } });
    expect(r.status).toBe(200);
    expect(await world.booked(appt.slotId)).toBe(1);
  });
});

describe('requests, wishes and appointments: what `timebok staff` does', () => {
  test('confirm a held request: 05 written to the outbox in the request thread; reading the list is access-logged', async () => {
    const id = await hold();
    const list = await world.call('GET', '/api/requests');
    expect(list.json.requests).toEqual([expect.objectContaining({ id, patientId: PATIENT, bookId: 'september-fastlege' })]);
    const done = await world.call('POST', `/api/requests/${id}/confirm`, { body: {} });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ action: 'confirm', changed: true, outbox: [expect.objectContaining({ kind: 'reply', code: '05' })] });
    expect((await world.outbox()).filter((o) => o.summary === 'reply 05')).toHaveLength(1);
    expect((await world.call('POST', `/api/requests/${id}/confirm`, { body: {} })).json.changed).toBe(false);
    expect((await world.call('POST', `/api/requests/${id}/reject`, { body: {} })).status).toBe(409);
    const log = await world.app.db.manager.getRepository(AccessLogEntity).find();
    expect(log).toEqual([expect.objectContaining({ actor: 'kari', role: 'staff', channel: 'api', patientId: PATIENT, action: 'GET /api/requests' })]);
    const ops = await world.call('GET', `/api/access-log?patient=${PATIENT}`, { token: OPERATOR });
    expect(ops.json.entries).toHaveLength(1);
  });

  test('requests and wishes filter by book, function and HER-id; a book listing patients is access-logged when read', async () => {
    const id = await hold();
    expect((await world.call('GET', '/api/requests?book=blodprover')).json.requests).toEqual([]);
    expect((await world.call('GET', '/api/requests?book=september-fastlege&herId=91095')).json.requests.map((r: { id: string }) => r.id)).toEqual([id]);
    expect((await world.call('GET', '/api/wishes?function=OT')).json.wishes).toEqual([]);
    expect((await world.call('GET', '/api/wishes?function=XX')).status).toBe(400);
    await world.call('PATCH', '/api/timebooks/blodprover', { body: { eligibility: { patients: [PATIENT] } } });
    const before = await world.app.db.manager.getRepository(AccessLogEntity).count({ where: { action: 'GET /api/timebooks/:id' } });
    expect((await world.call('GET', '/api/timebooks/blodprover')).json.eligibility).toEqual({ patients: [PATIENT] });
    expect((await world.app.db.manager.getRepository(AccessLogEntity).count({ where: { action: 'GET /api/timebooks/:id' } })) - before).toBe(1);
  });

  test('desk booking, move, cancel: one Avtale each; the appointment shows its history', async () => {
    const created = await world.call('POST', '/api/appointments', { body: { bookId: 'blodprover', slotId: 'blodprover@2019-07-02T08:00', patientId: PATIENT, givenName: 'Line', familyName: 'Danser' } });
    expect(created.status).toBe(201);
    const id = created.json.appointmentId as string;
    expect((await world.call('POST', `/api/appointments/${id}/move`, { body: { slotId: 'blodprover@2019-07-02T08:10' } })).json.outbox[0].code).toBe('07');
    expect((await world.call('POST', `/api/appointments/${id}/cancel`)).json.outbox[0].code).toBe('08');
    const one = await world.call('GET', `/api/appointments/${id}`);
    expect(one.json.appointment).toMatchObject({ id, status: 'cancelled', origin: 'desk', patientId: PATIENT });
    expect(one.json.history.map((h: { what: string }) => h.what)).toEqual(expect.arrayContaining(['booked at the desk', expect.stringMatching(/avtale 05/), expect.stringMatching(/avtale 07/), expect.stringMatching(/avtale 08/)]));
    expect((await world.call('GET', '/api/appointments?book=blodprover&status=cancelled')).json.appointments).toHaveLength(1);
    expect((await world.call('POST', '/api/appointments/none/cancel')).status).toBe(404);
  });
});

describe('messages and the changes feed', () => {
  test('search by MsgId, HER-id, process and outcome; the trail of a held request and its staff answer', async () => {
    const id = await hold();
    await world.call('POST', `/api/requests/${id}/confirm`, { body: {} });
    const msgId = (await world.requests())[0]!.msgId;
    const found = await world.call('GET', `/api/messages?msgId=${msgId}`, { token: OPERATOR });
    expect(found.json.messages).toEqual([expect.objectContaining({ direction: 'in', msgId, process: 'DIALOG_INNBYGGER_TIMERESERVASJON', functionCode: 'RT' })]);
    expect((await world.call('GET', '/api/messages?herId=8093248&outcome=reply%2005', { token: OPERATOR })).json.messages.map((m: { direction: string }) => m.direction)).toEqual(['out']);
    expect((await world.call('GET', '/api/messages?process=NOPE', { token: OPERATOR })).json.messages).toEqual([]);
    const trail = await world.call('GET', `/api/messages/${msgId}/trail`);
    expect(trail.status).toBe(200);
    const stages = trail.json.steps.map((s: { stage: string }) => s.stage);
    expect(stages).toEqual(['received', 'validated', 'registry', 'decision', 'booking', 'stored-for-staff', 'staff-answer', 'outgoing', 'sent', 'outgoing', 'sent']);
    expect(trail.json.steps.filter((s: { stage: string }) => s.stage === 'outgoing').map((s: { summary: string }) => s.summary)).toEqual([expect.stringMatching(/^apprec 1/), expect.stringMatching(/^reply 05/)]);
    expect(JSON.stringify(trail.json)).not.toContain(PATIENT);
    expect((await world.call('GET', '/api/messages/unknown/trail')).status).toBe(404);
  });

  test('the feed gives Helsenorge bookings and cancellations after a cursor, once', async () => {
    const first = await world.call('GET', '/api/changes');
    expect(first.json).toEqual({ events: [], next: null });
    const id = await hold();
    world.clock.advance(1000);
    const page = await world.call('GET', '/api/changes');
    expect(page.json.events).toEqual([expect.objectContaining({ appointmentId: id, status: 'requested', origin: 'helsenorge', originHerId: 8093248, patientId: PATIENT })]);
    const cursor = page.json.next as string;
    expect((await world.call('GET', `/api/changes?after=${cursor}`)).json.events).toEqual([]);
    await world.call('POST', `/api/requests/${id}/confirm`, { body: {} });
    world.clock.advance(1000);
    const next = await world.call('GET', `/api/changes?after=${cursor}`);
    expect(next.json.events).toEqual([expect.objectContaining({ appointmentId: id, status: 'booked' })]);
    expect((await world.call('GET', '/api/changes?after=bm9wZQ')).status).toBe(400);
  });

  test('the same feed as server-sent events: a booking arrives as an `appointment` event with its cursor as id', async () => {
    const abort = new AbortController();
    const res = await fetch(`${world.base}/api/changes/stream`, { headers: { authorization: 'Bearer staff-token-for-tests' }, signal: abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const id = await hold();
    const reader = res.body!.getReader();
    let text = '';
    while (!/event: appointment\ndata: .*\n\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    const data = JSON.parse(/event: appointment\ndata: (.*)\n/.exec(text)![1]!);
    expect(data).toMatchObject({ appointmentId: id, status: 'requested', origin: 'helsenorge' });
    expect(text).toContain(`id: ${data.cursor}\n`);
    expect((await world.call('GET', '/api/changes/stream?after=bm9wZQ')).status).toBe(400);
  });
});
