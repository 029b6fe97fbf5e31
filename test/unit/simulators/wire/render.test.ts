import assert from 'node:assert/strict';
import { InstrumentRegistry } from '../../../../simulators/venue/instruments.js';
import type { PlaceRequest } from '../../../../simulators/venue/matching-engine.js';
import type { SimOrder } from '../../../../simulators/venue/order.js';
import { renderNewOrder, renderNewOrderJson } from '../../../../simulators/wire/render.js';
import { makeRig, UNIT } from '../venue/fixtures.js';

let n = 0;
const req = (account: string, side: 'BUY' | 'SELL', priceTicks: number, lots: number, extra: Partial<PlaceRequest> = {}): PlaceRequest => ({
  account,
  symbol: 'AAAUSDT',
  side,
  type: 'LIMIT',
  timeInForce: 'GTC',
  priceTicks,
  lots,
  quoteOrderQty: 0n,
  clientOrderId: `c-${n++}`,
  ...extra,
});

/** Orders in every state the reply renders: resting, partially and fully filled over several fills, self-trade prevented, MARKET by quote amount. */
function orders(): { rig: ReturnType<typeof makeRig>; placed: { o: SimOrder; matches: ReturnType<typeof makeRig>['engine']['lastPrevented'] }[] } {
  const rig = makeRig();
  for (const a of ['user:a', 'user:b']) {
    rig.accounts.deposit(a, 'USDT', 1_000_000n * UNIT);
    rig.accounts.deposit(a, 'AAA', 10_000n * UNIT);
  }
  const placed: { o: SimOrder; matches: ReturnType<typeof makeRig>['engine']['lastPrevented'] }[] = [];
  const place = (r: PlaceRequest): void => {
    const res = rig.engine.place(r);
    if (!res.ok) assert.fail(`rejected: ${res.code} ${res.msg}`);
    placed.push({ o: res.order, matches: [...rig.engine.lastPrevented] });
  };
  place(req('user:a', 'SELL', 200, 10));
  place(req('user:a', 'SELL', 201, 7));
  place(req('user:b', 'BUY', 201, 12)); // two fills, filled
  place(req('user:b', 'BUY', 201, 20)); // partial fill, rests
  place(req('user:b', 'SELL', 150, 3, { stp: 'EXPIRE_TAKER' })); // self-trade against its own bid: prevented
  place(req('user:a', 'BUY', 100, 99_999)); // large quantity, rests
  place(req('user:a', 'BUY', 0, 0, { type: 'MARKET', timeInForce: 'GTC', quoteOrderQty: 25n * UNIT + 3n }));
  place(req('user:a', 'SELL', 300, 5, { clientOrderId: 'odd"id\\x' })); // a client id needing JSON escapes
  return { rig, placed };
}

describe('wire render: renderNewOrderJson', () => {
  it('is byte for byte JSON.stringify(renderNewOrder(...)) for ACK, RESULT and FULL over fills, prevented matches and MARKET orders', () => {
    const { rig, placed } = orders();
    const ins = rig.instruments.get('AAAUSDT')!;
    assert.ok(placed.some((p) => p.o.fills.length >= 2), 'an order with several fills');
    assert.ok(placed.some((p) => p.matches.length > 0 && p.o.preventedMatchId !== undefined), 'an order with prevented matches');
    for (const { o, matches } of placed) {
      for (const t of ['ACK', 'RESULT', 'FULL', 'other']) {
        assert.equal(renderNewOrderJson(ins, o, t, matches), JSON.stringify(renderNewOrder(ins, o, t, matches)), `${o.clientOrderId} ${t}`);
      }
    }
  });

  it('formats amounts past the number fast path (beyond 2^53 atoms) like formatAtoms', () => {
    const instruments = new InstrumentRegistry();
    const ins = instruments.list[0]!;
    const o: SimOrder = {
      orderId: 1,
      clientOrderId: 'big',
      account: 'user:a',
      symbol: ins.symbol,
      side: 'BUY',
      type: 'LIMIT',
      timeInForce: 'GTC',
      priceTicks: Number.MAX_SAFE_INTEGER,
      origLots: 2 ** 52,
      quoteOrderQty: 2n ** 70n,
      executedLots: 0,
      cumQuoteAtoms: 12_345_678_901_234_567_890n,
      status: 'NEW',
      locked: 0n,
      time: 1,
      updateTime: 1,
      seq: 1,
      fills: [{ tradeId: 1, priceTicks: 3, lots: 1, quoteAtoms: 1n, commission: 7n, commissionAsset: 'USDT', isMaker: false, time: 1 }],
      traceparent: undefined,
      house: false,
      stp: 'NONE',
      preventedMatchId: undefined,
      preventedLots: 0,
    };
    assert.equal(renderNewOrderJson(ins, o, 'FULL'), JSON.stringify(renderNewOrder(ins, o, 'FULL')));
  });
});
