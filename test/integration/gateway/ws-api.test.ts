import assert from 'node:assert/strict';
import { pino } from 'pino';
import { GatewayServer, type GatewayAddress } from '../../../gateway/index.js';
import { EnginePortDouble } from '../../fixtures/gateway/engine-port-double.js';
import { TOKENS, TOKEN_CONFIG, TestClient } from '../../fixtures/gateway/ws-client.js';
import { Bot4Error } from '../../../common/errors.js';

const silent = pino({ level: 'silent' });

describe('gateway /ws API (real sockets)', () => {
  let port: EnginePortDouble;
  let gw: GatewayServer;
  let addr: GatewayAddress;
  const clients: TestClient[] = [];

  async function client(token?: string): Promise<TestClient> {
    const c = await TestClient.connect(addr.api, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
    clients.push(c);
    return c;
  }

  beforeEach(async () => {
    port = new EnginePortDouble();
    gw = new GatewayServer(port, { port: 0, tokens: TOKEN_CONFIG, limits: { requestTimeoutMs: 300 } }, { logger: silent });
    addr = await gw.start();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await gw.stop();
  });

  it('binds 127.0.0.1 by default and reports its URLs', () => {
    assert.equal(addr.host, '127.0.0.1');
    assert.ok(addr.port > 0);
    assert.equal(addr.api, `ws://127.0.0.1:${addr.port}/ws`);
    assert.equal(gw.listeningPort, addr.port);
  });

  it('answers ping without authentication and echoes the request id', async () => {
    const c = await client();
    const r = await c.request('ping');
    assert.equal(r.ok, true);
    assert.equal(r.v, 1);
    assert.deepEqual(Object.keys(r.result as object).sort(), ['epochMs', 'pong']);
  });

  it('authenticates with a token and reports roles; refuses an unknown token', async () => {
    const c = await client();
    const bad = await c.request('authenticate', { token: 'nope-nope-nope-nope' });
    assert.equal(bad.ok, false);
    assert.equal(bad.error!.code, 'GW_AUTH_FAILED');
    const good = await c.request('authenticate', { token: TOKENS.trade });
    assert.deepEqual(good.result, { name: 'trader', roles: ['trade'] });
  });

  it('refuses a bad token at upgrade with HTTP 401', async () => {
    await assert.rejects(TestClient.connect(addr.api, { headers: { authorization: 'Bearer wrong-token-wrong-token' } }), /HTTP 401/);
  });

  it('refuses unauthenticated and wrong-role requests without calling the engine', async () => {
    const anon = await client();
    const r1 = await anon.request('order.submit', { venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: 100, qtyLots: 1 });
    assert.equal(r1.error!.code, 'GW_UNAUTHENTICATED');
    const r2 = await anon.request('status.get');
    assert.equal(r2.error!.code, 'GW_UNAUTHENTICATED');
    const reader = await client(TOKENS.read);
    const r3 = await reader.request('order.submit', { venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: 100, qtyLots: 1 });
    assert.equal(r3.error!.code, 'GW_FORBIDDEN');
    const trader = await client(TOKENS.trade);
    const r4 = await trader.request('killSwitch.set', { state: 'HALTED' });
    assert.equal(r4.error!.code, 'GW_FORBIDDEN');
    const r5 = await trader.request('strategy.start', { id: 'mm' });
    assert.equal(r5.error!.code, 'GW_FORBIDDEN');
    const feeder = await client(TOKENS.feed);
    const r6 = await feeder.request('status.get');
    assert.equal(r6.error!.code, 'GW_FORBIDDEN');
    assert.deepEqual(port.stateChangingCalls(), []);
  });

  it('submits an order through the port with defaults applied and the caller context', async () => {
    const c = await client(TOKENS.trade);
    const r = await c.request('order.submit', { clientOrderId: 'c-1', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: 6500000, qtyLots: 10 });
    assert.equal(r.ok, true);
    assert.deepEqual(r.result, { accepted: true, orderId: 'o-1', clientOrderId: 'c-1' });
    const call = port.calls.find((x) => x.method === 'submitOrder')!;
    assert.deepEqual(call.args, { clientOrderId: 'c-1', strategy: 'api', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 6500000, qtyLots: 10, reduceOnly: false });
    assert.equal(call.ctx!.principal, 'trader');
    assert.equal(call.ctx!.requestId, r.id);
    const denied = await c.request('order.submit', { venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: 1, qtyLots: 2_000_000 });
    assert.deepEqual(denied.result, { accepted: false, reason: 'RISK_MAX_QTY' });
  });

  it('cancels, cancels all, queries and controls strategies and the kill switch', async () => {
    const admin = await client(TOKENS.admin);
    await admin.request('order.submit', { venue: 'sim-a', symbol: 'BTC/USDT', side: 'sell', type: 'limit', priceTicks: 10, qtyLots: 1 });
    await admin.request('order.submit', { venue: 'sim-a', symbol: 'BTC/USDT', side: 'sell', type: 'limit', priceTicks: 11, qtyLots: 1 });
    assert.equal(((await admin.request('orders.get', {})).result as unknown[]).length, 2);
    assert.deepEqual((await admin.request('order.cancel', { orderId: 'o-1' })).result, { canceled: true, orderId: 'o-1' });
    assert.deepEqual((await admin.request('order.cancel', { orderId: 'o-99' })).result, { canceled: false, reason: 'UNKNOWN_ORDER' });
    assert.equal((await admin.request('order.cancel', {})).error!.code, 'GW_BAD_REQUEST');
    assert.deepEqual((await admin.request('order.cancelAll', {})).result, { count: 1 });
    assert.deepEqual((await admin.request('killSwitch.set', { state: 'HALTED' })).result, { state: 'HALTED', previous: 'ACTIVE' });
    assert.deepEqual((await admin.request('status.get')).result, { state: 'running', killSwitch: 'HALTED', openOrders: 0 });
    assert.equal(((await admin.request('positions.get')).result as unknown[]).length, 1);
    assert.equal(((await admin.request('balances.get')).result as unknown[]).length, 1);
    assert.equal(((await admin.request('breakers.get')).result as unknown[]).length, 1);
    // bigint from the engine travels as a decimal string
    assert.deepEqual((await admin.request('riskLimits.get')).result, { maxOrderNotional: '50000', big: '12345678901234567890' });
    assert.deepEqual((await admin.request('strategy.start', { id: 'mm' })).result, { id: 'mm', state: 'running', ok: true });
    assert.deepEqual((await admin.request('strategy.stop', { id: 'mm' })).result, { id: 'mm', state: 'stopped', ok: true });
  });

  it('sends exactly one reply per request id, in any mix of good and bad requests', async () => {
    const c = await client(TOKENS.admin);
    const ops = ['ping', 'status.get', 'nope', 'order.submit', 'subscribe', 'positions.get'];
    const n = 300;
    for (let i = 0; i < n; i++) {
      const op = ops[i % ops.length]!;
      const args = op === 'subscribe' ? { topics: ['orders'] } : op === 'order.submit' ? { venue: 'sim-a' } : undefined;
      c.sendRaw(JSON.stringify({ v: 1, id: i, op, ...(args === undefined ? {} : { args }) }));
    }
    await c.waitFor(() => c.messages.filter((m) => typeof m.id === 'number').length >= n, 'all replies');
    await c.request('ping'); // a round trip after the flood: any duplicate would have arrived by now
    const counts = new Map<number, number>();
    for (const m of c.messages) if (typeof m.id === 'number') counts.set(m.id, (counts.get(m.id) ?? 0) + 1);
    assert.equal(counts.size, n);
    assert.ok([...counts.values()].every((v) => v === 1));
    assert.equal(c.messages.filter((m) => m.id === 2)[0]!.error!.code, 'GW_UNKNOWN_OP');
    assert.equal(c.messages.filter((m) => m.id === 3)[0]!.error!.code, 'GW_BAD_REQUEST');
  });

  it('rejects bad envelopes with typed errors naming the field', async () => {
    const c = await client(TOKENS.trade);
    c.sendRaw('{not json');
    const bad = await c.waitFor((m) => m.error?.code === 'GW_BAD_JSON');
    assert.equal(bad.id, null);
    c.sendRaw(JSON.stringify({ v: 2, id: 'x', op: 'ping' }));
    assert.equal((await c.waitFor((m) => m.id === 'x')).error!.code, 'GW_UNSUPPORTED_VERSION');
    c.sendRaw(JSON.stringify({ id: 'nov', op: 'ping' }));
    const nov = await c.waitFor((m) => m.id === 'nov');
    assert.equal(nov.error!.code, 'GW_BAD_REQUEST');
    assert.equal(nov.error!.field, 'v');
    c.sendRaw(JSON.stringify({ v: 1, op: 'ping' }));
    const noid = await c.waitFor((m) => m.error?.field === 'id');
    assert.equal(noid.id, null);
    c.sendRaw(JSON.stringify({ v: 1, id: 'extra', op: 'ping', junk: 1 }));
    assert.equal((await c.waitFor((m) => m.id === 'extra')).error!.code, 'GW_BAD_REQUEST');
    const r = await c.request('order.submit', { venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: '12', qtyLots: 1 });
    assert.equal(r.error!.code, 'GW_BAD_REQUEST');
    assert.equal(r.error!.field, 'args.priceTicks');
    assert.equal(r.error!.message, 'args.priceTicks: expected a number, got "12"');
    const huge = await c.request('order.submit', { venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: 1e300, qtyLots: 1 });
    assert.equal(huge.error!.code, 'GW_BAD_REQUEST');
    const notObj = await c.request('status.get', [1, 2]);
    assert.equal(notObj.error!.field, 'args');
    c.sendRaw(Buffer.from([1, 2, 3]), true);
    assert.equal((await c.waitFor((m) => m.error?.code === 'GW_BAD_FRAME')).id, null);
    assert.deepEqual(port.stateChangingCalls(), []);
  });

  it('maps engine failures to GW_ENGINE_ERROR / GW_INTERNAL and slow answers to GW_TIMEOUT', async () => {
    const c = await client(TOKENS.admin);
    port.failWith = new Bot4Error('B4_TEST_ENGINE', 'venue down');
    const e1 = await c.request('status.get');
    assert.equal(e1.error!.code, 'GW_ENGINE_ERROR');
    assert.equal(e1.error!.details!.engineCode, 'B4_TEST_ENGINE');
    port.failWith = new Error('boom');
    const e2 = await c.request('status.get');
    assert.equal(e2.error!.code, 'GW_INTERNAL');
    assert.ok(!e2.error!.message.includes('boom'), 'internal details are not leaked');
    port.failWith = null;
    port.hang = true;
    const e3 = await c.request('status.get');
    assert.equal(e3.error!.code, 'GW_TIMEOUT');
  });

  it('limits requests in flight per connection', async () => {
    await gw.stop();
    port = new EnginePortDouble();
    port.hang = true;
    gw = new GatewayServer(port, { port: 0, tokens: TOKEN_CONFIG, limits: { maxInflight: 2, requestTimeoutMs: 500 } }, { logger: silent });
    addr = await gw.start();
    const c = await client(TOKENS.read);
    const ps = [c.request('status.get'), c.request('status.get'), c.request('status.get')];
    const third = await ps[2]!;
    assert.equal(third.error!.code, 'GW_TOO_MANY_INFLIGHT');
    const [a, b] = await Promise.all([ps[0]!, ps[1]!]);
    assert.equal(a.error!.code, 'GW_TIMEOUT');
    assert.equal(b.error!.code, 'GW_TIMEOUT');
  });

  it('fans out engine events to subscribers only, via uWS topics', async () => {
    const sub = await client(TOKENS.read);
    const other = await client(TOKENS.read);
    const r = await sub.request('subscribe', { topics: ['orders', 'md.ticker.sim-a.BTC/USDT', 'orders'] });
    assert.deepEqual(r.result, { subscribed: ['orders', 'md.ticker.sim-a.BTC/USDT'], subscriptions: 2 });
    await other.request('subscribe', { topics: ['fills'] });
    const trader = await client(TOKENS.trade);
    await trader.request('order.submit', { venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: 5, qtyLots: 1 });
    const ev = await sub.waitFor((m) => m.topic === 'orders');
    assert.deepEqual(ev, { v: 1, topic: 'orders', data: { event: 'order.accepted', orderId: 'o-1', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', status: 'open', priceTicks: 5, qtyLots: 1 } });
    port.emit('md.ticker.sim-a.BTC/USDT', { bidPx: 1 });
    port.emit('md.ticker.sim-a.ETH/USDT', { bidPx: 2 });
    await sub.waitFor((m) => m.topic === 'md.ticker.sim-a.BTC/USDT');
    await other.request('ping');
    assert.equal(other.messages.filter((m) => m.topic !== undefined).length, 0);
    const u = await sub.request('unsubscribe', { topics: ['orders', 'fills'] });
    assert.deepEqual(u.result, { unsubscribed: ['orders'], subscriptions: 1 });
    const before = sub.messages.filter((m) => m.topic === 'orders').length;
    port.emit('orders', { x: 1 });
    await sub.request('ping');
    assert.equal(sub.messages.filter((m) => m.topic === 'orders').length, before);
    assert.equal(gw.stats().eventsPublished >= 2, true);
  });

  it('rejects unknown topics and enforces the subscription limit', async () => {
    await gw.stop();
    gw = new GatewayServer(port, { port: 0, tokens: TOKEN_CONFIG, limits: { maxSubscriptions: 3 } }, { logger: silent });
    addr = await gw.start();
    const c = await client(TOKENS.read);
    const bad = await c.request('subscribe', { topics: ['orders', 'secret.stuff'] });
    assert.equal(bad.error!.code, 'GW_BAD_TOPIC');
    assert.equal(bad.error!.field, 'args.topics.1');
    assert.equal((await c.request('subscribe', { topics: ['orders', 'fills', 'positions'] })).ok, true);
    const over = await c.request('subscribe', { topics: ['breakers'] });
    assert.equal(over.error!.code, 'GW_TOO_MANY_SUBSCRIPTIONS');
    assert.equal((await c.request('subscribe', { topics: ['orders'] })).ok, true, 're-subscribing costs nothing');
  });

  it('closes with 1009 on an oversize message and stays up for others', async () => {
    await gw.stop();
    gw = new GatewayServer(port, { port: 0, tokens: TOKEN_CONFIG, limits: { maxPayloadBytes: 1024 } }, { logger: silent });
    addr = await gw.start();
    const big = await client(TOKENS.read);
    const other = await client(TOKENS.read);
    big.sendRaw(JSON.stringify({ v: 1, id: 1, op: 'ping', pad: 'x'.repeat(2000) }));
    await big.closed();
    assert.equal(big.closeCode, 1009);
    assert.equal((await other.request('ping')).ok, true);
  });

  it('stop() closes clients with 1001 and frees the port', async () => {
    const c = await client(TOKENS.read);
    await gw.stop();
    await c.closed();
    assert.equal(c.closeCode, 1001);
    await assert.rejects(TestClient.connect(addr.api));
    await gw.stop();
  });
});
