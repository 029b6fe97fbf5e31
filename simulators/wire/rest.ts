import { formatAtoms } from '../venue/instruments.js';
import { REJECT, type Rejection } from '../venue/matching-engine.js';
import type { SimOrder } from '../venue/order.js';
import type { VenueCore } from '../venue/venue.js';
import { SimulatorStoreError } from '../errors.js';
import { verifySigned, splitSignature, type ApiUser } from './auth.js';
import { intParam, mandatory, parseOrderParams, type Params } from './order-params.js';
import { renderAccount, renderCancel, renderMyTrade, renderNewOrderJson, renderQuery } from './render.js';

/** An HTTP request as the REST layer needs it (read synchronously from uWS before any await). */
export interface RestRequest {
  method: string;
  /** Path below `/api/v3`, e.g. `/order`. */
  path: string;
  query: string;
  body: string;
  apiKey: string | undefined;
  traceparent: string | undefined;
  ip: string;
}

/** An HTTP reply. */
export interface RestReply {
  status: number;
  body: string;
  headers: [string, string][];
}

interface Route {
  weight: (p: Params) => number;
  signed: boolean;
  order: boolean;
  handle: (v: VenueCore, p: Params, user: ApiUser | undefined, req: RestRequest) => unknown;
}

class Fail {
  constructor(
    readonly status: number,
    readonly r: Rejection,
  ) {}
}
/** A reply body already rendered as JSON (the order-entry path renders without building objects). */
class RawJson {
  constructor(readonly json: string) {}
}

const fail = (r: Rejection, status = 400): Fail => new Fail(status, r);
const isFail = (x: unknown): x is Fail => x instanceof Fail;

function depthWeight(p: Params): number {
  const l = Number(p.get('limit') ?? 100);
  return l <= 100 ? 5 : l <= 500 ? 25 : l <= 1000 ? 50 : 250;
}

function symbolsOf(v: VenueCore, p: Params): string[] | Fail {
  const one = p.get('symbol');
  if (one !== undefined) return v.instruments.get(one) ? [one] : fail(REJECT.badSymbol);
  const many = p.get('symbols');
  if (many !== undefined) {
    let list: unknown;
    try {
      list = JSON.parse(many);
    } catch {
      return fail({ ok: false, code: -1100, msg: "Illegal characters found in parameter 'symbols'." });
    }
    if (!Array.isArray(list) || list.some((s) => typeof s !== 'string' || !v.instruments.get(s))) return fail(REJECT.badSymbol);
    return list as string[];
  }
  return v.instruments.list.map((i) => i.symbol);
}

function ticker24(v: VenueCore, symbol: string): Record<string, unknown> {
  const ins = v.instruments.get(symbol)!;
  const st = v.engine.stats.get(symbol);
  const book = v.engine.books.get(symbol)!;
  const bb = book.bestBid();
  const ba = book.bestAsk();
  const now = v.serverTime();
  const last = st?.lastTicks ?? 0;
  const open = st?.openTicks ?? 0;
  const volume = BigInt(st?.volumeLots ?? 0) * ins.lotAtoms;
  const qv = st?.quoteVolume ?? 0n;
  return {
    symbol,
    priceChange: formatAtoms(BigInt(last - open) * ins.tickAtoms),
    priceChangePercent: open > 0 ? (((last - open) / open) * 100).toFixed(3) : '0.000',
    weightedAvgPrice: volume > 0n ? formatAtoms((qv * 10n ** 8n) / volume) : '0.00000000',
    prevClosePrice: ins.priceString(open),
    lastPrice: ins.priceString(last),
    lastQty: ins.qtyString(st?.lastLots ?? 0),
    bidPrice: ins.priceString(bb?.priceTicks ?? 0),
    bidQty: ins.qtyString(bb?.totalLots ?? 0),
    askPrice: ins.priceString(ba?.priceTicks ?? 0),
    askQty: ins.qtyString(ba?.totalLots ?? 0),
    openPrice: ins.priceString(open),
    highPrice: ins.priceString(st?.highTicks ?? 0),
    lowPrice: ins.priceString(st?.lowTicks ?? 0),
    volume: formatAtoms(volume),
    quoteVolume: formatAtoms(qv),
    openTime: st?.openTime ?? now,
    closeTime: now,
    firstId: st?.firstId ?? -1,
    lastId: st?.lastId ?? -1,
    count: st?.count ?? 0,
  };
}

