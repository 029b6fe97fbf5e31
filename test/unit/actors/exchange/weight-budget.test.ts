import assert from 'node:assert/strict';
import { SimulatedClock } from '../../../../common/clock.js';
import { ConfigError } from '../../../../common/errors.js';
import { AtomicCounters } from '../../../../native/atomic-counters.js';
import { WEIGHT_BUDGET_SLOTS, WeightBudget } from '../../../../actors/exchange/weight-budget.js';

describe('exchange/weight-budget', () => {
  it('spends at most headroom × limit per fixed window, then refuses until the window rolls', () => {
    const clock = new SimulatedClock({ startEpochMs: Date.UTC(2026, 0, 1) });
    const b = new WeightBudget({ weightPerMinute: 100, ordersPer10s: 10, headroom: 0.5 }, clock);
    assert.equal(b.weightLimit, 50);
    assert.equal(b.tryWeight(20), true);
    assert.equal(b.tryWeight(30), true);
    assert.equal(b.tryWeight(1), false, 'at the limit');
    assert.equal(b.usedWeight(), 50);
    clock.advance(b.msToNextWeightWindow());
    assert.equal(b.usedWeight(), 0);
    assert.equal(b.tryWeight(50), true);
    for (let i = 0; i < 5; i++) assert.equal(b.tryOrder(), true);
    assert.equal(b.tryOrder(), false);
    clock.advance(10_000);
    assert.equal(b.tryOrder(), true);
  });

  it("folds in the venue's count without ever lowering ours", () => {
    const clock = new SimulatedClock();
    const b = new WeightBudget({ weightPerMinute: 100, headroom: 1 }, clock);
    b.tryWeight(10);
    b.observeWeight(5);
    assert.equal(b.usedWeight(), 10);
    b.observeWeight(95);
    assert.equal(b.usedWeight(), 95);
    assert.equal(b.tryWeight(6), false);
    assert.equal(b.tryWeight(5), true);
  });

  it('two budgets on one counter block share it exactly (the host-wide case)', () => {
    const clock = new SimulatedClock();
    const block = AtomicCounters.create(WEIGHT_BUDGET_SLOTS);
    const a = new WeightBudget({ ordersPer10s: 10, headroom: 1 }, clock, block);
    const b = new WeightBudget({ ordersPer10s: 10, headroom: 1 }, clock, block);
    let n = 0;
    for (let i = 0; i < 20; i++) if ((i % 2 === 0 ? a : b).tryOrder()) n++;
    assert.equal(n, 10);
  });

  it('validates its options naming the field', () => {
    const clock = new SimulatedClock();
    assert.throws(() => new WeightBudget({ weightPerMinute: 0 }, clock), (e: unknown) => e instanceof ConfigError && /venues\.limits\.weightPerMinute/.test(e.message));
    assert.throws(() => new WeightBudget({ headroom: 1.5 } as never, clock), (e: unknown) => e instanceof ConfigError && /headroom/.test(e.message));
  });
});
