import type { Command } from 'commander';
import { connectionOptions, formatTable, parseClientOptions, withClient } from '../../daemon/client.js';
import { type Dec, addDec, formatDec, mulDec, parseDec } from '../decimal.js';
import { InstrumentTable } from '../instrument-table.js';

interface Position {
  venue: string;
  symbol: string;
  qtyLots: number;
  qty: string;
  cost: string;
  realizedPnl: string;
  unrealizedPnl?: string;
  markTicks?: number;
  quote: string;
}
interface Balance {
  venue: string;
  asset: string;
  total: string;
  locked: string;
  free: string;
}

/** Total equity and PnL in one quote asset. */
export interface Totals {
  quote: string;
  /** Σ balances of the quote asset + Σ other balances × the last mid of `<asset>/<quote>` on their venue; undefined when some balance has no mid. */
  equity?: string;
  realizedPnl: string;
  /** undefined when some position with a quantity has no mark. */
  unrealizedPnl?: string;
  /** realized + unrealized. */
  pnl?: string;
  /** `venue:asset` balances that could not be valued (no mid of an instrument with that base and this quote). */
  unvalued: string[];
}

const ZERO: Dec = { units: 0n, scale: 0 };

function dec(s: string | undefined): Dec | undefined {
  return s === undefined ? undefined : parseDec(s);
}

/** Decimal string of `d` with at least `minScale` decimals and no trailing zeros past them (exact: only zeros go). */
function show(d: Dec, minScale: number): string {
  let s = formatDec(d, Math.max(d.scale, minScale));
  if (!s.includes('.')) return s;
  const dot = s.indexOf('.');
  while (s.endsWith('0') && s.length - dot - 1 > minScale) s = s.slice(0, -1);
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

/**
 * Total equity and PnL per quote asset, exactly (bigint decimals):
 * - equity = every balance (total, locked included) of the quote asset, plus every other
 *   balance × the last mid of `<asset>/<quote>` on the same venue (the daemon's mark, from the venue's ticker);
 * - realized PnL = Σ positions' realized PnL; unrealized = Σ positions' unrealized PnL at the last
 *   mid; PnL = both. Quote assets are those of the daemon's instruments.
 */
export function totals(positions: readonly Position[], balances: readonly Balance[], table: InstrumentTable): Totals[] {
  const quotes = [...new Set(table.rows.map((i) => i.quote))];
  return quotes.map((quote) => {
    let equity: Dec | undefined = ZERO;
    let scale = 0;
    const unvalued: string[] = [];
    for (const b of balances) {
      const total = dec(b.total);
      if (total === undefined) continue;
      if (b.asset === quote) {
        scale = Math.max(scale, total.scale);
        equity = equity === undefined ? undefined : addDec(equity, total);
        continue;
      }
      if (quotes.includes(b.asset)) continue; // another quote asset: its own total
      const ins = table.get(b.venue, `${b.asset}/${quote}`);
      if (ins === undefined) continue; // not priced in this quote
      if (total.units === 0n) continue;
      const tick = parseDec(ins.tickSize);
      if (tick === undefined || ins.midTicks === undefined) {
        unvalued.push(`${b.venue}:${b.asset}`);
        equity = undefined;
        continue;
      }
      const px = mulDec({ units: BigInt(ins.midTicks), scale: 0 }, tick);
      equity = equity === undefined ? undefined : addDec(equity, mulDec(total, px));
    }
    let realized = ZERO;
    let unrealized: Dec | undefined = ZERO;
    for (const p of positions) {
      if (p.quote !== quote) continue;
      const r = dec(p.realizedPnl);
      if (r !== undefined) realized = addDec(realized, r);
      const u = dec(p.unrealizedPnl);
      if (u !== undefined) unrealized = unrealized === undefined ? undefined : addDec(unrealized, u);
      else if (p.qtyLots !== 0) unrealized = undefined;
      scale = Math.max(scale, r?.scale ?? 0);
    }
    return {
      quote,
      ...(equity === undefined ? {} : { equity: show(equity, scale) }),
      realizedPnl: show(realized, scale),
      ...(unrealized === undefined ? {} : { unrealizedPnl: show(unrealized, scale), pnl: show(addDec(realized, unrealized), scale) }),
      unvalued,
    };
  });
}

/** Renders `positions.get` and `balances.get` results, then the totals (`raw`: quantity in lots, mark in ticks). */
export function renderPositions(positions: readonly Position[], balances: readonly Balance[], table: InstrumentTable, raw = false): string {
  const p = raw
    ? formatTable(['venue', 'symbol', 'qty (lots)', 'cost', 'realized PnL', 'unrealized PnL', 'mark (ticks)', 'quote'], positions.map((x) => [x.venue, x.symbol, x.qtyLots, x.cost, x.realizedPnl, x.unrealizedPnl, x.markTicks, x.quote]))
    : formatTable(['venue', 'symbol', 'qty', 'cost', 'realized PnL', 'unrealized PnL', 'mark', 'quote'], positions.map((x) => [x.venue, x.symbol, x.qty, x.cost, x.realizedPnl, x.unrealizedPnl, table.price(x.venue, x.symbol, x.markTicks), x.quote]));
  const b = formatTable(['venue', 'asset', 'total', 'locked', 'free'], balances.map((x) => [x.venue, x.asset, x.total, x.locked, x.free]));
  const t = formatTable(['total', 'equity', 'realized PnL', 'unrealized PnL', 'PnL', 'not valued (no mid)'], totals(positions, balances, table).map((x) => [x.quote, x.equity, x.realizedPnl, x.unrealizedPnl, x.pnl, x.unvalued.length === 0 ? '' : x.unvalued.join(' ')]));
  return `${p}\n\n${b}\n\n${t}`;
}

/** Registers `bot4 positions`. */
export function register(program: Command): void {
  connectionOptions(
    program
      .command('positions')
      .description("show a running daemon's positions (decimal quantity, cost, PnL at the last mid), balances, and total equity and PnL per quote asset")
      .option('--raw', 'quantities in lots and marks in ticks'),
  ).action(async (raw: Record<string, unknown>) => {
    const o = parseClientOptions(raw);
    const [positions, balances, table] = await withClient(o, (c) => Promise.all([c.request<Position[]>('positions.get'), c.request<Balance[]>('balances.get'), InstrumentTable.load(c)]));
    process.stdout.write(`${o.json ? JSON.stringify({ positions, balances, totals: totals(positions, balances, table) }) : renderPositions(positions, balances, table, raw.raw === true)}\n`);
  });
}
