/**
 * Binance adapter, part 1 of 4 (the template in `../adapter.ts`): the client (the template's "connection"
 * part; named client.ts so it is never mistaken for `../connection.ts`, the venue actor's reconnect
 * logic above any adapter). It owns the one
 * ccxt/ccxt.pro client of a venue (its URLs, options and the request signer that carries each
 * order's `traceparent`), the weight-budgeted call path every REST request goes through, the
 * failure classification of ccxt errors, the health probe, close, and the streams' on/off state.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type ccxtTypes from 'ccxt';
import type { Clock } from '../../../common/clock.js';
import { describeValue } from '../../../common/describe.js';
import { ConfigError } from '../../../common/errors.js';
import { SpanKind, spanSink, type SpanAttributes } from '../../../common/span-sink.js';
import type { FailureKind } from '../adapter.js';
import { VenueCallError } from '../errors.js';
import type { OrderEntry } from '../venue-options.js';
import type { WeightBudget } from '../weight-budget.js';

export { ORDER_ENTRY, type OrderEntry } from '../venue-options.js';

/** Where and how to reach one Binance-compatible venue. */
export interface BinanceAdapterOptions {
  venue: string;
  apiKey: string;
  secret: string;
  /** REST root (`https://api.binance.com/api/v3`, or a simulator's `…/api/v3`). */
  rest: string;
  /** Market streams root (`wss://stream.binance.com:9443/ws`, or a simulator's `…/ws`). */
  ws?: string;
  /** WebSocket API (`wss://ws-api.binance.com:443/ws-api/v3`, or a simulator's `…/ws-api/v3`). */
  wsApi?: string;
  /** Per-request timeout (ms). */
  timeoutMs: number;
  /**
   * Where `placeOrder`/`cancelOrder` go: `ws` over the WebSocket API (`wsApi` required; REST when
   * that connection is down), `rest` always REST. Default `rest` (see docs/venues.md).
   */
  orderEntry?: OrderEntry;
  /** Clock for the streams' retry pauses. */
  clock: Clock;
  /** Request-weight and order budget (so bot4 never earns a 429/418); none: unbudgeted. */
  budget?: WeightBudget;
}

/**
 * Checks `orderEntry` of a venue (the config schema checks it at the edge; this guards adapters
 * built directly): one of {@link ORDER_ENTRY}, and `ws` only with a `wsApi` URL.
 */
export function checkOrderEntry(venue: string, orderEntry: unknown, wsApi: string | undefined): OrderEntry {
  const field = `venues.${venue}.orderEntry`;
  if (orderEntry === undefined) return 'rest';
  if (orderEntry !== 'rest' && orderEntry !== 'ws') throw new ConfigError(field, `${field}: expected one of "rest", "ws", got ${describeValue(orderEntry)}`);
  if (orderEntry === 'ws' && (wsApi === undefined || wsApi === '')) throw new ConfigError(field, `${field}: expected "rest" when the venue has no wsApi URL, got "ws"`);
  return orderEntry;
}

/** A JSON object as Binance sends it (exact decimal strings, no floats). */
export type Raw = Record<string, unknown>;
/** The ccxt.pro Binance client (REST and streams). */
export type Pro = InstanceType<typeof ccxtTypes.pro.binance>;

/** The ccxt error classes bot4 tests errors against (`instanceof`). */
export type CcxtErrors = Pick<typeof ccxtTypes, 'BaseError' | 'ExchangeError' | 'OrderNotFound' | 'AuthenticationError' | 'DDoSProtection' | 'InvalidNonce' | 'OperationFailed' | 'RequestTimeout' | 'ExchangeNotAvailable' | 'NetworkError' | 'ExchangeClosedByUser'>;

/**
 * ccxt's own ES module files. `import 'ccxt'` evaluates every exchange class ccxt ships (~100 of
 * them: ~0.4 s and ~90 MB); bot4 needs one, so it imports ccxt.pro's binance class and the error
 * classes from their files. ccxt's `exports` map opens only its root, so the files are imported by
 * URL from the package folder (found through `require.resolve`, which yields `<root>/dist/ccxt.cjs`).
 * A module that does import all of `ccxt` gets the same classes: both resolve to the same files.
 */