function bookTicker(v: VenueCore, symbol: string): Record<string, unknown> {
  const ins = v.instruments.get(symbol)!;
  const book = v.engine.books.get(symbol)!;
  const bb = book.bestBid();
  const ba = book.bestAsk();
  return {
    symbol,
    bidPrice: ins.priceString(bb?.priceTicks ?? 0),
    bidQty: ins.qtyString(bb?.totalLots ?? 0),
    askPrice: ins.priceString(ba?.priceTicks ?? 0),
    askQty: ins.qtyString(ba?.totalLots ?? 0),
  };
}

/** Finds the order named by `orderId` or `origClientOrderId` (Binance: one of them is mandatory). */
function findOrder(v: VenueCore, p: Params, user: ApiUser): SimOrder | Fail {
  const symbol = p.get('symbol');
  if (!symbol) return fail(mandatory('symbol'));
  if (!v.instruments.get(symbol)) return fail(REJECT.badSymbol);
  const id = intParam(p, 'orderId');
  if (id === null) return fail({ ok: false, code: -1100, msg: "Illegal characters found in parameter 'orderId'; legal range is '^[0-9]{1,20}$'." });
  const cid = p.get('origClientOrderId');
  if (id === undefined && !cid) return fail({ ok: false, code: -1102, msg: "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!" });
  const o = id !== undefined ? v.engine.getById(user.account, id) : v.engine.getByClientId(user.account, symbol, cid!);
  if (o === undefined || o.symbol !== symbol) return fail(REJECT.unknownQuery);
  return o;
}

const EMPTY_JSON = new RawJson('{}');

