import { type Dec, parseDec, wholeSteps } from '../../common/decimal.js';
import { LedgerCheckInputError } from './errors.js';

/**
 * An exact decimal `units × 10^-scale` (common/decimal.ts). The engine keeps amounts in atoms of a
 * per-asset size (`Portfolio.assetDecimals`), the venue prints 8-decimal strings: comparing them at
 * the larger of the two scales is exact and needs no rounding, whichever side is finer.
 */
export type Decimal = Dec;
export { addDec, eqDec, mulDec, subDec } from '../../common/decimal.js';

/** Parses a (possibly negative) plain decimal string; `field` names it in the error. */
export function parseDecimalExact(s: unknown, field: string): Decimal {
  const d = typeof s === 'string' ? parseDec(s) : undefined;
  if (d === undefined) throw new LedgerCheckInputError(`${field}: expected a decimal string, got ${JSON.stringify(s)}`, { field });
  return d;
}

/** `units` of 10^-scale as a decimal. */
export function dec(units: bigint, scale: number): Decimal {
  return { units, scale };
}

/** The decimal as a string without trailing fractional zeros (`"0.00100000"` → `"0.001"`). */
export function formatDec(d: Decimal): string {
  const neg = d.units < 0n;
  const digits = (neg ? -d.units : d.units).toString().padStart(d.scale + 1, '0');
  let int = d.scale === 0 ? digits : digits.slice(0, digits.length - d.scale);
  let frac = d.scale === 0 ? '' : digits.slice(digits.length - d.scale).replace(/0+$/, '');
  if (int === '') int = '0';
  if (frac !== '') frac = `.${frac}`;
  return `${neg && (int !== '0' || frac !== '') ? '-' : ''}${int}${frac}`;
}

/**
 * The decimal as a whole number of `step` (a decimal such as a lot size); throws
 * {@link LedgerCheckInputError} when it is not a whole multiple.
 */
export function toSteps(d: Decimal, step: Decimal, field: string): bigint {
  const n = wholeSteps(d, step);
  if (n === undefined) {
    throw new LedgerCheckInputError(`${field}: ${formatDec(d)} is not a whole multiple of ${formatDec(step)}`, { field, value: formatDec(d), step: formatDec(step) });
  }
  return n;
}
