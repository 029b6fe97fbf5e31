import { pino } from 'pino';
import { setup } from 'xstate';
import { SimulatedClock } from '../../../../common/index.js';
import { topics, type OrderFill, type OrderSubmit, type OrderUpdate, type Ticker } from '../../../../actors/messages.js';
import type { Instrument } from '../../../../actors/orders/instrument.js';
import type { OrderState } from '../../../../actors/orders/order-state.js';
import { ActorSystem, type Envelope, type SupervisionOptions } from '../../../../actors/runtime/index.js';
import { spawnStrategy, type Strategy, type StrategyHandle, type StrategySpec } from '../../../../actors/strategy/index.js';

/** A machine that does nothing: the fake risk and venue actors are plain recorders. */
export const idleMachine = setup({}).createMachine({ id: 'idle' });

export const silent = pino({ level: 'silent' });

export function instrument(venue: string, symbol: string): Instrument {
  const [base = '', quote = ''] = symbol.split('/');
  return { venue, symbol, base, quote, tickSize: '0.01', lotSize: '0.001', minQtyLots: 1, maxQtyLots: 1_000_000, minNotional: '5' };
}

export const BTC = instrument('sim-a', 'BTC/USDT');
export const ETH = instrument('sim-a', 'ETH/USDT');
export const SOL = instrument('sim-b', 'SOL/USDT');

/** A strategy driven through a real ActorSystem on a SimulatedClock, with recording risk and venue actors. */
export class Harness {
  readonly clock = new SimulatedClock();
  readonly sys: ActorSystem;
  readonly submits: OrderSubmit[] = [];
  /** Cancels received by venue actors: address and client order id. */
  readonly cancels: { to: string; clientOrderId: string; lane: string }[] = [];
  readonly handle: StrategyHandle;
  private seq = 0;

  constructor(spec: StrategySpec, strategy: Strategy, opts: { supervision?: SupervisionOptions; risk?: boolean; logger?: typeof silent } = {}) {
    this.sys = new ActorSystem({ clock: this.clock, seed: 7 });
    if (opts.risk !== false) this.sys.spawn('risk', idleMachine, { handle: (e: Envelope) => void (e.type === 'order.submit' && this.submits.push(withoutRunTag(e.payload as OrderSubmit))) });
    for (const v of ['sim-a', 'sim-b']) {
      this.sys.spawn(`exchange.${v}`, idleMachine, {
        handle: (e: Envelope) => void (e.type === 'order.cancel' && this.cancels.push({ to: e.to, clientOrderId: (e.payload as { clientOrderId: string }).clientOrderId, lane: e.lane })),
      });
    }
    this.handle = spawnStrategy(this.sys, spec, strategy, {
      clock: this.clock,
      instruments: [BTC, ETH, SOL],
      logger: opts.logger ?? silent,
      ...(opts.supervision === undefined ? {} : { supervision: opts.supervision }),
    });
    this.clock.advance(0);
  }

  /** Publishes a ticker as a venue actor would (keyed by instrument) and delivers it. */
  ticker(ins: Instrument, bidTicks: number, askTicks: number): void {
    const t: Ticker = { venue: ins.venue, symbol: ins.symbol, bidTicks, bidLots: 10, askTicks, askLots: 10, venueTimeMs: 0, recvNs: this.clock.nowNs() };
    this.sys.publish(topics.ticker(ins.venue, ins.symbol), { type: 'md.ticker', payload: t, key: `${ins.venue}:${ins.symbol}` });
    this.clock.advance(0);
  }

  /** Publishes an order update for a submitted order (as the venue actor would) and delivers it. */
  update(s: OrderSubmit, state: OrderState, clientOrderId: string, filledLots = 0): void {
    const i = s.intent;
    const u: OrderUpdate = {
      clientOrderId,
      strategy: i.strategy,
      venue: i.venue,
      symbol: i.symbol,
      side: i.side,
      state,
      priceTicks: i.priceTicks,
      qtyLots: i.qtyLots,
      filledLots,
      tNs: this.clock.nowNs(),
    };
    this.sys.publish(topics.orders(i.strategy), { type: 'order.update', payload: u });
    this.clock.advance(0);
  }

  /** Accepts a submitted order under a fresh client order id; returns the id. */
  accept(s: OrderSubmit): string {
    const id = `${s.prefix ?? s.intent.strategy}.${(this.seq++).toString(36)}`;
    this.update(s, 'accepted', id);
    return id;
  }

  /** Publishes a fill of `lots` of a submitted order and delivers it. */
  fill(s: OrderSubmit, clientOrderId: string, lots: number, priceTicks = s.intent.priceTicks): void {
    const i = s.intent;
    const f: OrderFill = { clientOrderId, strategy: i.strategy, venue: i.venue, symbol: i.symbol, side: i.side, lots, priceTicks, tradeId: `t${this.seq++}`, tNs: this.clock.nowNs() };
    this.sys.publish(topics.fills(i.strategy), { type: 'order.fill', payload: f });
    this.clock.advance(0);
  }

  /** Submits since index `from`. */
  since(from: number): OrderSubmit[] {
    return this.submits.slice(from);
  }

  async close(): Promise<void> {
    await this.sys.shutdown();
  }
}

/**
 * Intent keys carry a run tag (`bid.0.<epoch-ms base 36>.<generation>`) so they stay unique across
 * restarts; the tests compare slot and generation, so the tag is checked for shape and removed.
 */
function withoutRunTag(s: OrderSubmit): OrderSubmit {
  if (s.intentKey === undefined) return s;
  // Keys set by a test's own strategy (`k.1`) have no tag; slot keys do (8 base-36 digits of epoch ms).
  const m = /^(.*)\.([0-9a-z]{8})\.(\d+)$/.exec(s.intentKey);
  if (m === null) return s;
  return { ...s, intentKey: `${m[1]}.${m[3]}` };
}
