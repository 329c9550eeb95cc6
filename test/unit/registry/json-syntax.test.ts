import { locateJsonSyntaxError } from '../../../src/registry/json-syntax.js';

describe('locateJsonSyntaxError', () => {
  it.each([
    '{}',
    '[]',
    ' {"a": [1, -2.5e3, true, false, null, "x\\u00e5\\n"]} ',
    '0',
    '"s"',
  ])('finds nothing wrong in %s', (text) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(locateJsonSyntaxError(text)).toBeNull();
  });

  it.each([
    ['{"a": 1,}', 8],
    ['{"a" 1}', 5],
    ['{"a": 01}', 7],
    ['{"a": [1,]}', 9],
    ['{"a": tru}', 6],
    ['{"a": "x\ny"}', 8],
    ['{"a": "\\q"}', 7],
    ['{"a": 1} x', 9],
    ['{"a": 1', 7],
    ['', 0],
  ])('places the error in %j at offset %i, as JSON.parse fails', (text, position) => {
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(locateJsonSyntaxError(text)?.position).toBe(position);
  });

  it('counts lines and columns from 1', () => {
    expect(locateJsonSyntaxError('{\n  "a": 1,\n  }')).toMatchObject({ line: 3, column: 3 });
  });
});
