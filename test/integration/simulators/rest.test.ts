import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { Simulator, DEMO_API_KEY, DEMO_API_SECRET } from '../../../simulators/index.js';
import { ccxt, restClient } from './helpers.js';

describe('simulator REST with ccxt.binance', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let ex: ReturnType<typeof restClient>;

  before(async () => {
    sim = await Simulator.start({ venues: 1, seed: 7, port: 0 });
    ex = restClient(sim.venues[0]!);
    await ex.loadMarkets();
  });
  after(async () => {
    await sim.stop();
  });

  it('loadMarkets reads exchangeInfo filters (tick, step, min notional)', () => {
    const m = ex.market('BTC/USDT');
    assert.equal(m.id, 'BTCUSDT');
    assert.equal(m.spot, true);
    assert.equal(m.precision.price, 0.01);
    assert.equal(m.precision.amount, 0.00001);
    assert.equal(m.limits.cost?.min, 5);
    assert.equal(m.limits.amount?.min, 0.00001);
  });

  it('fetchBalance shows the demo balances', async () => {
    const b = await ex.fetchBalance();
    assert.equal((b.total as unknown as Record<string, number>).USDT, 100000);
    assert.equal((b.free as unknown as Record<string, number>).BTC, 2);
  });

  it('limit order: create, fetch by id and by clientOrderId, list open, cancel; funds lock and unlock', async () => {
    const o = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 30000, { clientOrderId: 'test-limit-1' });
    assert.equal(o.status, 'open');
    assert.equal(o.clientOrderId, 'test-limit-1');
    const bal = await ex.fetchBalance();
    assert.equal((bal.used as unknown as Record<string, number>).USDT, 300);
    const byId = await ex.fetchOrder(o.id!, 'BTC/USDT');
    assert.equal(byId.clientOrderId, 'test-limit-1');
    const byClient = await ex.fetchOrder(undefined as unknown as string, 'BTC/USDT', { origClientOrderId: 'test-limit-1' });
    assert.equal(byClient.id, o.id);
    const open = await ex.fetchOpenOrders('BTC/USDT');
    assert.ok(open.some((x) => x.id === o.id));
    const c = await ex.cancelOrder(o.id!, 'BTC/USDT');
    assert.equal(c.status, 'canceled');
    const after = await ex.fetchBalance();
    assert.equal((after.used as unknown as Record<string, number>).USDT, 0);
    await assert.rejects(ex.cancelOrder(o.id!, 'BTC/USDT'), ccxt.OrderNotFound);
    await assert.rejects(ex.fetchOrder('999999999', 'BTC/USDT'), ccxt.OrderNotFound);
  });

  it('market order fills against the background book; fills appear in fetchMyTrades and the ledger', async () => {
    const o = await ex.createOrder('ETH/USDT', 'market', 'buy', 0.1);
    assert.equal(o.status, 'closed');
    assert.equal(o.filled, 0.1);
    assert.ok((o.cost ?? 0) > 0);
    const trades = await ex.fetchMyTrades('ETH/USDT');
    assert.ok(trades.some((t) => t.order === o.id));
    const led = sim.ledger('sim-a', `user:${DEMO_API_KEY}`);
    const row = led.orders.find((x) => String(x.orderId) === o.id);
    assert.ok(row !== undefined);
    assert.equal(row.status, 'FILLED');
    assert.equal(row.executedQty, '0.10000000');
    assert.ok(row.fills.length > 0);
    assert.equal(led.reconciled, true);
  });

  it('rejects what Binance rejects, with the error class ccxt maps the code to', async () => {
    await assert.rejects(ex.createOrder('BTC/USDT', 'limit', 'buy', 100, 60000), ccxt.InsufficientFunds);
    await assert.rejects(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.00001, 100), (e: Error) => e instanceof ccxt.BadRequest && /NOTIONAL/.test(e.message)); // -1013
    await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 20000, { clientOrderId: 'dup-1' });
    await assert.rejects(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 20000, { clientOrderId: 'dup-1' }), ccxt.InvalidOrder);
  });

  it('refuses a bad signature (-1022 → AuthenticationError) and a stale timestamp (-1021 → InvalidNonce)', async () => {
    const bad = restClient(sim.venues[0]!, { secret: 'wrong-secret' });
    bad.markets = ex.markets;
    bad.marketsById = ex.marketsById;
    bad.symbols = ex.symbols;
    await assert.rejects(bad.fetchBalance(), (e: Error) => e instanceof ccxt.AuthenticationError && /-1022/.test(e.message));
    const stale = restClient(sim.venues[0]!);
    stale.options.timeDifference = 60_000;
    await assert.rejects(stale.fetchBalance(), (e: Error) => e instanceof ccxt.InvalidNonce && /-1021/.test(e.message));
    const unknown = restClient(sim.venues[0]!, { apiKey: 'nobody' });
    await assert.rejects(unknown.fetchBalance(), /-2015/);
  });

  it('answers raw requests with Binance codes: missing params, unknown symbol, filters, headers', async () => {
    const base = sim.venues[0]!.rest;
    const signed = (q: string): string => `${q}&signature=${createHmac('sha256', DEMO_API_SECRET).update(q).digest('hex')}`;
    const ts = Date.now();
    const post = (body: string): Promise<Response> => fetch(`${base}/order`, { method: 'POST', headers: { 'X-MBX-APIKEY': DEMO_API_KEY, 'content-type': 'application/x-www-form-urlencoded', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }, body });
    let r = await post(signed(`symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&price=30000&timestamp=${ts}`));
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { code: number }).code, -1102);
    r = await post(signed(`symbol=NOPE&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=30000&timestamp=${ts}`));
    assert.equal(((await r.json()) as { code: number }).code, -1121);
    r = await post(signed(`symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=30000.005&timestamp=${ts}`));
    assert.deepEqual(await r.json(), { code: -1013, msg: 'Filter failure: PRICE_FILTER' });
    r = await post(signed(`symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.0010001&price=30000&timestamp=${ts}`));
    assert.deepEqual(await r.json(), { code: -1013, msg: 'Filter failure: LOT_SIZE' });
    r = await post(signed(`symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=30000&newClientOrderId=traced-1&timestamp=${ts}`));
    assert.equal(r.status, 200);
    assert.ok(r.headers.get('x-mbx-used-weight-1m') !== null);
    assert.ok(r.headers.get('x-mbx-order-count-10s') !== null);
    const led = sim.ledger('sim-a');
    assert.equal(led.orders.find((o) => o.clientOrderId === 'traced-1')?.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    r = await fetch(`${base}/ping`);
    assert.deepEqual(await r.json(), {});
  });

  it('rate limits: 429 with Retry-After over the weight limit, then 418 for repeated violations', async () => {
    const ctl = sim.venues[0]!.control;
    await fetch(`${ctl}/venues/sim-a/limits`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ weightPerMinute: 3, banAfter429: 2 }) });
    try {
      const base = sim.venues[0]!.rest;
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 7; i++) {
        const r = await fetch(`${base}/ping`);
        statuses.push(r.status);
        if (r.status === 429) retryAfter ??= r.headers.get('retry-after');
        await r.arrayBuffer();
      }
      assert.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
      assert.equal(statuses[3], 429);
      assert.ok(Number(retryAfter) >= 1);
      assert.ok(statuses.includes(418));
      const c = restClient(sim.venues[0]!);
      c.markets = ex.markets;
      c.marketsById = ex.marketsById;
      await assert.rejects(c.fetchTicker('BTC/USDT'), ccxt.DDoSProtection);
    } finally {
      await fetch(`${ctl}/venues/sim-a/limits`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ weightPerMinute: 6000, banAfter429: 5 }) });
    }
  });
});
