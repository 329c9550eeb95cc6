/**
 * Why a staff command did nothing. `usage`: the command is incomplete or malformed (CLI exit 2);
 * `not-found`, `refused`, `conflict`, `internal`: the operation was refused or failed (exit 1). Messages
 * carry ids and codes only, never a fødselsnummer, a name or a text from a message. Nothing is written
 * when a StaffError is thrown: every operation is one transaction.
 */
export type StaffErrorKind = 'usage' | 'not-found' | 'refused' | 'conflict' | 'internal';

export class StaffError extends Error {
  constructor(
    readonly kind: StaffErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'StaffError';
  }
}

export function isStaffError(e: unknown): e is StaffError {
  return e instanceof StaffError;
}
