import { formatAtoms, type Instrument } from '../venue/instruments.js';
import type { EngineListener } from '../venue/matching-engine.js';
import type { DepthDiff } from '../venue/order-book.js';
import type { TimerHandle } from '../../common/clock.js';
import type { VenueCore } from '../venue/venue.js';

/** A WebSocket connection as the hubs see it: `send` applies network faults and backpressure. */
export interface WireConn {
  readonly id: number;
  /** True for `/stream?streams=` connections (messages wrapped as `{stream, data}`). */
  readonly combined: boolean;
  send(msg: string): void;
}

const STREAM = /^([a-z0-9]+)@(trade|aggTrade|ticker|miniTicker|bookTicker|depth(?:5|10|20)?(?:@100ms|@1000ms)?)$/;

interface Agg {
  U: number;
  u: number;
  b: Map<number, number>;
  a: Map<number, number>;
}

/**
 * Market-data streams of one venue: Binance's raw (`/ws/<name>`) and combined
 * (`/stream?streams=a/b`) endpoints with SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS. Trades go
 * out as they print; `@depth@100ms`, partial depth and `@bookTicker` every 100 ms; `@depth`,
 * `@ticker`, `@miniTicker` every 1000 ms. Depth diffs carry `U`/`u` that chain with
 * `/api/v3/depth`'s `lastUpdateId` (every update id belongs to exactly one diff).
 */
export class StreamHub implements EngineListener {
  private readonly subs = new Map<string, Set<WireConn>>();
  private readonly byConn = new Map<WireConn, Set<string>>();
  private readonly agg1s = new Map<string, Agg>();
  private readonly lastTop = new Map<string, string>();
  private timer: TimerHandle | undefined;
  private ticks = 0;

  constructor(private readonly venue: VenueCore) {
    venue.addListener(this);
  }

  /** Starts the 100 ms publishing loop. */
  start(): void {
    if (this.timer !== undefined) return;
    const loop = (): void => {
      this.timer = this.venue.clock.setTimer(100, () => {
        this.tick100();
        loop();
      });
    };
    loop();
  }

  /** Stops publishing and forgets every subscription. */
  stop(): void {
    if (this.timer !== undefined) this.venue.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.venue.removeListener(this);
    this.subs.clear();
    this.byConn.clear();
  }

  /** Whether `name` is a stream this venue serves. */
  valid(name: string): boolean {
    const m = STREAM.exec(name);
    return m !== null && this.venue.instruments.get(m[1]!.toUpperCase()) !== undefined;
  }

  /** Subscribes `conn` to `name`; false when the name is invalid. */
  subscribe(conn: WireConn, name: string): boolean {
    if (!this.valid(name)) return false;
    let s = this.subs.get(name);
    if (s === undefined) {
      s = new Set();
      this.subs.set(name, s);
    }
    s.add(conn);
    let c = this.byConn.get(conn);
    if (c === undefined) {
      c = new Set();
      this.byConn.set(conn, c);
    }
    c.add(name);
    return true;
  }

  /** Unsubscribes `conn` from `name`. */
  unsubscribe(conn: WireConn, name: string): void {
    this.subs.get(name)?.delete(conn);
    this.byConn.get(conn)?.delete(name);
  }

  /** Forgets a closed connection. */
  closed(conn: WireConn): void {
    for (const n of this.byConn.get(conn) ?? []) this.subs.get(n)?.delete(conn);
    this.byConn.delete(conn);
  }

