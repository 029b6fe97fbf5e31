import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { OrderIntent } from '../../../../actors/orders/intent.js';
import { RiskSharedStateError } from '../../../../actors/risk/errors.js';
import { KillSwitch, type TradingStateTransition } from '../../../../actors/risk/kill-switch.js';
import { APPROVED } from '../../../../actors/risk/decision.js';
import { RiskEngine } from '../../../../actors/risk/risk-engine.js';
import { SimulatedClock } from '../../../../common/clock.js';
import { AtomicCounters } from '../../../../native/atomic-counters.js';
import { fillOrder, looseConfig, makeEngine, merge, order, unitInstrument } from './fixtures.js';

/**
 * A stand-in for the venue actors' open-order registry (issue 6): cancelAll sweeps every venue and
 * records what it cancelled, so the test sees the sweep the kill switch requested.
 */
class FakeOrderRegistry {
  readonly open = new Map<string, OrderIntent[]>();
  readonly cancelled: { venue: string; order: OrderIntent; reason: string }[] = [];
  readonly sweeps: string[] = [];
  add(o: OrderIntent): void {
    const list = this.open.get(o.venue) ?? [];
    list.push(o);
    this.open.set(o.venue, list);
  }
  cancelAll = (reason: string): void => {
    this.sweeps.push(reason);
    for (const [venue, list] of this.open) {
      for (const o of list.splice(0)) this.cancelled.push({ venue, order: o, reason });
    }
  };
  get openCount(): number {
    let n = 0;
    for (const l of this.open.values()) n += l.length;
    return n;
  }
}

