import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LiveClock, type Clock } from '../common/clock.js';
import { OrderJournal } from '../actors/journal/order-journal.js';
import type { FaultEvent as NetworkEvent } from '../simulators/wire/faults.js';
import type { LedgerSnapshot } from '../simulators/venue/ledger.js';
import { checkLedger, userAccount, type LedgerCheckReport } from './ledger-check/ledger-check.js';
import { BINANCE_LIMITS } from '../simulators/wire/rate-limit.js';
import type { EngineProcessConfig, EngineStatsLine } from './engine-process.js';
import { EngineHandle, type SettledLine } from './engine-handle.js';
import { Injector } from './injector.js';
import { checkExpectations, percentile, recoverySamples, submissionLatency, unknownResolution, type Check, type ExecutedFault, type ProfileChange, type ProfileLatency, type RecoverySample } from './metrics.js';
import { canonical, planFaults, planHash, type PlannedFault } from './plan.js';
import { renderReportHtml } from './report-html.js';
import { describeRun } from './describe-run.js';
import { formatProgress, type ProgressState, type RunPhase } from './progress.js';
import { reportSeries, type ReportSeries } from './time-series.js';
import type { Scenario } from './scenario.js';

/** Options of {@link runScenario}. */
export interface RunOptions {
  /** Overrides the scenario's seed. */
  seed?: number;
  /** Time compression: 2 runs the timeline twice as fast (fault durations too). */
  speed?: number;
  /** Output folder (report.json, report.html, ledgers.json, engine-stats.jsonl, engine.log, journal/). */
  out: string;
  /**
   * Progress sink (default: none): the line ({@link formatProgress}) and the state it shows, every
   * 500 ms and at once on each phase change; `final` for the verdict line at the end.
   */
  progress?: (line: string, final: boolean, state?: ProgressState) => void;
  clock?: Clock;
}

/** report.json. */
export interface ChaosReport {
  scenario: string;
  /** What this run (this variant) actually ran, generated from its timeline ({@link describeRun}). */
  description: string;
  /** The scenario file's own `description:` (it describes the full variant). */
  about: string;
  ci: boolean;
  seed: number;
  speed: number;
  durationMs: number;
  startedAt: string;
  wallMs: number;
  verdict: 'pass' | 'fail';
  checks: Check[];
  hashes: { plan: string; networkEvents: string; eventLog: string };
  plan: PlannedFault[];
  faults: ExecutedFault[];
  networkEvents: number;
  engine: { starts: number; kills: number; actorKills: number; maxRssMb: number; settledLeft: string[]; health: EngineHealth; unhandledRejectionCount: number; unhandledRejections: { t: number; name: string; message: string }[] };
  orders: { total: number; ok: number; failed: number; unknownResolved: number; anomalous: number; perVenueAccepted: Record<string, number> };
  ledger: LedgerCheckReport;
  recovery: { samples: RecoverySample[]; byKind: Record<string, { n: number; p50: number | null; p99: number | null; max: number | null; unrecovered: number }> };
  unknownResolvedMs: (number | null)[];
  /** Order submission round trip (journaled submit → venue answer applied) per network profile. */
  latencyByProfile: ProfileLatency[];
  stats: EngineStatsLine[];
  /** Engine-side view per venue at settle: probe back → first accepted (ms, the venue actor's own figure). */
  engineLastRecoveryMs: Record<string, number>;
  /** Time series on one axis (seconds from the timeline's start): latency, PnL and positions, outcomes, fault markers. */
  series: ReportSeries;
}

/** Engine start attempts before a run gives up (each failure is recorded). */
const MAX_START_ATTEMPTS = 5;
/** No STATS line for this long from a running engine is recorded as a stall. */
const STALL_MS = 5000;

/** What went wrong with the engine processes themselves (each entry fails the run's health check). */
export interface EngineHealth {
  /** A start that ended (exit, or silence past the ready timeout) before READY; it was retried. */
  startFailures: { t: number; pid: number; error: string }[];
  /** An engine process that exited without being SIGKILLed by the runner, before the settle. */
  unplannedExits: { t: number; pid: number; code: number | null; signal: string | null }[];
  /** A running engine process that printed no STATS line for more than 5 s. */
  stalls: { t: number; pid: number; silentMs: number }[];
}

