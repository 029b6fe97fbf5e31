import { ClientOrderIdError } from './errors.js';

/** Binance's rule for `newClientOrderId`; every id bot4 builds matches it. */
export const CLIENT_ORDER_ID_PATTERN = /^[.A-Z:/a-z0-9_-]{1,36}$/;

/** A strategy prefix: Binance's alphabet minus `.`, which separates prefix and sequence. */
export const STRATEGY_PREFIX_PATTERN = /^[A-Z:/a-z0-9_-]{1,34}$/;

/** Maximum length of a client order id. */
export const CLIENT_ORDER_ID_MAX = 36;

/**
 * Client order id `<strategy prefix>.<journal sequence in base 36>`, e.g. `mm-btc.2s` for sequence
 * 100. Deterministic (the same prefix and sequence always give the same id) and unique across
 * restarts because the sequence is the journal's, which replay restores and never reuses.
 * Throws {@link ClientOrderIdError} for a bad prefix, a bad sequence, or an id longer than 36.
 */
export function formatClientOrderId(prefix: string, sequence: number): string {
  validateStrategyPrefix(prefix);
  if (!Number.isSafeInteger(sequence) || sequence < 0) {
    throw new ClientOrderIdError(`client order id sequence: expected a safe integer >= 0, got ${String(sequence)}`, { sequence });
  }
  const id = `${prefix}.${sequence.toString(36)}`;
  if (id.length > CLIENT_ORDER_ID_MAX) {
    throw new ClientOrderIdError(`client order id ${id} is ${id.length} characters; at most ${CLIENT_ORDER_ID_MAX} fit (shorten the strategy prefix)`, {
      prefix,
      sequence,
    });
  }
  return id;
}

/** Throws {@link ClientOrderIdError} unless `prefix` matches {@link STRATEGY_PREFIX_PATTERN}. */
export function validateStrategyPrefix(prefix: string): void {
  if (typeof prefix !== 'string' || !STRATEGY_PREFIX_PATTERN.test(prefix)) {
    throw new ClientOrderIdError(`strategy prefix: expected 1-34 characters of [A-Za-z0-9:/_-], got ${JSON.stringify(prefix)}`, { prefix });
  }
}

/** Splits an id built by {@link formatClientOrderId}; undefined for any other string. */
export function parseClientOrderId(id: string): { prefix: string; sequence: number } | undefined {
  if (!CLIENT_ORDER_ID_PATTERN.test(id)) return undefined;
  const dot = id.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const prefix = id.slice(0, dot);
  const seq = id.slice(dot + 1);
  if (!STRATEGY_PREFIX_PATTERN.test(prefix) || !/^[0-9a-z]{1,11}$/.test(seq) || (seq.length > 1 && seq[0] === '0')) return undefined;
  const sequence = parseInt(seq, 36);
  return Number.isSafeInteger(sequence) ? { prefix, sequence } : undefined;
}
