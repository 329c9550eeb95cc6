import { fuzzPart } from './harness.js';

/** Part 2 of 4 of the run's fuzz cases (test/fuzz/harness.ts). */
fuzzPart(2);
