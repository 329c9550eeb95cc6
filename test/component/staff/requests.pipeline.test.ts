import { Database } from '../../../src/db/database.js';
import { ALL_ENTITIES, ALL_MIGRATIONS } from '../../../src/db/schema.js';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { InboxEntity, OutboxEntity } from '../../../src/inbox/message.entities.js';
import { wishIdOf } from '../../../src/pipeline/functions.js';
import { CitizenRequestEntity } from '../../../src/timebook/request.entities.js';
import { AppointmentEntity } from '../../../src/timebook/timebook.entities.js';
import { replay } from '../pipeline/helpers.js';
import { ART_FILE, HELSENORGE, OAT_FILE, OET_FILE, OT_FILE, PATIENT, RT_FILE, STAFF_SETUP, read, staffWorld, withMsgId, type StaffWorld } from './world.js';

/**
 * Issue 3: Timeønske (OT, OET, OAT) and requests held in `manual` books are stored with what their
 * answer needs, in the transaction of the inbox row; only the AppRec goes out now.
 */
let schemas: SchemaSet;
beforeAll(async () => {
  schemas = await loadSchemaSet();
});
afterAll(() => schemas.dispose());

async function openDb(file: string): Promise<Database> {
  return Database.open({ url: `sqlite:${file}`, entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS });
}

describe('official Timeønske examples replayed (fixtures/helsenorge-2019)', () => {
  test('OT is stored as an open wish with everything the SvarØnske needs; only AppRec 1 goes out', async () => {
    const run = await replay(schemas, [OT_FILE], { setup: STAFF_SETUP });
    expect(run.code).toBe(0);
    expect(run.lines[0]).toMatch(/pending \[DIALOG_INNBYGGER_TIMEONSKE OT\].*wish OT stored for staff/);
    expect(run.files()).toEqual([expect.stringMatching(/--01-apprec-1\.xml$/)]);
    const db = await openDb(run.db);
    try {
      const wishes = await db.manager.getRepository(CitizenRequestEntity).find();
      expect(wishes).toHaveLength(1);
      const w = wishes[0]!;
      expect(w).toMatchObject({
        kind: 'wish',
        process: 'DIALOG_INNBYGGER_TIMEONSKE',
        functionCode: 'OT',
        status: 'open',
        answerCode: null,
        counterpartyHerId: HELSENORGE,
        ourHerId: 91095,
        msgId: '9277ad96-a664-42d0-90bf-e6130206b33a',
        conversationId: '9277ad96-a664-42d0-90bf-e6130206b33a',
        patientId: PATIENT,
        patientIdType: 'FNR',
        patientFamilyName: 'Danser',
        patientGivenName: 'Line',
        representativeId: null,
        relation: null,
        event: null,
        acceptsOther: '1',
        receivedAt: '2019-07-01T07:00:00.000Z',
      });
      expect(w.sporsmal).toMatch(/^Jeg ønsker time helst torsdag/);
      // Same transaction as the inbox row: the wish names it.
      const inbox = await db.manager.getRepository(InboxEntity).find();
      expect(inbox.map((i) => i.id)).toEqual([w.inboxId]);
      expect(inbox[0]!.outcome).toMatch(/wish OT stored/);
    } finally {
      await db.close();
    }
  });

  test.each([
    ['OET', OET_FILE],
    ['OAT', OAT_FILE],
  ])('%s is stored with the VEVENT it refers to (uid, related-to, times)', async (fn, file) => {
    const run = await replay(schemas, [file], { setup: STAFF_SETUP });
    expect(run.lines[0]).toMatch(new RegExp(`pending .*wish ${fn} stored`));
    const db = await openDb(run.db);
    try {
      const [w] = await db.manager.getRepository(CitizenRequestEntity).find();
      expect(w).toMatchObject({ kind: 'wish', functionCode: fn, status: 'open', acceptsOther: null });
      expect(w!.event).toEqual({
        uid: '37151045-713f-433c-a9f3-ef52bcdeb904',
        relatedTo: '64507c1c-1fbc-4caa-8407-822bda886570',
        dtstart: '2019-06-06T11:45:00',
        dtend: '2014-06-06T12:00:00',
        contact: '910952',
        categories: ['Konsultasjon'],
      });
    } finally {
      await db.close();
    }
  });
});

