import assert from 'node:assert/strict';
import { ConfigError, SeededRandom } from '../../../../common/index.js';
import { createPairs, type Pairs } from '../../../../actors/strategy/index.js';
import { BTC, ETH, Harness } from './helpers.js';

const spec = { id: 'pair-1', kind: 'pairs', instruments: ['sim-a:BTC/USDT', 'sim-a:ETH/USDT'] };
const WINDOW = 30;

/** One sample: both tickers (1-tick half spread around the mids), then the sampling timer. */
function step(h: Harness, midA: number, midB: number): void {
  h.ticker(BTC, Math.round(midA) - 1, Math.round(midA) + 1);
  h.ticker(ETH, Math.round(midB) - 1, Math.round(midB) + 1);
  h.clock.advance(1000);
}

/** Cointegrated pair: b swings ±5%, a = 2·b·(1 + small wiggle), so log a − log b is stationary. */
function mids(t: number): [number, number] {
  const b = 10_000 * (1 + 0.05 * Math.sin(0.25 * t));
  return [2 * b * (1 + 0.0003 * Math.sin(1.7 * t)), b];
}

function start(params: Record<string, unknown> = {}): { h: Harness; p: Pairs } {
  const p = createPairs({ window: WINDOW, entryZ: 2, exitZ: 0.5, minCorrelation: 0.8, sampleMs: 1000, qtyLotsA: 2, qtyLotsB: 3, ...params });
  return { h: new Harness(spec, p), p };
}

