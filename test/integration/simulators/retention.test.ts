import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ccxt from 'ccxt';
import { createOrder, type Order } from '../../../actors/orders/order-state.js';
import { checkLedger, instrumentsFromSpecs } from '../../../chaos/ledger-check/ledger-check.js';
import { ConfigError } from '../../../common/errors.js';
import { DEFAULT_INSTRUMENTS, DEMO_API_KEY, Simulator, type LedgerSnapshot } from '../../../simulators/index.js';
import { restClient } from './helpers.js';

const ACCOUNT = `user:${DEMO_API_KEY}`;

/** Signed 8-decimal string → atoms. */
function atoms(s: string): bigint {
  const neg = s.startsWith('-');
  const [i, f = ''] = (neg ? s.slice(1) : s).split('.');
  const v = BigInt(i!) * 100_000_000n + BigInt(f.padEnd(8, '0'));
  return neg ? -v : v;
}

/** The compacted entry sums plus the listed entries give the account's balances exactly. */
function assertReconciles(l: LedgerSnapshot): void {
  assert.equal(l.reconciled, true);
  const sums = new Map<string, { free: bigint; locked: bigint }>();
  for (const [asset, b] of Object.entries(l.compacted.accounts[ACCOUNT]?.entries ?? {})) sums.set(asset, { free: atoms(b.free), locked: atoms(b.locked) });
  for (const e of l.entries) {
    if (e.account !== ACCOUNT) continue;
    const s = sums.get(e.asset) ?? { free: 0n, locked: 0n };
    s.free += atoms(e.freeDelta);
    s.locked += atoms(e.lockedDelta);
    sums.set(e.asset, s);
  }
  for (const [asset, b] of Object.entries(l.balances[ACCOUNT] ?? {})) {
    assert.equal(sums.get(asset)?.free ?? 0n, atoms(b.free), `${asset} free`);
    assert.equal(sums.get(asset)?.locked ?? 0n, atoms(b.locked), `${asset} locked`);
  }
}

/** A signed REST call's Binance error code (ccxt hides it behind its own classes). */
async function binanceCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (e) {
    assert.ok(e instanceof ccxt.OrderNotFound, `expected OrderNotFound, got ${String(e)}`);
    return /-2013/.test(String((e as Error).message)) ? '-2013' : String((e as Error).message);
  }
}

