import { loadSchemaSet, type SchemaSet } from '../../src/envelope/schema.validator.js';
import type { TestPki } from '../../scripts/support/test-pki.js';
import { sharedTestPki } from '../fixtures/protection/pki.js';
import { fuzzLine, runFuzz } from './harness.js';

/** Part 1 of 4 of the run's fuzz cases (FUZZ_CASES, default 10,000 in `npm test`). */
const CASES = Math.ceil(Number(process.env.FUZZ_CASES ?? 10_000) / 4);

let schemas: SchemaSet;
let pki: TestPki;
beforeAll(async () => {
  schemas = await loadSchemaSet();
  pki = await sharedTestPki();
});
afterAll(() => schemas.dispose());

test('every mutated input gets exactly one classified answer, nothing is booked from an invalid one, and nothing touches files or the network (part 1)', async () => {
  const t = await runFuzz({ schemas, pki, cases: CASES, seed: Number(process.env.FUZZ_SEED ?? 20261204) + 1, label: 'part-1' });
  expect({ line: fuzzLine(t), failures: t.failures }).toEqual({ line: expect.stringContaining('unclassified=0 exits=0 booked_from_invalid=0'), failures: [] });
  expect(t.fileAccess + t.netAccess).toBe(0);
  expect(t.heapGrowthMb).toBeLessThan(50);
}, 600_000);
