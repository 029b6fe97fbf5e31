/**
 * Heap bytes per closed order in the engine's order table (`OrderStore`), as objects and packed
 * (issue 16), measured in this process: 10,000 orders shaped like the demo's (market-maker quotes:
 * submit, accept with a venue id, cancel-request, canceled; every 4th filled in two fills with trade
 * ids and a fee; an intent key each), closed, then heapUsed after a full GC minus before, / 10,000.
 * Needs --expose-gc (bench/run.ts passes it).
 */
import { OrderStore } from '../actors/orders/order-store.js';

const N = 10_000;

function fill(s: OrderStore): void {
  const t0 = 1_764_900_000_123_456_768; // a double (ns since the epoch)
  for (let i = 0; i < N; i++) {
    const id = `mm-btc.k3j2${(i % 7).toString()}.${i % 2 === 0 ? 'b' : 'a'}.${i}`;
    const t = t0 + i * 250_000_000;
    s.create(id, { strategy: 'mm-btc', venue: 'sim-a', symbol: 'BTC/USDT', side: i % 2 === 0 ? 'buy' : 'sell', type: 'limit-maker', tif: 'GTC', priceTicks: 9_712_345 + (i % 900), qtyLots: 20 }, t, `${i % 2 === 0 ? 'bid' : 'ask'}.0.r.${i}`);
    s.apply(id, { kind: 'submit' }, t + 120_000);
    s.apply(id, { kind: 'accept', venueOrderId: String(182_734 + i) }, t + 2_345_678);
    if (i % 4 === 0) {
      s.apply(id, { kind: 'fill', lots: 8, priceTicks: 9_712_345, tradeId: String(90_000 + 2 * i), feeAsset: 'BNB', feeAtoms: 1_234_567n }, t + 5_000_000);
      s.apply(id, { kind: 'fill', lots: 12, priceTicks: 9_712_346, tradeId: String(90_001 + 2 * i), feeAsset: 'BNB', feeAtoms: 1_851_850n }, t + 7_000_000);
    } else {
      s.apply(id, { kind: 'cancel-request' }, t + 9_876_543_210);
      s.apply(id, { kind: 'canceled' }, t + 9_879_543_210);
    }
  }
}

/** Fills and drops a store (in its own frame: the caller's interpreter registers would keep it alive). */
function warm(hotClosed: number): void {
  fill(new OrderStore({ maxClosed: N, hotClosed }));
}

/** Per closed order: heap bytes (post-GC heapUsed delta) and bytes outside the heap (the packed table's buffers). */
export interface ClosedOrderCost {
  heap: number;
  offHeap: number;
  /** The packed records alone (no spare buffer room, no indexes). */
  records: number;
}

/**
 * Bytes per closed order with `hotClosed` (0: all packed; N: all objects). A first store of the
 * same shape is filled and dropped before measuring, so the code V8 compiles for it is not counted.
 */
export function bytesPerClosedOrder(hotClosed: number): ClosedOrderCost {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return { heap: NaN, offHeap: NaN, records: NaN };
  warm(hotClosed);
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const s = new OrderStore({ maxClosed: N, hotClosed });
  fill(s);
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  if (s.size !== N) throw new Error(`store holds ${s.size}`);
  return { heap: (after - before) / N, offHeap: s.packedBytes / N, records: s.packedRecordBytes / N };
}
