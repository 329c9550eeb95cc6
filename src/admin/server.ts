import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify';
import type { Database } from '../db/database.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { isStaffError, type StaffErrorKind } from '../staff/staff.errors.js';
import type { StaffService } from '../staff/staff.service.js';
import { logAccess } from './access-log.js';
import { AdminError } from './admin.errors.js';
import type { TimebokMetrics } from './metrics.js';
import { buildOpenApi, type DocumentedRoute } from './openapi.js';
import { registerApiRoutes } from './routes.js';
import { TimebookAdmin } from './timebook.admin.js';
import { authenticate, type Caller, type Role, type TokenEntry } from './tokens.js';
import type { RetentionResult } from './retention.js';

/** A readiness check (`/readyz`): the database, the broker, the registry's age, our certificates. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<{ ok: boolean; detail: string }>;
}

export interface AdminDeps {
  db: Database;
  clock: Clock;
  logger: Logger;
  staff: StaffService;
  tokens: readonly TokenEntry[];
  metrics?: TimebokMetrics;
  readiness?: ReadinessCheck[];
  /** The retention job (POST /api/retention/run). */
  retention?: { run(): Promise<RetentionResult> };
  /** Changes newer than this are held back from the feed (default 2000 ms). */
  feedLagMs?: number;
  /** How often the server-sent events stream looks for changes (default 1000 ms). */
  feedPollMs?: number;
}

export interface RouteMeta {
  /** Who may call: no token (`public`), any token (`staff`), operator tokens only. */
  role: 'public' | Role;
  summary: string;
  tags?: string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    meta?: RouteMeta;
  }
}

/** What a route handler can use. */
export interface AdminContext extends AdminDeps {
  books: TimebookAdmin;
  /** Records a read of patients' data for the caller of `req` (before the data is returned). */
  logRead(req: FastifyRequest, patients: Iterable<string | null | undefined>, target?: string | null): Promise<void>;
}

// The page's files live next to this module in src/; a build (dist/) reads them from src/admin/page.
const PAGE_DIR = [join(import.meta.dirname, 'page'), join(import.meta.dirname, '../../src/admin/page')].find((d) => existsSync(join(d, 'index.html'))) ?? join(import.meta.dirname, 'page');
const PAGE_FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/**
 * The admin HTTP server (docs/admin.md): the JSON API for the EPJ and the staff page, health and
 * metrics. Every `/api` route needs a bearer token from ADMIN_TOKENS_FILE (401 without, 403 for a staff
 * token on an operator route); every input is checked against the route's schema (400 names the field
 * and the problem, never a stack trace). Logs carry the method, the route pattern, the status and the
 * token name: never a URL (its query may hold a fødselsnummer) nor a body.
 */
