import type { Command } from 'commander';
import { ConfigError } from '../../common/errors.js';
import { describeValue } from '../../common/describe.js';
import { parseOptions, z } from '../../common/validate.js';
import { connectionOptions, formatTable, parseClientOptions, withClient } from '../../daemon/client.js';
import { rawSteps, toSteps } from '../decimal.js';
import { InstrumentTable, type InstrumentRow } from '../instrument-table.js';

const name = z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/);
const symbol = z.string().regex(/^[A-Za-z0-9_.-]{1,24}(\/[A-Za-z0-9_.-]{1,24})?$/);
const clientId = z.string().regex(/^[A-Za-z0-9_-]{1,36}$/);

const submitSchema = z.strictObject({
  '--venue': name,
  '--symbol': symbol,
  '--side': z.enum(['buy', 'sell']),
  '--type': z.enum(['limit', 'market', 'limit-maker']),
  '--tif': z.enum(['GTC', 'IOC', 'FOK']).optional(),
  '--price': z.string().optional(),
  '--qty': z.string(),
  '--client-id': clientId.optional(),
  '--strategy': name.optional(),
  '--reduce-only': z.boolean(),
  '--raw': z.boolean(),
});

const cancelAllSchema = z.strictObject({ '--venue': name.optional(), '--symbol': symbol.optional(), '--strategy': name.optional() });

/** `bot4 order submit`'s options, validated (before any connection). */
export type SubmitOptions = z.output<typeof submitSchema>;

/** What `order.submit` needs, built from `bot4 order submit`'s options. */
export type SubmitArgs = Record<string, unknown> & { venue: string; symbol: string; qtyLots: number; priceTicks?: number };

/**
 * Validates `bot4 order submit`'s options: every flag's shape, and `--price` present unless the
 * type is `market`. Decimal conversion needs the instrument: {@link submitArgs}.
 *
 * @throws ConfigError naming the option (`--qty: expected a string, got undefined` when missing)
 */
export function parseSubmit(raw: Record<string, unknown>): SubmitOptions {
  const f = parseOptions(
    submitSchema,
    {
      '--venue': raw.venue,
      '--symbol': raw.symbol,
      '--side': raw.side,
      '--type': raw.type,
      '--tif': raw.tif,
      '--price': raw.price,
      '--qty': raw.qty,
      '--client-id': raw.clientId,
      '--strategy': raw.strategy,
      '--reduce-only': raw.reduceOnly === true,
      '--raw': raw.raw === true,
    },
    '',
  );
  if (f['--price'] === undefined && f['--type'] !== 'market') throw new ConfigError('--price', `--price: expected a price for a ${f['--type']} order (only market orders may omit it), got undefined`);
  return f;
}

/**
 * Turns validated options into `order.submit` arguments: decimal `--price`/`--qty` become ticks
 * and lots of the instrument exactly (`--raw`: they are ticks and lots already). A `market` order
 * without `--price` is sent without `priceTicks` (the engine takes the last mid as its risk reference).
 *
 * @param instrumentOf the daemon's instrument for `--venue`/`--symbol` (throws naming the option when unknown)
 * @throws ConfigError naming the option: a bad decimal, a price that is not a multiple of the
 *   tick, a quantity that is not a multiple of the lot or outside the instrument's min..max
 */
export function submitArgs(f: SubmitOptions, instrumentOf: (venue: string, symbol: string) => InstrumentRow): SubmitArgs {
  const ins = instrumentOf(f['--venue'], f['--symbol']);
  const where = `${ins.venue} ${ins.symbol}`;
  const raws = f['--raw'];
  const qtyLots = raws ? rawSteps('--qty', f['--qty'], 'lots') : toSteps('--qty', f['--qty'], ins.lotSize, `lot size ${ins.lotSize} of ${where}`);
  const p = f['--price'];
  const priceTicks = p === undefined ? undefined : raws ? rawSteps('--price', p, 'ticks') : toSteps('--price', p, ins.tickSize, `tick size ${ins.tickSize} of ${where}`);
  if (qtyLots < ins.minQtyLots || qtyLots > ins.maxQtyLots) {
    throw new ConfigError('--qty', `--qty: expected ${raws ? `${ins.minQtyLots}..${ins.maxQtyLots} lots` : `a quantity between the minimum and maximum of ${where} (${ins.minQtyLots}..${ins.maxQtyLots} lots of ${ins.lotSize})`}, got ${describeValue(f['--qty'])}`);
  }
  return {
    venue: ins.venue,
    symbol: ins.symbol,
    side: f['--side'],
    type: f['--type'],
    ...(f['--tif'] === undefined ? {} : { tif: f['--tif'] }),
    ...(priceTicks === undefined ? {} : { priceTicks }),
    qtyLots,
    ...(f['--client-id'] === undefined ? {} : { clientOrderId: f['--client-id'] }),
    ...(f['--strategy'] === undefined ? {} : { strategy: f['--strategy'] }),
    ...(f['--reduce-only'] ? { reduceOnly: true } : {}),
  };
}

