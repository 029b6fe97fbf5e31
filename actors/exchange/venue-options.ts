/**
 * Venue actor options: the schema (defaults next to it) and the figures/denial codes the actor
 * exposes. Parsed once, at construction ({@link parseVenueOptions}); every other venue file takes
 * the parsed, frozen {@link VenueOptions}.
 */
import type { Clock } from '../../common/clock.js';
import { parseOptions, z } from '../../common/validate.js';
import type { OrderJournal } from '../journal/order-journal.js';
import type { Instrument } from '../orders/instrument.js';
import type { DenialCodeOf, VenueConnState } from '../messages.js';
import type { ExchangeAdapter } from './adapter.js';
import type { CircuitBreaker } from './circuit-breaker.js';

/**
 * How a venue's orders are placed and cancelled (`venues[].orderEntry`): `rest` (ccxt REST) or
 * `ws` (the venue's WebSocket API, `actors/exchange/binance/ws-orders.ts`; REST while that
 * connection is down). Lookups and reconciliation always use REST.
 */
export const ORDER_ENTRY = ['rest', 'ws'] as const;
/** An order-entry transport. */
export type OrderEntry = (typeof ORDER_ENTRY)[number];
/**
 * The default: `rest`. The venue actor's health (probe, breaker, `disconnected`) follows REST, so
 * with `ws` a REST-only outage still stops order entry; `ws` is opt-in until order-entry health
 * follows the transport that carries the orders (docs/venues.md).
 */
export const ORDER_ENTRY_DEFAULT: OrderEntry = 'rest';

/** Venue actor options (validated; defaults in {@link VENUE_DEFAULTS}). */
export const venueOptionsSchema = z
  .object({
    /** Ceiling of the first probe delay (ms); full jitter, the ceiling doubling per probe up to {@link probeCapMs}. */
    probeBaseMs: z.number().int().min(1).max(60_000).default(50),
    /**
     * Ceiling of the probe delay (ms) while order entry is down: a probe every uniform [0, cap)
     * ms (full jitter), one at a time; also the retry delay of an order lookup.
     */
    probeCapMs: z.number().int().min(1).max(600_000).default(200),
    /**
     * A probe unanswered after this long (ms) counts as failed and the next one is scheduled: a
     * probe stuck on a blackholed connection must not hold a healed venue dark until the request
     * timeout. Set it above the venue's round trip for `GET /api/v3/time`.
     */
    probeTimeoutMs: z.number().int().min(1).max(600_000).default(300),
    /** Safety-net poll of open orders while running (ms); 0 disables. */
    reconcileEveryMs: z.number().int().min(0).max(3_600_000).default(2000),
    /** Align the journal's balances with the venue's on every sync (journaled as balance adjustments). */
    balanceSync: z.boolean().default(true),
    /** Seed of the backoff jitter. */
    seed: z.number().int().default(1),
    /** Start the market-data and user-data streams (ccxt.pro). */
    streams: z.boolean().default(true),
    /** Also stream depth (`md.book.<venue>.<symbol>`, top 10 levels) and public trades (`md.trade...`). */
    books: z.boolean().default(true),
    /**
     * "The venue has no such order" is not believed until this long (ms) after the order's request
     * went unanswered (timeout, 5xx, disconnect), nor, after a process start, for orders of an
     * earlier process: a request still travelling may yet reach the venue. Set it above the venue
     * request timeout.
     */
    notFoundGraceMs: z.number().int().min(0).max(600_000).default(5000),
    /**
     * After the venue refused our credentials (`B4_VENUE_AUTH`) the venue stays halted and is tried
     * again after this long (ms), doubling per failure up to {@link authRetryCapMs}; 0: only an
     * operator's `venue.cmd.resume` tries again. Never hammers a real exchange with a wrong key.
     */
    authRetryMs: z.number().int().min(0).max(86_400_000).default(300_000),
    /** Cap of the credential retry backoff (ms). */
    authRetryCapMs: z.number().int().min(1).max(86_400_000).default(3_600_000),
    /**
     * After a process start the venue's orders and trades since the journal's newest record minus
     * this margin (ms) are fetched and whatever the journal lacks is adopted (see docs/restart-safety.md).
     */
    historyMarginMs: z.number().int().min(0).max(7 * 86_400_000).default(300_000),
    /**
     * What to do when, after the start reconciliation, the journal's balances still differ from the
     * venue's: `halt` (`B4_VENUE_DIVERGED`, orders denied until an operator decides) or `adjust`
     * (journal the difference as a balance adjustment and trade on). A journal that has never seen
     * this venue always adopts the venue's balances.
     */
    onDivergence: z.enum(['halt', 'adjust']).default('halt'),
  })
  .strict();

