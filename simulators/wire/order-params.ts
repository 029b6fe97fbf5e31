import { ASSET_DECIMALS, parseDecimal, type InstrumentRegistry } from '../venue/instruments.js';
import type { PlaceRequest, Rejection } from '../venue/matching-engine.js';
import { STP_MODES, type OrderType, type Side, type StpMode, type TimeInForce } from '../venue/order.js';

/** Request parameters as strings, from a query/form body (REST) or a WS-API `params` object. */
export type Params = Map<string, string>;

const err = (code: number, msg: string): Rejection => ({ ok: false, code, msg });
/** Binance's -1102 for a missing or empty mandatory parameter. */
export const mandatory = (name: string): Rejection => err(-1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`);
/** Binance's -1100 for a malformed value. */
export const illegal = (name: string, range?: string): Rejection =>
  err(-1100, range === undefined ? `Illegal characters found in parameter '${name}'.` : `Illegal characters found in parameter '${name}'; legal range is '${range}'.`);

const CLIENT_ID = /^[a-zA-Z0-9-_.]{1,36}$/;
const SIDES: ReadonlySet<string> = new Set(['BUY', 'SELL']);
const TYPES: ReadonlySet<string> = new Set(['LIMIT', 'MARKET', 'LIMIT_MAKER']);
const TIFS: ReadonlySet<string> = new Set(['GTC', 'IOC', 'FOK']);
const OTHER_TYPES: ReadonlySet<string> = new Set(['STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT']);

/** What {@link smallAtoms} reads: a plain decimal of at most 7 integer and 8 fraction digits (< 2^53 atoms), i.e. `^(\d{1,7})(?:\.(\d{0,8}))?$`. */
const ATOMS_PER_UNIT = 10 ** ASSET_DECIMALS;

/**
 * `parseDecimal(s)` as a number of atoms for the strings order entry sends (`"60000.00"`,
 * `"0.00100"`), without bigint arithmetic; `undefined` when `s` needs the general parser.
 */
export function smallAtoms(s: string): number | undefined {
  // One pass over the digits (the shape of SMALL_DECIMAL), integer arithmetic below 2^53: exact.
  const n = s.length;
  let i = 0;
  let int = 0;
  while (i < n) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    int = int * 10 + c;
    i++;
  }
  if (i === 0 || i > 7) return undefined;
  if (i === n) return int * ATOMS_PER_UNIT;
  if (s.charCodeAt(i) !== 46) return undefined;
  const f0 = ++i;
  let frac = 0;
  while (i < n) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    frac = frac * 10 + c;
    i++;
  }
  const digits = i - f0;
  if (digits > ASSET_DECIMALS) return undefined;
  return int * ATOMS_PER_UNIT + frac * POW10[ASSET_DECIMALS - digits]!;
}

const POW10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

/**
 * `amount` in whole steps of `stepAtoms` (a price in ticks, a quantity in lots), or the rejection:
 * `filter` when off the step or too large, -1111 / -1100 when not a decimal `name` accepts.
 */
function steps(amount: string, stepAtoms: bigint, name: string, filter: string): number | Rejection {
  const small = smallAtoms(amount);
  if (small !== undefined) {
    const step = Number(stepAtoms);
    // Both below 2^53: the remainder and the quotient are exact.
    if (small % step !== 0) return err(-1013, `Filter failure: ${filter}`);
    return small / step;
  }
  const atoms = parseDecimal(amount);
  if (atoms === null) return /^\d*\.?\d+$/.test(amount) ? err(-1111, `Parameter '${name}' has too much precision.`) : illegal(name);
  if (atoms % stepAtoms !== 0n) return err(-1013, `Filter failure: ${filter}`);
  const t = atoms / stepAtoms;
  if (t > BigInt(Number.MAX_SAFE_INTEGER)) return err(-1013, `Filter failure: ${filter}`);
  return Number(t);
}

/**
 * Turns Binance `order` parameters into a {@link PlaceRequest}, or the rejection Binance would give
 * (-1102 missing, -1100 malformed, -1106 not required, -1111 too much precision, -1115/-1116/-1117
 * bad enum, -1121 unknown symbol, -1013 LOT_SIZE/PRICE_FILTER when off the step or tick).
 */
export function parseOrderParams(p: Params, instruments: InstrumentRegistry, account: string, newClientId: () => string, traceparent: string | undefined): PlaceRequest | Rejection {
  const symbol = p.get('symbol');
  if (!symbol) return mandatory('symbol');
  const ins = instruments.get(symbol);
  if (ins === undefined) return err(-1121, 'Invalid symbol.');
  const side = p.get('side');
  if (!side) return mandatory('side');
  if (!SIDES.has(side)) return err(-1117, 'Invalid side.');
  const type = p.get('type');
  if (!type) return mandatory('type');
  if (!TYPES.has(type)) return OTHER_TYPES.has(type) ? err(-1013, 'Order type not supported by the simulator.') : err(-1116, 'Invalid orderType.');
  let tif = p.get('timeInForce');
  if (type === 'LIMIT') {
    if (!tif) return mandatory('timeInForce');
    if (!TIFS.has(tif)) return err(-1115, 'Invalid timeInForce.');
  } else if (tif !== undefined && tif !== '') {
    if (type === 'MARKET' || type === 'LIMIT_MAKER') return err(-1106, "Parameter 'timeInForce' sent when not required.");
  }
  tif ??= 'GTC';
  let priceTicks = 0;
  const price = p.get('price');
  if (type === 'MARKET') {
    if (price !== undefined && price !== '') return err(-1106, "Parameter 'price' sent when not required.");
  } else {
    if (!price) return mandatory('price');
    const t = steps(price, ins.tickAtoms, 'price', 'PRICE_FILTER');
    if (typeof t !== 'number') return t;
    priceTicks = t;
  }
  let lots = 0;
  let quoteOrderQty = 0n;
  const qty = p.get('quantity');
  const qq = p.get('quoteOrderQty');
  if (qty !== undefined && qty !== '') {
    const l = steps(qty, ins.lotAtoms, 'quantity', 'LOT_SIZE');
    if (typeof l !== 'number') return l;
    lots = l;
  } else if (type === 'MARKET' && qq !== undefined && qq !== '') {
    const atoms = parseDecimal(qq);
    if (atoms === null) return illegal('quoteOrderQty');
    if (side !== 'BUY') return err(-1013, 'Filter failure: the simulator supports quoteOrderQty for MARKET BUY only.');
    quoteOrderQty = atoms;
  } else {
    return type === 'MARKET' ? err(-1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!") : mandatory('quantity');
  }
  const stp = p.get('selfTradePreventionMode');
  if (stp !== undefined && stp !== '' && !(STP_MODES as readonly string[]).includes(stp)) return err(-1100, "Illegal characters found in parameter 'selfTradePreventionMode'; legal range is 'NONE, EXPIRE_TAKER, EXPIRE_MAKER, EXPIRE_BOTH'.");
  let clientOrderId = p.get('newClientOrderId');
  if (clientOrderId === undefined || clientOrderId === '') clientOrderId = newClientId();
  else if (!CLIENT_ID.test(clientOrderId)) return illegal('newClientOrderId', '^[a-zA-Z0-9-_.]{1,36}$');
  return {
    account,
    symbol,
    side: side as Side,
    type: type as OrderType,
    timeInForce: tif as TimeInForce,
    priceTicks,
    lots,
    quoteOrderQty,
    clientOrderId,
    traceparent,
    // absent: the venue's defaultSelfTradePreventionMode (the engine's default)
    stp: stp === undefined || stp === '' ? undefined : (stp as StpMode),
  };
}

/** Parses an optional non-negative integer parameter; `null` when malformed. */
export function intParam(p: Params, name: string): number | undefined | null {
  const v = p.get(name);
  if (v === undefined || v === '') return undefined;
  if (!/^\d{1,16}$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}
