/**
 * Scripted market crises. Each script is a list of keyframes over the real event's time span,
 * replayed compressed into `durationMs` of clock time (default 60 s). Prices are multipliers of
 * each symbol's fair value at the start; between keyframes they are interpolated log-linearly and
 * the fair-value process is pulled towards them (fair-value.ts `Drive`) with extra volatility,
 * while makers thin out and widen (participants.ts `Liquidity`). Venue keyframes change what the
 * venue itself does (halt a symbol, halt withdrawals, disappear).
 *
 * Calibration (daily OHLC from Binance spot klines and contemporary reporting; multipliers are
 * rounded, intraday shapes are approximate):
 * - COVID, 2020-03-12..13 ("Black Thursday"): BTCUSDT opened 03-12 at ~7,930, closed ~4,800
 *   (−39 %), traded down to ~3,780 on 03-13 around 02:00 UTC (−52 %), closed 03-13 near 5,580.
 *   ETH fell from ~195 to ~90 at the low. Order books emptied, spreads widened by an order of
 *   magnitude (BitMEX went offline for ~25 minutes at the low).
 *   Sources: Binance BTCUSDT/ETHUSDT 1d klines 2020-03-11..13; Kaiko, "Black Thursday" liquidity report (2020).
 * - LUNA/UST, 2022-05-07..14: UST lost its peg on 05-07 (0.985), fell to ~0.65 on 05-09, bounced
 *   to ~0.90 on 05-10, then slid to ~0.30 (05-11) and ~0.10–0.15 (05-13..14). LUNA fell from ~80
 *   to ~30 (05-10), ~1 (05-12) and fractions of a cent (05-13); Binance suspended LUNA and UST
 *   spot trading on 05-12/13. BTC went from ~35,500 to a 26,700 low on 05-12 and ~29,000 on 05-14.
 *   Sources: Binance LUNAUSDT/USTUSDT/BTCUSDT 1d klines; Binance announcements of 2022-05-12/13.
 * - FTX, 2022-11-06..15: FTT fell from ~22 (11-06) to ~15 (11-07) and ~5 (11-08, after Binance's
 *   rescue offer), ~2.5 (11-09) and ~1.5 (11-14). FTX halted withdrawals on 11-08, and filed for
 *   bankruptcy on 11-11: its venue disappeared. BTC fell from ~21,000 to a ~15,700 low (11-09);
 *   SOL from ~35 to ~13.
 *   Sources: Binance FTTUSDT/BTCUSDT/SOLUSDT 1d klines; FTX/Binance public statements of 2022-11-08..11.
 */

/** What a venue does at a keyframe. */
export type VenueEvent = 'withdrawals-halted' | 'gone' | 'running';

/** One point of a crisis script. */
export interface Keyframe {
  /** Position in the real event, 0..1. */
  at: number;
  /** Price multiplier per symbol relative to the fair value at the crisis start (missing = 1). */
  price: Record<string, number>;
  /** Volatility multiplier of the fair-value process. */
  vol: number;
  /** Maker size factor (1 normal, 0 = no quotes). */
  liquidity: number;
  /** Maker spread factor (1 normal). */
  spread: number;
  /** Jump to this keyframe's prices at once instead of interpolating. */
  gap?: boolean;
  /** Venue behaviour from this keyframe on (target venue only). */
  venue?: VenueEvent;
  /** Symbols whose trading is halted from this keyframe on (all venues). */
  halt?: string[];
}

/** Names of the crisis scripts. */
export type CrisisName = 'covid' | 'luna' | 'ftx';

/** A crisis scenario. */
export interface CrisisScript {
  name: CrisisName;
  title: string;
  /** The real period (UTC dates). */
  period: string;
  /** Real duration the keyframes span, hours. */
  realHours: number;
  /** Default compressed duration, ms of clock time. */
  defaultDurationMs: number;
  keyframes: Keyframe[];
}

const k = (at: number, price: Record<string, number>, vol: number, liquidity: number, spread: number, extra: Partial<Keyframe> = {}): Keyframe => ({ at, price, vol, liquidity, spread, ...extra });

/** COVID crash: BTC roughly halves within a day, books empty out, then a partial rebound. */
export const COVID: CrisisScript = {
  name: 'covid',
  title: 'COVID crash ("Black Thursday")',
  period: '2020-03-12..2020-03-13',
  realHours: 48,
  defaultDurationMs: 60_000,
  keyframes: [
    k(0, {}, 1, 1, 1),
    k(0.25, { BTCUSDT: 0.92, ETHUSDT: 0.9, SOLUSDT: 0.88 }, 3, 0.7, 2),
    k(0.45, { BTCUSDT: 0.7, ETHUSDT: 0.66, SOLUSDT: 0.62 }, 6, 0.35, 5),
    k(0.5, { BTCUSDT: 0.605, ETHUSDT: 0.57, SOLUSDT: 0.52 }, 8, 0.25, 8),
    k(0.58, { BTCUSDT: 0.477, ETHUSDT: 0.46, SOLUSDT: 0.42 }, 10, 0.12, 12),
    k(0.75, { BTCUSDT: 0.62, ETHUSDT: 0.6, SOLUSDT: 0.55 }, 5, 0.4, 4),
    k(1, { BTCUSDT: 0.703, ETHUSDT: 0.68, SOLUSDT: 0.63 }, 2, 0.8, 1.5),
  ],
};

