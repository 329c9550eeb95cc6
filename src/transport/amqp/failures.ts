/**
 * Sorting failures into "a dependency is away: hold and retry" and "unknown: let the broker count it".
 * Nothing here logs; {@link redactedReason} gives the only text about an unknown error that may be logged.
 */
import { isTimebokError } from '../../shared/errors.js';

/** Socket-level and driver codes of a database (or other dependency) that is away or restarting. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
  // PostgreSQL: admin/crash shutdown, cannot connect now, too many connections, connection exceptions (08xxx)
  '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006', '08007', '08P01',
  // SQLite: another process holds the lock beyond busy_timeout
  'SQLITE_BUSY', 'SQLITE_LOCKED',
]);

const TRANSIENT_TEXT = /connection terminated|terminating connection|connection timeout|timeout exceeded when trying to connect|client has encountered a connection error|database system is (starting up|shutting down)|connection is not open|cannot use a pool after calling end|Connection is closed/i;

function* causes(err: unknown): Generator<unknown> {
  let current: unknown = err;
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    yield current;
    const c = current as { cause?: unknown; driverError?: unknown };
    if (c.driverError !== undefined && c.driverError !== current) yield c.driverError;
    current = c.cause;
  }
}

/**
 * True when the failure says a dependency (database, registry certificate files, CRLs) is away: a
 * TimebokError with disposition `retry` (ERR_DEPENDENCY_UNAVAILABLE, ERR_PROTECTION_REVOCATION_UNKNOWN),
 * or a database driver's connection error anywhere in the cause chain. Such a message is held, never
 * requeued, so its delivery count does not grow.
 */
export function isDependencyFailure(err: unknown): boolean {
  for (const e of causes(err)) {
    if (isTimebokError(e)) {
      if (e.disposition === 'retry') return true;
      continue;
    }
    if (typeof e !== 'object' || e === null) continue;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (TRANSIENT_CODES.has(code) || /^08/.test(code))) return true;
    // TypeORM, when the connection under a transaction was terminated (database restart)
    const name = (e as { name?: unknown }).name;
    if (name === 'QueryRunnerAlreadyReleasedError' || name === 'QueryRunnerProviderAlreadyReleasedError') return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && TRANSIENT_TEXT.test(message)) return true;
  }
  return false;
}

/**
 * What may be logged about an unknown failure: the error's name and code, never its message (a driver
 * message can quote a value from the message, e.g. a unique-key detail).
 */
export function redactedReason(err: unknown): string {
  if (isTimebokError(err)) return err.code;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' || typeof code === 'number' ? `${err.name} (${String(code)})` : err.name;
  }
  return typeof err;
}
