import { LedgerCheckInputError } from './errors.js';

/**
 * An exact decimal `units × 10^-scale`. The engine keeps amounts in atoms of a per-asset size
 * (`Portfolio.assetDecimals`), the venue prints 8-decimal strings: comparing them at the larger
 * of the two scales is exact and needs no rounding, whichever side is finer.
 */
export interface Decimal {
  units: bigint;
  scale: number;
}

const DECIMAL_RE = /^-?\d+(\.\d+)?$/;

/** Parses a (possibly negative) plain decimal string; `field` names it in the error. */
export function parseDecimalExact(s: unknown, field: string): Decimal {
  if (typeof s !== 'string' || !DECIMAL_RE.test(s)) {
    throw new LedgerCheckInputError(`${field}: expected a decimal string, got ${JSON.stringify(s)}`, { field });
  }
  const neg = s.startsWith('-');
  const body = neg ? s.slice(1) : s;
  const dot = body.indexOf('.');
  const int = dot < 0 ? body : body.slice(0, dot);
  const frac = dot < 0 ? '' : body.slice(dot + 1);
  const units = BigInt(int + frac);
  return { units: neg ? -units : units, scale: frac.length };
}

/** `units` of 10^-scale as a decimal. */
export function dec(units: bigint, scale: number): Decimal {
  return { units, scale };
}

/** a + b, exact. */
export function addDec(a: Decimal, b: Decimal): Decimal {
  const s = Math.max(a.scale, b.scale);
  return { units: rescale(a, s) + rescale(b, s), scale: s };
}

/** a − b, exact. */
export function subDec(a: Decimal, b: Decimal): Decimal {
  return addDec(a, { units: -b.units, scale: b.scale });
}

/** a × b, exact. */
export function mulDec(a: Decimal, b: Decimal): Decimal {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

/** Whether a and b are the same number. */
export function eqDec(a: Decimal, b: Decimal): boolean {
  const s = Math.max(a.scale, b.scale);
  return rescale(a, s) === rescale(b, s);
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
  const s = Math.max(d.scale, step.scale);
  const a = rescale(d, s);
  const b = rescale(step, s);
  if (b === 0n || a % b !== 0n) {
    throw new LedgerCheckInputError(`${field}: ${formatDec(d)} is not a whole multiple of ${formatDec(step)}`, { field, value: formatDec(d), step: formatDec(step) });
  }
  return a / b;
}

function rescale(d: Decimal, scale: number): bigint {
  return d.units * 10n ** BigInt(scale - d.scale);
}
