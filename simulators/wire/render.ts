import type { Accounts } from '../venue/accounts.js';
import { ASSET_DECIMALS, formatAtoms, type Instrument } from '../venue/instruments.js';
import type { ExecType, PreventedMatch } from '../venue/matching-engine.js';
import { isOpen, type SimFill, type SimOrder } from '../venue/order.js';

/** Binance spot JSON renderings of the simulator's integer state (REST and WS-API share them). */

const ZERO = '0.00000000';

function base(ins: Instrument, o: SimOrder): Record<string, unknown> {
  return {
    symbol: o.symbol,
    orderId: o.orderId,
    orderListId: -1,
    clientOrderId: o.clientOrderId,
  };
}

function amounts(ins: Instrument, o: SimOrder): Record<string, unknown> {
  return {
    price: ins.priceString(o.priceTicks),
    origQty: ins.qtyString(o.origLots),
    executedQty: ins.qtyString(o.executedLots),
    origQuoteOrderQty: formatAtoms(o.quoteOrderQty),
    cummulativeQuoteQty: formatAtoms(o.cumQuoteAtoms),
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
  };
}

/** Binance's `preventedMatchId` / `preventedQuantity`: present only on an order that self-trade prevention touched. */
function prevented(ins: Instrument, o: SimOrder): Record<string, unknown> {
  return o.preventedMatchId === undefined ? {} : { preventedMatchId: o.preventedMatchId, preventedQuantity: ins.qtyString(o.preventedLots) };
}

/**
 * `POST /api/v3/order` reply for `newOrderRespType` ACK, RESULT or FULL (default FULL). `matches`
 * are the self-trades the order's placement prevented (FULL lists them as `preventedMatches`).
 */
export function renderNewOrder(ins: Instrument, o: SimOrder, respType: string, matches: readonly PreventedMatch[] = []): Record<string, unknown> {
  const ack = { ...base(ins, o), transactTime: o.time };
  if (respType === 'ACK') return ack;
  const result = { ...ack, ...amounts(ins, o), workingTime: isOpen(o) || o.executedLots > 0 ? o.time : -1, selfTradePreventionMode: o.stp, ...prevented(ins, o) };
  if (respType === 'RESULT') return result;
  return {
    ...result,
    fills: o.fills.map((f) => ({ price: ins.priceString(f.priceTicks), qty: ins.qtyString(f.lots), commission: formatAtoms(f.commission), commissionAsset: f.commissionAsset, tradeId: f.tradeId })),
    ...(matches.length === 0
      ? {}
      : {
          preventedMatches: matches.map((m) => ({
            preventedMatchId: m.preventedMatchId,
            makerOrderId: m.makerOrderId,
            price: ins.priceString(m.priceTicks),
            takerPreventedQuantity: ins.qtyString(m.takerPreventedLots),
            makerPreventedQuantity: ins.qtyString(m.makerPreventedLots),
          })),
        }),
  };
}

const ATOMS_PER_UNIT = 10 ** ASSET_DECIMALS;
const FRAC_PAD = '0'.repeat(ASSET_DECIMALS);

/**
 * {@link formatAtoms} for a non-negative safe integer number of atoms without bigint arithmetic
 * (the per-order reply path formats a dozen amounts); anything else goes through formatAtoms.
 */
function atomsString(atoms: number): string {
  if (!(atoms >= 0 && atoms <= Number.MAX_SAFE_INTEGER)) return formatAtoms(BigInt(atoms));
  const int = Math.floor(atoms / ATOMS_PER_UNIT);
  const frac = atoms - int * ATOMS_PER_UNIT;
  if (frac === 0) return `${int}.${FRAC_PAD}`;
  const f = String(frac);
  return `${int}.${f.length === ASSET_DECIMALS ? f : FRAC_PAD.slice(f.length) + f}`;
}

/** `ins.priceString(ticks)` on the number fast path. */
function priceStr(ins: Instrument, ticks: number): string {
  const n = ticks * Number(ins.tickAtoms);
  return Number.isSafeInteger(n) ? atomsString(n) : ins.priceString(ticks);
}

/** `ins.qtyString(lots)` on the number fast path. */
function qtyStr(ins: Instrument, lots: number): string {
  const n = lots * Number(ins.lotAtoms);
  return Number.isSafeInteger(n) ? atomsString(n) : ins.qtyString(lots);
}