export async function buildAdminServer(deps: AdminDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    // Server-sent event streams stay open: closing the server ends them.
    forceCloseConnections: true,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
  });
  const routes: DocumentedRoute[] = [];
  app.decorateRequest('caller', null);
  app.addHook('onRoute', (r: RouteOptions) => {
    const meta = (r.config as { meta?: RouteMeta } | undefined)?.meta;
    if (meta) for (const method of [r.method].flat()) routes.push({ method: String(method), url: r.url, meta, schema: (r.schema ?? {}) as Record<string, unknown> });
  });

  app.addHook('onRequest', async (req, reply) => {
    const meta = req.routeOptions.config.meta;
    if (!meta || meta.role === 'public') return;
    const header = req.headers.authorization;
    const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const caller = authenticate(deps.tokens, token);
    if (caller === null) {
      await reply.code(401).header('www-authenticate', 'Bearer realm="timebok"').send({ error: 'unauthorized', message: 'a valid bearer token is required (ADMIN_TOKENS_FILE)' });
      return reply;
    }
    if (meta.role === 'operator' && caller.role !== 'operator') {
      await reply.code(403).send({ error: 'forbidden', message: 'this call needs an operator token' });
      return reply;
    }
    req.caller = caller;
  });

  app.addHook('onResponse', async (req, reply) => {
    deps.logger.info(
      { http: { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, caller: req.caller?.name ?? null },
      'admin request',
    );
  });

  app.setErrorHandler(async (err: FastifyError, req, reply) => {
    if (err.validation && err.validation.length > 0) {
      const v = err.validation[0]!;
      const params = (v.params ?? {}) as Record<string, unknown>;
      const extra = params.missingProperty ?? params.additionalProperty;
      const path = `${v.instancePath ?? ''}${extra !== undefined ? `/${String(extra)}` : ''}`;
      const field = path.replace(/^\//, '').replace(/\/(\d+)(?=\/|$)/g, '[$1]').replace(/\//g, '.') || null;
      const problem = params.additionalProperty !== undefined ? 'is not a known field' : params.missingProperty !== undefined ? 'is required' : (v.message ?? 'is invalid');
      return reply.code(400).send({ error: 'bad-request', in: err.validationContext ?? 'body', field, problem });
    }
    if (err instanceof AdminError) {
      return reply.code(err.status).send({ error: err.kind, ...(err.status === 400 ? { field: err.field, problem: err.message } : { message: err.message }) });
    }
    if (isStaffError(err)) {
      const status = STAFF_STATUS[err.kind];
      return reply.code(status).send(status === 400 ? { error: 'bad-request', field: null, problem: err.message } : { error: err.kind, message: err.message });
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status < 500) {
      // Fastify's own 4xx (bad JSON, wrong content type, body too large): a fixed text, never the input.
      return reply.code(status).send({ error: status === 413 ? 'too-large' : 'bad-request', field: null, problem: CLIENT_ERRORS[err.code] ?? 'the request cannot be read' });
    }
    deps.logger.error({ route: req.routeOptions.url, code: err.code ?? err.name }, 'admin request failed');
    return reply.code(500).send({ error: 'internal', message: 'the request failed; nothing was changed' });
  });
  app.setNotFoundHandler(async (_req, reply) => reply.code(404).send({ error: 'not-found', message: 'no such route' }));

  const ctx: AdminContext = {
    ...deps,
    books: new TimebookAdmin(deps.db, deps.clock),
    async logRead(req, patients, target) {
      const caller = req.caller;
      if (!caller) return;
      const channel = req.headers['x-timebok-client'] === 'page' ? 'page' : 'api';
      await logAccess(deps.db, deps.clock, { actor: caller.name, role: caller.role, channel, action: `${req.method} ${req.routeOptions.url ?? ''}`, target: target ?? null }, patients);
    },
  };

  registerOpsRoutes(app, ctx);
  registerApiRoutes(app, ctx);
  registerPage(app);

  app.get('/openapi.json', { config: { meta: { role: 'public', summary: 'this API as OpenAPI 3', tags: ['meta'] } } }, async () => buildOpenApi(routes));
  await app.ready();
  return app;
}

const STAFF_STATUS: Record<StaffErrorKind, number> = { usage: 400, 'not-found': 404, refused: 409, conflict: 409, internal: 500 };

const CLIENT_ERRORS: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'the body is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'the body is empty',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'send JSON (content-type: application/json)',
  FST_ERR_CTP_BODY_TOO_LARGE: 'the body is larger than 1 MiB',
};

function registerOpsRoutes(app: FastifyInstance, ctx: AdminContext): void {
  app.get('/healthz', { config: { meta: { role: 'public', summary: 'the process is up', tags: ['health'] } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { meta: { role: 'public', summary: 'ready to work: database, broker, registry age, our certificates', tags: ['health'] } } }, async (_req, reply) => {
    const checks = [{ name: 'database', check: async () => { await ctx.db.manager.query('SELECT 1'); return { ok: true, detail: ctx.db.dialect }; } }, ...(ctx.readiness ?? [])];
    const results = await Promise.all(
      checks.map(async (c) => {
        try {
          return { name: c.name, ...(await c.check()) };
        } catch (err) {
          return { name: c.name, ok: false, detail: err instanceof Error ? err.name : 'failed' };
        }
      }),
    );
    const ok = results.every((r) => r.ok);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not-ready', checks: results });
  });

  app.get('/metrics', { config: { meta: { role: 'public', summary: 'Prometheus metrics (timebok_*)', tags: ['health'] } } }, async (_req, reply) => {
    if (!ctx.metrics) return reply.code(404).send({ error: 'not-found', message: 'metrics are not enabled' });
    const text = await ctx.metrics.text();
    return reply.type(ctx.metrics.contentType).send(text);
  });
}

function registerPage(app: FastifyInstance): void {
  const serve = async (file: string, reply: FastifyReply) => {
    const type = PAGE_FILES[file];
    if (!type) return reply.code(404).send({ error: 'not-found', message: 'no such file' });
    const body = await readFile(join(PAGE_DIR, file));
    return reply.type(type).header('cache-control', 'no-cache').header('content-security-policy', "default-src 'self'; frame-ancestors 'none'").send(body);
  };
  app.get('/', { config: { meta: { role: 'public', summary: 'the staff page', tags: ['page'] } } }, async (_req, reply) => serve('index.html', reply));
  app.get<{ Params: { file: string } }>(
    '/page/:file',
    { schema: { params: { type: 'object', properties: { file: { type: 'string', maxLength: 40 } }, required: ['file'] } }, config: { meta: { role: 'public', summary: 'the staff page\'s script and style', tags: ['page'] } } },
    async (req, reply) => serve(req.params.file, reply),
  );
}
