/**
 * AR process codes (code list 8279) as Timebok compares them: case-insensitively (docs/decisions.md §12), with the
 * 2019 examples' typo `DIALOG_INNBYGGER_AVTALEBESTILLING` read as AVTALEAVBESTILLING (docs/decisions.md §11).
 */

export const PROCESS_TIMERESERVASJON = 'DIALOG_INNBYGGER_TIMERESERVASJON';
export const PROCESS_TIMEONSKE = 'DIALOG_INNBYGGER_TIMEONSKE';
export const PROCESS_TIMEONSKEUNGDOM = 'DIALOG_INNBYGGER_TIMEONSKEUNGDOM';
export const PROCESS_AVTALEUTSENDING = 'DIALOG_INNBYGGER_AVTALEUTSENDING';
export const PROCESS_AVTALEAVBESTILLING = 'DIALOG_INNBYGGER_AVTALEAVBESTILLING';
/** Application receipts: accepted for every party of ours whatever its activated processes. */
export const PROCESS_APPREC = 'APPREC';

const ALIASES: ReadonlyMap<string, string> = new Map([
  ['DIALOG_INNBYGGER_AVTALEBESTILLING', PROCESS_AVTALEAVBESTILLING],
]);

/** The canonical spelling of a process code: trimmed, upper case, aliases resolved. */
export function normalizeProcess(code: string): string {
  const upper = code.trim().toUpperCase();
  return ALIASES.get(upper) ?? upper;
}

/** Whether `process` (from MsgInfo/Type/@V) is among `activated` (as written in the registry). */
export function isProcessActivated(activated: readonly string[], process: string): boolean {
  const wanted = normalizeProcess(process);
  return activated.some((p) => normalizeProcess(p) === wanted);
}
