import { v5 as uuidv5 } from 'uuid';

/**
 * Ids Timebok generates are deterministic (docs/decisions.md §5): derived from the inbound MsgId under a fixed
 * project namespace, so a re-publish after a crash repeats the same ids and replay output is stable.
 */
export const TIMEBOK_NAMESPACE = '6f1c2b0e-8d0a-5b8e-9a52-2d4f0c7e3a11';

/** Deterministic UUID for `purpose` (e.g. 'reply', 'apprec', 'appointment') of the message `key`. */
export function derivedId(purpose: string, key: string): string {
  return uuidv5(`${purpose}:${key}`, TIMEBOK_NAMESPACE);
}
