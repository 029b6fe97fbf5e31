import { toUnits, type Instrument } from '../../actors/orders/instrument.js';
import { orderFromJSON, OrderStore, type OrderJSON } from '../../actors/orders/order-store.js';
import type { Portfolio } from '../../actors/orders/portfolio.js';
import { parseOptions, z } from '../../common/validate.js';
import type { InstrumentSpec } from '../../simulators/venue/instruments.js';
import type { LedgerSnapshot } from '../../simulators/venue/ledger.js';
import { LedgerCheckInputError, LedgerFetchError } from './errors.js';
import { emptyCounts, type LedgerAnomaly, type LedgerCheckReport } from './report.js';
import { checkVenue, type BalanceMode, type LedgerEngineOrder } from './venue-check.js';

export { LedgerCheckInputError, LedgerFetchError } from './errors.js';
export { ANOMALY_KINDS, type AnomalyKind, type LedgerAnomaly, type LedgerCheckCounts, type LedgerCheckReport } from './report.js';
export type { BalanceMode, LedgerEngineOrder } from './venue-check.js';

/**
 * The engine's side of the comparison: what `OrderJournal.open(...).state` rebuilds. `orders` may
 * be the live {@link OrderStore}, orders (or any object with what the check reads of one,
 * {@link LedgerEngineOrder}), or their JSON (`orderToJSON`, a snapshot read from disk). An iterable
 * that is not an iterator (an array, or an object whose `[Symbol.iterator]()` starts afresh each
 * time) is read once per venue without being copied, so it may build each order on the fly; an
 * iterator (a generator, `map.values()`) is read once into an array.
 * Without `portfolio`, positions, balances and fees are not compared.
 */
export interface EngineView {
  orders: OrderStore | Iterable<LedgerEngineOrder | OrderJSON>;
  portfolio?: Portfolio | undefined;
}

/** The venue's side for one venue: its ledger and the engine's account on it. */
export interface VenueLedger {
  /** Engine venue id (`intent.venue`). */
  venue: string;
  /** `sim.ledger(name, account)` or {@link fetchLedger}; a snapshot of every account also works. */
  ledger: LedgerSnapshot;
  /** The engine's account at the venue, `user:<apiKey>` (see {@link userAccount}). */
  account: string;
}

const optionsSchema = z
  .object({
    /**
     * The run is healed (faults cleared, reconciliation done): every engine order must be in a
     * final agreement with the venue. `false` (a check in the middle of a run) leaves orders the
     * engine still has open as `indeterminate` and skips positions and balances.
     */
    healed: z.boolean().default(true),
    /**
     * `total`: engine balances (`Portfolio.balance`: total and locked) equal the venue's free +
     * locked and locked; the engine journaled the deposits. `trading`: the engine tracks only what
     * trading changed, so its total is compared with the venue's total minus the deposits in the
     * ledger's entries (locked is compared as is). `off`: balances are not compared.
     */
    balances: z.enum(['total', 'trading', 'off']).default('total'),
  })
  .strict();

/** Options of {@link checkLedger}. */
export type LedgerCheckOptions = z.input<typeof optionsSchema> & {
  /** Engine instruments (venue + unified symbol); the venue symbol is `base + quote` (`BTCUSDT`). */
  instruments: readonly Instrument[];
};

/**
 * Compares the engine's journal with each venue's ledger, Jepsen-style: every order the engine
 * invoked is classified (`ok`, `failed`, `unknownResolved`, or anomalous), every order of the
 * engine's account at the venue must be known to the engine, and positions and balances must agree
 * exactly. Only the engine's account is looked at: other users' orders and background participants'
 * (`house:`) orders are counted as ignored, never as phantoms. Engine orders on venues with no
 * ledger in `venues` are not checked.
 *
 * Pure: the same inputs give the same report (and the same JSON). Throws
 * {@link LedgerCheckInputError} when the inputs cannot be compared (malformed ledger, a venue
 * symbol no instrument maps, a venue listed twice), `ConfigError` for bad options.
 */
export function checkLedger(engine: EngineView, venues: readonly VenueLedger[], options: LedgerCheckOptions): LedgerCheckReport {
  const { instruments, ...rest } = options ?? ({} as LedgerCheckOptions);
  const opts = parseOptions(optionsSchema, rest, 'ledgerCheck');
  if (!Array.isArray(instruments)) throw new LedgerCheckInputError('ledgerCheck.instruments: expected an array of instruments');
  const orders = engineOrders(engine.orders);
  const counts = emptyCounts();
  const anomalies: LedgerAnomaly[] = [];
  const seen = new Set<string>();
  for (const [k, v] of venues.entries()) {
    if (seen.has(v.venue)) throw new LedgerCheckInputError(`venues[${k}]: venue ${v.venue} is listed twice`, { venue: v.venue });
    seen.add(v.venue);
    checkSnapshotShape(v.ledger, `venues[${k}].ledger`);
    const bySymbol = new Map<string, Instrument>();
    for (const i of instruments) if (i.venue === v.venue) bySymbol.set(`${i.base}${i.quote}`, i);
    checkVenue({
      venue: v.venue,
      account: v.account,
      ledger: v.ledger,
      orders: onVenue(orders, v.venue),
      portfolio: engine.portfolio,
      instruments: bySymbol,
      healed: opts.healed,
      balances: opts.balances as BalanceMode,
      counts,
      anomalies,
    });
  }
  return { ok: anomalies.length === 0, venues: venues.map((v) => v.venue), counts, anomalies };
}

