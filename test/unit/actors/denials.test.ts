import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DENIALS,
  ORDER_DENIED_SOURCES,
  denialCodesOf,
  denialEntry,
  isDenialCode,
  type DenialCode,
  type DenialCodeOf,
  type DenialSource,
  type OrderDenied,
} from '../../../actors/messages.js';
import { DENIAL_CODES } from '../../../actors/risk/decision.js';
import { RISK_UNREACHABLE } from '../../../actors/strategy/strategy-actor.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SOURCES: readonly DenialSource[] = ['risk', 'venue', 'journal', 'strategy', 'engine', 'api'];

/** Every `.ts` file under `dir` (relative to the repo root). */
function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
}

describe('actors/denials: one table of every denial code', () => {
  it('every code appears exactly once, with at least one known source, a target and a meaning', () => {
    const seen = new Map<string, number>();
    for (const d of DENIALS) seen.set(d.code, (seen.get(d.code) ?? 0) + 1);
    const twice = [...seen].filter(([, n]) => n > 1).map(([c]) => c);
    assert.deepEqual(twice, [], `codes listed more than once: ${twice.join(', ')}`);
    for (const d of DENIALS) {
      assert.match(d.code, /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/, `${d.code}: upper snake case`);
      assert.ok(d.sources.length > 0, `${d.code}: no source`);
      assert.equal(new Set(d.sources).size, d.sources.length, `${d.code}: a source listed twice`);
      for (const s of d.sources) assert.ok(SOURCES.includes(s), `${d.code}: unknown source ${s}`);
      assert.ok(['order', 'cancel', 'strategy', 'venue'].includes(d.refuses), `${d.code}: refuses ${d.refuses}`);
      assert.ok(d.meaning.trim().length > 10, `${d.code}: no meaning`);
    }
  });

  it('every source has codes, and only order refusals can be published as order.denied', () => {
    for (const s of SOURCES) assert.ok(denialCodesOf(s).length > 0, `no code for source ${s}`);
    for (const s of ORDER_DENIED_SOURCES) for (const c of denialCodesOf(s)) assert.equal(denialEntry(c).refuses, 'order', c);
  });

  it("the risk engine's DENIAL_CODES are exactly the table's risk rows; VENUE_UNAVAILABLE belongs to risk and venue", () => {
    assert.deepEqual([...DENIAL_CODES], DENIALS.filter((d) => (d.sources as readonly string[]).includes('risk')).map((d) => d.code));
    assert.deepEqual([...denialEntry('VENUE_UNAVAILABLE').sources].sort(), ['risk', 'venue']);
    assert.deepEqual(denialCodesOf('journal'), ['JOURNAL_FAILED', 'REPLICATION_FAILED', 'LEASE_STALE']);
    assert.deepEqual(denialCodesOf('strategy'), [RISK_UNREACHABLE]);
  });

  it('isDenialCode accepts the table and nothing else (the README once said RISK_MAX_NOTIONAL)', () => {
    for (const d of DENIALS) assert.ok(isDenialCode(d.code), d.code);
    for (const bad of ['RISK_MAX_NOTIONAL', 'KILL_SWITCH_HALTED', 'RISK_OK', 'risk_halted', '', 42, undefined]) assert.equal(isDenialCode(bad), false, String(bad));
  });

  it('every literal reason code in actors/ and daemon/ (replies, code tables) is in the table', () => {
    const unknown: string[] = [];
    for (const f of [...sources('actors'), ...sources('daemon')]) {
      const text = readFileSync(path.join(ROOT, f), 'utf8');
      // `reason: 'CODE'` in replies; `CODE: 'CODE'` in a code table such as the venue actor's.
      for (const m of text.matchAll(/\breason: '([A-Z][A-Z0-9_]+)'|\b([A-Z][A-Z0-9_]+): '\2'/g)) {
        const code = m[1] ?? m[2]!;
        if (!isDenialCode(code)) unknown.push(`${f}: ${code}`);
      }
    }
    assert.deepEqual(unknown, [], `codes not in actors/denials.ts: ${unknown.join(', ')}`);
  });
});

/**
 * Compile-time checks (run by `tsc --noEmit`, part of `npm test`): each `@ts-expect-error` line
 * must fail to compile, or tsc reports the directive as unused. Never called.
 */
export function compileTimeChecks(intent: OrderDenied['intent']): void {
  const ok: DenialCode = 'RISK_NOTIONAL_MAX';
  // @ts-expect-error: not a denial code (the README's old spelling)
  const bad: DenialCode = 'RISK_MAX_NOTIONAL';
  const venue: DenialCodeOf<'venue'> = 'VENUE_UNAVAILABLE';
  // @ts-expect-error: a risk code is not a venue code
  const wrongSource: DenialCodeOf<'venue'> = 'RISK_HALTED';
  const d: OrderDenied = { source: 'risk', code: 'VENUE_UNAVAILABLE', intent, detail: '', tNs: 0 };
  // @ts-expect-error: JOURNAL_FAILED is the journal's, not the venue actor's
  const d2: OrderDenied = { source: 'venue', code: 'JOURNAL_FAILED', intent, detail: '', tNs: 0 };
  // @ts-expect-error: an API code is never published as order.denied
  const d3: OrderDenied = { source: 'api', code: 'ENGINE_NOT_RUNNING', intent, detail: '', tNs: 0 };
  void [ok, bad, venue, wrongSource, d, d2, d3];
}
