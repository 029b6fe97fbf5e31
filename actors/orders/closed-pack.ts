import { ORDER_EVENT_KINDS, ORDER_STATES, type Order, type OrderEventKind, type OrderHistoryEntry, type OrderState } from './order-state.js';
import type { OrderIntent } from './intent.js';

/**
 * The compact form of a closed order in the {@link OrderStore} (issue 16): one short one-byte
 * string per order instead of ~17 objects (the order, its intent, fees, trade id and history
 * arrays, one object and one boxed number per history step: ~0.9 KB). A closed order can no longer
 * change, so it is packed once, when it leaves the store's window of recently closed orders kept
 * as objects, and unpacked (a fresh, equal {@link Order}) only when it is read.
 *
 * The text is a JSON array without keys; repeated strings (strategy, venue, symbol, side, type,
 * time in force, fee assets) are numbers into a per-store {@link PackStrings} table, states and
 * event kinds are their index in ORDER_STATES / ORDER_EVENT_KINDS, times after the creation time
 * are differences to it (when exact). Numbers print in JSON's shortest round-trip form, so every
 * field comes back exactly. The intent comes back with its
 * fields in the declared order (strategy, venue, symbol, side, type, tif, priceTicks, qtyLots,
 * reduceOnly only if it was present).
 */
export class PackStrings {
  private readonly index = new Map<string, number>();
  private readonly list: string[] = [];

  /** The number of `s` (added on first use; the table holds distinct values only, a handful). */
  id(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(s);
      this.index.set(s, i);
    }
    return i;
  }

  /** The string numbered `i`. */
  at(i: number): string {
    const s = this.list[i];
    if (s === undefined) throw new RangeError(`packed order: no string #${i}`);
    return s;
  }
}

const STATE_NO = new Map<OrderState, number>(ORDER_STATES.map((s, i) => [s, i]));
const EVENT_NO = new Map<OrderEventKind, number>(ORDER_EVENT_KINDS.map((k, i) => [k, i]));

/** The packed text of `o` (its client order id is the store's key, not part of the text). */
export function packOrder(o: Order, t: PackStrings): string {
  const it = o.intent;
  const fees: (number | string)[] = [];
  for (const k in o.fees) fees.push(t.id(k), o.fees[k]!.toString());
  const h = o.history;
  const c = o.createdNs;
  const hist = new Array<number | string>(h.length * 4);
  for (let i = 0; i < h.length; i++) {
    const e = h[i]!;
    hist[i * 4] = rel(e.tNs, c);
    hist[i * 4 + 1] = EVENT_NO.get(e.event)!;
    hist[i * 4 + 2] = STATE_NO.get(e.from)!;
    hist[i * 4 + 3] = STATE_NO.get(e.to)!;
  }
  const ro = !('reduceOnly' in it) ? 0 : it.reduceOnly === true ? 2 : it.reduceOnly === false ? 1 : 0;
  return JSON.stringify([
    o.venueOrderId ?? null,
    t.id(it.strategy),
    t.id(it.venue),
    t.id(it.symbol),
    t.id(it.side),
    t.id(it.type),
    t.id(it.tif),
    it.priceTicks,
    it.qtyLots,
    ro,
    o.intentKey ?? null,
    STATE_NO.get(o.state)!,
    o.filledLots,
    o.cumTickLots.toString(),
    fees,
    o.tradeIds,
    o.reason ?? null,
    c,
    rel(o.updatedNs, c),
    hist,
  ]);
}

/**
 * A time as its difference to the order's creation time (a few digits instead of 19) when that is
 * exact in binary floating point, else the absolute time as a decimal string.
 */
function rel(t: number, c: number): number | string {
  const d = t - c;
  return c + d === t ? d : String(t);
}

function abs(x: number | string, c: number): number {
  return typeof x === 'string' ? Number(x) : c + x;
}

type Packed = [string | null, number, number, number, number, number, number, number, number, number, string | null, number, number, string, (number | string)[], string[], string | null, number, number | string, (number | string)[]];

/** The order packed by {@link packOrder}: a fresh object equal to the one packed. */
export function unpackOrder(clientOrderId: string, text: string, t: PackStrings): Order {
  const p = JSON.parse(text) as Packed;
  const intent: OrderIntent = {
    strategy: t.at(p[1]),
    venue: t.at(p[2]),
    symbol: t.at(p[3]),
    side: t.at(p[4]) as OrderIntent['side'],
    type: t.at(p[5]) as OrderIntent['type'],
    tif: t.at(p[6]) as OrderIntent['tif'],
    priceTicks: p[7],
    qtyLots: p[8],
  };
  if (p[9] !== 0) intent.reduceOnly = p[9] === 2;
  const fees: Record<string, bigint> = {};
  const f = p[14];
  for (let i = 0; i < f.length; i += 2) fees[t.at(f[i] as number)] = BigInt(f[i + 1] as string);
  const hp = p[19];
  const history = new Array<OrderHistoryEntry>(hp.length / 4);
  for (let i = 0; i < history.length; i++) {
    history[i] = { tNs: abs(hp[i * 4]!, p[17]), event: ORDER_EVENT_KINDS[hp[i * 4 + 1] as number]!, from: ORDER_STATES[hp[i * 4 + 2] as number]!, to: ORDER_STATES[hp[i * 4 + 3] as number]! };
  }
  return {
    clientOrderId,
    venueOrderId: p[0] ?? undefined,
    intent,
    intentKey: p[10] ?? undefined,
    state: ORDER_STATES[p[11]]!,
    filledLots: p[12],
    cumTickLots: BigInt(p[13]),
    fees,
    tradeIds: p[15],
    reason: p[16] ?? undefined,
    createdNs: p[17],
    updatedNs: abs(p[18], p[17]),
    history,
  };
}
