// `npx timebok` inside this checkout looks in node_modules/.bin, where npm never links a project's own
// bin. Run from the `prepare` script (after `npm ci` / `npm install`), this adds that link.
import { mkdirSync, rmSync, symlinkSync, chmodSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const binDir = join(root, 'node_modules', '.bin');
const target = join(root, 'bin', 'timebok.js');
mkdirSync(binDir, { recursive: true });
const link = join(binDir, 'timebok');
rmSync(link, { force: true });
symlinkSync(relative(binDir, target), link);
chmodSync(target, 0o755);
