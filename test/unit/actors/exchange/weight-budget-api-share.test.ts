import assert from 'node:assert/strict';
import { SimulatedClock } from '../../../../common/clock.js';
import { ConfigError } from '../../../../common/errors.js';
import { AtomicCounters } from '../../../../native/atomic-counters.js';
import { DEFAULT_API_SHARE, WEIGHT_BUDGET_SLOTS, WeightBudget } from '../../../../actors/exchange/weight-budget.js';

describe('exchange/weight-budget: the API share of the order budget', () => {
  const start = Date.UTC(2026, 0, 1);

  it('stops the strategies at limit × (1 − apiShare) and keeps the rest for API orders', () => {
    const clock = new SimulatedClock({ startEpochMs: start });
    const b = new WeightBudget({ ordersPer10s: 100, headroom: 0.8 }, clock);
    assert.equal(b.apiShare, DEFAULT_API_SHARE);
    assert.equal(b.orderLimit, 80);
    assert.equal(b.strategyOrderLimit, 64, 'floor(80 × 0.8)');
    let strategy = 0;
    for (let i = 0; i < 200; i++) if (b.tryOrder(i % 2 === 0 ? 'mm-btc' : 'pairs-btc')) strategy++;
    assert.equal(strategy, 64, 'the demo strategies spend only their share');
    assert.equal(b.tryOrder('mm-btc'), false);
    assert.match(b.orderLimitText('mm-btc'), /^64 of 80 per 10 s and 128000 of 160000 per 1 d \(the rest is kept for api\)$/);
    let api = 0;
    for (let i = 0; i < 50; i++) if (b.tryOrder('api')) api++;
    assert.equal(api, 16, 'the API gets the reserved rest of the window');
    assert.equal(b.tryOrder('api'), false, 'and no more than the venue limit');
    clock.advance(10_000);
    assert.equal(b.tryOrder('mm-btc'), true, 'a new window serves the strategies again');
  });

  it('lets API orders use the whole limit when the strategies are quiet', () => {
    const b = new WeightBudget({ ordersPer10s: 10, headroom: 1, apiShare: 0.5, apiStrategies: ['api', 'manual'] }, new SimulatedClock({ startEpochMs: start }));
    let n = 0;
    for (let i = 0; i < 20; i++) if (b.tryOrder(i % 2 === 0 ? 'api' : 'manual')) n++;
    assert.equal(n, 10);
    assert.equal(b.tryOrder('mm'), false);
  });

  it('applies the share to the long window too, and gives the short one back when the long is spent', () => {
    const clock = new SimulatedClock({ startEpochMs: start });
    const block = AtomicCounters.create(WEIGHT_BUDGET_SLOTS);
    const b = new WeightBudget({ ordersPer10s: 100, ordersPerDay: 10, headroom: 1, apiShare: 0.5 }, clock, block);
    let n = 0;
    for (let i = 0; i < 20; i++) if (b.tryOrder('mm')) n++;
    assert.equal(n, 5, 'floor(10 × 0.5) per day for the strategies');
    for (let i = 0; i < 20; i++) if (b.tryOrder('api')) n++;
    assert.equal(n, 10);
    assert.equal(block.load(1) % 2 ** 32, 10, 'refused orders took nothing from the short window');
  });

  it('apiShare 0 is no reserve; the strategy share is never below 1', () => {
    const clock = new SimulatedClock({ startEpochMs: start });
    const none = new WeightBudget({ ordersPer10s: 10, headroom: 1, apiShare: 0 }, clock);
    assert.equal(none.strategyOrderLimit, 10);
    assert.equal(none.orderLimitText('mm'), '10 per 10 s and 200000 per 1 d');
    const tiny = new WeightBudget({ ordersPer10s: 1, headroom: 1, apiShare: 0.9 }, clock);
    assert.equal(tiny.strategyOrderLimit, 1);
  });

  it('validates apiShare and apiStrategies, naming the field', () => {
    const clock = new SimulatedClock();
    assert.throws(() => new WeightBudget({ apiShare: 0.95 }, clock), (e: unknown) => e instanceof ConfigError && /venues\.limits\.apiShare: expected a value <= 0\.9, got 0\.95/.test(e.message));
    assert.throws(() => new WeightBudget({ apiShare: -0.1 }, clock), (e: unknown) => e instanceof ConfigError && /venues\.limits\.apiShare/.test(e.message));
    assert.throws(() => new WeightBudget({ apiStrategies: [''] }, clock), (e: unknown) => e instanceof ConfigError && /venues\.limits\.apiStrategies\.0/.test(e.message));
    assert.throws(() => new WeightBudget({ apiStrategies: 'api' } as never, clock), (e: unknown) => e instanceof ConfigError && /venues\.limits\.apiStrategies/.test(e.message));
  });
});
