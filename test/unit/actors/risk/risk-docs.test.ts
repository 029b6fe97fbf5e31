import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RISK_DEFAULTS } from '../../../../actors/risk/config.js';
import { DENIAL_CODES } from '../../../../actors/risk/decision.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The README's risk section (from its heading to the next `## `). */
function riskSection(): string {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Risk engine and kill switch\n');
  assert.ok(start >= 0, 'README has no "Risk engine and kill switch" section');
  const end = readme.indexOf('\n## ', start + 5);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('README: risk engine section', () => {
  it('lists every denial code in the checks table', () => {
    const s = riskSection();
    const missing = DENIAL_CODES.filter((c) => !new RegExp(`^\\|.*\`${c}\``, 'm').test(s));
    assert.deepEqual(missing, [], `denial codes missing from the README's risk checks table: ${missing.join(', ')}`);
  });

  it('states every default of RISK_DEFAULTS as the code has it', () => {
    const s = riskSection();
    const row = (field: string): string => {
      const m = new RegExp(`^\\| \`${field.replace('.', '\\.')}\` \\| (.*) \\|$`, 'm').exec(s);
      assert.ok(m, `no defaults row for ${field}`);
      return m[1]!;
    };
    assert.equal(row('atom'), `\`${RISK_DEFAULTS.atom}\``);
    const expectFields = (field: string, o: Record<string, unknown>): void => {
      const r = row(field);
      for (const [k, v] of Object.entries(o)) {
        if (k === 'rate') {
          const rate = v as { perSecond: number; burst: number };
          assert.ok(r.includes(`\`rate\` ${rate.perSecond}/s burst ${rate.burst}`), `${field}.rate: README says "${r}", code ${JSON.stringify(v)}`);
        } else {
          assert.ok(new RegExp(`\`${k}\` ${String(v)}(,|$)`).test(r), `${field}.${k}: README says "${r}", code ${String(v)}`);
        }
      }
    };
    expectFields('defaults.instrument', RISK_DEFAULTS.instrument);
    expectFields('defaults.venue', RISK_DEFAULTS.venue);
    expectFields('defaults.strategy', RISK_DEFAULTS.strategy);
    expectFields('portfolio', RISK_DEFAULTS.portfolio);
    expectFields('correlation', RISK_DEFAULTS.correlation);
    expectFields('killSwitch', RISK_DEFAULTS.killSwitch);
    assert.ok(Object.values(RISK_DEFAULTS.checks).every((v) => v === true), 'README says every check defaults to true');
    assert.equal(row('checks'), 'every check `true`');
  });
});
