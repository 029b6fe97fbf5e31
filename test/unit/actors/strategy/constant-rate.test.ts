import assert from 'node:assert/strict';
import { ConfigError } from '../../../../common/index.js';
import { controlStrategy, createConstantRate } from '../../../../actors/strategy/index.js';
import { BTC, ETH, Harness } from './helpers.js';

describe('strategy/constant-rate', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('emits exactly rate × seconds orders, from clock time (the rate is not a multiple of the tick)', () => {
    // 7/s on a 40 ms timer: 0.28 orders per tick, so counting ticks could never be exact.
    const cr = createConstantRate({ ratePerSec: 7, tickMs: 40, offsetTicks: 5, qtyLots: 2, tif: 'IOC', maxOrders: 1000 });
    h = new Harness({ id: 'load-1', kind: 'constant-rate', instruments: ['sim-a:BTC/USDT'] }, cr);
    h.ticker(BTC, 1000, 1002);
    h.clock.advance(2000);
    assert.equal(h.submits.length, 14);
    h.clock.advance(3000);
    assert.equal(h.submits.length, 35);
    h.clock.advance(1000 / 7 - 1);
    assert.equal(h.submits.length, 35);
    const sides = h.submits.map((s) => s.intent.side);
    assert.deepEqual(sides.slice(0, 4), ['buy', 'sell', 'buy', 'sell']);
    assert.ok(h.submits.every((s, i) => s.intent.priceTicks === (i % 2 === 0 ? 996 : 1006) && s.intent.qtyLots === 2 && s.intent.tif === 'IOC' && s.intent.type === 'limit'));
    assert.ok(h.submits.every((s) => s.intentKey === undefined), 'independent orders carry no intent key');
  });

  it('stops at maxOrders', () => {
    const cr = createConstantRate({ ratePerSec: 100, tickMs: 10, maxOrders: 25, priceTicks: 500 });
    h = new Harness({ id: 'load-2', kind: 'constant-rate', instruments: ['sim-a:BTC/USDT', 'sim-a:ETH/USDT'] }, cr);
    h.clock.advance(10_000);
    assert.equal(h.submits.length, 25);
    assert.equal(cr.sent, 25);
    assert.ok(h.submits.every((s) => s.intent.priceTicks === 500));
    // Round-robin over instruments, sides alternating per round.
    assert.deepEqual(
      h.submits.slice(0, 4).map((s) => `${s.intent.symbol} ${s.intent.side}`),
      ['BTC/USDT buy', 'ETH/USDT buy', 'BTC/USDT sell', 'ETH/USDT sell'],
    );
    assert.equal(h.clock.pendingTimers, 0, 'its timer is cleared');
  });

  it('without a price the schedule waits instead of owing a burst; pause and resume restart it', () => {
    const cr = createConstantRate({ ratePerSec: 10, tickMs: 50, offsetTicks: 1 });
    h = new Harness({ id: 'load-3', kind: 'constant-rate', instruments: ['sim-a:ETH/USDT'] }, cr);
    h.clock.advance(5000);
    assert.equal(h.submits.length, 0);
    h.ticker(ETH, 200, 202);
    h.clock.advance(1000);
    assert.equal(h.submits.length, 10, 'no catch-up for the time without a price');
    controlStrategy(h.sys, 'load-3', 'stop');
    h.clock.advance(0);
    assert.equal(h.handle.mode, 'paused');
    h.clock.advance(3000);
    assert.equal(h.submits.length, 10, 'paused: nothing sent');
    controlStrategy(h.sys, 'load-3', 'start');
    h.clock.advance(1000);
    assert.equal(h.handle.mode, 'running');
    assert.equal(h.submits.length, 20);
  });

  it('validates params: errors name the field', () => {
    assert.throws(() => createConstantRate({ ratePerSec: 0 }), (e: unknown) => e instanceof ConfigError && e.field === 'constant-rate.params.ratePerSec');
    assert.throws(() => createConstantRate({ tif: 'DAY' }), (e: unknown) => e instanceof ConfigError && e.field === 'constant-rate.params.tif' && /got "DAY"/.test(e.message));
    assert.throws(() => createConstantRate({ maxOrders: -1 }), (e: unknown) => e instanceof ConfigError && e.field === 'constant-rate.params.maxOrders');
  });
});
