/**
 * Norwegian person identifiers: fødselsnummer (FNR) and D-number (DNR). Check digits per the
 * Skatteetaten modulus-11 rule; birth date and century from the individual number.
 */

export type PersonIdProblem = 'format' | 'check-digits' | 'date' | 'synthetic-not-allowed' | 'type';

export interface PersonIdCheck {
  valid: boolean;
  problem?: PersonIdProblem;
  /** True for synthetic test numbers (month + 40 or + 80). */
  synthetic: boolean;
  /** Birth date (YYYY-MM-DD) when it could be derived. */
  birthDate?: string;
}

const K1 = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const K2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

function checkDigit(digits: number[], weights: number[]): number | null {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += (digits[i] ?? 0) * (weights[i] ?? 0);
  const k = 11 - (sum % 11);
  if (k === 11) return 0;
  if (k === 10) return null;
  return k;
}

/**
 * The 11-digit number made of 9 digits (date and individual number) and their two modulus-11 check
 * digits, or null when the 9 digits have none (a check digit of 10: no valid number exists).
 */
export function withCheckDigits(nineDigits: string): string | null {
  if (!/^\d{9}$/.test(nineDigits)) return null;
  const d = [...nineDigits].map(Number);
  const k1 = checkDigit(d, K1);
  if (k1 === null) return null;
  const k2 = checkDigit([...d, k1], K2);
  return k2 === null ? null : `${nineDigits}${k1}${k2}`;
}

/** True when the 11 digits carry valid modulus-11 check digits. */
export function hasValidCheckDigits(id: string): boolean {
  if (!/^\d{11}$/.test(id)) return false;
  const d = [...id].map(Number);
  const k1 = checkDigit(d, K1);
  if (k1 === null || k1 !== d[9]) return false;
  const k2 = checkDigit(d, K2);
  return k2 !== null && k2 === d[10];
}

function century(yy: number, individual: number): number | null {
  if (individual <= 499) return 1900;
  if (individual <= 749 && yy >= 54) return 1800;
  if (individual >= 500 && yy <= 39) return 2000;
  if (individual >= 900 && yy >= 40) return 1900;
  return null;
}

/**
 * Checks an FNR or DNR. `typeId` is the 8116 code from the message (FNR or DNR); a D-number sent as FNR
 * (or the reverse) is accepted when its digits are valid for the other type, because senders mix them.
 */
export function checkPersonId(id: string, typeId: string, options: { acceptSynthetic: boolean }): PersonIdCheck {
  if (typeId !== 'FNR' && typeId !== 'DNR') return { valid: false, problem: 'type', synthetic: false };
  if (!/^\d{11}$/.test(id)) return { valid: false, problem: 'format', synthetic: false };
  if (!hasValidCheckDigits(id)) return { valid: false, problem: 'check-digits', synthetic: false };
  let day = Number(id.slice(0, 2));
  let month = Number(id.slice(2, 4));
  const yy = Number(id.slice(4, 6));
  const individual = Number(id.slice(6, 9));
  if (day > 40) day -= 40; // D-number
  let synthetic = false;
  if (month > 80) {
    month -= 80;
    synthetic = true;
  } else if (month > 40) {
    month -= 40;
    synthetic = true;
  }
  if (synthetic && !options.acceptSynthetic) return { valid: false, problem: 'synthetic-not-allowed', synthetic };
  const c = century(yy, individual);
  if (c === null) return { valid: false, problem: 'date', synthetic };
  const year = c + yy;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return { valid: false, problem: 'date', synthetic };
  }
  const birthDate = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  return { valid: true, synthetic, birthDate };
}

/** Age in whole years on `onDate` (YYYY-MM-DD), counting the birthday itself. */
export function ageOn(birthDate: string, onDate: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
  const [y, m, d] = onDate.split('-').map(Number) as [number, number, number];
  let age = y - by;
  if (m < bm || (m === bm && d < bd)) age -= 1;
  return age;
}
