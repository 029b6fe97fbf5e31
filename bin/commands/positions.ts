import type { Command } from 'commander';
import { connectionOptions, formatTable, parseClientOptions, withClient } from '../../daemon/client.js';

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

/** Renders `positions.get` and `balances.get` results. */
export function renderPositions(positions: readonly Position[], balances: readonly Balance[]): string {
  const p = formatTable(['venue', 'symbol', 'qty (lots)', 'qty', 'cost', 'realized PnL', 'unrealized PnL', 'mark (ticks)', 'quote'], positions.map((x) => [x.venue, x.symbol, x.qtyLots, x.qty, x.cost, x.realizedPnl, x.unrealizedPnl, x.markTicks, x.quote]));
  const b = formatTable(['venue', 'asset', 'total', 'locked', 'free'], balances.map((x) => [x.venue, x.asset, x.total, x.locked, x.free]));
  return `${p}\n\n${b}`;
}

/** Registers `bot4 positions`. */
export function register(program: Command): void {
  connectionOptions(program.command('positions').description("show a running daemon's positions (lots and decimal amounts, PnL) and balances")).action(async (raw: Record<string, unknown>) => {
    const o = parseClientOptions(raw);
    const [positions, balances] = await withClient(o, (c) => Promise.all([c.request<Position[]>('positions.get'), c.request<Balance[]>('balances.get')]));
    process.stdout.write(`${o.json ? JSON.stringify({ positions, balances }) : renderPositions(positions, balances)}\n`);
  });
}
