import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DiscardPolicy, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { OrderJournal } from '../../../actors/journal/order-journal.js';
import { serializeOrderBook } from '../../../actors/journal/order-records.js';
import { encodeRecord } from '../../../actors/journal/record.js';
import type { Order } from '../../../actors/orders/order-state.js';
import { LiveClock } from '../../../common/clock.js';
import { SeededRandom } from '../../../common/random.js';
import { JournalReplicator } from '../../../cluster/replicated-log.js';
import { rebuildJournalFromStream } from '../../../cluster/replicated-log-rebuild.js';
import { parseClusterOptions, type ClusterOptionsInput } from '../../../cluster/replication-options.js';
import { ReplicationFailedError, ReplicationGapError } from '../../../cluster/replication-errors.js';
import { startNatsServer, type NatsServerHandle } from '../../fixtures/nats/nats-server.js';
import { INSTRUMENTS, workloadStep } from '../../fixtures/journal/workload.js';
import { waitFor } from '../../fixtures/exchange/harness.js';

const clock = new LiveClock();

function openJournal(dir: string): Promise<OrderJournal> {
  return OrderJournal.open({ dir, fsync: 'never', snapshotEvery: 0 }, { clock, instruments: INSTRUMENTS, markInFlightUnknown: false });
}

function digest(j: OrderJournal): string {
  return JSON.stringify(serializeOrderBook(j.state));
}

async function streamState(url: string, stream: string): Promise<{ first: number; last: number; messages: number }> {
  const nc = await connect({ servers: url });
  try {
    const s = (await (await jetstreamManager(nc)).streams.info(stream)).state;
    return { first: s.first_seq, last: s.last_seq, messages: s.messages };
  } finally {
    await nc.close();
  }
}