/** LUNA/UST: the stablecoin depegs, LUNA hyperinflates to ~0, trading is suspended; BTC −25 %. */
export const LUNA: CrisisScript = {
  name: 'luna',
  title: 'Terra LUNA/UST collapse',
  period: '2022-05-07..2022-05-14',
  realHours: 168,
  defaultDurationMs: 60_000,
  keyframes: [
    k(0, {}, 1, 1, 1),
    k(0.07, { USTUSDT: 0.985, LUNAUSDT: 0.9 }, 2, 0.9, 1.5),
    k(0.3, { USTUSDT: 0.92, LUNAUSDT: 0.8, BTCUSDT: 0.96 }, 3, 0.7, 2),
    k(0.37, { USTUSDT: 0.65, LUNAUSDT: 0.5, BTCUSDT: 0.9 }, 6, 0.4, 5),
    k(0.43, { USTUSDT: 0.9, LUNAUSDT: 0.38, BTCUSDT: 0.88 }, 5, 0.5, 4),
    k(0.57, { USTUSDT: 0.35, LUNAUSDT: 0.06, BTCUSDT: 0.85, ETHUSDT: 0.8 }, 8, 0.25, 8),
    k(0.71, { USTUSDT: 0.2, LUNAUSDT: 0.0002, BTCUSDT: 0.752, ETHUSDT: 0.7 }, 10, 0.15, 12),
    k(0.78, { USTUSDT: 0.12, LUNAUSDT: 0.0001, BTCUSDT: 0.8, ETHUSDT: 0.74 }, 8, 0.2, 10, { halt: ['LUNAUSDT', 'USTUSDT'] }),
    k(1, { USTUSDT: 0.15, LUNAUSDT: 0.0001, BTCUSDT: 0.817, ETHUSDT: 0.76 }, 3, 0.6, 2),
  ],
};

/** FTX: FTT collapses, the target venue halts withdrawals, then disappears; the market gaps down. */
export const FTX: CrisisScript = {
  name: 'ftx',
  title: 'FTX failure',
  period: '2022-11-06..2022-11-15',
  realHours: 216,
  defaultDurationMs: 60_000,
  keyframes: [
    k(0, {}, 1, 1, 1),
    k(0.11, { FTTUSDT: 0.68, BTCUSDT: 0.98, SOLUSDT: 0.92 }, 3, 0.7, 2),
    k(0.2, { FTTUSDT: 0.23, BTCUSDT: 0.88, SOLUSDT: 0.7 }, 8, 0.3, 6, { gap: true, venue: 'withdrawals-halted' }),
    k(0.33, { FTTUSDT: 0.11, BTCUSDT: 0.75, SOLUSDT: 0.4 }, 10, 0.2, 10),
    k(0.55, { FTTUSDT: 0.09, BTCUSDT: 0.8, SOLUSDT: 0.42 }, 5, 0.4, 4, { gap: true, venue: 'gone' }),
    k(1, { FTTUSDT: 0.07, BTCUSDT: 0.79, SOLUSDT: 0.4 }, 2, 0.7, 2),
  ],
};

/** Every scenario by name. */
export const CRISES: Readonly<Record<CrisisName, CrisisScript>> = Object.freeze({ covid: COVID, luna: LUNA, ftx: FTX });

/** Every crisis name (what the control API's `POST /_sim/venues/<v>/crisis` and chaos `do: crisis` accept). */
export const CRISIS_NAMES: readonly CrisisName[] = Object.freeze(Object.keys(CRISES) as CrisisName[]);

/** The state of a script at progress `f` (0..1): interpolated multipliers and the last keyframe passed. */
export function crisisStateAt(script: CrisisScript, f: number): { price: Record<string, number>; vol: number; liquidity: number; spread: number; index: number } {
  const ks = script.keyframes;
  let i = 0;
  while (i + 1 < ks.length && ks[i + 1]!.at <= f) i++;
  const a = ks[i]!;
  const b = ks[i + 1];
  if (b === undefined || b.gap === true) return { price: { ...a.price }, vol: a.vol, liquidity: a.liquidity, spread: a.spread, index: i };
  const w = Math.min(1, Math.max(0, (f - a.at) / (b.at - a.at)));
  const price: Record<string, number> = {};
  for (const s of new Set([...Object.keys(a.price), ...Object.keys(b.price)])) {
    const pa = a.price[s] ?? 1;
    const pb = b.price[s] ?? 1;
    price[s] = Math.exp(Math.log(pa) * (1 - w) + Math.log(pb) * w);
  }
  const lin = (x: number, y: number): number => x * (1 - w) + y * w;
  return { price, vol: lin(a.vol, b.vol), liquidity: lin(a.liquidity, b.liquidity), spread: lin(a.spread, b.spread), index: i };
}
