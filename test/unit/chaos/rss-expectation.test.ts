import assert from 'node:assert/strict';
import { builtinScenarios, EXPECT_DEFAULTS, loadScenario } from '../../../chaos/scenario.js';

/**
 * Issue 16: every built-in scenario, full and CI variant, expects the engine's peak RSS at or
 * below 150 MB (the compiled daemon with its V8 flags peaks at ~110–135 MB in the CI variants,
 * BENCHMARKS.md "Chaos scenarios"), so a memory regression fails the chaos runs.
 */
describe('chaos scenarios: peak RSS expectation (issue 16)', () => {
  it('is at most 150 MB in every built-in scenario, full and --ci', () => {
    assert.ok(EXPECT_DEFAULTS.maxRssMb <= 150, `default ${EXPECT_DEFAULTS.maxRssMb}`);
    const names = builtinScenarios();
    assert.ok(names.length >= 5, names.join(','));
    for (const name of names) {
      for (const ci of [false, true]) {
        const s = loadScenario(name, { ci });
        assert.ok(s.expect.maxRssMb <= 150, `${name}${ci ? ' --ci' : ''}: maxRssMb ${s.expect.maxRssMb}`);
      }
    }
  });
});