describe('replicated order log (real nats-server with JetStream)', function () {
  this.timeout(60_000);
  let nats: NatsServerHandle;
  /** A fresh connection per use (closed after the test): a test's own connection never waits on a reconnect after the server restarted. */
  async function client(): Promise<NatsConnection> {
    const c = await connect({ servers: nats.url });
    closers.push(() => c.close());
    return c;
  }
  const dirs: string[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  let n = 0;
  /** The server was stopped by the test (afterEach brings it back if the test did not). */
  let down = false;
  const stopNats = async (): Promise<void> => {
    down = true;
    await nats.stop();
  };
  const restartNats = async (): Promise<void> => {
    await nats.restart();
    down = false;
  };

  const dir = (): string => {
    const d = mkdtempSync(path.join(tmpdir(), 'bot4-rlog-'));
    dirs.push(d);
    return d;
  };
  const cluster = (over: NonNullable<ClusterOptionsInput>['replication'] = {}): ReturnType<typeof parseClusterOptions> =>
    parseClusterOptions({ enabled: true, servers: [nats.url], connectTimeoutMs: 500, reconnectWaitMs: 50, replication: { stream: `T${++n}`, subject: `t${n}.log`, retryMs: 50, ackTimeoutMs: 1000, ...over } });
  async function start(d: string, over: NonNullable<ClusterOptionsInput>['replication'] = {}): Promise<{ j: OrderJournal; r: JournalReplicator }> {
    const j = await openJournal(d);
    const r = JournalReplicator.start(j.writer, cluster(over), clock, { nodeId: 'test' });
    closers.push(() => r.close(), () => j.close());
    return { j, r };
  }
  async function rebuilt(stream: string): Promise<OrderJournal> {
    const d = dir();
    // A fresh connection: the node that rebuilds is another process on another host.
    const other = await connect({ servers: nats.url });
    try {
      await rebuildJournalFromStream(other, stream, d);
    } finally {
      await other.close();
    }
    const j = await openJournal(d);
    closers.push(() => j.close());
    return j;
  }

  before(async () => {
    nats = await startNatsServer();
  });
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
    if (down) await nats.restart();
    down = false;
  });
  after(async () => {
    await nats?.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('every record reaches the stream once and in order (consecutive records per message) and a fresh node rebuilds the identical state from the stream alone', async () => {
    const { j, r } = await start(dir());
    await waitFor(() => r.health.state === 'replicating', 10_000, 'replicating');
    const rng = new SeededRandom(7);
    for (let i = 0; i < 400; i++) await workloadStep(j, rng);
    assert.equal(await r.flush(10_000), true, JSON.stringify(r.health));
    const last = j.nextSequence - 1;
    const st = await streamState(nats.url, r.stream);
    assert.equal(st.first, 1);
    assert.ok(st.messages >= 1 && st.messages <= last, `${st.messages} messages carry ${last} records (a commit's records travel together)`);
    const copy = await rebuilt(r.stream);
    assert.equal(copy.report.lastSeq, last);
    assert.equal(digest(copy), digest(j), 'orders, positions and balances are identical');
  });

  it('NATS down: the engine never waits (ack: async), the backlog catches up from the journal when NATS returns: nothing lost, nothing twice', async () => {
    const { j, r } = await start(dir(), { maxQueued: 16, maxInFlight: 8 });
    await waitFor(() => r.health.state === 'replicating', 10_000, 'replicating');
    const rng = new SeededRandom(8);
    for (let i = 0; i < 50; i++) await workloadStep(j, rng);
    assert.equal(await r.flush(10_000), true);
    await stopNats();
    // Every append is acknowledged by the local journal while NATS is gone.
    for (let i = 0; i < 300; i++) await workloadStep(j, rng);
    await waitFor(() => r.health.state === 'retrying', 10_000, () => `retrying: ${JSON.stringify(r.health)}`);
    assert.ok(r.health.lag > 16, `the backlog (${r.health.lag}) exceeds maxQueued: part of it is read back from the journal`);
    assert.ok(r.health.queued <= 16, `memory bounded: ${r.health.queued} queued`);
    await restartNats();
    assert.equal(await r.flush(20_000), true, JSON.stringify(r.health));
    const last = j.nextSequence - 1;
    const copy = await rebuilt(r.stream);
    assert.equal(copy.report.lastSeq, last, 'every record once, in order (the rebuild checks 1, 2, 3, … with no hole or repeat)');
    assert.equal(digest(copy), digest(j));
    assert.ok(r.health.episodes >= 1);
  });

  it('started while NATS is down (a daemon starting without NATS): the engine runs, the stream is filled once NATS comes up', async () => {
    await stopNats();
    const { j, r } = await start(dir());
    const rng = new SeededRandom(10);
    for (let i = 0; i < 60; i++) await workloadStep(j, rng);
    assert.equal(r.health.state, 'connecting');
    assert.equal(r.health.ackedSeq, 0);
    await restartNats();
    assert.equal(await r.flush(20_000), true, JSON.stringify(r.health));
    const copy = await rebuilt(r.stream);
    assert.equal(copy.report.lastSeq, j.nextSequence - 1);
    assert.equal(digest(copy), digest(j));
  });

  it('a journal with history before replication was switched on: the stream is filled from the journal on disk first', async () => {
    const d = dir();
    const j0 = await openJournal(d);
    const rng = new SeededRandom(9);
    for (let i = 0; i < 120; i++) await workloadStep(j0, rng);
    await j0.close();
    const { j, r } = await start(d, { maxQueued: 10 });
    for (let i = 0; i < 30; i++) await workloadStep(j, rng);
    assert.equal(await r.flush(20_000), true, JSON.stringify(r.health));
    const last = j.nextSequence - 1;
    const copy = await rebuilt(r.stream);
    assert.equal(copy.report.lastSeq, last, 'every record once, in order (the rebuild checks 1, 2, 3, … with no hole or repeat)');
    assert.equal(digest(copy), digest(j));
  });

  it('a record in the stream that this journal never wrote (another writer) stops replication with B4_REPLICATION_GAP, nothing overwritten', async () => {
    const { j, r } = await start(dir());
    await waitFor(() => r.health.state === 'replicating', 10_000, 'replicating');
    await j.adjustBalance('sim-a', 'USDT', 100n);
    assert.equal(await r.flush(10_000), true);
    // Another node appends record 2 first (as a node that took over the account would).
    const js = (await jetstreamManager(await client())).jetstream();
    await js.publish(r.options.subject, encodeRecord(2, Date.now(), 'balance.adjust', { v: 'sim-a', a: 'USDT', x: '5' }), { msgID: 'other-2', expect: { lastSequence: 1 } });
    await j.adjustBalance('sim-a', 'USDT', 1n);
    await waitFor(() => r.health.state === 'gap', 10_000, () => `gap: ${JSON.stringify(r.health)}`);
    assert.equal(r.health.error?.code, ReplicationGapError.code);
    assert.equal((await streamState(nats.url, r.stream)).last, 2, 'the other writer\'s record stays');
  });

  it('rebuild refuses a stream whose head expired, and a directory that already holds a journal', async () => {
    const { j, r } = await start(dir());
    await waitFor(() => r.health.state === 'replicating', 10_000, 'replicating');
    for (let i = 0; i < 5; i++) {
      await j.adjustBalance('sim-a', 'USDT', 1n);
      assert.equal(await r.flush(10_000), true);
    }
    assert.equal((await streamState(nats.url, r.stream)).messages, 5, 'one message per record when each is flushed alone');
    const d = dir();
    const nc = await client();
    await rebuildJournalFromStream(nc, r.stream, d);
    await assert.rejects(rebuildJournalFromStream(nc, r.stream, d), (e: unknown) => e instanceof ReplicationGapError && /already holds a journal/.test(e.message));
    await (await jetstreamManager(nc)).streams.purge(r.stream, { keep: 2 });
    await assert.rejects(rebuildJournalFromStream(nc, r.stream, dir()), (e: unknown) => e instanceof ReplicationGapError && /starts at message 4, not 1/.test(e.message));
  });

  describe('ack: sync', () => {
    it('an order leaves only once JetStream acknowledged its record; with NATS down new orders are refused (B4_REPLICATION_FAILED) and the engine is not blocked', async () => {
      const { j, r } = await start(dir(), { ack: 'sync', ackTimeoutMs: 500 });
      j.setGate(r);
      await waitFor(() => r.health.state === 'replicating', 10_000, 'replicating');
      await j.adjustBalance('sim-a', 'USDT', 10n ** 18n);
      const intent = { strategy: 's', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy' as const, type: 'limit' as const, tif: 'GTC' as const, priceTicks: 1_000_000, qtyLots: 5 };
      const released: { err: Error | undefined; order: Order; ackedSeq: number }[] = [];
      const listener = { journaled: (err: Error | undefined, order: Order) => released.push({ err, order, ackedSeq: r.health.ackedSeq }) };
      const o = j.submitThen('s', intent, undefined, listener);
      const seq = j.nextSequence - 1;
      await waitFor(() => released.length === 1, 10_000, 'released');
      assert.equal(released[0]!.err, undefined);
      assert.ok(released[0]!.ackedSeq >= seq, `released only after the stream acknowledged record ${seq} (acked ${released[0]!.ackedSeq})`);
      assert.equal(o.state, 'submitted');

      // NATS goes away: noticed at once (the connection's status), before any order waits for it.
      await stopNats();
      await waitFor(() => r.health.state !== 'replicating', 10_000, 'outage noticed');
      // New orders: refused synchronously, nothing journaled.
      const before = j.nextSequence;
      assert.throws(() => j.submitThen('s', intent, undefined, listener), (e: unknown) => e instanceof ReplicationFailedError);
      assert.equal(j.nextSequence, before, 'no sequence used');
      // Other records (fills, deposits) still journal: the engine runs.
      await j.adjustBalance('sim-a', 'USDT', 1n);

      await restartNats();
      await waitFor(() => r.health.state === 'replicating', 20_000, () => `replicating again: ${JSON.stringify(r.health)}`);
      const o3 = j.submitThen('s', intent, undefined, listener);
      await waitFor(() => released.length === 2, 10_000, 'third released');
      assert.equal(released[1]!.err, undefined);
      assert.equal(o3.state, 'submitted');
      assert.equal(await r.flush(10_000), true);
      assert.equal(digest(await rebuilt(r.stream)), digest(j), 'the rejected order and its rejection are in the stream too');
    });

    it('an order journaled but refused by the stream (full: maxBytes/discard new) is rejected REPLICATION_FAILED and never released; new orders are refused', async () => {
      const n = `FULL${Date.now() % 100000}`;
      const jsm = await jetstreamManager(await client());
      await jsm.streams.add({ name: n, subjects: [`${n}.log`], max_msgs: 2, discard: DiscardPolicy.New });
      const { j, r } = await start(dir(), { ack: 'sync', ackTimeoutMs: 1000, stream: n, subject: `${n}.log` });
      j.setGate(r);
      await waitFor(() => r.health.state === 'replicating', 10_000, 'replicating');
      await j.adjustBalance('sim-a', 'USDT', 10n ** 18n);
      assert.equal(await r.flush(10_000), true);
      const intent = { strategy: 's', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy' as const, type: 'limit' as const, tif: 'GTC' as const, priceTicks: 1_000_000, qtyLots: 5 };
      const answers: (Error | undefined)[] = [];
      const listener = { journaled: (err: Error | undefined, _o: Order) => answers.push(err) };
      const o1 = j.submitThen('s', intent, undefined, listener);
      await waitFor(() => answers.length === 1, 10_000, 'first answered');
      assert.equal(answers[0], undefined, 'message 2 fits');
      const o2 = j.submitThen('s', intent, undefined, listener);
      await waitFor(() => answers.length === 2, 10_000, 'second answered');
      assert.ok(answers[1] instanceof ReplicationFailedError, String(answers[1]));
      await waitFor(() => o2.state === 'rejected', 5000, 'rejected');
      assert.match(o2.reason ?? '', /^REPLICATION_FAILED: /);
      assert.equal(o1.state, 'submitted');
      assert.throws(() => j.submitThen('s', intent, undefined, listener), (e: unknown) => e instanceof ReplicationFailedError);
      assert.equal(r.health.state, 'retrying');
    });
  });
});
