/**
 * The engine process of a chaos run: `node --import tsx chaos/engine-process.ts <config.json>`.
 * A separate process so that the runner can SIGKILL it and start it again on the same journal.
 *
 * Protocol on stdout, one line each: `READY` once every venue is synced and the strategies run;
 * `STATS <json>` every `statsMs` (see {@link EngineStatsLine}); `SETTLED <json>` after a `settle`
 * command. Commands arrive on stdin as JSON lines: `{"cmd":"crash","address":"exchange.sim-a"}`
 * (`ActorSystem.injectFault`: the actor's next control delivery throws, the supervisor restarts it) and
 * `{"cmd":"settle"}` (stop the strategies, cancel every open order, wait until no order is open,
 * submitted or unknown, close the journal, exit 0).
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setup } from 'xstate';
import { LiveClock } from '../common/clock.js';
import type { Envelope } from '../actors/runtime/envelope.js';
import type { Ticker } from '../actors/messages.js';
import { Engine } from '../actors/engine/engine.js';
import type { StrategySpec } from '../actors/strategy/strategy.js';
import { isCcxtWsRejection } from './rejections.js';

/** What the runner writes into the config file. */
export interface EngineProcessConfig {
  journalDir: string;
  fsync: 'always' | 'interval' | 'never';
  venues: { name: string; rest: string; ws: string; wsApi: string; apiKey: string; secret: string; timeoutMs: number; breaker: Record<string, unknown>; actor: Record<string, unknown> }[];
  symbols: string[];
  strategies: StrategySpec[];
  statsMs: number;
  /** Bound on the settle phase (ms). */
  settleMs: number;
}

/** One `STATS` line. */
export interface EngineStatsLine {
  /** Wall clock (epoch ms) of the sample. */
  t: number;
  pid: number;
  rssMb: number;
  heapMb: number;
  /** Orders in the journal, open ones, and those whose outcome is unknown right now. */
  orders: number;
  open: number;
  unknownOpen: number;
  venues: Record<string, { state: string; breaker: string; submitted: number; accepted: number; rejected: number; denied: number; unknown: number; resolved: number; downs: number; lastRecoveryMs: number }>;
  /**
   * Position (lots, signed) per `venue:symbol` the engine holds, and PnL summed over them in quote
   * units (display figures for the report's chart; the exact books are the journal's): realized
   * (fees excluded), unrealized at the last ticker mid, fees paid in quote assets.
   */
  positions?: Record<string, number>;
  pnl?: { realized: number; unrealized: number; fees: number };
}

