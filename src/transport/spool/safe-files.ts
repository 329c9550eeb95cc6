import { access, link, unlink, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';

/**
 * File moves and writes in the spool that never overwrite: a name already taken gets a counter before
 * its extension (`rt.xml` → `rt~1.xml`, `rt~2.xml` …). `link` fails with EEXIST instead of replacing,
 * so two writers racing for one name cannot lose a file.
 */

/** Names are compared with their sidecar suffixes: `a.xml` and `a.xml.json` move as a pair. */
export function numbered(name: string, n: number): string {
  if (n === 0) return name;
  const ext = extname(name);
  return `${name.slice(0, name.length - ext.length)}~${n}${ext}`;
}

const MAX_TRIES = 10_000;

/**
 * Moves `from` into `dir` under `name`, or the first numbered variant not taken (also not taken with
 * each of `companions` suffixes, e.g. `.json`, `.reason.txt`), and returns the name used.
 */
export async function moveNoClobber(from: string, dir: string, name: string, companions: readonly string[] = []): Promise<string> {
  for (let n = 0; n < MAX_TRIES; n++) {
    const candidate = numbered(name, n);
    if (await anyExists(dir, candidate, companions)) continue;
    try {
      await link(from, join(dir, candidate));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    await unlink(from);
    return candidate;
  }
  throw new Error('no free name');
}

/** Writes `data` to a new file `dir/name` (or a numbered variant) through a hidden temporary name. */
export async function writeNoClobber(dir: string, name: string, data: string | Uint8Array, companions: readonly string[] = []): Promise<string> {
  const tmp = join(dir, `.${name}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  await writeFile(tmp, data, { flag: 'wx' });
  try {
    return await moveNoClobber(tmp, dir, name, companions);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

async function anyExists(dir: string, name: string, companions: readonly string[]): Promise<boolean> {
  for (const suffix of ['', ...companions]) {
    try {
      await access(join(dir, `${name}${suffix}`));
      return true;
    } catch {
      // free
    }
  }
  return false;
}

/**
 * Writes a message file and its `.json` sidecar under one free name, the sidecar first (a reader that
 * sees the message finds its sidecar), neither over an existing file. Returns the message name used.
 */
export async function writePairNoClobber(dir: string, name: string, data: Uint8Array, sidecar: string): Promise<string> {
  const tag = `${process.pid}.${Math.random().toString(36).slice(2)}`;
  const tmpData = join(dir, `.${name}.${tag}.tmp`);
  const tmpSidecar = join(dir, `.${name}.json.${tag}.tmp`);
  await writeFile(tmpData, data, { flag: 'wx' });
  await writeFile(tmpSidecar, sidecar, { flag: 'wx' });
  try {
    for (let n = 0; n < MAX_TRIES; n++) {
      const candidate = numbered(name, n);
      if (await anyExists(dir, candidate, ['.json'])) continue;
      try {
        await link(tmpSidecar, join(dir, `${candidate}.json`));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      try {
        await link(tmpData, join(dir, candidate));
      } catch (err) {
        await unlink(join(dir, `${candidate}.json`)).catch(() => undefined);
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      return candidate;
    }
    throw new Error('no free name');
  } finally {
    await unlink(tmpData).catch(() => undefined);
    await unlink(tmpSidecar).catch(() => undefined);
  }
}
