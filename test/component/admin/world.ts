import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { SchemaSet } from '../../../src/envelope/schema.validator.js';
import { buildAdminServer, type AdminDeps } from '../../../src/admin/server.js';
import { loadTokensFile } from '../../../src/admin/tokens.js';
import type { Logger } from '../../../src/shared/logger.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { ROOT, staffWorld, type StaffWorld } from '../staff/world.js';

export const STAFF = 'staff-token-for-tests';
export const OPERATOR = 'operator-token-for-tests';
export const TOKENS_FILE = join(ROOT, 'test/fixtures/admin/tokens.txt');

export interface AdminWorld extends StaffWorld {
  server: FastifyInstance;
  /** http://127.0.0.1:<port> */
  base: string;
  call(method: string, url: string, options?: { token?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; json: any; text: string }>;
}

/** The staff world (SQLite, staff set-up, 1 July 2019 09:00) with the admin server on it. */
export async function adminWorld(schemas: SchemaSet, extra: Partial<AdminDeps> & { logger?: Logger } = {}): Promise<AdminWorld> {
  const world = await staffWorld(schemas);
  const server = await buildAdminServer({
    db: world.app.db,
    clock: world.clock,
    logger: extra.logger ?? silentLogger,
    staff: world.staff,
    tokens: loadTokensFile(TOKENS_FILE),
    feedLagMs: 0,
    ...extra,
  });
  const address = await server.listen({ host: '127.0.0.1', port: 0 });
  const base = address;
  return {
    ...world,
    server,
    base,
    async call(method, url, options = {}) {
      const token = options.token === undefined ? STAFF : options.token;
      const raw = typeof options.body === 'string';
      const res = await fetch(`${base}${url}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(options.headers ?? {}),
        },
        ...(options.body !== undefined ? { body: raw ? (options.body as string) : JSON.stringify(options.body) } : {}),
      });
      const text = await res.text();
      let json: unknown = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = null;
      }
      return { status: res.status, json, text };
    },
    async close() {
      await server.close();
      await world.close();
    },
  };
}
