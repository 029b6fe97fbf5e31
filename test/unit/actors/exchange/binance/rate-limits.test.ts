import assert from 'node:assert/strict';
import { pino } from 'pino';
import { SimulatedClock } from '../../../../../common/clock.js';
import { applyBinanceRateLimits, parseBinanceRateLimits } from '../../../../../actors/exchange/binance/rate-limits.js';
import { WeightBudget } from '../../../../../actors/exchange/weight-budget.js';

/** Binance spot's `exchangeInfo.rateLimits` as published. */
const BINANCE = [
  { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
  { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
  { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 200000 },
  { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
];

/** A logger whose lines the test reads. */
function capture(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, lines };
}

describe('exchange/binance/rate-limits: exchangeInfo rateLimits', () => {
  it("parses Binance's published list; RAW_REQUESTS is reported, not budgeted", () => {
    const p = parseBinanceRateLimits(BINANCE);
    assert.deepEqual(p.limits, { weight: { limit: 6000, windowMs: 60_000 }, orders: { limit: 100, windowMs: 10_000 }, ordersLong: { limit: 200_000, windowMs: 86_400_000 } });
    assert.deepEqual(p.notes, []);
    assert.deepEqual(p.unbudgeted, ['RAW_REQUESTS 61000 per 5 min']);
  });

  it('a missing or malformed list gives no limits and says why', () => {
    assert.deepEqual(parseBinanceRateLimits(undefined), { limits: {}, notes: ['exchangeInfo.rateLimits: expected a list, got nothing'], unbudgeted: [] });
    assert.match(parseBinanceRateLimits({ a: 1 }).notes[0]!, /expected a list, got \{"a":1\}/);
  });

  const bad: [unknown, RegExp][] = [
    ['x', /rateLimits\[0\]: expected an object, got "x"; ignored/],
    [{ rateLimitType: 'ORDERS', interval: 'WEEK', intervalNum: 1, limit: 5 }, /rateLimits\[0\]\.interval: expected one of SECOND, MINUTE, HOUR, DAY, got "WEEK"; ignored/],
    [{ rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 0, limit: 5 }, /rateLimits\[0\]\.intervalNum: expected a whole number >= 1 .*, got 0; ignored/],
    [{ rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 31, limit: 5 }, /rateLimits\[0\]\.intervalNum: .*got 31; ignored/],
    [{ rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: '100' }, /rateLimits\[0\]\.limit: expected a whole number >= 1, got "100"; ignored/],
    [{ rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 0 }, /rateLimits\[0\]\.limit: expected a whole number >= 1, got 0; ignored/],
    [{ rateLimitType: 'CONNECTIONS', interval: 'SECOND', intervalNum: 1, limit: 5 }, /rateLimits\[0\]\.rateLimitType: expected REQUEST_WEIGHT, ORDERS or RAW_REQUESTS, got "CONNECTIONS"; ignored/],
  ];
  for (const [entry, re] of bad) {
    it(`skips ${JSON.stringify(entry)} with its reason`, () => {
      const p = parseBinanceRateLimits([entry]);
      assert.deepEqual(p.limits, {});
      assert.equal(p.notes.length, 1);
      assert.match(p.notes[0]!, re);
    });
  }

  it('keeps the strictest of several windows of one kind, noting the others', () => {
    const p = parseBinanceRateLimits([
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 200 },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 1, limit: 10 },
      { rateLimitType: 'ORDERS', interval: 'HOUR', intervalNum: 1, limit: 5000 },
    ]);
    assert.deepEqual(p.limits, { orders: { limit: 10, windowMs: 1000 }, ordersLong: { limit: 5000, windowMs: 3_600_000 } });
    assert.deepEqual(p.notes, ['exchangeInfo.rateLimits[0]: 200 per 10 s is looser than [1] (10 per 1 s), which the budget keeps']);
  });

  it("budgets a limit above the budget's maximum at that maximum", () => {
    const p = parseBinanceRateLimits([{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 5_000_000_000 }]);
    assert.deepEqual(p.limits.weight, { limit: 1_000_000_000, windowMs: 60_000 });
    assert.match(p.notes[0]!, /5000000000 is above the budget's maximum; budgeted as 1000000000/);
  });

  it('applies them to the budget and logs each fallback with its reason and the budget applied', () => {
    const { log, lines } = capture();
    const b = new WeightBudget({ ordersPer10s: 40 }, new SimulatedClock());
    applyBinanceRateLimits(b, [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 12000 }, { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 'lots' }], log);
    assert.equal(b.weightLimit, 9600, 'venue 12000 x 0.8');
    assert.equal(b.orderLimit, 32, 'config 40 x 0.8');
    assert.equal(b.ordersLongLimit, 160_000, 'default 200000 x 0.8');
    const warns = lines.filter((l) => l.level === 40).map((l) => String(l.reason));
    assert.equal(warns.length, 2, warns.join('\n'));
    assert.match(warns[0]!, /rateLimits\[1\]\.limit: expected a whole number >= 1, got "lots"; ignored/);
    assert.match(warns[1]!, /ordersPerDay: the venue advertises no usable limit of this kind; keeping the default 200000 per 1 d/);
    const info = lines.find((l) => l.msg === 'venue rate budget')!;
    assert.deepEqual([info.weight, info.orders, info.ordersLong], ['9600 per 1 min (venue 12000 x headroom 0.8)', '32 per 10 s (config 40 x headroom 0.8)', '160000 per 1 d (default 200000 x headroom 0.8)']);
  });
});
