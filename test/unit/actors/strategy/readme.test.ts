import assert from 'node:assert/strict';
import { DOC, read } from '../../docs/doc-files.js';
import { BUILTIN_STRATEGIES } from '../../../../actors/strategy/index.js';

const doc = read(DOC.strategies);

/** Rows `| \`param\` | \`default\` | ... |` of the table under `### \`name\`` in docs/strategies.md. */
function table(name: string): Map<string, string> {
  const section = doc.slice(doc.indexOf('\n## Built-ins\n'));
  const at = section.indexOf(`### \`${name}\``);
  assert.ok(at >= 0, `docs/strategies.md documents ${name}`);
  const rest = section.slice(at).split('\n').slice(1);
  const next = rest.findIndex((l) => l.startsWith('#'));
  const rows = new Map<string, string>();
  for (const line of next < 0 ? rest : rest.slice(0, next)) {
    const m = /^\| `([A-Za-z]+)` \| `([^`]*)` \|/.exec(line);
    if (m) rows.set(m[1]!, m[2]!);
  }
  return rows;
}

describe('docs/strategies.md: built-in params', () => {
  for (const b of Object.values(BUILTIN_STRATEGIES)) {
    it(`the ${b.name} params table matches its defaults`, () => {
      const rows = table(b.name);
      assert.deepEqual([...rows.keys()].sort(), Object.keys(b.defaults).sort());
      for (const [k, v] of Object.entries(b.defaults)) assert.equal(rows.get(k), JSON.stringify(v), k);
    });
  }
});
