import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Portfolio } from '../../../../actors/orders/portfolio.js';
import { UnknownInstrumentError } from '../../../../actors/orders/errors.js';
import type { Instrument } from '../../../../actors/orders/instrument.js';
import { InvalidArgumentError } from '../../../../common/errors.js';

const BTC: Instrument = { venue: 'v', symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001', minQtyLots: 1, maxQtyLots: 1e9, minNotional: '5' };
const ETH: Instrument = { venue: 'v', symbol: 'ETH/BTC', base: 'ETH', quote: 'BTC', tickSize: '0.000001', lotSize: '0.001', minQtyLots: 1, maxQtyLots: 1e9, minNotional: '0.0001' };

describe('Portfolio', () => {
  it('derives exact atom sizes and converts at the edges', () => {
    const p = new Portfolio([BTC, ETH]);
    assert.equal(p.assetDecimals('USDT'), 7); // tick 2 + lot 5
    assert.equal(p.assetDecimals('BTC'), 9); // max(lot 5, ETH/BTC tick 6 + lot 3)
    assert.equal(p.assetDecimals('ETH'), 3);
    assert.equal(p.assetDecimals('BNB'), 8);
    assert.equal(p.toAtoms('USDT', '12.5'), 125_000_000n);
    assert.equal(p.fromAtoms('USDT', -125_000_001n), '-12.5000001');
    // 50000.01 USDT × 0.00003 BTC = 1.5000003 USDT
    assert.equal(p.quoteAtoms('v', 'BTC/USDT', 5_000_001, 3), 15_000_003n);
    assert.equal(p.fromAtoms('USDT', p.quoteAtoms('v', 'BTC/USDT', 5_000_001, 3)), '1.5000003');
    assert.equal(p.baseAtoms('v', 'BTC/USDT', 3), 3_0000n);
    assert.throws(() => p.toAtoms('USDT', '0.00000001'), InvalidArgumentError);
    assert.throws(() => p.instrument('v', 'NOPE/X'), (e: unknown) => e instanceof UnknownInstrumentError && e.code === 'B4_ORDER_UNKNOWN_INSTRUMENT');
    assert.throws(() => new Portfolio([BTC], { assetDecimals: { USDT: 3 } }), InvalidArgumentError);
    assert.equal(new Portfolio([BTC], { assetDecimals: { USDT: 8 } }).quoteAtoms('v', 'BTC/USDT', 1, 1), 10n);
  });

  it('moves balances, locks, fees and average-cost PnL for a worked example', () => {
    const p = new Portfolio([BTC]);
    p.adjustBalance('v', 'USDT', p.toAtoms('USDT', '1000'));
    p.lockForOrder('v', 'BTC/USDT', 'buy', 100_00, 10); // 10 lots at 100.00
    assert.equal(p.balance('v', 'USDT').locked, p.quoteAtoms('v', 'BTC/USDT', 100_00, 10));
    p.applyFill('v', 'BTC/USDT', 'buy', 10, 100_00, 'USDT', 5n);
    p.lockForOrder('v', 'BTC/USDT', 'buy', 100_00, -10);
    assert.equal(p.balance('v', 'USDT').locked, 0n);
    p.applyFill('v', 'BTC/USDT', 'buy', 10, 110_00);
    assert.deepEqual(p.position('v', 'BTC/USDT'), { qtyLots: 20n, costAtoms: p.quoteAtoms('v', 'BTC/USDT', 210_00, 10), realizedAtoms: 0n });
    // sell 5 at 120: avg cost 105 → realized 5 lots × 15.00
    p.applyFill('v', 'BTC/USDT', 'sell', 5, 120_00);
    assert.equal(p.position('v', 'BTC/USDT').realizedAtoms, p.quoteAtoms('v', 'BTC/USDT', 15_00, 5));
    // unrealized at 100: 15 lots × (100 − 105)
    assert.equal(p.unrealizedAtoms('v', 'BTC/USDT', 100_00), -p.quoteAtoms('v', 'BTC/USDT', 5_00, 15));
    // sell 25 at 90: closes 15 (realize 15 × −15), opens a 10-lot short at 90
    p.applyFill('v', 'BTC/USDT', 'sell', 25, 90_00);
    const pos = p.position('v', 'BTC/USDT');
    assert.equal(pos.qtyLots, -10n);
    assert.equal(pos.costAtoms, -p.quoteAtoms('v', 'BTC/USDT', 90_00, 10));
    assert.equal(pos.realizedAtoms, p.quoteAtoms('v', 'BTC/USDT', 15_00, 5) - p.quoteAtoms('v', 'BTC/USDT', 15_00, 15));
    assert.equal(p.fees('v', 'USDT'), 5n);
    assert.equal(p.balance('v', 'BTC').total, 0n - p.baseAtoms('v', 'BTC/USDT', 10));
    const copy = new Portfolio([BTC]);
    copy.restore(JSON.parse(JSON.stringify(p.toJSON())));
    assert.deepEqual(copy.toJSON(), p.toJSON());
  });

  it('is exact against a bigint reference for random fills (balances conserved, PnL identity)', () => {
    const fill = fc.record({
      side: fc.constantFrom<'buy' | 'sell'>('buy', 'sell'),
      lots: fc.integer({ min: 1, max: 1_000_000 }),
      price: fc.integer({ min: 1, max: 10_000_000 }),
      fee: fc.bigInt({ min: 0n, max: 10_000n }),
    });
    fc.assert(
      fc.property(fc.array(fill, { maxLength: 60 }), fc.integer({ min: 1, max: 10_000_000 }), (fills, mark) => {
        const p = new Portfolio([BTC]);
        const q = (px: number, l: number): bigint => BigInt(px) * BigInt(l) * 1n; // USDT atoms per tick-lot = 1
        let usdt = 0n;
        let btc = 0n;
        let qty = 0n;
        let fees = 0n;
        for (const f of fills) {
          p.applyFill('v', 'BTC/USDT', f.side, f.lots, f.price, 'USDT', f.fee);
          const n = q(f.price, f.lots);
          usdt += f.side === 'buy' ? -n : n;
          btc += f.side === 'buy' ? BigInt(f.lots) : -BigInt(f.lots);
          qty += f.side === 'buy' ? BigInt(f.lots) : -BigInt(f.lots);
          fees += f.fee;
          usdt -= f.fee;
          const pos = p.position('v', 'BTC/USDT');
          assert.equal(pos.qtyLots, qty);
          // realized − cost == net cash flow of fills (fees excluded): nothing created or lost
          assert.equal(pos.realizedAtoms - pos.costAtoms, usdt + fees);
          // |cost| stays within the open quantity's range of prices (no sign flips from rounding)
          if (qty === 0n) assert.equal(pos.costAtoms, 0n);
          else assert.equal(pos.costAtoms > 0n, qty > 0n);
        }
        assert.equal(p.balance('v', 'USDT').total, usdt);
        assert.equal(p.balance('v', 'BTC').total, btc);
        assert.equal(p.fees('v', 'USDT'), fees);
        const pos = p.position('v', 'BTC/USDT');
        // total PnL at mark = cash + position value (exact)
        assert.equal(pos.realizedAtoms + p.unrealizedAtoms('v', 'BTC/USDT', mark), usdt + fees + qty * BigInt(mark));
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('validates options', () => {
    assert.throws(() => new Portfolio([BTC], { defaultAssetDecimals: -1 }), /portfolio\.defaultAssetDecimals/);
  });
});
