/** Renders a received value for an error message: strings quoted, long values cut. */
export function describeValue(value: unknown): string {
  let s: string;
  if (typeof value === 'string') s = JSON.stringify(value);
  else if (typeof value === 'bigint') s = `${value}n`;
  else if (value === undefined) s = 'undefined';
  else if (typeof value === 'function') s = 'a function';
  else if (typeof value === 'number' || typeof value === 'boolean' || value === null) s = String(value);
  else if (Array.isArray(value)) s = `an array of length ${value.length}`;
  else if (ArrayBuffer.isView(value)) s = `a ${value.constructor.name} of length ${(value as unknown as { length?: number }).length ?? value.byteLength}`;
  else {
    try {
      s = JSON.stringify(value) ?? String(value);
    } catch {
      s = Object.prototype.toString.call(value);
    }
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