// ccxt.pro WebSocket-client rejections are counted and reported; any other unhandled rejection is an
// engine bug and ends the process (see chaos/rejections.ts).
process.on('unhandledRejection', (reason) => {
  if (!isCcxtWsRejection(reason)) {
    process.stderr.write(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`);
    process.exit(70);
  }
  process.stdout.write(`REJECTION ${JSON.stringify({ t: Date.now(), name: reason.name, message: reason.message.slice(0, 200) })}\n`);
});

// Start-up phases on stderr (engine.log): where a slow restart spent its time.
const phase = (name: string): void => {
  process.stderr.write(`[engine-process ${process.pid}] ${name} at ${Math.round(process.uptime() * 1000)} ms after process start\n`);
};
phase('modules loaded');
const cfg = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as EngineProcessConfig;
const clock = new LiveClock();
const strategies = Object.fromEntries(cfg.strategies.map((s) => [s.id, {}]));
const engine = await Engine.start(
  {
    journal: { dir: cfg.journalDir, fsync: cfg.fsync },
    venues: cfg.venues,
    symbols: cfg.symbols,
    risk: {
      strategies,
      checks: { staleData: false, correlation: false },
      defaults: { instrument: { maxOpenOrders: 100_000 }, venue: { maxOpenOrders: 100_000, rate: { perSecond: 1000, burst: 1000 } }, strategy: { rate: { perSecond: 1000, burst: 1000 } } },
      portfolio: { maxOpenOrders: 100_000 },
    },
  },
  { clock },
);

phase('Engine.start done (journal replayed, venue actors spawned)');
// Last ticker mid per `venue:symbol`: the mark of the PnL in STATS lines.
const marks = new Map<string, number>();
engine.system.spawn('chaos.marks', setup({}).createMachine({ id: 'chaos-marks' }), {
  handle: (e: Envelope) => {
    if (e.type !== 'md.ticker') return;
    const t = e.payload as Ticker;
    if (t.bidTicks > 0 && t.askTicks > t.bidTicks) marks.set(`${t.venue}:${t.symbol}`, Math.round((t.bidTicks + t.askTicks) / 2));
  },
});
engine.system.subscribe('md.ticker.>', 'chaos.marks');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const print = (s: string): boolean => process.stdout.write(`${s}\n`);

function stats(): EngineStatsLine {
  const m = process.memoryUsage();
  let open = 0;
  let unknownOpen = 0;
  for (const o of engine.journal.orders.openOrders()) {
    open++;
    if (o.state === 'unknown') unknownOpen++;
  }
  const venues: EngineStatsLine['venues'] = {};
  for (const [name, st] of Object.entries(engine.venueStats())) {
    const denied = Object.values(st.denied).reduce((a, b) => a + b, 0);
    venues[name] = {
      state: st.state,
      breaker: engine.venues.get(name)!.breaker.state,
      submitted: st.submitted,
      accepted: st.accepted,
      rejected: st.rejected,
      denied,
      unknown: st.unknown,
      resolved: st.resolved,
      downs: st.downs,
      lastRecoveryMs: Math.round(st.lastRecoveryNs / 1e6),
    };
  }
  const pf = engine.journal.portfolio;
  const positions: Record<string, number> = {};
  let realized = 0;
  let unrealized = 0;
  let fees = 0;
  const quotes = new Set<string>();
  for (const { venue, symbol, position } of pf.allPositions()) {
    const quote = pf.instrument(venue, symbol).quote;
    quotes.add(`${venue} ${quote}`);
    positions[`${venue}:${symbol}`] = Number(position.qtyLots);
    realized += Number(pf.fromAtoms(quote, position.realizedAtoms));
    const mark = marks.get(`${venue}:${symbol}`);
    if (mark !== undefined && position.qtyLots !== 0n) unrealized += Number(pf.fromAtoms(quote, pf.unrealizedAtoms(venue, symbol, mark)));
  }
  for (const k of quotes) {
    const [venue, quote] = k.split(' ') as [string, string];
    fees += Number(pf.fromAtoms(quote, pf.fees(venue, quote)));
  }
  return { t: Date.now(), pid: process.pid, rssMb: Math.round(m.rss / 1048576), heapMb: Math.round(m.heapUsed / 1048576), orders: engine.journal.orders.size, open, unknownOpen, venues, positions, pnl: { realized, unrealized, fees } };
}

// Bounded: a venue that never syncs fails the run instead of hanging it.
const syncDeadline = Date.now() + 60_000;
while (!engine.venuesSynced && Date.now() < syncDeadline) await sleep(10);
if (!engine.venuesSynced) {
  process.stderr.write(`venues not synced within 60 s: ${JSON.stringify(engine.venueStats())}\n`);
  process.exit(3);
}
phase('venues synced');
for (const spec of cfg.strategies) await engine.addStrategy(spec);
phase('READY');
print('READY');
const timer = setInterval(() => print(`STATS ${JSON.stringify(stats())}`), cfg.statsMs);

async function settle(): Promise<void> {
  clearInterval(timer);
  for (const h of engine.strategies.values()) h.stop();
  engine.cancelAll('settle');
  const busy = (): number => engine.journal.orders.openCount;
  const deadline = Date.now() + cfg.settleMs;
  let last = 0;
  while (busy() > 0 && Date.now() < deadline) {
    await sleep(50);
    print(`STATS ${JSON.stringify(stats())}`);
    // Re-issue the sweep at most every 500 ms: orders that were unknown may have resolved to open.
    if (busy() > 0 && Date.now() - last > 500) {
      engine.cancelAll('settle');
      last = Date.now();
    }
  }
  const final = stats();
  const left = [...engine.journal.orders.openOrders()].map((o) => `${o.clientOrderId}:${o.state}`);
  const instruments = engine.instruments;
  await engine.stop();
  print(`SETTLED ${JSON.stringify({ left, stats: final, instruments })}`);
  process.exit(0);
}

/** Fails the actor's current incarnation through the runtime's fault hook; its supervisor restarts it. */
function crash(address: string): void {
  try {
    engine.system.injectFault(address, new Error(`chaos: crash of ${address} requested`));
  } catch (e) {
    // An unknown or stopped address is the runner's mistake, not a reason to end the engine.
    process.stderr.write(`crash ${address}: ${e instanceof Error ? e.message : String(e)}\n`);
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  let msg: { cmd?: string; address?: string };
  try {
    msg = JSON.parse(line) as typeof msg;
  } catch {
    return;
  }
  if (msg.cmd === 'crash' && typeof msg.address === 'string') crash(msg.address);
  else if (msg.cmd === 'settle') void settle();
});
