/**
 * The scenario runner and the simulator together, against a scripted practice on an in-memory
 * transport (plain XML, no keys): waiting rules, saved values flowing into later steps, differences,
 * time-outs, AppRecs back to the practice, and answers from the wrong party.
 */
import { parseAppRec } from '../../../src/envelope/apprec.parser.js';
import { parseMsgHead } from '../../../src/envelope/msghead.parser.js';
import type { InboundMessage } from '../../../src/envelope/types.js';
import type { RegistryRecord } from '../../../src/registry/types.js';
import { appendNotat } from '../../../src/reply/dialogmelding.builder.js';
import { buildAppRec } from '../../../src/reply/apprec.builder.js';
import { buildMsgHead } from '../../../src/reply/msghead.builder.js';
import { appendXcal } from '../../../src/reply/xcal.builder.js';
import { SimRegistry } from '../../../src/simulate/registry.js';
import { runScenario } from '../../../src/simulate/runner.js';
import { parseScenario } from '../../../src/simulate/scenario.js';
import { HelsenorgeSimulator } from '../../../src/simulate/simulator.js';
import type { InboundWire, OutboundWire, SimTransport } from '../../../src/simulate/transport/wire.js';

const record = (herId: number, name: string, parentHerId: number | null, queues: boolean, processes: string[] = []): RegistryRecord => ({
  herId, name, type: parentHerId === null ? 'Organization' : 'Service', parentHerId, organizationNumber: null, hprNumber: null, active: true, processes,
  queues: queues ? { sync: `${herId}_sync`, async: `${herId}_async`, error: `${herId}_error` } : null, certificates: null,
});
const registry = SimRegistry.fromRecords([
  record(115851, 'DIREKTORATET FOR E-HELSE', null, true),
  record(8093248, 'Digitale innbyggertjenester', 115851, false),
  record(8142519, 'Testlegekontoret', null, true),
  record(8142521, 'Laboratoriet', 8142519, false, ['DIALOG_INNBYGGER_TIMERESERVASJON']),
  record(8142522, 'Koronatesting', 8142519, false, ['DIALOG_INNBYGGER_TIMERESERVASJON']),
]);

type Script = (request: InboundMessage, wire: OutboundWire) => Array<{ xml: string; queue: string; correlationId?: string; delayMs?: number }>;

/** A practice that answers what its script says, on the queues of an AMQP-like bus without properties checks (spool kind). */
class ScriptedPractice implements SimTransport {
  readonly kind = 'spool';
  readonly received: Array<{ wire: OutboundWire; message: InboundMessage | null; apprec: ReturnType<typeof parseAppRec> | null }> = [];
  private deliver: ((m: InboundWire) => void) | null = null;
  constructor(private readonly script: Script) {}
  async start(_queues: string[], onMessage: (m: InboundWire) => void): Promise<void> {
    this.deliver = onMessage;
  }
  async send(wire: OutboundWire): Promise<void> {
    const xml = wire.body.toString('utf8');
    if (wire.subject === 'APPREC') {
      this.received.push({ wire, message: null, apprec: parseAppRec(xml) });
      return;
    }
    const message = parseMsgHead(xml);
    this.received.push({ wire, message, apprec: null });
    for (const a of this.script(message, wire)) {
      setTimeout(() => this.deliver?.({ queue: a.queue, body: Buffer.from(a.xml), ...(a.correlationId ? { correlationId: a.correlationId } : {}), headers: {}, isErrorReport: false }), a.delayMs ?? 5);
    }
  }
  async close(): Promise<void> {}
}

const hn = registry.resolve(8093248).address;
const slot = { uid: 'slot-1', dtstart: '2026-12-07T08:00:00', dtend: '2026-12-07T08:10:00', contact: 8142521, categories: [] };

function reply(request: InboundMessage, code: string, events: Array<typeof slot & { relatedTo?: string }>, from = 8142521, ack: 'J' | 'N' = 'J'): string {
  return buildMsgHead({
    process: request.processRaw, msgId: `reply-${request.msgId}`, genDate: new Date(), ack,
    conversationRef: { refToParent: request.msgId, refToConversation: request.msgId },
    sender: registry.resolve(from).address, receiver: hn, patient: null,
    documents: [{ build: (c) => appendNotat(c, code) }, ...(events.length ? [{ build: (c: Parameters<typeof appendXcal>[0]) => appendXcal(c, events) }] : [])],
  });
}

