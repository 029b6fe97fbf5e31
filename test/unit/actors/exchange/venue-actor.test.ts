import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { VenueOrder } from '../../../../actors/exchange/adapter.js';
import { CircuitBreaker, type BreakerTransition } from '../../../../actors/exchange/circuit-breaker.js';
import { VENUE_BREAKER_DEFAULTS } from '../../../../actors/engine/engine-config.js';
import { VenueActor, type VenueActorOptionsInput } from '../../../../actors/exchange/index.js';
import type { JournalFileOps } from '../../../../actors/journal/fs-util.js';
import { OrderJournal } from '../../../../actors/journal/order-journal.js';
import type { OrderDenied, Ticker, VenueStateEvent } from '../../../../actors/messages.js';
import type { OrderIntent } from '../../../../actors/orders/intent.js';
import { ActorSystem, type Envelope } from '../../../../actors/runtime/index.js';
import { SimulatedClock } from '../../../../common/clock.js';
import { logger } from '../../../../common/log.js';
import { FakeAdapter, gate, type Gate } from '../../../fixtures/exchange/fake-adapter.js';
import { INSTRUMENTS } from '../../../fixtures/journal/workload.js';
import { counterMachine } from '../runtime/helpers.js';

/**
 * The venue actor against an in-process fake adapter on a simulated clock: no simulator process,
 * no sockets. Time moves only when the test advances it; every wait is a bounded loop.
 */

const SIM_A = INSTRUMENTS.filter((i) => i.venue === 'sim-a');

function intent(over: Partial<OrderIntent> = {}): OrderIntent {
  return { strategy: 't', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 2_000_000, qtyLots: 100, ...over };
}

interface Rig {
  clock: SimulatedClock;
  system: ActorSystem;
  journal: OrderJournal;
  fake: FakeAdapter;
  actor: VenueActor;
  breaker: CircuitBreaker;
  /** Shared timeline: `journal:<record text>` after each durable journal write, `place:<id>` per placement. */
  timeline: string[];
  states: VenueStateEvent[];
  denials: OrderDenied[];
  /** While set, journal writes wait for this gate. */
  writeGate: Gate | undefined;
  /** While set, a journal write whose bytes it matches fails with ENOSPC. */
  failWrite: ((text: string) => boolean) | undefined;
  close(): Promise<void>;
}

function isObj(p: unknown): p is Record<string, unknown> {
  return typeof p === 'object' && p !== null;
}

