import assert from 'node:assert/strict';
import { parseOptions, z } from '../../../common/validate.js';
import { ConfigError } from '../../../common/errors.js';

const schema = z.strictObject({
  windowSize: z.number().int().min(1).default(100),
  mode: z.enum(['count', 'time']).default('count'),
});

describe('parseOptions', () => {
  it('applies defaults and freezes the result', () => {
    const o = parseOptions(schema, undefined, 'breaker');
    assert.deepEqual(o, { windowSize: 100, mode: 'count' });
    assert.ok(Object.isFrozen(o));
  });

  const cases: [unknown, string][] = [
    [{ windowSize: 0 }, 'breaker.windowSize: expected a value >= 1, got 0'],
    [{ windowSize: '1e9x' }, 'breaker.windowSize: expected a number, got "1e9x"'],
    [{ windowSize: 1.5 }, 'breaker.windowSize: expected an integer, got 1.5'],
    [{ mode: 'x' }, 'breaker.mode: expected one of "count", "time", got "x"'],
    [{ extra: 1 }, 'breaker: expected no unknown keys (extra), got {"extra":1}'],
  ];
  for (const [input, message] of cases) {
    it(`names field, expectation and value: ${message}`, () => {
      assert.throws(
        () => parseOptions(schema, input, 'breaker'),
        (e: unknown) => e instanceof ConfigError && e.code === 'B4_CONFIG_INVALID' && e.message === message,
      );
    });
  }
});
