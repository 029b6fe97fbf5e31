import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Engine } from '../../../actors/engine/engine.js';
import { LiveClock } from '../../../common/clock.js';
import { ConfigError } from '../../../common/errors.js';
import { parseEngineConfig } from '../../../actors/engine/engine-config.js';
import { parseDaemonConfig } from '../../../daemon/config.js';
import { BinanceAdapter } from '../../../actors/exchange/binance/binance-adapter.js';
import { CircuitBreaker } from '../../../actors/exchange/circuit-breaker.js';
import { VenueCallError } from '../../../actors/exchange/errors.js';
import { VenueCall } from '../../../actors/exchange/venue-call.js';
import type { OrderIntent } from '../../../actors/orders/intent.js';
import { toUnits } from '../../../actors/orders/instrument.js';
import { DEMO_API_KEY, DEMO_API_SECRET, Simulator } from '../../../simulators/index.js';
import { startHarness, waitFor, type Harness } from '../../fixtures/exchange/harness.js';

const ACCOUNT = `user:${DEMO_API_KEY}`;

function intent(i: number, over: Partial<OrderIntent> = {}): OrderIntent {
  // Resting bids far below the market: they stay open, so the venue's view is stable.
  return { strategy: 'wso', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 1_000_000 + i, qtyLots: 100, ...over };
}

