import assert from 'node:assert/strict';
import { SimulatedClock } from '../../../../common/clock.js';
import { AtomicCounters } from '../../../../native/atomic-counters.js';
import { BINANCE_SPOT_LIMITS, WEIGHT_BUDGET_SLOTS, WeightBudget, type VenueLimits } from '../../../../actors/exchange/weight-budget.js';

/** What the simulator's `high` preset advertises (simulators/wire/rate-limit.ts). */
const HIGH: VenueLimits = { weight: { limit: 6_000_000, windowMs: 60_000 }, orders: { limit: 1_000_000, windowMs: 10_000 }, ordersLong: { limit: 1_000_000_000, windowMs: 86_400_000 } };

describe('exchange/weight-budget: where the limits come from (config > venue > built-in)', () => {
  const clock = (): SimulatedClock => new SimulatedClock({ startEpochMs: Date.UTC(2026, 0, 1) });

  it('without config or venue limits: Binance spot defaults × headroom', () => {
    const b = new WeightBudget({}, clock());
    const l = b.limits();
    assert.deepEqual(
      [l.weight, l.orders, l.ordersLong],
      [
        { venueLimit: BINANCE_SPOT_LIMITS.weightPerMinute, windowMs: 60_000, limit: 4800, source: 'default' },
        { venueLimit: BINANCE_SPOT_LIMITS.ordersPer10s, windowMs: 10_000, limit: 80, source: 'default' },
        { venueLimit: BINANCE_SPOT_LIMITS.ordersPerDay, windowMs: 86_400_000, limit: 160_000, source: 'default' },
      ],
    );
  });

  it("takes the venue's advertised limits (with headroom) where the config sets none", () => {
    const b = new WeightBudget({}, clock());
    assert.deepEqual(b.adoptVenueLimits(HIGH), []);
    assert.equal(b.weightLimit, 4_800_000);
    assert.equal(b.orderLimit, 800_000);
    assert.equal(b.ordersLongLimit, 800_000_000);
    assert.deepEqual([b.limits().weight.source, b.limits().orders.source, b.limits().ordersLong.source], ['venue', 'venue', 'venue']);
  });

  it('a limit set in the config wins over the venue, field by field', () => {
    const b = new WeightBudget({ ordersPer10s: 50, headroom: 0.5 }, clock());
    b.adoptVenueLimits(HIGH);
    const l = b.limits();
    assert.deepEqual(l.orders, { venueLimit: 50, windowMs: 10_000, limit: 25, source: 'config' });
    assert.deepEqual(l.weight, { venueLimit: 6_000_000, windowMs: 60_000, limit: 3_000_000, source: 'venue' });
    assert.equal(l.ordersLong.source, 'venue');
    for (let i = 0; i < 25; i++) assert.equal(b.tryOrder(), true);
    assert.equal(b.tryOrder(), false, 'the config limit, not the venue one, is spent');
  });

  it('a kind the venue does not advertise keeps the default, with the reason', () => {
    const b = new WeightBudget({}, clock());
    const notes = b.adoptVenueLimits({ orders: { limit: 1000, windowMs: 10_000 } });
    assert.equal(b.orderLimit, 800);
    assert.equal(b.weightLimit, 4800);
    assert.equal(b.limits().weight.source, 'default');
    assert.equal(notes.length, 2);
    assert.match(notes[0]!, /^weightPerMinute: the venue advertises no usable limit of this kind; keeping the default 6000 per 1 min$/);
    assert.match(notes[1]!, /^ordersPerDay: .* keeping the default 200000 per 1 d$/);
  });

  it('an unusable advertised window is ignored with the reason', () => {
    const b = new WeightBudget({}, clock());
    const notes = b.adoptVenueLimits({ ...HIGH, orders: { limit: 10, windowMs: 500 } });
    assert.equal(b.limits().orders.source, 'default');
    assert.ok(notes.some((n) => /^ordersPer10s: ignoring the venue's \{"limit":10,"windowMs":500\}/.test(n)), notes.join('\n'));
  });

  it("uses the venue's window length (ORDERS per 1 s)", () => {
    const c = clock();
    const b = new WeightBudget({ headroom: 1 }, c);
    b.adoptVenueLimits({ orders: { limit: 3, windowMs: 1000 } });
    for (let i = 0; i < 3; i++) assert.equal(b.tryOrder(), true);
    assert.equal(b.tryOrder(), false);
    c.advance(1000);
    assert.equal(b.tryOrder(), true);
    assert.equal(b.orderLimitText(), '3 per 1 s and 200000 per 1 d');
  });

  it('counts past 2^21 in one window (high limits)', () => {
    const b = new WeightBudget({ headroom: 1 }, clock());
    b.adoptVenueLimits({ weight: { limit: 1_000_000_000, windowMs: 60_000 } });
    assert.equal(b.tryWeight(999_999_999), true);
    assert.equal(b.usedWeight(), 999_999_999);
    assert.equal(b.tryWeight(2), false);
    assert.equal(b.tryWeight(1), true);
  });

  it('the long order window denies too, and a denial takes nothing from the short one', () => {
    const c = clock();
    const block = AtomicCounters.create(WEIGHT_BUDGET_SLOTS);
    const a = new WeightBudget({ ordersPer10s: 5, ordersPerDay: 3, headroom: 1 }, c, block);
    for (let i = 0; i < 3; i++) assert.equal(a.tryOrder(), true);
    assert.equal(a.tryOrder(), false, 'day spent');
    c.advance(10_000);
    assert.equal(a.tryOrder(), false, 'still spent the next 10 s');
    // Another budget on the same counters with a larger day: the short window shows only what a took.
    const b = new WeightBudget({ ordersPer10s: 5, ordersPerDay: 100, headroom: 1 }, c, block);
    assert.equal(a.tryOrder(), false);
    for (let i = 0; i < 5; i++) assert.equal(b.tryOrder(), true, `order ${i}: a's denials gave their short-window slot back`);
    assert.equal(b.tryOrder(), false);
  });

  it("folds in X-MBX-USED-WEIGHT-1M only when the weight window is a minute", () => {
    const b = new WeightBudget({ headroom: 1 }, clock());
    b.adoptVenueLimits({ weight: { limit: 100, windowMs: 10_000 } });
    b.observeWeight(90);
    assert.equal(b.usedWeight(), 0);
    assert.equal(b.tryWeight(100), true);
  });

  it('validates the config naming the field (ordersPerDay is new)', () => {
    assert.throws(() => new WeightBudget({ ordersPerDay: 0 }, clock()), /venues\.limits\.ordersPerDay: expected a value >= 1, got 0/);
    assert.throws(() => new WeightBudget({ weightPerMinute: 2_000_000_000 }, clock()), /venues\.limits\.weightPerMinute: expected a value <= 1000000000, got 2000000000/);
  });
});
