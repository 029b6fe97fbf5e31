// `bot4 chaos run failover`: a scenario with a `cluster:` block. nats-server, the simulator's venues
// (one account), and `cluster.nodes` real `bot4 daemon`s with `cluster.lease.takeover`, each
// connected to NATS through its own TCP proxy. `kill-engine` SIGKILLs the current lease owner and
// restarts it (same directory) as the new standby; `partition-owner` cuts the owner's proxy (NATS
// only: its venue connections stay up) for `for`. At the end the standbys stop, then the owner
// (graceful), the account's stream is rebuilt into one journal and checked against the venues'
// ledgers. Failover time: fault → first order the venue accepted from the next lease term (every
// order journals its term as `l`). Fencing: no order of an older term accepted by the venue after
// the first order of a newer term. See docs/chaos.md#failover.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { BinanceAdapter } from '../actors/exchange/binance/binance-adapter.js';
import { OrderJournal } from '../actors/journal/order-journal.js';
import { decodeRecordAt } from '../actors/journal/record.js';
import { segmentName } from '../actors/journal/segments.js';
import type { Instrument } from '../actors/orders/instrument.js';
import { LiveClock, type Clock } from '../common/clock.js';
import { rebuildJournalFromStream } from '../cluster/replicated-log-rebuild.js';
import { DEMO_API_KEY, DEMO_API_SECRET, Simulator } from '../simulators/simulator.js';
import type { LedgerSnapshot } from '../simulators/venue/ledger.js';
import { checkLedger, userAccount, type LedgerCheckReport } from './ledger-check/ledger-check.js';
import { DaemonProc, startNats, TcpProxy, type NatsProcess } from './failover-procs.js';
import { percentile, type Check } from './metrics.js';
import { planFaults, type PlannedFault } from './plan.js';
import { describeRun } from './describe-run.js';
import type { RunOptions } from './runner.js';
import type { Scenario } from './scenario.js';

const STREAM = 'BOT4_FAILOVER';
const LEASE_KEY = 'acct-chaos';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One injected fault as run. */
export interface FailoverFault {
  kind: 'kill' | 'partition' | 'partition-end';
  /** Epoch ms when it was applied. */
  t: number;
  /** Planned offset (ms of timeline). */
  atMs: number;
  node: string;
  /** kill: when the killed daemon was started again (as a standby) and printed its ready line. */
  restartedAt?: number;
  readyAt?: number;
  /** kill / partition: fault → first order the venue accepted from a newer lease term (ms); null: none came. */
  failoverMs?: number | null;
}

/** One lease term as seen in the account's log and at the venue. */
export interface TermFigures {
  term: number;
  orders: number;
  /** Venue acceptance times (epoch ms) of its first and last order. */
  first: number | null;
  last: number | null;
}

/** report.json of a failover scenario. */
export interface FailoverReport {
  scenario: string;
  description: string;
  about: string;
  ci: boolean;
  seed: number;
  speed: number;
  startedAt: string;
  wallMs: number;
  verdict: 'pass' | 'fail';
  checks: Check[];
  cluster: NonNullable<Scenario['cluster']>;
  plan: PlannedFault[];
  faults: FailoverFault[];
  failover: { n: number; p50: number | null; p99: number | null; max: number | null; unrecovered: number };
  terms: TermFigures[];
  /** Orders of an older term the venue accepted after the first order of a newer term (must be none). */
  fencingViolations: { clientOrderId: string; term: number; acceptedAt: number; newerTerm: number; newerFirst: number }[];
  orders: { total: number; withoutTerm: number };
  daemons: { starts: number; kills: number };
  ledger: LedgerCheckReport;
}