describe('simulator retention (bounded client history)', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'b4-sim-retention-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('validates the option, naming the field, what was expected and what arrived', async () => {
    for (const [retention, field, got] of [
      [{ orders: -1 }, 'simulator.retention', '-1'],
      [{ orders: 10, maxAgeMs: 1.5 }, 'simulator.retention', '1.5'],
      [{ keep: 3 }, 'simulator.retention', 'keep'],
      ['all', 'simulator.retention', '"all"'],
    ] as const) {
      await assert.rejects(
        Simulator.start({ venues: 1, port: 0, participants: false, retention: retention as never }),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError, String(e));
          assert.ok(e.message.startsWith(field), e.message);
          assert.match(e.message, /expected/);
          assert.ok(e.message.includes(got), `${e.message} names ${got}`);
          return true;
        },
      );
    }
  });

  it('a compacted order answers -2013 by id and by client id; kept and open ones still answer; the ledger reconciles; a restart keeps all of it', async () => {
    const opts = { venues: 1, seed: 3, port: 0, participants: false, rateLimits: false as const, selfTradePreventionMode: 'NONE' as const, stateDir: dir, stateCompactEvery: 15, retention: { orders: 4, entries: 0, maxAgeMs: 0 } };
    let sim = await Simulator.start(opts);
    let before: LedgerSnapshot;
    let firstId: string;
    let restingId: string;
    let lastId = '';
    try {
      const ex = restClient(sim.venues[0]!);
      await ex.loadMarkets();
      // one resting order placed first: open orders are never compacted, however old
      const resting = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 20_000, { clientOrderId: 'rest-0' });
      restingId = resting.id!;
      // a maker, then takers of the same account (self-trade allowed): fills with fees on both sides
      await ex.createOrder('BTC/USDT', 'limit', 'sell', 0.05, 60_000, { clientOrderId: 'maker-0' });
      const first = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 61_000, { clientOrderId: 'take-0', timeInForce: 'IOC' });
      firstId = first.id!;
      assert.equal(first.status, 'closed');
      // Many more in process (the venue's own path minus the wire), enough balance entries to compact
      // whole blocks of them (16,384) as well; 1 in 2 trades against the resting maker.
      const core = sim.venue('sim-a');
      const ins = core.instruments.get('BTCUSDT')!;
      for (let i = 0; i < 4000; i++) {
        const r = core.engine.place({ account: ACCOUNT, symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'IOC', priceTicks: ins.ticksOf(i % 2 === 0 ? 61_000 : 10_000), lots: 100, quoteOrderQty: 0n, clientOrderId: `bulk-${i}` });
        assert.ok(r.ok);
        if (i % 1000 === 0) assert.ok(core.engine.place({ account: ACCOUNT, symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', priceTicks: ins.ticksOf(60_000), lots: 60_000, quoteOrderQty: 0n, clientOrderId: `maker-${i + 1}` }).ok);
      }
      for (let i = 1; i < 300; i++) {
        const o = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, i % 2 === 0 ? 61_000 : 10_000, { clientOrderId: `take-${i}`, timeInForce: 'IOC' });
        lastId = o.id!;
      }
      // the oldest closed orders are gone: Binance's answer for an unknown order
      assert.equal(await binanceCode(ex.fetchOrder(firstId, 'BTC/USDT')), '-2013');
      assert.equal(await binanceCode(ex.fetchOrder(undefined as unknown as string, 'BTC/USDT', { origClientOrderId: 'take-0' })), '-2013');
      // the newest and the open one answer
      assert.equal((await ex.fetchOrder(lastId, 'BTC/USDT')).clientOrderId, 'take-299');
      assert.equal((await ex.fetchOrder(restingId, 'BTC/USDT')).status, 'open');
      assert.equal((await ex.fetchOrder(undefined as unknown as string, 'BTC/USDT', { origClientOrderId: 'rest-0' })).id, restingId);
      const all = await ex.fetchOrders('BTC/USDT');
      assert.ok(all.length <= 4 + 256 + 2, `allOrders lists the kept orders only: ${all.length}`);
      assert.ok(!all.some((o) => o.id === firstId));

      before = sim.ledger('sim-a', ACCOUNT);
      assert.ok(before.compacted.orders > 0, 'orders were compacted');
      assert.equal(before.compacted.orders + before.orders.length, 302 + 4004, 'kept + compacted = every order placed');
      assert.ok(before.compacted.entries > 0, 'balance entries were compacted');
      assert.ok(before.orders.some((o) => o.clientOrderId === 'rest-0'));
      assert.ok(!before.orders.some((o) => o.clientOrderId === 'take-0'));
      const flows = before.compacted.accounts[ACCOUNT]!.symbols.BTCUSDT!;
      assert.ok(atoms(flows.boughtQty) > 0n, 'compacted fills are summed');
      assert.ok(Object.keys(before.compacted.accounts[ACCOUNT]!.commissions).length > 0, 'compacted fees are summed');
      assertReconciles(before);
      // the durable snapshot holds the window, not the history
      const snap = JSON.parse(readFileSync(path.join(dir, 'sim-a.snapshot.json'), 'utf8')) as { orders: unknown[]; c?: { orders: number } };
      assert.ok(snap.orders.length <= 4 + 256 + 2, `snapshot orders: ${snap.orders.length}`);
      assert.ok((snap.c?.orders ?? 0) > 0, 'the snapshot carries the compacted sums');
    } finally {
      await sim.stop();
    }

    sim = await Simulator.start(opts);
    try {
      const after = sim.ledger('sim-a', ACCOUNT);
      assertReconciles(after);
      assert.deepEqual(after.balances, before.balances);
      assert.equal(after.compacted.orders + after.orders.length, 302 + 4004);
      assert.equal(after.compacted.entries + after.entries.length, before.compacted.entries + before.entries.length, 'no entry lost or doubled');
      // balances per asset = the same sums (compaction after a restart may have folded a different cut)
      assert.equal(after.compacted.throughOrderId >= before.compacted.throughOrderId, true);
      const ex = restClient(sim.venues[0]!);
      await ex.loadMarkets();
      assert.equal(await binanceCode(ex.fetchOrder(firstId, 'BTC/USDT')), '-2013');
      assert.equal((await ex.fetchOrder(restingId, 'BTC/USDT')).status, 'open');
      assert.equal((await ex.fetchOrder(lastId, 'BTC/USDT')).clientOrderId, 'take-299');
      // ids continue past every id issued before the restart
      const next = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 10_000, { timeInForce: 'IOC' });
      assert.ok(Number(next.id) > Number(lastId));
      assertReconciles(sim.ledger('sim-a', ACCOUNT));
    } finally {
      await sim.stop();
    }
  });

  it('the chaos ledger check counts compacted orders through the sums: a closed engine order agrees, an open one is a STATE_MISMATCH', async () => {
    const sim = await Simulator.start({ venues: 1, seed: 5, port: 0, participants: false, rateLimits: false, retention: { orders: 2, entries: 0, maxAgeMs: 0 } });
    try {
      const core = sim.venue('sim-a');
      const ins = core.instruments.get('BTCUSDT')!;
      const orders: Order[] = [];
      // past the window plus its slack (2 + 256), so a compaction runs
      for (let i = 0; i < 300; i++) {
        const cid = `chk-${i}`;
        const priceTicks = ins.ticksOf(10_000 + i);
        const r = core.engine.place({ account: ACCOUNT, symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'IOC', priceTicks, lots: 100, quoteOrderQty: 0n, clientOrderId: cid });
        assert.ok(r.ok);
        const o = createOrder(cid, { strategy: 't', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'IOC', priceTicks, qtyLots: 100 }, 0);
        o.state = 'expired';
        o.venueOrderId = String(r.order.orderId);
        orders.push(o);
      }
      const ledger = sim.ledger('sim-a', ACCOUNT);
      assert.ok(ledger.compacted.orders >= 200, `compacted ${ledger.compacted.orders}`);
      const instruments = instrumentsFromSpecs('sim-a', DEFAULT_INSTRUMENTS);
      const ok = checkLedger({ orders }, [{ venue: 'sim-a', ledger, account: ACCOUNT }], { instruments, balances: 'off' });
      assert.equal(ok.ok, true, JSON.stringify(ok.anomalies.slice(0, 3)));
      assert.equal(ok.counts.ok, 300);
      assert.equal(ok.counts.lost, 0);
      // the engine still thinks the first one is open: the venue only compacts closed orders
      orders[0]!.state = 'accepted';
      const bad = checkLedger({ orders }, [{ venue: 'sim-a', ledger, account: ACCOUNT }], { instruments, balances: 'off' });
      assert.equal(bad.ok, false);
      assert.equal(bad.counts.stateMismatch, 1);
      assert.equal(bad.anomalies[0]!.ledger, 'compacted');
    } finally {
      await sim.stop();
    }
  });
});
