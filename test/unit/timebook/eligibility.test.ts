import { checkEligibility, needsListFacts, type EligibilityContext } from '../../../src/timebook/eligibility.js';
import type { PatientFacts } from '../../../src/timebook/types.js';

const born1961 = (day: string): PatientFacts => ({ id: '00000000000', birthDate: `1961-03-${day}` });
const ctx = (over: Partial<EligibilityContext> = {}): EligibilityContext => ({
  today: '2026-03-02',
  listedWith: new Set<number>(),
  officePractitioners: [],
  ...over,
});

describe('checkEligibility', () => {
  it('lets everyone in when the book has no rule', () => {
    expect(checkEligibility(null, { id: 'x', birthDate: null }, ctx())).toEqual({ eligible: true });
  });

  it('counts minAge on the request date with the bound inclusive (the birthday itself counts)', () => {
    expect(checkEligibility({ minAge: 65 }, born1961('02'), ctx())).toEqual({ eligible: true });
    expect(checkEligibility({ minAge: 65 }, born1961('03'), ctx())).toEqual({ eligible: false, failed: 'min-age' });
    expect(checkEligibility({ minAge: 65 }, born1961('03'), ctx({ today: '2026-03-03' })).eligible).toBe(true);
  });

  it('keeps maxAge inclusive: eligible through the whole year of that age', () => {
    const rule = { maxAge: 64 };
    expect(checkEligibility(rule, born1961('03'), ctx()).eligible).toBe(true); // 64 until tomorrow
    expect(checkEligibility(rule, born1961('02'), ctx())).toEqual({ eligible: false, failed: 'max-age' });
    expect(checkEligibility({ maxAge: 65 }, born1961('02'), ctx()).eligible).toBe(true);
  });

  it('refuses an age rule when the birth date is unknown', () => {
    expect(checkEligibility({ minAge: 18 }, { id: 'x', birthDate: null }, ctx())).toEqual({
      eligible: false,
      failed: 'age-unknown',
    });
  });

  it('lets listOf in only the list patients of that practitioner', () => {
    expect(checkEligibility({ listOf: 8142530 }, born1961('02'), ctx({ listedWith: new Set([8142530]) })).eligible).toBe(true);
    expect(checkEligibility({ listOf: 8142530 }, born1961('02'), ctx({ listedWith: new Set([8142531]) }))).toEqual({
      eligible: false,
      failed: 'list-of',
    });
  });

  it('lets officeList in list patients of any practitioner of the office, and nobody else', () => {
    const office = { officePractitioners: [8142530, 8142531] };
    expect(checkEligibility({ officeList: true }, born1961('02'), ctx({ ...office, listedWith: new Set([8142531]) })).eligible).toBe(
      true,
    );
    expect(checkEligibility({ officeList: true }, born1961('02'), ctx({ ...office, listedWith: new Set([9999999]) }))).toEqual({
      eligible: false,
      failed: 'office-list',
    });
  });

  it('lets an explicit patients list in only those patients', () => {
    const rule = { patients: ['00000000000'] };
    expect(checkEligibility(rule, born1961('02'), ctx()).eligible).toBe(true);
    expect(checkEligibility(rule, { id: '11111111111', birthDate: '1961-03-02' }, ctx())).toEqual({
      eligible: false,
      failed: 'patients',
    });
  });

  it('requires every key given to hold', () => {
    const rule = { minAge: 65, listOf: 8142530 };
    expect(checkEligibility(rule, born1961('02'), ctx({ listedWith: new Set([8142530]) })).eligible).toBe(true);
    expect(checkEligibility(rule, born1961('02'), ctx()).eligible).toBe(false);
    expect(checkEligibility(rule, born1961('03'), ctx({ listedWith: new Set([8142530]) })).eligible).toBe(false);
  });

  it('says when list facts are needed so that the caller can skip the query', () => {
    expect(needsListFacts(null)).toBe(false);
    expect(needsListFacts({ minAge: 65, patients: [] })).toBe(false);
    expect(needsListFacts({ listOf: 1 })).toBe(true);
    expect(needsListFacts({ officeList: true })).toBe(true);
  });
});
