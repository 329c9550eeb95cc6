// Gives the fuzz test files of this jest run one folder for their tallies (read by global-teardown.mjs).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup() {
  process.env.TIMEBOK_FUZZ_DIR = mkdtempSync(join(tmpdir(), 'timebok-fuzz-'));
}