describe('strategy/pairs', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  for (const beta of ['ols', 'one'] as const) {
    it(`beta ${beta}: enters on a diverging spread (sell the rich leg, buy the cheap one, IOC at the touch) and exits on reversion`, () => {
      const s = start({ beta });
      h = s.h;
      const p = s.p;
      let t = 0;
      for (; t < WINDOW + 10; t++) step(h, ...mids(t));
      assert.equal(h.submits.length, 0, 'no trade while the spread behaves');
      assert.ok(p.lastCorrelation > 0.99, `correlation ${p.lastCorrelation}`);
      assert.ok(Math.abs(p.lastZ) < 2, `z ${p.lastZ}`);
      if (beta === 'ols') assert.ok(Math.abs(p.lastBeta - 1) < 0.05, `beta ${p.lastBeta}`);
      // a jumps 1% rich against b.
      const [a, b] = mids(t);
      step(h, a * 1.01, b);
      t++;
      assert.ok(p.lastZ > 2, `z ${p.lastZ}`);
      const entry = h.submits;
      assert.equal(entry.length, 2);
      const sellA = entry.find((x) => x.intent.symbol === 'BTC/USDT')!;
      const buyB = entry.find((x) => x.intent.symbol === 'ETH/USDT')!;
      assert.deepEqual(
        [sellA.intent.side, sellA.intent.type, sellA.intent.tif, sellA.intent.priceTicks, sellA.intent.qtyLots],
        ['sell', 'limit', 'IOC', Math.round(a * 1.01) - 1, 2],
        'sell a at its bid',
      );
      assert.deepEqual([buyB.intent.side, buyB.intent.tif, buyB.intent.priceTicks, buyB.intent.qtyLots], ['buy', 'IOC', Math.round(b) + 1, 3], 'buy b at its ask');
      const idA = h.accept(sellA);
      const idB = h.accept(buyB);
      h.fill(sellA, idA, 2);
      h.fill(buyB, idB, 3);
      h.update(sellA, 'filled', idA, 2);
      h.update(buyB, 'filled', idB, 3);
      assert.deepEqual([p.position(0), p.position(1)], [-2, 3]);
      // Still diverged: holds, nothing new.
      step(h, mids(t)[0] * 1.01, mids(t)[1]);
      t++;
      assert.equal(h.submits.length, 2);
      // Reverts.
      step(h, ...mids(t));
      assert.ok(Math.abs(p.lastZ) < 0.5, `z ${p.lastZ}`);
      const exit = h.since(2);
      assert.equal(exit.length, 2);
      const buyA = exit.find((x) => x.intent.symbol === 'BTC/USDT')!;
      const sellB = exit.find((x) => x.intent.symbol === 'ETH/USDT')!;
      assert.deepEqual([buyA.intent.side, buyA.intent.qtyLots, buyA.intent.tif], ['buy', 2, 'IOC']);
      assert.deepEqual([sellB.intent.side, sellB.intent.qtyLots], ['sell', 3]);
      assert.equal(buyA.intentKey, 'leg0.1', 'next generation of leg a');
      assert.equal(p.target, 0);
    });
  }

  it('a partly filled IOC leaves a difference that the next sample sends again', () => {
    const s = start();
    h = s.h;
    let t = 0;
    for (; t < WINDOW + 5; t++) step(h, ...mids(t));
    const [a, b] = mids(t++);
    step(h, a * 1.01, b);
    const sellA = h.submits.find((x) => x.intent.symbol === 'BTC/USDT')!;
    const buyB = h.submits.find((x) => x.intent.symbol === 'ETH/USDT')!;
    const idA = h.accept(sellA);
    const idB = h.accept(buyB);
    h.fill(sellA, idA, 1);
    h.update(sellA, 'expired', idA, 1);
    h.fill(buyB, idB, 3);
    h.update(buyB, 'filled', idB, 3);
    step(h, mids(t)[0] * 1.01, mids(t)[1]);
    const more = h.since(2);
    assert.equal(more.length, 1);
    assert.deepEqual([more[0]!.intent.symbol, more[0]!.intent.side, more[0]!.intent.qtyLots], ['BTC/USDT', 'sell', 1]);
  });

  it('does nothing when the correlation over the window is below minCorrelation', () => {
    const s = start();
    h = s.h;
    const p = s.p;
    const rnd = new SeededRandom(11);
    // Independent noise around fixed levels: no co-movement.
    for (let t = 0; t < WINDOW + 10; t++) step(h, 20_000 * (1 + 0.002 * (rnd.next() - 0.5)), 10_000 * (1 + 0.002 * (rnd.next() - 0.5)));
    step(h, 20_000 * 1.02, 10_000);
    assert.ok(Math.abs(p.lastZ) > 2, `the spread does diverge: z ${p.lastZ}`);
    assert.ok(p.lastCorrelation < 0.8, `correlation ${p.lastCorrelation}`);
    assert.equal(h.submits.length, 0);
  });

  it('caps each leg at maxPositionLots', () => {
    const s = start({ qtyLotsA: 5, maxPositionLotsA: 2 });
    h = s.h;
    let t = 0;
    for (; t < WINDOW + 5; t++) step(h, ...mids(t));
    step(h, mids(t)[0] * 1.01, mids(t)[1]);
    const sellA = h.submits.find((x) => x.intent.symbol === 'BTC/USDT')!;
    assert.equal(sellA.intent.qtyLots, 2);
  });

  it('validates params: errors name the field', () => {
    assert.throws(
      () => createPairs({ entryZ: 1, exitZ: 1 }, 'strategies.p.params'),
      (e: unknown) => e instanceof ConfigError && e.field === 'strategies.p.params.exitZ' && /expected a value < entryZ \(1\), got 1/.test(e.message),
    );
    assert.throws(() => createPairs({ window: 2 }), (e: unknown) => e instanceof ConfigError && e.field === 'pairs.params.window');
    assert.throws(() => createPairs({ beta: 'tls' }), (e: unknown) => e instanceof ConfigError && e.field === 'pairs.params.beta' && /"ols", "one"/.test(e.message));
    assert.throws(() => createPairs({ minCorrelation: 2 }), (e: unknown) => e instanceof ConfigError && e.field === 'pairs.params.minCorrelation');
  });
});
