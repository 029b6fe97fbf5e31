/**
 * Binance adapter, instrument metadata (part 2 of the template in `../adapter.ts`): the venue's
 * advertised rate limits. `exchangeInfo.rateLimits` lists fixed windows
 * (`{ rateLimitType: 'REQUEST_WEIGHT' | 'ORDERS' | 'RAW_REQUESTS', interval: 'SECOND' | 'MINUTE' |
 * 'HOUR' | 'DAY', intervalNum, limit }`); this turns them into the venue-neutral
 * {@link VenueLimits} the {@link WeightBudget} adopts, with a reason for every entry it cannot use.
 */
import type { Logger } from '../../../common/log.js';
import { MAX_BUDGET_LIMIT, windowText, type RateWindow, type VenueLimits, type WeightBudget } from '../weight-budget.js';

const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({ SECOND: 1000, MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 });

/** ORDERS windows shorter than this are the budget's short (burst) order window; longer ones its long window. */
const LONG_WINDOW_MS = 3_600_000;

/** The venue's limits and a line for every entry (or missing array) that could not be used as it stands. */
export interface ParsedRateLimits {
  limits: VenueLimits;
  /** Entries skipped or narrowed, each with its reason. */
  notes: string[];
  /** Well-formed limits of a kind the budget does not keep (`RAW_REQUESTS 61000 per 5 min`). */
  unbudgeted: string[];
}

/**
 * Parses Binance's `exchangeInfo.rateLimits`. Entries that are not well formed are skipped with a
 * note. When a kind has several windows (e.g. ORDERS per 1 s and per 10 s), the strictest (lowest
 * limit per millisecond) is kept and the others are noted: the budget keeps one window per kind.
 * `RAW_REQUESTS` is not budgeted (bot4 sends far fewer requests than it spends weight). A limit
 * above {@link MAX_BUDGET_LIMIT} is kept at that maximum.
 */
export function parseBinanceRateLimits(raw: unknown): ParsedRateLimits {
  const notes: string[] = [];
  const unbudgeted: string[] = [];
  if (!Array.isArray(raw)) {
    notes.push(`exchangeInfo.rateLimits: expected a list, got ${raw === undefined ? 'nothing' : JSON.stringify(raw)}`);
    return { limits: {}, notes, unbudgeted };
  }
  const found: Record<keyof VenueLimits, { w: RateWindow; at: number }[]> = { weight: [], orders: [], ordersLong: [] };
  raw.forEach((e: unknown, i) => {
    const at = `exchangeInfo.rateLimits[${i}]`;
    if (e === null || typeof e !== 'object' || Array.isArray(e)) {
      notes.push(`${at}: expected an object, got ${JSON.stringify(e)}; ignored`);
      return;
    }
    const r = e as Record<string, unknown>;
    const unit = typeof r.interval === 'string' ? UNIT_MS[r.interval] : undefined;
    if (unit === undefined) {
      notes.push(`${at}.interval: expected one of ${Object.keys(UNIT_MS).join(', ')}, got ${JSON.stringify(r.interval)}; ignored`);
      return;
    }
    if (!(Number.isSafeInteger(r.intervalNum) && (r.intervalNum as number) >= 1 && unit * (r.intervalNum as number) <= 30 * 86_400_000)) {
      notes.push(`${at}.intervalNum: expected a whole number >= 1 (a window of at most 30 days), got ${JSON.stringify(r.intervalNum)}; ignored`);
      return;
    }
    if (!(Number.isSafeInteger(r.limit) && (r.limit as number) >= 1)) {
      notes.push(`${at}.limit: expected a whole number >= 1, got ${JSON.stringify(r.limit)}; ignored`);
      return;
    }
    let limit = r.limit as number;
    const windowMs = unit * (r.intervalNum as number);
    if (limit > MAX_BUDGET_LIMIT) {
      notes.push(`${at}.limit: ${limit} is above the budget's maximum; budgeted as ${MAX_BUDGET_LIMIT}`);
      limit = MAX_BUDGET_LIMIT;
    }
    const w = { limit, windowMs };
    switch (r.rateLimitType) {
      case 'REQUEST_WEIGHT':
        found.weight.push({ w, at: i });
        return;
      case 'ORDERS':
        (windowMs < LONG_WINDOW_MS ? found.orders : found.ordersLong).push({ w, at: i });
        return;
      case 'RAW_REQUESTS':
        unbudgeted.push(`RAW_REQUESTS ${limit} per ${windowText(windowMs)}`);
        return;
      default:
        notes.push(`${at}.rateLimitType: expected REQUEST_WEIGHT, ORDERS or RAW_REQUESTS, got ${JSON.stringify(r.rateLimitType)}; ignored`);
    }
  });
  const limits: VenueLimits = {};
  for (const kind of ['weight', 'orders', 'ordersLong'] as const) {
    const list = found[kind];
    if (list.length === 0) continue;
    const strictest = list.reduce((a, b) => (b.w.limit / b.w.windowMs < a.w.limit / a.w.windowMs ? b : a));
    for (const x of list) {
      if (x !== strictest) notes.push(`exchangeInfo.rateLimits[${x.at}]: ${x.w.limit} per ${windowText(x.w.windowMs)} is looser than [${strictest.at}] (${strictest.w.limit} per ${windowText(strictest.w.windowMs)}), which the budget keeps`);
    }
    limits[kind] = strictest.w;
  }
  return { limits, notes, unbudgeted };
}

/**
 * Parses `rateLimits` and hands them to `budget` (the config's limits win over them, built-in
 * defaults fill what is missing). Logs the limits applied, and each fallback with its reason.
 */
export function applyBinanceRateLimits(budget: WeightBudget, rateLimits: unknown, log: Logger): void {
  const parsed = parseBinanceRateLimits(rateLimits);
  const notes = [...parsed.notes, ...budget.adoptVenueLimits(parsed.limits)];
  for (const reason of notes) log.warn({ reason }, 'venue rate limit not taken as advertised');
  const l = budget.limits();
  const row = (w: typeof l.weight): string => `${w.limit} per ${windowText(w.windowMs)} (${w.source} ${w.venueLimit} x headroom ${l.headroom})`;
  log.info({ weight: row(l.weight), orders: row(l.orders), ordersLong: row(l.ordersLong), unbudgeted: parsed.unbudgeted }, 'venue rate budget');
}
