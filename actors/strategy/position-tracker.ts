import type { OrderFill, OrderUpdate } from '../messages.js';
import { isTerminal } from '../orders/order-state.js';

interface Reported {
  sign: 1 | -1;
  /** Filled lots according to the order's updates. */
  reported: number;
  /** Lots received as `order.fill` messages. */
  filled: number;
  done: boolean;
}

/**
 * Net position of one instrument in integer lots. `lots` counts only `order.fill` messages (the
 * executions); `expected` adds what order updates already report as filled but whose fill message
 * has not arrived yet. Updates and fills travel as separate messages, so a strategy that sizes its
 * next order on `lots` alone could act on a terminal update before its fill and overshoot a limit;
 * sizing on `expected` cannot.
 */
export class PositionTracker {
  /** Net lots from fills (buy +, sell −). */
  lots = 0;
  /** Σ sign × (reported − filled) over orders whose updates are ahead of their fills. */
  private ahead = 0;
  private readonly orders = new Map<string, Reported>();

  /** `lots` plus fills reported by updates but not received yet. */
  get expected(): number {
    return this.lots + this.ahead;
  }

  /** Applies an update of one of the strategy's orders on this instrument. */
  onUpdate(u: OrderUpdate): void {
    let o = this.orders.get(u.clientOrderId);
    if (o === undefined) {
      if (u.filledLots === 0) return;
      o = { sign: u.side === 'buy' ? 1 : -1, reported: 0, filled: 0, done: false };
      this.orders.set(u.clientOrderId, o);
    }
    if (u.filledLots > o.reported) this.reweigh(o, u.filledLots, o.filled);
    if (isTerminal(u.state)) o.done = true;
    this.settle(u.clientOrderId, o);
  }

  /** Applies a fill. */
  onFill(f: OrderFill): void {
    const sign = f.side === 'buy' ? 1 : -1;
    this.lots += sign * f.lots;
    let o = this.orders.get(f.clientOrderId);
    if (o === undefined) {
      o = { sign, reported: 0, filled: 0, done: false };
      this.orders.set(f.clientOrderId, o);
    }
    this.reweigh(o, o.reported, o.filled + f.lots);
    this.settle(f.clientOrderId, o);
  }

  private reweigh(o: Reported, reported: number, filled: number): void {
    this.ahead -= o.sign * Math.max(0, o.reported - o.filled);
    o.reported = reported;
    o.filled = filled;
    this.ahead += o.sign * Math.max(0, o.reported - o.filled);
  }

  private settle(id: string, o: Reported): void {
    if (o.done && o.filled >= o.reported) this.orders.delete(id);
  }
}
