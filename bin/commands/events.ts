import type { Command } from 'commander';
import { ConfigError } from '../../common/errors.js';
import { describeValue } from '../../common/describe.js';
import { parseOptions, z } from '../../common/validate.js';
import { CliConnectError } from '../../daemon/errors.js';
import { DaemonClient, connectionOptions, parseClientOptions } from '../../daemon/client.js';
import { isValidTopic } from '../../gateway/protocol.js';
import { InstrumentTable } from '../instrument-table.js';

/** Topics followed when no `--topic` is given: everything but market data and actor latency. */
export const DEFAULT_EVENT_TOPICS = ['orders', 'fills', 'positions', 'balances', 'risk.denials', 'killswitch', 'breakers', 'status'] as const;

const schema = z.strictObject({ '--count': z.number().int().min(1).max(1_000_000_000).optional(), '--raw': z.boolean() });

/** Integer fields of events that are ticks or lots, and the decimal name they print under. */
const PRICE_FIELDS: Record<string, string> = { priceTicks: 'price', avgPriceTicks: 'avgPrice', bidTicks: 'bid', askTicks: 'ask', markTicks: 'mark', midTicks: 'mid' };
const QTY_FIELDS: Record<string, string> = { qtyLots: 'qty', filledLots: 'filled', lots: 'qty', bidLots: 'bidQty', askLots: 'askQty' };

/**
 * One line for a person: `<time> <topic> key=value ...`, scalar fields in the order the event has
 * them, ticks and lots as decimals of the event's instrument (`raw`: as they are). Nested objects
 * (a denial's intent) are flattened one level (`intent.side=buy`). Left out: `tNs`, and
 * `clientOrderId`/`state` where they repeat `orderId`/`status` (`--json` has everything).
 */
export function formatEvent(topic: string, data: unknown, table: InstrumentTable | undefined, now: Date = new Date()): string {
  const parts: string[] = [];
  const d = data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : { value: data };
  const add = (prefix: string, o: Record<string, unknown>, venue: unknown, symbol: unknown): void => {
    for (const [k, v] of Object.entries(o)) {
      // what a person does not need twice (or at all): the type is printed up front, the engine's
      // id is orderId, state is status, tNs is the engine clock's nanoseconds
      if (v === undefined || k === 'type' || k === 'tNs' || (k === 'clientOrderId' && v === o.orderId) || (k === 'state' && v === o.status)) continue;
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && prefix === '') {
        const inner = v as Record<string, unknown>;
        add(`${k}.`, inner, inner.venue ?? venue, inner.symbol ?? symbol);
        continue;
      }
      const ins = table !== undefined && typeof venue === 'string' && typeof symbol === 'string' ? table.get(venue, symbol) : undefined;
      if (ins !== undefined && typeof v === 'number' && PRICE_FIELDS[k] !== undefined) parts.push(`${prefix}${PRICE_FIELDS[k]}=${table!.price(venue as string, symbol as string, v)}`);
      else if (ins !== undefined && typeof v === 'number' && QTY_FIELDS[k] !== undefined) parts.push(`${prefix}${QTY_FIELDS[k]}=${table!.qty(venue as string, symbol as string, v)}`);
      else parts.push(`${prefix}${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`);
    }
  };
  add('', d, d.venue, d.symbol);
  const type = typeof d.type === 'string' ? ` ${d.type}` : '';
  return `${now.toISOString().slice(11, 23)} ${topic}${type} ${parts.join(' ')}`.trimEnd();
}

/** Registers `bot4 events`. */
export function register(program: Command): void {
  connectionOptions(
    program
      .command('events')
      .description("follow a running daemon's events, one line each, until Ctrl-C (--json: one JSON object per line)")
      .option('--topic <topic>', `a topic to follow, repeatable (default: ${DEFAULT_EVENT_TOPICS.join(', ')}); also actors.latency and md.<ticker|trade|book>.<venue>.<symbol>`, (v: string, prev: string[]) => [...prev, v], [] as string[])
      .option('--count <n>', 'exit 0 after this many events')
      .option('--raw', 'prices in ticks and quantities in lots'),
  ).action(async (raw: Record<string, unknown>) => {
    const topics = (raw.topic as string[]).length === 0 ? [...DEFAULT_EVENT_TOPICS] : (raw.topic as string[]);
    for (const t of topics) if (!isValidTopic(t)) throw new ConfigError('--topic', `--topic: expected a known topic (orders, fills, positions, balances, breakers, risk.denials, actors.latency, killswitch, status, md.<ticker|trade|book>.<venue>.<symbol>), got ${describeValue(t)}`);
    const n = raw.count as string | undefined;
    const f = parseOptions(schema, { '--count': n !== undefined && /^-?\d+$/.test(n) ? Number(n) : n, '--raw': raw.raw === true }, '');
    const o = parseClientOptions(raw);
    const c = await DaemonClient.connect(o);
    let seen = 0;
    let stopping = false;
    const stop = (): void => {
      stopping = true;
      c.close();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const table = f['--raw'] || o.json ? undefined : await InstrumentTable.load(c);
      c.onEvent((topic, data) => {
        if (stopping) return;
        process.stdout.write(`${o.json ? JSON.stringify({ topic, data }) : formatEvent(topic, data, table)}\n`);
        if (f['--count'] !== undefined && ++seen >= f['--count']) stop();
      });
      await c.request('subscribe', { topics });
      const code = await c.closed;
      if (!stopping) throw new CliConnectError(o.url, `connection closed by the daemon (${code})`);
    } finally {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      c.close();
    }
  });
}
