/**
 * The hostile corpus (test/fixtures/hostile/corpus/, written by scripts/hostile-corpus.ts): every input
 * goes through the whole pipeline and must get exactly the answer written beside it, book nothing it
 * should not, and leave no prototype polluted. CMS recipes are built here with the test PKI.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSchemaSet, type SchemaSet } from '../../../src/envelope/schema.validator.js';
import type { ProcessOutcome } from '../../../src/pipeline/types.js';
import type { TestPki } from '../../../scripts/support/test-pki.js';
import { sharedTestPki } from '../../fixtures/protection/pki.js';
import { buildCms, CORPUS, HOSTILE, deliveryFor, openHostileWorld, type CmsRecipe, type HostileWorld } from './world.js';

interface Expect {
  status: ProcessOutcome['status'];
  code?: string;
  answer: string;
  delivery?: Parameters<typeof deliveryFor>[2];
}

interface Case {
  category: string;
  name: string;
  expect: Expect;
  body: () => Buffer;
  cms: boolean;
}

let schemas: SchemaSet;
let pki: TestPki;
let plain: HostileWorld;
let sealed: HostileWorld;

function cases(): Case[] {
  const out: Case[] = [];
  const dirs = [...readdirSync(CORPUS).sort().map((c) => [c, join(CORPUS, c)] as const), ['regressions', REGRESSIONS] as const];
  for (const [category, dir] of dirs) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.expect.json')).sort()) {
      const name = file.replace(/\.expect\.json$/, '');
      const expect = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Expect;
      const recipe = join(dir, `${name}.recipe.json`);
      const input = readdirSync(dir).find((f) => f.startsWith(`${name}.`) && !f.endsWith('.expect.json'))!;
      const isRecipe = input.endsWith('.recipe.json');
      out.push({
        category,
        name,
        expect,
        cms: category.startsWith('cms-'),
        body: () => (isRecipe ? buildCms(JSON.parse(readFileSync(recipe, 'utf8')) as CmsRecipe, pki) : readFileSync(join(dir, input))),
      });
    }
  }
  return out;
}

const REGRESSIONS = join(HOSTILE, 'regressions');
const CASES = cases();

/** What went out, in the words of the expect files. */
async function answerOf(world: HostileWorld, outcome: ProcessOutcome): Promise<string> {
  const parts: string[] = [];
  for (const id of outcome.outboxIds) {
    const [row] = (await world.app.db.manager.query('SELECT kind, summary, properties FROM outbox_message WHERE id = ?', [id])) as { kind: string; summary: string; properties: string }[];
    if (!row) continue;
    if (row.kind === 'error-report') parts.push(`report ${row.summary}`);
    else parts.push(row.summary);
  }
  return parts.length === 0 ? 'none' : parts.join(' + ');
}

beforeAll(async () => {
  schemas = await loadSchemaSet();
  pki = await sharedTestPki();
  plain = await openHostileWorld(schemas);
  sealed = await openHostileWorld(schemas, pki);
});
afterAll(async () => {
  await plain?.close();
  await sealed?.close();
  schemas.dispose();
});

describe('the hostile corpus', () => {
  test('has at least ten inputs in every category, each with its expected answer beside it', () => {
    const per = new Map<string, number>();
    for (const c of CASES) per.set(c.category, (per.get(c.category) ?? 0) + 1);
    expect(per.size).toBeGreaterThanOrEqual(29);
    for (const [category, n] of per) expect([category, n >= 10]).toEqual([category, true]);
  });

  test.each(CASES.map((c) => [`${c.category}/${c.name}`, c] as const))('%s gets its expected answer', async (_label, c) => {
    const world = c.cms ? sealed : plain;
    await world.reset();
    const outcome = await world.process(deliveryFor(c.body(), `${c.category}/${c.name}`, c.expect.delivery));
    const got = { status: outcome.status, code: outcome.code, answer: await answerOf(world, outcome) };
    expect(got).toEqual({ status: c.expect.status, code: c.expect.code, answer: c.expect.answer });
    if (!['answered', 'pending'].includes(c.expect.status) || c.expect.code) expect(await world.appointments()).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