function ccxtFile(rel: string): string {
  const root = path.resolve(path.dirname(createRequire(import.meta.url).resolve('ccxt')), '..');
  return pathToFileURL(path.join(root, 'js', 'src', rel)).href;
}
const [proBinance, errors] = (await Promise.all([import(ccxtFile('pro/binance.js')), import(ccxtFile('base/errors.js'))])) as [{ default: typeof ccxtTypes.pro.binance }, CcxtErrors];
/** ccxt.pro's Binance class (the only exchange class bot4's adapters use). */
export const ProBinance: typeof ccxtTypes.pro.binance = proBinance.default;
/** ccxt's error classes, the same objects `import ccxt from 'ccxt'` exposes. */
export const ccxtErrors: CcxtErrors = errors;
const ccxt = ccxtErrors;

/**
 * One venue's ccxt client and the call path around it, shared by the adapter's instrument,
 * execution and market-data parts.
 */
export class BinanceConnection {
  /** Venue id. */
  readonly venue: string;
  /** The venue's request-weight budget, when configured. */
  readonly budget: WeightBudget | undefined;
  /** Injected clock (retry pauses, history windows). */
  readonly clock: Clock;
  /** The ccxt.pro client. */
  readonly ex: Pro;
  /** Client order id → W3C traceparent of the order whose request is being signed. */
  readonly traceparents = new Map<string, string>();
  /** The REST root (`server.address` / `server.port` of CLIENT spans). */
  private readonly rest: URL;
  /** Whether the streams should run. */
  streamsOn = false;
  /** Stream generation: a loop of an older generation stops at its next turn. */
  streamGen = 0;

  constructor(opts: BinanceAdapterOptions) {
    this.venue = opts.venue;
    this.budget = opts.budget;
    this.clock = opts.clock;
    this.rest = new URL(opts.rest);
    const ws: Record<string, unknown> = {};
    if (opts.ws !== undefined) ws.spot = opts.ws;
    if (opts.wsApi !== undefined) ws['ws-api'] = { spot: opts.wsApi };
    this.ex = new ProBinance({
      apiKey: opts.apiKey,
      secret: opts.secret,
      enableRateLimit: false,
      timeout: opts.timeoutMs,
      urls: { api: { public: opts.rest, private: opts.rest, ...(Object.keys(ws).length > 0 ? { ws } : {}) } },
      options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false, adjustForTimeDifference: false },
    });
    // Attach the order's traceparent to the signed request that carries its client order id.
    const sign = this.ex.sign.bind(this.ex);
    this.ex.sign = (path: string, api: unknown = 'public', method = 'GET', params: Raw = {}, headers: unknown = undefined, body: unknown = undefined) => {
      const r = sign(path, api as never, method, params, headers as never, body as never) as { headers?: Record<string, string> };
      const id = (params.newClientOrderId ?? params.origClientOrderId) as string | undefined;
      const tp = id === undefined ? undefined : this.traceparents.get(id);
      if (tp !== undefined && tp !== '') r.headers = { ...(r.headers ?? {}), traceparent: tp };
      return r as never;
    };
  }

  /**
   * Runs the signed request of one order (`fn`) with the order's `traceparent` header. Tracing
   * on and the order sampled: the request is a CLIENT span (`POST /api/v3/order`), child of
   * `traceparent` (the venue actor's span), and the header carries the CLIENT span's context, so
   * the venue's SERVER span is its child. Otherwise the header is `traceparent` itself (or none).
   */
  async traced<T>(clientOrderId: string, traceparent: string, method: string, path: string, attributes: SpanAttributes, fn: () => Promise<T>): Promise<T> {
    const sink = traceparent === '' ? undefined : spanSink('engine');
    const span = sink?.start(`${method} ${path}`, SpanKind.CLIENT, traceparent, attributes);
    if (span !== undefined && span.recording) {
      span.setAttribute('http.request.method', method);
      span.setAttribute('url.full', `${this.rest.origin}${path}`);
      span.setAttribute('server.address', this.rest.hostname);
      span.setAttribute('server.port', Number(this.rest.port || (this.rest.protocol === 'https:' ? 443 : 80)));
      span.setAttribute('bot4.order.client_id', clientOrderId);
      span.setAttribute('bot4.venue', this.venue);
    }
    this.traceparents.set(clientOrderId, span?.traceparent ?? traceparent);
    try {
      const r = await fn();
      span?.setAttribute('http.response.status_code', 200);
      span?.end();
      return r;
    } catch (e) {
      if (span?.recording === true && e instanceof VenueCallError) span.setAttribute('error.type', e.kind);
      span?.end(e instanceof Error ? e.message : String(e));
      throw e;
    } finally {
      this.traceparents.delete(clientOrderId);
    }
  }

  /** Cheap health probe (`GET /api/v3/time`): the venue's epoch ms. */
  async probe(): Promise<number> {
    const r = (await this.call(() => this.ex.publicGetTime(), 1)) as Raw;
    return Number(r.serverTime);
  }

  /** Closes the client's sockets (the caller stops the streams first). */
  async close(): Promise<void> {
    try {
      await this.ex.close();
    } catch {
      // closing a half-open socket may throw; nothing to keep
    }
  }

  /** Marks the streams on and returns their new generation; `undefined` when they already run. */
  beginStreams(): number | undefined {
    if (this.streamsOn) return undefined;
    this.streamsOn = true;
    return ++this.streamGen;
  }

  /** Marks the streams off (idempotent); running loops see the new generation and end. */
  endStreams(): void {
    if (!this.streamsOn) return;
    this.streamsOn = false;
    this.streamGen++;
  }

  /**
   * Runs one ccxt call of `weight` (Binance's request weight) and turns its failure into a
   * classified {@link VenueCallError}. With a budget, the weight is taken first (waiting for the
   * next weight window when this one is spent: never a 429 of our own making; order placement is budgeted
   * by the venue actor before journaling), and the venue's `X-MBX-USED-WEIGHT-1M` is folded in after.
   */
  async call<T>(fn: () => Promise<T>, weight: number): Promise<T> {
    const b = this.budget;
    if (b !== undefined && weight > 0) await this.takeWeight(weight);
    try {
      return await fn();
    } catch (e) {
      throw new VenueCallError(this.venue, classify(e), e instanceof Error ? e.message : String(e), e);
    } finally {
      if (b !== undefined) {
        const h = (this.ex.last_response_headers ?? {}) as Record<string, string | undefined>;
        const used = h['x-mbx-used-weight-1m'] ?? h['X-MBX-USED-WEIGHT-1M'];
        if (used !== undefined) b.observeWeight(Number(used));
      }
    }
  }

  /**
   * Takes `weight` from the request-weight budget, waiting for the next window when this one is
   * spent (at most 3 windows, then `throttled`). Synchronous when the weight is there (the common
   * case): no promise is made then. Also used by the WebSocket order entry (same weights as REST).
   */
  takeWeight(weight: number): Promise<void> | undefined {
    const b = this.budget;
    if (b === undefined || b.tryWeight(weight)) return undefined;
    return (async () => {
      for (let i = 0; ; i++) {
        if (i >= 3) throw new VenueCallError(this.venue, 'throttled', `request weight budget exhausted (${b.usedWeight()} of ${b.weightLimit} this window)`, undefined);
        await this.pause(b.msToNextWeightWindow() + 5);
        if (b.tryWeight(weight)) return;
      }
    })();
  }

  /** Stream retry pause on the injected clock. */
  pause(ms: number): Promise<void> {
    return new Promise((r) => {
      this.clock.setTimer(ms, r);
    });
  }
}