describe('KillSwitch', () => {
  it('manual transitions: ACTIVE → REDUCING → HALTED → ACTIVE, with reason, trigger, time and seq', () => {
    const clock = new SimulatedClock({ startNs: 5e9 });
    const events: TradingStateTransition[] = [];
    const ks = new KillSwitch({ counters: AtomicCounters.create(1), clock, onTransition: (t) => events.push(t) });
    assert.equal(ks.state, 'ACTIVE');
    assert.equal(ks.reduce('desk says reduce'), true);
    assert.equal(ks.reduce('again'), false, 'no transition to the same state');
    clock.advance(10);
    assert.equal(ks.halt('operator halt'), true);
    assert.equal(ks.resume('all clear'), true);
    assert.deepEqual(
      events.map((e) => [e.from, e.to, e.trigger, e.reason, e.remote, e.seq]),
      [
        ['ACTIVE', 'REDUCING', 'manual', 'desk says reduce', false, 1],
        ['REDUCING', 'HALTED', 'manual', 'operator halt', false, 2],
        ['HALTED', 'ACTIVE', 'manual', 'all clear', false, 3],
      ],
    );
    assert.equal(events[1]!.atNs, 5e9 + 10e6);
    assert.equal(events[1]!.epochMs, clock.epochMs());
    assert.ok(Object.isFrozen(events[0]));
    assert.equal(ks.seq, 3);
  });

  it('escalate only moves towards HALTED', () => {
    const ks = new KillSwitch({ counters: AtomicCounters.create(1), clock: new SimulatedClock() });
    assert.equal(ks.escalate('HALTED', 'daily-loss', 'x'), true);
    assert.equal(ks.escalate('REDUCING', 'drawdown', 'y'), false);
    assert.equal(ks.state, 'HALTED');
  });

  it('on HALTED requests the cancel-all sweep once, and every open order on every venue is cancelled', () => {
    const reg = new FakeOrderRegistry();
    const { engine } = makeEngine(looseConfig(), { cancelAll: reg.cancelAll });
    for (const o of [order(), order({ symbol: 'B/USDT' }), order({ venue: 'v2', side: 'sell' })]) {
      assert.equal(engine.check(o), APPROVED);
      engine.onOrderOpened(o);
      reg.add(o);
    }
    engine.killSwitch.reduce('first reduce');
    assert.equal(reg.sweeps.length, 0, 'REDUCING does not sweep');
    engine.killSwitch.halt('fat finger');
    engine.killSwitch.halt('again');
    assert.deepEqual(reg.sweeps, ['manual: fat finger']);
    assert.equal(reg.openCount, 0);
    assert.deepEqual(reg.cancelled.map((c) => c.venue).sort(), ['v1', 'v1', 'v2']);
    // While halted, cancels of what is left pass and nothing new goes out.
    assert.equal(engine.check(order(), { action: 'cancel' }), APPROVED);
    assert.equal(engine.check(order()).code, 'RISK_HALTED');
  });

  it('a throwing listener does not stop the sweep or the state change', () => {
    const reg = new FakeOrderRegistry();
    reg.add(order());
    const ks = new KillSwitch({
      counters: AtomicCounters.create(1),
      clock: new SimulatedClock(),
      cancelAll: reg.cancelAll,
      onTransition: () => {
        throw new Error('listener bug');
      },
    });
    assert.equal(ks.halt('x'), true);
    assert.equal(ks.state, 'HALTED');
    assert.equal(reg.openCount, 0);
  });

  it('on()/unsubscribe', () => {
    const ks = new KillSwitch({ counters: AtomicCounters.create(1), clock: new SimulatedClock() });
    const seen: string[] = [];
    const off = ks.on((t) => seen.push(t.to));
    ks.halt('a');
    off();
    ks.resume('b');
    assert.deepEqual(seen, ['HALTED']);
  });

  it('rejects a corrupt shared slot with B4_RISK_SHARED_STATE', () => {
    const c = AtomicCounters.create(1);
    const ks = new KillSwitch({ counters: c, clock: new SimulatedClock() });
    c.store(0, 3); // state code 3 is never written
    assert.throws(() => ks.halt('x'), (e: unknown) => e instanceof RiskSharedStateError && e.code === 'B4_RISK_SHARED_STATE');
    assert.throws(() => ks.poll(), RiskSharedStateError);
  });

  it('rejects a bad slot, state or trigger', () => {
    assert.throws(() => new KillSwitch({ counters: AtomicCounters.create(1), clock: new SimulatedClock(), slot: -1 }), /slot: expected an integer >= 0/);
    const ks = new KillSwitch({ counters: AtomicCounters.create(1), clock: new SimulatedClock() });
    assert.throws(() => ks.set('STOPPED' as never, 'manual', 'x'), /expected a state of ACTIVE, REDUCING, HALTED, got "STOPPED"/);
    assert.throws(() => ks.set('HALTED', 'whim' as never, 'x'), /expected a trigger of manual/);
  });

  describe('automatic triggers', () => {
    it('daily loss: HALTED at the limit, not before, and the sweep runs', () => {
      const reg = new FakeOrderRegistry();
      const events: TradingStateTransition[] = [];
      const { engine } = makeEngine(merge(looseConfig(), { killSwitch: { dailyLossLimit: '1000' } }), { cancelAll: reg.cancelAll, onTransition: (t) => events.push(t) });
      fillOrder(engine, order({ qtyLots: 100 })); // long 100 @ 100
      reg.add(order({ venue: 'v2' }));
      engine.onQuote('v1', 'A/USDT', 91); // −900
      assert.equal(engine.killSwitch.state, 'ACTIVE');
      engine.onQuote('v1', 'A/USDT', 90); // −1000: at the limit
      assert.equal(engine.killSwitch.state, 'HALTED');
      assert.equal(events.at(-1)!.trigger, 'daily-loss');
      assert.match(events.at(-1)!.reason, /daily loss 1000 atoms >= limit 1000/);
      assert.equal(reg.openCount, 0);
      assert.equal(engine.check(order()).code, 'RISK_HALTED');
    });

    it('daily loss counts fees and realized PnL, and a new UTC day starts from zero', () => {
      const { engine, clock } = makeEngine(merge(looseConfig(), { killSwitch: { dailyLossLimit: '1000', onLoss: 'REDUCING' } }));
      fillOrder(engine, order({ qtyLots: 10 }), 50); // fee 50
      fillOrder(engine, order({ side: 'sell', qtyLots: 10, priceTicks: 50 }), 50); // realized −500, fee 50
      assert.equal(engine.state.dailyPnl(), -600);
      assert.equal(engine.killSwitch.state, 'ACTIVE');
      clock.advance(86_400_000); // next day
      engine.onQuote('v1', 'A/USDT', 100);
      assert.equal(engine.state.dailyPnl(), 0);
      fillOrder(engine, order({ qtyLots: 10 }));
      engine.onQuote('v1', 'A/USDT', 10); // −900 today
      assert.equal(engine.killSwitch.state, 'ACTIVE');
      engine.onQuote('v1', 'A/USDT', 9); // −910 … still < 1000
      fillOrder(engine, order({ side: 'sell', qtyLots: 10, priceTicks: 9 }), 90); // −910 − 90 = −1000
      assert.equal(engine.killSwitch.state, 'REDUCING');
    });

    it('drawdown from peak equity', () => {
      const events: TradingStateTransition[] = [];
      const { engine } = makeEngine(merge(looseConfig(), { killSwitch: { maxDrawdown: '500' } }), { onTransition: (t) => events.push(t) });
      fillOrder(engine, order({ qtyLots: 10 }));
      engine.onQuote('v1', 'A/USDT', 200); // +1000 peak
      engine.onQuote('v1', 'A/USDT', 151); // drawdown 490
      assert.equal(engine.killSwitch.state, 'ACTIVE');
      assert.equal(engine.state.drawdown(), 490);
      engine.onQuote('v1', 'A/USDT', 150); // 500
      assert.equal(engine.killSwitch.state, 'HALTED');
      assert.equal(events.at(-1)!.trigger, 'drawdown');
    });

    it('breaker cascade: N venues open at once halts trading (checked on each order and by evaluateTriggers)', () => {
      const reg = new FakeOrderRegistry();
      const breakers = { v1: { state: 'closed' }, v2: { state: 'closed' } };
      const { engine } = makeEngine(merge(looseConfig(), { killSwitch: { breakerCascadeVenues: 2 } }), { breakers, cancelAll: reg.cancelAll });
      reg.add(order());
      breakers.v1.state = 'open';
      assert.equal(engine.check(order()).code, 'VENUE_UNAVAILABLE');
      assert.equal(engine.killSwitch.state, 'ACTIVE', 'one open breaker is not a cascade');
      assert.equal(engine.check(order({ venue: 'v2' })), APPROVED);
      breakers.v2.state = 'open';
      engine.evaluateTriggers();
      assert.equal(engine.killSwitch.state, 'HALTED');
      assert.equal(reg.sweeps.length, 1);
      assert.match(reg.sweeps[0]!, /^breaker-cascade: 2 venue circuit breakers open/);
      // Breakers closing again does not resume trading: that is manual.
      breakers.v1.state = breakers.v2.state = 'closed';
      assert.equal(engine.check(order()).code, 'RISK_HALTED');
    });

    it('cascade onCascade REDUCING reduces instead of halting', () => {
      const breakers = { v1: { state: 'open' }, v2: { state: 'open' } };
      const { engine } = makeEngine(merge(looseConfig(), { killSwitch: { breakerCascadeVenues: 2, onCascade: 'REDUCING' } }), { breakers });
      // The quotes makeEngine feeds already evaluated the triggers: the cascade is seen before any order.
      assert.equal(engine.killSwitch.state, 'REDUCING');
      assert.equal(engine.check(order()).code, 'RISK_REDUCING');
    });

    it('limits of 0 disable the PnL triggers', () => {
      const { engine } = makeEngine(looseConfig()); // dailyLossLimit 0, maxDrawdown 0
      fillOrder(engine, order({ qtyLots: 10 }));
      engine.onQuote('v1', 'A/USDT', 1);
      assert.equal(engine.killSwitch.state, 'ACTIVE');
    });
  });

  describe('shared state', () => {
    it('a second engine on the same block sees HALTED at once and sweeps its own orders', () => {
      const instruments = [unitInstrument('v1', 'A/USDT'), unitInstrument('v1', 'B/USDT'), unitInstrument('v2', 'A/USDT')];
      const counters = AtomicCounters.create(RiskEngine.slotsNeeded(instruments, looseConfig()));
      const regA = new FakeOrderRegistry();
      const regB = new FakeOrderRegistry();
      const eventsB: TradingStateTransition[] = [];
      const a = makeEngine(looseConfig(), { counters, cancelAll: regA.cancelAll }).engine;
      const b = makeEngine(looseConfig(), { counters, cancelAll: regB.cancelAll, onTransition: (t) => eventsB.push(t) }).engine;
      regA.add(order());
      regB.add(order({ venue: 'v2' }));
      a.killSwitch.halt('operator on process A');
      assert.equal(b.killSwitch.state, 'HALTED');
      // B learns of it on its next check (or poll): remote event + its own sweep.
      assert.equal(b.check(order()).code, 'RISK_HALTED');
      assert.equal(regB.openCount, 0);
      assert.equal(regB.sweeps.length, 1);
      assert.deepEqual([eventsB[0]!.from, eventsB[0]!.to, eventsB[0]!.trigger, eventsB[0]!.remote], ['ACTIVE', 'HALTED', 'manual', true]);
      b.killSwitch.resume('from B');
      assert.equal(a.check(order()), APPROVED);
      assert.equal(a.killSwitch.seq, 2);
    });

    it('concurrent transitions serialize: each CAS winner gets its own sequence number', () => {
      const c = AtomicCounters.create(1);
      const clock = new SimulatedClock();
      const x = new KillSwitch({ counters: c, clock });
      const y = new KillSwitch({ counters: c, clock });
      const seqX: number[] = [];
      x.on((t) => seqX.push(t.seq));
      assert.equal(x.reduce('x'), true);
      assert.equal(y.reduce('y'), false, 'already REDUCING: y only observes');
      assert.equal(y.halt('y'), true);
      assert.equal(x.halt('x'), false);
      assert.deepEqual(seqX, [1, 2], 'x saw its own transition then the remote one');
    });

    it('a worker thread halting on the shared block is seen by the engine', async function () {
      this.timeout(30_000);
      const { engine, counters } = makeEngine(looseConfig());
      const reg = new FakeOrderRegistry();
      reg.add(order());
      engine.killSwitch.on((t) => {
        if (t.to === 'HALTED') reg.cancelAll(t.reason);
      });
      // Loader hooks are per thread on Node 20: the worker registers tsx itself, then loads the TS module.
      const file = fileURLToPath(new URL('./kill-switch-worker.ts', import.meta.url));
      const worker = new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(file)}); })`, {
        eval: true,
        workerData: { buffer: counters.buffer, slot: 0 },
        // The worker has its own logger (test/setup.ts only quiets this thread's): quiet unless BOT4_TEST_LOGS=1.
        env: process.env.BOT4_TEST_LOGS === '1' ? process.env : { ...process.env, BOT4_LOG_LEVEL: 'silent' },
      });
      const msg = await new Promise<{ before: string; changed: boolean; after: string }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      await worker.terminate();
      assert.deepEqual(msg, { before: 'ACTIVE', changed: true, after: 'HALTED' });
      assert.equal(engine.killSwitch.state, 'HALTED');
      assert.equal(engine.check(order()).code, 'RISK_HALTED');
      assert.equal(reg.openCount, 0);
    });
  });
});