/** The simulator's account name of an API key (`VenueCore.addUser`). */
export function userAccount(apiKey: string): string {
  return `user:${apiKey}`;
}

/**
 * Reads a venue's ledger for one account over the control API:
 * `GET <controlUrl>/venues/<venue>/ledger?account=<account>`, with `controlUrl` the simulator's
 * `controlUrl` (or a venue's `…/_sim`). Pass `signal` for a deadline, and `token` when the simulator
 * has a control token (the daemon's embedded one: `<journal>/sim/control.token`). Throws {@link LedgerFetchError}.
 */
export async function fetchLedger(controlUrl: string, venue: string, account: string, signal?: AbortSignal, token?: string): Promise<LedgerSnapshot> {
  const url = `${controlUrl.replace(/\/+$/, '')}/venues/${encodeURIComponent(venue)}/ledger?account=${encodeURIComponent(account)}`;
  let res: Response;
  try {
    res = await fetch(url, { ...(signal === undefined ? {} : { signal }), ...(token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } }) });
  } catch (e) {
    throw new LedgerFetchError(`GET ${url}: ${e instanceof Error ? e.message : String(e)}`, { url }, { cause: e });
  }
  const text = await res.text();
  if (res.status !== 200) throw new LedgerFetchError(`GET ${url}: HTTP ${res.status}: ${text.slice(0, 200)}`, { url, status: res.status });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new LedgerFetchError(`GET ${url}: body is not JSON`, { url }, { cause: e });
  }
  try {
    checkSnapshotShape(body, 'ledger');
  } catch (e) {
    throw new LedgerFetchError(`GET ${url}: ${e instanceof Error ? e.message : String(e)}`, { url }, { cause: e });
  }
  return body as LedgerSnapshot;
}

/**
 * Engine instruments for a simulator venue's instrument specs (`DEFAULT_INSTRUMENTS`): unified
 * symbol `BASE/QUOTE`, tick and lot sizes as the venue's filters give them.
 */
export function instrumentsFromSpecs(venue: string, specs: readonly InstrumentSpec[]): Instrument[] {
  return specs.map((s) => {
    const lots = (q: string, field: string): number => Number(toUnits(q, s.stepSize, `${s.symbol}.${field}`));
    return {
      venue,
      symbol: `${s.base}/${s.quote}`,
      base: s.base,
      quote: s.quote,
      tickSize: s.tickSize,
      lotSize: s.stepSize,
      minQtyLots: lots(s.minQty, 'minQty'),
      maxQtyLots: lots(s.maxQty, 'maxQty'),
      minNotional: s.minNotional,
    };
  });
}

/** The engine's orders as something that can be read once per venue (see {@link EngineView.orders}). */
function engineOrders(src: EngineView['orders']): Iterable<LedgerEngineOrder | OrderJSON> {
  if (src instanceof OrderStore) return { [Symbol.iterator]: () => src.values() };
  // An iterator is its own iterable and can be read only once: keep what it yields.
  if (typeof (src as Partial<Iterator<unknown>>).next === 'function') return [...src];
  return src;
}

function* onVenue(orders: Iterable<LedgerEngineOrder | OrderJSON>, venue: string): Generator<LedgerEngineOrder> {
  for (const o of orders) {
    if (o.intent.venue !== venue) continue;
    yield typeof o.cumTickLots === 'string' ? orderFromJSON(o as OrderJSON) : (o as LedgerEngineOrder);
  }
}

function checkSnapshotShape(s: unknown, where: string): void {
  const o = s as Partial<LedgerSnapshot> | null;
  if (typeof o !== 'object' || o === null) throw new LedgerCheckInputError(`${where}: expected a ledger snapshot object`);
  if (!Array.isArray(o.orders)) throw new LedgerCheckInputError(`${where}.orders: expected an array`);
  if (typeof o.balances !== 'object' || o.balances === null) throw new LedgerCheckInputError(`${where}.balances: expected an object`);
  if (!Array.isArray(o.entries)) throw new LedgerCheckInputError(`${where}.entries: expected an array`);
  for (const [k, x] of o.orders.entries()) {
    if (typeof x !== 'object' || x === null || typeof x.clientOrderId !== 'string' || typeof x.account !== 'string' || !Array.isArray(x.fills)) {
      throw new LedgerCheckInputError(`${where}.orders[${k}]: expected an order with clientOrderId, account and fills`);
    }
  }
}
