// `npm start` runs compiled JavaScript (dist/). Before it starts, this builds dist/ when it is missing or
// older than any source file (a fresh checkout, a `git pull`); otherwise it does nothing (a few ms).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.built');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const sources = Math.max(newestSource(join(root, 'src')), statSync(join(root, 'tsconfig.build.json')).mtimeMs, statSync(join(root, 'tsconfig.json')).mtimeMs);
if (existsSync(stamp) && statSync(stamp).mtimeMs >= sources) process.exit(0);

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!existsSync(tsc)) {
  if (existsSync(join(root, 'dist', 'main.js'))) process.exit(0);
  process.stderr.write('timebok: dist/ is missing and TypeScript is not installed: run `npm ci` first\n');
  process.exit(1);
}
process.stderr.write('timebok: building dist/ (tsc -p tsconfig.build.json) …\n');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
writeFileSync(stamp, `${new Date().toISOString()}\n`);
