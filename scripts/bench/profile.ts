/**
 * Summarises a V8 CPU profile (`.cpuprofile`, as `node --cpu-prof` or the inspector writes
 * it): self time by function and by the package or source folder the code lives in.
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** The subset of the V8 profile format the summary reads. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** One row of a summary: a name and its share of the sampled time. */
export interface ProfileRow {
  name: string;
  ms: number;
  share: number;
}

/** Self time of the heaviest functions and of each code area. */
export interface ProfileSummary {
  totalMs: number;
  functions: ProfileRow[];
  areas: ProfileRow[];
}

/** Where a function's code lives: a package, a source folder, node's internals or V8. */
export function areaOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(garbage collector)') return 'V8: garbage collector';
    if (functionName === '(idle)') return 'idle (waiting for I/O)';
    if (functionName === '(program)') return 'V8: program (native, compiler)';
    return `native: ${functionName || '(anonymous)'}`;
  }
  // the innermost package: nested node_modules belong to the package that bundles them
  const pkgs = [...url.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)];
  if (pkgs.length) return `npm: ${pkgs[pkgs.length - 1]![1]}`;
  if (url.startsWith('node:')) return `node: ${url.slice(5).split('/')[0]}`;
  const src = /\/(server\/[^/]+(?:\/[^/.]+)?)\//.exec(url) ?? /\/(server|scripts)\//.exec(url);
  if (src) return src[1]!;
  return url;
}

/** Reads a profile and sums self time per function and per area. */
export function summariseProfile(profile: CpuProfile, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const fns = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url ? url.replace(/^.*\/(node_modules\/|server\/|scripts\/)/, '$1') : '';
    // tsx compiles TypeScript without a source map the profiler applies: its lines mean nothing
    const where = file.endsWith('.ts') ? file : file && `${file}:${lineNumber + 1}`;
    const fn = `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    fns.set(fn, (fns.get(fn) ?? 0) + us);
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    total += us;
  }
  const rows = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1_000, share: total ? us / total : 0 }));
  return { totalMs: total / 1_000, functions: rows(fns), areas: rows(areas) };
}

/** Reads a `.cpuprofile` file. */
export function readProfile(file: string): CpuProfile {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
}

/** Prints a summary as two short tables. */
export function printSummary(summary: ProfileSummary, indent = '  '): void {
  const line = (r: ProfileRow) =>
    `${indent}${(r.share * 100).toFixed(1).padStart(5)} %  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`;
  console.log(`${indent}self time by area (of ${summary.totalMs.toFixed(0)} ms sampled):`);
  for (const r of summary.areas) console.log(line(r));
  console.log(`${indent}heaviest functions (self time):`);
  for (const r of summary.functions) console.log(line(r));
}
