import { checkPersonId } from '../../../src/envelope/person-id.js';
import { SimulatorError } from '../../../src/simulate/errors.js';
import { fillValue, localDate, placeholdersOf, renderTemplate, syntheticFnr } from '../../../src/simulate/template.js';

const now = new Date('2026-12-04T23:30:00Z'); // already 5 December in Oslo

describe('message templates', () => {
  it('fills variables and escapes them for XML', () => {
    const out = renderTemplate('<Id>{{patient}}</Id><T>{{text}}</T>', { vars: { patient: '15469030021', text: 'a < b & "c"' }, now });
    expect(out).toBe('<Id>15469030021</Id><T>a &lt; b &amp; &quot;c&quot;</T>');
  });

  it('inserts triple-brace values unescaped (the addressing blocks)', () => {
    expect(renderTemplate('<Sender>{{{sender}}}</Sender>', { vars: { sender: '<Organisation/>' }, now })).toBe('<Sender><Organisation/></Sender>');
  });

  it('gives dates relative to today in the practice time zone', () => {
    expect(renderTemplate('{{today}} {{today+3}} {{ today - 5 }}', { vars: {}, now })).toBe('2026-12-05 2026-12-08 2026-11-30');
    expect(localDate(now, 0, 'UTC')).toBe('2026-12-04');
  });

  it('lists every placeholder without a value instead of writing an empty string', () => {
    expect(() => renderTemplate('{{slot}} {{appointment}} {{slot}}', { vars: {}, now })).toThrow(SimulatorError);
    try {
      renderTemplate('{{slot}} {{appointment}}', { vars: {}, now });
    } catch (e) {
      expect((e as SimulatorError).code).toBe('SIM_TEMPLATE');
      expect((e as SimulatorError).message).toContain('{{slot}}');
      expect((e as SimulatorError).message).toContain('{{appointment}}');
    }
  });

  it('makes a new UUID at every {{uuid}}', () => {
    const [a, b] = renderTemplate('{{uuid}} {{uuid}}', { vars: {}, now }).split(' ');
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(a).not.toBe(b);
  });

  it('a variable wins over a built-in name', () => {
    expect(fillValue('{{today}}', { vars: { today: 'x' }, now })).toBe('x');
  });

  it('finds the placeholders a text uses', () => {
    expect(placeholdersOf('{{a}} {{{ b }}} {{today+1}}')).toEqual(['a', 'b', 'today+1']);
  });

  it('{{fnr:YYYY}} gives synthetic fødselsnumre with valid check digits and the right birth year', () => {
    for (let i = 0; i < 200; i++) {
      const fnr = renderTemplate('{{fnr:1950}}', { vars: {}, now });
      const check = checkPersonId(fnr, 'FNR', { acceptSynthetic: true });
      expect(check).toMatchObject({ valid: true, synthetic: true });
      expect(check.birthDate?.slice(0, 4)).toBe('1950');
      expect(checkPersonId(fnr, 'FNR', { acceptSynthetic: false }).valid).toBe(false);
    }
  });

  it('refuses a birth year it cannot write', () => {
    expect(() => syntheticFnr(2005)).toThrow(SimulatorError);
  });
});
