import { AccessLogEntity } from '../../../src/admin/admin.entities.js';
import { runStaff } from '../../../src/cli/staff.command.js';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { FixedClock } from '../../../src/shared/clock.js';
import { NOW, PATIENT, RT_FILE, read, staffWorld } from '../staff/world.js';

/** `timebok staff pending` and `wishes` show patient ids: each such read is in the access log. */
let schemas: SchemaSet;
beforeAll(async () => {
  schemas = await loadSchemaSet();
});
afterAll(() => schemas.dispose());

test('staff pending is access-logged with the CLI user, the patient and the command; confirm reads nothing', async () => {
  const world = await staffWorld(schemas);
  try {
    await world.deliver(read(RT_FILE));
    const out: string[] = [];
    const io = { env: { DATABASE_URL: `sqlite:${world.dbFile}`, HELSENORGE_HER_ID: '8093248', TIMEBOK_USER: 'kari@desk' }, out: (l: string) => out.push(l), err: (l: string) => out.push(l), clock: new FixedClock(NOW), schemas };
    expect(await runStaff(['pending'], io)).toBe(0);
    expect(out.join('\n')).toContain(PATIENT);
    expect(await runStaff(['wishes'], io)).toBe(0);
    const id = (await world.requests())[0]!.id;
    expect(await runStaff(['confirm', id], io)).toBe(0);
    const log = await world.app.db.manager.getRepository(AccessLogEntity).find({ order: { action: 'ASC' } });
    expect(log).toEqual([expect.objectContaining({ actor: 'kari@desk', role: 'cli', channel: 'cli', patientId: PATIENT, action: 'staff pending', at: NOW.toISOString() })]);
  } finally {
    await world.close();
  }
});
