import { create } from 'xmlbuilder2';
import { buildAppRec } from '../../../src/reply/apprec.builder.js';
import type { Address } from '../../../src/reply/addressing.js';
import { buildAvtale, buildStaffReply } from '../../../src/reply/staff-messages.builder.js';
import { createXml } from '../../../src/reply/xml.writer.js';
import type { CalendarEntry } from '../../../src/timebook/types.js';

/**
 * Our XML writer writes what xmlbuilder2 writes (docs/decisions.md §37): every message kind is built
 * with the writer, read by xmlbuilder2 and written again by it, and must come out byte for byte the
 * same; escaping differs only where xmlbuilder2 leaves an entity-like `&…;` unescaped.
 */
const HELSENORGE: Address = {
  level1: { herId: 115851, name: 'DIREKTORATET FOR E-HELSE', kind: 'organisation' },
  level2: { herId: 8093248, name: 'Digitale innbyggertjenester', kind: 'organisation' },
};
const GP: Address = {
  level1: { herId: 1234, name: 'Nanset legekontor', kind: 'organisation', organisationNumber: '971318864' },
  level2: { herId: 91095, name: 'August September', kind: 'person', hprNumber: '9144889', roleToPatient: { v: '6', s: '2.16.578.1.12.4.1.1.9034', dn: 'Fastlege' } },
};
const LAB: Address = {
  level1: { herId: 1234, name: 'Nanset <legekontor> & "co"', kind: 'organisation' },
  level2: { herId: 1235, name: 'Laboratoriet', kind: 'organisation' },
};
const PATIENT = { idType: 'FNR', id: '13116900216', familyName: 'Danser', givenName: 'Line' };
const event = (i: number): CalendarEntry => ({
  uid: `6e714698-3c0d-5b86-852e-02167b9a28${String(i).padStart(2, '0')}`,
  relatedTo: `september-fastlege@2019-07-04T10:${String(i).padStart(2, '0')}`,
  dtstart: '2019-07-04T10:00:00',
  dtend: '2019-07-04T10:15:00',
  contact: 91095,
  summary: 'Fastlege August September',
  description: i % 2 ? 'Konsultasjon < 15 min & "video"' : undefined,
  location: 'Nanset legekontor, Nansetgata 1, 3269 Larvik',
  categories: i % 3 ? ['Video', 'Lab'] : [],
  status: 'CONFIRMED',
});

/** xmlbuilder2's own writing of a document we wrote. */
function rewritten(xml: string): string {
  return create({ parser: {}, skipWhitespaceOnlyText: true } as never, xml).end({ prettyPrint: true });
}

const messages: Array<[string, () => string]> = [
  ...(['05', '06', '10', '26'] as const).map((code): [string, () => string] => [
    `reply ${code}`,
    () =>
      buildStaffReply({
        process: 'DIALOG_INNBYGGER_TIMERESERVASJON',
        code,
        text: 'Tekst til innbygger',
        msgId: 'a9a9a9a9-0000-5000-8000-000000000001',
        genDate: new Date('2019-07-01T07:00:00Z'),
        conversationRef: { refToParent: 'p', refToConversation: 'c' },
        sender: code === '26' ? LAB : GP,
        receiver: HELSENORGE,
        patient: PATIENT,
        events: code === '06' || code === '26' ? [] : Array.from({ length: 28 }, (_, i) => event(i)),
        practitioner: code === '10' ? { givenName: 'Rita', familyName: 'Lin', herId: 910952, hprNumber: '9876543', role: { v: '6', dn: 'Fastlege' } } : null,
      }),
  ]),
  [
    'avtale 07',
    () =>
      buildAvtale({ code: '07', msgId: 'm-1', genDate: new Date('2019-07-01T07:00:00Z'), sender: LAB, receiver: HELSENORGE, patient: { idType: 'DNR', id: '53116900216' }, event: event(1) }),
  ],
  [
    'apprec',
    () =>
      buildAppRec({
        id: 'r-1',
        genDate: new Date('2019-07-01T07:00:00Z'),
        sender: GP,
        receiver: HELSENORGE,
        status: '2',
        errors: [{ code: 'T02', description: 'MsgHead/MsgInfo: "x" < y' }, { code: 'E10' }],
        original: { msgType: 'DIALOG_INNBYGGER_TIMERESERVASJON', issueDate: '2019-07-01T07:00:00', id: 'o-1' },
      }),
  ],
];

test.each(messages)('%s is written byte for byte as xmlbuilder2 writes it', (_, build) => {
  const xml = build();
  expect(xml).toBe(rewritten(xml));
});

test('prefixes, empty text and nesting as xmlbuilder2 writes them', () => {
  const root = createXml({ version: '1.0', encoding: 'UTF-8' }).ele('urn:a', 'A');
  const list = root.ele('urn:b', 'List').att('http://www.w3.org/2000/xmlns/', 'xmlns:p', 'urn:p');
  list.ele('urn:p', 'p:X').att('V', '1').ele('urn:p', 'p:Y').txt('y');
  list.ele('urn:q', 'q:Z').txt('');
  root.ele('Empty');
  root.ele('Back').ele('urn:a', 'Same');
  const xml = root.end({ prettyPrint: true });
  expect(xml).toBe(rewritten(xml));
  expect(xml).toContain('<q:Z xmlns:q="urn:q"/>');
});

test('escapes every ampersand, also where it looks like an entity (xmlbuilder2 does not)', () => {
  const root = createXml({ version: '1.0' }).ele('urn:a', 'A').att('t', '&amp; "q"');
  root.ele('T').txt('R&D; &lt; <b> &');
  expect(root.end({ prettyPrint: true })).toBe(
    ['<?xml version="1.0"?>', '<A xmlns="urn:a" t="&amp;amp; &quot;q&quot;">', '  <T>R&amp;D; &amp;lt; &lt;b&gt; &amp;</T>', '</A>'].join('\n'),
  );
});

test('a second root or a foreign attribute namespace is refused', () => {
  const doc = createXml({ version: '1.0' });
  doc.ele('urn:a', 'A');
  expect(() => doc.ele('urn:a', 'B')).toThrow(/one root/);
  expect(() => createXml({ version: '1.0' }).ele('urn:a', 'A').att('urn:x', 'x:y', '1')).toThrow(/not supported/);
});
