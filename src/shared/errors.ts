/**
 * One error table for the whole of Timebok (docs/errors.md). Every refusal, report, retry and stop
 * Timebok makes has a code here, and the table row alone says what happens: the AppRec code and the
 * sync reply code the sender gets, the error-queue condition, the log level, whether it is retried.
 * `code` is a closed union: a code not in the table does not compile.
 *
 * Messages never contain a fødselsnummer, a name or a message body: put only element paths, rule
 * names, HER-ids and ids in them.
 */
export type Disposition =
  /** the message is refused: negative AppRec (async) or a 26 reply (sync), nothing booked */
  | 'reply'
  /** the request is read and answered, but the answer is a no (06, 09, 26, 30): positive AppRec + that reply */
  | 'business'
  /** report on the sender's error queue (errorCondition); no AppRec, no reply */
  | 'transport'
  /** a dependency is away: do not ack, try again later */
  | 'retry'
  /** a staff command refused: nothing written, the command says why (CLI exit code) */
  | 'staff'
  /** a bug or an unusable configuration: stop */
  | 'crash';

export type LogLevel = 'info' | 'warn' | 'error';

export interface ErrorRule {
  disposition: Disposition;
  /** `reply`: the 8221 code of the AppRec 2 (async). */
  appRecCode?: string;
  /** `reply`: the sync reply code (26); `business`: the 7602 reply code of the answer. */
  replyCode?: string;
  /** `transport`: the error-queue condition (protocol §2.6). */
  errorCondition?: string;
  /** How the event is logged. */
  level: LogLevel;
  /** True when the same input is tried again later (the message stays unacked / in the spool folder). */
  retry: boolean;
  /** `staff`: exit code of the CLI (2 usage, 1 refused). */
  exitCode?: 1 | 2;
}

const transport = <C extends string>(errorCondition: C) =>
  ({ disposition: 'transport', errorCondition, level: 'warn', retry: false }) as const;
const refuse = <A extends string>(appRecCode: A) =>
  ({ disposition: 'reply', appRecCode, replyCode: '26', level: 'warn', retry: false }) as const;
const business = <R extends string>(replyCode: R) => ({ disposition: 'business', replyCode, level: 'info', retry: false }) as const;
const staff = <X extends 1 | 2>(exitCode: X) => ({ disposition: 'staff', exitCode, level: 'info', retry: false }) as const;
const retry = { disposition: 'retry', level: 'warn', retry: true } as const;
const crash = { disposition: 'crash', level: 'error', retry: false } as const;

/**
 * What the sender (or the operator) gets for each error code. Pinned by test/unit/shared/errors.test.ts;
 * test/component/pipeline/error-table-reachability.test.ts reaches every row with an input.
 */
const TABLE = {
  // envelope: not readable as a message at all → error queue
  ERR_ENVELOPE_NOT_WELL_FORMED: transport('transport:not-well-formed-xml'),
  ERR_ENVELOPE_DOCTYPE: transport('transport:not-well-formed-xml'),
  ERR_ENVELOPE_TOO_LARGE: transport('transport:not-well-formed-xml'),
  ERR_ENVELOPE_TOO_DEEP: transport('transport:not-well-formed-xml'),
  ERR_ENVELOPE_ENCODING: transport('transport:invalid-encoding'),
  ERR_ENVELOPE_NOT_MSGHEAD: transport('transport:not-well-formed-xml'),
  ERR_TRANSPORT_FIELD: transport('transport:invalid-field-value'),
  ERR_TRANSPORT_UNSUPPORTED: transport('transport:unsupported-message'),
  ERR_REGISTRY_SENDER_UNKNOWN: transport('transport:invalid-field-value'),
  ERR_REGISTRY_SPOOFING: { ...transport('abuse:spoofing-attack'), level: 'error' },
  // readable, from a known sender, but refused → AppRec 2 / reply 26
  ERR_ENVELOPE_SCHEMA: refuse('T02'),
  ERR_ENVELOPE_CONTENT: refuse('T02'),
  ERR_ENVELOPE_PATIENT_ID: refuse('E31'),
  ERR_REGISTRY_RECEIVER_MISMATCH: refuse('E10'),
  ERR_REGISTRY_RECEIVER: refuse('E21'),
  ERR_REGISTRY_PROCESS: refuse('T10'),
  ERR_INBOX_MSGID_REUSED: refuse('E10'),
  // the request is answered, and the answer is no → AppRec 1 + the reply code
  ERR_FUNCTION_NOT_OFFERED: business('26'),
  ERR_REPRESENTATION_NOT_ALLOWED: business('26'),
  ERR_BOOKING_NO_XCAL: business('26'),
  ERR_BOOKING_SLOT_UNAVAILABLE: business('06'),
  ERR_BOOKING_REFUSED: business('26'),
  ERR_BOOKING_NOT_ELIGIBLE: business('30'),
  ERR_CANCEL_NO_XCAL: business('09'),
  ERR_CANCEL_REFUSED: business('09'),
  // protection (CMS) → error queue
  ERR_PROTECTION_DECRYPT: transport('transport:decryption-failed'),
  ERR_PROTECTION_CMS: transport('transport:invalid-cms-pkcs'),
  ERR_PROTECTION_CERTIFICATE: transport('transport:invalid-certificate'),
  ERR_PROTECTION_EXPIRED: transport('transport:expired-certificate'),
  ERR_PROTECTION_REVOKED: transport('transport:revoked-certificate'),
  ERR_PROTECTION_SIGNATURE: transport('transport:invalid-signature'),
  ERR_PROTECTION_ALGORITHM: transport('transport:unsupported-message'),
  // staff commands
  ERR_STAFF_USAGE: staff(2),
  ERR_STAFF_NOT_FOUND: staff(1),
  ERR_STAFF_REFUSED: staff(1),
  ERR_STAFF_CONFLICT: staff(1),
  ERR_STAFF_INVALID_OUTPUT: { ...staff(1), level: 'error' },
  // dependencies and bugs
  ERR_PROTECTION_REVOCATION_UNKNOWN: retry,
  ERR_DEPENDENCY_UNAVAILABLE: retry,
  ERR_CONFIG: crash,
  ERR_SETUP_FILE: crash,
  ERR_INTERNAL: crash,
} as const satisfies Record<string, ErrorRule>;