/** `formatAtoms(atoms)` on the number fast path. */
function bigAtomsStr(atoms: bigint): string {
  return atoms >= 0n && atoms <= MAX_SAFE_BIG ? atomsString(Number(atoms)) : formatAtoms(atoms);
}
const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A JSON string literal; the common case (no character needing an escape) skips JSON.stringify.
 * Enum fields (status, side, type, timeInForce, stp) are fixed literals and spliced in directly.
 */
function jstr(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}
const PLAIN = /^[\w.\-: ]*$/;

/**
 * {@link renderNewOrder} rendered straight to its JSON text, byte for byte what
 * `JSON.stringify(renderNewOrder(...))` gives (a unit test compares them), without building the
 * intermediate objects: the order-entry reply path of REST and the WebSocket API.
 */
export function renderNewOrderJson(ins: Instrument, o: SimOrder, respType: string, matches: readonly PreventedMatch[] = []): string {
  const head = `{"symbol":${jstr(o.symbol)},"orderId":${o.orderId},"orderListId":-1,"clientOrderId":${jstr(o.clientOrderId)},"transactTime":${o.time}`;
  if (respType === 'ACK') return `${head}}`;
  let s =
    `${head},"price":"${priceStr(ins, o.priceTicks)}","origQty":"${qtyStr(ins, o.origLots)}","executedQty":"${qtyStr(ins, o.executedLots)}",` +
    `"origQuoteOrderQty":"${bigAtomsStr(o.quoteOrderQty)}","cummulativeQuoteQty":"${bigAtomsStr(o.cumQuoteAtoms)}","status":"${o.status}",` +
    `"timeInForce":"${o.timeInForce}","type":"${o.type}","side":"${o.side}","workingTime":${isOpen(o) || o.executedLots > 0 ? o.time : -1},` +
    `"selfTradePreventionMode":"${o.stp}"`;
  if (o.preventedMatchId !== undefined) s += `,"preventedMatchId":${o.preventedMatchId},"preventedQuantity":"${qtyStr(ins, o.preventedLots)}"`;
  if (respType === 'RESULT') return `${s}}`;
  s += ',"fills":[';
  for (let i = 0; i < o.fills.length; i++) {
    const f = o.fills[i]!;
    s +=
      `${i === 0 ? '' : ','}{"price":"${priceStr(ins, f.priceTicks)}","qty":"${qtyStr(ins, f.lots)}","commission":"${bigAtomsStr(f.commission)}",` +
      `"commissionAsset":${jstr(f.commissionAsset)},"tradeId":${f.tradeId}}`;
  }
  s += ']';
  if (matches.length > 0) {
    s += ',"preventedMatches":[';
    for (let i = 0; i < matches.length; i++) {
      const m = matches[i]!;
      s +=
        `${i === 0 ? '' : ','}{"preventedMatchId":${m.preventedMatchId},"makerOrderId":${m.makerOrderId},"price":"${priceStr(ins, m.priceTicks)}",` +
        `"takerPreventedQuantity":"${qtyStr(ins, m.takerPreventedLots)}","makerPreventedQuantity":"${qtyStr(ins, m.makerPreventedLots)}"}`;
    }
    s += ']';
  }
  return `${s}}`;
}

/** `GET /api/v3/order` (and openOrders, allOrders) element. */
export function renderQuery(ins: Instrument, o: SimOrder): Record<string, unknown> {
  return {
    ...base(ins, o),
    ...amounts(ins, o),
    stopPrice: ZERO,
    icebergQty: ZERO,
    time: o.time,
    updateTime: o.updateTime,
    isWorking: isOpen(o),
    workingTime: o.time,
    selfTradePreventionMode: o.stp,
    ...prevented(ins, o),
  };
}

/** `DELETE /api/v3/order` reply. */
export function renderCancel(ins: Instrument, o: SimOrder, cancelClientId: string, now: number): Record<string, unknown> {
  return {
    symbol: o.symbol,
    origClientOrderId: o.clientOrderId,
    orderId: o.orderId,
    orderListId: -1,
    clientOrderId: cancelClientId,
    transactTime: now,
    ...amounts(ins, o),
    selfTradePreventionMode: o.stp,
  };
}

