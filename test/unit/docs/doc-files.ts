import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the documentation and the sources are, for the doc tests. Paths are built here, one
 * constant per folder, so a move of a folder is one edit.
 */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The reference pages. */
export const DOCS_DIR = path.join(ROOT, 'docs');
/** The README (overview, example, architecture map, links). */
export const README = path.join(ROOT, 'README.md');

/** Every source folder whose `B4_*` codes must be in docs/errors.md. */
export const SOURCE_DIRS = ['common', 'native', 'actors', 'gateway', 'simulators', 'daemon', 'bin', 'chaos', 'cluster'].map((d) => path.join(ROOT, d));

/** The page holding each subject (tests of that subject read it). */
export const DOC = {
  cli: path.join(DOCS_DIR, 'cli.md'),
  config: path.join(DOCS_DIR, 'config.md'),
  daemon: path.join(DOCS_DIR, 'daemon.md'),
  errors: path.join(DOCS_DIR, 'errors.md'),
  risk: path.join(DOCS_DIR, 'risk.md'),
  strategies: path.join(DOCS_DIR, 'strategies.md'),
  wsApi: path.join(DOCS_DIR, 'ws-api.md'),
  journal: path.join(DOCS_DIR, 'journal.md'),
  simulator: path.join(DOCS_DIR, 'simulator.md'),
} as const;

/** Reads a file as UTF-8. */
export function read(file: string): string {
  return readFileSync(file, 'utf8');
}

/** README.md and every `docs/*.md`, absolute paths. */
export function markdownFiles(): string[] {
  return [README, ...readdirSync(DOCS_DIR).filter((f) => f.endsWith('.md')).sort().map((f) => path.join(DOCS_DIR, f))];
}

/** Every `.ts`/`.c`/`.js` file under `dir` (recursively); nothing when `dir` does not exist. */
export function* sourceFiles(dir: string): Generator<string> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) yield* sourceFiles(p);
    else if (/\.(ts|c|js|mjs)$/.test(name)) yield p;
  }
}

/** Lines of `md` outside fenced code blocks, with their 1-based line numbers. */
export function proseLines(md: string): { line: string; n: number }[] {
  const out: { line: string; n: number }[] = [];
  let fence = false;
  md.split('\n').forEach((line, i) => {
    if (/^\s*```/.test(line)) {
      fence = !fence;
      return;
    }
    if (!fence) out.push({ line, n: i + 1 });
  });
  return out;
}

/** GitHub's anchor of a heading text: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of every heading of `md`, numbered like GitHub's for repeated headings. */
export function anchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const { line } of proseLines(md)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/**
 * The section of `md` from the heading whose text is `heading` (any level) to the next heading of
 * the same or a higher level.
 */
export function section(md: string, heading: string): string {
  const lines = md.split('\n');
  let fence = false;
  let start = -1;
  let level = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*```/.test(line)) fence = !fence;
    if (fence) continue;
    const m = /^(#{1,6})\s+(.*?)\s*$/.exec(line);
    if (!m) continue;
    if (start < 0) {
      if (m[2] === heading) {
        start = i;
        level = m[1]!.length;
      }
    } else if (m[1]!.length <= level) {
      return lines.slice(start, i).join('\n');
    }
  }
  if (start < 0) throw new Error(`no heading ${JSON.stringify(heading)}`);
  return lines.slice(start).join('\n');
}