/** Runs a failover scenario (`s.cluster` set). Writes report.json, daemons.log, journal/ (the rebuilt account log) under `o.out`. */
export async function runFailoverScenario(s: Scenario, o: RunOptions): Promise<FailoverReport> {
  const c = s.cluster!;
  const seed = o.seed ?? s.seed;
  const speed = o.speed ?? 1;
  const clock = o.clock ?? new LiveClock();
  const t0 = Date.now();
  const startedAt = new Date(t0).toISOString();
  rmSync(o.out, { recursive: true, force: true });
  mkdirSync(o.out, { recursive: true, mode: 0o700 });
  const logFile = path.join(o.out, 'daemons.log');
  writeFileSync(logFile, '');
  const progress = (line: string, final = false): void => o.progress?.(`${s.name}: ${line}`, final);
  const plan = planFaults(s, seed);
  const faults: FailoverFault[] = [];
  let starts = 0;
  let kills = 0;

  const sim = await Simulator.start({ venues: s.venues.count, seed, port: 0, profile: s.venues.profile, rateLimits: s.venues.rateLimits });
  let nats: NatsProcess | undefined;
  const proxies = new Map<string, TcpProxy>();
  const daemons = new Map<string, DaemonProc>();
  const restarts: Promise<void>[] = [];
  const account = userAccount(DEMO_API_KEY);
  let ledgers: Map<string, LedgerSnapshot>;
  let instruments: Instrument[];
  try {
    instruments = await loadInstruments(sim, s.engine.symbols, clock);
    nats = await startNats(path.join(o.out, 'nats'));
    const env: Record<string, string> = {};
    for (const v of sim.venues) {
      const k = v.name.toUpperCase().replace(/-/g, '_');
      env[`BOT4_VENUE_${k}_API_KEY`] = DEMO_API_KEY;
      env[`BOT4_VENUE_${k}_API_SECRET`] = DEMO_API_SECRET;
    }
    const config = (node: string, proxy: TcpProxy): string =>
      JSON.stringify({
        venues: sim.venues.map((v) => ({ name: v.name, rest: v.rest, ws: v.ws, wsApi: v.wsApi })),
        symbols: s.engine.symbols,
        journal: { dir: 'journal', fsync: s.engine.fsync },
        strategies: s.strategies.map((x) => ({ id: x.id, kind: x.kind, instruments: x.instruments, params: x.params })),
        risk: {
          strategies: Object.fromEntries([['api', {}], ...s.strategies.map((x) => [x.id, {}])]),
          checks: { staleData: false, correlation: false },
          defaults: { instrument: { maxOpenOrders: 100_000 }, venue: { maxOpenOrders: 100_000, rate: { perSecond: 1000, burst: 1000 } }, strategy: { rate: { perSecond: 1000, burst: 1000 } } },
          portfolio: { maxOpenOrders: 100_000 },
        },
        // Only the final stop is graceful (kills are SIGKILL): the owner settles there: strategies
        // stopped, open orders canceled and confirmed, so the log's last word on each order is final.
        shutdown: { cancelOpenOrders: true, cancelWaitMs: 10_000, timeoutMs: 30_000 },
        cluster: {
          enabled: true,
          nodeId: node,
          servers: [proxy.url],
          connectTimeoutMs: 1000,
          reconnectWaitMs: 50,
          replication: { stream: STREAM, subject: 'bot4.failover.log', ack: 'sync', retryMs: 50, ackTimeoutMs: 1000 },
          lease: { enabled: true, takeover: true, key: LEASE_KEY, ttlMs: c.ttlMs, renewMs: c.renewMs, marginMs: c.marginMs },
        },
      });
    const spawnNode = async (node: string): Promise<DaemonProc> => {
      const d = new DaemonProc(node, path.join(o.out, 'nodes', node), config(node, proxies.get(node)!), env, logFile);
      daemons.set(node, d);
      starts++;
      await d.ready(60_000);
      return d;
    };
    const findOwner = async (withinMs: number): Promise<DaemonProc | undefined> => {
      const until = Date.now() + withinMs;
      while (Date.now() < until) {
        for (const d of daemons.values()) if (await d.owner()) return d;
        await sleep(20);
      }
      return undefined;
    };
    const names = Array.from({ length: c.nodes }, (_, i) => `node-${String.fromCharCode(97 + i)}`);
    for (const n of names) {
      const p = new TcpProxy(nats.port);
      await p.listen();
      proxies.set(n, p);
    }
    progress('starting daemons');
    await spawnNode(names[0]!);
    if ((await findOwner(60_000)) === undefined) throw new Error(`${names[0]} did not become the owner within 60 s (see ${logFile})`);
    for (const n of names.slice(1)) await spawnNode(n);

    progress('faults');
    const runStart = Date.now();
    for (const f of plan) {
      const wait = runStart + f.atMs / speed - Date.now();
      if (wait > 0) await sleep(wait);
      if (f.kind === 'partition-end') {
        const cut = [...faults].reverse().find((x) => x.kind === 'partition');
        if (cut !== undefined) {
          proxies.get(cut.node)!.heal();
          faults.push({ kind: 'partition-end', t: Date.now(), atMs: f.atMs, node: cut.node });
        }
        continue;
      }
      const owner = await findOwner(15_000);
      if (owner === undefined) throw new Error(`no lease owner at ${f.atMs} ms of timeline (see ${logFile})`);
      if (f.kind === 'kill-engine') {
        const ev: FailoverFault = { kind: 'kill', t: Date.now(), atMs: f.atMs, node: owner.name };
        await owner.kill();
        kills++;
        faults.push(ev);
        progress(`SIGKILL ${owner.name}`);
        restarts.push(
          (async () => {
            await sleep((f.restartAfterMs ?? 0) / speed);
            ev.restartedAt = Date.now();
            await spawnNode(owner.name);
            ev.readyAt = Date.now();
          })(),
        );
      } else if (f.kind === 'partition') {
        proxies.get(owner.name)!.cut();
        faults.push({ kind: 'partition', t: Date.now(), atMs: f.atMs, node: owner.name });
        progress(`${owner.name} cut from NATS`);
      }
    }
    const end = runStart + s.duration / speed;
    if (end > Date.now()) await sleep(end - Date.now());
    for (const p of proxies.values()) p.heal();
    await Promise.all(restarts);
    progress('tail');
    await sleep(s.tail / speed);
    progress('settling');
    // Standbys first (a graceful owner stop releases the lease: a standby still running would take over).
    const owner = await findOwner(15_000);
    for (const d of daemons.values()) if (d !== owner) await d.stop();
    if (owner !== undefined) await owner.stop(40_000);
    ledgers = new Map(sim.venues.map((v) => [v.name, sim.ledger(v.name, account)]));
  } catch (e) {
    await nats?.stop();
    throw e;
  } finally {
    for (const d of daemons.values()) await d.kill();
    for (const p of proxies.values()) await p.close();
    await sim.stop();
  }

  // The account's log, from the stream alone.
  progress('checking');
  const journalDir = path.join(o.out, 'journal');
  const nc = await connect({ servers: nats!.url });
  try {
    await rebuildJournalFromStream(nc, STREAM, journalDir);
  } finally {
    await nc.close();
    await nats!.stop();
  }
  const terms = readTerms(journalDir);
  const journal = await OrderJournal.open({ dir: journalDir, fsync: 'never' }, { clock, instruments, markInFlightUnknown: false, portfolio: { assetDecimals: Object.fromEntries(instruments.flatMap((i) => [[i.base, 8], [i.quote, 8]])) } });
  let ledger: LedgerCheckReport;
  let total: number;
  try {
    total = journal.orders.size;
    ledger = checkLedger({ orders: journal.orders, portfolio: journal.portfolio }, sim.venues.map((v) => ({ venue: v.name, ledger: ledgers.get(v.name)!, account })), { instruments });
  } finally {
    await journal.close();
  }

  // Venue acceptance time of every order, its term from the log.
  const accepted = new Map<string, number>();
  for (const l of ledgers.values()) for (const vo of l.orders) if (vo.account === account) accepted.set(vo.clientOrderId, vo.time);
  const byTerm = new Map<number, TermFigures>();
  const placed: { id: string; term: number; at: number }[] = [];
  for (const [id, term] of terms.termOf) {
    const at = accepted.get(id);
    const tf = byTerm.get(term) ?? { term, orders: 0, first: null, last: null };
    tf.orders++;
    if (at !== undefined) {
      tf.first = tf.first === null ? at : Math.min(tf.first, at);
      tf.last = tf.last === null ? at : Math.max(tf.last, at);
      placed.push({ id, term, at });
    }
    byTerm.set(term, tf);
  }
  const termList = [...byTerm.values()].sort((a, b) => a.term - b.term);
  // Fencing: an order of term T accepted after the first order of any newer term.
  const fencingViolations: FailoverReport['fencingViolations'] = [];
  for (const p of placed) {
    for (const tf of termList) {
      if (tf.term > p.term && tf.first !== null && p.at > tf.first) {
        fencingViolations.push({ clientOrderId: p.id, term: p.term, acceptedAt: p.at, newerTerm: tf.term, newerFirst: tf.first });
        break;
      }
    }
  }
  // Failover time per kill / partition: the term that traded last before the fault → the first order of any newer term.
  placed.sort((a, b) => a.at - b.at);
  for (const f of faults) {
    if (f.kind === 'partition-end') continue;
    const before = placed.filter((p) => p.at <= f.t).at(-1);
    const termBefore = before?.term ?? 0;
    const next = placed.find((p) => p.term > termBefore && p.at >= f.t);
    f.failoverMs = next === undefined ? null : next.at - f.t;
  }
  const samples = faults.filter((f) => f.kind !== 'partition-end').map((f) => f.failoverMs ?? null);
  const got = samples.filter((x): x is number => x !== null);
  const failover = { n: got.length, p50: got.length ? percentile(got, 50) : null, p99: got.length ? percentile(got, 99) : null, max: got.length ? Math.max(...got) : null, unrecovered: samples.length - got.length };

  const e = s.expect;
  const cnt = ledger.counts;
  const other = cnt.stateMismatch + cnt.fillMismatch + cnt.feeMismatch + cnt.intentMismatch + cnt.positionMismatch + cnt.balanceMismatch + cnt.ledgerUnreconciled;
  const plannedFaults = plan.filter((f) => f.kind === 'kill-engine' || f.kind === 'partition').length;
  const checks: Check[] = [
    { name: 'lost orders', expected: `<= ${e.lost}`, actual: String(cnt.lost), ok: cnt.lost <= e.lost },
    { name: 'duplicate orders', expected: `<= ${e.duplicate}`, actual: String(cnt.duplicate), ok: cnt.duplicate <= e.duplicate },
    { name: 'phantom orders', expected: `<= ${e.phantom}`, actual: String(cnt.phantom), ok: cnt.phantom <= e.phantom },
    { name: 'other ledger anomalies', expected: `<= ${e.otherAnomalies}`, actual: String(other), ok: other <= e.otherAnomalies },
    { name: 'orders placed', expected: `>= ${e.minOrders}`, actual: String(total), ok: total >= e.minOrders },
    { name: 'faults injected (owner SIGKILLs and partitions)', expected: String(plannedFaults), actual: String(samples.length), ok: samples.length === plannedFaults },
    { name: 'failovers that resumed trading', expected: String(samples.length), actual: String(got.length), ok: got.length === samples.length },
    { name: 'old-owner orders accepted after the new owner\'s first order', expected: '0', actual: String(fencingViolations.length), ok: fencingViolations.length === 0 },
    { name: 'failover p99 (ms): fault → first order accepted through the new owner', expected: `<= ${e.recoveryP99Ms}`, actual: failover.p99 === null ? 'n/a' : String(failover.p99), ok: failover.p99 !== null && failover.p99 <= e.recoveryP99Ms },
  ];
  const report: FailoverReport = {
    scenario: s.name,
    description: describeRun(s, { seed, speed }),
    about: s.description,
    ci: s.ci,
    seed,
    speed,
    startedAt,
    wallMs: Date.now() - t0,
    verdict: checks.every((x) => x.ok) ? 'pass' : 'fail',
    checks,
    cluster: c,
    plan,
    faults,
    failover,
    terms: termList,
    fencingViolations,
    orders: { total, withoutTerm: terms.withoutTerm },
    daemons: { starts, kills },
    ledger,
  };
  writeFileSync(path.join(o.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(o.out, 'report.html'), failoverHtml(report));
  progress(`${report.verdict}: failover p50 ${failover.p50 ?? 'n/a'} ms, p99 ${failover.p99 ?? 'n/a'} ms (n ${failover.n}); ledger ${cnt.lost} lost, ${cnt.duplicate} duplicate, ${cnt.phantom} phantom; ${fencingViolations.length} fencing violations`, true);
  return report;
}

/** Every `order.submit` record of the rebuilt journal (one segment): client order id → lease term (`l`). */
function readTerms(dir: string): { termOf: Map<string, number>; withoutTerm: number } {
  const termOf = new Map<string, number>();
  let withoutTerm = 0;
  const file = path.join(dir, segmentName(1));
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return { termOf, withoutTerm };
  }
  for (let off = 0; off < buf.length; ) {
    const r = decodeRecordAt(buf, off, buf.length, 2 ** 20);
    if (!r.ok) break;
    off += r.bytes;
    if (r.record.type !== 'order.submit') continue;
    const d = r.record.data as { id?: string; l?: number };
    if (typeof d.id !== 'string') continue;
    if (typeof d.l === 'number') termOf.set(d.id, d.l);
    else withoutTerm++;
  }
  return { termOf, withoutTerm };
}

