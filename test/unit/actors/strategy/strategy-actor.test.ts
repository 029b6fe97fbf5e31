import assert from 'node:assert/strict';
import { ConfigError } from '../../../../common/index.js';
import { topics, type OrderDenied, type OrderFill, type OrderUpdate, type Ticker, type Trade } from '../../../../actors/messages.js';
import { controlStrategy, RISK_UNREACHABLE, spawnStrategy, type Strategy, type StrategyContext } from '../../../../actors/strategy/index.js';
import { ActorSystem } from '../../../../actors/runtime/index.js';
import { SimulatedClock } from '../../../../common/index.js';
import { BTC, ETH, Harness, SOL, silent } from './helpers.js';

/** Records every callback as a string; behaviour is injected per test. */
class Recorder implements Strategy {
  readonly calls: string[] = [];
  ctx: StrategyContext | undefined;
  constructor(public hooks: Partial<Record<'start' | 'ticker' | 'timer' | 'fill', (ctx: StrategyContext, arg: unknown) => void>> = {}) {}
  onStart(ctx: StrategyContext, info: { restart: boolean }): void {
    this.ctx = ctx;
    this.calls.push(`start restart=${info.restart}`);
    this.hooks.start?.(ctx, info);
  }
  onTicker(t: Ticker, ctx: StrategyContext): void {
    this.calls.push(`ticker ${t.symbol} ${t.bidTicks}`);
    this.hooks.ticker?.(ctx, t);
  }
  onTrade(t: Trade): void {
    this.calls.push(`trade ${t.symbol} ${t.priceTicks}`);
  }
  onOrderUpdate(u: OrderUpdate): void {
    this.calls.push(`update ${u.clientOrderId} ${u.state}`);
  }
  onFill(f: OrderFill, ctx: StrategyContext): void {
    this.calls.push(`fill ${f.clientOrderId} ${f.lots}`);
    this.hooks.fill?.(ctx, f);
  }
  onDenied(d: OrderDenied): void {
    this.calls.push(`denied ${d.code}`);
  }
  onTimer(name: string, ctx: StrategyContext): void {
    this.calls.push(`timer ${name} @${ctx.clock.nowNs() / 1e6}`);
    this.hooks.timer?.(ctx, name);
  }
  onStop(): void {
    this.calls.push('stop');
  }
}

const spec = { id: 'host-1', kind: 'x', instruments: ['sim-a:BTC/USDT', 'sim-b:SOL/USDT'] };

