import assert from 'node:assert/strict';
import { setup } from 'xstate';
import { RiskActor } from '../../../../actors/risk/risk-actor.js';
import { topics, venueAddress, type OrderDenied, type OrderFill, type OrderUpdate } from '../../../../actors/messages.js';
import type { OrderIntent } from '../../../../actors/orders/intent.js';
import { createOrder, type Order } from '../../../../actors/orders/order-state.js';
import { RiskEngine } from '../../../../actors/risk/risk-engine.js';
import { ActorSystem, type Envelope } from '../../../../actors/runtime/index.js';
import { SimulatedClock } from '../../../../common/clock.js';
import { logger } from '../../../../common/log.js';
import type { SubmitAck } from '../../../../actors/engine/engine.js';
import { looseConfig, unitInstrument } from './fixtures.js';

const sink = setup({ types: { events: {} as { type: string } } }).createMachine({ id: 'sink' });

/**
 * A risk actor on a real ActorSystem with a recording venue actor. By default the venue actor never
 * answers; with `answer` it acks every `order.submit` it gets the way the venue actor does once the
 * journal took the order (`{ accepted: true, clientOrderId }`).
 */
function harness(opts: { answer?: boolean; venue?: boolean; maxOpenOrders?: number } = {}): { sys: ActorSystem; clock: SimulatedClock; risk: RiskEngine; breaker: { state: string }; venueInbox: Envelope[]; actor: RiskActor } {
  const clock = new SimulatedClock({ startNs: 1e9 });
  const sys = new ActorSystem({ clock, seed: 3 });
  const breaker = { state: 'closed' };
  const instruments = [unitInstrument('v1', 'A/USDT')];
  const config = looseConfig({ killSwitch: { dailyLossLimit: '0', maxDrawdown: '0', breakerCascadeVenues: 99 } });
  if (opts.maxOpenOrders !== undefined) {
    const d = config.defaults as { instrument: Record<string, unknown>; venue: Record<string, unknown> };
    d.instrument.maxOpenOrders = opts.maxOpenOrders;
    d.venue.maxOpenOrders = opts.maxOpenOrders;
  }
  const risk = new RiskEngine({ config, clock, instruments, breakers: { v1: breaker } });
  risk.onQuote('v1', 'A/USDT', 100);
  risk.onBalance('v1', 'USDT', 1e12);
  risk.onBalance('v1', 'A', 1e9);
  const venueInbox: Envelope[] = [];
  let seq = 0;
  if (opts.venue !== false) {
    sys.spawn(venueAddress('v1'), sink, {
      handle: (e, ctx) => {
        venueInbox.push(e);
        if (opts.answer === true && e.type === 'order.submit') ctx.reply(e, { accepted: true, clientOrderId: `s1.${++seq}` }, 'order.ack');
      },
    });
  }
  const actor = new RiskActor(sys, risk, clock);
  actor.spawn();
  clock.advance(0);
  return { sys, clock, risk, breaker, venueInbox, actor };
}

/** Records what is published on `topic` (a subscriber actor of its own). */
function recorder(sys: ActorSystem, topic: string): Envelope[] {
  const got: Envelope[] = [];
  const address = `rec.${topic}`;
  sys.spawn(address, sink, { handle: (e) => void got.push(e) });
  sys.subscribe(topic, address);
  return got;
}

/** Asks the risk actor to submit `intent` and delivers until the ack arrives (bounded). */
async function askSubmit(h: ReturnType<typeof harness>, intent: OrderIntent): Promise<SubmitAck> {
  let ack: SubmitAck | undefined;
  const p = h.sys.ask<SubmitAck>('risk', { type: 'order.submit', payload: { intent } }, { timeoutMs: 30_000 }).then((a) => (ack = a));
  for (let i = 0; i < 50 && ack === undefined; i++) {
    h.clock.advance(0);
    await new Promise<void>((r) => setImmediate(r));
  }
  return p;
}