/** `shipped`: the engine's venue breaker defaults and the venue actor's own probe defaults (what a deployment runs). */
async function rig(options: VenueActorOptionsInput = {}, shipped = false): Promise<Rig> {
  const clock = new SimulatedClock();
  const timeline: string[] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'b4-venue-unit-'));
  const r = { writeGate: undefined as Gate | undefined, failWrite: undefined as ((text: string) => boolean) | undefined };
  // The journal's file operations in memory: a write completes on the next microtask, so the
  // test's pace never depends on the disk (the journal still frames, orders and awaits them).
  let fds = 100;
  const fileOps: JournalFileOps = {
    open: () => Promise.resolve(fds++),
    writev: async (_fd, bufs) => {
      const g = r.writeGate;
      if (g !== undefined) await g.promise;
      const text = Buffer.concat(bufs).toString('latin1');
      if (r.failWrite?.(text) === true) throw Object.assign(new Error('ENOSPC: simulated'), { code: 'ENOSPC' });
      timeline.push(`journal:${text}`);
    },
    datasync: () => Promise.resolve(),
    close: () => Promise.resolve(),
    truncate: () => undefined,
    fsyncDir: () => undefined,
  };
  const journal = await OrderJournal.open({ dir, fsync: 'never', snapshotEvery: 0 }, { clock, instruments: SIM_A, markInFlightUnknown: false, fileOps, portfolio: { assetDecimals: { BTC: 8, ETH: 8, USDT: 8 } } });
  const system = new ActorSystem({ clock });
  const fake = new FakeAdapter('sim-a', clock, SIM_A, timeline);
  const breaker = shipped
    ? new CircuitBreaker({ ...VENUE_BREAKER_DEFAULTS, name: 'sim-a' }, clock)
    : new CircuitBreaker({ name: 'sim-a', consecutiveFailures: 2, minimumCalls: 4, openDurationMs: 100, maxOpenDurationMs: 500, jitter: 0 }, clock);
  const probes = shipped ? {} : { probeBaseMs: 20, probeCapMs: 200 };
  const actor = new VenueActor({ adapter: fake, journal, clock, breaker, instruments: SIM_A, options: { ...probes, reconcileEveryMs: 0, books: false, notFoundGraceMs: 1000, ...options } });
  const states: VenueStateEvent[] = [];
  const denials: OrderDenied[] = [];
  system.spawn('probe.events', counterMachine, {
    handle: (e: Envelope) => {
      const p = e.payload;
      if (e.type === 'venue.state' && isObj(p)) states.push(p as unknown as VenueStateEvent);
      if (e.type === 'order.denied' && isObj(p)) denials.push(p as unknown as OrderDenied);
    },
  });
  system.subscribe('venues.>', 'probe.events');
  system.subscribe('risk.denials', 'probe.events');
  actor.spawn(system);
  return Object.assign(r, {
    clock,
    system,
    journal,
    fake,
    actor,
    breaker,
    timeline,
    states,
    denials,
    async close() {
      await actor.close();
      await system.shutdown();
      await journal.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** Lets real I/O (journal writes) and promise chains run, then moves simulated time by `ms`. */
async function step(clock: SimulatedClock, ms = 1): Promise<void> {
  await new Promise<void>((res) => setImmediate(res));
  clock.advance(ms);
  await new Promise<void>((res) => setImmediate(res));
}

/** Steps until `cond` holds (at most `maxSteps` steps of `ms` simulated ms each). */
async function until(clock: SimulatedClock, cond: () => boolean, what: string, maxSteps = 3000, ms = 1): Promise<void> {
  for (let i = 0; i < maxSteps; i++) {
    if (cond()) return;
    await step(clock, ms);
  }
  assert.fail(`timed out waiting for: ${what}`);
}

function submit(h: Rig, over: Partial<OrderIntent> = {}): void {
  h.system.send('exchange.sim-a', { type: 'order.submit', payload: { intent: intent(over) } });
}

function onlyOrder(h: Rig) {
  const all = [...h.journal.orders.values()];
  assert.equal(all.length, 1, 'exactly one order in the journal');
  return all[0]!;
}

describe('venue actor (unit, fake adapter, simulated clock)', function () {
  let h: Rig | undefined;
  let level: string;
  before(() => {
    level = logger.level;
    logger.level = 'silent';
  });
  after(() => {
    logger.level = level;
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('connects (disconnected → connecting → syncing → running) and publishes each state', async () => {
    h = await rig();
    await until(h.clock, () => h!.states.length === 3, 'three state events');
    assert.equal(h.actor.state, 'running');
    assert.deepEqual(
      h.states.map((s) => `${s.previous}>${s.state}:${s.reason}`),
      ['disconnected>connecting:venue.connect', 'connecting>syncing:venue.connected', 'syncing>running:venue.synced'],
    );
    assert.equal(h.fake.count('loadInstruments'), 1);
  });

  it('journal-before-send: the order is placed only after its journal record is written', async () => {
    h = await rig();
    await until(h.clock, () => h!.actor.state === 'running', 'running');
    h.writeGate = gate();
    submit(h);
    await until(h.clock, () => h!.journal.orders.size === 1, 'order in the table');
    const o = onlyOrder(h);
    // The write is held: however long we wait, nothing may leave.
    for (let i = 0; i < 50; i++) await step(h.clock, 10);
    assert.equal(h.fake.count('placeOrder'), 0, 'no placement while the journal write is pending');
    h.writeGate.open();
    h.writeGate = undefined;
    await until(h.clock, () => o.state === 'accepted', 'accepted');
    const wrote = h.timeline.findIndex((e) => e.startsWith('journal:') && e.includes(o.clientOrderId));
    const placed = h.timeline.indexOf(`place:${o.clientOrderId}`);
    assert.ok(wrote >= 0 && placed > wrote, `journal write (${wrote}) before placement (${placed})`);
    assert.equal(h.actor.stats().accepted, 1);
  });

  it('a placement answered while the journal fails to write the answer: the order is accepted and published at once, the failed record is not thrown, later orders are denied JOURNAL_FAILED', async () => {
    h = await rig();
    await until(h.clock, () => h!.actor.state === 'running', 'running');
    const updates: string[] = [];
    h.system.spawn('probe.orders', counterMachine, {
      handle: (e: Envelope) => {
        if (e.type === 'order.update' && isObj(e.payload)) updates.push(String(e.payload.state));
      },
    });
    h.system.subscribe('orders.all', 'probe.orders');
    // The submit record is written; the record of the venue's answer (accept) is not.
    h.failWrite = (text) => text.includes('"kind":"accept"');
    submit(h);
    await until(h.clock, () => h!.journal.writer.failed !== undefined, 'the accept record failed');
    const o = onlyOrder(h);
    assert.equal(o.state, 'accepted', 'applied in memory');
    await until(h.clock, () => updates.includes('accepted'), 'accepted published');
    assert.equal(h.fake.count('placeOrder'), 1);
    assert.equal(h.journal.writer.health.writable, false);
    h.failWrite = undefined;
    submit(h, { priceTicks: 2_000_100 });
    await until(h.clock, () => h!.denials.length === 1, 'the next order denied');
    assert.equal(h.denials[0]!.code, 'JOURNAL_FAILED');
    assert.equal(h.fake.count('placeOrder'), 1, 'never sent');
  });

  it('an ambiguous placement (answer lost after the venue acted) goes unknown, then is resolved by client order id', async () => {
    h = await rig();
    await until(h.clock, () => h!.actor.state === 'running', 'running');
    // The venue books the order, but the answer never arrives (timeout).
    h.fake.script('placeOrder', { delayMs: 50, answer: (fake, args) => void fake.book(String(args[0]), args[1] as OrderIntent), fail: 'unknown', message: 'request timed out' });
    submit(h);
    // The journal acknowledges within the turn, so `unknown` may be resolved within one step: the
    // order's journaled events show it went unknown first.
    await until(h.clock, () => h!.journal.orders.size === 1 && h!.actor.stats().unknown === 1, 'unknown');
    const o = onlyOrder(h);
    await until(h.clock, () => o.state === 'accepted', 'resolved to accepted');
    assert.ok(
      h.timeline.some((e) => e.startsWith('journal:') && e.includes(o.clientOrderId) && e.includes('"kind":"unknown"')),
      'the unknown outcome was journaled before the order was resolved',
    );
    assert.equal(o.venueOrderId, h.fake.orders.get(o.clientOrderId)!.venueOrderId);
    assert.ok(h.fake.calls.some((c) => c.method === 'fetchOrder' && c.args[0] === o.clientOrderId), 'looked up by client order id');
    assert.equal(h.fake.count('placeOrder'), 1, 'never re-sent');
    await until(h.clock, () => h!.actor.stats().resolved === 1, 'counted as resolved');
    assert.equal(h.actor.stats().unknown, 1);
  });

  it('an ambiguous placement the venue never saw is rejected only after notFoundGraceMs', async () => {
    h = await rig({ notFoundGraceMs: 1000 });
    await until(h.clock, () => h!.actor.state === 'running', 'running');
    h.fake.script('placeOrder', { fail: 'unknown', message: 'socket hang up' });
    submit(h);
    await until(h.clock, () => h!.journal.orders.size === 1 && onlyOrder(h!).state === 'unknown', 'unknown');
    const o = onlyOrder(h);
    const t0 = h.clock.epochMs();
    await until(h.clock, () => o.state !== 'unknown', 'resolved', 3000, 5);
    assert.equal(o.state, 'rejected');
    assert.ok(h.clock.epochMs() - t0 >= 1000, 'not concluded "not there" within the grace period');
    await until(h.clock, () => h!.actor.stats().resolved === 1, 'counted as resolved');
  });

  it('a stale sync result is dropped after a reconnect (the machine left the state that asked)', async () => {
    h = await rig({ reconcileEveryMs: 300 });
    await until(h.clock, () => h!.actor.state === 'running', 'running');
    // The next poll's open-order answer is held on the wire; when it lands it names an order the
    // journal lacks (which a live sync would adopt).
    const held = gate();
    const ghost: VenueOrder = { clientOrderId: 'ghost-1', venueOrderId: '999', symbol: 'BTC/USDT', status: 'NEW', filledLots: 0, cumTickLots: 0n, trades: [], timeMs: h.clock.epochMs(), terms: { side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 1, qtyLots: 1 } };
    h.fake.script('fetchOpenOrders', {
      gate: held,
      answer: () => [ghost],
    });
    await until(h.clock, () => h!.fake.count('fetchOpenOrders') >= 3, 'poll in flight');
    const pollCalls = h.fake.count('fetchOpenOrders');
    // An ambiguous placement and a failed lookup open the breaker: the venue goes down, probes,
    // reconnects and re-syncs.
    h.fake.script('placeOrder', { fail: 'unknown' });
    h.fake.script('fetchOrder', { fail: 'unknown' });
    submit(h);
    await until(h.clock, () => h!.actor.state === 'disconnected', 'down');
    await until(h.clock, () => h!.actor.state === 'running' && h!.fake.count('fetchOpenOrders') > pollCalls, 'reconnected', 5000);
    const downs = h.actor.stats().downs;
    assert.ok(downs >= 1);
    // Now the old poll's answer arrives.
    held.open();
    for (let i = 0; i < 20; i++) await step(h.clock, 1);
    assert.equal(h.journal.orders.get('ghost-1'), undefined, 'the stale answer was not applied');
    assert.equal(h.actor.stats().adopted, 0);
    assert.equal(h.actor.state, 'running');
  });

  it('refused credentials halt the venue (B4_VENUE_AUTH), orders are denied VENUE_HALTED, retries back off and a success resumes', async () => {
    h = await rig({ authRetryMs: 1000, authRetryCapMs: 10_000 });
    h.fake.script('loadInstruments', { fail: 'auth', message: '{"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}' }, { fail: 'auth', message: 'HTTP 401' });
    await until(h.clock, () => h!.states.at(-1)?.state === 'halted', 'halted');
    assert.equal(h.actor.stats().haltCode, 'B4_VENUE_AUTH');
    assert.match(h.states.at(-1)!.reason, /B4_VENUE_AUTH: .*code -2015/);
    submit(h);
    await until(h.clock, () => h!.denials.length === 1, 'denied');
    assert.equal(h.denials[0]!.code, 'VENUE_HALTED');
    assert.equal(h.fake.count('placeOrder'), 0);
    // First retry after 1000 ms (refused again), the next only after 2000 ms more.
    const t0 = h.clock.epochMs();
    await until(h.clock, () => h!.fake.count('loadInstruments') === 2, 'first retry', 3000, 10);
    assert.ok(h.clock.epochMs() - t0 >= 1000);
    await until(h.clock, () => h!.actor.state === 'halted', 'halted again');
    const t1 = h.clock.epochMs();
    for (let i = 0; i < 150; i++) await step(h.clock, 10);
    assert.equal(h.fake.count('loadInstruments'), 2, 'no retry before the doubled delay');
    await until(h.clock, () => h!.states.at(-1)?.state === 'running', 'running after the retry', 3000, 10);
    assert.ok(h.clock.epochMs() - t1 >= 2000);
    assert.equal(h.actor.stats().authFailures, 0, 'reset by the successful sync');
    assert.equal(h.actor.stats().haltCode, undefined);
    const path = h.states.map((s) => s.state);
    assert.deepEqual(path.slice(-4), ['disconnected', 'connecting', 'syncing', 'running'], 'resume passes through disconnected and reconciles');
  });

  it('an operator halt drops a connect in flight; resume reconnects', async () => {
    h = await rig();
    const held = gate();
    h.fake.script('loadInstruments', { gate: held });
    await until(h.clock, () => h!.actor.state === 'connecting', 'connecting');
    h.system.send('exchange.sim-a', { type: 'venue.cmd.halt', payload: { reason: 'maintenance' }, lane: 'control' });
    await until(h.clock, () => h!.actor.state === 'halted', 'halted');
    held.open();
    for (let i = 0; i < 20; i++) await step(h.clock, 5);
    assert.equal(h.actor.state, 'halted', 'the late connect answer does not move a halted venue');
    h.system.send('exchange.sim-a', { type: 'venue.cmd.resume', lane: 'control' });
    await until(h.clock, () => h!.states.at(-1)?.state === 'running', 'running');
    assert.deepEqual(
      h.states.map((s) => s.state),
      ['connecting', 'halted', 'disconnected', 'connecting', 'syncing', 'running'],
    );
  });
  // --- order-entry health vs market-data health (issue 13: recovery <= 1 s) ---

  /** Makes order entry fail (REST down) and drives the venue to `disconnected` with three lost placements. */
  async function restDown(r: Rig): Promise<void> {
    r.fake.restOutage = 'unknown';
    for (let i = 0; i < 3; i++) submit(r, { priceTicks: 2_000_000 + i });
    await until(r.clock, () => r.actor.state === 'disconnected', 'disconnected (order entry down)');
  }

  it('shipped defaults: an open breaker is probed repeatedly, < 200 ms apart with full jitter, and closes on the first successful probe', async () => {
    h = await rig({}, true);
    const r = h;
    await until(r.clock, () => r.actor.state === 'running', 'running');
    const transitions: BreakerTransition[] = [];
    r.breaker.on('transition', (t) => void transitions.push(t));
    await restDown(r);
    assert.equal(r.breaker.state, 'open', 'three consecutive failures opened the breaker');
    const firstProbe = r.fake.calls.length;
    await until(r.clock, () => r.fake.count('probe') >= 12, 'twelve probes while the venue is down', 5000);
    const probes = r.fake.calls.slice(firstProbe).filter((c) => c.method === 'probe');
    assert.ok(r.fake.calls.slice(firstProbe).every((c) => c.method === 'probe'), 'nothing but probes reaches a down venue');
    const gapsMs = probes.slice(1).map((c, i) => (c.atNs - probes[i]!.atNs) / 1e6);
    assert.ok(gapsMs.every((g) => g <= 200), `every probe within 200 ms of the previous one: ${gapsMs.join(', ')}`);
    assert.ok(new Set(gapsMs).size > 3, `jittered gaps, not a fixed period: ${gapsMs.join(', ')}`);
    assert.ok(transitions.some((t) => t.from === 'open' && t.to === 'half-open'), 'each probe is admitted as the half-open trial');
    assert.ok(!transitions.some((t) => t.to === 'closed'), 'failed probes never close the breaker');
    // Heal: the very next probe closes the breaker and order entry reconnects (connect, then sync).
    r.fake.restOutage = undefined;
    const healedAt = r.fake.calls.length;
    await until(r.clock, () => r.actor.state === 'running', 'running again', 5000);
    const after = r.fake.calls.slice(healedAt);
    assert.equal(after[0]!.method, 'probe', 'the probe is the first call after the heal');
    assert.equal(after.filter((c) => c.method === 'probe').length, 1, 'one successful probe is enough');
    assert.equal(after[1]!.method, 'loadInstruments', 'the connect follows the probe');
    assert.equal(r.breaker.state, 'closed');
    const close = transitions.find((t) => t.to === 'closed');
    assert.equal(close?.reason, 'half-open-success');
    assert.ok(r.actor.stats().lastBackNs > 0, 'the probe stamped the venue back');
  });

  it('a REST outage does not stop the streams: tickers keep arriving on md.ticker while order entry reconnects', async () => {
    h = await rig({}, true);
    const r = h;
    const tickers: Ticker[] = [];
    r.system.spawn('probe.tickers', counterMachine, { handle: (e: Envelope) => void (e.type === 'md.ticker' && tickers.push(e.payload as Ticker)) });
    r.system.subscribe('md.ticker.>', 'probe.tickers');
    await until(r.clock, () => r.actor.state === 'running', 'running');
    assert.equal(r.fake.count('startStreams'), 1);
    const stopsBefore = r.fake.count('stopStreams');
    await restDown(r);
    const sinks = r.fake.sinks;
    assert.ok(sinks !== undefined, 'the streams are still open while order entry is down');
    for (let i = 0; i < 5; i++) {
      sinks.onTicker({ symbol: 'BTC/USDT', bidTicks: 2_000_000 + i, bidLots: 1, askTicks: 2_000_010 + i, askLots: 1, venueTimeMs: r.clock.epochMs() });
      await step(r.clock, 20);
    }
    await until(r.clock, () => tickers.length === 5, 'five tickers delivered while disconnected');
    assert.equal(r.actor.state, 'disconnected', 'order entry is still down');
    assert.deepEqual(tickers.map((t) => t.bidTicks), [2_000_000, 2_000_001, 2_000_002, 2_000_003, 2_000_004]);
    r.fake.restOutage = undefined;
    await until(r.clock, () => r.actor.state === 'running', 'running again', 5000);
    assert.equal(r.fake.count('stopStreams'), stopsBefore, 'the streams were never stopped');
    assert.equal(r.fake.count('startStreams'), 1, 'nor restarted');
    assert.equal(r.fake.sinks, sinks);
    submit(r, { priceTicks: 2_100_000 });
    await until(r.clock, () => [...r.journal.orders.values()].some((o) => o.intent.priceTicks === 2_100_000 && o.state === 'accepted'), 'first order after the heal accepted');
  });

  it('a stream outage does not block order entry: degraded, orders accepted; a stream that broke during a REST outage leaves the venue degraded on reconnect', async () => {
    h = await rig({}, true);
    const r = h;
    await until(r.clock, () => r.actor.state === 'running', 'running');
    r.fake.sinks!.onStreamError('ticker', new Error('ws closed'));
    await until(r.clock, () => r.actor.state === 'degraded', 'degraded');
    submit(r, { priceTicks: 2_200_000 });
    await until(r.clock, () => [...r.journal.orders.values()].some((o) => o.intent.priceTicks === 2_200_000 && o.state === 'accepted'), 'accepted while degraded');
    assert.equal(r.denials.length, 0, 'no denial while only the streams are down');
    r.fake.sinks!.onStreamUp('ticker');
    await until(r.clock, () => r.actor.state === 'running', 'running after the stream came back');
    // Now REST goes down, and meanwhile the stream breaks: order entry comes back degraded.
    await restDown(r);
    r.fake.sinks!.onStreamError('ticker', new Error('ws closed'));
    r.fake.restOutage = undefined;
    await until(r.clock, () => r.actor.state === 'degraded', 'degraded after the reconnect (the stream is still down)', 5000);
    submit(r, { priceTicks: 2_300_000 });
    await until(r.clock, () => [...r.journal.orders.values()].some((o) => o.intent.priceTicks === 2_300_000 && o.state === 'accepted'), 'accepted while degraded after the reconnect');
    r.fake.sinks!.onStreamUp('ticker');
    await until(r.clock, () => r.actor.state === 'running', 'running');
  });
  it('a probe stuck on a blackholed connection counts as failed after probeTimeoutMs: the next probe finds the healed venue at once', async () => {
    h = await rig({}, true);
    const r = h;
    await until(r.clock, () => r.actor.state === 'running', 'running');
    await restDown(r);
    r.fake.restOutage = undefined;
    // Blackhole: the next probes are never answered (their gates stay shut).
    const hung = [gate(), gate(), gate()];
    r.fake.script('probe', ...hung.map((g) => ({ gate: g })));
    await until(r.clock, () => r.fake.count('probe') >= 3, 'three hanging probes', 5000);
    assert.equal(r.actor.state, 'disconnected', 'still down: nothing answered');
    // The venue heals (answers again) while the third probe still hangs: the next probe closes the breaker.
    await until(r.clock, () => r.actor.state === 'running', 'running while the hung probes never answered', 5000);
    assert.equal(r.breaker.state, 'closed');
    const probes = r.fake.calls.filter((c) => c.method === 'probe');
    assert.ok(probes.length >= 4, 'a fresh probe after the stuck ones');
    for (const g of hung) g.open();
    for (let i = 0; i < 10; i++) await step(r.clock, 10);
    assert.equal(r.actor.state, 'running', 'the late answers of the abandoned probes change nothing');
    assert.equal(r.breaker.state, 'closed');
  });

  it('probeTimeoutMs is validated with the field named', () => {
    assert.throws(() => new VenueActor({ adapter: new FakeAdapter('sim-a', new SimulatedClock(), SIM_A), journal: undefined as never, clock: new SimulatedClock(), breaker: new CircuitBreaker({}, new SimulatedClock()), instruments: SIM_A, options: { probeTimeoutMs: 0 } }), /venues\.sim-a\.probeTimeoutMs: expected .*>= 1, got 0/);
  });
  it('placements sent into the outage that fail only after the heal do not re-trip the breaker the probe closed', async () => {
    h = await rig({}, true);
    const r = h;
    await until(r.clock, () => r.actor.state === 'running', 'running');
    // Three placements go into a blackhole: they hang, and time out only after the venue healed.
    const hung = [gate(), gate(), gate()];
    r.fake.script('placeOrder', ...hung.map((g) => ({ gate: g, fail: 'unknown' as const, message: 'request timed out' })));
    for (let i = 0; i < 3; i++) submit(r, { priceTicks: 2_400_000 + i });
    await until(r.clock, () => r.fake.count('placeOrder') === 3, 'three placements on the wire');
    await restDown(r);
    r.fake.restOutage = undefined;
    await until(r.clock, () => r.actor.state === 'running', 'running after the heal', 5000);
    const downs = r.actor.stats().downs;
    for (const g of hung) g.open();
    await until(r.clock, () => [...r.journal.orders.values()].filter((o) => o.intent.priceTicks >= 2_400_000 && o.intent.priceTicks < 2_400_003).every((o) => o.state !== 'submitted'), 'the hung placements ended');
    for (let i = 0; i < 20; i++) await step(r.clock, 10);
    assert.equal(r.breaker.state, 'closed', 'failures of calls older than the close are not counted');
    assert.equal(r.actor.state, 'running');
    assert.equal(r.actor.stats().downs, downs, 'the healed venue was not knocked down again');
  });
});
