import assert from 'node:assert/strict';
import path from 'node:path';
import { DOC, ROOT, read, section } from '../../docs/doc-files.js';
import { RISK_DEFAULTS } from '../../../../actors/risk/config.js';
import { DENIAL_CODES } from '../../../../actors/risk/decision.js';

/** docs/risk.md: the checks table and the defaults table. */
function riskSection(): string {
  const md = read(DOC.risk);
  return `${section(md, 'Checks')}\n${section(md, 'Configuration')}`;
}

describe('docs/risk.md: checks and defaults', () => {
  it('lists every denial code in the checks table', () => {
    const s = riskSection();
    const missing = DENIAL_CODES.filter((c) => !new RegExp(`^\\|.*\`${c}\``, 'm').test(s));
    assert.deepEqual(missing, [], `denial codes missing from the risk checks table of docs/risk.md: ${missing.join(', ')}`);
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
          assert.ok(r.includes(`\`rate\` ${rate.perSecond}/s burst ${rate.burst}`), `${field}.rate: docs/risk.md says "${r}", code ${JSON.stringify(v)}`);
        } else {
          assert.ok(new RegExp(`\`${k}\` ${String(v)}(,|$)`).test(r), `${field}.${k}: docs/risk.md says "${r}", code ${String(v)}`);
        }
      }
    };
    expectFields('defaults.instrument', RISK_DEFAULTS.instrument);
    expectFields('defaults.venue', RISK_DEFAULTS.venue);
    expectFields('defaults.strategy', RISK_DEFAULTS.strategy);
    expectFields('portfolio', RISK_DEFAULTS.portfolio);
    expectFields('correlation', RISK_DEFAULTS.correlation);
    expectFields('killSwitch', RISK_DEFAULTS.killSwitch);
    assert.ok(Object.values(RISK_DEFAULTS.checks).every((v) => v === true), 'docs/risk.md says every check defaults to true');
    assert.equal(row('checks'), 'every check `true`');
  });
});

describe('docs/risk.md: context.action', () => {
  it('documents every RiskAction, and the code still has exactly these', () => {
    const src = read(path.join(ROOT, 'actors', 'risk', 'risk-engine.ts'));
    const m = /export type RiskAction = ([^;]+);/.exec(src);
    assert.ok(m, 'RiskAction not found in actors/risk/risk-engine.ts');
    const actions = [...m[1]!.matchAll(/'([a-z]+)'/g)].map((a) => a[1]!);
    assert.deepEqual(actions, ['new', 'modify', 'cancel']);
    const s = section(read(DOC.risk), '`context.action`: new, modify, cancel');
    for (const a of actions) assert.match(s, new RegExp(`^\\| \`'${a}'\``, 'm'), `no row for context.action '${a}'`);
  });
});
