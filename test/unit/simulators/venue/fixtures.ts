import { Accounts } from '../../../../simulators/venue/accounts.js';
import { InstrumentRegistry, type InstrumentSpec } from '../../../../simulators/venue/instruments.js';
import { Ledger } from '../../../../simulators/venue/ledger.js';
import { MatchingEngine, type EngineListener, type ExecType, type FeeSchedule, type PlaceRequest } from '../../../../simulators/venue/matching-engine.js';
import type { SimFill, SimOrder } from '../../../../simulators/venue/order.js';
import type { LedgerRetention } from '../../../../simulators/venue/retention.js';

/** One whole asset unit in atoms. */
export const UNIT = 100_000_000n;

/** A LIMIT GTC place request (no quote quantity); `extra` overrides any field. */
export function limitRequest(account: string, symbol: string, side: 'BUY' | 'SELL', priceTicks: number, lots: number, clientOrderId: string, extra: Partial<PlaceRequest> = {}): PlaceRequest {
  return { account, symbol, side, type: 'LIMIT', timeInForce: 'GTC', priceTicks, lots, quoteOrderQty: 0n, clientOrderId, ...extra };
}

const spec = (symbol: string, base: string, quote: string, tickSize: string, stepSize: string, minPrice: string): InstrumentSpec => ({
  symbol,
  base,
  quote,
  tickSize,
  stepSize,
  minQty: stepSize,
  maxQty: '100000',
  minNotional: '1',
  minPrice,
  maxPrice: '100000',
  initialPrice: 100,
  volatility: 0.5,
});

/**
 * Small instruments so that random orders cross often. BBBAAA quotes in AAA, so one asset (AAA) is
 * both a base and a quote and conservation has to hold across symbols.
 */
export const TEST_INSTRUMENTS: readonly InstrumentSpec[] = [
  // 1 tick × 1 lot = 0.5 × 0.1 = 0.05 USDT
  spec('AAAUSDT', 'AAA', 'USDT', '0.5', '0.1', '0.5'),
  // 0.01 × 1 = 0.01 USDT
  spec('BBBUSDT', 'BBB', 'USDT', '0.01', '1', '0.01'),
  // 0.001 × 0.5 = 0.0005 AAA
  spec('BBBAAA', 'BBB', 'AAA', '0.001', '0.5', '0.001'),
];

/** An engine event as the listener saw it, with the order's state at that moment. */
export interface SeenEvent {
  order: SimOrder;
  exec: ExecType;
  fill: SimFill | undefined;
  executedLots: number;
}

/** Engine, ledger and accounts wired as a venue wires them, with a recording listener. */
export interface EngineRig {
  instruments: InstrumentRegistry;
  accounts: Accounts;
  ledger: Ledger;
  engine: MatchingEngine;
  events: SeenEvent[];
  /** Called synchronously on every order event (for checks that need the moment of the event). */
  onEvent: ((e: SeenEvent) => void) | undefined;
}

/** Builds a rig on a fixed clock (time does not matter to matching); `retention` bounds the ledger's history. */
export function makeRig(fees: FeeSchedule = { makerBps: 10, takerBps: 10 }, specs: readonly InstrumentSpec[] = TEST_INSTRUMENTS, retention?: LedgerRetention): EngineRig {
  let t = 1_700_000_000_000;
  const now = (): number => t++;
  const instruments = new InstrumentRegistry(specs);
  const accounts = new Accounts();
  const ledger = new Ledger('test', accounts, instruments, now, retention);
  const engine = new MatchingEngine(instruments, accounts, ledger, fees, now);
  const rig: EngineRig = { instruments, accounts, ledger, engine, events: [], onEvent: undefined };
  const listener: EngineListener = {
    onOrderEvent(order, exec, fill) {
      const e = { order, exec, fill, executedLots: order.executedLots };
      rig.events.push(e);
      rig.onEvent?.(e);
    },
    onTrade() {},
    onBalances() {},
  };
  engine.listen(listener);
  return rig;
}