async function control(h: Harness, method: string, path: string, body?: unknown): Promise<void> {
  const r = await fetch(`${h.sim.controlUrl}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
  assert.equal(r.status, 200, `${method} ${path}: ${await r.text()}`);
}

/** The venue's orders of one client order id. */
const atVenue = (h: Harness, id: string): number => h.sim.ledger('sim-a', ACCOUNT).orders.filter((o) => o.clientOrderId === id).length;

describe('order entry over the WebSocket API (orderEntry: ws, real simulator, venue actor)', function () {
  this.timeout(120_000);
  let h: Harness;
  let n = 0;

  before(async () => {
    h = await startHarness({ sim: { participants: false }, orderEntry: 'ws', timeoutMs: 500, venue: { reconcileEveryMs: 250, notFoundGraceMs: 300, streams: false } });
    const v = h.venues.get('sim-a')!;
    await waitFor(() => v.actor.state === 'running', 10_000, 'venue running');
    await waitFor(() => v.adapter.wsOrders!.up, 10_000, 'WebSocket order entry connected');
  });
  after(async () => {
    await h?.close();
  });

  const submit = (over: Partial<OrderIntent> = {}): Promise<{ accepted: boolean; reason?: string; clientOrderId?: string }> =>
    h.system.ask('exchange.sim-a', { type: 'order.submit', payload: { intent: intent(n++, over) } }, { timeoutMs: 5000 });

  it('orders placed and cancelled over the WebSocket API are in the simulator ledger, one per client order id', async () => {
    const ws = h.venues.get('sim-a')!.adapter.wsOrders!;
    const sent0 = ws.figures.sent;
    const acks = await Promise.all(Array.from({ length: 20 }, () => submit()));
    assert.ok(acks.every((a) => a.accepted), JSON.stringify(acks.filter((a) => !a.accepted)));
    const ids = acks.map((a) => a.clientOrderId!);
    await waitFor(() => ids.every((id) => h.journal.orders.get(id)?.state === 'accepted'), 10_000, 'all accepted');
    assert.equal(ws.figures.sent - sent0, 20, 'every placement went over the WebSocket API');
    for (const id of ids) assert.equal(atVenue(h, id), 1, `${id} once at the venue`);
    const led = h.sim.ledger('sim-a', ACCOUNT).orders;
    for (const id of ids) assert.equal(String(led.find((o) => o.clientOrderId === id)!.orderId), h.journal.orders.get(id)!.venueOrderId, 'venue order id journaled');
    // Exact decimals: the venue stored exactly the intent's ticks and lots (no float on the way).
    const ins = h.instruments.find((i) => i.symbol === 'BTC/USDT')!;
    for (const id of ids) {
      const row = led.find((x) => x.clientOrderId === id)!;
      const intentOf = h.journal.orders.get(id)!.intent;
      assert.equal(toUnits(row.price, ins.tickSize), BigInt(intentOf.priceTicks), `${id} price ${row.price}`);
      assert.equal(toUnits(row.origQty, ins.lotSize), BigInt(intentOf.qtyLots), `${id} qty ${row.origQty}`);
    }
    const o = h.journal.orders.get(ids[0]!)!;
    h.system.send('exchange.sim-a', { type: 'order.cancel', payload: { clientOrderId: o.clientOrderId } });
    await waitFor(() => h.journal.orders.get(o.clientOrderId)?.state === 'canceled', 10_000, 'canceled');
    assert.equal(ws.figures.sent - sent0, 21, 'the cancel went over the WebSocket API too');
    assert.equal(h.sim.ledger('sim-a', ACCOUNT).orders.find((x) => x.clientOrderId === o.clientOrderId)!.status, 'CANCELED');
  });

  it('a disconnect with an order in flight: the order is unknown, resolved by client order id (not at the venue → rejected), never re-sent over REST', async () => {
    const v = h.venues.get('sim-a')!;
    const ws = v.adapter.wsOrders!;
    // The venue swallows WebSocket API frames: the request is written and never answered.
    await control(h, 'POST', '/venues/sim-a/outage', { mode: 'blackhole', scope: 'ws-api' });
    const sent0 = ws.figures.sent;
    const failures0 = v.breaker.metrics().failures;
    const a = await submit();
    assert.equal(a.accepted, true);
    await waitFor(() => ws.figures.sent === sent0 + 1 && ws.inFlight === 1, 5000, 'the request written, no reply');
    // Then the connection drops (refuse also closes open WebSockets and refuses new ones).
    await control(h, 'POST', '/venues/sim-a/outage', { mode: 'refuse', scope: 'ws-api' });
    await waitFor(() => h.journal.orders.get(a.clientOrderId!)!.history.some((x) => x.to === 'unknown'), 5000, 'unknown outcome');
    assert.ok(v.breaker.metrics().failures > failures0, 'the unanswered WS placement counts against the breaker, as a REST timeout does');
    await waitFor(() => h.journal.orders.get(a.clientOrderId!)!.state === 'rejected', 15_000, () => `resolved by client order id (${h.journal.orders.get(a.clientOrderId!)!.state})`);
    assert.equal(atVenue(h, a.clientOrderId!), 0, 'not re-sent over REST (nor WS)');
    await control(h, 'DELETE', '/venues/sim-a/outage?scope=ws-api');
    await waitFor(() => ws.up, 10_000, 'WebSocket order entry reconnected');
    assert.equal(atVenue(h, a.clientOrderId!), 0, 'not re-sent after the reconnect');
  });

  it('a reply lost after the venue acted (slow link, request timeout): unknown, then reconciled to the venue state (open), exactly one venue order', async () => {
    const v = h.venues.get('sim-a')!;
    await waitFor(() => v.actor.state === 'running' && v.adapter.wsOrders!.up, 10_000, 'running');
    const ws = v.adapter.wsOrders!;
    const unknown0 = ws.figures.unknown;
    await control(h, 'POST', '/venues/sim-a/outage', { mode: 'slow', scope: 'ws-api', bytesPerSec: 100 });
    const a = await submit();
    assert.equal(a.accepted, true);
    // The request times out (unknown); the order is then found by client order id (the lookup or
    // the periodic open-orders poll may find it first: either way by its id, over REST).
    await waitFor(() => ws.figures.unknown > unknown0, 10_000, 'the WebSocket request timed out (outcome unknown)');
    await waitFor(() => h.journal.orders.get(a.clientOrderId!)!.state === 'accepted', 15_000, 'reconciled to accepted by client order id');
    await control(h, 'DELETE', '/venues/sim-a/outage?scope=ws-api');
    assert.equal(atVenue(h, a.clientOrderId!), 1, 'exactly one venue order for the client id');
  });

  it('WebSocket API down (refused): orders fall back to REST and reach the venue; nothing is written to the WebSocket', async () => {
    const v = h.venues.get('sim-a')!;
    const ws = v.adapter.wsOrders!;
    await waitFor(() => v.actor.state === 'running', 10_000, 'running');
    await control(h, 'POST', '/venues/sim-a/outage', { mode: 'refuse', scope: 'ws-api' });
    await waitFor(() => !ws.up, 5000, 'WebSocket order entry down');
    const sent0 = ws.figures.sent;
    const acks = await Promise.all([submit(), submit(), submit()]);
    assert.ok(acks.every((a) => a.accepted));
    await waitFor(() => acks.every((a) => h.journal.orders.get(a.clientOrderId!)?.state === 'accepted'), 10_000, 'accepted over REST');
    assert.equal(ws.figures.sent, sent0, 'nothing written to the WebSocket');
    for (const a of acks) assert.equal(atVenue(h, a.clientOrderId!), 1);
    await control(h, 'DELETE', '/venues/sim-a/outage?scope=ws-api');
    await waitFor(() => ws.up, 10_000, 'reconnected');
    const b = await submit();
    await waitFor(() => h.journal.orders.get(b.clientOrderId!)?.state === 'accepted', 10_000, 'accepted over WS again');
    assert.equal(ws.figures.sent, sent0 + 1, 'back on the WebSocket API');
  });

  it('the ledger after all of it: no lost, duplicate or phantom order, nothing unresolved', async () => {
    await waitFor(() => [...h.journal.orders.values()].every((o) => o.state !== 'unknown' && o.state !== 'submitted'), 15_000, 'all resolved');
    const led = h.sim.ledger('sim-a', ACCOUNT).orders;
    const mine = new Set([...h.journal.orders.values()].map((o) => o.clientOrderId));
    assert.deepEqual(led.filter((o) => !mine.has(o.clientOrderId)).map((o) => o.clientOrderId), [], 'phantom');
    const count = new Map<string, number>();
    for (const o of led) count.set(o.clientOrderId, (count.get(o.clientOrderId) ?? 0) + 1);
    assert.deepEqual([...count].filter(([, c]) => c > 1), [], 'duplicate');
    for (const o of h.journal.orders.values()) {
      if (['accepted', 'canceled', 'partially-filled', 'filled'].includes(o.state)) assert.equal(count.get(o.clientOrderId), 1, `lost: ${o.clientOrderId}`);
      if (o.state === 'rejected') assert.equal(count.get(o.clientOrderId), undefined, `rejected but at the venue: ${o.clientOrderId}`);
    }
  });
});

describe('order entry over the WebSocket API: a signature the venue refuses', function () {
  this.timeout(60_000);

  it('is an auth refusal like REST: the breaker counts no failure, onAuth is called, nothing reaches the venue', async () => {
    const sim = await Simulator.start({ venues: 1, seed: 5, port: 0, participants: false });
    const clock = new LiveClock();
    const v = sim.venues[0]!;
    const make = (orderEntry: 'ws' | 'rest'): BinanceAdapter =>
      new BinanceAdapter({ venue: v.name, apiKey: DEMO_API_KEY, secret: `${DEMO_API_SECRET}-wrong`, rest: v.rest, wsApi: v.wsApi, timeoutMs: 1000, clock, orderEntry });
    const ws = make('ws');
    const rest = make('rest');
    try {
      await ws.loadInstruments();
      await rest.loadInstruments();
      await waitFor(() => ws.wsOrders!.up, 10_000, 'connected');
      const kinds: Record<string, { kind: string; breaker: string; failures: number; auths: number }> = {};
      for (const [name, a] of [['ws', ws], ['rest', rest]] as const) {
        const breaker = new CircuitBreaker({ name, consecutiveFailures: 1, openDurationMs: 100, jitter: 0 }, clock);
        const call = new VenueCall(a, breaker, clock);
        let auths = 0;
        call.onAuth = () => void auths++;
        const err = await call.run((x) => x.placeOrder(`wso.sig-${name}`, intent(1), '')).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(err instanceof VenueCallError, `${name}: ${String(err)}`);
        kinds[name] = { kind: err.kind, breaker: breaker.state, failures: breaker.metrics().failures, auths };
      }
      assert.deepEqual(kinds.ws, { kind: 'auth', breaker: 'closed', failures: 0, auths: 1 });
      assert.deepEqual(kinds.ws, kinds.rest, 'the WebSocket API refusal is treated as the REST one');
      assert.equal(ws.wsOrders!.figures.sent, 1, 'the refused request did go over the WebSocket');
      assert.equal(sim.ledger('sim-a', ACCOUNT).orders.length, 0);
    } finally {
      await ws.close();
      await rest.close();
      await sim.stop();
    }
  });
});

describe('order entry over the WebSocket API: closing with a request in flight', function () {
  this.timeout(60_000);

  it('the unanswered request ends unknown (never silently dropped), and nothing is sent again', async () => {
    const sim = await Simulator.start({ venues: 1, seed: 6, port: 0, participants: false });
    const clock = new LiveClock();
    const v = sim.venues[0]!;
    const a = new BinanceAdapter({ venue: v.name, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, rest: v.rest, wsApi: v.wsApi, timeoutMs: 30_000, clock, orderEntry: 'ws' });
    try {
      await a.loadInstruments();
      await waitFor(() => a.wsOrders!.up, 10_000, 'connected');
      await sim.setOutage('sim-a', 'ws-api', 'blackhole');
      const placed = a.placeOrder('wso.close-1', intent(7), '').then(
        () => 'answered',
        (e: unknown) => (e instanceof VenueCallError ? e.kind : String(e)),
      );
      await waitFor(() => a.wsOrders!.inFlight === 1, 5000, 'in flight');
      await a.close();
      assert.equal(await placed, 'unknown');
      assert.equal(a.wsOrders!.figures.sent, 1);
      await sim.clearOutage('sim-a', 'ws-api');
      assert.equal(sim.ledger('sim-a', ACCOUNT).orders.length, 0, 'not re-sent over REST');
    } finally {
      await a.close();
      await sim.stop();
    }
  });
});

describe('order entry over the WebSocket API through the engine (venues[].orderEntry: ws)', function () {
  this.timeout(60_000);

  it("the venue's order budget still denies before journaling; the accepted orders go over the WebSocket API; the venue never answers 429", async () => {
    // The venue allows 10 orders per 10 s and bans after one 429; the engine reads that from exchangeInfo.
    const sim = await Simulator.start({ venues: 1, seed: 5, port: 0, participants: false, rateLimits: { weightPerMinute: 400, ordersPer10s: 10, banAfter429: 1 } });
    const dir = mkdtempSync(path.join(tmpdir(), 'bot4-wso-'));
    let engine: Engine | undefined;
    try {
      engine = await Engine.start({
        journal: { dir, fsync: 'never' },
        venues: sim.venues.map((v) => ({ name: v.name, rest: v.rest, ws: v.ws, wsApi: v.wsApi, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, orderEntry: 'ws' as const, limits: { apiShare: 0 }, actor: { reconcileEveryMs: 0, streams: false } })),
        symbols: ['BTC/USDT'],
        // apiShare 0: the strategy 'wso' may use the whole budget (the API's reserved share is tested elsewhere).
        risk: { strategies: { wso: {} }, checks: { staleData: false, correlation: false, priceBand: false, rate: false } },
      });
      const e = engine;
      await waitFor(() => e.venuesSynced, 15_000, 'venue synced');
      const adapter = e.venues.get('sim-a')!.adapter as BinanceAdapter;
      assert.equal(adapter.orderEntry, 'ws', 'the engine passed orderEntry to the adapter');
      await waitFor(() => adapter.wsOrders!.up, 10_000, 'WebSocket order entry connected');
      const acks = await Promise.all(Array.from({ length: 30 }, (_, i) => e.submit(intent(i, { priceTicks: 2_000_000 + i }))));
      assert.equal(acks.filter((a) => a.accepted).length, 8, 'headroom 0.8 of the advertised 10 orders per 10 s');
      assert.equal(acks.filter((a) => a.reason === 'VENUE_RATE_LIMITED').length, 22);
      for (const a of acks.filter((x) => x.accepted)) await waitFor(() => e.journal.orders.get(a.clientOrderId!)?.state === 'accepted', 5000, 'accepted at the venue');
      assert.equal(adapter.wsOrders!.figures.sent, 8, 'the accepted orders went over the WebSocket API');
      assert.equal(e.venueStats()['sim-a']!.throttled, 0, 'no 429/418 from the venue');
      assert.equal(sim.ledger('sim-a', ACCOUNT).orders.length, 8, 'denied orders never left the process');
      assert.equal([...e.journal.orders.openOrders()].length, 8, 'denied orders were never journaled');
    } finally {
      await engine?.stop();
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('venues[].orderEntry validation', () => {
  const venue = { name: 'ex-a', rest: 'http://127.0.0.1:1/api/v3', apiKey: 'k', secret: 's' };

  it('an unknown value is a ConfigError naming the field, what was expected and what arrived', () => {
    assert.throws(
      () => parseEngineConfig({ venues: [{ ...venue, wsApi: 'ws://127.0.0.1:1/ws-api/v3', orderEntry: 'grpc' as never }] }),
      (e: unknown) => e instanceof ConfigError && e.field === 'engine.venues.0.orderEntry' && /expected one of "rest", "ws", got "grpc"/.test(e.message),
    );
  });

  it('the daemon config (venues[] is the engine schema) refuses it the same way', () => {
    assert.throws(
      () => parseDaemonConfig({ venues: [{ ...venue, orderEntry: 'WS' }], strategies: [], risk: { strategies: { api: {} } } }, {}),
      (e: unknown) => e instanceof ConfigError && e.field === 'venues.0.orderEntry' && /expected one of "rest", "ws", got "WS"/.test(e.message),
    );
  });

  it('"ws" without a wsApi URL is refused, naming the field', () => {
    assert.throws(
      () => parseEngineConfig({ venues: [{ ...venue, orderEntry: 'ws' }] }),
      (e: unknown) => e instanceof ConfigError && e.field === 'engine.venues.0.orderEntry' && /no wsApi URL, got "ws"/.test(e.message),
    );
  });

  it('the default is rest; ws with a wsApi URL is accepted', () => {
    assert.equal(parseEngineConfig({ venues: [venue] }).venues[0]!.orderEntry, 'rest');
    assert.equal(parseEngineConfig({ venues: [{ ...venue, wsApi: 'ws://127.0.0.1:1/ws-api/v3', orderEntry: 'ws' }] }).venues[0]!.orderEntry, 'ws');
  });

  it('an adapter built directly refuses a bad orderEntry the same way', () => {
    const base = { venue: 'ex-a', apiKey: 'k', secret: 's', rest: venue.rest, timeoutMs: 1000, clock: new LiveClock() };
    assert.throws(() => new BinanceAdapter({ ...base, orderEntry: 'fix' as never }), (e: unknown) => e instanceof ConfigError && e.field === 'venues.ex-a.orderEntry' && /got "fix"/.test(e.message));
    assert.throws(() => new BinanceAdapter({ ...base, orderEntry: 'ws' }), (e: unknown) => e instanceof ConfigError && /no wsApi URL/.test(e.message));
  });
});
