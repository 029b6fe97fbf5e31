import { ConfigError } from '../../common/errors.js';
import { parseOptions, z } from '../../common/validate.js';
import type { Instrument } from '../orders/instrument.js';
import type { StrategySpec } from './strategy.js';

/** Strategy id: `[a-z0-9-]{1,24}` (address `strategy.<id>`, client order id prefix). */
export const STRATEGY_ID_PATTERN = /^[a-z0-9-]{1,24}$/;

/** `<venue>:<symbol>`: venue without `:` or `.`, symbol without `.` (both are topic tokens). */
export const INSTRUMENT_KEY_PATTERN = /^[^:.\s]+:[^.\s]+$/;

/** Schema of a {@link StrategySpec} (params are checked later by the strategy's own schema). */
export const strategySpecSchema = z
  .object({
    id: z.string().regex(STRATEGY_ID_PATTERN),
    kind: z.string().min(1),
    instruments: z.array(z.string().regex(INSTRUMENT_KEY_PATTERN)).min(1),
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/**
 * Validates a strategy spec once (frozen result). `where` prefixes field names in messages
 * (`strategies.mm-btc.instruments.0: ...`); by default `strategies.<id>` when the id is readable.
 */
export function parseStrategySpec(input: unknown, where?: string): Readonly<StrategySpec> & { readonly params: Readonly<Record<string, unknown>> } {
  const id = typeof (input as { id?: unknown } | null)?.id === 'string' ? (input as { id: string }).id : '?';
  const spec = parseOptions(strategySpecSchema, input, where ?? `strategies.${id}`);
  const seen = new Set<string>();
  spec.instruments.forEach((k, i) => {
    if (seen.has(k)) throw new ConfigError(`${where ?? `strategies.${spec.id}`}.instruments.${i}`, `${where ?? `strategies.${spec.id}`}.instruments.${i}: expected each instrument once, got ${JSON.stringify(k)} twice`);
    seen.add(k);
  });
  return spec;
}

/** `<venue>:<symbol>` of an instrument (the key of `StrategyContext.instruments`). */
export function instrumentKey(venue: string, symbol: string): string {
  return `${venue}:${symbol}`;
}

/** Splits `<venue>:<symbol>` at the first `:`. */
export function splitInstrumentKey(key: string): { venue: string; symbol: string } {
  const i = key.indexOf(':');
  return { venue: key.slice(0, i), symbol: key.slice(i + 1) };
}

/**
 * Resolves a spec's `<venue>:<symbol>` names against the engine's instruments, in spec order.
 * Throws `ConfigError` naming the entry that matches no instrument.
 */
export function resolveInstruments(spec: StrategySpec, known: readonly Instrument[]): Map<string, Instrument> {
  const byKey = new Map<string, Instrument>();
  for (const ins of known) byKey.set(instrumentKey(ins.venue, ins.symbol), ins);
  const out = new Map<string, Instrument>();
  spec.instruments.forEach((k, i) => {
    const ins = byKey.get(k);
    if (ins === undefined) {
      const field = `strategies.${spec.id}.instruments.${i}`;
      const names = [...byKey.keys()];
      throw new ConfigError(field, `${field}: expected a known instrument (${names.length > 0 ? names.join(', ') : 'none configured'}), got ${JSON.stringify(k)}`);
    }
    out.set(k, ins);
  });
  return out;
}
