import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { parseMsgHead } from '../../../src/envelope/msghead.parser.js';
import { DEFAULT_XML_LIMITS, type InboundMessage } from '../../../src/envelope/types.js';
import { TimebokError } from '../../../src/shared/errors.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const OFFICIAL = path.resolve(here, '../../../fixtures/helsenorge-2019');
const official = (file: string): string => readFileSync(path.join(OFFICIAL, file), 'utf8');
const parseOfficial = (file: string): InboundMessage => parseMsgHead(official(file));
const fixture = (name: string): string => readFileSync(path.resolve(here, '../../fixtures/envelope/messages', name), 'utf8');

const TR = 'DIALOG_INNBYGGER_TIMERESERVASJON/1.2';

function thrownCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof TimebokError) return e.code;
    throw e;
  }
  return 'none';
}

describe('parseMsgHead', () => {
  describe('ReserverAvtale request (official example)', () => {
    const m = parseOfficial(`${TR}/Reserver-time--Foresporsel-innbygger--Reserver-time.xml`);

    it('reads MsgInfo', () => {
      expect(m).toMatchObject({
        process: 'DIALOG_INNBYGGER_TIMERESERVASJON',
        processRaw: 'DIALOG_INNBYGGER_TIMERESERVASJON',
        migVersion: 'v1.2 2006-05-24',
        genDate: '2019-11-21T09:30:47.0Z',
        msgId: '8325fcb5-89a9-11e3-baa8-0800200c9a66',
        ack: 'J',
        conversationRef: null,
        functionCode: 'RT',
      });
    });

    it('reads the sender: Helsenorge with an organisation at level 2', () => {
      expect(m.sender).toEqual({
        level1: { herId: 115851, name: 'DIREKTORATET FOR E-HELSE', kind: 'organisation' },
        level2: { herId: 8093248, name: 'Digitale innbyggertjenester', kind: 'organisation' },
      });
    });

    it('reads the receiver: the office (HER 1234, ENH) and the GP as a HealthcareProfessional at level 2', () => {
      expect(m.receiver).toEqual({
        level1: { herId: 1234, name: 'Nanset legekontor', kind: 'organisation', organisationNumber: '971318864' },
        level2: {
          herId: 91095,
          name: 'August September',
          kind: 'person',
          roleToPatient: { v: '6', s: '2.16.578.1.12.4.1.1.9034', dn: 'Fastlege' },
        },
      });
    });

    it('reads the patient by FNR', () => {
      expect(m.patient).toEqual({ idType: 'FNR', id: '13116900216', familyName: 'Danser', givenName: 'Folke' });
    });

    it('reads the Foresporsel with TypeForesp RT, the question and the wished-for practitioner', () => {
      expect(m.dialogmelding).toEqual({
        version: '1.1',
        kind: 'Foresporsel',
        typeForesp: { v: 'RT', s: '2.16.578.1.12.4.1.1.7601', dn: 'Reserver time' },
        sporsmal: 'Ønsker time fordi jeg har slitt med langvarig migrene.',
        kodetOpplysning: { v: '1', s: '2.16.578.1.12.4.1.1.1101', dn: 'Ja' },
        rollerRelatertNotat: [
          {
            role: { v: '23', s: '2.16.578.1.12.4.1.1.9034', dn: 'Ønsket behandler' },
            familyName: 'Linn',
            givenName: 'Legesen',
            hprNumber: '9141200',
          },
        ],
      });
    });

    it('reads the one VEVENT', () => {
      expect(m.vevents).toEqual([
        { dtstart: '2019-07-05T11:45:00', dtend: '2019-07-05T12:00:00', uid: '4088E990AD89CB3DBB484909', contact: '91095', categories: [] },
      ]);
      expect(m.documentKinds).toEqual(['Dialogmelding', 'icalendar']);
      expect(m.attachments).toEqual([]);
    });
  });

  it('reads FraDato and TilDato of a HentLedigeTimer request, without xCal', () => {
    const m = parseOfficial(`${TR}/Ledige-timer--Foresporsel-innbygger--Hent-ledige-timer.xml`);
    expect(m.functionCode).toBe('HLT');
    expect(m.dialogmelding).toMatchObject({ fraDato: '2014-01-30', tilDato: '2014-02-27' });
    expect(m.vevents).toEqual([]);
    expect(m.ack).toBe('J');
  });

  it('reads an ØnskeReserver (OT) request, which has no xCal', () => {
    const m = parseOfficial('DIALOG_INNBYGGER_TIMEONSKE/1.2/Onske-om-time--Foresporsel-innbygger--Onske-om-time.xml');
    expect(m.process).toBe('DIALOG_INNBYGGER_TIMEONSKE');
    expect(m.functionCode).toBe('OT');
    expect(m.documentKinds).toEqual(['Dialogmelding']);
    expect(m.vevents).toEqual([]);
  });

  it('maps the misspelt DIALOG_INNBYGGER_AVTALEBESTILLING to AVTALEAVBESTILLING and keeps the raw value', () => {
    const m = parseOfficial('DIALOG_INNBYGGER_AVTALEAVBESTILLING/1.0/Avbestill-time--Foresporsel-innbygger--Avbestill-reservert-time.xml');
    expect(m.process).toBe('DIALOG_INNBYGGER_AVTALEAVBESTILLING');
    expect(m.processRaw).toBe('DIALOG_INNBYGGER_AVTALEBESTILLING');
    expect(m.functionCode).toBe('ART');
  });

  it('reads a Notat reply: TemaKodet as function code, ConversationRef and the trimmed "91095 " contact', () => {
    const m = parseOfficial(`${TR}/Ledige-timer--Svar-helsepersonell--Ledige-timer.xml`);
    expect(m.functionCode).toBe('03');
    expect(m.dialogmelding).toMatchObject({ kind: 'Notat', temaKodet: { v: '03', dn: 'Ledige timer' } });
    expect(m.conversationRef).toEqual({
      refToParent: '8325fcb2-89a9-11e3-baa8-0800200c9a66',
      refToConversation: '8325fcb2-89a9-11e3-baa8-0800200c9a66',
    });
    expect(m.vevents.map((v) => v.contact)).toEqual(['91095', '91095']);
    expect(m.vevents[0]).toMatchObject({ summary: '', status: 'TENTATIVE', categories: ['Video'] });
    expect(m.vevents[1]).toMatchObject({ xAvailableAt: '2018-07-25T08:00:00', location: 'Verkstedveien 1', categories: ['Hastetime'] });
  });

  it('reads the Helsepersonell 2014-03-28 document of the code-10 reply as a practitioner', () => {
    const m = parseOfficial('DIALOG_INNBYGGER_TIMEONSKE/1.2/Onske-om-time--Svar-helsepersonell--Timereservasjon-hos-annen-behandler-bekreftet.xml');
    expect(m.functionCode).toBe('10');
    expect(m.documentKinds).toEqual(['Dialogmelding', 'icalendar', 'Helsepersonell']);
    expect(m.helsepersonell).toEqual([
      { role: { v: '6', s: '2.16.578.1.12.4.1.1.9034', dn: 'Fastlege' }, familyName: 'Lin', givenName: 'Rita', herId: 910952 },
    ]);
    expect(m.sender.level2).toMatchObject({ kind: 'person', herId: 91095 });
  });

  it('reads the HelsepersonelListe 2015-05-04 of the Behandlere reply', () => {
    const m = parseOfficial('DIALOG_INNBYGGER_BEHANDLEROVERSIKT/1.1/Behandleroversikt--Svar-helsepersonell--Behandlere.xml');
    expect(m.helsepersonell.map((p) => [p.hprNumber, p.role?.v, p.familyName])).toEqual([
      ['941102', '15', 'Fastlegesen'],
      ['941101', '16', 'Turnuslegesen'],
      ['9134190', '22', 'Sykepleier'],
    ]);
  });

  it('reads Dialogmelding 1.0 with a Notat and its RollerRelatertNotat', () => {
    const m = parseOfficial('DIALOG_INNBYGGER_TIMER/1.1/Endring-av-time--Svar-helsepersonell--Bekreftet.xml');
    expect(m.dialogmelding).toMatchObject({
      version: '1.0',
      kind: 'Notat',
      temaKodet: { v: '07' },
      tekstNotatInnhold: 'Du har fått ny time neste måned',
      rollerRelatertNotat: [{ role: { v: '9' }, hprNumber: '9142800' }],
    });
  });

  it('reads all categories and the recurring-visit extensions of a SvarPlanlagteTimer', () => {
    const m = parseOfficial(`${TR}/Planlagte-timer--Svar-helsepersonell--Bestilte-timer.xml`);
    expect(m.vevents).toHaveLength(3);
    expect(m.vevents[0]).toMatchObject({ status: 'CONFIRMED', location: 'Hjemmebesøk', categories: ['TjenesteId: 9'] });
    expect(m.vevents.some((v) => v.xExpectedDuration === 'P30M')).toBe(true);
  });

  describe('a schema-invalid but readable request (hand-made)', () => {
    const m = parseMsgHead(fixture('readable-but-invalid.xml'));

    it('normalises the process and trims ids', () => {
      expect(m.process).toBe('DIALOG_INNBYGGER_TIMEONSKE');
      expect(m.processRaw).toBe(' dialog_innbygger_timeonske ');
      expect(m.msgId).toBe('5b0c6f7e-2a41-4c55-9d7b-3f1e2a9c0d11');
      expect(m.sender.level2?.herId).toBe(900002);
      expect(m.patient).toEqual({ idType: 'DNR', id: '41010112345', familyName: 'Testesen', givenName: 'Kari' });
    });

    it('gives an empty receiver and no Ack instead of throwing', () => {
      expect(m.receiver).toEqual({ level1: { herId: null, name: '', kind: 'organisation' }, level2: null });
      expect(m.ack).toBeNull();
    });

    it('flattens the XHTML question to text and reads Sakstype and EmneSporsmal', () => {
      expect(m.dialogmelding).toMatchObject({
        sakstype: 'helsekontakt-17',
        emneSporsmal: 'Flytte time',
        sporsmal: 'Kan timen flyttes?\nJeg er bortreist & kommer hjem 12.\u00a0mars.',
        kodetOpplysning: { v: '2' },
      });
    });

    it('reads a prefixed xCal with a date-only start, related-to as text and every categories text', () => {
      expect(m.vevents).toEqual([
        {
          dtstart: '2026-03-12',
          dtend: '2026-03-12T10:15:00',
          uid: 'slot-77',
          contact: '91095',
          relatedTo: 'appointment-5',
          categories: ['Tidsvindu', 'TjenesteId: 9', 'Video'],
          status: 'CANCELLED',
          xExpectedDuration: 'PT30M',
          xCancellationReason: 'Avlyst av tjeneste',
        },
      ]);
    });

    it('reads Pasientrelasjon', () => {
      expect(m.pasientrelasjon).toEqual({
        relasjon: { v: 'FO', s: '2.16.578.1.12.4.1.1.7611', dn: 'Foreldreansvar' },
        personIdent: { id: '01010112345', typeId: 'FNR' },
        familyName: 'Testesen',
        givenName: 'Per',
      });
    });

    it('keeps a base64 attachment and an unknown XML payload, as received', () => {
      expect(m.documentKinds).toEqual(['Dialogmelding', 'icalendar', 'Pasientrelasjon', 'Base64Container', 'Skjema']);
      expect(m.attachments).toEqual([
        { msgType: 'A', mimeType: 'image/png', description: 'Bilde av utslett', content: 'iVBORw0KGgo=AAAA' },
        {
          msgType: 'XML',
          description: 'Egenerklæring',
          content: '<Skjema xmlns="urn:example:skjema" versjon="1"><Svar nr="1">Ja</Svar><![CDATA[<fri tekst>]]></Skjema>',
        },
      ]);
    });
  });

  it('reads a message with more VEVENTs than the limit, keeping none and naming the content problem (answered, not thrown)', () => {
    const xml = official(`${TR}/Ledige-timer--Svar-helsepersonell--Ledige-timer.xml`);
    const over = parseMsgHead(xml, { ...DEFAULT_XML_LIMITS, maxVevents: 1 });
    expect(over.contentProblem).toBe('more than 1 VEVENTs');
    expect(over.vevents).toHaveLength(0);
    expect(over.msgId).not.toBe('');
    expect(parseMsgHead(xml, { ...DEFAULT_XML_LIMITS, maxVevents: 2 }).vevents).toHaveLength(2);
  });

  it('refuses a document whose root is not MsgHead', () => {
    const appRec = readFileSync(path.resolve(here, '../../../schemas/examples/apprec-1.1-avvist.xml'), 'utf8');
    expect(thrownCode(() => parseMsgHead(appRec))).toBe('ERR_ENVELOPE_NOT_MSGHEAD');
  });

  it('refuses a MsgHead in another namespace', () => {
    expect(thrownCode(() => parseMsgHead('<MsgHead xmlns="urn:other"><MsgInfo/></MsgHead>'))).toBe('ERR_ENVELOPE_NOT_MSGHEAD');
  });
});
