// Prints the one FUZZ line of the run: the sum of the fuzz test files' tallies (nothing when no fuzz ran).
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export default function teardown() {
  const dir = process.env.TIMEBOK_FUZZ_DIR;
  if (!dir || !existsSync(dir)) return;
  const tallies = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
  rmSync(dir, { recursive: true, force: true });
  if (tallies.length === 0) return;
  const sum = (k) => tallies.reduce((a, t) => a + t[k], 0);
  const max = (k) => Math.max(...tallies.map((t) => t[k]));
  process.stdout.write(
    `\nFUZZ corpus=${max('corpus')} cases=${sum('cases')} classified=${sum('classified')} unclassified=${sum('unclassified')} exits=${sum('exits')} booked_from_invalid=${sum('bookedFromInvalid')} max_ms=${max('maxMs').toFixed(1)} heap_growth_mb=${max('heapGrowthMb').toFixed(1)}\n`,
  );
}