describe('strategy/strategy-actor', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('subscribes to its instruments and order topics and dispatches by message type', () => {
    const r = new Recorder();
    h = new Harness(spec, r);
    assert.ok(h.sys.subscribers(topics.ticker('sim-a', 'BTC/USDT')).includes('strategy.host-1'));
    assert.ok(h.sys.subscribers(topics.trade('sim-b', 'SOL/USDT')).includes('strategy.host-1'));
    assert.ok(h.sys.subscribers(topics.orders('host-1')).includes('strategy.host-1'));
    assert.ok(h.sys.subscribers(topics.fills('host-1')).includes('strategy.host-1'));
    assert.equal(h.sys.subscribers(topics.ticker('sim-a', 'ETH/USDT')).length, 0);
    h.ticker(BTC, 100, 101);
    h.ticker(ETH, 50, 51); // not one of its instruments
    h.ticker(SOL, 20, 21);
    const trade: Trade = { venue: 'sim-b', symbol: 'SOL/USDT', priceTicks: 21, lots: 1, side: 'buy', venueTimeMs: 0, recvNs: 0 };
    h.sys.publish(topics.trade('sim-b', 'SOL/USDT'), { type: 'md.trade', payload: trade });
    const sub = { intent: { strategy: 'host-1', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy' as const, type: 'limit' as const, tif: 'GTC' as const, priceTicks: 100, qtyLots: 1 } };
    h.update(sub, 'accepted', 'host-1.0');
    h.fill(sub, 'host-1.0', 1);
    h.sys.publish(topics.orders('host-1'), { type: 'order.denied', payload: { intent: sub.intent, code: 'RISK_X', detail: '', tNs: 0 } });
    h.sys.send('strategy.host-1', { type: 'something.else' });
    h.clock.advance(0);
    assert.deepEqual(r.calls, ['start restart=false', 'ticker BTC/USDT 100', 'ticker SOL/USDT 20', 'trade SOL/USDT 21', 'update host-1.0 accepted', 'fill host-1.0 1', 'denied RISK_X']);
    assert.equal(h.handle.stats().unknownMessages, 1);
  });

  it('submit goes to the risk actor as order.submit (strategy, prefix, intent key); cancel to the venue on the control lane', () => {
    const r = new Recorder({
      ticker: (ctx, t) => {
        const tk = t as Ticker;
        ctx.submit({ venue: tk.venue, symbol: tk.symbol, side: 'sell', type: 'limit', tif: 'GTC', priceTicks: tk.askTicks, qtyLots: 3 }, 'k.1');
        ctx.cancel(tk.venue, 'host-1.9');
      },
    });
    h = new Harness(spec, r);
    h.ticker(SOL, 20, 21);
    assert.deepEqual(h.submits, [
      { intent: { venue: 'sim-b', symbol: 'SOL/USDT', side: 'sell', type: 'limit', tif: 'GTC', priceTicks: 21, qtyLots: 3, strategy: 'host-1' }, intentKey: 'k.1', prefix: 'host-1' },
    ]);
    assert.deepEqual(h.cancels, [{ to: 'exchange.sim-b', clientOrderId: 'host-1.9', lane: 'control' }]);
    assert.deepEqual([h.handle.stats().submitted, h.handle.stats().cancels], [1, 1]);
  });

  it('an order.submit nobody can take comes back as an order.denied with code STRATEGY_RISK_UNREACHABLE', () => {
    const r = new Recorder({ ticker: (ctx) => ctx.submit({ venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 5, qtyLots: 1 }) });
    h = new Harness(spec, r, { risk: false });
    h.ticker(BTC, 5, 6);
    assert.deepEqual(r.calls.slice(1), ['ticker BTC/USDT 5', `denied ${RISK_UNREACHABLE}`]);
    assert.equal(h.handle.stats().undeliverable, 1);
  });

  it('the supervisor restarts a throwing strategy: onStart again with restart: true, the old timers gone', () => {
    let thrown = 0;
    const r = new Recorder({
      start: (ctx) => ctx.setTimer('beat', 1000, true),
      ticker: () => {
        if (thrown++ === 0) throw new Error('strategy bug');
      },
    });
    h = new Harness(spec, r, { supervision: { maxRestarts: 3, withinMs: 60_000, backoffMs: 100, maxBackoffMs: 100, jitter: 0 } });
    h.clock.advance(500);
    h.ticker(BTC, 10, 11); // throws at t=500 ms
    assert.equal(h.sys.lifecycleOf('strategy.host-1'), 'starting');
    h.clock.advance(100); // backoff: restarted at t=600 ms
    assert.equal(h.sys.lifecycleOf('strategy.host-1'), 'running');
    h.ticker(BTC, 12, 13);
    h.clock.advance(2500);
    assert.deepEqual(r.calls, [
      'start restart=false',
      'ticker BTC/USDT 10',
      'start restart=true',
      'ticker BTC/USDT 12',
      // Only the timer armed by the second onStart (period from 600 ms); the first one (due 1000 ms) was cleared.
      'timer beat @1600',
      'timer beat @2600',
    ]);
    assert.equal(h.sys.stats('strategy.host-1').restarts, 1);
  });

  it('a broken intent (unknown instrument, fractional lots) is a bug: it throws and the actor restarts', () => {
    const r = new Recorder({ ticker: (ctx) => ctx.submit({ venue: 'sim-a', symbol: 'ETH/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 5, qtyLots: 1 }) });
    h = new Harness(spec, r, { supervision: { backoffMs: 10, jitter: 0 } });
    h.ticker(BTC, 5, 6);
    assert.equal(h.sys.stats('strategy.host-1').failures, 1);
    assert.equal(h.submits.length, 0);
    const r2 = new Recorder({ ticker: (ctx) => ctx.submit({ venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 5, qtyLots: 0.5 }) });
    const h2 = new Harness({ ...spec, id: 'host-2' }, r2, { supervision: { backoffMs: 10, jitter: 0 } });
    h2.ticker(BTC, 5, 6);
    assert.equal(h2.sys.stats('strategy.host-2').failures, 1);
    void h2.close();
  });

  it('timers: one-shot and fixed-rate periodic, through the mailbox; a cleared timer never fires even if already queued', () => {
    const r = new Recorder({
      start: (ctx) => {
        ctx.setTimer('once', 250);
        ctx.setTimer('tick', 100, true);
      },
      timer: (ctx, name) => {
        if (name === 'tick' && ctx.clock.nowNs() === 300e6) ctx.clearTimer('tick');
      },
    });
    h = new Harness(spec, r);
    h.clock.advance(1000);
    assert.deepEqual(r.calls.slice(1), ['timer tick @100', 'timer tick @200', 'timer once @250', 'timer tick @300']);
    // 'a' and 'b' fire at the same instant: both messages are queued before either is handled;
    // the handler of 'a' clears 'b', whose queued message is then stale and never reaches onTimer.
    const ctx = r.ctx!;
    ctx.setTimer('a', 50);
    ctx.setTimer('b', 50);
    const n = r.calls.length;
    const clearB = (c: StrategyContext, name: unknown): void => {
      if (name === 'a') c.clearTimer('b');
    };
    r.hooks.timer = clearB;
    h.clock.advance(50);
    assert.deepEqual(r.calls.slice(n), ['timer a @1050']);
    assert.equal(h.handle.stats().staleTimers, 1);
    assert.throws(() => ctx.setTimer('bad', 0, true), /> 0 for a periodic timer/);
  });

  it('strategy.stop pauses quoting (onStop, no market data or timers, submits dropped, fills still flow); strategy.start resumes with onStart', () => {
    const r = new Recorder({
      start: (ctx) => ctx.setTimer('t', 100, true),
      fill: (ctx) => ctx.submit({ venue: 'sim-a', symbol: 'BTC/USDT', side: 'sell', type: 'limit', tif: 'GTC', priceTicks: 9, qtyLots: 1 }),
    });
    h = new Harness(spec, r);
    controlStrategy(h.sys, 'host-1', 'stop');
    h.clock.advance(0);
    assert.equal(h.handle.mode, 'paused');
    assert.equal(h.handle.ref.machine.getSnapshot().value, 'paused');
    h.ticker(BTC, 1, 2);
    h.clock.advance(500);
    const sub = { intent: { strategy: 'host-1', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy' as const, type: 'limit' as const, tif: 'GTC' as const, priceTicks: 1, qtyLots: 1 } };
    h.fill(sub, 'host-1.0', 1);
    assert.deepEqual(r.calls, ['start restart=false', 'stop', 'fill host-1.0 1']);
    assert.equal(h.submits.length, 0);
    assert.equal(h.handle.stats().droppedWhilePaused, 1);
    controlStrategy(h.sys, 'host-1', 'stop'); // idempotent
    h.clock.advance(0);
    assert.equal(r.calls.filter((c) => c === 'stop').length, 1);
    controlStrategy(h.sys, 'host-1', 'start');
    h.clock.advance(100);
    assert.deepEqual(r.calls.slice(3), ['start restart=false', 'timer t @600']);
    h.fill(sub, 'host-1.0', 1);
    assert.equal(h.submits.length, 1);
  });

  it('stays paused across a supervised restart', () => {
    const r = new Recorder({
      fill: () => {
        throw new Error('bug while paused');
      },
    });
    h = new Harness(spec, r, { supervision: { backoffMs: 10, jitter: 0 } });
    controlStrategy(h.sys, 'host-1', 'stop');
    h.clock.advance(0);
    const sub = { intent: { strategy: 'host-1', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy' as const, type: 'limit' as const, tif: 'GTC' as const, priceTicks: 1, qtyLots: 1 } };
    h.fill(sub, 'x.0', 1);
    h.clock.advance(10);
    assert.equal(h.sys.lifecycleOf('strategy.host-1'), 'running');
    assert.equal(h.handle.mode, 'paused');
    assert.equal(h.handle.ref.machine.getSnapshot().value, 'paused');
    h.ticker(BTC, 3, 4);
    assert.deepEqual(r.calls, ['start restart=false', 'stop', 'fill x.0 1']);
  });

  it('handle.stop() runs onStop, clears timers and stops the actor', () => {
    const r = new Recorder({ start: (ctx) => ctx.setTimer('t', 100, true) });
    h = new Harness(spec, r);
    h.handle.stop();
    h.handle.stop();
    assert.deepEqual(r.calls, ['start restart=false', 'stop']);
    assert.equal(h.sys.lifecycleOf('strategy.host-1'), undefined);
    assert.equal(h.sys.subscribers(topics.orders('host-1')).length, 0);
    h.clock.advance(1000);
    assert.equal(h.clock.pendingTimers, 0);
  });

  it('validates the spec and deps: errors name the field', () => {
    const sys = new ActorSystem({ clock: new SimulatedClock() });
    const deps = { clock: sys.clock, instruments: [BTC], logger: silent };
    assert.throws(
      () => spawnStrategy(sys, { id: 'MM_1', kind: 'x', instruments: ['sim-a:BTC/USDT'] }, new Recorder(), deps),
      (e: unknown) => e instanceof ConfigError && e.field === 'strategies.MM_1.id',
    );
    assert.throws(
      () => spawnStrategy(sys, { id: 'a', kind: 'x', instruments: ['sim-a:DOGE/USDT'] }, new Recorder(), deps),
      (e: unknown) => e instanceof ConfigError && e.field === 'strategies.a.instruments.0' && /got "sim-a:DOGE\/USDT"/.test(e.message),
    );
    assert.throws(
      () => spawnStrategy(sys, { id: 'a', kind: 'x', instruments: ['BTC/USDT'] }, new Recorder(), deps),
      (e: unknown) => e instanceof ConfigError && e.field === 'strategies.a.instruments.0',
    );
    assert.throws(
      () => spawnStrategy(sys, { id: 'a', kind: 'x', instruments: ['sim-a:BTC/USDT'] }, new Recorder(), { ...deps, riskAddress: 'risk.*' }),
      (e: unknown) => e instanceof ConfigError && e.field === 'strategies.a.riskAddress',
    );
    assert.deepEqual(sys.addresses(), []);
    void sys.shutdown();
  });
});
