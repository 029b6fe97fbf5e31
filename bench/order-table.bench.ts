/**
 * The order table and its journal, CPU per order (`npm run bench order-table`, issue 13).
 *
 * The engine thread's work for one order of the order path, without the actors and the venue
 * around it: `OrderJournal.submitThen` (the order created, its record queued), `recordThen` of the
 * venue's accept (with a venue order id), and once `BOT4_BENCH_OT_RESTING` (10,000) orders rest,
 * `recordThen` of the oldest one's cancel — so the table holds 10k open orders and `maxClosed`
 * (10,000) closed ones, packed past the newest 256, as in the order-path bench at 10k orders/s. The
 * event loop turns every 8 orders (the journal's group commit, snapshot slices). Journal fsync
 * `interval` in a temp dir.
 *
 * Two configurations, interleaved `BOT4_BENCH_OT_REPS` times (3) over `BOT4_BENCH_OT_ORDERS` orders
 * (200,000) after 60,000 warm-up orders each: the default `snapshotEvery` (50,000 records, a
 * snapshot every ~16,700 orders) and the peer, `snapshotEvery: 0` (no snapshot): the difference is
 * what snapshots cost per order. Process CPU time (user + system) / orders; medians.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { OrderJournal } from '../actors/journal/order-journal.js';
import { listSnapshots } from '../actors/journal/segments.js';
import type { Instrument } from '../actors/orders/instrument.js';
import { LiveClock } from '../common/clock.js';
import { median, table, writeSection } from './report.js';

process.env.BOT4_LOG_LEVEL ??= 'warn';

const ORDERS = Number(process.env.BOT4_BENCH_OT_ORDERS ?? 200_000);
const REPS = Number(process.env.BOT4_BENCH_OT_REPS ?? 3);
const RESTING = Number(process.env.BOT4_BENCH_OT_RESTING ?? 10_000);
const WARM = 60_000;
const TURN = 8;
const INSTRUMENTS: Instrument[] = [{ venue: 'paper', symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001', minQtyLots: 1, maxQtyLots: 900_000_000, minNotional: '5' }];

interface Run {
  cpuUsPerOrder: number;
  snapshots: number;
  snapshotBytes: number;
}

async function run(snapshotEvery: number): Promise<Run> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bot4-bench-ot-'));
  const j = await OrderJournal.open({ dir, fsync: 'interval', snapshotEvery }, { clock: new LiveClock(), instruments: INSTRUMENTS, markInFlightUnknown: false });
  try {
    await j.adjustBalance('paper', 'USDT', 10n ** 30n);
    let snapshots = 0;
    const w = j.writer as unknown as { snapshot(s: unknown): Promise<number> };
    const snapshot = w.snapshot.bind(w);
    w.snapshot = (s: unknown): Promise<number> => {
      snapshots++;
      return snapshot(s);
    };
    const listener = { journaled: (): void => undefined };
    const done = (): void => undefined;
    const open: string[] = [];
    let head = 0;
    let c0 = process.cpuUsage();
    let s0 = 0;
    for (let i = 0; i < WARM + ORDERS; i++) {
      if (i === WARM) {
        c0 = process.cpuUsage();
        s0 = snapshots;
      }
      const o = j.submitThen('bench', { strategy: 'bench', venue: 'paper', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 100_000 - (i % 64), qtyLots: 1000 + i }, undefined, listener);
      j.recordThen(o.clientOrderId, { kind: 'accept', venueOrderId: String(1_000_000 + i) }, done, undefined, undefined);
      open.push(o.clientOrderId);
      if (open.length - head > RESTING) j.recordThen(open[head++]!, { kind: 'canceled' }, done, undefined, undefined);
      if (i % TURN === 0) await new Promise<void>((r) => setImmediate(r));
    }
    await j.flush();
    const c = process.cpuUsage(c0);
    const last = listSnapshots(dir).at(-1);
    return { cpuUsPerOrder: (c.user + c.system) / ORDERS, snapshots: snapshots - s0, snapshotBytes: last === undefined ? 0 : statSync(last.path).size };
  } finally {
    await j.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const withSnap: Run[] = [];
  const without: Run[] = [];
  for (let r = 0; r < REPS; r++) {
    withSnap.push(await run(50_000));
    without.push(await run(0));
    console.log('rep', r, 'snapshots on', withSnap.at(-1), 'off', without.at(-1));
  }
  const on = median(withSnap.map((x) => x.cpuUsPerOrder));
  const off = median(without.map((x) => x.cpuUsPerOrder));
  const md = [
    `The order table and its journal alone (\`OrderJournal.submitThen\`, the accept and, past ${RESTING.toLocaleString('en')} resting, the oldest order's cancel, \`recordThen\`; fsync \`interval\`; default \`orderStore\`: \`maxClosed\` 10,000, \`hotClosed\` 256): ${ORDERS.toLocaleString('en')} orders after ${WARM.toLocaleString('en')} warm-up, the event loop turning every ${TURN} orders; median of ${REPS} interleaved repetitions; process CPU (user + system) per order. Load while measuring: loadavg ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} on ${cpus().length} cores shared with other work. Command: \`npm run bench order-table\` (\`BOT4_BENCH_OT_ORDERS\`, \`BOT4_BENCH_OT_REPS\`, \`BOT4_BENCH_OT_RESTING\`).`,
    '',
    table(
      ['configuration', 'CPU µs per order (median)', 'runs', 'snapshots per run', 'snapshot file'],
      [
        ['`snapshotEvery` 50,000 (default)', on.toFixed(2), withSnap.map((x) => x.cpuUsPerOrder.toFixed(2)).join(', '), String(median(withSnap.map((x) => x.snapshots))), `${(median(withSnap.map((x) => x.snapshotBytes)) / 2 ** 20).toFixed(2)} MiB`],
        ['peer: `snapshotEvery` 0 (no snapshot)', off.toFixed(2), without.map((x) => x.cpuUsPerOrder.toFixed(2)).join(', '), '0', '–'],
      ],
    ),
    '',
    `- Snapshots cost ${(on - off).toFixed(2)} µs of CPU per order at this rate (${((on - off) / on * 100).toFixed(0)} % of the table's and journal's work): a snapshot holds the packed closed orders as their bytes and encodes only the orders held as objects (docs/journal.md#snapshot-format).`,
  ].join('\n');
  console.log(md);
  writeSection('order-table', 'Order table and journal: CPU per order, with and without snapshots', md);
}

await main();
