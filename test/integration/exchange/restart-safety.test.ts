import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BinanceAdapter } from '../../../actors/exchange/binance/binance-adapter.js';
import { topics, type VenueStateEvent } from '../../../actors/messages.js';
import { VenueActor, type VenueOptionsInput } from '../../../actors/exchange/venue-actor.js';
import { counterMachine } from '../../unit/actors/runtime/helpers.js';
import { listSegments } from '../../../actors/journal/segments.js';
import { OrderJournal } from '../../../actors/journal/order-journal.js';
import { parseClientOrderId } from '../../../actors/orders/client-order-id.js';
import type { Instrument } from '../../../actors/orders/instrument.js';
import type { OrderIntent } from '../../../actors/orders/intent.js';
import { CircuitBreaker } from '../../../actors/exchange/circuit-breaker.js';
import { ActorSystem } from '../../../actors/runtime/index.js';
import { LiveClock, type Clock } from '../../../common/clock.js';
import { checkLedger, userAccount } from '../../../chaos/ledger-check/ledger-check.js';
import { DEMO_API_KEY, DEMO_API_SECRET, Simulator } from '../../../simulators/index.js';
import { assetDecimals, venueInstruments, waitFor } from '../../fixtures/exchange/harness.js';
import { SkipClock } from '../../fixtures/skip-clock.js';

const VENUE = 'sim-a';
const ACCOUNT = userAccount(DEMO_API_KEY);

function intent(over: Partial<OrderIntent> = {}): OrderIntent {
  return { strategy: 'mm', venue: VENUE, symbol: 'BTC/USDT', side: 'buy', type: 'market', tif: 'GTC', priceTicks: 3_000_000, qtyLots: 50, ...over };
}

interface Engine {
  journal: OrderJournal;
  system: ActorSystem;
  actor: VenueActor;
  close(): Promise<void>;
}

/** One engine incarnation (journal + venue actor) on `dir` against the running simulator. */
async function startEngine(sim: Simulator, clock: Clock, dir: string, instruments: Instrument[], o: { secret?: string; venue?: VenueOptionsInput } = {}): Promise<Engine> {
  const v = sim.venues[0]!;
  const journal = await OrderJournal.open({ dir, fsync: 'never' }, { clock, instruments, portfolio: { assetDecimals: assetDecimals(instruments) } });
  const system = new ActorSystem({ clock });
  const adapter = new BinanceAdapter({ venue: v.name, apiKey: DEMO_API_KEY, secret: o.secret ?? DEMO_API_SECRET, rest: v.rest, ws: v.ws, wsApi: v.wsApi, timeoutMs: 2000, clock });
  const breaker = new CircuitBreaker({ name: v.name, consecutiveFailures: 2, minimumCalls: 4, openDurationMs: 100, maxOpenDurationMs: 500, jitter: 0 }, clock);
  const actor = new VenueActor({ adapter, journal, clock, breaker, instruments, options: { probeBaseMs: 20, probeCapMs: 200, reconcileEveryMs: 300, books: false, ...(o.venue ?? {}) } });
  actor.spawn(system);
  return {
    journal,
    system,
    actor,
    async close() {
      await actor.close();
      await system.shutdown();
      await journal.close();
    },
  };
}

async function submit(e: Engine, i: OrderIntent): Promise<{ accepted: boolean; clientOrderId?: string; reason?: string; message?: string }> {
  return e.system.ask('exchange.sim-a', { type: 'order.submit', payload: { intent: i } }, { timeoutMs: 5000 });
}

/**
 * Buys `lots` at market until an attempt fills (the simulated book may be thin right after the
 * start: an attempt can expire unfilled). Bounded: 20 attempts.
 */
async function buyFilled(sim: Simulator, e: Engine, lots: number): Promise<string> {
  const seen: string[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    const ack = await submit(e, intent({ qtyLots: lots }));
    assert.equal(ack.accepted, true, ack.message);
    const id = ack.clientOrderId!;
    await waitFor(() => ['filled', 'expired', 'canceled', 'rejected'].includes(e.journal.orders.get(id)?.state ?? ''), 10_000, () => `order ${id} done (${e.journal.orders.get(id)?.state})`);
    const o = e.journal.orders.get(id)!;
    if (o.state === 'filled') return id;
    assert.equal(o.filledLots, 0, 'an attempt either fills completely or not at all (market order)');
    seen.push(`${o.state} ${o.reason ?? ''}`);
    // The book had no asks to buy from: wait until a participant quotes some before trying again.
    for (let k = 0; k < 500; k++) {
      const book = (await (await fetch(`${sim.venues[0]!.rest}/depth?symbol=BTCUSDT&limit=5`)).json()) as { asks: unknown[] };
      if (book.asks.length > 0) break;
    }
  }
  throw new Error(`no market buy filled: ${seen.join('; ')}`);
}