describe('wishes and holds through the pipeline', () => {
  let world: StaffWorld;
  beforeEach(async () => {
    world = await staffWorld(schemas);
  });
  afterEach(async () => world.close());

  test('a duplicate Timeønske adds no second wish; its stored AppRec is re-sent', async () => {
    const first = await world.deliver(read(OT_FILE));
    const again = await world.deliver(read(OT_FILE));
    expect(first.status).toBe('pending');
    expect(again.status).toBe('duplicate');
    expect(again.outboxIds).toEqual(first.outboxIds);
    expect(await world.requests()).toHaveLength(1);
  });

  test('the wish id is derived from sender and MsgId (a repeated import of the same message is one wish)', async () => {
    await world.deliver(read(OT_FILE));
    const [w] = await world.requests();
    const { parseMsgHead } = await import('../../../src/envelope/msghead.parser.js');
    expect(w!.id).toBe(wishIdOf(parseMsgHead(read(OT_FILE))));
  });

  test('TIMEONSKEUNGDOM: OT is stored; OET is not offered (26); with Pasientrelasjon it is refused (26) and not stored', async () => {
    const ungdom = (xml: string) => xml.replace(/V="DIALOG_INNBYGGER_TIMEONSKE" DN="[^"]*"/, 'V="DIALOG_INNBYGGER_TIMEONSKEUNGDOM" DN="Dialog med innbygger - timeønske ungdom"');
    const ot = await world.deliver(withMsgId(ungdom(read(OT_FILE)), 'a0000000-0000-4000-8000-000000000001'));
    expect(ot.status).toBe('pending');
    const oet = await world.deliver(withMsgId(ungdom(read(OET_FILE)), 'a0000000-0000-4000-8000-000000000002'));
    expect(oet.summary).toMatch(/OET not offered/);
    const onBehalf = withMsgId(ungdom(read(OT_FILE)), 'a0000000-0000-4000-8000-000000000003').replace('</MsgHead>', `${PASIENTRELASJON}</MsgHead>`);
    expect(schemas.validate(onBehalf).valid).toBe(true);
    const refused = await world.deliver(onBehalf);
    expect(refused.summary).toMatch(/representation not allowed/);
    const replies = (await world.outbox()).filter((r) => r.kind === 'reply').map((r) => r.summary);
    expect(replies).toEqual(['reply 26', 'reply 26']);
    const stored = await world.requests();
    expect(stored.map((r) => [r.process, r.functionCode])).toEqual([['DIALOG_INNBYGGER_TIMEONSKEUNGDOM', 'OT']]);
  });

  test('a Timeønske on behalf of the patient keeps the representative and the relation', async () => {
    const xml = withMsgId(read(OT_FILE), 'a0000000-0000-4000-8000-000000000004').replace('</MsgHead>', `${PASIENTRELASJON}</MsgHead>`);
    await world.deliver(xml);
    const [w] = await world.requests();
    expect(w).toMatchObject({ representativeId: '13116900216', relation: 'FO', patientId: PATIENT });
  });

  test('ReserverAvtale in a manual book: the slot is held, the reply context stored (id = appointment id)', async () => {
    const outcome = await world.deliver(read(RT_FILE));
    expect(outcome.status).toBe('pending');
    expect(outcome.summary).toMatch(/awaiting staff confirmation/);
    const [hold] = await world.requests();
    expect(hold).toMatchObject({
      kind: 'hold',
      functionCode: 'RT',
      process: 'DIALOG_INNBYGGER_TIMERESERVASJON',
      status: 'open',
      counterpartyHerId: HELSENORGE,
      ourHerId: 91095,
      patientId: PATIENT,
      patientFamilyName: 'Danser',
    });
    expect(hold!.appointmentId).toBe(hold!.id);
    expect(hold!.event?.uid).toBe('4088E990AD89CB3DBB484909');
    const appointment = await world.appointment(hold!.id);
    expect(appointment).toMatchObject({ status: 'requested', originHerId: HELSENORGE, patientIdType: 'FNR', patientFamilyName: 'Danser', revision: 0 });
    expect(await world.staff.listPending()).toEqual([expect.objectContaining({ id: hold!.id, slotId: '4088E990AD89CB3DBB484909', bookId: 'september-fastlege' })]);
    // Only the AppRec went out.
    expect((await world.outbox()).map((r) => r.summary)).toEqual(['apprec 1']);
  });

  test('a held request the citizen cancels (08) is withdrawn: no longer pending, staff cannot answer it', async () => {
    await world.deliver(read(RT_FILE));
    const cancel = await world.deliver(read(ART_FILE));
    expect(cancel.summary).toMatch(/reply 08/);
    const [hold] = await world.requests();
    expect(hold!.status).toBe('withdrawn');
    expect(await world.staff.listPending()).toEqual([]);
    await expect(world.staff.confirm(hold!.id)).rejects.toMatchObject({ kind: 'refused' });
  });

  test('an auto book stores no request, but the appointment remembers the Helsenorge party and names', async () => {
    const xml = read(RT_FILE)
      .replace(/<Id>91095 ?<\/Id>/, '<Id>1235</Id>')
      .replace('<text>4088E990AD89CB3DBB484909</text>', '<text>blodprover@2019-07-05T08:00</text>')
      .replace(/<contact>\s*<text>[^<]*<\/text>/, '<contact><text>1235</text>')
      .replace(/<date-time>2019-07-05T11:45:00<\/date-time>/, '<date-time>2019-07-05T08:00:00</date-time>')
      .replace(/<date-time>2019-07-05T12:00:00<\/date-time>/, '<date-time>2019-07-05T08:10:00</date-time>');
    const outcome = await world.deliver(xml);
    expect(outcome.summary).toMatch(/reply 05/);
    expect(await world.requests()).toEqual([]);
    const [a] = await world.app.db.manager.getRepository(AppointmentEntity).find();
    expect(a).toMatchObject({ status: 'booked', originHerId: HELSENORGE, patientGivenName: 'Folke' });
    expect(await world.app.db.manager.getRepository(OutboxEntity).count()).toBe(2);
  });
});

/** A Pasientrelasjon document (the acting person is the example's own synthetic-free FNR, relation FO). */
const PASIENTRELASJON = `<Document>
    <RefDoc>
      <MsgType V="XML" DN="XML-instans"/>
      <Content>
        <Pasientrelasjon xmlns="http://www.kith.no/xmlstds/pasientrelasjon/2014-03-28" xmlns:fk1="http://www.kith.no/xmlstds/felleskomponent1">
          <Person>
            <fk1:FamilyName>Danser</fk1:FamilyName>
            <fk1:GivenName>Folke</fk1:GivenName>
            <fk1:Ident>
              <fk1:Id>13116900216</fk1:Id>
              <fk1:TypeId V="FNR" S="2.16.578.1.12.4.1.1.8116" DN="Fødselsnummer"/>
            </fk1:Ident>
          </Person>
          <Relasjon V="FO" S="2.16.578.1.12.4.1.1.7611" DN="Foreldreansvar"/>
        </Pasientrelasjon>
      </Content>
    </RefDoc>
  </Document>
`;
