/**
 * Exact decimals for the edges where people and venues write numbers as text: `units × 10^-scale`
 * in bigint, never binary floating point. The CLI (`bin/decimal.ts`) and the ledger check
 * (`chaos/ledger-check/decimal.ts`) build their error-reporting helpers on these.
 */

/** A decimal number: `units × 10^-scale`. */
export interface Dec {
  readonly units: bigint;
  readonly scale: number;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** Parses a plain decimal string (`-12.50`, `0.001`; no exponent, no `+`); undefined when it is not one. */
export function parseDec(s: string): Dec | undefined {
  if (!DECIMAL.test(s)) return undefined;
  const neg = s.startsWith('-');
  const body = neg ? s.slice(1) : s;
  const dot = body.indexOf('.');
  const frac = dot < 0 ? '' : body.slice(dot + 1);
  const units = BigInt((dot < 0 ? body : body.slice(0, dot)) + frac);
  return { units: neg ? -units : units, scale: frac.length };
}

/** `d`'s units at a scale ≥ its own. */
export function rescaleDec(d: Dec, scale: number): bigint {
  return d.units * 10n ** BigInt(scale - d.scale);
}

/** a + b, exactly. */
export function addDec(a: Dec, b: Dec): Dec {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescaleDec(a, scale) + rescaleDec(b, scale), scale };
}

/** a − b, exactly. */
export function subDec(a: Dec, b: Dec): Dec {
  return addDec(a, { units: -b.units, scale: b.scale });
}

/** a × b, exactly. */
export function mulDec(a: Dec, b: Dec): Dec {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

/** Whether a and b are the same number. */
export function eqDec(a: Dec, b: Dec): boolean {
  const s = Math.max(a.scale, b.scale);
  return rescaleDec(a, s) === rescaleDec(b, s);
}

/**
 * How many whole `step`s `d` is (both at the finer of their scales); undefined when it is not a
 * whole multiple or the step is 0.
 */
export function wholeSteps(d: Dec, step: Dec): bigint | undefined {
  const s = Math.max(d.scale, step.scale);
  const a = rescaleDec(d, s);
  const b = rescaleDec(step, s);
  return b === 0n || a % b !== 0n ? undefined : a / b;
}
