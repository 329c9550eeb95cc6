/**
 * `timebok simulate check --her-id N`: one protected HentLedigeTimer to a practice's HER-id, and what
 * came back explained in an integrator's words (protocol §2.5, §2.6, §3). Exit 0 when a verified,
 * readable reply arrived; 1 otherwise.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replyCodeDisplayName } from '../envelope/codes.js';
import { addressXml } from './addressing.js';
import { SimulatorError } from './errors.js';
import { replyOf } from './expect.js';
import type { SimRegistry } from './registry.js';
import { awaitObservation, BUILTIN_TEMPLATES } from './runner.js';
import type { HelsenorgeSimulator, Observation } from './simulator.js';
import { localDate, renderTemplate, syntheticFnr } from './template.js';

const CONDITIONS: Record<string, string> = {
  'transport:decryption-failed':
    'it could not decrypt the request. It does not hold the private key of the encryption certificate registered for it in the address registry (the simulator encrypted for that certificate), or it uses an old key.',
  'transport:invalid-certificate':
    "it does not accept the simulator's signing certificate: the certificate it has registered for Helsenorge is another one, or it does not trust the issuing CA.",
  'transport:invalid-cms-pkcs': 'it could not read the request as CMS signed-and-enveloped data.',
  'transport:invalid-signature': 'the signature did not verify on its side.',
  'transport:expired-certificate': "it considers the simulator's signing certificate expired or not yet valid (check its clock and its copy of the certificate).",
  'transport:revoked-certificate': "it considers the simulator's signing certificate revoked (check its CRLs).",
  'transport:unsupported-message': 'it refuses an algorithm or the process of the request (check the process is activated for it).',
  'transport:invalid-field-value': 'an AMQP field of the request was refused as missing or invalid (fromHerId, toHerId, subject, applicationTimeStamp, content-type), or the sender is not in its registry.',
  'transport:not-well-formed-xml': 'it could not parse the MsgHead after decrypting it.',
  'abuse:spoofing-attack': 'it says the AMQP fromHerId does not match the MsgHead sender.',
};

export interface CheckOptions {
  simulator: HelsenorgeSimulator;
  registry: SimRegistry;
  herId: number;
  patient?: string;
  timeoutMs?: number;
  templateDir?: string;
}

export interface CheckResult {
  ok: boolean;
  lines: string[];
}

export async function runCheck(options: CheckOptions): Promise<CheckResult> {
  const { simulator, registry, herId } = options;
  const lines: string[] = [];
  const timeoutMs = options.timeoutMs ?? 15_000;
  if (!registry.has(herId)) {
    return { ok: false, lines: [`HER-id ${herId} is not in the registry file: add the party (with its queues and certificates, or a parent that has them) first.`] };
  }
  const party = registry.resolve(herId);
  lines.push(`Checking HER-id ${herId} (${party.record.name}${party.parent ? `, under ${party.parent.name} ${party.parent.herId}` : ''}).`);
  lines.push(`  registry: sync queue ${party.queues.sync}, error queue ${party.queues.error}; encryption certificate ${party.encryptionCertificatePem ? 'present' : 'MISSING'}; ${party.signingCertificatePem.length} signing certificate(s)`);
  if (!party.record.processes.includes('DIALOG_INNBYGGER_TIMERESERVASJON')) {
    lines.push('  note: the registry does not list DIALOG_INNBYGGER_TIMERESERVASJON for this party; a practice system should refuse the request (26).');
  }
  const today = new Date();
  const vars = {
    msgId: randomUUID(),
    genDate: today.toISOString(),
    sender: addressXml(registry.resolve(simulator.herId).address),
    receiver: addressXml(party.address),
    patient: options.patient ?? syntheticFnr(1960),
    to: String(herId),
    from: localDate(today, 0),
    until: localDate(today, 27),
  };
  const template = readFileSync(join(options.templateDir ?? BUILTIN_TEMPLATES, 'hent-ledige-timer.xml'), 'utf8');
  const xml = renderTemplate(template, { vars, now: today });
  let observation: Observation;
  let timedOut: boolean;
  try {
    const sent = await simulator.send({ xml });
    lines.push(`  sent HentLedigeTimer (MsgId ${sent.msgId}, message-id ${sent.messageId}) to ${sent.queue}, reply wanted on ${simulator.syncReplyQueue}`);
    ({ observation, timedOut } = await awaitObservation(simulator, sent, { expect: {}, quiet: undefined }, timeoutMs));
  } catch (e) {
    if (e instanceof SimulatorError) {
      lines.push(`FAILED before anything came back: ${e.message}.`);
      if (/does not exist|refused|not found/i.test(e.message)) lines.push(`  The queue ${party.queues.sync} must exist on the broker (NHN creates it when the party is activated) and the practice system must read it.`);
      if (/encryption certificate/i.test(e.message)) lines.push('  The simulator needs the receiver\'s encryption certificate in the registry to encrypt the request.');
      return { ok: false, lines };
    }
    throw e;
  }
  return { ok: explain(observation, timedOut, timeoutMs, party.queues.sync, lines), lines };
}

function explain(o: Observation, timedOut: boolean, timeoutMs: number, syncQueue: string, lines: string[]): boolean {
  const error = o.errorReports[0];
  if (error) {
    const condition = error.errorCondition ?? '(no errorCondition)';
    lines.push(`FAILED: the practice system reported ${condition} on the simulator's error queue: ${CONDITIONS[condition] ?? 'see the protocol §2.6 table.'}`);
    if (error.errorDescription) lines.push(`  its description: ${error.errorDescription}`);
    if (error.errorConditionData) lines.push(`  its data: ${error.errorConditionData}`);
    return false;
  }
  const reply = replyOf(o);
  if (!reply) {
    lines.push(
      timedOut
        ? `FAILED: no answer within ${timeoutMs / 1000} s. Helsenorge gives up after 15 s. Is the practice system reading ${syncQueue}? Does it send the reply to the reply-to queue with the request's correlation-id? Did it report anything in its own log?`
        : 'FAILED: nothing came back.',
    );
    return false;
  }
  if (reply.kind === 'unreadable' || reply.problems.length > 0) {
    lines.push(`FAILED: an answer came back in ${reply.receivedAt - o.sent.sentAt} ms, but ${reply.kind === 'unreadable' ? 'it could not be opened' : 'it breaks the protocol'}:`);
    for (const p of reply.problems) lines.push(`  - ${p}`);
    return false;
  }
  const code = reply.code ?? '?';
  const verdicts: Record<string, string> = {
    '03': `OK: a signed and encrypted SvarLedigeTimer came back in ${reply.receivedAt - o.sent.sentAt} ms: 03 ${replyCodeDisplayName('03')} with ${reply.vevents.length} free slot(s). Certificates, queues and addressing work both ways.`,
    '04': `OK: a signed and encrypted SvarLedigeTimer came back in ${reply.receivedAt - o.sent.sentAt} ms: 04 ${replyCodeDisplayName('04')}. Certificates, queues and addressing work both ways; the book has no free slots for this patient and period.`,
    '26': 'OK on the wire (signed, encrypted, verified), but the practice system refused the request: 26 Forespørsel avvist. Look at its log: the patient id (a synthetic test number unless --patient is given), the process or the receiver may not be accepted.',
    '30': 'OK on the wire (signed, encrypted, verified); the answer is 30 Ikke tilgang: the test patient may not use this book. Try --patient with a patient that may.',
  };
  lines.push(verdicts[code] ?? `An unexpected reply code came back: ${code} (${replyCodeDisplayName(code)}); HentLedigeTimer is answered 03, 04, 26 or 30.`);
  if (reply.text) lines.push(`  text: ${reply.text.slice(0, 200)}`);
  return code === '03' || code === '04' || code === '26' || code === '30';
}
