/**
 * Why an admin call was refused, with the HTTP status it maps to. Messages carry ids, field names and
 * codes only, never a fødselsnummer, a name or a value from a message.
 */
export type AdminErrorKind = 'bad-request' | 'not-found' | 'conflict';

const STATUS: Record<AdminErrorKind, number> = { 'bad-request': 400, 'not-found': 404, conflict: 409 };

export class AdminError extends Error {
  readonly status: number;
  constructor(
    readonly kind: AdminErrorKind,
    message: string,
    /** The request field at fault (400), e.g. `horizonDays` or `schedule[0].from`. */
    readonly field: string | null = null,
  ) {
    super(message);
    this.name = 'AdminError';
    this.status = STATUS[kind];
  }
}