function apprec(request: InboundMessage, status: '1' | '2', errors: string[] = []): string {
  return buildAppRec({
    id: `apprec-${request.msgId}`, genDate: new Date(), sender: registry.resolve(8142521).address, receiver: hn, status,
    errors: errors.map((code) => ({ code })), original: { msgType: request.processRaw, issueDate: '2026-12-04', id: request.msgId },
  });
}

/** The demo lab, scripted: 03 with one slot; RT of slot-1 → 05, anything else 06; ART → 08. */
const lab: Script = (m, wire) => {
  switch (m.functionCode) {
    case 'HLT':
      return [{ xml: reply(m, '03', [slot], 8142521, 'N'), queue: wire.replyTo as string, correlationId: wire.correlationId as string }];
    case 'RT': {
      const ok = m.vevents[0]?.uid === 'slot-1';
      return [{ xml: apprec(m, '1'), queue: '115851_async' }, { xml: reply(m, ok ? '05' : '06', ok ? [{ ...slot, uid: 'appt-1', relatedTo: 'slot-1' }] : []), queue: '115851_async' }];
    }
    case 'ART':
      return [{ xml: apprec(m, '1'), queue: '115851_async' }, { xml: reply(m, m.vevents[0]?.uid === 'appt-1' ? '08' : '09', []), queue: '115851_async' }];
    default:
      return [];
  }
};

async function run(yaml: string, script: Script, options: { allowRun?: boolean } = {}) {
  const practice = new ScriptedPractice(script);
  const simulator = new HelsenorgeSimulator({ registry, keys: null, transport: practice, herId: 8093248, schemas: null });
  await simulator.start();
  const result = await runScenario(parseScenario(yaml, 's.yaml', '/nonexistent'), { simulator, registry, ...options });
  await simulator.stop();
  return { result, practice };
}

const HEAD = 'name: s\nvars: { lab: "8142521", p: "15469030021" }\nsteps:\n';
const HLT = '  - name: look up\n    template: hent-ledige-timer.xml\n    vars: { to: "{{lab}}", patient: "{{p}}", from: "{{today}}", until: "{{today+27}}" }\n';

