// An engine (journal + venue actor, real ccxt-compatible simulator) trades with the replicated order
// log on; a node that has nothing but the stream rebuilds the same orders, positions and balances,
// and the ledger check passes against the rebuilt state. Orders refused by the cluster's gates reach
// strategies as typed denials (LEASE_STALE, REPLICATION_FAILED).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { BinanceAdapter } from '../../../actors/exchange/binance/binance-adapter.js';
import { VenueActor } from '../../../actors/exchange/venue-actor.js';
import { CircuitBreaker } from '../../../actors/exchange/circuit-breaker.js';
import { OrderJournal } from '../../../actors/journal/order-journal.js';
import { serializeOrderBook } from '../../../actors/journal/order-records.js';
import type { Instrument } from '../../../actors/orders/instrument.js';
import type { OrderIntent } from '../../../actors/orders/intent.js';
import { ActorSystem } from '../../../actors/runtime/index.js';
import { LiveClock } from '../../../common/clock.js';
import { checkLedger, userAccount } from '../../../chaos/ledger-check/ledger-check.js';
import { DEMO_API_KEY, DEMO_API_SECRET, Simulator } from '../../../simulators/index.js';
import { VenueLease } from '../../../cluster/lease.js';
import { JournalReplicator } from '../../../cluster/replicated-log.js';
import { rebuildJournalFromStream } from '../../../cluster/replicated-log-rebuild.js';
import { parseClusterOptions } from '../../../cluster/replication-options.js';
import { startNatsServer, type NatsServerHandle } from '../../fixtures/nats/nats-server.js';
import { assetDecimals, venueInstruments, waitFor } from '../../fixtures/exchange/harness.js';

const VENUE = 'sim-a';
const ACCOUNT = userAccount(DEMO_API_KEY);
const clock = new LiveClock();

function intent(over: Partial<OrderIntent> = {}): OrderIntent {
  return { strategy: 'mm', venue: VENUE, symbol: 'BTC/USDT', side: 'buy', type: 'market', tif: 'GTC', priceTicks: 3_000_000, qtyLots: 50, ...over };
}

type Ack = { accepted: boolean; clientOrderId?: string; reason?: string; message?: string };