/** ccxt.pro WebSocket rejections kept in report.json (all are counted). */
const MAX_REJECTIONS_KEPT = 200;

/** Control events of the network model (not per-connection link openings or per-message decisions). */
const CONTROL_EVENTS = new Set(['model.init', 'model.reset', 'profile.set', 'profile.clear', 'outage.set', 'outage.clear', 'outage.expire']);

/** SHA-256 over the network model's control events in order, without sequence numbers and times. */
export function networkEventsHash(events: readonly NetworkEvent[]): string {
  const h = createHash('sha256');
  for (const e of events) {
    const { seq: _s, atNs: _a, ...rest } = e as NetworkEvent & { seq?: number; atNs?: number };
    h.update(`${canonical(rest)}\n`);
  }
  return h.digest('hex');
}

/** The hash a run reports as its event-log hash: plan hash and network control-event hash together. */
export function eventLogHash(plan: string, network: string): string {
  return createHash('sha256').update(`${plan}\n${network}\n`).digest('hex');
}

function describe(f: PlannedFault): string {
  switch (f.kind) {
    case 'profile':
      return `${f.venue} profile ${f.profile}`;
    case 'outage':
      return `${f.venue} ${f.mode}${f.scope === 'all' ? '' : `/${f.scope}`}`;
    case 'outage-end':
      return `${f.venue} heal${f.mode === undefined ? '' : ` ${f.mode}`}${f.scope === 'all' ? '' : `/${f.scope}`}`;
    case 'kill-actor':
      return `kill ${f.target}`;
    case 'kill-engine':
      return 'SIGKILL engine';
    case 'crisis':
      return `${f.venue} crisis ${f.scenario}`;
    case 'crisis-end':
      return `${f.venue} crisis over`;
    case 'limits':
      return `${f.venue} rate-limit storm`;
    case 'limits-end':
      return `${f.venue} limits restored`;
    case 'partition':
      return 'owner cut from NATS';
    case 'partition-end':
      return 'owner reconnected to NATS';
  }
}

/**
 * Runs one scenario end to end: simulator venues in this process, the engine in a child process,
 * the planned faults through the control API (and SIGKILL / actor crashes on the engine), then a
 * heal of everything, the engine's settle (no open, submitted or unknown order), the ledger check,
 * the figures and the verdict. Writes `report.json` and `report.html` into `out`.
 */
