import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runReplay } from '../../../src/cli/replay.command.js';
import type { SchemaSet } from '../../../src/envelope/schema.validator.js';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const EXAMPLES = join(ROOT, 'fixtures/helsenorge-2019');
export const REPLAY_SETUP = join(ROOT, 'fixtures/replay-2019');
export const FIXTURES = join(ROOT, 'test/fixtures/pipeline');
export const TR = join(EXAMPLES, 'DIALOG_INNBYGGER_TIMERESERVASJON/1.2');

export interface ReplayRun {
  code: number;
  lines: string[];
  out: string;
  db: string;
  /** Output file names in name order. */
  files(): string[];
  read(name: string): string;
}

/** Runs `timebok replay` in-process into a fresh temp folder (or the given db to keep state). */
export async function replay(
  schemas: SchemaSet,
  messages: string[],
  opts: { now?: string; db?: string; setup?: string; acceptSyntheticIds?: boolean } = {},
): Promise<ReplayRun> {
  const dir = mkdtempSync(join(tmpdir(), 'timebok-replay-'));
  const out = join(dir, 'out');
  const db = opts.db ?? join(dir, 'db.sqlite');
  const lines: string[] = [];
  const code = await runReplay(
    {
      setup: opts.setup ?? REPLAY_SETUP,
      db,
      now: opts.now ?? '2019-07-01T09:00',
      out,
      messages,
      schemas,
      ...(opts.acceptSyntheticIds ? { acceptSyntheticIds: true } : {}),
    },
    (l) => lines.push(l),
  );
  return {
    code,
    lines,
    out,
    db,
    files: () => readdirSync(out).sort(),
    read: (name) => readFileSync(join(out, name), 'utf8'),
  };
}

/** The value of the first `attr` on `element` in an XML text (tests only; the parser is tested elsewhere). */
export function attr(xml: string, element: string, attr: string): string | undefined {
  const m = new RegExp(`<(?:\\w+:)?${element}\\b[^>]*\\b${attr}="([^"]*)"`).exec(xml);
  return m?.[1];
}

export function text(xml: string, element: string): string[] {
  return [...xml.matchAll(new RegExp(`<(?:\\w+:)?${element}>([^<]*)</(?:\\w+:)?${element}>`, 'g'))].map((m) => m[1] as string);
}
