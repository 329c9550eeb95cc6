import { ERROR_TABLE, type ErrorCode } from '../shared/errors.js';

/**
 * Why a staff command did nothing. `usage`: the command is incomplete or malformed (CLI exit 2);
 * `not-found`, `refused`, `conflict`, `internal`: the operation was refused or failed (exit 1). Each kind
 * has its row in the error table (src/shared/errors.ts, docs/errors.md), which gives the exit code and
 * log level. Messages carry ids and codes only, never a fødselsnummer, a name or a text from a message.
 * Nothing is written when a StaffError is thrown: every operation is one transaction.
 */
export type StaffErrorKind = 'usage' | 'not-found' | 'refused' | 'conflict' | 'internal';

const CODE_OF_KIND = {
  usage: 'ERR_STAFF_USAGE',
  'not-found': 'ERR_STAFF_NOT_FOUND',
  refused: 'ERR_STAFF_REFUSED',
  conflict: 'ERR_STAFF_CONFLICT',
  internal: 'ERR_STAFF_INVALID_OUTPUT',
} as const satisfies Record<StaffErrorKind, ErrorCode>;

export type StaffErrorCode = (typeof CODE_OF_KIND)[StaffErrorKind];

export class StaffError extends Error {
  readonly code: StaffErrorCode;

  constructor(
    readonly kind: StaffErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'StaffError';
    this.code = CODE_OF_KIND[kind];
  }

  /** CLI exit code, from the table. */
  get exitCode(): 1 | 2 {
    return ERROR_TABLE[this.code].exitCode ?? 1;
  }
}

export function isStaffError(e: unknown): e is StaffError {
  return e instanceof StaffError;
}
