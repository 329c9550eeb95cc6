// Summarises V8 CPU profiles (`node --cpu-prof`): self time per package / source folder, as shares of the
// busy time (idle and GC shown apart). Usage: node scripts/support/cpuprofile-summary.mjs DIR
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'profiles';
const totals = new Map();
let all = 0;
for (const f of readdirSync(dir).filter((n) => n.endsWith('.cpuprofile'))) {
  const p = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  for (let i = 0; i < p.samples.length; i++) {
    const node = byId.get(p.samples[i]);
    const dt = p.timeDeltas[i] ?? 0;
    const url = node.callFrame.url;
    let key;
    if (!url) key = `(${node.callFrame.functionName || 'native'})`;
    else if (url.includes('node_modules/')) key = url.slice(url.lastIndexOf('node_modules/') + 13).split('/').slice(0, url.includes('node_modules/@') ? 2 : 1).join('/');
    else if (url.startsWith('node:')) key = url.split('/').slice(0, 2).join('/');
    else if (url.includes('/dist/') || url.includes('/src/')) key = `timebok:${url.split(/\/(?:dist|src)\//)[1].split('/')[0]}`;
    else key = url;
    totals.set(key, (totals.get(key) ?? 0) + dt);
    all += dt;
  }
}
const idle = (totals.get('(idle)') ?? 0) + (totals.get('(program)') ?? 0);
const busy = all - idle;
console.log(`profiles in ${dir}: ${(all / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy`);
for (const [k, v] of [...totals].filter(([k]) => k !== '(idle)' && k !== '(program)').sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`${((100 * v) / busy).toFixed(1).padStart(6)} %  ${k}`);
}
