import type { OrderDenied, OrderFill, OrderUpdate } from '../messages.js';
import type { OrderIntent } from '../orders/intent.js';
import { isTerminal } from '../orders/order-state.js';
import type { StrategyContext } from './strategy.js';

/** Where a slot's one order is: none, sent (id not known yet), working (id known), cancel sent. */
export type SlotState = 'idle' | 'pending' | 'live' | 'cancelling';

/** Denial code of a re-submission whose earlier attempt is in flight or unknown (the venue actor's). */
export const OUTCOME_UNKNOWN = 'ORDER_OUTCOME_UNKNOWN';

/** How many retired client order ids a slot remembers to ignore their late updates. */
const RETIRED = 8;

/**
 * At most one working order for one purpose (a market maker's bid on an instrument, one leg of a
 * pair). A strategy never learns a client order id from `submit` (the venue actor assigns it), so
 * the slot adopts the id from the first update that matches its intent while it is `pending`.
 *
 * Idempotency: every order of the slot is submitted with intent key `<prefix>.<generation>`; the
 * generation moves on only when the order reached a terminal state (or was denied for a reason
 * other than `ORDER_OUTCOME_UNKNOWN`). A re-send after a timeout (no word at all) reuses the key,
 * so the venue actor refuses it while the first attempt is in flight or unknown instead of placing
 * a second order.
 */
export class OrderSlot {
  state: SlotState = 'idle';
  /** Client order id of the working order, `''` while unknown. */
  clientOrderId = '';
  /** The order's limit price (ticks) and quantity (lots). */
  priceTicks = 0;
  qtyLots = 0;
  /** Lots filled so far: the larger of the updates' cumulative figure and the fills received. */
  filledLots = 0;
  private fillLots = 0;
  /** Generation of the intent key. */
  generation = 0;
  /** Clock ns when the slot entered `pending` or `cancelling` (for re-sends). */
  sinceNs = 0;
  /** After a denial, no new order before this clock ns. */
  blockedUntilNs = 0;
  private intent: Omit<OrderIntent, 'strategy'> | undefined;
  private readonly retired: string[] = [];

  /** @param keyPrefix intent key prefix, unique per slot within the strategy (`bid.0`) */
  constructor(readonly keyPrefix: string) {}

  /**
   * Run tag: the clock's epoch ms (base 36) at this slot's first submit. Intent keys must stay unique
   * across process restarts (the journal keeps every earlier key), and the generation counter starts
   * over with the process.
   */
  private run = '';

  /** Intent key of the current generation. */
  get intentKey(): string {
    return `${this.keyPrefix}.${this.run}.${this.generation}`;
  }

  /** Side of the slot's current order (undefined when idle). */
  get side(): OrderIntent['side'] | undefined {
    return this.state === 'idle' ? undefined : this.intent?.side;
  }

  /** Lots still open on the working order (0 when idle). */
  get remainingLots(): number {
    return this.state === 'idle' ? 0 : this.qtyLots - this.filledLots;
  }

  /** Submits `intent` (the slot must be idle; returns false otherwise). */
  submit(ctx: StrategyContext, intent: Omit<OrderIntent, 'strategy'>): boolean {
    if (this.state !== 'idle') return false;
    this.state = 'pending';
    this.intent = intent;
    this.clientOrderId = '';
    this.priceTicks = intent.priceTicks;
    this.qtyLots = intent.qtyLots;
    this.filledLots = 0;
    this.fillLots = 0;
    this.sinceNs = ctx.clock.nowNs();
    if (this.run === '') this.run = ctx.clock.epochMs().toString(36);
    ctx.submit(intent, this.intentKey);
    return true;
  }

  /** Asks for a cancel of the working order (only once its id is known); false otherwise. */
  cancel(ctx: StrategyContext): boolean {
    if (this.state !== 'live' || this.intent === undefined) return false;
    this.state = 'cancelling';
    this.sinceNs = ctx.clock.nowNs();
    ctx.cancel(this.intent.venue, this.clientOrderId);
    return true;
  }

  /**
   * Re-sends after `timeoutMs` without word: a pending submit with the same intent key, a cancel
   * again. Returns true when it re-sent something.
   */
  retry(ctx: StrategyContext, timeoutMs: number): boolean {
    const now = ctx.clock.nowNs();
    if (this.intent === undefined || now - this.sinceNs < timeoutMs * 1e6) return false;
    if (this.state === 'pending') {
      this.sinceNs = now;
      ctx.submit(this.intent, this.intentKey);
      return true;
    }
    if (this.state === 'cancelling') {
      this.sinceNs = now;
      ctx.cancel(this.intent.venue, this.clientOrderId);
      return true;
    }
    return false;
  }

  /**
   * Applies an order update if it is this slot's order (returns false otherwise). A terminal state
   * frees the slot and moves the generation on.
   */
  onUpdate(u: OrderUpdate): boolean {
    if (this.state === 'idle' || this.intent === undefined) return false;
    if (this.clientOrderId === '') {
      const i = this.intent;
      if (this.state !== 'pending' || u.venue !== i.venue || u.symbol !== i.symbol || u.side !== i.side || this.retired.includes(u.clientOrderId)) return false;
      this.clientOrderId = u.clientOrderId;
      this.state = 'live';
    } else if (u.clientOrderId !== this.clientOrderId) {
      return false;
    }
    if (u.filledLots > this.filledLots) this.filledLots = u.filledLots;
    if (u.qtyLots > 0) this.qtyLots = u.qtyLots;
    if (isTerminal(u.state)) this.free();
    else if (u.state === 'pending-cancel') this.state = 'cancelling';
    return true;
  }

  /**
   * Counts a fill of the slot's working order (returns false for any other order). Fills and
   * updates are separate messages; a fill can tell that an order is done before its update does.
   */
  onFill(f: OrderFill): boolean {
    if (this.state === 'idle' || this.clientOrderId === '' || f.clientOrderId !== this.clientOrderId) return false;
    this.fillLots += f.lots;
    if (this.fillLots > this.filledLots) this.filledLots = this.fillLots;
    return true;
  }

  /**
   * Applies a denial if it is of this slot's pending order (returns false otherwise). An
   * `ORDER_OUTCOME_UNKNOWN` denial keeps the slot pending (the earlier attempt of the same key is
   * still out there, its update will come); any other frees the slot and blocks it for `backoffMs`.
   */
  onDenied(d: OrderDenied, nowNs: number, backoffMs: number): boolean {
    if (this.state !== 'pending' || this.intent === undefined) return false;
    const i = this.intent;
    if (d.intent.venue !== i.venue || d.intent.symbol !== i.symbol || d.intent.side !== i.side) return false;
    if (d.clientOrderId !== undefined && this.retired.includes(d.clientOrderId)) return false;
    if (d.code === OUTCOME_UNKNOWN) return true;
    this.free();
    this.blockedUntilNs = nowNs + backoffMs * 1e6;
    return true;
  }

  private free(): void {
    if (this.clientOrderId !== '') {
      if (this.retired.length === RETIRED) this.retired.shift();
      this.retired.push(this.clientOrderId);
    }
    this.state = 'idle';
    this.clientOrderId = '';
    this.generation++;
  }
}
