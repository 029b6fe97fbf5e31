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