interface OrderAck {
  accepted: boolean;
  orderId?: string;
  clientOrderId?: string;
  reason?: string;
  message?: string;
}

/** Registers `bot4 order submit | cancel | cancel-all`. */
export function register(program: Command): void {
  const order = program.command('order').description('submit and cancel orders on a running daemon (needs a trade token)');

  connectionOptions(
    order
      .command('submit')
      .description('submit an order: decimal --price and --qty, converted exactly with the instrument\'s tick and lot size (see bot4 instruments)')
      .option('--venue <venue>', 'venue, e.g. sim-a (required)')
      .option('--symbol <symbol>', 'symbol, e.g. BTC/USDT (required)')
      .option('--side <side>', 'buy or sell (required)')
      .option('--type <type>', 'limit, market or limit-maker', 'limit')
      .option('--price <price>', 'decimal price, a multiple of the tick size (limit and limit-maker; optional for market)')
      .option('--qty <qty>', 'decimal quantity, a multiple of the lot size (required)')
      .option('--tif <tif>', 'GTC, IOC or FOK (default GTC)')
      .option('--client-id <id>', 'your client order id, 1-36 of [A-Za-z0-9_-] (refused when reused; cancel by it)')
      .option('--strategy <id>', 'book the order under this risk-listed strategy id (default api)')
      .option('--reduce-only', 'only reduce a position')
      .option('--raw', '--price in ticks and --qty in lots (integers) instead of decimals'),
  ).action(async (raw: Record<string, unknown>) => {
    const f = parseSubmit(raw);
    const o = parseClientOptions(raw);
    const ack = await withClient(o, async (c) => {
      const table = await InstrumentTable.load(c);
      const args = submitArgs(f, (v, s) => table.require(v, s));
      return c.request<OrderAck>('order.submit', args);
    });
    process.stdout.write(`${o.json ? JSON.stringify(ack) : formatTable(['accepted', 'order', 'client id', 'reason', 'message'], [[ack.accepted ? 'yes' : 'no', ack.orderId, ack.clientOrderId, ack.reason, ack.message]])}\n`);
    if (!ack.accepted) process.exitCode = 1;
  });

  connectionOptions(
    order
      .command('cancel')
      .description('cancel one order by its engine id (bot4 orders, first column) or by --client-id')
      .argument('[orderId]', "the engine's order id, e.g. api.1k9x2c7q.2s")
      .option('--client-id <id>', 'the client order id given at submit instead'),
  ).action(async (orderId: string | undefined, raw: Record<string, unknown>) => {
    const o = parseClientOptions(raw);
    const cid = raw.clientId as string | undefined;
    if ((orderId === undefined) === (cid === undefined)) throw new ConfigError('orderId', `orderId: expected an order id argument or --client-id (exactly one), got ${orderId === undefined ? 'neither' : 'both'}`);
    const args = orderId !== undefined ? parseOptions(z.strictObject({ orderId: z.string().min(1).max(64) }), { orderId }, '') : { clientOrderId: parseOptions(z.strictObject({ '--client-id': clientId }), { '--client-id': cid }, '')['--client-id'] };
    const r = await withClient(o, (c) => c.request<{ canceled: boolean; orderId?: string; reason?: string }>('order.cancel', args));
    process.stdout.write(`${o.json ? JSON.stringify(r) : formatTable(['canceled', 'order', 'reason'], [[r.canceled ? 'yes' : 'no', r.orderId, r.reason]])}\n`);
    if (!r.canceled) process.exitCode = 1;
  });

  connectionOptions(
    order
      .command('cancel-all')
      .description('cancel every open order (of a venue, symbol or strategy when given)')
      .option('--venue <venue>', 'only this venue')
      .option('--symbol <symbol>', 'only this symbol')
      .option('--strategy <id>', 'only this strategy'),
  ).action(async (raw: Record<string, unknown>) => {
    const o = parseClientOptions(raw);
    const f = parseOptions(cancelAllSchema, { '--venue': raw.venue, '--symbol': raw.symbol, '--strategy': raw.strategy }, '');
    const args = { ...(f['--venue'] === undefined ? {} : { venue: f['--venue'] }), ...(f['--symbol'] === undefined ? {} : { symbol: f['--symbol'] }), ...(f['--strategy'] === undefined ? {} : { strategy: f['--strategy'] }) };
    const r = await withClient(o, (c) => c.request<{ count: number }>('order.cancelAll', args));
    process.stdout.write(`${o.json ? JSON.stringify(r) : formatTable(['cancel requests'], [[r.count]])}\n`);
  });
}