/** Maps a ccxt error to what it means for the order's outcome (Binance: 4xx refused, 5xx/timeouts unknown). */
export function classify(e: unknown): FailureKind {
  if (e instanceof ccxt.OrderNotFound) return 'not-found';
  const msg = e instanceof Error ? e.message : String(e);
  // Credentials refused: ccxt maps -1022/-2014/-2015 and HTTP 401 to AuthenticationError (and
  // PermissionDenied, a subclass) on the spot API, but to BadRequest/OperationRejected on others.
  if (e instanceof ccxt.AuthenticationError || /"code":\s*-(1022|2014|2015)\b/.test(msg)) return 'auth';
  if (/Duplicate order/i.test(msg) || /-2010.*[Dd]uplicate/.test(msg)) return 'duplicate';
  if (e instanceof ccxt.DDoSProtection) return 'throttled';
  if (e instanceof ccxt.InvalidNonce) return 'rejected';
  // Binance: -1001 (internal error / disconnected) and -1007 (backend timeout) say "execution status
  // unknown", whatever ccxt class they map to.
  if (/"code":\s*-100[17]\b/.test(msg)) return 'unknown';
  if (e instanceof ccxt.OperationFailed && !(e instanceof ccxt.ExchangeError)) return 'unknown';
  if (e instanceof ccxt.RequestTimeout || e instanceof ccxt.ExchangeNotAvailable || e instanceof ccxt.NetworkError) return 'unknown';
  if (e instanceof ccxt.BaseError) return 'rejected';
  // Anything else (a socket error before ccxt classified it) says nothing about the outcome.
  return 'unknown';
}
