import { pino, type Logger } from 'pino';

/**
 * Structured logs. Personal data never goes in: callers log ids, codes and HER-ids only, and the redact
 * list below is a second line of defence for field names that could carry it.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service: 'timebok' },
    redact: {
      paths: ['fnr', 'patientId', 'name', 'body', 'xml', '*.fnr', '*.patientId', '*.name', '*.body', '*.xml'],
      censor: '[redacted]',
    },
  });
}

export const silentLogger: Logger = pino({ level: 'silent' });

export type { Logger };
