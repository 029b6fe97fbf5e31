import assert from 'node:assert/strict';
import type { InstrumentSpec } from '../../../../simulators/venue/instruments.js';
import type { PlaceRequest } from '../../../../simulators/venue/matching-engine.js';
import type { SimOrder } from '../../../../simulators/venue/order.js';
import { limitRequest, makeRig, UNIT } from './fixtures.js';

/**
 * Fees (`amount × bps / 10000`, rounded down) and a limit buyer's refund stay exact at every size:
 * amounts whose fee product is below 2^53, amounts whose product passes 2^53 while the amount does
 * not, and amounts beyond 2^53 atoms themselves (where any arithmetic in doubles would round).
 */
const BIG: InstrumentSpec = {
  symbol: 'BIGUSD',
  base: 'BIG',
  quote: 'USD',
  tickSize: '1',
  stepSize: '0.00000001',
  minQty: '0.00000001',
  maxQty: '10000000',
  minNotional: '0.00000001',
  minPrice: '1',
  maxPrice: '1000000',
  initialPrice: 1000,
  volatility: 0.5,
};

const order = (account: string, side: 'BUY' | 'SELL', priceTicks: number, lots: number, clientOrderId: string): PlaceRequest =>
  limitRequest(account, 'BIGUSD', side, priceTicks, lots, clientOrderId, { stp: 'NONE' });

describe('simulator venue: fees and refunds are exact at every size (issue 13)', () => {
  // One lot is one atom of BIG, one tick one USD: a fill's quote atoms = priceTicks × lots, and
  // neither amount is a multiple of 10000, so the rounding of every fee shows.
  const cases: { name: string; makerTicks: number; takerTicks: number; lots: number }[] = [
    { name: 'small: fee product below 2^53', makerTicks: 2_469, takerTicks: 2_471, lots: 7_013_017 },
    { name: 'fee product past 2^53, amount below it', makerTicks: 999_999, takerTicks: 1_000_000, lots: 2_000_000_003 },
    { name: 'amount itself past 2^53 atoms', makerTicks: 999_997, takerTicks: 999_999, lots: 99_999_999_977 },
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
      const quote = BigInt(c.makerTicks) * BigInt(c.lots);
      const base = BigInt(c.lots);
      assert.notEqual((quote * 7n) % 10000n, 0n, 'the maker fee is rounded');
      assert.notEqual((base * 13n) % 10000n, 0n, 'the taker fee is rounded');
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
