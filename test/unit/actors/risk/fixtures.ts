import { SimulatedClock } from '../../../../common/clock.js';
import type { Instrument } from '../../../../actors/orders/instrument.js';
import type { OrderIntent } from '../../../../actors/orders/intent.js';
import { RiskEngine, type RiskEngineOptions } from '../../../../actors/risk/risk-engine.js';
import type { RiskConfigInput } from '../../../../actors/risk/config.js';
import { AtomicCounters } from '../../../../native/atomic-counters.js';

/**
 * Unit-sized instruments for boundary tables: tick = lot = atom = 1, so a notional in atoms is
 * simply price × qty and every limit below reads directly in those units.
 */
export function unitInstrument(venue: string, symbol: string, over: Partial<Instrument> = {}): Instrument {
  const [base = 'X', quote = 'USDT'] = symbol.split('/');
  return { venue, symbol, base, quote, tickSize: '1', lotSize: '1', minQtyLots: 1, maxQtyLots: 1000, minNotional: '0', ...over };
}

/** Generous limits: every check on, nothing binding unless a test tightens it. */
export function looseConfig(over: RiskConfigInput = {}): RiskConfigInput {
  const big = '1000000000';
  return {
    atom: '1',
    defaults: {
      instrument: { maxOrderNotional: big, maxPositionNotional: big, priceBandBps: 1000, maxQuoteAgeMs: 1000, maxOpenOrders: 1000 },
      venue: { maxOrderNotional: big, maxGrossExposure: big, maxNetExposure: big, maxOpenOrders: 10000, rate: { perSecond: 1e6, burst: 1e6 } },
      strategy: { maxOrderNotional: big, rate: { perSecond: 1e6, burst: 1e6 } },
    },
    strategies: { s1: {}, s2: {} },
    portfolio: { maxGrossExposure: big, maxNetExposure: big, maxOpenOrders: 100000, feeReserveBps: 0 },
    correlation: { maxWeightedExposure: big },
    killSwitch: { dailyLossLimit: '0', maxDrawdown: '0' },
    ...over,
  };
}

/** An order with defaults (s1 buys 1 lot of A/USDT on v1 at 100). */
export function order(over: Partial<OrderIntent> = {}): OrderIntent {
  return { strategy: 's1', venue: 'v1', symbol: 'A/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 100, qtyLots: 1, ...over };
}

/** An engine over instruments A/USDT, B/USDT on v1 and A/USDT on v2, quoted at 100, funded. */
export function makeEngine(
  config: RiskConfigInput = looseConfig(),
  extra: Partial<RiskEngineOptions> = {},
): { engine: RiskEngine; clock: SimulatedClock; counters: AtomicCounters } {
  const clock = extra.clock instanceof SimulatedClock ? extra.clock : new SimulatedClock({ startNs: 1e9 });
  const instruments = extra.instruments ?? [unitInstrument('v1', 'A/USDT'), unitInstrument('v1', 'B/USDT'), unitInstrument('v2', 'A/USDT')];
  const counters = (extra.counters as AtomicCounters | undefined) ?? AtomicCounters.create(RiskEngine.slotsNeeded(instruments, config));
  const engine = new RiskEngine({ config, clock, ...extra, instruments, counters });
  for (const ins of instruments) {
    engine.onQuote(ins.venue, ins.symbol, 100);
    engine.onBalance(ins.venue, ins.quote, 1e12);
    engine.onBalance(ins.venue, ins.base, 1e9);
  }
  return { engine, clock, counters };
}

/** Deep-merges plain objects (config overrides in tables). */
export function merge<T>(base: T, over: unknown): T {
  if (over === undefined) return base;
  if (typeof base !== 'object' || base === null || typeof over !== 'object' || over === null || Array.isArray(over)) return over as T;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) out[k] = merge(out[k], v);
  return out as T;
}

/** Opens `o` and fills it completely at its price (a position built through the engine's own updates). */
export function fillOrder(engine: RiskEngine, o: OrderIntent, feeAtoms = 0): void {
  engine.onOrderOpened(o);
  engine.onFill(o, o.qtyLots, o.priceTicks, feeAtoms);
  engine.onOrderClosed(o, 0);
}
