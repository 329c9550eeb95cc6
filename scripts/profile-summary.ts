/**
 * Summarises V8 CPU profiles (`.cpuprofile`, as `npm run bench -- --profile DIR` makes them for the
 * Timebok processes): the share of samples by package, the functions with the most self time, and
 * Timebok's own functions with their inclusive share.
 *
 *   npx tsx scripts/profile-summary.ts DIR/e2e/*.cpuprofile [--top N]
 *
 * Several files are added up (the two processes of a run). Shares are of all samples, idle included.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 30;
const files = args.filter((a, i) => a !== '--top' && i !== topAt + 1);
if (files.length === 0) {
  console.error('usage: npx tsx scripts/profile-summary.ts FILE.cpuprofile … [--top N]');
  process.exit(2);
}

/** The package a script belongs to: an npm package, a folder of Timebok's src/ or dist/, or Node's own. */
function packageOf(url: string, name: string): string {
  if (name === '(idle)' || name === '(garbage collector)' || name === '(program)') return name;
  if (!url) return '(native)';
  const npm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (npm) return npm[1] as string;
  const ours = /\/(?:src|dist)\/([^/]+)\//.exec(url);
  if (ours) return `timebok:${ours[1]}`;
  if (url.startsWith('node:')) return url;
  return url.split('/').slice(-2).join('/');
}

const byPackage = new Map<string, number>();
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const hits = new Map<number, number>();
  for (const s of profile.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
  total += profile.samples.length;
  for (const [id, n] of hits) {
    const f = (byId.get(id) as ProfileNode).callFrame;
    add(byPackage, packageOf(f.url, f.functionName), n);
    add(self, `${f.functionName || '(anonymous)'}  ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`, n);
    // every Timebok function on the stack, once per sample
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = (byId.get(cur) as ProfileNode).callFrame;
      if (!/\/(src|dist)\//.test(cf.url) || cf.url.includes('node_modules')) continue;
      const key = `${cf.functionName || '(anonymous)'}  ${cf.url.split(/\/(?:src|dist)\//).pop()}:${cf.lineNumber + 1}`;
      if (!seen.has(key)) {
        seen.add(key);
        add(inclusive, key, n);
      }
    }
  }
}

const share = (n: number) => `${((100 * n) / total).toFixed(1).padStart(5)} %`;
const print = (title: string, m: Map<string, number>, n: number) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`  ${share(v)}  ${k}`);
};
console.log(`${files.length} profile(s), ${total} samples`);
print('by package', byPackage, 25);
print('self time', self, top);
print("Timebok's functions, inclusive", inclusive, top);