export async function runScenario(s: Scenario, o: RunOptions): Promise<ChaosReport> {
  const { Simulator, DEMO_API_KEY, DEMO_API_SECRET } = await import('../simulators/simulator.js');
  const clock = o.clock ?? new LiveClock();
  const speed = o.speed ?? 1;
  const seed = o.seed ?? s.seed;
  const plan = planFaults(s, seed);
  const pHash = planHash(plan);
  mkdirSync(o.out, { recursive: true });
  const journalDir = path.join(o.out, 'journal');
  rmSync(journalDir, { recursive: true, force: true });
  const sleep = (ms: number): Promise<void> => new Promise((r) => clock.setTimer(Math.max(0, Math.round(ms)), r));

  const limits = { ...BINANCE_LIMITS, ...s.venues.rateLimits } as Record<string, number>;
  const sim = await Simulator.start({ venues: s.venues.count, seed, port: 0, profile: s.venues.profile, rateLimits: s.venues.rateLimits });
  const netEvents: NetworkEvent[] = sim.network.events?.().filter((e) => CONTROL_EVENTS.has(e.type)) ?? [];
  const unsub = sim.network.subscribe?.((e) => {
    if (CONTROL_EVENTS.has(e.type)) netEvents.push(e);
  });
  const venues = sim.venues.map((v) => v.name);
  const traded = new Set(s.strategies.flatMap((st) => st.instruments.map((i) => i.split(':')[0]!)));
  const injector = new Injector(sim.controlUrl, s.venues.profile, limits);
  const stats: EngineStatsLine[] = [];
  const faults: ExecutedFault[] = [];
  const rejections: { t: number; name: string; message: string }[] = [];
  let rejectionCount = 0;
  const startedAt = new Date(clock.epochMs()).toISOString();
  const t0 = clock.epochMs();
  let starts = 0;
  let kills = 0;
  let actorKills = 0;
  let phase: RunPhase = 'starting';
  // Epoch ms of the timeline's second 0 (set once the first engine is ready).
  let runStart = t0;
  const progressState = (): ProgressState => {
    const last = stats[stats.length - 1];
    const now = clock.epochMs();
    const planned = (s.duration + s.tail) / speed;
    const etaMs = phase === 'starting' ? planned : phase === 'faults' || phase === 'healing' || phase === 'tail' ? Math.max(0, runStart + planned - now) : undefined;
    return {
      scenario: s.name,
      phase,
      elapsedMs: now - t0,
      etaMs,
      orders: last?.orders ?? 0,
      open: last?.open ?? 0,
      unknown: last?.unknownOpen ?? 0,
      faultsDone: faults.length,
      faultsPlanned: plan.length,
      venues: last === undefined ? '' : Object.entries(last.venues).map(([k, v]) => `${k}:${v.state}/${v.breaker}`).join(' '),
      rssMb: last?.rssMb ?? 0,
    };
  };
  const emitProgress = (): void => {
    if (o.progress === undefined) return;
    const st = progressState();
    o.progress(formatProgress(st), false, st);
  };
  const setPhase = (p: RunPhase): void => {
    phase = p;
    emitProgress();
  };
  emitProgress();

  const cfg: EngineProcessConfig = {
    journalDir,
    fsync: s.engine.fsync,
    venues: sim.venues.map((v) => ({ name: v.name, rest: v.rest, ws: v.ws, wsApi: v.wsApi, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, timeoutMs: s.engine.timeoutMs, breaker: s.engine.breaker, actor: s.engine.actor })),
    symbols: [...s.engine.symbols],
    strategies: s.strategies.map((x) => ({ id: x.id, kind: x.kind, instruments: [...x.instruments], params: { ...x.params } })),
    statsMs: 200,
    settleMs: 60_000,
  };
  const cfgFile = path.join(o.out, 'engine-config.json');
  writeFileSync(cfgFile, JSON.stringify(cfg, null, 2));
  const logFile = path.join(o.out, 'engine.log');
  rmSync(logFile, { force: true });
  const health: EngineHealth = { startFailures: [], unplannedExits: [], stalls: [] };
  let lastStatsAt = clock.epochMs();
  let stalledPid = -1;
  let settling = false;
  const startEngine = (): EngineHandle => {
    starts++;
    return new EngineHandle(
      cfgFile,
      (st) => {
        stats.push(st);
        lastStatsAt = clock.epochMs();
      },
      (r) => {
        rejectionCount++;
        if (rejections.length < MAX_REJECTIONS_KEPT) rejections.push(r);
      },
      90_000,
      logFile,
    );
  };

  /**
   * Starts an engine process and waits for its READY line. A start that fails (the process exits
   * or stays silent before READY) is recorded in `engine.health.startFailures` and retried after
   * 500 ms, as a process supervisor would, up to {@link MAX_START_ATTEMPTS} times. An exit the
   * runner did not cause (before the settle) is recorded in `unplannedExits`.
   */
  const boot = async (): Promise<EngineHandle> => {
    for (let attempt = 1; ; attempt++) {
      const h = startEngine();
      try {
        await h.ready;
      } catch (e) {
        health.startFailures.push({ t: clock.epochMs(), pid: h.child.pid ?? 0, error: (e instanceof Error ? e.message : String(e)).slice(0, 1500) });
        if (h.child.exitCode === null && h.child.signalCode === null) await h.kill();
        if (attempt >= MAX_START_ATTEMPTS) throw e;
        await sleep(500);
        continue;
      }
      lastStatsAt = clock.epochMs();
      void h.exited.then((code) => {
        if (!h.killedByRunner && !settling) health.unplannedExits.push({ t: clock.epochMs(), pid: h.child.pid ?? 0, code, signal: h.child.signalCode });
      });
      return h;
    }
  };

  const progressTimer = setInterval(() => {
    // A running engine prints STATS every 200 ms: silence for STALL_MS means its event loop is stuck
    // (or its stdout is): recorded once per process.
    const now = clock.epochMs();
    if (engine !== undefined && engine.running && !settling && now - lastStatsAt > STALL_MS && stalledPid !== engine.child.pid) {
      stalledPid = engine.child.pid ?? 0;
      health.stalls.push({ t: now, pid: stalledPid, silentMs: now - lastStatsAt });
    }
    emitProgress();
  }, 500);

  let engine: EngineHandle | undefined;
  let restarting: Promise<void> = Promise.resolve();
  let settled: SettledLine;
  let finalHealAt: number;
  let ledgers: Map<string, LedgerSnapshot>;
  const account = userAccount(DEMO_API_KEY);
  // The engine a fault is applied to: a restart in progress finishes first; one that died on its own is started again.
  const running = async (): Promise<EngineHandle> => {
    await restarting;
    if (engine === undefined || engine.child.exitCode !== null || engine.child.signalCode !== null) engine = await boot();
    return engine;
  };
  try {
    engine = await boot();
    runStart = clock.epochMs();
    setPhase('faults');
    for (const f of plan) {
      const due = runStart + f.atMs / speed;
      const wait = due - clock.epochMs();
      if (wait > 0) await sleep(wait);
      const ex: ExecutedFault = { seq: f.seq, kind: f.kind, atMs: f.atMs, t: clock.epochMs(), label: describe(f), ...(f.venue === undefined ? {} : { venue: f.venue }), ...(f.target === undefined ? {} : { target: f.target }), ...(f.mode === undefined ? {} : { mode: f.mode }), ...(f.scope === undefined ? {} : { scope: f.scope }), ...(f.recovery === undefined ? {} : { recovery: f.recovery }), ...(f.profile === undefined ? {} : { profile: f.profile }) };
      if (f.kind === 'kill-actor') {
        // An actor can only be killed in a running engine: wait for a restart in progress.
        const e = await running();
        ex.t = clock.epochMs();
        e.crash(f.target!);
        actorKills++;
      } else if (f.kind === 'kill-engine') {
        const e = await running();
        ex.t = clock.epochMs();
        await e.kill();
        kills++;
        restarting = (async () => {
          await sleep((f.restartAfterMs ?? 0) / speed);
          ex.restartedAt = clock.epochMs();
          engine = await boot();
          ex.readyAt = engine.readyAt;
        })();
      } else {
        await injector.apply(f);
      }
      faults.push(ex);
    }
    const end = runStart + s.duration / speed;
    if (end > clock.epochMs()) await sleep(end - clock.epochMs());
    await running();
    setPhase('healing');
    finalHealAt = clock.epochMs();
    await injector.healAll(venues);
    setPhase('tail');
    await sleep(s.tail / speed);
    setPhase('settling');
    const last = await running();
    settling = true;
    settled = await last.settle(cfg.settleMs + 30_000);
    await engine!.exited;
    // The venues' side, read while the simulator still runs (nothing changes it any more).
    ledgers = new Map<string, LedgerSnapshot>(venues.map((v) => [v, sim.ledger(v, account)]));
  } finally {
    clearInterval(progressTimer);
    if (engine !== undefined && engine.child.exitCode === null && engine.child.signalCode === null) await engine.kill();
    unsub?.();
    await sim.stop();
  }
  const nHash = networkEventsHash(netEvents);
  setPhase('checking');

  const journal = await OrderJournal.open({ dir: journalDir, fsync: 'never' }, { clock, instruments: settled.instruments, portfolio: { assetDecimals: Object.fromEntries(settled.instruments.flatMap((i) => [[i.base, 8], [i.quote, 8]])) } });
  let ledger: LedgerCheckReport;
  let total: number;
  let latency: ProfileLatency[];
  let series: ReportSeries;
  try {
    total = journal.orders.size;
    const changes: ProfileChange[] = faults.filter((f) => f.kind === 'profile' && f.profile !== undefined && f.venue !== undefined && (f.scope === undefined || f.scope === 'all' || f.scope === 'rest')).map((f) => ({ venue: f.venue!, t: f.t, profile: f.profile! }));
    for (const v of venues) changes.push({ venue: v, t: finalHealAt, profile: s.venues.profile });
    latency = submissionLatency(journal.orders.values(), changes, s.venues.profile);
    series = reportSeries({ t0: runStart, stats, faults, orders: journal.orders.values() });
    ledger = checkLedger({ orders: journal.orders, portfolio: journal.portfolio }, venues.map((v) => ({ venue: v, ledger: ledgers.get(v)!, account })), { instruments: settled.instruments });
  } finally {
    await journal.close();
  }

  const samples = recoverySamples(faults, ledgers, account, traded);
  // A restarted engine can resolve nothing before it runs: its unknowns are timed from its READY
  // (start-up is what restartP99Ms measures); every other heal from the heal itself.
  const heals = [...faults.filter((f) => f.recovery !== undefined).map((f) => f.readyAt ?? f.restartedAt ?? f.t), finalHealAt];
  const unknownResolvedMs = unknownResolution(heals, stats);
  const maxRssMb = Math.max(0, ...stats.map((x) => x.rssMb));
  const checks = checkExpectations(s.expect, { orders: total, ledger, recovery: samples, unknownResolvedMs, maxRssMb, settledLeft: settled.left, engineHealth: { startFailures: health.startFailures.length, unplannedExits: health.unplannedExits.length, stalls: health.stalls.length } });
  const byKind: ChaosReport['recovery']['byKind'] = {};
  for (const kind of [...new Set(samples.map((x) => x.kind))].sort()) {
    const xs = samples.filter((x) => x.kind === kind);
    const ms = xs.filter((x) => x.ms !== null).map((x) => x.ms!);
    byKind[kind] = { n: xs.length, p50: ms.length ? percentile(ms, 50) : null, p99: ms.length ? percentile(ms, 99) : null, max: ms.length ? Math.max(...ms) : null, unrecovered: xs.length - ms.length };
  }
  const perVenueAccepted = Object.fromEntries([...ledgers].map(([v, l]) => [v, l.orders.filter((x) => x.account === account && x.status !== 'REJECTED').length]));
  const engineLastRecoveryMs = Object.fromEntries(Object.entries(settled.stats.venues).map(([v, x]) => [v, x.lastRecoveryMs]));
  const report: ChaosReport = {
    scenario: s.name,
    description: describeRun(s, { seed, speed }),
    about: s.description,
    ci: s.ci,
    seed,
    speed,
    durationMs: s.duration,
    startedAt,
    wallMs: clock.epochMs() - t0,
    verdict: checks.every((c) => c.ok) ? 'pass' : 'fail',
    checks,
    hashes: { plan: pHash, networkEvents: nHash, eventLog: eventLogHash(pHash, nHash) },
    plan,
    faults,
    networkEvents: netEvents.length,
    engine: { starts, kills, actorKills, maxRssMb, settledLeft: settled.left, health, unhandledRejectionCount: rejectionCount, unhandledRejections: rejections },
    orders: { total, ok: ledger.counts.ok, failed: ledger.counts.failed, unknownResolved: ledger.counts.unknownResolved, anomalous: ledger.counts.anomalous, perVenueAccepted },
    ledger,
    recovery: { samples, byKind },
    unknownResolvedMs,
    latencyByProfile: latency,
    stats,
    engineLastRecoveryMs,
    series,
  };
  writeFileSync(path.join(o.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(o.out, 'report.html'), renderReportHtml(report));
  // The venues' ledgers as checked, with what is needed to re-check them against journal/.
  writeFileSync(path.join(o.out, 'ledgers.json'), JSON.stringify({ account, instruments: settled.instruments, ledgers: Object.fromEntries(ledgers) }));
  writeFileSync(path.join(o.out, 'engine-stats.jsonl'), stats.map((x) => JSON.stringify(x)).join('\n') + '\n');
  phase = 'done';
  o.progress?.(`[chaos ${s.name}] ${report.verdict.toUpperCase()} in ${(report.wallMs / 1000).toFixed(1)}s: orders ${total} (ok ${ledger.counts.ok}, failed ${ledger.counts.failed}, unknown-resolved ${ledger.counts.unknownResolved}), lost ${ledger.counts.lost} dup ${ledger.counts.duplicate} phantom ${ledger.counts.phantom}`, true);
  return report;
}
