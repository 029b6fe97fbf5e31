import type { Command } from 'commander';
import { parseOptions, z } from '../../common/validate.js';
import { connectionOptions, formatTable, parseClientOptions, withClient } from '../../daemon/client.js';
import { fromSteps } from '../decimal.js';
import type { InstrumentRow } from '../instrument-table.js';

const schema = z.strictObject({ '--venue': z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/).optional(), '--raw': z.boolean() });

/** Renders `instruments.get`: tick and lot size, min/max quantity and the last mid in decimals (`raw`: lots and ticks). */
export function renderInstruments(rows: readonly InstrumentRow[], raw: boolean): string {
  if (rows.length === 0) return '(no instruments)';
  return raw
    ? formatTable(['venue', 'symbol', 'tick size', 'lot size', 'min qty (lots)', 'max qty (lots)', 'min notional', 'mid (ticks)'], rows.map((i) => [i.venue, i.symbol, i.tickSize, i.lotSize, i.minQtyLots, i.maxQtyLots, i.minNotional, i.midTicks]))
    : formatTable(
        ['venue', 'symbol', 'base', 'quote', 'tick size', 'lot size', 'min qty', 'max qty', 'min notional', 'mid'],
        rows.map((i) => [i.venue, i.symbol, i.base, i.quote, i.tickSize, i.lotSize, fromSteps(i.minQtyLots, i.lotSize), fromSteps(i.maxQtyLots, i.lotSize), i.minNotional, i.midTicks === undefined ? undefined : fromSteps(i.midTicks, i.tickSize)]),
      );
}

/** Registers `bot4 instruments`. */
export function register(program: Command): void {
  connectionOptions(
    program
      .command('instruments')
      .description("the instruments a running daemon trades: tick size, lot size, min/max quantity, min notional, last mid")
      .option('--venue <venue>', 'only this venue')
      .option('--raw', 'quantities in lots and the mid in ticks'),
  ).action(async (raw: Record<string, unknown>) => {
    const f = parseOptions(schema, { '--venue': raw.venue, '--raw': raw.raw === true }, '');
    const o = parseClientOptions(raw);
    const rows = await withClient(o, (c) => c.request<InstrumentRow[]>('instruments.get', f['--venue'] === undefined ? {} : { venue: f['--venue'] }));
    process.stdout.write(`${o.json ? JSON.stringify(rows) : renderInstruments(rows, f['--raw'])}\n`);
  });
}
