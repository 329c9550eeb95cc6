import type { FastifyInstance, FastifyRequest } from 'fastify';
import { queryAccessLog } from './access-log.js';
import { AdminError } from './admin.errors.js';
import { appointmentWithHistory, listAppointments } from './appointments.js';
import { readChanges } from './feed.js';
import type { AdminContext, RouteMeta } from './server.js';
import { BOOK_FIELDS, type SeriesInput } from './timebook.admin.js';
import { messageTrail, searchMessages } from './trail.js';
import type { PractitionerInput } from '../staff/staff.service.js';

// ---------------------------------------------------------------------------------------------- schemas

const str = (max: number, extra: Record<string, unknown> = {}) => ({ type: 'string', minLength: 1, maxLength: max, ...extra });
const DATE = str(10, { pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });
const TIME = { type: 'string', format: 'date-time', description: 'ISO-8601 instant' };
const LOCAL = str(16, { pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}$', description: 'local wall clock YYYY-MM-DDTHH:MM in the book\'s time zone' });
const BOOK_ID = str(100, { pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' });
const ID = str(200);
const TEXT = { type: 'string', maxLength: 1000 };
const HER_ID = { type: 'integer', minimum: 1, maximum: 2147483647 };
const FNR = { type: 'string', pattern: '^\\d{11}$', description: 'fødselsnummer or D-number' };
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

const obj = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', additionalProperties: false, properties, required });
const idParams = obj({ id: ID }, ['id']);
const bookParams = obj({ id: BOOK_ID }, ['id']);
const slotParams = obj({ slotId: str(130) }, ['slotId']);
const practitioner = obj({ herId: HER_ID, hprNumber: str(12, { pattern: '^\\d{1,12}$' }), name: str(200) });

/** A timebook as timebooks.json writes it; the file rules check the values (400 with the JSON path). */
const bookFields = Object.fromEntries(BOOK_FIELDS.map((f) => [f, { description: `timebooks.json \`${f}\`` }]));
const bookBody = obj({ id: BOOK_ID, herId: HER_ID, ...bookFields, slots: { type: 'array', description: 'single slots' } }, ['id', 'herId', 'kind', 'name']);
const bookPatch = { ...obj({ ...bookFields }), minProperties: 1, description: 'fields to change (null removes an optional one)' };

const meta = (role: RouteMeta['role'], summary: string, tag: string) => ({ config: { meta: { role, summary, tags: [tag] } } });

/** Every `/api` route (docs/admin.md). Staff routes accept staff and operator tokens. */
export function registerApiRoutes(app: FastifyInstance, ctx: AdminContext): void {
  const actor = (req: FastifyRequest) => req.caller?.name ?? 'unknown';

  app.get('/api/whoami', { ...meta('staff', 'the caller\'s token name and role', 'meta') }, async (req) => req.caller);

  // ------------------------------------------------------------------------------------- timebooks
  // A book's eligibility may list patients (fødselsnumre): reading it is access-logged.
  const listed = (books: { eligibility: { patients?: string[] } | null }[]) => books.flatMap((b) => b.eligibility?.patients ?? []);
  app.get('/api/timebooks', { ...meta('staff', 'list timebooks', 'timebooks') }, async (req) => {
    const timebooks = await ctx.books.list();
    await ctx.logRead(req, listed(timebooks));
    return { timebooks };
  });
  app.post<{ Body: Record<string, unknown> }>('/api/timebooks', { schema: { body: bookBody }, ...meta('staff', 'create a timebook (a timebooks.json entry)', 'timebooks') }, async (req, reply) => {
    const book = await ctx.books.create(req.body, actor(req));
    return reply.code(201).send(book);
  });
  app.get<{ Params: { id: string } }>('/api/timebooks/:id', { schema: { params: bookParams }, ...meta('staff', 'one timebook', 'timebooks') }, async (req) => {
    const book = await ctx.books.get(req.params.id);
    await ctx.logRead(req, listed([book]), book.id);
    return book;
  });
  app.patch<{ Params: { id: string }; Body: Record<string, unknown> }>(
    '/api/timebooks/:id',
    { schema: { params: bookParams, body: bookPatch }, ...meta('staff', 'change a timebook: name, location, meeting place, video details, prerequisites, eligibility, notice/horizon/cut-off, confirmation, urgent …', 'timebooks') },
    async (req) => ctx.books.change(req.params.id, req.body, actor(req)),
  );
  for (const [path, published] of [['publish', true], ['unpublish', false]] as const) {
    app.post<{ Params: { id: string } }>(`/api/timebooks/:id/${path}`, { schema: { params: bookParams }, ...meta('staff', `${path} a timebook`, 'timebooks') }, async (req) =>
      ctx.books.change(req.params.id, { published }, actor(req), path),
    );
  }
  app.get<{ Params: { id: string }; Querystring: { from: string; days?: number } }>(
    '/api/timebooks/:id/slots',
    { schema: { params: bookParams, querystring: obj({ from: DATE, days: { type: 'integer', minimum: 1, maximum: 62, default: 7 } }, ['from']) }, ...meta('staff', 'the book\'s slots from a date (week view): free, requested, booked, full, blocked', 'slots') },
    async (req) => ({ slots: await ctx.books.slots(req.params.id, req.query.from, req.query.days ?? 7) }),
  );
  app.post<{ Params: { id: string }; Body: SeriesInput }>(
    '/api/timebooks/:id/series',
    {
      schema: {
        params: bookParams,
        body: obj(
          {
            days: { type: 'array', minItems: 1, items: { type: 'string', enum: WEEKDAYS } },
            from: str(5, { pattern: '^\\d{2}:\\d{2}$' }),
            to: str(5, { pattern: '^\\d{2}:\\d{2}$' }),
            slotMinutes: { type: 'integer', minimum: 1, maximum: 1440 },
            capacity: { type: 'integer', minimum: 1, maximum: 100000 },
            type: str(32),
            fromDate: DATE,
            toDate: DATE,
          },
          ['days', 'from', 'to', 'slotMinutes'],
        ),
      },
      ...meta('staff', 'add a slot series (weekdays, times, length, capacity; a date range, or the weekly schedule)', 'slots'),
    },
    async (req, reply) => reply.code(201).send(await ctx.books.addSeries(req.params.id, req.body, actor(req))),
  );
  app.post<{ Params: { id: string }; Body: { start: string; end: string; capacity?: number; type?: string } }>(
    '/api/timebooks/:id/slots',
    { schema: { params: bookParams, body: obj({ start: LOCAL, end: LOCAL, capacity: { type: 'integer', minimum: 1, maximum: 100000 }, type: str(32) }, ['start', 'end']) }, ...meta('staff', 'add a single slot', 'slots') },
    async (req, reply) => reply.code(201).send(await ctx.books.addSlot(req.params.id, req.body, actor(req))),
  );
  for (const [path, blocked] of [['block', true], ['unblock', false]] as const) {
    app.post<{ Params: { slotId: string } }>(`/api/slots/:slotId/${path}`, { schema: { params: slotParams }, ...meta('staff', `${path} a slot`, 'slots') }, async (req) =>
      ctx.books.block(req.params.slotId, blocked, actor(req)),
    );
  }
  app.delete<{ Params: { slotId: string } }>('/api/slots/:slotId', { schema: { params: slotParams }, ...meta('staff', 'remove a slot that holds no appointment', 'slots') }, async (req, reply) => {
    await ctx.books.removeSlot(req.params.slotId, actor(req));
    return reply.code(204).send();
  });

  // ------------------------------------------------------------------------ held requests and wishes
  app.get<{ Querystring: { book?: string; herId?: number } }>(
    '/api/requests',
    { schema: { querystring: obj({ book: BOOK_ID, herId: HER_ID }) }, ...meta('staff', 'requests held in manual books, waiting for staff (oldest first), by book or our HER-id', 'requests') },
    async (req) => {
    const pending = (await ctx.staff.listPending()).filter((p) => (!req.query.book || p.bookId === req.query.book) && (req.query.herId === undefined || p.ourHerId === req.query.herId));
    await ctx.logRead(req, pending.map((p) => p.patientId));
    return { requests: pending };
    },
  );
  const textBody = obj({ text: TEXT });
  app.post<{ Params: { id: string }; Body: { text?: string } }>('/api/requests/:id/confirm', { schema: { params: idParams, body: textBody }, ...meta('staff', 'confirm a held request: 05', 'requests') }, async (req) =>
    ctx.staff.confirm(req.params.id, textOf(req.body)),
  );
  app.post<{ Params: { id: string }; Body: { gone?: boolean; text?: string } }>(
    '/api/requests/:id/reject',
    { schema: { params: idParams, body: obj({ gone: { type: 'boolean', description: 'the slot is gone: 06 instead of 26' }, text: TEXT }) }, ...meta('staff', 'reject a held request: 26 (or 06)', 'requests') },
    async (req) => ctx.staff.reject(req.params.id, { gone: req.body?.gone ?? false, ...textOf(req.body) }),
  );
  app.post<{ Params: { id: string }; Body: { practitioner: PractitionerInput; slotId?: string; text?: string } }>(
    '/api/requests/:id/book-other',
    { schema: { params: idParams, body: obj({ practitioner, slotId: str(130), text: TEXT }, ['practitioner']) }, ...meta('staff', 'book a held request with another practitioner: 10', 'requests') },
    async (req) => ctx.staff.bookOther(req.params.id, { practitioner: req.body.practitioner, ...(req.body.slotId ? { slotId: req.body.slotId } : {}), ...textOf(req.body) }),
  );
  app.get<{ Querystring: { all?: boolean; text?: boolean; function?: string; herId?: number } }>(
    '/api/wishes',
    { schema: { querystring: obj({ all: { type: 'boolean' }, text: { type: 'boolean' }, function: { type: 'string', enum: ['OT', 'OET', 'OAT'] }, herId: HER_ID }) }, ...meta('staff', 'Timeønsker: open ones, or all; by function or our HER-id', 'requests') },
    async (req) => {
      const q = req.query;
      const wishes = (await ctx.staff.listWishes({ all: q.all ?? false, includeText: q.text ?? false })).filter((w) => (!q.function || w.functionCode === q.function) && (q.herId === undefined || w.ourHerId === q.herId));
      await ctx.logRead(req, wishes.map((w) => w.patientId));
      return { wishes };
    },
  );
  app.post<{ Params: { id: string }; Body: { code: string; slotId?: string; appointmentId?: string; practitioner?: PractitionerInput; text?: string } }>(
    '/api/wishes/:id/answer',
    { schema: { params: idParams, body: obj({ code: str(2, { pattern: '^\\d{2}$' }), slotId: str(130), appointmentId: ID, practitioner, text: TEXT }, ['code']) }, ...meta('staff', 'answer a Timeønske (SvarØnske)', 'requests') },
    async (req) => {
      const b = req.body;
      return ctx.staff.answerWish(req.params.id, { code: b.code, ...(b.slotId ? { slotId: b.slotId } : {}), ...(b.appointmentId ? { appointmentId: b.appointmentId } : {}), ...(b.practitioner ? { practitioner: b.practitioner } : {}), ...textOf(b) });
    },
  );

  // ------------------------------------------------------------------------------------ appointments
  app.get<{ Querystring: { book?: string; status?: string; from?: string; to?: string; patient?: string; limit?: number } }>(
    '/api/appointments',
    {
      schema: { querystring: obj({ book: BOOK_ID, status: { type: 'string', enum: ['requested', 'booked', 'cancelled', 'rejected', 'completed', 'no-show'] }, from: DATE, to: DATE, patient: FNR, limit: { type: 'integer', minimum: 1, maximum: 1000 } }) },
      ...meta('staff', 'appointments by book, status, local date range or patient', 'appointments'),
    },
    async (req) => {
      const q = req.query;
      const appointments = await listAppointments(ctx.db, { ...(q.book ? { bookId: q.book } : {}), ...(q.status ? { status: q.status } : {}), ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}), ...(q.patient ? { patientId: q.patient } : {}), ...(q.limit ? { limit: q.limit } : {}) });
      await ctx.logRead(req, appointments.map((a) => a.patientId));
      return { appointments };
    },
  );
  app.get<{ Params: { id: string } }>('/api/appointments/:id', { schema: { params: idParams }, ...meta('staff', 'one appointment and its history', 'appointments') }, async (req) => {
    const found = await appointmentWithHistory(ctx.db, req.params.id);
    await ctx.logRead(req, [found.appointment.patientId], req.params.id);
    return found;
  });
  app.post<{ Body: { bookId: string; slotId: string; patientId: string; idType?: 'FNR' | 'DNR'; givenName?: string; familyName?: string } }>(
    '/api/appointments',
    { schema: { body: obj({ bookId: BOOK_ID, slotId: str(130), patientId: FNR, idType: { type: 'string', enum: ['FNR', 'DNR'] }, givenName: str(200), familyName: str(200) }, ['bookId', 'slotId', 'patientId']) }, ...meta('staff', 'book at the desk: Avtale 05 to Helsenorge', 'appointments') },
    async (req, reply) => {
      const b = req.body;
      const result = await ctx.staff.create({ bookId: b.bookId, slotId: b.slotId, patientId: b.patientId, ...(b.idType ? { idType: b.idType } : {}), ...(b.givenName ? { givenName: b.givenName } : {}), ...(b.familyName ? { familyName: b.familyName } : {}) });
      return reply.code(result.changed ? 201 : 200).send(result);
    },
  );
  app.post<{ Params: { id: string } }>('/api/appointments/:id/cancel', { schema: { params: idParams }, ...meta('staff', 'cancel a booked appointment: Avtale 08', 'appointments') }, async (req) => ctx.staff.cancel(req.params.id));
  app.post<{ Params: { id: string } }>('/api/appointments/:id/no-show', { schema: { params: idParams }, ...meta('staff', 'mark as not attended: Avtale 11', 'appointments') }, async (req) => ctx.staff.noShow(req.params.id));
  app.post<{ Params: { id: string }; Body: { slotId: string } }>(
    '/api/appointments/:id/move',
    { schema: { params: idParams, body: obj({ slotId: str(130) }, ['slotId']) }, ...meta('staff', 'move to another slot: Avtale 07', 'appointments') },
    async (req) => ctx.staff.move(req.params.id, req.body.slotId),
  );

  // ----------------------------------------------------------------------------------- changes feed
  app.get<{ Querystring: { after?: string; limit?: number } }>(
    '/api/changes',
    { schema: { querystring: obj({ after: str(400), limit: { type: 'integer', minimum: 1, maximum: 1000 } }) }, ...meta('staff', 'changes feed for the EPJ: appointments booked, cancelled or changed after a cursor', 'feed') },
    async (req) => {
      const page = await readChanges(ctx.db, ctx.clock, { ...(req.query.after ? { after: req.query.after } : {}), ...(req.query.limit ? { limit: req.query.limit } : {}), lagMs: ctx.feedLagMs ?? 2000 });
      await ctx.logRead(req, page.events.map((e) => e.patientId));
      return page;
    },
  );

  app.get<{ Querystring: { after?: string } }>(
    '/api/changes/stream',
    { schema: { querystring: obj({ after: str(400) }) }, ...meta('staff', 'the changes feed as server-sent events (event `appointment`, id = cursor; resumes from Last-Event-ID)', 'feed') },
    async (req, reply) => {
      const header = req.headers['last-event-id'];
      let after = (typeof header === 'string' && header !== '' ? header : undefined) ?? req.query.after;
      // A bad cursor is refused before the stream starts (400 like the cursor endpoint).
      await readChanges(ctx.db, ctx.clock, { ...(after ? { after } : {}), limit: 1, lagMs: ctx.feedLagMs ?? 2000 });
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.write(': timebok changes feed\n\n');
      let open = true;
      req.raw.on('close', () => {
        open = false;
      });
      let idle = 0;
      while (open) {
        try {
          const page = await readChanges(ctx.db, ctx.clock, { ...(after ? { after } : {}), limit: 200, lagMs: ctx.feedLagMs ?? 2000 });
          if (page.events.length > 0) {
            await ctx.logRead(req, page.events.map((e) => e.patientId));
            for (const e of page.events) res.write(`id: ${e.cursor}\nevent: appointment\ndata: ${JSON.stringify(e)}\n\n`);
            after = page.next ?? after;
            idle = 0;
            continue;
          }
        } catch {
          res.write('event: error\ndata: {"error":"internal"}\n\n');
        }
        if (++idle % 15 === 0) res.write(': keep-alive\n\n');
        await new Promise((r) => setTimeout(r, ctx.feedPollMs ?? 1000));
      }
      res.end();
    },
  );

  // ---------------------------------------------------------------------------------------- messages
  app.get<{ Querystring: { msgId?: string; herId?: number; process?: string; function?: string; outcome?: string; from?: string; to?: string; limit?: number } }>(
    '/api/messages',
    {
      schema: { querystring: obj({ msgId: ID, herId: HER_ID, process: str(100), function: str(10), outcome: str(100), from: TIME, to: TIME, limit: { type: 'integer', minimum: 1, maximum: 500 } }) },
      ...meta('operator', 'search messages by MsgId, HER-id, process, function, outcome and time', 'messages'),
    },
    async (req) => {
      const q = req.query;
      return {
        messages: await searchMessages(ctx.db, {
          ...(q.msgId ? { msgId: q.msgId } : {}),
          ...(q.herId !== undefined ? { herId: q.herId } : {}),
          ...(q.process ? { process: q.process } : {}),
          ...(q.function ? { functionCode: q.function } : {}),
          ...(q.outcome ? { outcome: q.outcome } : {}),
          ...(q.from ? { from: new Date(q.from).toISOString() } : {}),
          ...(q.to ? { to: new Date(q.to).toISOString() } : {}),
          ...(q.limit ? { limit: q.limit } : {}),
        }),
      };
    },
  );
  app.get<{ Params: { msgId: string } }>('/api/messages/:msgId/trail', { schema: { params: obj({ msgId: ID }, ['msgId']) }, ...meta('staff', 'one message\'s trail: received, unprotected, validated, registry, decision, booking, outgoing, AppRec, error reports', 'messages') }, async (req) => {
    const trail = await messageTrail(ctx.db, req.params.msgId);
    if (trail === null) throw new AdminError('not-found', `no message with id ${req.params.msgId}`);
    return trail;
  });

  // -------------------------------------------------------------------------------------- privacy
  app.get<{ Querystring: { patient?: string; actor?: string; from?: string; to?: string; limit?: number } }>(
    '/api/access-log',
    { schema: { querystring: obj({ patient: FNR, actor: str(100), from: TIME, to: TIME, limit: { type: 'integer', minimum: 1, maximum: 1000 } }) }, ...meta('operator', 'who read which patient\'s data, when and with which call', 'privacy') },
    async (req) => {
      const q = req.query;
      return { entries: await queryAccessLog(ctx.db, { ...(q.patient ? { patientId: q.patient } : {}), ...(q.actor ? { actor: q.actor } : {}), ...(q.from ? { from: new Date(q.from).toISOString() } : {}), ...(q.to ? { to: new Date(q.to).toISOString() } : {}), ...(q.limit ? { limit: q.limit } : {}) }) };
    },
  );
  app.post('/api/retention/run', { ...meta('operator', 'run the retention job now (RETENTION_DAYS)', 'privacy') }, async () => {
    if (!ctx.retention) throw new AdminError('not-found', 'retention is not configured in this process');
    return ctx.retention.run();
  });
}

function textOf(body: { text?: string } | undefined): { text?: string } {
  return body?.text !== undefined ? { text: body.text } : {};
}
