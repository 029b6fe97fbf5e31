import { RiskConfigError, RiskOverflowError } from './errors.js';

/**
 * Exact integer helpers for the risk mirror. Amounts are safe-integer numbers (not bigint) so the
 * hot path stays allocation-free; these helpers keep them exact and fail loudly when they cannot.
 */

/** Parses a positive decimal string into [integer digits, scale]: "0.010" → [10n, 3]. */
function parse(s: string): [bigint, number] {
  const [i = '0', f = ''] = s.split('.');
  return [BigInt(i + f), f.length];
}

/**
 * How many `atom`s one unit of `a` × `b` (decimal strings) is, exactly; throws a config error when
 * it is not a whole number of atoms. With one argument pair (`a`, "1") it is `a / atom`.
 */
export function atomsPer(a: string, b: string, atom: string, field: string): number {
  const [ai, as] = parse(a);
  const [bi, bs] = parse(b);
  const [ti, ts] = parse(atom);
  // (ai·bi / 10^(as+bs)) / (ti / 10^ts) = ai·bi·10^ts / (ti·10^(as+bs))
  const num = ai * bi * 10n ** BigInt(ts);
  const den = ti * 10n ** BigInt(as + bs);
  if (den === 0n || num % den !== 0n || num === 0n) {
    throw new RiskConfigError(field, `${field}: expected ${a} × ${b} to be a whole number of atoms (${atom}); choose a smaller risk.atom`, { a, b, atom });
  }
  const q = num / den;
  if (q > BigInt(Number.MAX_SAFE_INTEGER)) throw new RiskConfigError(field, `${field}: ${q} atoms per unit is out of the safe integer range`);
  return Number(q);
}

/** Throws unless `x` is a safe integer; `what` names the quantity for the message. */
export function checkSafe(x: number, what: string): number {
  if (!Number.isSafeInteger(x)) throw new RiskOverflowError(`${what}: ${x} is not a safe integer (|x| must stay below 2^53)`, { what, value: x });
  return x;
}

/**
 * trunc(a·b / c) exactly, for safe integers a, b and c > 0. Uses doubles when a·b is exact and
 * corrects the rounding of the division; falls back to bigint (allocates) only beyond 2^53.
 */
export function mulDivTrunc(a: number, b: number, c: number): number {
  const p = a * b;
  const neg = p < 0;
  const ap = neg ? -p : p;
  if (ap <= Number.MAX_SAFE_INTEGER) {
    let q = Math.floor(ap / c);
    // The float quotient can be off by one near an integer; the remainder fixes it exactly.
    const r = ap - q * c;
    if (r < 0) q -= 1;
    else if (r >= c) q += 1;
    if (q === 0) return 0; // never −0
    return neg ? -q : q;
  }
  const big = (BigInt(a) * BigInt(b)) / BigInt(c);
  return checkSafe(Number(big), 'mulDivTrunc');
}
