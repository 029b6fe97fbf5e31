import { ClientOrderIdError } from './errors.js';

/** Binance's rule for `newClientOrderId`; every id bot4 builds matches it. */
export const CLIENT_ORDER_ID_PATTERN = /^[.A-Z:/a-z0-9_-]{1,36}$/;

/** A strategy prefix: Binance's alphabet minus `.`, which separates prefix, epoch and sequence. */
export const STRATEGY_PREFIX_PATTERN = /^[A-Z:/a-z0-9_-]{1,34}$/;

/** Maximum length of a client order id. */
export const CLIENT_ORDER_ID_MAX = 36;

/**
 * Longest strategy prefix that always fits with an epoch (8 base-36 digits, good until 2114) and a
 * sequence of up to 5 base-36 digits (60 million records): 36 − 8 − 5 − 2 dots.
 */
export const STRATEGY_PREFIX_SAFE_MAX = 21;

/** Incarnation epochs count milliseconds from here (2025-01-01T00:00:00Z), which keeps them short. */
export const EPOCH_BASE_MS = Date.UTC(2025, 0, 1);

/** An incarnation epoch as it appears in ids: base 36, no leading zeros. */
const EPOCH_PATTERN = /^(0|[1-9a-z][0-9a-z]{0,9})$/;
/** A sequence as it appears in ids: base 36, no leading zeros. */
const SEQ_PATTERN = /^(0|[1-9a-z][0-9a-z]{0,10})$/;

/** What {@link parseClientOrderId} finds in an id. */
export interface ParsedClientOrderId {
  prefix: string;
  sequence: number;
  /** The incarnation epoch (base 36); absent in ids of the old `<prefix>.<sequence>` format. */
  epoch?: string;
}

/**
 * Client order id `<strategy prefix>.<epoch>.<journal sequence>`, epoch and sequence in base 36,
 * e.g. `mm-btc.1a2b3c4d.2s` for sequence 100. The epoch names the process incarnation that placed
 * the order (see {@link chooseEpoch}): a journal that lost its tail, or an old copy restored, hands
 * out sequences again, but never under an epoch the venue has seen, so an id is never reused.
 * Without `epoch` the old format `<prefix>.<sequence>` is produced (kept for tests and tools).
 * Throws {@link ClientOrderIdError} for a bad prefix, epoch or sequence, or an id longer than 36.
 */
export function formatClientOrderId(prefix: string, sequence: number, epoch?: string): string {
  validateStrategyPrefix(prefix);
  if (!Number.isSafeInteger(sequence) || sequence < 0) {
    throw new ClientOrderIdError(`client order id sequence: expected a safe integer >= 0, got ${String(sequence)}`, { sequence });
  }
  if (epoch !== undefined && (typeof epoch !== 'string' || !EPOCH_PATTERN.test(epoch))) {
    throw new ClientOrderIdError(`client order id epoch: expected 1-10 base-36 digits without a leading zero, got ${JSON.stringify(epoch)}`, { epoch });
  }
  const id = epoch === undefined ? `${prefix}.${sequence.toString(36)}` : `${prefix}.${epoch}.${sequence.toString(36)}`;
  if (id.length > CLIENT_ORDER_ID_MAX) {
    throw new ClientOrderIdError(
      `client order id ${id} is ${id.length} characters; at most ${CLIENT_ORDER_ID_MAX} fit (shorten the strategy prefix to at most ${STRATEGY_PREFIX_SAFE_MAX} characters)`,
      { prefix, sequence, ...(epoch === undefined ? {} : { epoch }) },
    );
  }
  return id;
}

/** Throws {@link ClientOrderIdError} unless `prefix` matches {@link STRATEGY_PREFIX_PATTERN}. */
export function validateStrategyPrefix(prefix: string): void {
  if (typeof prefix !== 'string' || !STRATEGY_PREFIX_PATTERN.test(prefix)) {
    throw new ClientOrderIdError(`strategy prefix: expected 1-34 characters of [A-Za-z0-9:/_-], got ${JSON.stringify(prefix)}`, { prefix });
  }
}

/**
 * Splits an id built by {@link formatClientOrderId}, with or without an epoch (ids of journals
 * written before epochs existed still parse); undefined for any other string.
 */
export function parseClientOrderId(id: string): ParsedClientOrderId | undefined {
  if (typeof id !== 'string' || !CLIENT_ORDER_ID_PATTERN.test(id)) return undefined;
  const parts = id.split('.');
  if (parts.length !== 2 && parts.length !== 3) return undefined;
  const prefix = parts[0]!;
  const seq = parts[parts.length - 1]!;
  if (!STRATEGY_PREFIX_PATTERN.test(prefix) || !SEQ_PATTERN.test(seq)) return undefined;
  const sequence = parseInt(seq, 36);
  if (!Number.isSafeInteger(sequence)) return undefined;
  if (parts.length === 2) return { prefix, sequence };
  const epoch = parts[1]!;
  if (!EPOCH_PATTERN.test(epoch)) return undefined;
  return { prefix, sequence, epoch };
}

/**
 * The epoch of a new incarnation: milliseconds since {@link EPOCH_BASE_MS} by the wall clock, and
 * always above every epoch the journal has seen (`lastEpoch`), in base 36. A journal restored from
 * an old copy knows only old epochs; the wall clock has moved on since the lost incarnation
 * started, so its epoch is still new. Throws {@link ClientOrderIdError} for a bad `lastEpoch`.
 */
export function chooseEpoch(nowEpochMs: number, lastEpoch?: string): string {
  let e = Math.max(0, Math.floor(nowEpochMs) - EPOCH_BASE_MS);
  if (lastEpoch !== undefined) {
    if (!EPOCH_PATTERN.test(lastEpoch)) throw new ClientOrderIdError(`last epoch: expected base-36 digits, got ${JSON.stringify(lastEpoch)}`, { epoch: lastEpoch });
    e = Math.max(e, parseInt(lastEpoch, 36) + 1);
  }
  return e.toString(36);
}

/** The larger of two base-36 epochs (either may be undefined). */
export function maxEpoch(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return parseInt(a, 36) >= parseInt(b, 36) ? a : b;
}
