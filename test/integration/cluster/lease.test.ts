import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { OrderJournal } from '../../../actors/journal/order-journal.js';
import { listSegments } from '../../../actors/journal/segments.js';
import { decodeRecordAt } from '../../../actors/journal/record.js';
import type { Order } from '../../../actors/orders/order-state.js';
import { LiveClock } from '../../../common/clock.js';
import { VenueLease } from '../../../cluster/lease.js';
import { parseClusterOptions } from '../../../cluster/replication-options.js';
import { LeaseHeldError, LeaseStaleError } from '../../../cluster/replication-errors.js';
import { startNatsServer, type NatsServerHandle } from '../../fixtures/nats/nats-server.js';
import { INSTRUMENTS } from '../../fixtures/journal/workload.js';
import { waitFor } from '../../fixtures/exchange/harness.js';

const clock = new LiveClock();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('venue lease in a JetStream KV bucket (real nats-server)', function () {
  this.timeout(60_000);
  let nats: NatsServerHandle;
  let down = false;
  const conns: NatsConnection[] = [];
  const leases: VenueLease[] = [];
  const dirs: string[] = [];
  let n = 0;
  const opts = parseClusterOptions({ lease: { enabled: true, ttlMs: 2000, renewMs: 200, marginMs: 600 } }).lease;

  async function conn(): Promise<NatsConnection> {
    const nc = await connect({ servers: nats.url, reconnectTimeWait: 50, maxReconnectAttempts: -1, timeout: 500 });
    conns.push(nc);
    return nc;
  }
  async function lease(node: string, key: string, o = opts): Promise<VenueLease> {
    const l = await VenueLease.open(await conn(), o, { key, node, clock });
    leases.push(l);
    return l;
  }

  before(async () => {
    nats = await startNatsServer();
  });
  afterEach(async () => {
    for (const l of leases.splice(0)) await l.close();
    for (const c of conns.splice(0)) await c.close().catch(() => undefined);
    if (down) await nats.restart();
    down = false;
  });
  after(async () => {
    await nats?.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('acquire: the first node owns the lease (term = the revision of its create); a second acquire is refused with B4_LEASE_HELD', async () => {
    const key = `acct-${++n}`;
    const a = await lease('a', key);
    const b = await lease('b', key);
    const term = await a.acquire();
    assert.equal(a.status.role, 'owner');
    assert.equal(a.fence, term);
    assert.equal(a.admit(), undefined);
    await assert.rejects(b.acquire(), (e: unknown) => e instanceof LeaseHeldError);
    assert.ok(b.admit() instanceof LeaseStaleError, 'a standby refuses orders');
  });

  it('renew: the owner keeps its term over several TTLs; revisions advance; a standby never takes over', async () => {
    const key = `acct-${++n}`;
    const a = await lease('a', key);
    const b = await lease('b', key);
    await a.start();
    await b.start();
    const term = a.fence!;
    const rev0 = a.status.revision!;
    for (let i = 0; i < 25; i++) {
      await sleep(200);
      assert.equal(b.status.role, 'standby', 'the standby stays standby while the owner renews');
      assert.equal(a.status.role, 'owner');
    }
    assert.equal(a.fence, term, 'same term');
    assert.ok(a.status.revision! > rev0 + 5, `renewed (${rev0} → ${a.status.revision})`);
    assert.equal(a.admit(), undefined);
  });

  it('contend: of several nodes started together exactly one owns the lease, at every observation', async () => {
    const key = `acct-${++n}`;
    const ls = await Promise.all(['a', 'b', 'c'].map((node) => lease(node, key)));
    await Promise.all(ls.map((l) => l.start()));
    for (let i = 0; i < 15; i++) {
      const owners = ls.filter((l) => l.admit() === undefined);
      assert.equal(owners.length, 1, `observation ${i}: ${ls.map((l) => `${l.node}:${l.status.role}`).join(' ')}`);
      await sleep(100);
    }
  });

  it('expiry → takeover: when the owner stops renewing, the standby takes over with a higher term', async () => {
    const key = `acct-${++n}`;
    const a = await lease('a', key);
    const b = await lease('b', key);
    await a.start();
    await b.start();
    const termA = a.fence!;
    await a.close();
    await waitFor(() => b.status.role === 'owner', 15_000, () => `b owner: ${JSON.stringify(b.status)}`);
    assert.ok(b.fence! > termA, `term ${b.fence} > ${termA}`);
    assert.equal(b.admit(), undefined);
    assert.ok(a.admit() instanceof LeaseStaleError);
  });

  it('owner cut from NATS (server stopped): it refuses orders before its lease could expire; afterwards the lease passes to one node only', async () => {
    const key = `acct-${++n}`;
    const a = await lease('a', key);
    const b = await lease('b', key);
    await a.start();
    await b.start();
    assert.equal(a.admit(), undefined);
    down = true;
    await nats.stop();
    const stoppedNs = clock.nowNs();
    let refusedNs = 0;
    for (let i = 0; i < 400 && refusedNs === 0; i++) {
      if (a.admit() instanceof LeaseStaleError) refusedNs = clock.nowNs();
      else await sleep(10);
    }
    assert.ok(refusedNs > 0, 'the owner stops sending while it cannot renew');
    // The lease could pass to another node no earlier than TTL after the owner's last renewal was sent.
    const lastSent = a.lastSentNs;
    assert.ok(lastSent <= stoppedNs, 'no renewal got through after the server stopped');
    assert.ok(refusedNs < lastSent + opts.ttlMs * 1e6, `fenced ${((refusedNs - lastSent) / 1e6).toFixed(0)} ms after the last renewal was sent, before the ${opts.ttlMs} ms TTL`);
    await nats.restart();
    down = false;
    // Whoever owns it afterwards, never both.
    await waitFor(() => a.valid || b.valid, 20_000, () => `an owner again: a ${JSON.stringify(a.status)} b ${JSON.stringify(b.status)}`);
    for (let i = 0; i < 10; i++) {
      assert.ok(!(a.valid && b.valid), 'never two owners');
      await sleep(100);
    }
  });

  it('a renewal that was written but whose answer was lost (the key holds our term at a newer revision) keeps the lease', async () => {
    const key = `acct-${++n}`;
    const a = await lease('a', key);
    await a.start();
    const term = a.fence!;
    const kv = await new Kvm(await conn()).open(opts.bucket);
    const cur = (await kv.get(key))!;
    // What a renewal that reached the server but not back would leave: our owner and term, a newer revision.
    await kv.update(key, JSON.stringify({ owner: 'a', term }), cur.revision);
    for (let i = 0; i < 10; i++) {
      await sleep(100);
      assert.equal(a.status.role, 'owner', 'not lost');
    }
    assert.equal(a.fence, term);
    assert.equal(a.admit(), undefined);
  });

  it('a stale revision is refused: after another node took the lease, the old owner refuses orders (LEASE_STALE) and its journaled orders carry its term', async () => {
    const key = `acct-${++n}`;
    const a = await lease('a', key);
    await a.start();
    const termA = a.fence;
    const dir = mkdtempSync(path.join(tmpdir(), 'bot4-lease-'));
    dirs.push(dir);
    const j = await OrderJournal.open({ dir, fsync: 'never' }, { clock, instruments: INSTRUMENTS, markInFlightUnknown: false });
    try {
      j.setGate(a);
      await j.adjustBalance('sim-a', 'USDT', 10n ** 18n);
      const intent = { strategy: 's', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy' as const, type: 'limit' as const, tif: 'GTC' as const, priceTicks: 1_000_000, qtyLots: 5 };
      const answers: (Error | undefined)[] = [];
      const listener = { journaled: (err: Error | undefined, _o: Order) => answers.push(err) };
      j.submitThen('s', intent, undefined, listener);
      await waitFor(() => answers.length === 1, 5000, 'journaled');
      assert.equal(answers[0], undefined);
      // Another node takes the lease over (a revision-checked update against the current revision).
      const kv = await new Kvm(await conn()).open(opts.bucket);
      const cur = (await kv.get(key))!;
      await kv.update(key, JSON.stringify({ owner: 'b' }), cur.revision);
      await waitFor(() => a.admit() !== undefined, 5000, 'the old owner notices');
      assert.ok(a.admit() instanceof LeaseStaleError);
      const before = j.nextSequence;
      assert.throws(() => j.submitThen('s', intent, undefined, listener), (e: unknown) => e instanceof LeaseStaleError);
      assert.equal(j.nextSequence, before, 'refused before journaling');
      await j.flush();
      const seg = readFileSync(listSegments(dir)[0]!.path);
      let off = 0;
      const terms: unknown[] = [];
      while (off < seg.length) {
        const r = decodeRecordAt(seg, off, seg.length, 2 ** 20);
        assert.ok(r.ok);
        if (r.record.type === 'order.submit') terms.push((r.record.data as { l?: unknown }).l);
        off += r.bytes;
      }
      assert.equal(typeof termA, 'number');
      assert.deepEqual(terms, [termA], 'the order record carries the lease term (l)');
    } finally {
      await j.close();
    }
  });
});