/** Options accepted by the venue actor (before defaults). */
export type VenueOptionsInput = z.input<typeof venueOptionsSchema>;
/** Validated options. */
export type VenueOptions = z.output<typeof venueOptionsSchema>;

/** What a venue actor needs. */
export interface VenueActorDeps {
  adapter: ExchangeAdapter;
  journal: OrderJournal;
  clock: Clock;
  /** The venue's circuit breaker: every venue call goes through it. */
  breaker: CircuitBreaker;
  /** This venue's instruments as the engine knows them (checked against the venue on connect). */
  instruments: readonly Instrument[];
  options?: VenueOptionsInput;
}

/** Strategy id under which orders found at the venue but unknown to the journal are booked. */
export const ADOPTED_STRATEGY = 'adopted';

/** Denial codes of the venue actor (orders that never left the process). */
export const VENUE_DENIALS = Object.freeze({
  VENUE_UNAVAILABLE: 'VENUE_UNAVAILABLE',
  VENUE_SYNCING: 'VENUE_SYNCING',
  VENUE_HALTED: 'VENUE_HALTED',
  VENUE_RATE_LIMITED: 'VENUE_RATE_LIMITED',
  ORDER_OUTCOME_UNKNOWN: 'ORDER_OUTCOME_UNKNOWN',
  ORDER_INVALID: 'ORDER_INVALID',
  JOURNAL_FAILED: 'JOURNAL_FAILED',
  REPLICATION_FAILED: 'REPLICATION_FAILED',
  LEASE_STALE: 'LEASE_STALE',
} as const satisfies Record<string, DenialCodeOf<'venue' | 'journal'>>);

/** A denial code of the venue actor (source `venue`, or `journal` for JOURNAL_FAILED): one of the rows of `actors/denials.ts`. */
export type VenueDenialCode = (typeof VENUE_DENIALS)[keyof typeof VENUE_DENIALS];

/** Figures of one venue actor (for `/metrics`, tests and the recovery benchmark). */
export interface VenueActorStats {
  state: VenueConnState | 'faulted';
  submitted: number;
  accepted: number;
  rejected: number;
  denied: Record<string, number>;
  unknown: number;
  resolved: number;
  adopted: number;
  /** Venue answers of 429/418 (the budget exists so this stays 0). */
  throttled: number;
  /** Balance syncs skipped because fills were in motion (see `syncBalances`). */
  balanceSyncSkipped: number;
  syncs: number;
  downs: number;
  balanceDrift: Record<string, string>;
  /** Clock ns when the venue last came back (probe succeeded) and when the next order was accepted after it. */
  lastBackNs: number;
  lastRecoveryNs: number;
  /** Code of the error that halted the venue (`B4_VENUE_AUTH`, `B4_VENUE_DIVERGED`, `B4_VENUE_CONFIG`), if halted by one. */
  haltCode?: string;
  /** Credential refusals in a row (reset by a successful sync). */
  authFailures: number;
  /** What the start reconciliation found: orders adopted from the venue's history, fills it applied. */
  startReconcile: { done: boolean; adopted: number; fills: number; unexplainedTrades: number };
}

/** Validates venue options (the message names `venues.<venue>.<field>`); defaults filled in. */
export function parseVenueOptions(venue: string, input: VenueOptionsInput | undefined): VenueOptions {
  return parseOptions(venueOptionsSchema, input ?? {}, `venues.${venue}`);
}
