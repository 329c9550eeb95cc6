import type { RouteMeta } from './server.js';

export interface DocumentedRoute {
  method: string;
  url: string;
  meta: RouteMeta;
  schema: Record<string, unknown>;
}

/**
 * The OpenAPI 3 description, built from the routes as registered (their JSON schemas are the ones that
 * validate requests), so that it cannot drift from what the server does.
 */
export function buildOpenApi(routes: readonly DocumentedRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    if (r.method === 'HEAD') continue;
    const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const op: Record<string, unknown> = { summary: r.meta.summary, tags: r.meta.tags ?? [], operationId: `${r.method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}` };
    const parameters: unknown[] = [];
    for (const [where, key] of [['path', 'params'], ['query', 'querystring']] as const) {
      const s = r.schema[key] as { properties?: Record<string, unknown>; required?: string[] } | undefined;
      for (const [name, schema] of Object.entries(s?.properties ?? {})) {
        parameters.push({ name, in: where, required: where === 'path' || (s?.required ?? []).includes(name), schema });
      }
    }
    if (parameters.length > 0) op.parameters = parameters;
    if (r.schema.body) op.requestBody = { required: true, content: { 'application/json': { schema: r.schema.body } } };
    const responses: Record<string, unknown> = { 200: { description: 'done' } };
    if (r.meta.role !== 'public') {
      op.security = [{ bearer: [] }];
      responses[401] = { description: 'no valid token', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
      if (r.meta.role === 'operator') responses[403] = { description: 'a staff token on an operator call', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
      responses[400] = { description: 'bad input: the field and the problem', content: { 'application/json': { schema: { $ref: '#/components/schemas/BadRequest' } } } };
    }
    op.responses = responses;
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Timebok admin API', version: '1', description: 'Timebooks, slots, staff decisions, messages and the changes feed (docs/admin.md).' },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a token from ADMIN_TOKENS_FILE (`timebok token new`)' } },
      schemas: {
        Error: { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' } }, required: ['error'] },
        BadRequest: { type: 'object', properties: { error: { type: 'string', enum: ['bad-request'] }, in: { type: 'string' }, field: { type: 'string', nullable: true }, problem: { type: 'string' } }, required: ['error', 'problem'] },
      },
    },
    paths,
  };
}
