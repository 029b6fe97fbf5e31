import assert from 'node:assert/strict';
import path from 'node:path';
import { DOC, ROOT, SOURCE_DIRS, read, sourceFiles } from './docs/doc-files.js';

/** Rows `| \`CODE\` | …` of docs/errors.md: the one table of every code. */
function tableCodes(): Set<string> {
  const codes = new Set<string>();
  for (const m of read(DOC.errors).matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)) codes.add(m[1]!);
  return codes;
}

/** Quoted string literals of the sources matching `re`, with the first file each was seen in. */
function literals(re: RegExp): Map<string, string> {
  const out = new Map<string, string>();
  for (const dir of SOURCE_DIRS) {
    for (const f of sourceFiles(dir)) {
      for (const m of read(f).matchAll(re)) if (!out.has(m[1]!)) out.set(m[1]!, path.relative(ROOT, f));
    }
  }
  return out;
}

/** Denial and refusal codes: the prefixes of every set (risk, venue, order, journal, strategy, engine API). */
const DENIAL = /['"`]((?:RISK|VENUE|ORDER|JOURNAL|STRATEGY|ENGINE|API|DUPLICATE|UNKNOWN|CANCEL)_[A-Z0-9_]+)['"`]/g;
/** Literals with those prefixes that are not codes (defaults objects, the approval marker, env suffixes). */
const NOT_CODES = /_DEFAULTS$|^RISK_OK$|^API_KEY$|^API_SECRET$/;

describe('docs/errors.md', () => {
  it('scans every source folder, daemon/, bin/ and the chaos code included', () => {
    const dirs = SOURCE_DIRS.map((d) => path.relative(ROOT, d));
    for (const d of ['common', 'native', 'actors', 'gateway', 'simulators', 'daemon', 'bin']) assert.ok(dirs.includes(d), d);
    assert.ok(dirs.includes('chaos'));
    const b4 = literals(/['"`](B4_[A-Z0-9_]+)['"`]/g);
    for (const prefix of ['B4_DAEMON_', 'B4_CHAOS_', 'B4_CLI_', 'B4_SIM_', 'B4_NET_', 'B4_JOURNAL_']) {
      assert.ok([...b4.keys()].some((c) => c.startsWith(prefix)), `no ${prefix}* code found in the sources: is a folder missing from SOURCE_DIRS?`);
    }
  });

  it('has a row for every B4_* error code used in the sources', () => {
    const table = tableCodes();
    const missing = [...literals(/['"`](B4_[A-Z0-9_]+)['"`]/g)].filter(([c]) => !table.has(c)).map(([c, f]) => `${c} (${f})`).sort();
    assert.deepEqual(missing, [], `error codes missing from docs/errors.md: ${missing.join(', ')}`);
  });

  it('has a row for every GW_* protocol code', () => {
    const table = tableCodes();
    const missing = [...literals(/['"`](GW_[A-Z0-9_]+)['"`]/g)].filter(([c]) => !table.has(c)).map(([c, f]) => `${c} (${f})`).sort();
    assert.deepEqual(missing, [], `gateway codes missing from docs/errors.md: ${missing.join(', ')}`);
  });

  it('has a row for every denial and refusal code (risk, venue, journal, strategy, engine API)', () => {
    const table = tableCodes();
    const found = [...literals(DENIAL)].filter(([c]) => !NOT_CODES.test(c));
    assert.ok(found.length >= 35, `only ${found.length} denial codes found`);
    const missing = found.filter(([c]) => !table.has(c)).map(([c, f]) => `${c} (${f})`).sort();
    assert.deepEqual(missing, [], `denial codes missing from docs/errors.md: ${missing.join(', ')}`);
  });

  it('lists no code twice and no code the sources do not have', () => {
    const rows = [...read(DOC.errors).matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]!);
    assert.deepEqual(rows.filter((c, i) => rows.indexOf(c) !== i), [], 'codes listed twice');
    const known = new Set([...literals(/['"`]([A-Z][A-Z0-9]*_[A-Z0-9_]+)['"`]/g).keys()]);
    assert.deepEqual(rows.filter((c) => !known.has(c)), [], 'codes in docs/errors.md that no source uses');
  });
});
