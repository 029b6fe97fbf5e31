import assert from 'node:assert/strict';
import { Simulator, DEMO_API_KEY } from '../../../simulators/index.js';
import { proClient, within } from './helpers.js';

type Pro = Awaited<ReturnType<typeof proClient>>;
type Level = [number, number];

/** A ccxt order book side as plain `[price, amount]` pairs. */
function levels(side: unknown): Level[] {
  // ccxt's sides are Array subclasses: copy into plain arrays so deepEqual compares values only.
  return Array.from(side as [number, number][], ([p, a]) => [p, a]);
}

/** Fails unless `side` is strictly sorted (bids descending, asks ascending) with positive amounts. */
function assertSorted(side: Level[], descending: boolean, what: string): void {
  for (let i = 0; i < side.length; i++) {
    assert.ok(side[i]![1] > 0, `${what}[${i}] has amount ${side[i]![1]}`);
    if (i > 0) assert.ok(descending ? side[i - 1]![0] > side[i]![0] : side[i - 1]![0] < side[i]![0], `${what} not sorted at ${i}: ${side[i - 1]![0]} then ${side[i]![0]}`);
  }
}

describe('simulator streams and WS-API with ccxt.pro.binance', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let ex: Pro;
  const account = `user:${DEMO_API_KEY}`;

  before(async () => {
    sim = await Simulator.start({ venues: 1, seed: 11, port: 0 });
    ex = await proClient(sim.venues[0]!);
    await ex.loadMarkets();
  });
  after(async () => {
    await ex?.close();
    await sim?.stop();
  });

  it('watchTicker delivers a ticker for the symbol', async () => {
    const t = await ex.watchTicker('BTC/USDT');
    assert.equal(t.symbol, 'BTC/USDT');
    assert.ok((t.last ?? 0) > 0, `last ${t.last}`);
    const second = await ex.watchTicker('BTC/USDT');
    assert.ok((second.timestamp ?? 0) > (t.timestamp ?? 0), 'a second, later ticker arrives');
  });

  it('watchOrderBook: update ids chain without gaps, the book stays sorted and matches a fresh /depth snapshot', async () => {
    // Record every depth diff ccxt applies, as ccxt itself sees it (no mock: the real handler runs).
    const applied: { U: number; u: number }[] = [];
    const proto = ex as unknown as { handleOrderBookMessage: (c: unknown, m: Record<string, unknown>, ob: unknown) => unknown };
    const original = proto.handleOrderBookMessage.bind(ex);
    proto.handleOrderBookMessage = (c, m, ob) => {
      applied.push({ U: Number(m.U), u: Number(m.u) });
      return original(c, m, ob);
    };
    try {
      const nonces: number[] = [];
      for (let i = 0; i < 8; i++) {
        const ob = await within(ex.watchOrderBook('BTC/USDT'), 5000, 'watchOrderBook');
        const bids = levels(ob.bids);
        const asks = levels(ob.asks);
        assert.ok(bids.length > 0 && asks.length > 0, 'both sides have levels');
        assertSorted(bids, true, 'bids');
        assertSorted(asks, false, 'asks');
        assert.ok(bids[0]![0] < asks[0]![0], `crossed book: bid ${bids[0]![0]} >= ask ${asks[0]![0]}`);
        nonces.push(Number(ob.nonce));
      }
      for (let i = 1; i < nonces.length; i++) assert.ok(nonces[i]! > nonces[i - 1]!, `nonce went ${nonces[i - 1]} → ${nonces[i]}`);
      // After the first diff on top of the snapshot, each diff starts right after the previous one.
      assert.ok(applied.length >= 7, `only ${applied.length} diffs applied`);
      for (let i = 1; i < applied.length; i++) assert.equal(applied[i]!.U, applied[i - 1]!.u + 1, `gap between diffs ${i - 1} and ${i}`);

      // Freeze the background flow, let ccxt catch up with the venue's last update id, and compare
      // ccxt's book with a fresh REST snapshot at the same update id, level by level.
      const core = sim.venue('sim-a');
      core.stop();
      try {
        const book = core.engine.books.get('BTCUSDT')!;
        const target = book.updateId;
        // The book ccxt already holds may be current: only wait for updates while it is behind.
        let ob: { nonce?: number; bids: unknown; asks: unknown } = ex.orderbooks['BTC/USDT']!;
        for (let i = 0; i < 50 && Number(ob.nonce) < target; i++) ob = await within(ex.watchOrderBook('BTC/USDT'), 5000, 'watchOrderBook');
        assert.equal(Number(ob.nonce), target, 'ccxt caught up with the venue');
        const snap = (await (await fetch(`${sim.venues[0]!.rest}/depth?symbol=BTCUSDT&limit=1000`)).json()) as { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] };
        assert.equal(snap.lastUpdateId, target);
        const num = (side: [string, string][]): Level[] => side.map(([p, q]) => [Number(p), Number(q)]);
        assert.deepEqual(levels(ob.bids), num(snap.bids));
        assert.deepEqual(levels(ob.asks), num(snap.asks));
      } finally {
        core.start();
      }
    } finally {
      proto.handleOrderBookMessage = original;
    }
  });

  it('watchOrders receives the fill of a marketable order placed with createOrder; watchBalance sees the balance change', async () => {
    const before = await ex.fetchBalance();
    const totalBefore = before.total as unknown as Record<string, number>;
    // The user-data subscription must be acknowledged before the order, or its events are missed:
    // ccxt's authenticate() resolves on the venue's userDataStream.subscribe.signature reply.
    await (ex as unknown as { authenticate(p: object): Promise<void> }).authenticate({ type: 'spot' });
    const ordersP = ex.watchOrders('ETH/USDT');
    const balanceP = ex.watchBalance();
    const ticker = await ex.fetchTicker('ETH/USDT');
    const o = await ex.createOrder('ETH/USDT', 'limit', 'buy', 0.05, Number(ticker.ask) * 1.01);
    let orders = await within(ordersP, 5000, 'watchOrders');
    for (let i = 0; i < 10 && !orders.some((x) => x.id === o.id && x.status === 'closed'); i++) orders = await within(ex.watchOrders('ETH/USDT'), 5000, 'watchOrders');
    const mine = orders.filter((x) => x.id === o.id);
    assert.ok(mine.length > 0, 'the order appears in watchOrders');
    assert.equal(mine.at(-1)!.status, 'closed');
    assert.equal(mine.at(-1)!.filled, 0.05);
    let bal = await within(balanceP, 5000, 'watchBalance');
    for (let i = 0; i < 10 && (bal.total as unknown as Record<string, number>).ETH === undefined; i++) bal = await within(ex.watchBalance(), 5000, 'watchBalance');
    const total = bal.total as unknown as Record<string, number>;
    // The pushed balances are the venue's books to the last atom: bought ETH minus the ETH fee, less USDT.
    const led = sim.ledger('sim-a', account).balances[account]!;
    const last = mine.at(-1)!;
    assert.equal(last.fee?.currency, 'ETH');
    const fee = last.fee.cost ?? 0;
    assert.ok(fee > 0, 'a taker fee was charged');
    assert.equal(total.ETH, Number(led.ETH!.free) + Number(led.ETH!.locked));
    assert.equal(total.USDT, Number(led.USDT!.free) + Number(led.USDT!.locked));
    assert.ok(Math.abs(total.ETH! - (totalBefore.ETH! + 0.05 - fee)) < 1e-9, `ETH ${total.ETH} vs ${totalBefore.ETH} + 0.05 - ${fee}`);
    assert.ok(total.USDT! < totalBefore.USDT!);
  });

  it('createOrderWs places an order that is in the simulator ledger', async () => {
    const o = await ex.createOrderWs('BTC/USDT', 'limit', 'buy', 0.001, 20000, { clientOrderId: 'ws-order-1' });
    assert.equal(o.status, 'open');
    assert.equal(o.clientOrderId, 'ws-order-1');
    const row = sim.ledger('sim-a', account).orders.find((x) => x.clientOrderId === 'ws-order-1');
    assert.ok(row !== undefined, 'order in the ledger');
    assert.equal(String(row.orderId), o.id);
    assert.equal(row.status, 'NEW');
    assert.equal(row.origQty, '0.00100000');
    await ex.cancelOrder(o.id!, 'BTC/USDT');
    assert.equal(sim.ledger('sim-a', account).orders.find((x) => x.clientOrderId === 'ws-order-1')?.status, 'CANCELED');
  });
});