async function loadInstruments(sim: Simulator, symbols: readonly string[], clock: Clock): Promise<Instrument[]> {
  const out: Instrument[] = [];
  for (const v of sim.venues) {
    const a = new BinanceAdapter({ venue: v.name, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, rest: v.rest, ws: v.ws, wsApi: v.wsApi, timeoutMs: 2000, clock });
    try {
      out.push(...(await a.loadInstruments()).filter((i) => symbols.includes(i.symbol)));
    } finally {
      await a.close();
    }
  }
  return out;
}

const esc = (x: string): string => x.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** report.html: the verdict, the checks, every fault with its failover time, and the terms. */
function failoverHtml(r: FailoverReport): string {
  const row = (cells: readonly (string | number | null | undefined)[]): string => `<tr>${cells.map((x) => `<td>${esc(String(x ?? ''))}</td>`).join('')}</tr>`;
  return `<!doctype html><meta charset="utf-8"><title>${esc(r.scenario)}: ${r.verdict}</title>
<h1>${esc(r.scenario)}: ${r.verdict}</h1><p>${esc(r.description)}</p>
<p>Failover (fault → first order accepted through the new owner): p50 ${r.failover.p50 ?? 'n/a'} ms, p99 ${r.failover.p99 ?? 'n/a'} ms, max ${r.failover.max ?? 'n/a'} ms, n ${r.failover.n}; lease ttl ${r.cluster.ttlMs} ms, renew ${r.cluster.renewMs} ms, margin ${r.cluster.marginMs} ms.</p>
<h2>Checks</h2><table><tr><th>check</th><th>expected</th><th>actual</th><th>ok</th></tr>${r.checks.map((c) => row([c.name, c.expected, c.actual, c.ok ? 'yes' : 'NO'])).join('')}</table>
<h2>Faults</h2><table><tr><th>kind</th><th>node</th><th>at (ms of timeline)</th><th>failover (ms)</th></tr>${r.faults.map((f) => row([f.kind, f.node, f.atMs, f.failoverMs])).join('')}</table>
<h2>Lease terms</h2><table><tr><th>term</th><th>orders</th><th>first accepted</th><th>last accepted</th></tr>${r.terms.map((t) => row([t.term, t.orders, t.first === null ? null : new Date(t.first).toISOString(), t.last === null ? null : new Date(t.last).toISOString()])).join('')}</table>
`;
}