const ROUTES: Record<string, Route> = {
  'GET /ping': { weight: () => 1, signed: false, order: false, handle: () => EMPTY_JSON },
  'GET /time': { weight: () => 1, signed: false, order: false, handle: (v) => ({ serverTime: v.serverTime() }) },
  'GET /exchangeInfo': {
    weight: () => 20,
    signed: false,
    order: false,
    handle: (v, p) => {
      const syms = symbolsOf(v, p);
      if (isFail(syms)) return syms;
      return v.exchangeInfo(syms);
    },
  },
  'GET /depth': {
    weight: depthWeight,
    signed: false,
    order: false,
    handle: (v, p) => {
      const symbol = p.get('symbol');
      if (!symbol) return fail(mandatory('symbol'));
      const ins = v.instruments.get(symbol);
      if (!ins) return fail(REJECT.badSymbol);
      const limit = intParam(p, 'limit');
      if (limit === null || (limit !== undefined && (limit < 1 || limit > 5000))) return fail({ ok: false, code: -1100, msg: "Illegal characters found in parameter 'limit'; legal range is '1-5000'." });
      const d = v.engine.books.get(symbol)!.depth(limit ?? 100);
      return {
        lastUpdateId: d.lastUpdateId,
        bids: d.bids.map(([t, l]) => [ins.priceString(t), ins.qtyString(l)]),
        asks: d.asks.map(([t, l]) => [ins.priceString(t), ins.qtyString(l)]),
      };
    },
  },
  'GET /ticker/bookTicker': {
    weight: (p) => (p.has('symbol') ? 2 : 4),
    signed: false,
    order: false,
    handle: (v, p) => {
      const syms = symbolsOf(v, p);
      if (isFail(syms)) return syms;
      return p.has('symbol') ? bookTicker(v, syms[0]!) : syms.map((s) => bookTicker(v, s));
    },
  },
  'GET /ticker/24hr': {
    weight: (p) => (p.has('symbol') ? 2 : 80),
    signed: false,
    order: false,
    handle: (v, p) => {
      const syms = symbolsOf(v, p);
      if (isFail(syms)) return syms;
      return p.has('symbol') ? ticker24(v, syms[0]!) : syms.map((s) => ticker24(v, s));
    },
  },
  'GET /ticker/price': {
    weight: (p) => (p.has('symbol') ? 2 : 4),
    signed: false,
    order: false,
    handle: (v, p) => {
      const syms = symbolsOf(v, p);
      if (isFail(syms)) return syms;
      const one = (s: string): Record<string, string> => ({ symbol: s, price: v.instruments.get(s)!.priceString(v.engine.stats.get(s)?.lastTicks ?? 0) });
      return p.has('symbol') ? one(syms[0]!) : syms.map(one);
    },
  },
  'POST /order': {
    weight: () => 1,
    signed: true,
    order: true,
    handle: (v, p, user, req) => {
      const r = parseOrderParams(p, v.instruments, user!.account, v.newClientOrderId, req.traceparent);
      if ('ok' in r) return fail(r);
      const res = v.engine.place(r);
      if (!res.ok) return fail(res);
      return new RawJson(renderNewOrderJson(v.instruments.get(r.symbol)!, res.order, p.get('newOrderRespType') ?? 'FULL', v.engine.lastPrevented));
    },
  },
  'POST /order/test': {
    weight: () => 1,
    signed: true,
    order: false,
    handle: (v, p, user, req) => {
      const r = parseOrderParams(p, v.instruments, user!.account, v.newClientOrderId, req.traceparent);
      return 'ok' in r ? fail(r) : {};
    },
  },
  'GET /order': {
    weight: () => 4,
    signed: true,
    order: false,
    handle: (v, p, user) => {
      const o = findOrder(v, p, user!);
      return isFail(o) ? o : renderQuery(v.instruments.get(o.symbol)!, o);
    },
  },
  'DELETE /order': {
    weight: () => 1,
    signed: true,
    order: false,
    handle: (v, p, user) => {
      const symbol = p.get('symbol');
      if (!symbol) return fail(mandatory('symbol'));
      const id = intParam(p, 'orderId');
      if (id === null) return fail({ ok: false, code: -1100, msg: "Illegal characters found in parameter 'orderId'." });
      const cid = p.get('origClientOrderId');
      if (id === undefined && !cid) return fail({ ok: false, code: -1102, msg: "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!" });
      const r = v.engine.cancel(user!.account, symbol, id, id === undefined ? cid : undefined);
      if (!r.ok) return fail(r);
      return renderCancel(v.instruments.get(symbol)!, r.order, p.get('newClientOrderId') || v.newClientOrderId(), v.serverTime());
    },
  },
  'DELETE /openOrders': {
    weight: () => 1,
    signed: true,
    order: false,
    handle: (v, p, user) => {
      const symbol = p.get('symbol');
      if (!symbol) return fail(mandatory('symbol'));
      if (!v.instruments.get(symbol)) return fail(REJECT.badSymbol);
      const ins = v.instruments.get(symbol)!;
      return v.engine.cancelAll(user!.account, symbol).map((o) => renderCancel(ins, o, v.newClientOrderId(), v.serverTime()));
    },
  },
  'GET /openOrders': {
    weight: (p) => (p.has('symbol') ? 6 : 80),
    signed: true,
    order: false,
    handle: (v, p, user) => {
      const symbol = p.get('symbol');
      if (symbol !== undefined && !v.instruments.get(symbol)) return fail(REJECT.badSymbol);
      return v.engine.openOrders(user!.account, symbol).map((o) => renderQuery(v.instruments.get(o.symbol)!, o));
    },
  },
  'GET /allOrders': {
    weight: () => 20,
    signed: true,
    order: false,
    handle: (v, p, user) => {
      const symbol = p.get('symbol');
      if (!symbol) return fail(mandatory('symbol'));
      const ins = v.instruments.get(symbol);
      if (!ins) return fail(REJECT.badSymbol);
      const limit = Math.min(intParam(p, 'limit') ?? 500, 1000);
      return v.engine.ordersOf(user!.account, symbol).slice(-limit).map((o) => renderQuery(ins, o));
    },
  },
  'GET /account': {
    weight: () => 20,
    signed: true,
    order: false,
    handle: (v, p, user) => {
      let assets = v.assets;
      if (p.get('omitZeroBalances') === 'true') {
        const bal = v.accounts.of(user!.account);
        assets = assets.filter((a) => {
          const b = bal.get(a);
          return b !== undefined && b.free + b.locked > 0n;
        });
      }
      return renderAccount(v.accounts, user!.account, assets, v.serverTime(), v.fees, v.canWithdraw);
    },
  },
  'GET /myTrades': {
    weight: () => 20,
    signed: true,
    order: false,
    handle: (v, p, user) => {
      const symbol = p.get('symbol');
      if (!symbol) return fail(mandatory('symbol'));
      const ins = v.instruments.get(symbol);
      if (!ins) return fail(REJECT.badSymbol);
      const orderId = intParam(p, 'orderId');
      const fromId = intParam(p, 'fromId');
      const limit = Math.min(intParam(p, 'limit') ?? 500, 1000);
      const out: Record<string, unknown>[] = [];
      for (const o of v.engine.ordersOf(user!.account, symbol)) {
        if (typeof orderId === 'number' && o.orderId !== orderId) continue;
        for (const f of o.fills) if (typeof fromId !== 'number' || f.tradeId >= fromId) out.push(renderMyTrade(ins, o, f));
      }
      out.sort((a, b) => (a.id as number) - (b.id as number) || (a.orderId as number) - (b.orderId as number));
      return out.slice(-limit);
    },
  },
};

