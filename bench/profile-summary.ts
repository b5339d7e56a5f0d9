// Summarizes V8 CPU profiles (.cpuprofile, from BENCH_CPU_PROF=<dir> on bench/send.ts or
// bench/deliver.ts, or node --cpu-prof): self time by function, by file or package, and the
// inclusive time of the project's own functions.
//
//   npx tsx bench/profile-summary.ts <file.cpuprofile> [--top 25] [--busiest SECONDS]
import fs from 'node:fs';
import { parseArgs } from 'node:util';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, busiest: { type: 'string' } },
});
const top = Number(values.top);
/** Only the busiest window of this many seconds (the load, without start-up and seeding). */
const busiestUs = values.busiest ? Number(values.busiest) * 1e6 : null;
if (positionals.length === 0) {
  process.stderr.write('usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [--top 25]\n');
  process.exit(2);
}

function where(url: string): string {
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `npm:${nm[1]}`;
  if (url.startsWith('node:')) return url;
  const own = /\/((?:src|bench|test)\/.*)$/.exec(url);
  if (own) return own[1]!;
  return url || '(native/vm)';
}

for (const file of positionals) {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  const idleIds = new Set(p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  let from = 0;
  let to = p.samples.length;
  if (busiestUs !== null) {
    // Two pointers over the samples: the window of busiestUs with the most non-idle time.
    const at: number[] = [];
    p.timeDeltas.reduce((t, d, i) => (at[i] = t + d), 0);
    let best = -1;
    let busyIn = 0;
    for (let lo = 0, hi = 0; hi < p.samples.length; hi++) {
      if (!idleIds.has(p.samples[hi]!)) busyIn += p.timeDeltas[hi] ?? 0;
      while (at[hi]! - at[lo]! > busiestUs) {
        if (!idleIds.has(p.samples[lo]!)) busyIn -= p.timeDeltas[lo] ?? 0;
        lo++;
      }
      if (busyIn > best) [best, from, to] = [busyIn, lo, hi + 1];
    }
  }
  for (let i = from; i < to; i++) selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idle = [...selfUs]
    .filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)')
    .reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;

  const fnSelf = new Map<string, number>();
  const fileSelf = new Map<string, number>();
  const ownInclusive = new Map<string, number>();
  for (const [id, t] of selfUs) {
    const n = byId.get(id)!;
    if (n.callFrame.functionName === '(idle)') continue;
    const key = `${n.callFrame.functionName || '(anonymous)'}  ${where(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
    fnSelf.set(key, (fnSelf.get(key) ?? 0) + t);
    const w = where(n.callFrame.url);
    fileSelf.set(w, (fileSelf.get(w) ?? 0) + t);
    // Inclusive time of the project's functions (src/): each sample counted once per function on its stack.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur)!.callFrame;
      const w2 = where(cf.url);
      if (!w2.startsWith('src/')) continue;
      const k = `${cf.functionName || '(anonymous)'}  ${w2}:${cf.lineNumber + 1}`;
      if (seen.has(k)) continue;
      seen.add(k);
      ownInclusive.set(k, (ownInclusive.get(k) ?? 0) + t);
    }
  }
  const pct = (t: number) => `${((100 * t) / busy).toFixed(1).padStart(5)}%`;
  const list = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, t]) => `  ${pct(t)}  ${k}`)
      .join('\n');
  process.stdout.write(
    [
      `${file}: ${(total / 1e6).toFixed(1)} s profiled, ${(busy / 1e6).toFixed(1)} s busy (${((100 * busy) / total).toFixed(0)}%); percentages are of busy time`,
      `self time by function (top ${top}):`,
      list(fnSelf, top),
      'self time by file or package:',
      list(fileSelf, 20),
      'inclusive time of src/ functions:',
      list(ownInclusive, top),
      '',
    ].join('\n'),
  );
}