describe('replicated order log with a trading engine: rebuild from the stream alone passes the ledger check (real simulator, real nats-server)', function () {
  this.timeout(120_000);
  let sim: Simulator;
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let instruments: Instrument[];
  const dirs: string[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  const dir = (): string => {
    const d = mkdtempSync(path.join(tmpdir(), 'bot4-rlog-engine-'));
    dirs.push(d);
    return d;
  };

  async function engine(d: string): Promise<{ journal: OrderJournal; system: ActorSystem; actor: VenueActor; submit(i: OrderIntent): Promise<Ack> }> {
    const v = sim.venues[0]!;
    const journal = await OrderJournal.open({ dir: d, fsync: 'never' }, { clock, instruments, portfolio: { assetDecimals: assetDecimals(instruments) } });
    const system = new ActorSystem({ clock });
    const adapter = new BinanceAdapter({ venue: v.name, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, rest: v.rest, ws: v.ws, wsApi: v.wsApi, timeoutMs: 2000, clock });
    const breaker = new CircuitBreaker({ name: v.name, consecutiveFailures: 2, minimumCalls: 4, openDurationMs: 100, maxOpenDurationMs: 500, jitter: 0 }, clock);
    const actor = new VenueActor({ adapter, journal, clock, breaker, instruments, options: { probeBaseMs: 20, probeCapMs: 200, reconcileEveryMs: 300, books: false } });
    actor.spawn(system);
    closers.push(async () => {
      await actor.close();
      await system.shutdown();
      await journal.close();
    });
    await waitFor(() => actor.state === 'running', 15_000, 'venue running');
    return { journal, system, actor, submit: (i) => system.ask(`exchange.${VENUE}`, { type: 'order.submit', payload: { intent: i } }, { timeoutMs: 5000 }) };
  }

  before(async () => {
    sim = await Simulator.start({ venues: 1, seed: 17, port: 0 });
    nats = await startNatsServer();
    nc = await connect({ servers: nats.url, reconnectTimeWait: 50, maxReconnectAttempts: -1 });
    instruments = await venueInstruments(sim, clock, ['BTC/USDT']);
  });
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  });
  after(async () => {
    await nc?.close().catch(() => undefined);
    await nats?.dispose();
    await sim?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('orders with fills replicate; a fresh directory rebuilt from the stream has exactly the same orders, positions and balances (bigint units) and passes the ledger check', async () => {
    const e = await engine(dir());
    const cluster = parseClusterOptions({ enabled: true, servers: [nats.url], replication: { stream: 'ENGINE1', subject: 'engine1.log', retryMs: 50 } });
    const r = JournalReplicator.start(e.journal.writer, cluster, clock, { nodeId: 'owner' });
    closers.push(() => r.close());
    // Market buys and sells (fills), and resting limit orders canceled by the venue actor's flow.
    let filled = 0;
    for (let k = 0; k < 12; k++) {
      const ack = await e.submit(intent({ side: k % 3 === 2 ? 'sell' : 'buy', qtyLots: 10 + k }));
      assert.equal(ack.accepted, true, ack.message);
      await waitFor(() => ['filled', 'expired', 'canceled', 'rejected'].includes(e.journal.orders.get(ack.clientOrderId!)?.state ?? ''), 10_000, 'order done');
      if (e.journal.orders.get(ack.clientOrderId!)!.state === 'filled') filled++;
    }
    assert.ok(filled >= 3, `${filled} orders filled`);
    await e.journal.flush();
    // Let the venue actor's reconciliation settle, then make sure the stream holds every record.
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(await r.flush(10_000), true, JSON.stringify(r.health));
    assert.equal(r.health.ackedSeq, e.journal.nextSequence - 1);

    const copyDir = dir();
    const rep = await rebuildJournalFromStream(nc, 'ENGINE1', copyDir);
    assert.equal(rep.records, e.journal.nextSequence - 1);
    const copy = await OrderJournal.open({ dir: copyDir, fsync: 'never' }, { clock, instruments, portfolio: { assetDecimals: assetDecimals(instruments) }, markInFlightUnknown: false });
    closers.push(() => copy.close());

    assert.equal(JSON.stringify(serializeOrderBook(copy.state)), JSON.stringify(serializeOrderBook(e.journal.state)), 'identical order book and portfolio');
    assert.equal(copy.orders.size, e.journal.orders.size);
    for (const o of e.journal.orders.values()) {
      const c = copy.orders.get(o.clientOrderId)!;
      assert.equal(c.state, o.state, o.clientOrderId);
      assert.equal(c.filledLots, o.filledLots, o.clientOrderId);
    }
    assert.equal(copy.portfolio.position(VENUE, 'BTC/USDT').qtyLots, e.journal.portfolio.position(VENUE, 'BTC/USDT').qtyLots);
    for (const asset of ['BTC', 'USDT']) {
      const a = copy.portfolio.balance(VENUE, asset);
      const b = e.journal.portfolio.balance(VENUE, asset);
      assert.equal(typeof a.total, 'bigint');
      assert.equal(a.total, b.total, `${asset} total`);
      assert.equal(a.locked, b.locked, `${asset} locked`);
    }
    const report = checkLedger({ orders: copy.orders, portfolio: copy.portfolio }, [{ venue: VENUE, ledger: sim.ledger(VENUE, ACCOUNT), account: ACCOUNT }], { instruments });
    assert.deepEqual(report.anomalies, []);
    assert.equal(report.ok, true);
  });

  it('through the venue actor: an order under a lease this node does not own is denied LEASE_STALE; under ack: sync with NATS down, REPLICATION_FAILED; neither reaches the venue', async () => {
    const e = await engine(dir());
    const leaseOpts = parseClusterOptions({ lease: { enabled: true, ttlMs: 2000, renewMs: 200, marginMs: 600 } }).lease;
    const holder = await VenueLease.open(nc, leaseOpts, { key: 'acct-engine', node: 'other', clock });
    closers.push(() => holder.close());
    await holder.acquire();
    const mine = await VenueLease.open(nc, leaseOpts, { key: 'acct-engine', node: 'me', clock });
    closers.push(() => mine.close());
    e.journal.setGate(mine);
    const venueOrdersBefore = sim.ledger(VENUE, ACCOUNT).orders.length;
    const denied = await e.submit(intent({ qtyLots: 5 }));
    assert.equal(denied.accepted, false);
    assert.equal(denied.reason, 'LEASE_STALE', denied.message);

    const nc2 = await connect({ servers: nats.url, reconnectTimeWait: 50, maxReconnectAttempts: -1 });
    closers.push(() => nc2.close());
    const cluster = parseClusterOptions({ enabled: true, servers: [nats.url], reconnectWaitMs: 50, replication: { stream: 'ENGINE2', subject: 'engine2.log', ack: 'sync', ackTimeoutMs: 500, retryMs: 50 } });
    const r = JournalReplicator.start(e.journal.writer, cluster, clock, { nodeId: 'me' });
    closers.push(() => r.close());
    e.journal.setGate(r);
    await waitFor(() => r.health.state === 'replicating', 10_000, 'replicating');
    const ok = await e.submit(intent({ qtyLots: 5 }));
    assert.equal(ok.accepted, true, ok.message);
    await nats.stop();
    try {
      await waitFor(() => r.health.state !== 'replicating', 10_000, 'outage noticed');
      const refused = await e.submit(intent({ qtyLots: 5 }));
      assert.equal(refused.accepted, false);
      assert.equal(refused.reason, 'REPLICATION_FAILED', refused.message);
    } finally {
      await nats.restart();
    }
    await waitFor(() => r.health.state === 'replicating', 20_000, () => `back: ${JSON.stringify(r.health)}`);
    const last = await e.submit(intent({ qtyLots: 5 }));
    assert.equal(last.accepted, true, last.message);
    await waitFor(() => e.journal.orders.get(last.clientOrderId!)?.state !== 'submitted', 10_000, 'the venue answered the last order');
    const venueIds = new Set(sim.ledger(VENUE, ACCOUNT).orders.map((o) => o.clientOrderId));
    assert.equal(venueIds.size >= venueOrdersBefore + 2, true);
    assert.ok(venueIds.has(ok.clientOrderId!) && venueIds.has(last.clientOrderId!), 'the admitted orders reached the venue');
    const refusedAtVenue = [...e.journal.orders.values()].filter((o) => /^(LEASE_STALE|REPLICATION_FAILED)/.test(o.reason ?? '') && venueIds.has(o.clientOrderId));
    assert.deepEqual(refusedAtVenue, [], 'no refused order reached the venue');
    assert.equal(sim.ledger(VENUE, ACCOUNT).orders.length, venueOrdersBefore + 2, 'exactly the two admitted orders');
  });
});
