import assert from 'node:assert/strict';
import net from 'node:net';
import { PerfectNetwork } from '../../../simulators/wire/faults.js';
import { Simulator, type VenueUrls } from '../../../simulators/index.js';
import { ccxt, proClient, restClient, within } from './helpers.js';

type Rest = ReturnType<typeof restClient>;
type Pro = Awaited<ReturnType<typeof proClient>>;

interface Decision {
  type: string;
  scope: string;
  connectionId: string;
  n: number;
  drop: boolean;
  delayMs: number;
}

/**
 * Every outage mode driven through the control API over HTTP, as a ccxt client sees it: the error
 * class a real outage of that kind gives, scoped to one connection family, and recovery of the same
 * client once the outage is cleared.
 */
describe('simulator outages seen from ccxt', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let v: VenueUrls;
  let ex: Rest;
  let pro: Pro;

  async function control(method: string, path: string, body?: Record<string, unknown>): Promise<unknown> {
    const r = await fetch(`${sim.controlUrl}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
    const json: unknown = await r.json();
    assert.equal(r.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
    return json;
  }
  const outage = (body: Record<string, unknown>): Promise<unknown> => control('POST', '/venues/sim-a/outage', body);
  const clear = (scope?: string): Promise<unknown> => control('DELETE', `/venues/sim-a/outage${scope === undefined ? '' : `?scope=${scope}`}`);

  before(async () => {
    sim = await Simulator.start({ venues: 1, seed: 5, port: 0, decisionLogSize: 10_000 });
    v = sim.venues[0]!;
    ex = restClient(v, { timeout: 500 });
    await ex.loadMarkets();
    pro = await proClient(v, { timeout: 2000 });
    await pro.loadMarkets();
  });
  afterEach(async () => {
    await clear();
  });
  after(async () => {
    await pro?.close();
    await sim?.stop();
  });

  it('the control API lists the outage per scope and clears it', async () => {
    await outage({ mode: 'http-5xx', scope: 'rest' });
    const venues = (await control('GET', '/venues')) as { name: string; outages: Record<string, { mode: string }> }[];
    assert.deepEqual(Object.keys(venues[0]!.outages), ['rest']);
    assert.equal(venues[0]!.outages.rest!.mode, 'http-5xx');
    await clear('rest');
    const after = (await control('GET', '/venues')) as { outages: Record<string, unknown> }[];
    assert.deepEqual(after[0]!.outages, {});
    const r = await fetch(`${sim.controlUrl}/venues/sim-a/outage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'meltdown' }) });
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'B4_SIM_UNKNOWN');
    for (const limit of ['0', '10001', 'x']) {
      const e = await fetch(`${sim.controlUrl}/network/events?limit=${limit}`);
      assert.equal(e.status, 400, `limit=${limit}`);
      assert.match(((await e.json()) as { error: { message: string } }).error.message, /^limit: expected an integer from 1 to 10000/);
    }
    const events = (await control('GET', '/network/events?type=outage.set&limit=1')) as { type: string; mode: string }[];
    assert.deepEqual(events.map((e) => [e.type, e.mode]), [['outage.set', 'http-5xx']]);
  });

  it('the event log route answers 400 when the network model keeps no log', async () => {
    const bare = await Simulator.start({ venues: 1, port: 0, participants: false, network: new PerfectNetwork() });
    try {
      const r = await fetch(`${bare.controlUrl}/network/events`);
      assert.equal(r.status, 400);
      assert.equal(((await r.json()) as { error: { message: string } }).error.message, 'network model keeps no event log');
    } finally {
      await bare.stop();
    }
  });

  it('refuse: when the port is taken during the outage, clearing answers B4_SIM_LISTEN_FAILED; once free, clearing reopens it', async () => {
    await outage({ mode: 'refuse' });
    const squatter = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve, reject) => {
      squatter.once('error', reject);
      squatter.listen(v.port, '127.0.0.1', resolve);
    });
    try {
      const r = await fetch(`${sim.controlUrl}/venues/sim-a/outage`, { method: 'DELETE' });
      assert.equal(r.status, 400);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'B4_SIM_LISTEN_FAILED');
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    await clear();
    assert.equal((await ex.fetchTicker('BTC/USDT')).symbol, 'BTC/USDT', 'the same client works again');
  });

  it('refuse on rest: requests fail with NetworkError (connection reset), streams keep flowing; cleared, the same client works', async () => {
    await ex.fetchTicker('BTC/USDT');
    await outage({ mode: 'refuse', scope: 'rest' });
    await assert.rejects(ex.fetchTicker('BTC/USDT'), (e: Error) => e instanceof ccxt.NetworkError && !(e instanceof ccxt.RequestTimeout));
    const t = await within(pro.watchTicker('ETH/USDT'), 5000, 'watchTicker during a rest outage');
    assert.equal(t.symbol, 'ETH/USDT');
    await clear('rest');
    assert.equal((await ex.fetchTicker('BTC/USDT')).symbol, 'BTC/USDT', 'the same client works again');
  });

  it('refuse on every scope: the port is closed (ECONNREFUSED), open streams fail with NetworkError; cleared, both work again', async () => {
    await within(pro.watchTicker('BTC/USDT'), 5000, 'first ticker');
    const pending = pro.watchTicker('BTC/USDT');
    await outage({ mode: 'refuse' });
    await assert.rejects(within(pending, 5000, 'pending watchTicker'), ccxt.NetworkError);
    // A client with no pooled connection meets the closed port.
    const fresh = restClient(v, { timeout: 500 });
    await assert.rejects(fresh.fetchTime(), (e: Error) => e instanceof ccxt.NetworkError && /ECONNREFUSED/.test(e.message));
    await assert.rejects(ex.fetchTicker('BTC/USDT'), (e: Error) => e instanceof ccxt.NetworkError && !(e instanceof ccxt.RequestTimeout));
    await clear();
    assert.equal((await ex.fetchTicker('BTC/USDT')).symbol, 'BTC/USDT', 'the same client works again');
    assert.ok(((await fresh.fetchTime()) ?? 0) > 0);
    const t = await within(pro.watchTicker('BTC/USDT'), 5000, 'watchTicker after the outage');
    assert.equal(t.symbol, 'BTC/USDT');
  });

  it('blackhole on rest: requests time out (RequestTimeout); cleared, the same client works', async () => {
    await outage({ mode: 'blackhole', scope: 'rest' });
    await assert.rejects(ex.fetchTicker('BTC/USDT'), ccxt.RequestTimeout);
    await assert.rejects(ex.fetchBalance(), ccxt.RequestTimeout);
    await clear('rest');
    assert.equal((await ex.fetchTicker('BTC/USDT')).symbol, 'BTC/USDT', 'the same client works again');
    assert.equal(typeof (await ex.fetchBalance()).total, 'object');
  });

  it('http-5xx on rest: 503 with -1001, which ccxt raises as OperationFailed; streams unaffected; cleared, the same client works', async () => {
    await outage({ mode: 'http-5xx', scope: 'rest' });
    // ccxt's binance maps the body's -1001 ("Internal error; unable to process your request") to
    // OperationFailed before the HTTP status (503 → ExchangeNotAvailable) is looked at.
    await assert.rejects(ex.fetchTicker('BTC/USDT'), (e: Error) => e instanceof ccxt.OperationFailed && /-1001/.test(e.message));
    await assert.rejects(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 20000, { clientOrderId: 'during-5xx' }), (e: Error) => e instanceof ccxt.OperationFailed && /-1001/.test(e.message));
    const raw = await fetch(`${v.rest}/ping`);
    assert.equal(raw.status, 503);
    assert.equal(((await raw.json()) as { code: number }).code, -1001);
    assert.equal((await within(pro.watchTicker('ETH/USDT'), 5000, 'watchTicker')).symbol, 'ETH/USDT');
    await clear('rest');
    assert.equal((await ex.fetchTicker('BTC/USDT')).symbol, 'BTC/USDT', 'the same client works again');
    assert.equal(sim.ledger('sim-a').orders.filter((o) => o.clientOrderId === 'during-5xx').length, 0, 'no order reached the engine during the outage');
  });

  it('ws-drop on stream: a pending watch rejects with NetworkError, REST keeps working; cleared, watching works again', async () => {
    await within(pro.watchTicker('BTC/USDT'), 5000, 'first ticker');
    const pending = pro.watchTicker('BTC/USDT');
    await outage({ mode: 'ws-drop', scope: 'stream' });
    await assert.rejects(within(pending, 5000, 'pending watchTicker'), ccxt.NetworkError);
    // New stream connections are dropped too while the outage lasts.
    await assert.rejects(within(pro.watchTicker('BTC/USDT'), 5000, 'watchTicker during ws-drop'), ccxt.NetworkError);
    assert.ok(((await pro.fetchTicker('BTC/USDT')).last ?? 0) > 0);
    await clear('stream');
    assert.equal((await within(pro.watchTicker('BTC/USDT'), 20_000, 'watchTicker after ws-drop')).symbol, 'BTC/USDT');
  });

  it('ws-drop on ws-api: the user-data watch rejects with NetworkError; cleared, createOrderWs works again', async () => {
    await (pro as unknown as { authenticate(p: object): Promise<void> }).authenticate({ type: 'spot' });
    const pending = pro.watchBalance();
    await outage({ mode: 'ws-drop', scope: 'ws-api' });
    await assert.rejects(within(pending, 5000, 'pending watchBalance'), ccxt.NetworkError);
    await clear('ws-api');
    const o = await within(pro.createOrderWs('BTC/USDT', 'limit', 'buy', 0.001, 20000, { clientOrderId: 'after-ws-drop' }), 5000, 'createOrderWs');
    assert.equal(o.clientOrderId, 'after-ws-drop');
    assert.ok(sim.ledger('sim-a').orders.some((x) => x.clientOrderId === 'after-ws-drop'));
  });

  it('slow on rest: requests still succeed, and the decision log shows the bandwidth cap on each reply', async () => {
    const bytesPerSec = 50_000;
    const decisions = async (): Promise<Decision[]> => (await control('GET', '/network/events?type=message&venue=sim-a&scope=rest')) as Decision[];
    await ex.fetchTicker('BTC/USDT');
    const unlimited = (await decisions()).at(-1)!;
    assert.equal(unlimited.delayMs, 0, 'no profile, no outage: no delay');
    await outage({ mode: 'slow', scope: 'rest', bytesPerSec });
    const slowEx = restClient(v, { timeout: 5000 });
    slowEx.markets = ex.markets;
    slowEx.marketsById = ex.marketsById;
    for (const fetchOne of [() => slowEx.fetchOrderBook('BTC/USDT', 100), () => slowEx.fetchTicker('ETH/USDT')]) {
      await fetchOne();
      const body = String((slowEx as unknown as { last_http_response: string }).last_http_response);
      const last = (await decisions()).at(-1)!;
      assert.equal(last.drop, false);
      // The reply waited at least its own transmission time at the cap (more if the pipe was busy).
      assert.ok(last.delayMs >= (Buffer.byteLength(body) / bytesPerSec) * 1000 - 1e-6, `delay ${last.delayMs} ms for ${body.length} bytes`);
    }
    await clear('rest');
    await ex.fetchTicker('BTC/USDT');
    assert.equal((await decisions()).at(-1)!.delayMs, 0, 'cleared: no delay again');
  });

  it('clock-skew on rest: signed requests fail with -1021 (InvalidNonce) until ccxt re-syncs time; the ws-api clock is unaffected', async () => {
    await outage({ mode: 'clock-skew', scope: 'rest', skewMs: 60_000 });
    await assert.rejects(ex.fetchBalance(), (e: Error) => e instanceof ccxt.InvalidNonce && /-1021/.test(e.message));
    assert.ok(((await ex.fetchTicker('BTC/USDT')).last ?? 0) > 0, 'public endpoints are unaffected');
    assert.equal(typeof (await within(pro.fetchBalanceWs(), 5000, 'fetchBalanceWs')).total, 'object');
    const serverAhead = (await ex.fetchTime())! - Date.now();
    assert.ok(serverAhead > 50_000, `server time ahead by ${serverAhead} ms`);
    await ex.loadTimeDifference();
    assert.equal(typeof (await ex.fetchBalance()).total, 'object');
    await clear('rest');
    // ccxt keeps the offset it measured: stale now, until it re-syncs once more.
    await assert.rejects(ex.fetchBalance(), (e: Error) => e instanceof ccxt.InvalidNonce && /-1021/.test(e.message));
    await ex.loadTimeDifference();
    assert.equal(typeof (await ex.fetchBalance()).total, 'object');
  });

  it('clock-skew on ws-api: createOrderWs fails with -1021 (InvalidNonce) while REST orders work; cleared, it works again', async () => {
    await outage({ mode: 'clock-skew', scope: 'ws-api', skewMs: -60_000 });
    await assert.rejects(within(pro.createOrderWs('BTC/USDT', 'limit', 'buy', 0.001, 20000), 5000, 'createOrderWs'), (e: Error) => e instanceof ccxt.InvalidNonce && /-1021/.test(e.message));
    const o = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 20000);
    assert.equal(o.status, 'open');
    await clear('ws-api');
    const w = await within(pro.createOrderWs('BTC/USDT', 'limit', 'buy', 0.001, 20000), 5000, 'createOrderWs');
    assert.equal(w.status, 'open');
  });
});