/** Binance -1007: the backend did not confirm; the client must query the order (used when the durable ledger fails). */
export const STORE_DOWN = JSON.stringify({ code: -1007, msg: 'Timeout waiting for response from backend server. Send status unknown; execution status unknown.' });

/** Parses a query string or form body into `params` (later keys win, like Binance). */
export function parseParams(raw: string, into: Params): void {
  if (raw.length === 0) return;
  // Plain `k=v` pieces (what signed clients send: no escapes) are sliced directly; a piece with
  // `%` or `+` is decoded by URLSearchParams itself, so the semantics stay exactly its own.
  // URLSearchParams drops one leading '?'.
  let start = raw.charCodeAt(0) === 0x3f ? 1 : 0;
  while (start <= raw.length) {
    let end = raw.indexOf('&', start);
    if (end < 0) end = raw.length;
    if (end > start) {
      let plain = true;
      let eq = -1;
      for (let i = start; i < end; i++) {
        const c = raw.charCodeAt(i);
        if (c === 0x25 || c === 0x2b) {
          plain = false;
          break;
        }
        if (c === 0x3d && eq < 0) eq = i;
      }
      if (!plain) {
        for (const [k, val] of new URLSearchParams(raw.slice(start, end))) into.set(k, val);
      } else if (eq < 0) {
        into.set(raw.slice(start, end), '');
      } else {
        into.set(raw.slice(start, eq), raw.slice(eq + 1, end));
      }
    }
    start = end + 1;
  }
}

/**
 * Handles one `/api/v3/...` request against a venue: route, rate limit, signature, then the
 * endpoint. Always returns a reply (Binance JSON body, status, X-MBX-* headers); the server applies
 * network faults around it.
 */
export function handleRest(v: VenueCore, req: RestRequest): RestReply {
  const route = ROUTES[`${req.method} ${req.path}`];
  const headers: [string, string][] = [];
  if (route === undefined) {
    return { status: 404, body: JSON.stringify({ code: -1000, msg: `Unknown endpoint ${req.method} /api/v3${req.path}` }), headers };
  }
  const params: Params = new Map();
  parseParams(req.query, params);
  parseParams(req.body, params);
  const now = v.serverTime();
  let user: ApiUser | undefined;
  if (route.signed) {
    const raw = req.query + req.body;
    const { payload, signature } = splitSignature(raw);
    const u = verifySigned(v.users, req.apiKey, params, payload, signature, now);
    if ('ok' in u) {
      const verdict = v.limiter.charge(req.ip, route.weight(params), v.clockNow(), undefined, false);
      headers.push(['X-MBX-USED-WEIGHT-1M', String(verdict.usedWeight)]);
      return { status: u.status, body: JSON.stringify({ code: u.code, msg: u.msg }), headers };
    }
    user = u;
  }
  const verdict = v.limiter.charge(req.ip, route.weight(params), v.clockNow(), user?.account, route.order);
  headers.push(['X-MBX-USED-WEIGHT-1M', String(verdict.usedWeight)]);
  if (route.order) {
    headers.push(['X-MBX-ORDER-COUNT-10S', String(verdict.orders10s)]);
    headers.push(['X-MBX-ORDER-COUNT-1D', String(verdict.ordersDay)]);
  }
  if (verdict.status !== 0) {
    headers.push(['Retry-After', String(verdict.retryAfterSec)]);
    return { status: verdict.status, body: JSON.stringify({ code: verdict.code, msg: verdict.msg }), headers };
  }
  const mutates = route.order || req.method === 'DELETE';
  if (mutates && v.storeError !== undefined) return { status: 503, body: STORE_DOWN, headers };
  let out: unknown;
  try {
    out = route.handle(v, params, user, req);
  } catch (e) {
    // The durable ledger could not write the operation: its outcome is unknown to the client.
    if (e instanceof SimulatorStoreError) return { status: 503, body: STORE_DOWN, headers };
    throw e;
  }
  if (isFail(out)) return { status: out.status, body: JSON.stringify({ code: out.r.code, msg: out.r.msg }), headers };
  return { status: 200, body: out instanceof RawJson ? out.json : JSON.stringify(out), headers };
}