/** Every error code Timebok knows (closed). */
export type ErrorCode = keyof typeof TABLE;

export const ERROR_TABLE: Readonly<Record<ErrorCode, ErrorRule>> = TABLE;
/** Codes whose disposition is `reply` (refusals answered with AppRec 2 / reply 26). */
export type RefusalCode = { [K in ErrorCode]: (typeof TABLE)[K]['disposition'] extends 'reply' ? K : never }[ErrorCode];
/** Codes whose disposition is `business` (answered no with a reply code). */
export type BusinessCode = { [K in ErrorCode]: (typeof TABLE)[K]['disposition'] extends 'business' ? K : never }[ErrorCode];

export const ERROR_CODES = Object.keys(ERROR_TABLE) as ErrorCode[];

export function ruleOf(code: ErrorCode): ErrorRule {
  return ERROR_TABLE[code];
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_TABLE, code);
}

export class TimebokError extends Error {
  readonly code: ErrorCode;
  readonly disposition: Disposition;
  /** Extra machine-readable detail (never personal data). */
  readonly detail: Record<string, unknown> | undefined;

  /**
   * @param options.disposition must agree with the table (kept for call sites that state it); the
   *   table wins when they differ.
   */
  constructor(
    code: ErrorCode,
    message: string,
    options: { disposition?: Disposition; cause?: unknown; detail?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TimebokError';
    this.code = code;
    this.disposition = ERROR_TABLE[code].disposition;
    this.detail = options.detail;
  }

  get rule(): ErrorRule {
    return ERROR_TABLE[this.code];
  }
}

export function isTimebokError(e: unknown): e is TimebokError {
  return e instanceof TimebokError;
}

/**
 * A refusal the pipeline answers (disposition `reply`): the table gives the AppRec code (async) and
 * the reply code (sync). `description` names element and rule, never a value.
 */
export interface Refusal {
  code: RefusalCode;
  description: string;
}

export function refusal(code: RefusalCode, description: string): Refusal {
  return { code, description };
}

/** The AppRec 8221 code and sync reply code of a refusal, from the table. */
export function refusalAnswer(code: RefusalCode): { appRecCode: string; replyCode: string } {
  const rule = TABLE[code];
  return { appRecCode: rule.appRecCode, replyCode: rule.replyCode };
}

/** The reply code of a business refusal, from the table. */
export function businessReplyCode(code: BusinessCode): string {
  return TABLE[code].replyCode;
}

/** The reply fields of a business no: code, reply code from the table, the default text for it. */
export function businessRefusal(
  code: BusinessCode,
  textOf: (replyCode: string) => string | null,
): { refusal: BusinessCode; replyCode: string; text: string | null } {
  const replyCode = TABLE[code].replyCode;
  return { refusal: code, replyCode, text: textOf(replyCode) };
}

/**
 * The table code of a reply the booking domain chose (timebook service results): 06 slot unavailable,
 * 26 refused (per-citizen limit, slot already held), 30 not eligible, 09 cancel refused. Empty for a
 * positive answer (03, 04, 05, 08).
 */
export function businessCodeOfReply(fn: 'HLT' | 'RT' | 'ART', replyCode: string): { refusal?: BusinessCode } {
  const byReply: Record<string, BusinessCode> =
    fn === 'ART'
      ? { '09': 'ERR_CANCEL_REFUSED' }
      : { '06': 'ERR_BOOKING_SLOT_UNAVAILABLE', '26': 'ERR_BOOKING_REFUSED', '30': 'ERR_BOOKING_NOT_ELIGIBLE' };
  const code = byReply[replyCode];
  return code === undefined ? {} : { refusal: code };
}

/**
 * The only text about an error that may be logged or stored (logs, `.reason.txt`, outbox `last_error`):
 * our own code and message (ours never carry personal data), or for anything else only its name and
 * driver code — a foreign error's text may quote values (a unique-key detail, a parser excerpt …).
 */
export function describeError(err: unknown): string {
  if (isTimebokError(err)) return `${err.code}: ${err.message}`;
  if (!(err instanceof Error)) return 'unknown error';
  const e = err as { code?: unknown; driverError?: { code?: unknown } };
  const code = e.driverError?.code ?? e.code;
  return typeof code === 'string' || typeof code === 'number' ? `${err.name} (${String(code)})` : err.name;
}
