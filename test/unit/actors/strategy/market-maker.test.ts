import assert from 'node:assert/strict';
import { ConfigError } from '../../../../common/index.js';
import { createMarketMaker, MARKET_MAKER_DEFAULTS } from '../../../../actors/strategy/index.js';
import type { OrderSubmit } from '../../../../actors/messages.js';
import { BTC, Harness } from './helpers.js';

const spec = { id: 'mm-1', kind: 'market-maker', instruments: ['sim-a:BTC/USDT'] };

function bySide(subs: OrderSubmit[]): { buy: OrderSubmit[]; sell: OrderSubmit[] } {
  return { buy: subs.filter((s) => s.intent.side === 'buy'), sell: subs.filter((s) => s.intent.side === 'sell') };
}

describe('strategy/market-maker', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('quotes a bid and an ask halfSpreadTicks around mid, post-only, one per side, to the risk actor', () => {
    const mm = createMarketMaker({ halfSpreadTicks: 5, qtyLots: 2, requoteMs: 0 });
    h = new Harness(spec, mm);
    assert.equal(h.submits.length, 0, 'no quote before a ticker');
    h.ticker(BTC, 1000, 1002);
    const { buy, sell } = bySide(h.submits);
    assert.equal(buy.length, 1);
    assert.equal(sell.length, 1);
    assert.deepEqual(buy[0], {
      intent: { venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit-maker', tif: 'GTC', priceTicks: 996, qtyLots: 2, strategy: 'mm-1' },
      intentKey: 'bid.0.0',
      prefix: 'mm-1',
    });
    assert.equal(sell[0]!.intent.priceTicks, 1006);
    assert.equal(sell[0]!.intentKey, 'ask.0.0');
    // Odd mid (1001.5): the bid rounds down, the ask up.
    h.ticker(BTC, 1001, 1002);
    assert.equal(h.submits.length, 2, 'nothing new while both sides are pending');
    h.ticker(BTC, 1010, 1020);
    assert.equal(h.submits.length, 2, 'a pending side is not re-quoted before its id is known, however far mid moved');
    assert.equal(h.cancels.length, 0);
  });

  it('cancels and re-quotes when mid moves by >= requoteTicks, never two live orders on a side', () => {
    const mm = createMarketMaker({ halfSpreadTicks: 5, requoteTicks: 3, requoteMs: 0, skewTicksPerLot: 0 });
    h = new Harness(spec, mm);
    h.ticker(BTC, 1000, 1002);
    const [b0, a0] = [h.submits.find((s) => s.intent.side === 'buy')!, h.submits.find((s) => s.intent.side === 'sell')!];
    const bidId = h.accept(b0);
    const askId = h.accept(a0);
    h.ticker(BTC, 1002, 1004); // mid +2: below requoteTicks
    assert.equal(h.cancels.length, 0);
    assert.equal(h.submits.length, 2);
    h.ticker(BTC, 1003, 1005); // mid +3
    assert.deepEqual(
      h.cancels.map((c) => [c.to, c.clientOrderId, c.lane]),
      [
        ['exchange.sim-a', bidId, 'control'],
        ['exchange.sim-a', askId, 'control'],
      ],
    );
    assert.equal(h.submits.length, 2, 'the replacement waits for the cancel to be confirmed');
    h.ticker(BTC, 1004, 1006);
    assert.equal(h.cancels.length, 2, 'a cancel is sent once');
    h.update(b0, 'canceled', bidId);
    const after = h.since(2);
    assert.equal(after.length, 1);
    assert.deepEqual([after[0]!.intent.side, after[0]!.intent.priceTicks, after[0]!.intentKey], ['buy', 1000, 'bid.0.1']);
    h.update(a0, 'canceled', askId);
    const ask1 = h.since(3);
    assert.deepEqual([ask1[0]!.intent.side, ask1[0]!.intent.priceTicks, ask1[0]!.intentKey], ['sell', 1010, 'ask.0.1']);
    // A late update of the cancelled bid does not attach to the new pending bid.
    h.update(b0, 'canceled', bidId);
    const b1 = after[0]!;
    const b1Id = h.accept(b1);
    h.ticker(BTC, 1010, 1012);
    assert.equal(h.cancels.at(-1)!.clientOrderId, b1Id, 'the new bid is the live one, cancelled on the next move');
  });

  it('skews both quotes against the position tracked from fills', () => {
    const mm = createMarketMaker({ halfSpreadTicks: 5, qtyLots: 3, skewTicksPerLot: 1, requoteTicks: 2, requoteMs: 0, maxInventoryLots: 100 });
    h = new Harness(spec, mm);
    h.ticker(BTC, 1000, 1002);
    const bid = h.submits.find((s) => s.intent.side === 'buy')!;
    const ask = h.submits.find((s) => s.intent.side === 'sell')!;
    const bidId = h.accept(bid);
    const askId = h.accept(ask);
    h.fill(bid, bidId, 3);
    assert.equal(mm.position('sim-a', 'BTC/USDT'), 3);
    // The ask's target moved 3 ticks down: cancelled for a re-quote.
    assert.deepEqual(
      h.cancels.map((c) => c.clientOrderId),
      [askId],
    );
    h.update(bid, 'filled', bidId, 3);
    h.update(ask, 'canceled', askId);
    assert.deepEqual(h.since(2).map((s) => s.intent.side), ['sell'], 'the filled side waits for a fresh ticker');
    h.ticker(BTC, 1000, 1002);
    const next = bySide(h.since(2));
    assert.equal(next.buy[0]!.intent.priceTicks, 1001 - 5 - 3, 'long 3 lots: bid 3 ticks lower');
    assert.equal(next.sell[0]!.intent.priceTicks, 1001 + 5 - 3, 'and ask 3 ticks lower');
    // Short side: sell 5 lots in total (position 3 − 3 − 3 = −3) skews both up.
    const sellId = h.accept(next.sell[0]!);
    h.fill(next.sell[0]!, sellId, 3);
    h.update(next.sell[0]!, 'filled', sellId, 3);
    h.ticker(BTC, 1000, 1002);
    const s2 = h.since(4).find((s) => s.intent.side === 'sell')!;
    assert.equal(mm.position('sim-a', 'BTC/USDT'), 0);
    assert.equal(s2.intent.priceTicks, 1006, 'flat again: no skew');
  });

  it('stops quoting the side that would take inventory past maxInventoryLots', () => {
    const mm = createMarketMaker({ halfSpreadTicks: 5, qtyLots: 2, maxInventoryLots: 3, skewTicksPerLot: 0, requoteMs: 0 });
    h = new Harness(spec, mm);
    h.ticker(BTC, 1000, 1002);
    let bid = h.submits.find((s) => s.intent.side === 'buy')!;
    let bidId = h.accept(bid);
    h.accept(h.submits.find((s) => s.intent.side === 'sell')!);
    h.fill(bid, bidId, 2);
    h.update(bid, 'filled', bidId, 2);
    h.ticker(BTC, 1000, 1002);
    // Position 2 of 3: the next bid is sized to 1 lot.
    bid = h.since(2)[0]!;
    assert.deepEqual([bid.intent.side, bid.intent.qtyLots], ['buy', 1]);
    bidId = h.accept(bid);
    h.fill(bid, bidId, 1);
    h.update(bid, 'filled', bidId, 1);
    h.ticker(BTC, 1000, 1002);
    assert.equal(mm.position('sim-a', 'BTC/USDT'), 3);
    assert.equal(h.submits.length, 3, 'at the cap: no bid');
    h.ticker(BTC, 990, 992);
    assert.ok(
      h.since(3).every((s) => s.intent.side === 'sell'),
      'only the reducing side is quoted after mid moves',
    );
  });

  it('a fill reported by an update before its fill message already counts against the cap', () => {
    const mm = createMarketMaker({ halfSpreadTicks: 5, qtyLots: 2, maxInventoryLots: 2, skewTicksPerLot: 0, requoteMs: 0 });
    h = new Harness(spec, mm);
    h.ticker(BTC, 1000, 1002);
    const bid = h.submits.find((s) => s.intent.side === 'buy')!;
    const bidId = h.accept(bid);
    h.update(bid, 'filled', bidId, 2); // the fill message is late
    assert.equal(mm.position('sim-a', 'BTC/USDT'), 0);
    assert.equal(h.since(2).filter((s) => s.intent.side === 'buy').length, 0, 'no new bid: 2 lots are already bought');
    h.fill(bid, bidId, 2);
    assert.equal(mm.position('sim-a', 'BTC/USDT'), 2);
    assert.equal(h.since(2).filter((s) => s.intent.side === 'buy').length, 0);
  });

  it('re-sends a pending quote under the same intent key after pendingTimeoutMs; OUTCOME_UNKNOWN keeps it pending; other denials back off', () => {
    const mm = createMarketMaker({ halfSpreadTicks: 5, requoteMs: 100, pendingTimeoutMs: 1000, denyBackoffMs: 2000 });
    h = new Harness(spec, mm);
    h.ticker(BTC, 1000, 1002);
    const bid = h.submits.find((s) => s.intent.side === 'buy')!;
    h.clock.advance(900);
    assert.equal(h.submits.length, 2);
    h.clock.advance(100);
    const resent = h.since(2);
    assert.deepEqual(
      resent.map((s) => s.intentKey).sort(),
      ['ask.0.0', 'bid.0.0'],
      'both pending sides re-sent with the same keys',
    );
    const denied = (code: string): void => {
      h!.sys.publish('orders.mm-1', { type: 'order.denied', payload: { intent: bid.intent, code, detail: 'x', tNs: h!.clock.nowNs() } });
      h!.clock.advance(0);
    };
    denied('ORDER_OUTCOME_UNKNOWN');
    h.ticker(BTC, 1000, 1002);
    assert.equal(h.submits.length, 4, 'still pending: nothing new');
    denied('RISK_MAX_OPEN_ORDERS');
    h.ticker(BTC, 1000, 1002);
    assert.equal(h.submits.length, 4, 'freed but backing off');
    h.clock.advance(1000); // +1000 ms: pending ask re-sent again, bid still backing off
    const n = h.submits.length;
    assert.ok(h.since(4).every((s) => s.intent.side === 'sell'));
    h.clock.advance(1000);
    const bid1 = h.since(n).find((s) => s.intent.side === 'buy');
    assert.ok(bid1, 'the bid comes back after denyBackoffMs');
    assert.equal(bid1.intentKey, 'bid.0.1', 'under the next generation');
  });

  it('validates params: errors name the field', () => {
    assert.throws(
      () => createMarketMaker({ halfSpreadTicks: 0 }, 'strategies.mm-1.params'),
      (e: unknown) => e instanceof ConfigError && e.field === 'strategies.mm-1.params.halfSpreadTicks' && /expected a value >= 1, got 0/.test(e.message),
    );
    assert.throws(() => createMarketMaker({ qtyLots: 1.5 }), (e: unknown) => e instanceof ConfigError && e.field === 'market-maker.params.qtyLots' && /integer/.test(e.message));
    assert.throws(() => createMarketMaker({ spread: 3 }), (e: unknown) => e instanceof ConfigError && /unknown keys \(spread\)/.test(e.message));
    assert.deepEqual({ ...createMarketMaker({}).params }, { ...MARKET_MAKER_DEFAULTS });
  });
});
