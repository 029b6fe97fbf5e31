import type { Command } from 'commander';
import { parseOptions, z } from '../../common/validate.js';
import { connectionOptions, formatTable, parseClientOptions, withClient } from '../../daemon/client.js';
import { ratioSteps } from '../decimal.js';
import { InstrumentTable } from '../instrument-table.js';

const schema = z.strictObject({
  '--status': z.enum(['open', 'closed', 'all']),
  '--venue': z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/).optional(),
  '--symbol': z.string().regex(/^[A-Za-z0-9_.-]{1,24}(\/[A-Za-z0-9_.-]{1,24})?$/).optional(),
  '--strategy': z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/).optional(),
  '--limit': z.number().int().min(1).max(1000),
  '--raw': z.boolean(),
});

interface OrderRow {
  orderId: string;
  clientOrderId?: string;
  strategy: string;
  venue: string;
  symbol: string;
  side: string;
  type: string;
  tif: string;
  status: string;
  priceTicks?: number;
  qtyLots: number;
  filledLots: number;
  /** Σ fill price × lots in tick·lots (decimal string; absent from daemons before it was added). */
  cumTickLots?: string;
  reason?: string;
}

/** Renders an `orders.get` result: decimal price, quantity and filled quantity (`table` undefined: ticks and lots, `--raw`). */
export function renderOrders(rows: readonly OrderRow[], table?: InstrumentTable): string {
  if (rows.length === 0) return '(no orders)';
  const head = ['order', 'client id', 'strategy', 'venue', 'symbol', 'side', 'type', 'tif', 'status'];
  if (table === undefined) {
    return formatTable(
      [...head, 'price (ticks)', 'qty (lots)', 'filled (lots)', 'avg price (ticks)', 'reason'],
      rows.map((o) => [o.orderId, o.clientOrderId, o.strategy, o.venue, o.symbol, o.side, o.type, o.tif, o.status, o.priceTicks, o.qtyLots, o.filledLots, o.cumTickLots === undefined || o.filledLots === 0 ? undefined : ratioSteps(BigInt(o.cumTickLots), BigInt(o.filledLots), '1'), o.reason]),
    );
  }
  return formatTable(
    [...head, 'price', 'qty', 'filled', 'avg price', 'reason'],
    rows.map((o) => [o.orderId, o.clientOrderId, o.strategy, o.venue, o.symbol, o.side, o.type, o.tif, o.status, table.price(o.venue, o.symbol, o.priceTicks), table.qty(o.venue, o.symbol, o.qtyLots), table.qty(o.venue, o.symbol, o.filledLots), table.avgPrice(o.venue, o.symbol, o.cumTickLots, o.filledLots), o.reason]),
  );
}

/** Registers `bot4 orders`. */
export function register(program: Command): void {
  connectionOptions(
    program
      .command('orders')
      .description("list a running daemon's orders (open by default)")
      .option('--status <s>', 'open, closed or all', 'open')
      .option('--venue <venue>', 'only this venue')
      .option('--symbol <symbol>', 'only this symbol (BTC/USDT)')
      .option('--strategy <id>', 'only this strategy')
      .option('--limit <n>', 'at most this many (the most recent), 1..1000', '100')
      .option('--raw', 'prices in ticks and quantities in lots'),
  ).action(async (raw: Record<string, unknown>) => {
    const o = parseClientOptions(raw);
    const lim = raw.limit as string;
    const f = parseOptions(schema, { '--status': raw.status, '--venue': raw.venue, '--symbol': raw.symbol, '--strategy': raw.strategy, '--limit': /^-?\d+(\.\d+)?$/.test(lim) ? Number(lim) : lim, '--raw': raw.raw === true }, '');
    const args = {
      status: f['--status'],
      limit: f['--limit'],
      ...(f['--venue'] === undefined ? {} : { venue: f['--venue'] }),
      ...(f['--symbol'] === undefined ? {} : { symbol: f['--symbol'] }),
      ...(f['--strategy'] === undefined ? {} : { strategy: f['--strategy'] }),
    };
    const [rows, table] = await withClient(o, (c) => Promise.all([c.request<OrderRow[]>('orders.get', args), o.json || f['--raw'] ? undefined : InstrumentTable.load(c)]));
    process.stdout.write(`${o.json ? JSON.stringify(rows) : renderOrders(rows, table)}\n`);
  });
}