/** The venue's total (free + locked) of `asset` for the demo account, in the journal's atoms. */
async function venueTotal(sim: Simulator, clock: Clock, e: Engine, asset: string): Promise<bigint> {
  const v = sim.venues[0]!;
  const a = new BinanceAdapter({ venue: v.name, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, rest: v.rest, timeoutMs: 2000, clock });
  try {
    const row = (await a.fetchBalances()).find((b) => b.asset === asset)!;
    return e.journal.portfolio.toAtoms(asset, row.free) + e.journal.portfolio.toAtoms(asset, row.locked);
  } finally {
    await a.close();
  }
}

async function assertBalancesEqual(sim: Simulator, clock: LiveClock, e: Engine): Promise<void> {
  for (const asset of ['BTC', 'USDT']) {
    assert.equal(e.journal.portfolio.balance(VENUE, asset).total, await venueTotal(sim, clock, e, asset), `${asset}: engine balance equals the venue's`);
  }
}

describe('restart safety: a journal that lost its tail is reconciled against the venue (real simulator, real ccxt)', function () {
  this.timeout(120_000);
  const clock = new LiveClock();
  let sim: Simulator;
  let instruments: Instrument[];
  let dir: string;
  let e: Engine | undefined;

  before(async () => {
    sim = await Simulator.start({ venues: 1, seed: 11, port: 0 });
    instruments = await venueInstruments(sim, clock, ['BTC/USDT']);
    dir = mkdtempSync(path.join(tmpdir(), 'bot4-restart-'));
  });
  after(async () => {
    await e?.close();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  let lostId = '';
  const seenIds = new Set<string>();

  it('tail cut before an acknowledged filled order: on start the order is adopted with its fills, balances equal the venue, new ids are fresh', async () => {
    e = await startEngine(sim, clock, dir, instruments);
    await waitFor(() => e!.actor.state === 'running', 15_000, 'venue running');
    await buyFilled(sim, e, 50);
    await e.journal.flush();
    const seg = listSegments(dir).at(-1)!;
    const cut = statSync(seg.path).size;
    const lastSeqAtCut = e.journal.nextSequence - 1;
    // The order whose records the cut will remove: acknowledged and filled at the venue.
    lostId = await buyFilled(sim, e, 20);
    for (const o of e.journal.orders.values()) seenIds.add(o.clientOrderId);
    assert.equal(e.journal.portfolio.position(VENUE, 'BTC/USDT').qtyLots, 70n);
    await e.close();
    e = undefined;

    // Journal tail loss: everything from the second order's submit on is gone.
    assert.equal(listSegments(dir).at(-1)!.path, seg.path, 'still one segment');
    truncateSync(seg.path, cut);

    e = await startEngine(sim, clock, dir, instruments);
    assert.equal(e.journal.report.lastSeq, lastSeqAtCut, 'the journal ends before the lost order');
    assert.equal(e.journal.orders.get(lostId), undefined, 'the journal lost the order');
    assert.ok(e.journal.report.lastSeq < parseClientOrderId(lostId)!.sequence, 'sequences go back');
    await waitFor(() => e!.actor.state === 'running' || e!.actor.state === 'halted', 15_000, 'venue running');
    assert.equal(e.actor.state, 'running', `not halted: ${e.actor.stats().haltCode ?? ''}`);

    const adopted = e.journal.orders.get(lostId);
    assert.ok(adopted !== undefined, 'the lost order is adopted');
    assert.equal(adopted.state, 'filled');
    assert.equal(adopted.intent.strategy, 'adopted');
    assert.equal(adopted.filledLots, 20);
    assert.equal(adopted.intent.side, 'buy');
    assert.ok(adopted.tradeIds.length > 0, 'adopted with its executions (trade ids and fees)');
    const st = e.actor.stats().startReconcile;
    assert.equal(st.done, true);
    assert.ok(st.adopted >= 1, `adopted ${st.adopted}`);
    assert.equal(e.journal.portfolio.position(VENUE, 'BTC/USDT').qtyLots, 70n, 'position as before the loss');
    await assertBalancesEqual(sim, clock, e);

    // New orders get ids the venue has never seen (the sequence went back; the epoch did not).
    const third = await buyFilled(sim, e, 10);
    assert.ok(!seenIds.has(third), `${third} is fresh`);
    assert.equal(e.journal.portfolio.position(VENUE, 'BTC/USDT').qtyLots, 80n);
    await assertBalancesEqual(sim, clock, e);
    const report = checkLedger({ orders: e.journal.orders }, [{ venue: VENUE, ledger: sim.ledger(VENUE, ACCOUNT), account: ACCOUNT }], { instruments });
    assert.deepEqual(report.anomalies, []);
  });

  it('a divergence no trade explains (venue balance moved while stopped) halts the venue with B4_VENUE_DIVERGED; orders are denied VENUE_HALTED', async () => {
    await e!.close();
    e = undefined;
    // 0.001 BTC appears at the venue that no order or trade explains.
    sim.venue(VENUE).accounts.deposit(ACCOUNT, 'BTC', 100_000n, 'unexplained');
    e = await startEngine(sim, clock, dir, instruments);
    await waitFor(() => e!.actor.state === 'halted', 15_000, () => `venue halted (state ${e!.actor.state})`);
    assert.equal(e.actor.stats().haltCode, 'B4_VENUE_DIVERGED');
    const denied = await submit(e, intent({ qtyLots: 10 }));
    assert.equal(denied.accepted, false);
    assert.equal(denied.reason, 'VENUE_HALTED');
    const m = /B4_VENUE_DIVERGED.*BTC engine ([\d.]+) vs venue ([\d.]+)/.exec(denied.message ?? '');
    assert.ok(m !== null, denied.message);
    const pf = e.journal.portfolio;
    assert.equal(pf.toAtoms('BTC', m[2]!) - pf.toAtoms('BTC', m[1]!), 100_000n, 'names the unexplained 0.001 BTC');
    // A plain resume reconciles again and halts again: nothing explains it yet.
    const states: VenueStateEvent[] = [];
    e.system.spawn('probe.venue', counterMachine, { handle: (x) => void (x.type === 'venue.state' && states.push(x.payload as VenueStateEvent)) });
    e.system.subscribe(topics.venue(VENUE), 'probe.venue');
    e.system.send('exchange.sim-a', { type: 'venue.cmd.resume', lane: 'control' });
    await waitFor(() => states.some((x) => x.previous === 'syncing' && x.state === 'halted'), 15_000, () => `halted again (${states.map((x) => x.state).join(' ')})`);
    assert.match(states.at(-1)!.reason, /^B4_VENUE_DIVERGED/);
    assert.equal(e.actor.stats().haltCode, 'B4_VENUE_DIVERGED');
    // The operator accepts the venue's balances: journaled as an adjustment, trading resumes.
    e.system.send('exchange.sim-a', { type: 'venue.cmd.resume', payload: { acceptBalances: true }, lane: 'control' });
    await waitFor(() => e!.actor.state === 'running', 15_000, () => `running after acceptBalances (${e!.actor.state})`);
    await assertBalancesEqual(sim, clock, e);
    const ok = await submit(e, intent({ qtyLots: 10 }));
    assert.equal(ok.accepted, true, ok.message);
  });

  it("onDivergence 'adjust' journals an unexplained difference as a balance adjustment and trades on", async () => {
    await e!.close();
    e = undefined;
    sim.venue(VENUE).accounts.deposit(ACCOUNT, 'USDT', 5_000_000_000n, 'unexplained');
    e = await startEngine(sim, clock, dir, instruments, { venue: { onDivergence: 'adjust' } });
    const before = e.journal.portfolio.balance(VENUE, 'USDT').total;
    await waitFor(() => e!.actor.state === 'running' || e!.actor.state === 'halted', 15_000, 'venue up');
    assert.equal(e.actor.state, 'running');
    assert.equal(e.actor.stats().haltCode, undefined);
    assert.equal(e.journal.portfolio.balance(VENUE, 'USDT').total - before, 5_000_000_000n, 'the 50 USDT are journaled');
    await assertBalancesEqual(sim, clock, e);
  });
});

describe('ban risk: refused credentials halt the venue and back off (real simulator, real ccxt)', function () {
  this.timeout(60_000);
  // A fresh clock per engine (withEngine): timers an earlier engine left behind are not counted.
  let clock = new SkipClock();
  let sim: Simulator;
  let instruments: Instrument[];
  let requests = 0;
  const dirs: string[] = [];

  before(async () => {
    sim = await Simulator.start({ venues: 1, seed: 12, port: 0 });
    instruments = await venueInstruments(sim, clock, ['BTC/USDT']);
    // Count every REST request the venue receives (the limiter is charged first, before the signature check).
    const lim = sim.venue(VENUE).limiter;
    const charge = lim.charge.bind(lim);
    lim.charge = (...a: Parameters<typeof charge>) => {
      requests++;
      return charge(...a);
    };
  });
  after(async () => {
    await sim?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function withEngine(venue: VenueOptionsInput, fn: (e: Engine) => Promise<void>): Promise<void> {
    clock = new SkipClock();
    const dir = mkdtempSync(path.join(tmpdir(), 'bot4-auth-'));
    dirs.push(dir);
    const e = await startEngine(sim, clock, dir, instruments, { secret: 'not-the-secret', venue });
    try {
      await fn(e);
    } finally {
      await e.close();
    }
  }

  it('-1022 (wrong secret): halted with B4_VENUE_AUTH, nothing but the retry in 5 minutes scheduled, orders denied VENUE_HALTED', async () => {
    await withEngine({}, async (e) => {
      await waitFor(() => e.actor.state === 'halted', 15_000, () => `halted (state ${e.actor.state})`);
      assert.equal(e.actor.stats().haltCode, 'B4_VENUE_AUTH');
      assert.equal(e.actor.stats().authFailures, 1);
      // Before the fix: a reconnect every ~0.4 s, each with a probe and a signed call. Now the only
      // thing scheduled is the retry after authRetryMs (5 min); halted means no streams, no polling.
      // (A timer the connection set just before the halt may still be pending a moment: wait it out.)
      await waitFor(() => clock.pending.length === 1 && clock.pending[0]!.delayMs === 300_000, 5_000, () => `only the 5 min retry scheduled (pending ${JSON.stringify(clock.pending)})`);
      const atHalt = requests;
      clock.skip(299_000);
      assert.equal(e.actor.stats().authFailures, 1, 'no try before the 5 minutes are up');
      assert.equal(requests - atHalt, 0, 'no request while halted');
      const denied = await submit(e, intent());
      assert.equal(denied.accepted, false);
      assert.equal(denied.reason, 'VENUE_HALTED');
      assert.match(denied.message ?? '', /B4_VENUE_AUTH.*code -1022/);
      assert.doesNotMatch(denied.message ?? '', /not-the-secret/);
      clock.skip(1_500);
      await waitFor(() => e.actor.stats().authFailures === 2 && e.actor.state === 'halted', 10_000, 'one more try after 5 minutes, refused again');
    });
  });

  it('authRetryMs 0: no automatic retry; an operator resume tries once more (still refused: halted again)', async () => {
    await withEngine({ authRetryMs: 0 }, async (e) => {
      await waitFor(() => e.actor.state === 'halted', 15_000, 'halted');
      await waitFor(() => clock.pending.length === 0, 5_000, () => `nothing scheduled: no automatic retry (pending ${JSON.stringify(clock.pending)})`);
      assert.equal(e.actor.stats().authFailures, 1);
      e.system.send('exchange.sim-a', { type: 'venue.cmd.resume', lane: 'control' });
      await waitFor(() => e.actor.stats().authFailures === 2, 10_000, 'one more try');
      await waitFor(() => e.actor.state === 'halted', 10_000, 'halted again');
      assert.equal(e.actor.stats().haltCode, 'B4_VENUE_AUTH');
    });
  });

  it('retries back off exponentially (authRetryMs 200: 200, 400, 800, 1600 ms apart), each try a probe and one signed call at most', async () => {
    await withEngine({ authRetryMs: 200, authRetryCapMs: 60_000 }, async (e) => {
      await waitFor(() => e.actor.state === 'halted', 15_000, 'halted');
      for (const [k, delay] of [200, 400, 800, 1600].entries()) {
        const n = e.actor.stats().authFailures;
        // Halted again: the next retry is the only thing scheduled, at twice the previous delay.
        await waitFor(() => clock.pending.length === 1, 5_000, () => `retry ${k} scheduled (pending ${JSON.stringify(clock.pending)})`);
        assert.equal(clock.pending[0]!.delayMs, delay, `retry ${k}`);
        const r0 = requests;
        clock.skip(delay);
        await waitFor(() => e.actor.stats().authFailures === n + 1 && e.actor.state === 'halted', 10_000, () => `try ${k} refused (state ${e.actor.state})`);
        assert.ok(requests - r0 <= 2, `requests ${requests - r0} for one try`);
      }
      assert.equal(e.actor.stats().haltCode, 'B4_VENUE_AUTH');
    });
  });
});
