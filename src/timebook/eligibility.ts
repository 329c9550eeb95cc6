import { ageOn } from '../envelope/person-id.js';
import type { EligibilityRule, PatientFacts } from './types.js';

/** Facts about the patient that eligibility needs beyond the id, gathered by the caller. Pure input. */
export interface EligibilityContext {
  /** Local date of the request (YYYY-MM-DD) in the book's time zone: ages are counted on it. */
  today: string;
  /** HER-ids of the practitioners that have the patient on their list. */
  listedWith: ReadonlySet<number>;
  /** HER-ids of the practitioners in the book's office (for `officeList`). */
  officePractitioners: readonly number[];
}

/** The first rule that failed, for logs and staff (never personal data). */
export type EligibilityFailure = 'min-age' | 'max-age' | 'age-unknown' | 'list-of' | 'office-list' | 'patients';

export type EligibilityVerdict = { eligible: true } | { eligible: false; failed: EligibilityFailure };

/**
 * Whether the patient (never the representative: docs/decisions.md §25) may see and book a timebook with `rule`.
 * Every key given must hold; no rule means everyone. Age bounds are inclusive and counted on the request
 * date; a patient without a known birth date fails an age rule.
 */
export function checkEligibility(
  rule: EligibilityRule | null,
  patient: PatientFacts,
  context: EligibilityContext,
): EligibilityVerdict {
  if (rule === null) return { eligible: true };
  if (rule.minAge !== undefined || rule.maxAge !== undefined) {
    if (patient.birthDate === null) return { eligible: false, failed: 'age-unknown' };
    const age = ageOn(patient.birthDate, context.today);
    if (rule.minAge !== undefined && age < rule.minAge) return { eligible: false, failed: 'min-age' };
    if (rule.maxAge !== undefined && age > rule.maxAge) return { eligible: false, failed: 'max-age' };
  }
  if (rule.listOf !== undefined && !context.listedWith.has(rule.listOf)) {
    return { eligible: false, failed: 'list-of' };
  }
  if (rule.officeList === true && !context.officePractitioners.some((herId) => context.listedWith.has(herId))) {
    return { eligible: false, failed: 'office-list' };
  }
  if (rule.patients !== undefined && !rule.patients.includes(patient.id)) {
    return { eligible: false, failed: 'patients' };
  }
  return { eligible: true };
}

/** True when the rule needs list-patient facts (so the caller can skip the query otherwise). */
export function needsListFacts(rule: EligibilityRule | null): boolean {
  return rule !== null && (rule.listOf !== undefined || rule.officeList === true);
}
