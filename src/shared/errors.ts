/**
 * One error type for the whole pipeline. `code` is stable (switch on it, assert on it in tests);
 * `disposition` says what the pipeline does with it. Messages never contain a fødselsnummer, a name or
 * a message body: put only element paths, rule names, HER-ids and ids in them.
 */
export type Disposition =
  /** answer the sender with a negative AppRec / 26-style reply */
  | 'reply'
  /** report on the sender's error queue (errorCondition) */
  | 'transport'
  /** a dependency is away: do not ack, try again later */
  | 'retry'
  /** a bug or an unusable configuration: stop */
  | 'crash';

export class TimebokError extends Error {
  readonly code: string;
  readonly disposition: Disposition;
  /** Extra machine-readable detail (never personal data). */
  readonly detail: Record<string, unknown> | undefined;

  constructor(
    code: string,
    message: string,
    options: { disposition?: Disposition; cause?: unknown; detail?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TimebokError';
    this.code = code;
    this.disposition = options.disposition ?? ERROR_TABLE[code]?.disposition ?? 'crash';
    this.detail = options.detail;
  }
}

export interface ErrorRule {
  disposition: Disposition;
  /** Error-queue condition (transport disposition). */
  errorCondition?: string;
  /** AppRec 8221 code (async) — sync requests get reply 26 instead. */
  appRecCode?: string;
}

/**
 * What the sender gets for each error code. Pinned by test/unit/shared/errors.test.ts.
 * Business outcomes (06, 09, 26, 30 …) are not errors: they are results of the handlers.
 */
export const ERROR_TABLE: Record<string, ErrorRule> = {
  ERR_ENVELOPE_NOT_WELL_FORMED: { disposition: 'transport', errorCondition: 'transport:not-well-formed-xml' },
  ERR_ENVELOPE_DOCTYPE: { disposition: 'transport', errorCondition: 'transport:not-well-formed-xml' },
  ERR_ENVELOPE_TOO_LARGE: { disposition: 'transport', errorCondition: 'transport:not-well-formed-xml' },
  ERR_ENVELOPE_TOO_DEEP: { disposition: 'transport', errorCondition: 'transport:not-well-formed-xml' },
  ERR_ENVELOPE_ENCODING: { disposition: 'transport', errorCondition: 'transport:invalid-encoding' },
  ERR_ENVELOPE_NOT_MSGHEAD: { disposition: 'transport', errorCondition: 'transport:not-well-formed-xml' },
  ERR_ENVELOPE_SCHEMA: { disposition: 'reply', appRecCode: 'T02' },
  ERR_ENVELOPE_CONTENT: { disposition: 'reply', appRecCode: 'T02' },
  ERR_ENVELOPE_PATIENT_ID: { disposition: 'reply', appRecCode: 'E31' },
  ERR_TRANSPORT_FIELD: { disposition: 'transport', errorCondition: 'transport:invalid-field-value' },
  ERR_TRANSPORT_UNSUPPORTED: { disposition: 'transport', errorCondition: 'transport:unsupported-message' },
  ERR_REGISTRY_SENDER_UNKNOWN: { disposition: 'transport', errorCondition: 'transport:invalid-field-value' },
  ERR_REGISTRY_SPOOFING: { disposition: 'transport', errorCondition: 'abuse:spoofing-attack' },
  ERR_REGISTRY_RECEIVER_MISMATCH: { disposition: 'reply', appRecCode: 'E10' },
  ERR_REGISTRY_RECEIVER: { disposition: 'reply', appRecCode: 'E21' },
  ERR_REGISTRY_PROCESS: { disposition: 'reply', appRecCode: 'T10' },
  ERR_INBOX_MSGID_REUSED: { disposition: 'reply', appRecCode: 'E10' },
  ERR_PROTECTION_DECRYPT: { disposition: 'transport', errorCondition: 'transport:decryption-failed' },
  ERR_PROTECTION_CMS: { disposition: 'transport', errorCondition: 'transport:invalid-cms-pkcs' },
  ERR_PROTECTION_CERTIFICATE: { disposition: 'transport', errorCondition: 'transport:invalid-certificate' },
  ERR_PROTECTION_EXPIRED: { disposition: 'transport', errorCondition: 'transport:expired-certificate' },
  ERR_PROTECTION_REVOKED: { disposition: 'transport', errorCondition: 'transport:revoked-certificate' },
  ERR_PROTECTION_SIGNATURE: { disposition: 'transport', errorCondition: 'transport:invalid-signature' },
  ERR_PROTECTION_ALGORITHM: { disposition: 'transport', errorCondition: 'transport:unsupported-message' },
  ERR_PROTECTION_REVOCATION_UNKNOWN: { disposition: 'retry' },
  ERR_DEPENDENCY_UNAVAILABLE: { disposition: 'retry' },
  ERR_CONFIG: { disposition: 'crash' },
  ERR_SETUP_FILE: { disposition: 'crash' },
  ERR_INTERNAL: { disposition: 'crash' },
};

export function isTimebokError(e: unknown): e is TimebokError {
  return e instanceof TimebokError;
}
