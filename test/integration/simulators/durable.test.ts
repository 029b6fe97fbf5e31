import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEMO_API_KEY, Simulator } from '../../../simulators/index.js';
import type { LedgerSnapshot } from '../../../simulators/venue/ledger.js';
import { restClient } from './helpers.js';

const ACCOUNT = `user:${DEMO_API_KEY}`;

/** What an API user can see of its account, in a form that compares exactly across restarts. */
async function view(sim: Simulator): Promise<Record<string, unknown>> {
  const ex = restClient(sim.venues[0]!);
  await ex.loadMarkets();
  const bal = await ex.fetchBalance();
  const open = await ex.fetchOpenOrders('BTC/USDT');
  const trades = [...(await ex.fetchMyTrades('BTC/USDT')), ...(await ex.fetchMyTrades('ETH/USDT'))];
  const byCid = await ex.fetchOrder(undefined as unknown as string, 'BTC/USDT', { origClientOrderId: 'durable-rest-1' });
  return {
    total: bal.total,
    used: bal.used,
    open: open.map((o) => [o.id, o.clientOrderId, o.status, o.price, o.amount, o.filled]),
    trades: trades.map((t) => [t.id, t.order, t.side, t.price, t.amount, t.fee?.cost]),
    byCid: [byCid.id, byCid.status, byCid.filled, byCid.price],
  };
}

/** The account's part of the ledger (orders, entries, balances), without the snapshot time. */
function ledgerOf(sim: Simulator): Omit<LedgerSnapshot, 'time' | 'fees' | 'totals'> {
  const { time: _t, fees: _f, totals: _x, ...rest } = sim.ledger('sim-a', ACCOUNT);
  return rest;
}

/** Replays the entries of the account and checks they give its balances exactly (what the ledger check relies on). */
function assertEntriesGiveBalances(snap: LedgerSnapshot): void {
  const sums = new Map<string, bigint>();
  const atoms = (s: string): bigint => {
    const neg = s.startsWith('-');
    const [i, f = ''] = (neg ? s.slice(1) : s).split('.');
    const v = BigInt(i!) * 100_000_000n + BigInt(f.padEnd(8, '0'));
    return neg ? -v : v;
  };
  for (const e of snap.entries) sums.set(`${e.asset}`, (sums.get(e.asset) ?? 0n) + atoms(e.freeDelta) + atoms(e.lockedDelta));
  for (const [asset, b] of Object.entries(snap.balances[ACCOUNT] ?? {})) assert.equal(sums.get(asset) ?? 0n, atoms(b.free) + atoms(b.locked), `entries of ${asset} do not give the balance`);
}