const buy5: OrderIntent = { strategy: 's1', venue: 'v1', symbol: 'A/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 100, qtyLots: 5 };

describe('risk/risk-actor', () => {
  const level = logger.level;
  // kill-switch transitions log at warn: not test output
  before(() => {
    logger.level = 'silent';
  });
  after(() => {
    logger.level = level;
  });

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

  it('approved orders are matched to their updates by fields, in any order: an out-of-order answer, a venue denial and then the rest each release exactly their own reservation', async () => {
    const h = harness({ maxOpenOrders: 10_000 });
    try {
      // 2,000 approved orders (past the pending queue's compaction point), each with its own price and quantity.
      const n = 2000;
      const px = (k: number): number => 95 + (k % 10);
      const qty = (k: number): number => 1 + Math.floor(k / 10);
      let total = 0;
      for (let k = 0; k < n; k++) {
        h.sys.send('risk', { type: 'order.submit', payload: { intent: { ...buy5, priceTicks: px(k), qtyLots: qty(k) } } });
        total += qty(k);
      }
      h.clock.advance(0);
      assert.equal(h.venueInbox.length, n, JSON.stringify(h.actor.stats()));
      assert.equal(h.risk.state.openBuy[0], total);
      const update = (k: number, state: OrderUpdate['state']): void => {
        h.sys.publish(topics.allOrders, { type: 'order.update', payload: { clientOrderId: `c-${k}`, strategy: 's1', venue: 'v1', symbol: 'A/USDT', side: 'buy', priceTicks: px(k), qtyLots: qty(k), state, filledLots: 0, tNs: h.clock.nowNs() } satisfies OrderUpdate });
      };
      // The last order is answered first (a hole at the back), then one in the middle is denied by the venue.
      update(n - 1, 'accepted');
      const mid = 1000;
      h.sys.publish(topics.denials, { type: 'order.denied', payload: { source: 'venue', intent: { ...buy5, priceTicks: px(mid), qtyLots: qty(mid) }, code: 'VENUE_UNAVAILABLE', detail: 'breaker open', tNs: h.clock.nowNs() } });
      h.clock.advance(0);
      assert.equal(h.risk.state.openBuy[0], total - qty(mid), 'the venue denial released its own order only');
      // The rest are accepted in order, then every one is cancelled.
      for (let k = 0; k < n - 1; k++) if (k !== mid) update(k, 'accepted');
      h.clock.advance(0);
      for (let k = 0; k < n; k++) if (k !== mid) update(k, 'canceled');
      h.clock.advance(0);
      assert.equal(h.risk.state.openBuy[0], 0, 'every reservation released exactly once');
      assert.equal(h.risk.state.openCount[0], 0);
      // Nothing is left pending: the same fields again find no approved order to release.
      update(0, 'canceled');
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
  it('approval: reserves the order, forwards it to the venue actor and relays the venue ack to the asker', async () => {
    const h = harness({ answer: true });
    try {
      const ack = await askSubmit(h, buy5);
      assert.deepEqual(ack, { accepted: true, clientOrderId: 's1.1' });
      assert.equal(h.venueInbox.length, 1);
      assert.equal(h.venueInbox[0]!.type, 'order.submit');
      assert.deepEqual((h.venueInbox[0]!.payload as { intent: OrderIntent }).intent, buy5);
      assert.deepEqual(h.actor.stats(), { checked: 1, approved: 1, denied: {} });
      assert.equal(h.risk.state.openBuy[0], 5, 'the approved order is reserved');
      assert.equal(h.risk.state.openCount[0], 1);
    } finally {
      h.actor.close();
      await h.sys.shutdown();
    }
  });

  it('its own denial: ack { accepted: false, reason }, order.denied (source risk) on risk.denials and orders.<strategy>, nothing reserved', async () => {
    const h = harness({ answer: true });
    const denials = recorder(h.sys, topics.denials);
    const mine = recorder(h.sys, topics.orders('s1'));
    try {
      const ack = await askSubmit(h, { ...buy5, priceTicks: 1000 });
      assert.equal(ack.accepted, false);
      assert.equal(ack.reason, 'RISK_PRICE_BAND');
      assert.equal(h.venueInbox.length, 0, 'a denied order never reaches the venue actor');
      assert.deepEqual(h.actor.stats(), { checked: 1, approved: 0, denied: { RISK_PRICE_BAND: 1 } });
      assert.equal(h.risk.state.openBuy[0], 0);
      for (const got of [denials, mine]) {
        assert.equal(got.length, 1);
        assert.equal(got[0]!.type, 'order.denied');
        const d = got[0]!.payload as OrderDenied;
        assert.equal(d.source, 'risk');
        assert.equal(d.code, 'RISK_PRICE_BAND');
      }
    } finally {
      h.actor.close();
      await h.sys.shutdown();
    }
  });

  it('a venue actor that cannot take the order: the asker gets { accepted: false, reason: ENGINE_ERROR } at once', async () => {
    const h = harness({ venue: false });
    try {
      const ack = await askSubmit(h, buy5);
      assert.equal(ack.accepted, false);
      assert.equal(ack.reason, 'ENGINE_ERROR');
      assert.match(ack.message ?? '', /exchange\.v1/);
      // Nothing stays reserved for an order the venue never saw: the next ones are not held back.
      assert.equal(h.risk.state.openCount[0], 0, 'the reservation is released');
      for (let k = 0; k < 3; k++) assert.equal((await askSubmit(h, buy5)).reason, 'ENGINE_ERROR');
      assert.equal(h.risk.state.openCount[0], 0);
    } finally {
      h.actor.close();
      await h.sys.shutdown();
    }
  });

  it('fills move the position and the open reservation; the terminal update releases the rest (partial fill then cancel)', async () => {
    const h = harness({ answer: true });
    try {
      await askSubmit(h, buy5);
      const base = { clientOrderId: 's1.1', strategy: 's1', venue: 'v1', symbol: 'A/USDT', side: 'buy' as const, priceTicks: 100, qtyLots: 5 };
      h.sys.publish(topics.allOrders, { type: 'order.update', payload: { ...base, state: 'accepted', filledLots: 0, tNs: h.clock.nowNs() } satisfies OrderUpdate });
      h.sys.publish(topics.allFills, { type: 'order.fill', payload: { ...base, lots: 2, tNs: h.clock.nowNs() } satisfies OrderFill });
      h.clock.advance(0);
      assert.equal(h.risk.state.position[0], 2);
      assert.equal(h.risk.state.openBuy[0], 3, 'the filled part left the open reservation');
      h.sys.publish(topics.allOrders, { type: 'order.update', payload: { ...base, state: 'canceled', filledLots: 2, tNs: h.clock.nowNs() } satisfies OrderUpdate });
      h.clock.advance(0);
      assert.equal(h.risk.state.position[0], 2, 'the position stays');
      assert.equal(h.risk.state.openBuy[0], 0);
      assert.equal(h.risk.state.openCount[0], 0);
    } finally {
      h.actor.close();
      await h.sys.shutdown();
    }
  });

  it('a full risk mailbox still takes order updates and fills (mustDeliver): under overload no reservation leaks', async () => {
    const h = harness({ answer: true });
    try {
      await askSubmit(h, buy5);
      assert.equal(h.risk.state.openBuy[0], 5);
      // fill the data lane (capacity 65 536) with market data nobody has delivered yet
      const tick = { type: 'md.ticker', payload: { venue: 'v9', symbol: 'Z/USDT', bidTicks: 1, askTicks: 2, tNs: 0 } };
      let n = 0;
      while (h.sys.publish('md.ticker.v9.Z/USDT', tick) === 1 && n < 70_000) n++;
      assert.equal(n, 65_536, 'the lane filled');
      const base = { clientOrderId: 's1.1', strategy: 's1', venue: 'v1', symbol: 'A/USDT', side: 'buy' as const, priceTicks: 100, qtyLots: 5 };
      assert.equal(h.sys.publish(topics.allOrders, { type: 'order.update', payload: { ...base, state: 'accepted', filledLots: 0, tNs: h.clock.nowNs() } satisfies OrderUpdate }), 1, 'the ack is enqueued past the capacity');
      assert.equal(h.sys.publish(topics.allFills, { type: 'order.fill', payload: { ...base, lots: 5, tNs: h.clock.nowNs() } satisfies OrderFill }), 1, 'so is the fill');
      assert.equal(h.sys.publish(topics.allOrders, { type: 'order.update', payload: { ...base, state: 'filled', filledLots: 5, tNs: h.clock.nowNs() } satisfies OrderUpdate }), 1, 'so is the terminal update');
      assert.equal(h.sys.publish('md.ticker.v9.Z/USDT', tick), 0, 'market data is still refused');
      for (let k = 0; k < 2_000 && h.risk.state.openCount[0] !== 0; k++) h.clock.advance(0);
      assert.equal(h.risk.state.position[0], 5);
      assert.equal(h.risk.state.openBuy[0], 0, 'the reservation is released');
      assert.equal(h.risk.state.openCount[0], 0);
    } finally {
      h.actor.close();
      await h.sys.shutdown();
    }
  });

  it('restoreOpen: orders the journal holds open after a restart are reserved again (open counts, locked funds, self-trade levels) and released by their later fills and close', async () => {
    const h = harness({ answer: true });
    try {
      // as the journal has them after a restart: one partly filled buy (2 of 5), one open sell, one closed
      const order = (id: string, intent: OrderIntent, state: string, filledLots: number): Order => ({ ...createOrder(id, intent, 0), state, filledLots }) as Order;
      const sell3: OrderIntent = { ...buy5, side: 'sell', priceTicks: 110, qtyLots: 3 };
      const n = h.actor.restoreOpen([order('s1.a', buy5, 'partially-filled', 2), order('s1.b', sell3, 'accepted', 0), order('s1.c', buy5, 'filled', 5)]);
      assert.equal(n, 2, 'the two open orders are projected, the filled one is not');
      assert.equal(h.risk.state.openBuy[0], 3, 'the unfilled 3 of the buy are reserved');
      assert.equal(h.risk.state.openCount[0], 2);
      // the self-trade check sees the restored resting sell at 110: a buy at 110 would trade with it
      const cross = await askSubmit(h, { ...buy5, priceTicks: 110, qtyLots: 1 });
      assert.deepEqual({ accepted: cross.accepted, reason: cross.reason }, { accepted: false, reason: 'RISK_SELF_TRADE' });
      // later events of the restored buy: the venue's filledLots are cumulative (2 before the restart)
      const base = { clientOrderId: 's1.a', strategy: 's1', venue: 'v1', symbol: 'A/USDT', side: 'buy' as const, priceTicks: 100, qtyLots: 5 };
      h.sys.publish(topics.allFills, { type: 'order.fill', payload: { ...base, lots: 1, tNs: h.clock.nowNs() } satisfies OrderFill });
      h.clock.advance(0);
      assert.equal(h.risk.state.openBuy[0], 2);
      h.sys.publish(topics.allOrders, { type: 'order.update', payload: { ...base, state: 'canceled', filledLots: 3, tNs: h.clock.nowNs() } satisfies OrderUpdate });
      h.clock.advance(0);
      assert.equal(h.risk.state.openBuy[0], 0, 'the close released exactly the rest (2 lots)');
      assert.equal(h.risk.state.openCount[0], 1, 'the sell is still open');
    } finally {
      h.actor.close();
      await h.sys.shutdown();
    }
  });

  it('kill switch: HALTED denies every new order (RISK_HALTED), REDUCING only lets position-reducing ones through, ACTIVE again trades', async () => {
    const h = harness({ answer: true });
    try {
      h.risk.killSwitch.halt('test');
      const halted = await askSubmit(h, buy5);
      assert.deepEqual({ accepted: halted.accepted, reason: halted.reason }, { accepted: false, reason: 'RISK_HALTED' });
      h.risk.killSwitch.reduce('test');
      const growing = await askSubmit(h, buy5);
      assert.deepEqual({ accepted: growing.accepted, reason: growing.reason }, { accepted: false, reason: 'RISK_REDUCING' });
      assert.equal(h.venueInbox.length, 0);
      h.risk.killSwitch.resume('test');
      const ok = await askSubmit(h, buy5);
      assert.equal(ok.accepted, true);
      assert.deepEqual(h.actor.stats().denied, { RISK_HALTED: 1, RISK_REDUCING: 1 });
      assert.equal(h.venueInbox.length, 1);
    } finally {
      h.actor.close();
      await h.sys.shutdown();
    }
  });
});
