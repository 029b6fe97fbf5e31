import { InvalidArgumentError } from '../../common/errors.js';

/**
 * A tradable instrument with its venue filters. Prices are integer ticks, quantities integer lots;
 * the decimal strings here are the edge representation (as the venue's exchangeInfo gives them).
 */
export interface Instrument {
  venue: string;
  /** Unified symbol `BASE/QUOTE`. */
  symbol: string;
  base: string;
  quote: string;
  /** Price increment as a decimal string, e.g. "0.01". */
  tickSize: string;
  /** Quantity increment as a decimal string, e.g. "0.00001". */
  lotSize: string;
  /** Minimum and maximum order quantity in lots. */
  minQtyLots: number;
  maxQtyLots: number;
  /** Minimum order notional in quote currency, decimal string, e.g. "5". */
  minNotional: string;
}

/** Number of decimal places of a decimal string ("0.0100" → 4). */
export function decimals(s: string): number {
  const i = s.indexOf('.');
  return i < 0 ? 0 : s.length - i - 1;
}

/**
 * Parses a non-negative decimal string into an integer count of `step` units exactly (bigint maths,
 * no binary floating point). Throws when the value is not a whole multiple of `step`.
 */
export function toUnits(value: string, step: string, field = 'value'): bigint {
  const fast = unitsFast(value, step);
  if (fast >= 0) return BigInt(fast);
  const re = /^\d+(\.\d+)?$/;
  if (!re.test(value)) throw new InvalidArgumentError(`${field}: expected a non-negative decimal string, got ${JSON.stringify(value)}`);
  if (!re.test(step)) throw new InvalidArgumentError(`step: expected a positive decimal string, got ${JSON.stringify(step)}`);
  const d = Math.max(decimals(value), decimals(step));
  const v = scaled(value, d);
  const s = scaled(step, d);
  if (s === 0n) throw new InvalidArgumentError(`step: expected a positive decimal string, got ${JSON.stringify(step)}`);
  if (v % s !== 0n) throw new InvalidArgumentError(`${field}: expected a multiple of ${step}, got ${JSON.stringify(value)}`);
  return v / s;
}

/** Formats `units` of `step` as a decimal string with the step's number of decimals. */
export function fromUnits(units: bigint | number, step: string): string {
  const d = decimals(step);
  const ms = typeof units === 'number' && units >= 0 && Number.isSafeInteger(units) ? plainMantissa(step) : -1;
  if (ms >= 0) {
    // the exact product in a double when it is a safe integer (see unitsFast): no bigint, no split
    const v = (units as number) * ms;
    if (Number.isSafeInteger(v)) {
      const abs = String(v).padStart(d + 1, '0');
      return d === 0 ? abs : `${abs.slice(0, abs.length - d)}.${abs.slice(abs.length - d)}`;
    }
  }
  const v = BigInt(units) * scaled(step, d);
  const neg = v < 0n;
  const abs = (neg ? -v : v).toString().padStart(d + 1, '0');
  const s = d === 0 ? abs : `${abs.slice(0, abs.length - d)}.${abs.slice(abs.length - d)}`;
  return neg ? `-${s}` : s;
}

function scaled(s: string, d: number): bigint {
  const [i = '0', f = ''] = s.split('.');
  return BigInt(i + f.padEnd(d, '0'));
}

/**
 * {@link toUnits} in double arithmetic, for the decimal strings of every order reply and market
 * data message (bigint parsing, string splitting and padding were ~8 % of the engine's CPU at
 * 15k orders/s, `npm run bench throughput`'s profile): the count of `step` units in `value`, or -1
 * when this path does not apply — not a plain non-negative decimal (`^\d+(\.\d+)?$`), a mantissa
 * or an aligned value beyond 2^53, a zero step, or not a whole multiple — and the exact bigint path
 * decides (and throws). Exact where it answers: every value is an integer below 2^53 (mantissas and
 * their products by powers of ten up to 10^22 are exact in a double, so are `%` and a division
 * that leaves no remainder).
 */
export function unitsFast(value: string, step: string): number {
  const mv = plainMantissa(value);
  const ms = plainMantissa(step);
  if (mv < 0 || ms <= 0) return -1;
  const dv = decimals(value);
  const ds = decimals(step);
  const v = dv >= ds ? mv : mv * POW10[ds - dv]!;
  const st = ds >= dv ? ms : ms * POW10[dv - ds]!;
  if (!(v <= MAX_SAFE && st <= MAX_SAFE) || v % st !== 0) return -1;
  return v / st;
}

/** Powers of ten exact in a double (10^0 … 10^22). */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * The digits of a plain decimal (`^\d+(\.\d+)?$`) as one integer, the point dropped ("0.0100"
 * → 100), or -1 when `s` is not one or its digits exceed 2^53.
 */
function plainMantissa(s: string): number {
  const n = s.length;
  let m = 0;
  let dot = -1;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      // one point, with digits on both sides
      if (dot >= 0 || i === 0 || i === n - 1) return -1;
      dot = i;
      continue;
    }
    if (c < 48 || c > 57) return -1;
    m = m * 10 + (c - 48);
  }
  return n === 0 || m > MAX_SAFE ? -1 : m;
}
