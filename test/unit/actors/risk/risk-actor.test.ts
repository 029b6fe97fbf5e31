import assert from 'node:assert/strict';
import { setup } from 'xstate';
import { RiskActor } from '../../../../actors/risk/risk-actor.js';
import { topics, venueAddress, type OrderFill, type OrderUpdate } from '../../../../actors/messages.js';
import type { OrderIntent } from '../../../../actors/orders/intent.js';
import { RiskEngine } from '../../../../actors/risk/risk-engine.js';
import { ActorSystem, type Envelope } from '../../../../actors/runtime/index.js';
import { SimulatedClock } from '../../../../common/clock.js';
import { looseConfig, unitInstrument } from './fixtures.js';

const sink = setup({ types: { events: {} as { type: string } } }).createMachine({ id: 'sink' });

/** A risk actor on a real ActorSystem with a recording venue actor that never answers by itself. */
function harness(): { sys: ActorSystem; clock: SimulatedClock; risk: RiskEngine; breaker: { state: string }; venueInbox: Envelope[]; actor: RiskActor } {
  const clock = new SimulatedClock({ startNs: 1e9 });
  const sys = new ActorSystem({ clock, seed: 3 });
  const breaker = { state: 'closed' };
  const instruments = [unitInstrument('v1', 'A/USDT')];
  const risk = new RiskEngine({ config: looseConfig({ killSwitch: { dailyLossLimit: '0', maxDrawdown: '0', breakerCascadeVenues: 99 } }), clock, instruments, breakers: { v1: breaker } });
  risk.onQuote('v1', 'A/USDT', 100);
  risk.onBalance('v1', 'USDT', 1e12);
  risk.onBalance('v1', 'A', 1e9);
  const venueInbox: Envelope[] = [];
  sys.spawn(venueAddress('v1'), sink, { handle: (e) => void venueInbox.push(e) });
  const actor = new RiskActor(sys, risk, clock);
  actor.spawn();
  clock.advance(0);
  return { sys, clock, risk, breaker, venueInbox, actor };
}

const buy5: OrderIntent = { strategy: 's1', venue: 'v1', symbol: 'A/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 100, qtyLots: 5 };

describe('risk/risk-actor', () => {
  it('its own VENUE_UNAVAILABLE denial does not release an identical order still in flight (fills reach the position)', async () => {
    const h = harness();
    try {
      h.sys.send('risk', { type: 'order.submit', payload: { intent: buy5 } });
      h.clock.advance(0);
      assert.equal(h.venueInbox.length, 1, 'the first order went to the venue actor');
      assert.equal(h.risk.state.openBuy[0], 5);
      // The breaker opens while the first order is in flight: the risk engine denies an identical one.
      h.breaker.state = 'open';
      h.sys.send('risk', { type: 'order.submit', payload: { intent: buy5 } });
      h.clock.advance(0);
      assert.equal(h.actor.stats().denied.VENUE_UNAVAILABLE, 1);
      assert.equal(h.venueInbox.length, 1, 'the denied order never left');
      assert.equal(h.risk.state.openBuy[0], 5, 'the in-flight order keeps its reservation');
      // The first order is accepted at the venue and fills completely.
      const base = { clientOrderId: 'c-1', strategy: 's1', venue: 'v1', symbol: 'A/USDT', side: 'buy' as const, priceTicks: 100, qtyLots: 5 };
      const acc: OrderUpdate = { ...base, state: 'accepted', filledLots: 0, tNs: h.clock.nowNs() };
      h.sys.publish(topics.allOrders, { type: 'order.update', payload: acc });
      h.clock.advance(0);
      const fill: OrderFill = { clientOrderId: 'c-1', strategy: 's1', venue: 'v1', symbol: 'A/USDT', side: 'buy', lots: 5, priceTicks: 100, tNs: h.clock.nowNs() };
      h.sys.publish(topics.allFills, { type: 'order.fill', payload: fill });
      h.clock.advance(0);
      assert.equal(h.risk.state.position[0], 5, 'the 5-lot fill reached the risk position');
      h.sys.publish(topics.allOrders, { type: 'order.update', payload: { ...acc, state: 'filled', filledLots: 5 } });
      h.clock.advance(0);
      assert.equal(h.risk.state.openBuy[0], 0);
      assert.equal(h.risk.state.openCount[0], 0);
    } finally {
      h.actor.close();
      await h.sys.shutdown();
    }
  });

  it('a venue-side denial (source venue) releases the reservation of the approved order', async () => {
    const h = harness();
    try {
      h.sys.send('risk', { type: 'order.submit', payload: { intent: buy5 } });
      h.clock.advance(0);
      assert.equal(h.risk.state.openBuy[0], 5);
      h.sys.publish(topics.denials, { type: 'order.denied', payload: { source: 'venue', intent: buy5, code: 'VENUE_UNAVAILABLE', detail: 'breaker open', tNs: h.clock.nowNs() } });
      h.clock.advance(0);
      assert.equal(h.risk.state.openBuy[0], 0);
      assert.equal(h.risk.state.openCount[0], 0);
    } finally {
      h.actor.close();
      await h.sys.shutdown();
    }
  });
});
