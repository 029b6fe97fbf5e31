import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { DOCS_DIR, README, ROOT, anchors, markdownFiles, proseLines, read, slug } from './doc-files.js';

/** `[text](target)` links of the prose (not inside code blocks or inline code). */
function links(md: string): { target: string; n: number }[] {
  const out: { target: string; n: number }[] = [];
  for (const { line, n } of proseLines(md)) {
    const bare = line.replace(/`[^`]*`/g, '``');
    for (const m of bare.matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) out.push({ target: m[1]!, n });
  }
  return out;
}

describe('docs: links', () => {
  const files = markdownFiles();

  it('finds the README and the docs pages', () => {
    assert.ok(files.length >= 15, files.join(', '));
    assert.equal(slug('Client order ids: `<prefix>.<epoch>.<sequence>`'), 'client-order-ids-prefixepochsequence');
    assert.equal(slug('`bot4 status | orders`'), 'bot4-status--orders');
  });

  it('every relative link resolves to a file in the repository and every #anchor to a heading', () => {
    const bad: string[] = [];
    for (const file of files) {
      const md = read(file);
      for (const { target, n } of links(md)) {
        const where = `${path.relative(ROOT, file)}:${n}: ${target}`;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
        const [p = '', anchor] = target.split('#', 2) as [string, string | undefined];
        const dest = p === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(p));
        if (!dest.startsWith(ROOT + path.sep)) {
          bad.push(`${where} (outside the repository)`);
          continue;
        }
        if (!existsSync(dest)) {
          bad.push(`${where} (no such file)`);
          continue;
        }
        if (anchor !== undefined) {
          if (!statSync(dest).isFile() || !dest.endsWith('.md')) bad.push(`${where} (anchor into a non-markdown file)`);
          else if (!anchors(read(dest)).has(anchor)) bad.push(`${where} (no heading #${anchor})`);
        }
      }
    }
    assert.deepEqual(bad, []);
  });

  it('every docs page is linked from the README', () => {
    const linked = new Set(links(read(README)).map((l) => path.resolve(ROOT, l.target.split('#')[0]!)));
    const missing = files.filter((f) => f.startsWith(DOCS_DIR) && !linked.has(f)).map((f) => path.relative(ROOT, f));
    assert.deepEqual(missing, [], 'docs pages the README does not link');
  });

  it('no page is over ~400 lines and the README is at most 300', () => {
    const long = files.filter((f) => read(f).split('\n').length > (f === README ? 301 : 420)).map((f) => `${path.relative(ROOT, f)}: ${read(f).split('\n').length}`);
    assert.deepEqual(long, []);
  });

  it('nothing refers to files outside the repository', () => {
    const bad: string[] = [];
    // Absolute paths of someone's machine; TARGETS.md (the Phase 1 review's document) is not in the repository.
    const outside = (file: string): RegExp => (file.endsWith('BENCHMARKS.md') ? /\/work\/|\/home\/|\/Users\// : /\/work\/|\/home\/|\/Users\/|TARGETS\.md/);
    for (const file of [...files, path.join(ROOT, 'BENCHMARKS.md')]) {
      read(file)
        .split('\n')
        .forEach((line, i) => {
          if (outside(file).test(line)) bad.push(`${path.relative(ROOT, file)}:${i + 1}: ${line.trim().slice(0, 100)}`);
        });
    }
    assert.deepEqual(bad, []);
  });
});
