import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import { adminWorld, type AdminWorld } from './world.js';

/** The OpenAPI 3 description at /openapi.json is complete and matches the server's routes. */
let schemas: SchemaSet;
let world: AdminWorld;
beforeAll(async () => {
  schemas = await loadSchemaSet();
  world = await adminWorld(schemas);
});
afterAll(async () => {
  await world.close();
  schemas.dispose();
});

type Op = { summary: string; security?: unknown[]; parameters?: { name: string; in: string; required: boolean; schema: unknown }[]; requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, unknown> };

test('every route the server has is described, and every described route exists', async () => {
  const doc = (await world.call('GET', '/openapi.json', { token: null })).json as { openapi: string; paths: Record<string, Record<string, Op>> };
  expect(doc.openapi).toBe('3.0.3');
  const described = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
  const expected = [
    'GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /openapi.json', 'GET /', 'GET /page/{file}',
    'GET /api/whoami', 'GET /api/timebooks', 'POST /api/timebooks', 'GET /api/timebooks/{id}', 'PATCH /api/timebooks/{id}',
    'POST /api/timebooks/{id}/publish', 'POST /api/timebooks/{id}/unpublish', 'GET /api/timebooks/{id}/slots', 'POST /api/timebooks/{id}/series',
    'POST /api/timebooks/{id}/slots', 'POST /api/slots/{slotId}/block', 'POST /api/slots/{slotId}/unblock', 'DELETE /api/slots/{slotId}',
    'GET /api/requests', 'POST /api/requests/{id}/confirm', 'POST /api/requests/{id}/reject', 'POST /api/requests/{id}/book-other',
    'GET /api/wishes', 'POST /api/wishes/{id}/answer', 'GET /api/appointments', 'GET /api/appointments/{id}', 'POST /api/appointments',
    'POST /api/appointments/{id}/cancel', 'POST /api/appointments/{id}/no-show', 'POST /api/appointments/{id}/move', 'GET /api/changes', 'GET /api/changes/stream',
    'GET /api/messages', 'GET /api/messages/{msgId}/trail', 'GET /api/access-log', 'POST /api/retention/run',
  ].sort();
  expect(described).toEqual(expected);
  // Each described route answers (not the 404 of an unknown route) at its path.
  for (const entry of described) {
    const [method, path] = entry.split(' ') as [string, string];
    const url = path.replace(/\{[^}]+\}/g, 'x');
    const r = await world.call(method, url, { token: null, ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }) });
    expect([entry, r.json?.message]).not.toEqual([entry, 'no such route']);
  }
});

test('every /api operation declares the bearer token, 401 and 400; operator calls 403; inputs carry their schemas', async () => {
  const doc = (await world.call('GET', '/openapi.json', { token: null })).json as { paths: Record<string, Record<string, Op>> };
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      expect(op.summary).toEqual(expect.any(String));
      if (!path.startsWith('/api/')) {
        expect(op.security).toBeUndefined();
        continue;
      }
      expect(op.security).toEqual([{ bearer: [] }]);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '401']));
      for (const p of path.match(/\{[^}]+\}/g) ?? []) expect(op.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: p.slice(1, -1), in: 'path', required: true })]));
      if (['post', 'patch'].includes(method) && op.requestBody) expect(op.requestBody.content['application/json']!.schema).toMatchObject({ type: 'object' });
    }
  }
  expect(Object.keys(doc.paths['/api/messages']!.get!.responses)).toContain('403');
  expect(doc.paths['/api/timebooks/{id}']!.patch!.requestBody!.content['application/json']!.schema).toMatchObject({ additionalProperties: false, properties: expect.objectContaining({ prerequisites: expect.anything(), eligibility: expect.anything(), videoMeeting: expect.anything() }) });
  expect(doc.paths['/api/appointments']!.get!.parameters!.map((p) => p.name)).toEqual(['book', 'status', 'from', 'to', 'patient', 'limit']);
});
