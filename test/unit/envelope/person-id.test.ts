import { checkPersonId, hasValidCheckDigits, withCheckDigits } from '../../../src/envelope/person-id.js';

/** Modulus-11 check digits, in the one place that computes them (the validator and the generators share it). */
test('withCheckDigits completes nine digits into a number the validator accepts', () => {
  let made = 0;
  for (let individual = 100; individual < 200; individual++) {
    const fnr = withCheckDigits(`010170${individual}`);
    if (fnr === null) continue;
    made += 1;
    expect(fnr).toMatch(new RegExp(`^010170${individual}\\d\\d$`));
    expect(hasValidCheckDigits(fnr)).toBe(true);
    expect(checkPersonId(fnr, 'FNR', { acceptSynthetic: false })).toMatchObject({ valid: true, birthDate: '1970-01-01' });
  }
  // about one in ten bases has no valid number
  expect(made).toBeGreaterThan(70);
  expect(made).toBeLessThan(100);
});

test('a known number, and bases that have none or are not nine digits', () => {
  expect(withCheckDigits('131169002')).toBe('13116900216');
  expect(withCheckDigits('12345678')).toBeNull();
  expect(withCheckDigits('12345678x')).toBeNull();
  const none = Array.from({ length: 400 }, (_, i) => `010170${100 + i}`).find((b) => withCheckDigits(b) === null);
  expect(none).toBeDefined();
  for (let last = 0; last < 100; last++) expect(hasValidCheckDigits(`${none}${String(last).padStart(2, '0')}`)).toBe(false);
});
