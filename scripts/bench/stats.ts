/**
 * Small measuring helpers shared by the benchmark sections: percentiles, CPU time of other
 * processes, formatting.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** Latency samples in milliseconds. */
export class Samples {
  private readonly values: number[] = [];

  add(ms: number): void {
    this.values.push(ms);
  }

  get count(): number {
    return this.values.length;
  }

  /** The p-th percentile (nearest rank), or NaN without samples. */
  percentile(p: number): number {
    if (!this.values.length) return Number.NaN;
    const sorted = [...this.values].sort((a, b) => a - b);
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[rank]!;
  }
}

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      ticksPerSecond = 100;
    }
    if (!Number.isFinite(ticksPerSecond) || ticksPerSecond <= 0) ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

/** CPU seconds (user + system) a process has used so far, from /proc; NaN when unreadable. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may hold spaces; fields after it are space-separated
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / clockTicks();
  } catch {
    return Number.NaN;
  }
}

/** Resident set size of a process in bytes, from /proc; NaN when unreadable. */
export function rssBytes(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds the whole machine has been busy (all cores; not idle, not waiting for I/O). */
export function machineBusySeconds(): number {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - ticks[3]! - ticks[4]!) / clockTicks();
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU use of several processes over a stretch of wall time, in cores (1.0 = one core busy),
 * and of everything else on the machine (`others`): other work on a shared machine skews
 * the figures, so the benchmark reports it.
 */
export class CpuMeter {
  private readonly start: Map<string, number>;
  private readonly machineStart = machineBusySeconds();
  private readonly startedAt = performance.now();

  constructor(private readonly pids: Record<string, number>) {
    this.start = new Map(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  }

  /** Cores used by each process since construction, and by all other processes (`others`). */
  read(): Record<string, number> {
    const wall = (performance.now() - this.startedAt) / 1_000;
    const out: Record<string, number> = {};
    let ours = 0;
    for (const [name, pid] of Object.entries(this.pids)) {
      out[name] = (cpuSeconds(pid) - this.start.get(name)!) / wall;
      ours += out[name]!;
    }
    out.others = Math.max(0, (machineBusySeconds() - this.machineStart) / wall - ours);
    return out;
  }
}

/** A number with a thousands separator and `digits` decimals. */
export function num(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** Bytes as B, KB or MB (1 KB = 1024 B). */
export function bytes(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) < 1024) return `${num(value)} B`;
  if (Math.abs(value) < 1024 * 1024) return `${num(value / 1024, 2)} KB`;
  return `${num(value / 1024 / 1024, 1)} MB`;
}

/** Integer from an environment variable, or the default. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
  return n;
}

/** List of integers from an environment variable (comma-separated; empty or `none`: no items), or the default. */
export function envInts(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  if (raw.trim() === '' || raw.trim() === 'none') return [];
  return raw.split(',').map((part) => {
    const n = Number(part.trim());
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must list non-negative integers`);
    return n;
  });
}

/** Waits `ms` milliseconds (benchmark pacing only). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
