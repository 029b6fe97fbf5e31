import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromUnits, toUnits, unitsFast } from '../../../../actors/orders/instrument.js';
import { units, unitsNumber } from '../../../../actors/exchange/binance/instruments.js';

/** The exact bigint definitions (what toUnits/fromUnits computed before their double fast paths). */
const decimals = (s: string): number => (s.includes('.') ? s.length - s.indexOf('.') - 1 : 0);
const scaled = (s: string, d: number): bigint => {
  const [i = '0', f = ''] = s.split('.');
  return BigInt(i + f.padEnd(d, '0'));
};
function refToUnits(value: string, step: string): bigint | 'throws' {
  const re = /^\d+(\.\d+)?$/;
  if (!re.test(value) || !re.test(step)) return 'throws';
  const d = Math.max(decimals(value), decimals(step));
  const v = scaled(value, d);
  const s = scaled(step, d);
  if (s === 0n || v % s !== 0n) return 'throws';
  return v / s;
}
function refFromUnits(u: bigint, step: string): string {
  const d = decimals(step);
  const v = u * scaled(step, d);
  const neg = v < 0n;
  const abs = (neg ? -v : v).toString().padStart(d + 1, '0');
  const s = d === 0 ? abs : `${abs.slice(0, abs.length - d)}.${abs.slice(abs.length - d)}`;
  return neg ? `-${s}` : s;
}

const digits = (min: number, max: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
/** Plain decimals (short and long: past 2^53), and strings that are not plain decimals. */
const decimal = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(digits(1, 9), fc.option(digits(1, 10), { nil: undefined })).map(([i, f]) => (f === undefined ? i : `${i}.${f}`)) },
  { weight: 2, arbitrary: fc.tuple(digits(1, 20), digits(1, 12)).map(([i, f]) => `${i}.${f}`) },
  { weight: 1, arbitrary: fc.constantFrom('', '.', '1.', '.5', '-1', '1e-7', '1.2.3', ' 1', '0x10', '１') },
);
/** Steps as venues print them (0.01, 0.00001000, 1, 5, ...) and any decimal. */
const step = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 0, max: 12 }), fc.constantFrom('1', '5', '25'), fc.integer({ min: 0, max: 4 })).map(([d, m, z]) => (d === 0 ? m : `0.${'0'.repeat(d - 1)}${m}${'0'.repeat(z)}`)) },
  { weight: 1, arbitrary: decimal },
);

const plainStep = step.filter((s) => /^\d+(\.\d+)?$/.test(s));

describe('orders/instrument: exact decimal units, with a double fast path', () => {
  it('toUnits, units and unitsNumber answer exactly what the bigint definition answers (or throw where it refuses), for plain, long and malformed decimals', () => {
    fc.assert(
      fc.property(fc.oneof(decimal, fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 18n }), plainStep).map(([u, s]) => refFromUnits(u, s))), step, (value, st) => {
        const want = refToUnits(value, st);
        const fast = unitsFast(value, st);
        if (want === 'throws') {
          assert.equal(fast, -1);
          assert.throws(() => toUnits(value, st));
        } else {
          if (fast >= 0) assert.equal(BigInt(fast), want);
          assert.equal(toUnits(value, st), want);
          assert.equal(units(value, st, 'v'), want);
          assert.equal(unitsNumber(value, st, 'v'), Number(want));
        }
      }),
      { numRuns: 5000, seed: 21 },
    );
  });

  it('the fast path answers the usual venue strings (trailing zeros, 8 decimals) and leaves values past 2^53 to the bigint path', () => {
    assert.equal(unitsFast('0.01000000', '0.01'), 1);
    assert.equal(unitsFast('52000.00000000', '0.01'), 5_200_000);
    assert.equal(unitsFast('0.00100000', '0.00001'), 100);
    assert.equal(unitsFast('0', '0.01'), 0);
    assert.equal(unitsFast('0.015', '0.01'), -1); // not a multiple: toUnits throws
    assert.throws(() => toUnits('0.015', '0.01'), /expected a multiple of 0.01/);
    assert.equal(unitsFast('123456789012345678', '1'), -1);
    assert.equal(toUnits('123456789012345678', '1'), 123456789012345678n);
    assert.equal(unitsFast('5', '0'), -1);
    assert.throws(() => toUnits('5', '0'), /step: expected a positive decimal string/);
    // a step that is not a plain decimal is refused by the bigint path, whatever the count
    assert.throws(() => fromUnits(0, 'abc'));
    assert.throws(() => fromUnits(5, '1e-2'));
  });

  it('fromUnits formats exactly as the bigint definition for numbers and bigints, negative and past 2^53 included', () => {
    fc.assert(
      fc.property(fc.oneof(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.bigInt({ min: 0n, max: 10n ** 9n })), plainStep, fc.boolean(), (u, st, asNumber) => {
        const want = refFromUnits(u, st);
        if (asNumber && Number.isSafeInteger(Number(u))) assert.equal(fromUnits(Number(u), st), want);
        assert.equal(fromUnits(u, st), want);
      }),
      { numRuns: 5000, seed: 22 },
    );
  });
});
