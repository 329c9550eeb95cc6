import { authenticate, hashToken, newToken, parseTokens } from '../../../src/admin/tokens.js';
import { isTimebokError } from '../../../src/shared/errors.js';

describe('admin tokens (ADMIN_TOKENS_FILE)', () => {
  test('a new token authenticates as its name and role; another token does not', () => {
    const { token, line } = newToken('epj', 'operator');
    const entries = parseTokens(`# comment\n\n${line}\n${newToken('kari', 'staff').line}\n`);
    expect(entries.map((e) => [e.name, e.role])).toEqual([['epj', 'operator'], ['kari', 'staff']]);
    expect(authenticate(entries, token)).toEqual({ name: 'epj', role: 'operator' });
    expect(authenticate(entries, `${token}x`)).toBeNull();
    expect(authenticate(entries, undefined)).toBeNull();
    expect(authenticate(entries, '')).toBeNull();
  });

  test('the file holds only the hash, never the token', () => {
    const { token, line } = newToken('epj', 'staff');
    expect(line).not.toContain(token);
    expect(line).toBe(`epj staff sha256:${hashToken(token).toString('hex')}`);
  });

  test.each([
    ['kari admin sha256:' + 'a'.repeat(64), 1],
    ['kari staff ' + 'a'.repeat(64), 1],
    ['# x\nkari staff sha256:' + 'a'.repeat(63), 2],
    [`kari staff sha256:${'a'.repeat(64)}\nkari operator sha256:${'b'.repeat(64)}`, 2],
  ])('a bad line is refused with its line number: %j', (text, line) => {
    try {
      parseTokens(text);
      throw new Error('accepted');
    } catch (err) {
      expect(isTimebokError(err) && err.code).toBe('ERR_CONFIG');
      expect(isTimebokError(err) && err.detail?.line).toBe(line);
    }
  });
});