describe('running a scenario', () => {
  it('carries saved values into later requests and passes when every answer is as expected', async () => {
    const { result, practice } = await run(
      `${HEAD}${HLT}    expect: { reply: "03", vevents: 1 }\n    save: { slot: "reply.vevents[0].uid", start: "reply.vevents[0].dtstart", end: "reply.vevents[0].dtend" }\n` +
        '  - name: book\n    template: reserver-avtale.xml\n    vars: { to: "{{lab}}", patient: "{{p}}", uid: "{{slot}}", start: "{{start}}", end: "{{end}}" }\n    expect: { apprec: "1", reply: "05", vevents: 1 }\n    save: { appointment: "reply.vevents[0].uid" }\n' +
        '  - name: cancel\n    template: avbestill-avtale.xml\n    vars: { to: "{{lab}}", patient: "{{p}}", uid: "{{appointment}}", relatedTo: "{{appointment}}", start: "{{start}}", end: "{{end}}" }\n    expect: { apprec: "1", reply: "08" }\n',
      lab,
    );
    expect(result.steps.map((s) => [s.name, s.passed, s.differences])).toEqual([
      ['look up', true, []],
      ['book', true, []],
      ['cancel', true, []],
    ]);
    const requests = practice.received.filter((r) => r.message);
    expect(requests.map((r) => r.message?.functionCode)).toEqual(['HLT', 'RT', 'ART']);
    expect(requests[1]?.message?.vevents[0]?.uid).toBe('slot-1');
    expect(requests[2]?.message?.vevents[0]?.uid).toBe('appt-1');
    // the sync request went to the sync queue with reply-to and correlation-id; async ones to the async queue
    expect(requests[0]?.wire).toMatchObject({ queue: '8142519_sync', replyTo: '8093248_syncreply', ttlMs: 15_000 });
    expect(requests[0]?.wire.correlationId).toBe(requests[0]?.wire.messageId);
    expect(requests[1]?.wire).toMatchObject({ queue: '8142519_async', replyTo: '115851_async', headers: { fromHerId: '8093248', toHerId: '8142521' } });
    // and Helsenorge answered each business reply (Ack J) with AppRec 1, to the practice's async queue
    const apprecs = practice.received.filter((r) => r.apprec);
    expect(apprecs.map((r) => [r.wire.queue, r.apprec?.status, r.apprec?.originalMsgId])).toEqual([
      ['8142519_async', '1', 'reply-' + requests[1]?.message?.msgId],
      ['8142519_async', '1', 'reply-' + requests[2]?.message?.msgId],
    ]);
  });

  it('reports the difference, and a later step whose value was never saved fails naming it', async () => {
    const { result } = await run(
      `${HEAD}  - name: book an unknown slot\n    template: reserver-avtale.xml\n    vars: { to: "{{lab}}", patient: "{{p}}", uid: "nope", start: "2026-12-07T08:00:00", end: "2026-12-07T08:10:00" }\n    expect: { apprec: "1", reply: "05" }\n    save: { appointment: "reply.vevents[0].uid" }\n` +
        '  - name: cancel\n    template: avbestill-avtale.xml\n    vars: { to: "{{lab}}", patient: "{{p}}", uid: "{{appointment}}", relatedTo: "x", start: "a", end: "b" }\n    expect: { reply: "08" }\n',
      lab,
    );
    expect(result.steps[0]).toMatchObject({ passed: false, differences: ['reply: expected 05, got 06 (Time ikke tilgjengelig)', 'save appointment: nothing at reply.vevents[0].uid in the answers'] });
    expect(result.steps[1]).toMatchObject({ passed: false, summary: 'not sent', differences: ['cannot build the request: no value for {{appointment}}'] });
  });

  it('gives up at the time-out and says what did not come', async () => {
    const { result } = await run(`${HEAD}${HLT}    expect: { reply: "03" }\n    timeout: 200ms\n`, () => []);
    expect(result.steps[0]?.differences).toEqual(['reply: expected 03, got no reply within 0.2 s']);
  });

  it('fails a "none" expectation when the reply comes within the quiet period', async () => {
    const late: Script = (m) => [{ xml: apprec(m, '1'), queue: '115851_async' }, { xml: reply(m, '05', []), queue: '115851_async', delayMs: 150 }];
    const yaml = `${HEAD}  - name: held\n    template: reserver-avtale.xml\n    vars: { to: "{{lab}}", patient: "{{p}}", uid: "slot-1", start: "a", end: "b" }\n    expect: { apprec: "1", reply: none }\n    quiet: 400ms\n`;
    const { result } = await run(yaml, late);
    expect(result.steps[0]?.differences).toEqual(['reply: expected none, got 05 (Timereservasjon bekreftet)']);
    const { result: quietResult } = await run(yaml, (m) => [{ xml: apprec(m, '1'), queue: '115851_async' }]);
    expect(quietResult.steps[0]?.passed).toBe(true);
  });

  it('flags an answer that comes from another party than the one addressed', async () => {
    const impostor: Script = (m, wire) => [{ xml: reply(m, '03', [slot], 8142522, 'N'), queue: wire.replyTo as string, correlationId: wire.correlationId as string }];
    const { result } = await run(`${HEAD}${HLT}    expect: { reply: "03" }\n`, impostor);
    expect(result.steps[0]?.differences).toEqual(['reply: the answer comes from HER-id 8142522, but the request was addressed to 8142521']);
  });

  it('accepts a refusal in the name of the organisation whose queue received the request, but no business answer', async () => {
    const office = (code: string): Script => (m, wire) => [{ xml: reply(m, code, [], 8142519, 'N'), queue: wire.replyTo as string, correlationId: wire.correlationId as string }];
    const refused = await run(`${HEAD}${HLT}    expect: { reply: "26" }\n`, office('26'));
    expect(refused.result.steps[0]?.differences).toEqual([]);
    const answered = await run(`${HEAD}${HLT}    expect: { reply: "04" }\n`, office('04'));
    expect(answered.result.steps[0]?.differences).toEqual(['reply: the answer comes from HER-id 8142519, but the request was addressed to 8142521']);
  });

  it('refuses run steps unless they are allowed', async () => {
    const { result } = await run(`${HEAD}  - name: desk booking\n    run: "echo hi"\n    expect: { avtale: "05" }\n`, lab);
    expect(result.steps[0]?.differences).toEqual(['run: steps execute shell commands from the scenario file; allow them with --allow-run']);
  });

  it('reports a run command that fails by its exit code', async () => {
    const { result } = await run(`${HEAD}  - name: desk booking\n    run: "exit 3"\n    expect: { avtale: "05" }\n`, lab, { allowRun: true });
    expect(result.steps[0]?.differences).toEqual(['run: the command exited with 3']);
  });
});
