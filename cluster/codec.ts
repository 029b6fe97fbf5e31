import { CodecMalformedError, CodecUnsupportedError } from './errors.js';

/**
 * The wire codec of messages between nodes: JSON with tagged values, so everything a message may
 * hold round-trips exactly, bigint money fields first (`feeAtoms`, balances), which plain JSON
 * refuses. A tagged value is an object `{"$b4": tag, "v": ...}`:
 *
 * | tag | value | encoded `v` |
 * | --- | --- | --- |
 * | `n` | bigint | decimal string (`-12345678901234567890`) |
 * | `f` | `NaN`, `Infinity`, `-Infinity`, `-0` | that name as a string |
 * | `u` | `undefined` (as a property value, array element or the whole message) | none |
 * | `d` | Date | its time value as a string (`"NaN"` for an invalid date) |
 * | `o` | a plain object that itself has a `$b4` key | its `[key, value]` entries |
 *
 * Anything else (functions, symbols, Map, Set, typed arrays, class instances) is refused with
 * {@link CodecUnsupportedError} naming the key, rather than silently dropped or flattened as
 * `JSON.stringify` would. Decoding never calls a constructor from the wire.
 */

const TAG = '$b4';
const UNDEFINED = Object.freeze({ [TAG]: 'u' });
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function replacer(this: Record<string, unknown>, key: string, v: unknown): unknown {
  switch (typeof v) {
    case 'string': {
      const raw = this[key];
      return raw instanceof Date ? { [TAG]: 'd', v: String(raw.getTime()) } : v;
    }
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0) ? v : { [TAG]: 'f', v: Object.is(v, -0) ? '-0' : String(v) };
    case 'boolean':
      return v;
    case 'bigint':
      return { [TAG]: 'n', v: v.toString() };
    case 'undefined':
      return UNDEFINED;
    case 'object': {
      if (v === null || Array.isArray(v)) return v;
      const raw = this[key];
      if (raw instanceof Date) return { [TAG]: 'd', v: String(raw.getTime()) };
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new CodecUnsupportedError(keyPath(key), describeKind(v));
      // A tagged object returned here is serialised without passing through the replacer again,
      // so any object met here with a `$b4` key is the caller's own: escape it.
      if (!Object.prototype.hasOwnProperty.call(v, TAG)) return v;
      return { [TAG]: 'o', v: Object.entries(v) };
    }
    default:
      throw new CodecUnsupportedError(keyPath(key), typeof v);
  }
}

function keyPath(key: string): string {
  return key === '' ? 'the message' : `key "${key}"`;
}

function describeKind(v: object): string {
  const name = (v.constructor as { name?: string } | undefined)?.name;
  return name === undefined || name === '' ? 'an object with a custom prototype' : `a ${name}`;
}

/** Encodes `value` to the JSON text of the wire format. Throws {@link CodecUnsupportedError}. */
export function encodeText(value: unknown): string {
  return JSON.stringify(value, replacer);
}

/** Encodes `value` to UTF-8 bytes of the wire format. Throws {@link CodecUnsupportedError}. */
export function encode(value: unknown): Uint8Array {
  return encoder.encode(encodeText(value));
}

/** Decodes text made by {@link encodeText}. Throws {@link CodecMalformedError}. */
export function decodeText(text: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CodecMalformedError(`not JSON (${(e as Error).message})`);
  }
  return revive(parsed);
}

/** Decodes bytes made by {@link encode}. Throws {@link CodecMalformedError}. */
export function decode(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new CodecMalformedError('not UTF-8');
  }
  return decodeText(text);
}

function revive(x: unknown): unknown {
  if (x === null || typeof x !== 'object') return x;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) x[i] = revive(x[i]);
    return x;
  }
  const o = x as Record<string, unknown>;
  const t = o[TAG];
  if (t !== undefined) return tagged(t, o.v);
  for (const k of Object.keys(o)) o[k] = revive(o[k]);
  return o;
}

function tagged(t: unknown, v: unknown): unknown {
  switch (t) {
    case 'n':
      if (typeof v !== 'string' || !/^-?\d+$/.test(v)) throw new CodecMalformedError(`bigint tag with ${JSON.stringify(v)}`);
      return BigInt(v);
    case 'f':
      if (v === 'NaN') return NaN;
      if (v === 'Infinity') return Infinity;
      if (v === '-Infinity') return -Infinity;
      if (v === '-0') return -0;
      throw new CodecMalformedError(`number tag with ${JSON.stringify(v)}`);
    case 'u':
      return undefined;
    case 'd':
      if (typeof v !== 'string') throw new CodecMalformedError(`date tag with ${JSON.stringify(v)}`);
      return new Date(Number(v));
    case 'o': {
      if (!Array.isArray(v)) throw new CodecMalformedError('escaped object without entries');
      const out: Record<string, unknown> = {};
      for (const e of v) {
        if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string') throw new CodecMalformedError('escaped object entry is not [key, value]');
        // defineProperty: a key "__proto__" stays a plain own property, never the prototype.
        Object.defineProperty(out, e[0], { value: revive(e[1]), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    default:
      throw new CodecMalformedError(`unknown tag ${JSON.stringify(t)}`);
  }
}