  /**
   * Handles a client frame (`{method, params, id}`) and returns the reply frame. Invalid JSON or
   * methods get Binance's `{"error":{"code":2,...}}`-style replies.
   */
  handleFrame(conn: WireConn, text: string): string {
    let req: { method?: unknown; params?: unknown; id?: unknown };
    try {
      req = JSON.parse(text) as typeof req;
    } catch {
      return JSON.stringify({ error: { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' } });
    }
    const id = req.id ?? null;
    const params = Array.isArray(req.params) ? req.params : [];
    switch (req.method) {
      case 'SUBSCRIBE':
        for (const p of params) {
          if (typeof p !== 'string' || !this.valid(p)) return JSON.stringify({ error: { code: 2, msg: `Invalid request: unknown stream ${String(p)}` }, id });
        }
        for (const p of params) this.subscribe(conn, p as string);
        return JSON.stringify({ result: null, id });
      case 'UNSUBSCRIBE':
        for (const p of params) if (typeof p === 'string') this.unsubscribe(conn, p);
        return JSON.stringify({ result: null, id });
      case 'LIST_SUBSCRIPTIONS':
        return JSON.stringify({ result: [...(this.byConn.get(conn) ?? [])], id });
      case 'SET_PROPERTY':
      case 'GET_PROPERTY':
        return JSON.stringify({ result: req.method === 'GET_PROPERTY' ? false : null, id });
      default:
        return JSON.stringify({ error: { code: 2, msg: 'Invalid request: unknown method' }, id });
    }
  }

  private publish(name: string, build: () => Record<string, unknown> | string): void {
    const s = this.subs.get(name);
    if (s === undefined || s.size === 0) return;
    const data = build();
    const raw = typeof data === 'string' ? data : JSON.stringify(data);
    let wrapped: string | undefined;
    for (const c of s) {
      if (c.combined) {
        wrapped ??= `{"stream":${JSON.stringify(name)},"data":${raw}}`;
        c.send(wrapped);
      } else c.send(raw);
    }
  }

  onOrderEvent(): void {}

  onBalances(): void {}

  onTrade(symbol: string, tradeId: number, priceTicks: number, lots: number, buyerIsMaker: boolean, time: number): void {
    const lc = symbol.toLowerCase();
    const ins = this.venue.instruments.get(symbol)!;
    const E = this.venue.serverTime('stream');
    this.publish(`${lc}@trade`, () => ({ e: 'trade', E, s: symbol, t: tradeId, p: ins.priceString(priceTicks), q: ins.qtyString(lots), T: time, m: buyerIsMaker, M: true }));
    this.publish(`${lc}@aggTrade`, () => ({ e: 'aggTrade', E, s: symbol, a: tradeId, p: ins.priceString(priceTicks), q: ins.qtyString(lots), f: tradeId, l: tradeId, T: time, m: buyerIsMaker, M: true }));
  }

  private tick100(): void {
    this.ticks++;
    const second = this.ticks % 10 === 0;
    const E = this.venue.serverTime('stream');
    for (const ins of this.venue.instruments.list) {
      const lc = ins.symbol.toLowerCase();
      const book = this.venue.engine.books.get(ins.symbol)!;
      const d = book.drainDiff();
      if (d !== null) {
        this.publish(`${lc}@depth@100ms`, () => depthUpdate(ins, d, E));
        this.accumulate(ins.symbol, d);
        const bb = book.bestBid();
        const ba = book.bestAsk();
        const top = `${bb?.priceTicks}:${bb?.totalLots}:${ba?.priceTicks}:${ba?.totalLots}`;
        if (this.lastTop.get(ins.symbol) !== top) {
          this.lastTop.set(ins.symbol, top);
          this.publish(`${lc}@bookTicker`, () => ({
            u: book.updateId,
            s: ins.symbol,
            b: ins.priceString(bb?.priceTicks ?? 0),
            B: ins.qtyString(bb?.totalLots ?? 0),
            a: ins.priceString(ba?.priceTicks ?? 0),
            A: ins.qtyString(ba?.totalLots ?? 0),
          }));
        }
      }
      for (const n of [5, 10, 20]) {
        this.publish(`${lc}@depth${n}@100ms`, () => partial(ins, book.depth(n)));
        if (second) {
          this.publish(`${lc}@depth${n}`, () => partial(ins, book.depth(n)));
          this.publish(`${lc}@depth${n}@1000ms`, () => partial(ins, book.depth(n)));
        }
      }
      if (second) {
        const a = this.agg1s.get(ins.symbol);
        if (a !== undefined) {
          const diff: DepthDiff = { U: a.U, u: a.u, b: [...a.b], a: [...a.a] };
          this.agg1s.delete(ins.symbol);
          this.publish(`${lc}@depth`, () => depthUpdate(ins, diff, E));
          this.publish(`${lc}@depth@1000ms`, () => depthUpdate(ins, diff, E));
        }
        this.publish(`${lc}@ticker`, () => this.ticker(ins, E));
        this.publish(`${lc}@miniTicker`, () => this.miniTicker(ins, E));
      }
    }
  }

  private accumulate(symbol: string, d: DepthDiff): void {
    let a = this.agg1s.get(symbol);
    if (a === undefined) {
      a = { U: d.U, u: d.u, b: new Map(), a: new Map() };
      this.agg1s.set(symbol, a);
    }
    a.u = d.u;
    for (const [p, q] of d.b) a.b.set(p, q);
    for (const [p, q] of d.a) a.a.set(p, q);
  }

  private miniTicker(ins: Instrument, E: number): Record<string, unknown> {
    const st = this.venue.engine.stats.get(ins.symbol);
    return {
      e: '24hrMiniTicker',
      E,
      s: ins.symbol,
      c: ins.priceString(st?.lastTicks ?? 0),
      o: ins.priceString(st?.openTicks ?? 0),
      h: ins.priceString(st?.highTicks ?? 0),
      l: ins.priceString(st?.lowTicks ?? 0),
      v: formatAtoms(BigInt(st?.volumeLots ?? 0) * ins.lotAtoms),
      q: formatAtoms(st?.quoteVolume ?? 0n),
    };
  }

  private ticker(ins: Instrument, E: number): Record<string, unknown> {
    const st = this.venue.engine.stats.get(ins.symbol);
    const book = this.venue.engine.books.get(ins.symbol)!;
    const bb = book.bestBid();
    const ba = book.bestAsk();
    const last = st?.lastTicks ?? 0;
    const open = st?.openTicks ?? 0;
    const vol = BigInt(st?.volumeLots ?? 0) * ins.lotAtoms;
    const qv = st?.quoteVolume ?? 0n;
    return {
      e: '24hrTicker',
      E,
      s: ins.symbol,
      p: formatAtoms(BigInt(last - open) * ins.tickAtoms),
      P: open > 0 ? (((last - open) / open) * 100).toFixed(3) : '0.000',
      w: vol > 0n ? formatAtoms((qv * 10n ** 8n) / vol) : '0.00000000',
      x: ins.priceString(open),
      c: ins.priceString(last),
      Q: ins.qtyString(st?.lastLots ?? 0),
      b: ins.priceString(bb?.priceTicks ?? 0),
      B: ins.qtyString(bb?.totalLots ?? 0),
      a: ins.priceString(ba?.priceTicks ?? 0),
      A: ins.qtyString(ba?.totalLots ?? 0),
      o: ins.priceString(open),
      h: ins.priceString(st?.highTicks ?? 0),
      l: ins.priceString(st?.lowTicks ?? 0),
      v: formatAtoms(vol),
      q: formatAtoms(qv),
      O: st?.openTime ?? E,
      C: E,
      F: st?.firstId ?? -1,
      L: st?.lastId ?? -1,
      n: st?.count ?? 0,
    };
  }
}

function depthUpdate(ins: Instrument, d: DepthDiff, E: number): Record<string, unknown> {
  return {
    e: 'depthUpdate',
    E,
    s: ins.symbol,
    U: d.U,
    u: d.u,
    b: d.b.map(([p, q]) => [ins.priceString(p), ins.qtyString(q)]),
    a: d.a.map(([p, q]) => [ins.priceString(p), ins.qtyString(q)]),
  };
}

function partial(ins: Instrument, d: { bids: [number, number][]; asks: [number, number][]; lastUpdateId: number }): Record<string, unknown> {
  return {
    lastUpdateId: d.lastUpdateId,
    bids: d.bids.map(([p, q]) => [ins.priceString(p), ins.qtyString(q)]),
    asks: d.asks.map(([p, q]) => [ins.priceString(p), ins.qtyString(q)]),
  };
}
