import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { parseMsgHead } from '../../../src/envelope/msghead.parser.js';
import type { Address } from '../../../src/reply/addressing.js';
import { buildAvtale, buildStaffReply, type AvtaleCode } from '../../../src/reply/staff-messages.builder.js';
import type { CalendarEntry } from '../../../src/timebook/types.js';

/** Every message a staff operation can build validates against our schema set, and reads back. */
let schemas: SchemaSet;
beforeAll(async () => {
  schemas = await loadSchemaSet();
});
afterAll(() => schemas.dispose());

const HELSENORGE: Address = {
  level1: { herId: 115851, name: 'DIREKTORATET FOR E-HELSE', kind: 'organisation' },
  level2: { herId: 8093248, name: 'Digitale innbyggertjenester', kind: 'organisation' },
};
const GP: Address = {
  level1: { herId: 1234, name: 'Nanset legekontor', kind: 'organisation', organisationNumber: '971318864' },
  level2: { herId: 91095, name: 'August September', kind: 'person', hprNumber: '9144889' },
};
const LAB: Address = {
  level1: { herId: 1234, name: 'Nanset legekontor', kind: 'organisation' },
  level2: { herId: 1235, name: 'Laboratoriet', kind: 'organisation' },
};
const PATIENT = { idType: 'FNR', id: '13116900216', familyName: 'Danser', givenName: 'Line' };
const EVENT: CalendarEntry = {
  uid: '6e714698-3c0d-5b86-852e-02167b9a2870',
  relatedTo: 'september-fastlege@2019-07-04T10:00',
  dtstart: '2019-07-04T10:00:00',
  dtend: '2019-07-04T10:15:00',
  contact: 91095,
  summary: 'Fastlege August September',
  description: 'Konsultasjon hos fastlegen',
  location: 'Nanset legekontor, Nansetgata 1, 3269 Larvik',
  categories: ['Video'],
  status: 'CONFIRMED',
};

function expectValid(xml: string): void {
  expect(schemas.validate(xml).issues).toEqual([]);
}

describe.each(['DIALOG_INNBYGGER_TIMERESERVASJON', 'DIALOG_INNBYGGER_TIMEONSKE', 'DIALOG_INNBYGGER_TIMEONSKEUNGDOM'])('answers in %s', (process) => {
  test.each(['05', '06', '07', '08', '09', '10', '26', '34'])('code %s is schema-valid and reads back', (code) => {
    const xml = buildStaffReply({
      process,
      code,
      text: 'Tekst til innbygger',
      msgId: 'a9a9a9a9-0000-5000-8000-000000000001',
      genDate: new Date('2019-07-01T07:00:00Z'),
      conversationRef: { refToParent: 'p', refToConversation: 'c' },
      sender: GP,
      receiver: HELSENORGE,
      patient: PATIENT,
      events: code === '06' || code === '26' ? [] : [EVENT],
      practitioner: code === '10' ? { givenName: 'Rita', familyName: 'Lin', herId: 910952, hprNumber: '9876543', role: { v: '6', dn: 'Fastlege' } } : null,
    });
    expectValid(xml);
    const m = parseMsgHead(xml);
    expect(m).toMatchObject({ process, functionCode: code, ack: 'J', conversationRef: { refToParent: 'p', refToConversation: 'c' } });
    expect(m.dialogmelding?.kind).toBe('Notat');
    if (code === '10') expect(m.helsepersonell).toEqual([expect.objectContaining({ familyName: 'Lin', hprNumber: '9876543' })]);
    else expect(m.helsepersonell).toEqual([]);
  });
});

describe('Avtale push (DIALOG_INNBYGGER_AVTALEUTSENDING)', () => {
  test.each<[AvtaleCode, Address]>([
    ['05', LAB],
    ['07', LAB],
    ['08', GP],
    ['11', GP],
  ])('%s is schema-valid: Foresporsel/TypeForesp from 7602, no ConversationRef, one VEVENT', (code, sender) => {
    const xml = buildAvtale({
      code,
      msgId: 'b9b9b9b9-0000-5000-8000-000000000001',
      genDate: new Date('2019-07-01T07:00:00Z'),
      sender,
      receiver: HELSENORGE,
      patient: { idType: 'DNR', id: '41116900216' },
      event: code === '08' ? { ...EVENT, status: 'CANCELLED' } : EVENT,
    });
    expectValid(xml);
    const m = parseMsgHead(xml);
    expect(m).toMatchObject({ process: 'DIALOG_INNBYGGER_AVTALEUTSENDING', functionCode: code, ack: 'J', conversationRef: null });
    expect(m.dialogmelding).toMatchObject({ kind: 'Foresporsel', typeForesp: { v: code, s: '2.16.578.1.12.4.1.1.7602' } });
    expect(m.dialogmelding?.sporsmal).toBeUndefined();
    expect(m.vevents).toHaveLength(1);
    expect(m.vevents[0]).toMatchObject({ uid: EVENT.uid, relatedTo: EVENT.relatedTo, contact: '91095' });
    expect(m.documentKinds).toEqual(['Dialogmelding', 'icalendar']);
  });
});

test('a Helsepersonell document needs a HER-id or an HPR number', () => {
  expect(() =>
    buildStaffReply({
      process: 'DIALOG_INNBYGGER_TIMEONSKE',
      code: '10',
      text: null,
      msgId: 'x',
      genDate: new Date(),
      conversationRef: { refToParent: 'p', refToConversation: 'c' },
      sender: GP,
      receiver: HELSENORGE,
      patient: PATIENT,
      events: [EVENT],
      practitioner: { givenName: 'Rita', familyName: 'Lin' },
    }),
  ).toThrow(/HER-id or an HPR number/);
});
