import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_STRATEGIES } from '../../../../actors/strategy/index.js';

const readme = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../README.md'), 'utf8');

/** Rows `| \`param\` | \`default\` | ... |` of the table under `#### \`name\`` in the Strategies section. */
function table(name: string): Map<string, string> {
  const start = readme.indexOf('<!-- section:strategy -->');
  const end = readme.indexOf('<!-- /section:strategy -->');
  assert.ok(start >= 0 && end > start, 'README has a Strategies section');
  const section = readme.slice(start, end);
  const at = section.indexOf(`#### \`${name}\``);
  assert.ok(at >= 0, `README documents ${name}`);
  const rest = section.slice(at).split('\n').slice(1);
  const next = rest.findIndex((l) => l.startsWith('#'));
  const rows = new Map<string, string>();
  for (const line of next < 0 ? rest : rest.slice(0, next)) {
    const m = /^\| `([A-Za-z]+)` \| `([^`]*)` \|/.exec(line);
    if (m) rows.set(m[1]!, m[2]!);
  }
  return rows;
}

describe('strategy/README', () => {
  for (const b of Object.values(BUILTIN_STRATEGIES)) {
    it(`the ${b.name} params table matches its defaults`, () => {
      const rows = table(b.name);
      assert.deepEqual([...rows.keys()].sort(), Object.keys(b.defaults).sort());
      for (const [k, v] of Object.entries(b.defaults)) assert.equal(rows.get(k), JSON.stringify(v), k);
    });
  }
});
