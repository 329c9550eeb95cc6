import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TimebokError } from '../shared/errors.js';

/**
 * Named API tokens (ADMIN_TOKENS_FILE, docs/admin.md). One token a line:
 *
 *     <name> <role> sha256:<64 hex digits>
 *
 * `role` is `staff` (timebooks, requests, appointments) or `operator` (everything, including messages,
 * the access log and the changes feed's operator views). `#` starts a comment. Only the SHA-256 of a
 * token is stored: tokens are 32 random bytes, so a plain hash is enough (no password stretching needed).
 */
export type Role = 'staff' | 'operator';

export interface TokenEntry {
  name: string;
  role: Role;
  /** SHA-256 of the token, 32 bytes. */
  hash: Buffer;
}

export interface Caller {
  name: string;
  role: Role;
}

const LINE = /^([A-Za-z0-9][A-Za-z0-9._@-]{0,99})\s+(staff|operator)\s+sha256:([0-9a-f]{64})$/;

/** Parses a tokens file's text; throws ERR_CONFIG naming the line of the first problem (never its token). */
export function parseTokens(text: string, source = 'ADMIN_TOKENS_FILE'): TokenEntry[] {
  const entries: TokenEntry[] = [];
  const names = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = LINE.exec(line);
    if (!m) {
      throw new TimebokError('ERR_CONFIG', `${source} line ${i + 1}: expected "<name> <staff|operator> sha256:<64 hex digits>"`, { detail: { setting: 'ADMIN_TOKENS_FILE', line: i + 1 } });
    }
    const [, name, role, hex] = m as unknown as [string, string, Role, string];
    if (names.has(name)) throw new TimebokError('ERR_CONFIG', `${source} line ${i + 1}: the name ${name} is used twice`, { detail: { setting: 'ADMIN_TOKENS_FILE', line: i + 1 } });
    names.add(name);
    entries.push({ name, role, hash: Buffer.from(hex, 'hex') });
  });
  return entries;
}

export function loadTokensFile(path: string): TokenEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new TimebokError('ERR_CONFIG', `ADMIN_TOKENS_FILE ${path} cannot be read`, { detail: { setting: 'ADMIN_TOKENS_FILE' } });
  }
  return parseTokens(text, path);
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** The caller a bearer token belongs to, or null. Compares every entry in constant time. */
export function authenticate(entries: readonly TokenEntry[], token: string | undefined): Caller | null {
  if (!token || token.length > 200) return null;
  const h = hashToken(token);
  let found: TokenEntry | null = null;
  for (const e of entries) if (timingSafeEqual(e.hash, h)) found = e;
  return found ? { name: found.name, role: found.role } : null;
}

/** A new random token and the line for the tokens file. */
export function newToken(name: string, role: Role): { token: string; line: string } {
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/.test(name)) throw new TimebokError('ERR_CONFIG', 'a token name is 1-100 letters, digits, ".", "_", "@" or "-"');
  const token = `tbk_${randomBytes(32).toString('base64url')}`;
  return { token, line: `${name} ${role} sha256:${hashToken(token).toString('hex')}` };
}
