import { PerformanceObserver } from 'node:perf_hooks';

/**
 * Shared helpers for `bench/*.bench.ts`. Each benchmark owns one section of BENCHMARKS.md,
 * delimited by `<!-- bench:NAME -->` markers, and rewrites only that section, stamped with the
 * machine and the date, so benches can run one at a time or all together.
 */
export { BENCHMARKS_FILE, machineLine, writeSection } from '../common/benchmarks-md.js';

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Markdown table from a header and rows. */
export function table(header: string[], rows: (string | number)[][]): string {
  const line = (r: (string | number)[]): string => `| ${r.map(String).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Counts GC events while `fn` runs (PerformanceObserver on 'gc' entries). */
export async function countGc(fn: () => void | Promise<void>): Promise<number> {
  let n = 0;
  const obs = new PerformanceObserver((list) => {
    n += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  await fn();
  // gc entries are delivered asynchronously
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  return n;
}

/** Formats nanoseconds human-readably. */
export function fmtNs(ns: number): string {
  if (ns < 1e3) return `${ns.toFixed(1)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(2)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(2)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

/** Resolves with the first stdout line of a child process (its ready line); rejects if it exits first. */
export function firstLine(child: import('node:child_process').ChildProcess, what: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) resolve(buf.slice(0, i));
    });
    child.once('exit', (c) => reject(new Error(`${what} exited ${c}`)));
  });
}
