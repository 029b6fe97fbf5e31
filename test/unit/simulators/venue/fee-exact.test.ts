import assert from 'node:assert/strict';
import type { InstrumentSpec } from '../../../../simulators/venue/instruments.js';
import type { PlaceRequest } from '../../../../simulators/venue/matching-engine.js';
import type { SimOrder } from '../../../../simulators/venue/order.js';
import { makeRig, UNIT } from './fixtures.js';

/**
 * Fees and a limit buyer's refund are computed in doubles when that is exact and in bigints
 * otherwise (issue 13: fewer bigints per trade). Every size here is checked against the bigint
 * formula: amounts whose fee product is below 2^53 (double path), amounts whose product passes
 * 2^53 while the amount does not, and amounts beyond 2^53 atoms themselves (bigint path).
 */
const BIG: InstrumentSpec = {
  symbol: 'BIGUSD',
  base: 'BIG',
  quote: 'USD',
  tickSize: '0.5',
  stepSize: '0.001',
  minQty: '0.001',
  maxQty: '100000000',
  minNotional: '0.00000001',
  minPrice: '0.5',
  maxPrice: '1000000',
  initialPrice: 1000,
  volatility: 0.5,
};

const order = (account: string, side: 'BUY' | 'SELL', priceTicks: number, lots: number, clientOrderId: string): PlaceRequest => ({
  account,
  symbol: 'BIGUSD',
  side,
  type: 'LIMIT',
  timeInForce: 'GTC',
  priceTicks,
  lots,
  quoteOrderQty: 0n,
  clientOrderId,
  stp: 'NONE',
});

describe('simulator venue: fees and refunds are exact at every size (issue 13)', () => {
  // quote atoms of a fill = priceTicks × 0.5 × lots × 0.001 × 1e8 = priceTicks × lots × 50,000
  const cases: { name: string; makerTicks: number; takerTicks: number; lots: number }[] = [
    { name: 'small: fee product below 2^53', makerTicks: 2_469, takerTicks: 2_471, lots: 7_013 },
    { name: 'fee product past 2^53, amount below it', makerTicks: 1_999_997, takerTicks: 1_999_999, lots: 70_001 },
    { name: 'amount itself past 2^53 atoms', makerTicks: 1_999_997, takerTicks: 1_999_999, lots: 99_999_999 },
  ];
  for (const c of cases) {
    it(`${c.name}: commissions = amount × bps / 10000 (rounded down), the buyer's refund leaves nothing locked, every asset reconciles`, () => {
      const fees = { makerBps: 7, takerBps: 13 };
      const rig = makeRig(fees, [BIG]);
      for (const a of ['user:maker', 'user:taker']) {
        rig.accounts.deposit(a, 'USD', 10n ** 12n * UNIT);
        rig.accounts.deposit(a, 'BIG', 10n ** 9n * UNIT);
      }
      // The maker sells; the taker buys with a higher limit, so it is refunded the difference.
      const maker = rig.engine.place(order('user:maker', 'SELL', c.makerTicks, c.lots, 'm'));
      assert.ok(maker.ok);
      const taker = rig.engine.place(order('user:taker', 'BUY', c.takerTicks, c.lots, 't'));
      assert.ok(taker.ok);
      const t: SimOrder = taker.order;
      const m: SimOrder = (maker as { order: SimOrder }).order;
      assert.equal(t.status, 'FILLED');
      assert.equal(m.status, 'FILLED');
      const quote = BigInt(c.makerTicks) * BigInt(c.lots) * 50_000n;
      const base = BigInt(c.lots) * 100_000n;
      if (c.name.startsWith('amount')) assert.ok(quote > 2n ** 53n, 'the case reaches past 2^53 atoms');
      if (c.name.startsWith('fee product')) assert.ok(quote < 2n ** 53n && quote * 7n >= 2n ** 53n, 'the case is between');
      assert.equal(t.fills[0]!.quoteAtoms, quote);
      // The taker (buyer) pays its fee in BIG at the taker rate, the maker (seller) in USD at the maker rate.
      assert.equal(t.fills[0]!.commission, (base * 13n) / 10000n);
      assert.equal(m.fills[0]!.commission, (quote * 7n) / 10000n);
      assert.equal(t.locked, 0n);
      assert.equal(rig.accounts.of('user:taker').get('USD')!.locked, 0n, 'the refund released every atom locked above the fill price');
      assert.equal(rig.accounts.of('user:taker').get('USD')!.free, 10n ** 12n * UNIT - quote);
      rig.accounts.checkConservation();
      assert.equal(rig.ledger.snapshot().reconciled, true);
    });
  }
});
