import assert from 'node:assert/strict';
import { DEMO_API_KEY, Simulator } from '../../../simulators/index.js';
import { proClient, restClient, within } from './helpers.js';

/**
 * Self-trade prevention as ccxt sees it: two orders of the same account that cross never trade;
 * the one Binance's rules expire comes back `EXPIRED_IN_MATCH`, which ccxt reports as 'expired'.
 * An empty book (no background participants) so the two orders can only meet each other.
 */
describe('simulator self-trade prevention with ccxt.binance', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let ex: ReturnType<typeof restClient>;
  const account = `user:${DEMO_API_KEY}`;

  before(async () => {
    sim = await Simulator.start({ venues: 1, seed: 5, port: 0, participants: false });
    ex = restClient(sim.venues[0]!);
    await ex.loadMarkets();
  });
  after(async () => {
    await sim.stop();
  });

  it('exchangeInfo advertises Binance spot defaults: EXPIRE_MAKER, all four modes allowed', async () => {
    const info = (await (await fetch(`${sim.venues[0]!.rest}/exchangeInfo?symbol=BTCUSDT`)).json()) as { symbols: { defaultSelfTradePreventionMode: string; allowedSelfTradePreventionModes: string[] }[] };
    assert.equal(info.symbols[0]!.defaultSelfTradePreventionMode, 'EXPIRE_MAKER');
    assert.deepEqual(info.symbols[0]!.allowedSelfTradePreventionModes, ['NONE', 'EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH']);
  });

  it('default mode (EXPIRE_MAKER): the resting order is expired, ccxt sees it expired, and no trade prints between the two', async () => {
    const maker = await ex.createOrder('BTC/USDT', 'limit', 'sell', 0.01, 30000, { clientOrderId: 'stp-maker-1' });
    assert.equal(maker.status, 'open');
    const taker = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 30000, { clientOrderId: 'stp-taker-1' });
    assert.equal(taker.status, 'open', 'the taker found nothing else to trade with and rests');
    assert.equal(taker.filled, 0);
    const m = await ex.fetchOrder(maker.id!, 'BTC/USDT');
    assert.equal(m.status, 'expired');
    assert.equal((m.info as Record<string, unknown>).status, 'EXPIRED_IN_MATCH');
    assert.equal((m.info as Record<string, unknown>).preventedQuantity, '0.01000000');
    assert.equal(typeof (m.info as Record<string, unknown>).preventedMatchId, 'number');
    assert.equal(m.filled, 0);
    const trades = await ex.fetchMyTrades('BTC/USDT');
    assert.equal(trades.length, 0, 'no self-trade');
    const bal = await ex.fetchBalance();
    assert.equal((bal.used as unknown as Record<string, number>).BTC ?? 0, 0, 'the expired sell no longer locks BTC');
    await ex.cancelOrder(taker.id!, 'BTC/USDT');
    assert.equal(sim.ledger('sim-a', account).orders.find((o) => o.clientOrderId === 'stp-maker-1')?.status, 'EXPIRED_IN_MATCH');
  });

  it('EXPIRE_TAKER named by the order: the incoming order comes back expired in its own response, with preventedMatches', async () => {
    const maker = await ex.createOrder('BTC/USDT', 'limit', 'sell', 0.02, 31000);
    const taker = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.02, 31000, { selfTradePreventionMode: 'EXPIRE_TAKER' });
    assert.equal(taker.status, 'expired');
    assert.equal(taker.filled, 0);
    const info = taker.info as { selfTradePreventionMode: string; preventedMatches?: { makerOrderId: number; takerPreventedQuantity: string }[] };
    assert.equal(info.selfTradePreventionMode, 'EXPIRE_TAKER');
    assert.equal(String(info.preventedMatches?.[0]?.makerOrderId), maker.id);
    assert.equal(info.preventedMatches?.[0]?.takerPreventedQuantity, '0.02000000');
    assert.equal((await ex.fetchOrder(maker.id!, 'BTC/USDT')).status, 'open');
    assert.equal((await ex.fetchMyTrades('BTC/USDT')).length, 0);
    await ex.cancelOrder(maker.id!, 'BTC/USDT');
  });

  it('NONE named by the order: the account trades with itself (Binance allows opting out)', async () => {
    const maker = await ex.createOrder('BTC/USDT', 'limit', 'sell', 0.01, 32000);
    const taker = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 32000, { selfTradePreventionMode: 'NONE' });
    assert.equal(taker.status, 'closed');
    const trades = await ex.fetchMyTrades('BTC/USDT');
    assert.deepEqual(trades.map((t) => t.order).sort(), [maker.id, taker.id].sort());
  });

  it('an unknown mode is refused with Binance -1100', async () => {
    await assert.rejects(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 20000, { selfTradePreventionMode: 'DECREMENTISH' }), /-1100|selfTradePreventionMode/);
  });

  it('WS-API and user-data stream: an EXPIRE_BOTH order placed with createOrderWs expires both, the executionReports say EXPIRED_IN_MATCH', async () => {
    const pro = await proClient(sim.venues[0]!);
    try {
      await pro.loadMarkets();
      await (pro as unknown as { authenticate(p: object): Promise<void> }).authenticate({ type: 'spot' });
      const ordersP = pro.watchOrders('BTC/USDT');
      const maker = await pro.createOrderWs('BTC/USDT', 'limit', 'sell', 0.01, 33000);
      const taker = await pro.createOrderWs('BTC/USDT', 'limit', 'buy', 0.01, 33000, { selfTradePreventionMode: 'EXPIRE_BOTH' });
      assert.equal(taker.status, 'expired');
      await within(ordersP, 5000, 'watchOrders');
      // Later updates land in ccxt's order cache whether or not a watchOrders call is pending.
      const cache = (): { id: string; status: string; info: unknown }[] => [...((pro as unknown as { orders?: Iterable<{ id: string; status: string; info: unknown }> }).orders ?? [])];
      const done = (): boolean => [maker.id, taker.id].every((id) => cache().some((o) => o.id === id && o.status === 'expired'));
      for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
      const orders = cache();
      assert.ok(done(), `both orders expired in the stream: ${JSON.stringify(orders.map((o) => [o.id, o.status]))}`);
      const report = orders.find((o) => o.id === maker.id && o.status === 'expired')!.info as Record<string, unknown>;
      assert.equal(report.x, 'TRADE_PREVENTION');
      assert.equal(report.X, 'EXPIRED_IN_MATCH');
      assert.equal(report.V, 'EXPIRE_MAKER');
      assert.equal(typeof report.v, 'number');
    } finally {
      await pro.close();
    }
  });
});
