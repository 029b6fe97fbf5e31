import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sourceDirs = ['common', 'native', 'actors', 'gateway', 'simulators', 'bin'];

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (/\.(ts|c)$/.test(name)) yield p;
  }
}

describe('README', () => {
  it('documents every error code used in the sources', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const codes = new Set<string>();
    for (const d of sourceDirs) {
      let exists = true;
      try {
        statSync(path.join(root, d));
      } catch {
        exists = false;
      }
      if (!exists) continue;
      for (const f of files(path.join(root, d))) {
        for (const m of readFileSync(f, 'utf8').matchAll(/['"`](B4_[A-Z0-9_]+)['"`]/g)) codes.add(m[1]!);
      }
    }
    assert.ok(codes.size > 0);
    const missing = [...codes].filter((c) => !readme.includes(`\`${c}\``)).sort();
    assert.deepEqual(missing, [], `error codes missing from README's table: ${missing.join(', ')}`);
  });
});
