/**
 * Simulator memory with and without retention (issue 16): one venue in process (`Simulator.start`,
 * no participants, no rate limits), N client orders placed through the venue's matching engine
 * (the path every wire request takes after parsing: lock, match, ledger, commit hook), half of
 * them trading against a resting maker (fills, fees), half expiring at once (IOC below the book).
 * Each mode runs in its own child process so one's heap cannot disturb the other's: `off` (every
 * client order and balance entry kept: the behaviour before issue 16) and the default retention
 * (`DEFAULT_RETENTION`). At checkpoints: RSS, heap used after a full GC, client orders and entries
 * kept and compacted; at the end the place rate over the whole run and whether the ledger
 * reconciles (compacted sums + kept entries = balances, in atoms).
 *
 * Env: BOT4_BENCH_RET_ORDERS (500000). Run: npm run bench simulator-retention
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RETENTION, DEMO_API_KEY, Simulator } from '../simulators/index.js';
import { firstLine, table, writeSection } from './report.js';

const ORDERS = Number(process.env.BOT4_BENCH_RET_ORDERS ?? 500_000);
const CHECKPOINTS = [117_000, 250_000, 500_000, 1_000_000, 2_000_000].filter((n) => n < ORDERS).concat([ORDERS]);

interface Point {
  orders: number;
  rssMiB: number;
  heapMiB: number;
  kept: number;
  compacted: number;
  entriesKept: number;
  entriesCompacted: number;
}

interface ChildResult {
  mode: string;
  points: Point[];
  perSecond: number;
  reconciled: boolean;
  exact: boolean;
}

async function child(mode: 'off' | 'default'): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const sim = await Simulator.start({ venues: 1, port: 0, seed: 1, participants: false, rateLimits: false, selfTradePreventionMode: 'NONE', balances: { USDT: '1000000000', BTC: '100000' }, ...(mode === 'off' ? { retention: false as const } : {}) });
  const core = sim.venue('sim-a');
  const ins = core.instruments.get('BTCUSDT')!;
  const account = `user:${DEMO_API_KEY}`;
  const hi = ins.ticksOf(61_000);
  const lo = ins.ticksOf(10_000);
  const points: Point[] = [];
  let ns = 0;
  let k = 0;
  for (const target of CHECKPOINTS) {
    const t0 = process.hrtime.bigint();
    for (; k < target; k++) {
      // a maker that the next 10,000 crossing takers fill, 0.1 BTC each time
      if (k % 20_000 === 0) core.engine.place({ account, symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', priceTicks: ins.ticksOf(60_000), lots: 1_000_000, quoteOrderQty: 0n, clientOrderId: `m${k}` });
      const r = core.engine.place({ account, symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'IOC', priceTicks: k % 2 === 0 ? hi : lo, lots: 100, quoteOrderQty: 0n, clientOrderId: `o${k}` });
      if (!r.ok) throw new Error(`order ${k} refused: ${r.msg}`);
    }
    ns += Number(process.hrtime.bigint() - t0);
    gc?.();
    const m = process.memoryUsage();
    const l = core.ledger;
    points.push({ orders: target, rssMiB: m.rss / 2 ** 20, heapMiB: m.heapUsed / 2 ** 20, kept: l.orderCount, compacted: l.compacted.orders, entriesKept: l.entryCount, entriesCompacted: l.compacted.entries });
  }
  const snap = sim.ledger('sim-a', account);
  // compacted entry sums + kept entries = balances, in atoms
  const atoms = (s: string): bigint => {
    const neg = s.startsWith('-');
    const [i, f = ''] = (neg ? s.slice(1) : s).split('.');
    const v = BigInt(i!) * 100_000_000n + BigInt(f.padEnd(8, '0'));
    return neg ? -v : v;
  };
  const sums = new Map<string, bigint>();
  for (const [asset, b] of Object.entries(snap.compacted.accounts[account]?.entries ?? {})) sums.set(asset, atoms(b.free) + atoms(b.locked));
  for (const e of snap.entries) sums.set(e.asset, (sums.get(e.asset) ?? 0n) + atoms(e.freeDelta) + atoms(e.lockedDelta));
  let exact = true;
  for (const [asset, b] of Object.entries(snap.balances[account] ?? {})) if ((sums.get(asset) ?? 0n) !== atoms(b.free) + atoms(b.locked)) exact = false;
  const res: ChildResult = { mode, points, perSecond: ORDERS / (ns / 1e9), reconciled: snap.reconciled, exact };
  process.stdout.write(`${JSON.stringify(res)}\n`);
  await sim.stop();
}

async function run(mode: 'off' | 'default'): Promise<ChildResult> {
  const c = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', mode], { env: { ...process.env, BOT4_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(await firstLine(c, `retention child (${mode})`)) as ChildResult;
}

async function main(): Promise<void> {
  const load0 = loadavg();
  const off = await run('off');
  const on = await run('default');
  const load1 = loadavg();
  const f = (x: number): string => x.toFixed(0);
  const rows: (string | number)[][] = [];
  for (const r of [off, on]) {
    for (const p of r.points) rows.push([r.mode === 'off' ? '`retention: false` (before)' : `default (${DEFAULT_RETENTION.orders.toLocaleString('en-US')} orders, ${DEFAULT_RETENTION.entries.toLocaleString('en-US')} entries)`, p.orders.toLocaleString('en-US'), f(p.rssMiB), f(p.heapMiB), p.kept.toLocaleString('en-US'), p.compacted.toLocaleString('en-US'), p.entriesKept.toLocaleString('en-US'), p.entriesCompacted.toLocaleString('en-US')]);
  }
  for (const r of [off, on]) console.log(`${r.mode}: ${f(r.perSecond)} orders/s; end RSS ${f(r.points.at(-1)!.rssMiB)} MiB heap ${f(r.points.at(-1)!.heapMiB)} MiB; reconciled ${r.reconciled}, exact ${r.exact}`);
  const md = [
    `One venue in process (\`Simulator.start\`, no participants, no rate limits), ${ORDERS.toLocaleString('en-US')} client orders through \`engine.place\` (the venue's path after the wire parses a request: lock, match, ledger, commit hook), half trading against a resting maker, half expiring at once; each mode in its own process. RSS and heap used after a full GC at each checkpoint. Load: loadavg ${load0.map((x) => x.toFixed(2)).join(' ')} before, ${load1.map((x) => x.toFixed(2)).join(' ')} after, ${cpus().length} cores shared with other work.`,
    '',
    table(['retention', 'client orders placed', 'RSS MiB', 'heap after GC MiB', 'orders kept', 'orders compacted', 'entries kept', 'entries compacted'], rows),
    '',
    `- Place rate over the whole run: ${f(off.perSecond)}/s without retention, ${f(on.perSecond)}/s with the default (${(on.perSecond / off.perSecond).toFixed(2)}×).`,
    `- Ledger at the end: reconciled ${off.reconciled} / ${on.reconciled}; compacted entry sums + kept entries give every balance to the atom: ${off.exact} / ${on.exact} (without / with retention).`,
  ].join('\n');
  writeSection('simulator-retention', 'Simulator memory: retention (bounded client history)', md);
}

if (process.argv.includes('--child')) await child(process.argv[process.argv.indexOf('--child') + 1] === 'off' ? 'off' : 'default');
else await main();
process.exit(0);
