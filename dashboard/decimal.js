// Exact decimal rendering of integer ticks and lots: price = priceTicks × tickSize, size =
// qtyLots × lotSize, computed with BigInt on the decimal strings the API gives (no binary floats).

/** `"0.05"` → `{ units: 5n, scale: 2 }`. */
export function parseStep(step) {
  const s = String(step);
  if (!/^\d+(\.\d+)?$/.test(s)) throw new Error(`step: expected a decimal string, got ${JSON.stringify(s)}`);
  const i = s.indexOf('.');
  const scale = i < 0 ? 0 : s.length - i - 1;
  return { units: BigInt(s.replace('.', '')), scale };
}

/** `count × step` as a decimal string with the step's number of decimals (`123456, "0.01"` → `"1234.56"`). */
export function times(count, step) {
  const { units, scale } = typeof step === 'string' ? parseStep(step) : step;
  let v = BigInt(count) * units;
  const neg = v < 0n;
  if (neg) v = -v;
  let digits = v.toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return neg ? `-${digits}` : digits;
}

/** A decimal string rounded for display to at most `places` decimals (string maths, no float). */
export function shorten(dec, places) {
  const s = String(dec);
  const i = s.indexOf('.');
  if (i < 0 || s.length - i - 1 <= places) return s;
  return places === 0 ? s.slice(0, i) : s.slice(0, i + 1 + places);
}

/** Exact sum of decimal strings (`["1.5", "-0.25"]` → `"1.25"`); non-decimal entries are skipped. */
export function sum(decimals) {
  let scale = 0;
  const ok = decimals.filter((d) => typeof d === 'string' && /^-?\d+(\.\d+)?$/.test(d));
  for (const d of ok) {
    const i = d.indexOf('.');
    if (i >= 0) scale = Math.max(scale, d.length - i - 1);
  }
  let total = 0n;
  for (const d of ok) {
    const neg = d.startsWith('-');
    const [ip, fp = ''] = (neg ? d.slice(1) : d).split('.');
    const v = BigInt(ip + fp.padEnd(scale, '0'));
    total += neg ? -v : v;
  }
  return times(total, { units: 1n, scale });
}
