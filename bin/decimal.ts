import { ConfigError } from '../common/errors.js';
import { describeValue } from '../common/describe.js';
import { fromUnits } from '../actors/orders/instrument.js';
import { type Dec, parseDec, rescaleDec as rescale, wholeSteps } from '../common/decimal.js';

/**
 * Exact decimal arithmetic for the CLI's edge: what a person types (`65000.5`, `0.001`) becomes an
 * integer count of the instrument's ticks or lots, and ticks/lots/balances print back as decimal
 * strings. Everything is bigint on a power-of-ten scale, never binary floating point: a price that
 * is not a whole number of ticks is refused, never rounded.
 */

export { type Dec, addDec, mulDec, parseDec } from '../common/decimal.js';

/** The decimal string of `d` with exactly `scale` decimals (more are cut towards zero: only used to shorten trailing zeros). */
export function formatDec(d: Dec, scale = d.scale): string {
  const u = scale >= d.scale ? rescale(d, scale) : d.units / 10n ** BigInt(d.scale - scale);
  const neg = u < 0n;
  const abs = (neg ? -u : u).toString().padStart(scale + 1, '0');
  const s = scale === 0 ? abs : `${abs.slice(0, abs.length - scale)}.${abs.slice(abs.length - scale)}`;
  return neg ? `-${s}` : s;
}

/**
 * `units × step` as a decimal string with the step's decimals (`6500050` ticks of `0.01` → `"65000.50"`):
 * the engine's own `fromUnits`; a step the daemon reported malformed prints the bare count.
 */
export function fromSteps(units: bigint | number, step: string): string {
  const s = parseDec(step);
  return s === undefined || s.units < 0n ? String(units) : fromUnits(units, step);
}

/**
 * `num / den` steps as a decimal string, rounded half away from zero to the step's decimals plus
 * `extra` more, trailing zeros beyond the step's own decimals cut: an average fill price
 * (Σ price × lots / lots) that need not be a whole number of ticks. Undefined when `den` is 0.
 */
export function ratioSteps(num: bigint, den: bigint, step: string, extra = 4): string | undefined {
  const s = parseDec(step);
  if (den === 0n || s === undefined || s.units <= 0n) return undefined;
  const scale = s.scale + extra;
  const n = num * s.units * 10n ** BigInt(extra);
  const neg = n < 0n !== den < 0n;
  const a = n < 0n ? -n : n;
  const b = den < 0n ? -den : den;
  const q = (2n * a + b) / (2n * b);
  const text = formatDec({ units: neg ? -q : q, scale });
  const dot = text.indexOf('.');
  if (dot < 0) return text;
  let end = text.length;
  while (end > dot + 1 + s.scale && text[end - 1] === '0') end--;
  return text.slice(0, end === dot + 1 ? dot : end);
}

/**
 * Converts the decimal a person typed into a positive whole number of `step`s, exactly.
 *
 * @param field the option it came from (`--price`), named in every error
 * @param value what arrived
 * @param step the instrument's tick or lot size (`"0.01"`)
 * @param what `tick size 0.01 of sim-a BTC/USDT`-style words for the error
 * @throws ConfigError `--price: expected a multiple of the tick size 0.01 of sim-a BTC/USDT, got "65000.005"`
 */
export function toSteps(field: string, value: string, step: string, what: string): number {
  const v = parseDec(value);
  if (v === undefined || v.units < 0n) throw new ConfigError(field, `${field}: expected a positive decimal number like 65000.5 (digits and at most one '.'), got ${describeValue(value)}`);
  if (v.units === 0n) throw new ConfigError(field, `${field}: expected a value > 0, got ${describeValue(value)}`);
  const s = parseDec(step);
  if (s === undefined || s.units <= 0n) throw new ConfigError(field, `${field}: the daemon reported ${what} as ${describeValue(step)}, not a positive decimal`);
  const n = wholeSteps(v, s);
  if (n === undefined) throw new ConfigError(field, `${field}: expected a multiple of the ${what}, got ${describeValue(value)}`, { step });
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new ConfigError(field, `${field}: expected at most ${fromSteps(BigInt(Number.MAX_SAFE_INTEGER), step)} (2^53-1 steps of ${step}), got ${describeValue(value)}`);
  return Number(n);
}

/** Parses a `--raw` integer count (ticks or lots): a safe integer ≥ 1. */
export function rawSteps(field: string, value: string, unit: string): number {
  if (!/^\d+$/.test(value) || BigInt(value) < 1n || BigInt(value) > BigInt(Number.MAX_SAFE_INTEGER)) throw new ConfigError(field, `${field}: expected a whole number of ${unit} (1..2^53-1) with --raw, got ${describeValue(value)}`);
  return Number(value);
}