/** `GET /api/v3/myTrades` element for one fill of `o`. */
export function renderMyTrade(ins: Instrument, o: SimOrder, f: SimFill): Record<string, unknown> {
  return {
    symbol: o.symbol,
    id: f.tradeId,
    orderId: o.orderId,
    orderListId: -1,
    price: ins.priceString(f.priceTicks),
    qty: ins.qtyString(f.lots),
    quoteQty: formatAtoms(f.quoteAtoms),
    commission: formatAtoms(f.commission),
    commissionAsset: f.commissionAsset,
    time: f.time,
    isBuyer: o.side === 'BUY',
    isMaker: f.isMaker,
    isBestMatch: true,
  };
}

/** `GET /api/v3/account` reply. */
export function renderAccount(accounts: Accounts, account: string, assets: readonly string[], now: number, feeBps: { makerBps: number; takerBps: number }, canWithdraw: boolean): Record<string, unknown> {
  const bal = accounts.of(account);
  const rate = (bps: number): string => (bps / 1e4).toFixed(8);
  return {
    makerCommission: feeBps.makerBps,
    takerCommission: feeBps.takerBps,
    buyerCommission: 0,
    sellerCommission: 0,
    commissionRates: { maker: rate(feeBps.makerBps), taker: rate(feeBps.takerBps), buyer: ZERO, seller: ZERO },
    canTrade: true,
    canWithdraw,
    canDeposit: true,
    brokered: false,
    requireSelfTradePrevention: false,
    preventSor: false,
    updateTime: now,
    accountType: 'SPOT',
    balances: assets.map((a) => {
      const b = bal.get(a);
      return { asset: a, free: formatAtoms(b?.free ?? 0n), locked: formatAtoms(b?.locked ?? 0n) };
    }),
    permissions: ['SPOT'],
    uid: 0,
  };
}

/** Binance `executionReport` user-data event. */
export function renderExecutionReport(ins: Instrument, o: SimOrder, exec: ExecType, fill: SimFill | undefined, now: number, cancelClientId?: string): Record<string, unknown> {
  const canceled = exec === 'CANCELED';
  return {
    e: 'executionReport',
    E: now,
    s: o.symbol,
    c: canceled && cancelClientId !== undefined ? cancelClientId : o.clientOrderId,
    S: o.side,
    o: o.type,
    f: o.timeInForce,
    q: ins.qtyString(o.origLots),
    p: ins.priceString(o.priceTicks),
    P: ZERO,
    F: ZERO,
    g: -1,
    C: canceled ? o.clientOrderId : '',
    x: exec,
    X: o.status,
    r: 'NONE',
    i: o.orderId,
    l: fill === undefined ? ZERO : ins.qtyString(fill.lots),
    z: ins.qtyString(o.executedLots),
    L: fill === undefined ? ZERO : ins.priceString(fill.priceTicks),
    n: fill === undefined ? '0' : formatAtoms(fill.commission),
    N: fill === undefined ? null : fill.commissionAsset,
    T: fill === undefined ? o.updateTime : fill.time,
    t: fill === undefined ? -1 : fill.tradeId,
    ...(o.preventedMatchId === undefined ? {} : { v: o.preventedMatchId, A: ins.qtyString(o.preventedLots), B: exec === 'TRADE_PREVENTION' ? ins.qtyString(o.preventedLots) : ZERO, u: -1 }),
    I: 0,
    w: isOpen(o),
    m: fill === undefined ? false : fill.isMaker,
    M: false,
    O: o.time,
    Z: formatAtoms(o.cumQuoteAtoms),
    Y: fill === undefined ? ZERO : formatAtoms(fill.quoteAtoms),
    Q: formatAtoms(o.quoteOrderQty),
    W: o.time,
    V: o.stp,
  };
}

/** Binance `outboundAccountPosition` user-data event for `assets` of `account`. */
export function renderAccountPosition(accounts: Accounts, account: string, assets: readonly string[], now: number): Record<string, unknown> {
  const bal = accounts.of(account);
  return {
    e: 'outboundAccountPosition',
    E: now,
    u: now,
    B: assets.map((a) => {
      const b = bal.get(a);
      return { a, f: formatAtoms(b?.free ?? 0n), l: formatAtoms(b?.locked ?? 0n) };
    }),
  };
}
