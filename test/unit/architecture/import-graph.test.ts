import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The boundaries of the layout (docs/architecture in the README, "Layout"), checked over the import
 * graph of every TypeScript file: which folder may import which, and which packages a folder may use.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Import specifiers of a file: static imports/exports (type-only included) and dynamic imports. */
function importsOf(file: string): { spec: string; typeOnly: boolean }[] {
  const text = readFileSync(join(root, file), 'utf8');
  const found: { spec: string; typeOnly: boolean }[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+['"]([^'"]+)['"]/gm)) found.push({ spec: m[3]!, typeOnly: m[2] !== undefined });
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) found.push({ spec: m[1]!, typeOnly: false });
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push({ spec: m[1]!, typeOnly: false });
  return found;
}

interface Edge {
  from: string;
  /** Repository-relative target file for a relative import; the package name otherwise. */
  to: string;
  typeOnly: boolean;
}

function edgesOf(dir: string): Edge[] {
  return filesUnder(dir).flatMap((file) =>
    importsOf(file).map(({ spec, typeOnly }) => ({
      from: file,
      to: spec.startsWith('.') ? relative(root, resolve(root, dirname(file), spec)) : spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/'),
      typeOnly,
    })),
  );
}

const src = edgesOf('src');
const inFolder = (folder: string) => (e: Edge) => e.from.startsWith(`src/${folder}/`);
const targets = (folder: string) => (e: Edge) => e.to.startsWith(`src/${folder}/`);
const show = (edges: Edge[]) => edges.map((e) => `${e.from} → ${e.to}`);

test('the import graph is read (the checks below see real edges)', () => {
  expect(src.length).toBeGreaterThan(300);
  expect(src.some((e) => e.from === 'src/pipeline/pipeline.ts' && e.to === 'src/inbox/inbox.stage.js')).toBe(true);
});

test('pipeline/ uses no broker, database driver or ORM: it holds the order of the stages', () => {
  expect(show(src.filter(inFolder('pipeline')).filter((e) => ['typeorm', 'amqplib', 'pg', 'better-sqlite3', 'node-forge'].includes(e.to)))).toEqual([]);
  expect(show(src.filter(inFolder('pipeline')).filter((e) => targets('transport')(e) || e.to.endsWith('.entities.js') || e.to === 'src/db/database.js' && !e.typeOnly))).toEqual([]);
});

test('timebook/ knows no broker, no crypto and no pipeline', () => {
  const bad = src.filter(inFolder('timebook')).filter(
    (e) => ['amqplib', 'node-forge'].includes(e.to) || e.to === 'node:crypto' || ['transport', 'protection', 'pipeline', 'inbox', 'outbox', 'reply', 'staff'].some((f) => targets(f)(e)),
  );
  expect(show(bad)).toEqual([]);
});

test('the timebook port (timebook/types.ts) carries no TypeORM type', () => {
  expect(show(src.filter((e) => e.from === 'src/timebook/types.ts' && e.to === 'typeorm'))).toEqual([]);
});

test('envelope/ knows no booking and no broker', () => {
  const bad = src.filter(inFolder('envelope')).filter((e) => e.to === 'amqplib' || ['timebook', 'transport', 'pipeline', 'staff'].some((f) => targets(f)(e)));
  expect(show(bad)).toEqual([]);
});

test('transport/ carries bytes and never books', () => {
  expect(show(src.filter(inFolder('transport')).filter((e) => targets('timebook')(e) || targets('staff')(e)))).toEqual([]);
});

test('shared/ depends on nothing above it', () => {
  expect(show(src.filter(inFolder('shared')).filter((e) => e.to.startsWith('src/') && !e.to.startsWith('src/shared/')))).toEqual([]);
});

test('src/ imports nothing from test/ or scripts/, and scripts/ nothing from test/', () => {
  expect(show(src.filter((e) => e.to.startsWith('test/') || e.to.startsWith('scripts/')))).toEqual([]);
  expect(show(edgesOf('scripts').filter((e) => e.to.startsWith('test/')))).toEqual([]);
});