describe('simulator durable ledger (stateDir)', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'b4-sim-state-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const start = (over: Record<string, unknown> = {}): Promise<Simulator> => Simulator.start({ venues: 1, seed: 11, port: 0, stateDir: dir, tickMs: 50, ...over });

  it('balances, open orders, order history, trades, users and id counters survive stop + start; a new start without stateDir is blank', async () => {
    let sim = await start();
    let before: Record<string, unknown>;
    let ledgerBefore: ReturnType<typeof ledgerOf>;
    let maxOrderId: number;
    let maxTradeId: number;
    try {
      const ex = restClient(sim.venues[0]!);
      await ex.loadMarkets();
      // the book fills within a few ticks of the start; wait (bounded) for both sides to quote
      let t = await ex.fetchTicker('BTC/USDT');
      for (let i = 0; i < 200 && !(Number(t.bid) > 0 && Number(t.ask) > 0); i++) {
        await new Promise((r) => setTimeout(r, 50));
        t = await ex.fetchTicker('BTC/USDT');
      }
      assert.ok(Number(t.bid) > 0 && Number(t.ask) > 0, `the market quotes both sides: ${t.bid}/${t.ask}`);
      await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.01, Math.floor(Number(t.bid) * 0.9), { clientOrderId: 'durable-rest-1' });
      const gone = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.02, Math.floor(Number(t.bid) * 0.8));
      await ex.cancelOrder(gone.id!, 'BTC/USDT');
      const m = await ex.createOrder('BTC/USDT', 'market', 'buy', 0.01);
      assert.equal(m.status, 'closed');
      await ex.createOrder('ETH/USDT', 'market', 'sell', 0.5);
      // a venue-generated client id (no newClientOrderId sent)
      await ex.createOrder('BTC/USDT', 'limit', 'sell', 0.01, Math.ceil(Number(t.ask) * 1.5), { newClientOrderId: '' });
      const res = await fetch(`${sim.controlUrl}/venues/sim-a/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiKey: 'second', apiSecret: 'second-secret', balances: { USDT: '123.45' } }) });
      assert.equal(res.status, 200);
      before = await view(sim);
      ledgerBefore = ledgerOf(sim);
      assert.ok(ledgerBefore.orders.length >= 5);
      maxOrderId = Math.max(...ledgerBefore.orders.map((o) => o.orderId));
      maxTradeId = Math.max(...ledgerBefore.orders.flatMap((o) => o.fills.map((f) => f.tradeId)));
    } finally {
      await sim.stop();
    }
    sim = await start();
    try {
      assert.deepEqual(await view(sim), before);
      assert.deepEqual(ledgerOf(sim), ledgerBefore);
      const snap = sim.ledger('sim-a');
      assert.equal(snap.reconciled, true, JSON.stringify(snap.totals));
      assertEntriesGiveBalances(sim.ledger('sim-a', ACCOUNT));
      sim.venue('sim-a').accounts.checkConservation();
      // the user added over the control API is back with its balance and secret
      const second = restClient(sim.venues[0]!, { apiKey: 'second', secret: 'second-secret' });
      await second.loadMarkets();
      assert.equal(((await second.fetchBalance()).total as unknown as Record<string, number>).USDT, 123.45);
      // ids continue: no order id or trade id is issued twice
      const ex = restClient(sim.venues[0]!);
      await ex.loadMarkets();
      const n = await ex.createOrder('BTC/USDT', 'market', 'buy', 0.01);
      assert.ok(Number(n.id) > maxOrderId, `order id ${n.id} reused (max before ${maxOrderId})`);
      const tr = await ex.fetchMyTrades('BTC/USDT');
      assert.ok(tr.filter((x) => x.order === n.id).every((x) => Number(x.id) > maxTradeId), 'trade ids continue above the last one before the restart');
      // clientOrderId of the open order is still taken (Binance -2010 duplicate)
      await assert.rejects(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 1000, { clientOrderId: 'durable-rest-1' }), /Duplicate order/);
    } finally {
      await sim.stop();
    }
    const blank = await Simulator.start({ venues: 1, seed: 11, port: 0 });
    try {
      assert.equal(blank.ledger('sim-a', ACCOUNT).orders.length, 0);
    } finally {
      await blank.stop();
    }
  });

  it('compaction folds the log into a snapshot; replay of snapshot + log gives the same state', async () => {
    let sim = await start({ stateCompactEvery: 3 });
    let before: ReturnType<typeof ledgerOf>;
    try {
      const ex = restClient(sim.venues[0]!);
      await ex.loadMarkets();
      for (let i = 0; i < 6; i++) await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 1000 + i, { clientOrderId: `cmp-${i}` });
      await ex.cancelOrder(undefined as unknown as string, 'BTC/USDT', { origClientOrderId: 'cmp-2' });
      before = ledgerOf(sim);
      assert.ok(existsSync(path.join(dir, 'sim-a.snapshot.json')), 'a snapshot was written');
      // Operation lines only: the background market's first trade on a symbol reserves a block of
      // trade ids with a line of its own, at whatever moment it happens to trade.
      const opLines = readFileSync(path.join(dir, 'sim-a.log'), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .filter((l) => !(JSON.parse(l) as { r: { t: string }[] }).r.every((rec) => rec.t === 'r'));
      assert.ok(opLines.length < 3, `the log was emptied by compaction: ${opLines.join('\n')}`);
    } finally {
      await sim.stop();
    }
    sim = await start({ stateCompactEvery: 3 });
    try {
      assert.deepEqual(ledgerOf(sim), before);
      assert.equal(sim.venue('sim-a').engine.openOrders(ACCOUNT).length, 5);
    } finally {
      await sim.stop();
    }
  });

  it('a torn last log line (a kill during a write) is dropped; a corrupt line before the end is B4_SIM_STORE', async () => {
    let sim = await start({ participants: false });
    let before: ReturnType<typeof ledgerOf>;
    try {
      const ex = restClient(sim.venues[0]!);
      await ex.loadMarkets();
      await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 1000, { clientOrderId: 'torn-1' });
      before = ledgerOf(sim);
    } finally {
      await sim.stop();
    }
    const log = path.join(dir, 'sim-a.log');
    // start compacts the log into the snapshot; then a later line is torn
    appendFileSync(log, '{"n":999999,"r":[{"t":"e","q":1');
    sim = await start({ participants: false });
    try {
      assert.deepEqual(ledgerOf(sim), before);
    } finally {
      await sim.stop();
    }
    writeFileSync(log, '{not json}\n{"n":1000000,"r":[]}\n');
    await assert.rejects(start({ participants: false }), (e: Error & { code?: string }) => e.code === 'B4_SIM_STORE' && /line 1/.test(e.message));
  });

  it('a failed write (disk full) stops the venue taking operations (-1007, HTTP 503) without crashing; a restart has the state before it', async () => {
    let sim = await start({ participants: false });
    let before: ReturnType<typeof ledgerOf>;
    try {
      const ex = restClient(sim.venues[0]!);
      await ex.loadMarkets();
      await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 1000, { clientOrderId: 'before-full' });
      before = ledgerOf(sim);
      // /dev/full fails every write with ENOSPC: put it under the store's log
      const store = (sim.venue('sim-a') as unknown as { store: { fd: number } }).store;
      store.fd = openSync('/dev/full', 'w');
      const r = await fetch(`${sim.venues[0]!.rest}/ping`);
      assert.equal(r.status, 200);
      await assert.rejects(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 1001), (e: Error) => /-1007/.test(e.message));
      assert.equal(sim.venue('sim-a').storeError?.constructor.name, 'SimulatorStoreError');
      // every later state change is refused up front (nothing more diverges from the log); reads still work
      await assert.rejects(ex.cancelOrder(undefined as unknown as string, 'BTC/USDT', { origClientOrderId: 'before-full' }), (e: Error) => /-1007/.test(e.message));
      assert.equal((await ex.fetchOpenOrders('BTC/USDT')).some((o) => o.clientOrderId === 'before-full'), true);
      const users = await fetch(`${sim.controlUrl}/venues/sim-a/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiKey: 'late', apiSecret: 'late-secret', balances: { USDT: '1' } }) });
      assert.equal(((await users.json()) as { error: { code: string } }).error.code, 'B4_SIM_STORE');
    } finally {
      await sim.stop();
    }
    sim = await start({ participants: false });
    try {
      assert.deepEqual(ledgerOf(sim), before);
    } finally {
      await sim.stop();
    }
  });

  it('reset wipes the durable ledger too', async () => {
    let sim = await start({ participants: false });
    try {
      const ex = restClient(sim.venues[0]!);
      await ex.loadMarkets();
      await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 1000);
      assert.equal(sim.ledger('sim-a', ACCOUNT).orders.length, 1);
      const r = await fetch(`${sim.controlUrl}/reset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(r.status, 200);
      assert.equal(sim.ledger('sim-a', ACCOUNT).orders.length, 0);
    } finally {
      await sim.stop();
    }
    sim = await start({ participants: false });
    try {
      assert.equal(sim.ledger('sim-a', ACCOUNT).orders.length, 0);
      assert.equal(sim.ledger('sim-a', ACCOUNT).balances[ACCOUNT]!.USDT!.free, '100000.00000000');
    } finally {
      await sim.stop();
    }
  });
});
