import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * BENCHMARKS.md, section by section: each benchmark (and `bot4 chaos summary --bench`) owns one
 * section delimited by `<!-- bench:NAME -->` markers and rewrites only that one, stamped with the
 * machine and the date. Here rather than in bench/ because the CLI writes a section too and bin/
 * never imports bench/.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BENCHMARKS_FILE = path.join(root, 'BENCHMARKS.md');

/** One line describing this machine (CPU model, cores, memory, Node). */
export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu.trim()}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}`;
}

/** Replaces (or appends) the section `name` of BENCHMARKS.md with `markdown`. */
export function writeSection(name: string, title: string, markdown: string): void {
  const begin = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const stamp = `_Measured ${new Date().toISOString()} on ${machineLine()}._`;
  const block = `${begin}\n## ${title}\n\n${stamp}\n\n${markdown.trim()}\n${end}`;
  let text = existsSync(BENCHMARKS_FILE)
    ? readFileSync(BENCHMARKS_FILE, 'utf8')
    : '# bot4 benchmarks\n\nWritten by `npm run bench` (each section by its own `bench/*.bench.ts`). Medians and ratios are against peers measured in the same run.\n';
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) text = text.slice(0, i) + block + text.slice(j + end.length);
  else text = `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(BENCHMARKS_FILE, text.endsWith('\n') ? text : `${text}\n`);
  console.log(`BENCHMARKS.md: section ${name} written`);
}

