import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import ccxt from 'ccxt';
import { LiveClock } from '../../../common/clock.js';
import { BinanceAdapter } from '../../../actors/exchange/binance/binance-adapter.js';
import { OrderJournal } from '../../../actors/journal/order-journal.js';
import type { Instrument } from '../../../actors/orders/instrument.js';
import { checkLedger, userAccount } from '../../../chaos/ledger-check/ledger-check.js';
import { DEMO_API_KEY, DEMO_API_SECRET, Simulator } from '../../../simulators/simulator.js';
import { TOKENS, TestClient } from '../../fixtures/gateway/ws-client.js';
import { QUIET_YAML, startDaemon, stopDaemon, until, type DaemonChild } from './harness.js';

const VENUES = ['sim-a', 'sim-b'] as const;
const auth = (token: string): { headers: Record<string, string> } => ({ headers: { authorization: `Bearer ${token}` } });
/** Atoms (1e-8) of a decimal string such as "0.00020000". */
const atoms = (s: string): bigint => {
  const neg = s.startsWith('-');
  const [i, f = ''] = (neg ? s.slice(1) : s).split('.');
  const v = BigInt(i!) * 100_000_000n + BigInt(f.padEnd(8, '0').slice(0, 8));
  return neg ? -v : v;
};

function venueClient(d: DaemonChild, venue: string): InstanceType<typeof ccxt.binance> {
  const rest = d.urls[`${venue}.rest`]!;
  return new ccxt.binance({
    apiKey: DEMO_API_KEY,
    secret: DEMO_API_SECRET,
    enableRateLimit: false,
    timeout: 5000,
    urls: { api: { public: rest, private: rest } },
    options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false },
  });
}

interface VenueView {
  /** asset → [free, locked] in atoms, from the venue's raw /account reply. */
  balances: Record<string, [string, string]>;
  /** The account's BTC/USDT trades: [id, orderId, isBuyer, qty]. */
  trades: [string, string, boolean, string][];
  /** Open orders: [orderId, clientOrderId, origQty, executedQty]. */
  open: [string, string, string, string][];
}

/** What the venues hold for the engine's account, read with ccxt straight from each venue. */
async function venueViews(d: DaemonChild): Promise<Record<string, VenueView>> {
  const out: Record<string, VenueView> = {};
  for (const venue of VENUES) {
    const ex = venueClient(d, venue);
    await ex.loadMarkets();
    const bal = await ex.fetchBalance();
    const raw = (bal.info as { balances: { asset: string; free: string; locked: string }[] }).balances;
    const trades = await ex.fetchMyTrades('BTC/USDT');
    const open = await ex.fetchOpenOrders('BTC/USDT');
    out[venue] = {
      balances: Object.fromEntries(raw.map((b) => [b.asset, [b.free, b.locked]])),
      trades: trades.map((t) => [String(t.id), String(t.order), (t.info as { isBuyer: boolean }).isBuyer, (t.info as { qty: string }).qty]),
      open: open.map((o) => [String(o.id), String(o.clientOrderId), (o.info as { origQty: string }).origQty, (o.info as { executedQty: string }).executedQty]),
    };
  }
  return out;
}

/** Free + locked per asset (what a SIGTERM shutdown that cancels open orders leaves unchanged). */
const totals = (v: Record<string, VenueView>): Record<string, Record<string, string>> =>
  Object.fromEntries(Object.entries(v).map(([venue, x]) => [venue, Object.fromEntries(Object.entries(x.balances).map(([a, [f, l]]) => [a, String(atoms(f) + atoms(l))]))]));

/**
 * The engine's positions (`positions.get`) and balances (`balances.get`) against the venues: the
 * BTC/USDT position of each venue is the venue's net traded BTC (lots of 0.00001 BTC), and each
 * engine balance is the venue's free + locked. Polled (bounded) until the engine has caught up.
 */
async function assertEngineMatchesVenues(d: DaemonChild, label: string): Promise<void> {
  const admin = await TestClient.connect(d.urls.api!, auth(TOKENS.admin));
  try {
    let last = '';
    const agree = async (): Promise<boolean> => {
      const views = await venueViews(d);
      const pos = (await admin.request('positions.get')).result as { venue: string; symbol: string; qtyLots: number }[];
      const bal = (await admin.request('balances.get')).result as { venue: string; asset: string; total: string; locked: string }[];
      const problems: string[] = [];
      for (const venue of VENUES) {
        const v = views[venue]!;
        const net = v.trades.reduce((s, [, , buy, qty]) => s + (buy ? atoms(qty) : -atoms(qty)), 0n);
        const lots = net / 1000n;
        const p = BigInt(pos.find((x) => x.venue === venue && x.symbol === 'BTC/USDT')?.qtyLots ?? 0);
        if (p !== lots) problems.push(`${venue} BTC/USDT position ${p} lots, venue net trades ${lots} lots`);
        for (const asset of ['BTC', 'USDT']) {
          const b = bal.find((x) => x.venue === venue && x.asset === asset);
          const [f, l] = v.balances[asset]!;
          const want = atoms(f) + atoms(l);
          if (b === undefined || atoms(b.total) !== want) problems.push(`${venue} ${asset}: engine total ${b?.total}, venue ${f} + ${l}`);
        }
      }
      last = problems.join('; ');
      return problems.length === 0;
    };
    await until(agree, 30_000, `engine positions and balances equal to the venues' (${label}): ${last}`).catch((e: Error) => {
      throw new Error(`${e.message}: ${last}`);
    });
  } finally {
    admin.close();
  }
}

interface Ticker {
  bidTicks: number;
  askTicks: number;
}

/** Trades through the daemon's API: a filled IOC buy and IOC sell on each venue, plus one resting buy 3% below the market (inside the risk price band; fair values move far less than that in a test). */
async function trade(d: DaemonChild, tag: string): Promise<void> {
  const admin = await TestClient.connect(d.urls.api!, auth(TOKENS.admin));
  const watcher = await TestClient.connect(d.urls.api!, auth(TOKENS.read));
  try {
    await until(async () => (await fetch(d.urls.health!)).status === 200, 30_000, '/health 200');
    assert.equal((await watcher.request('subscribe', { topics: ['orders', 'md.ticker.sim-a.BTC/USDT', 'md.ticker.sim-b.BTC/USDT'] })).ok, true);
    const ids: string[] = [];
    const done = (id: string): boolean => watcher.messages.some((m) => m.topic === 'orders' && (m.data as { orderId: string }).orderId === id && ['filled', 'accepted', 'expired', 'canceled'].includes((m.data as { status: string }).status));
    for (const venue of VENUES) {
      const t = (await watcher.waitFor((m) => m.topic === `md.ticker.${venue}.BTC/USDT`, `${venue} ticker`, 15_000)).data as Ticker;
      const orders = [
        { clientOrderId: `${tag}-${venue}-buy`, venue, symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'IOC', priceTicks: t.askTicks + 2000, qtyLots: 30 },
        { clientOrderId: `${tag}-${venue}-sell`, venue, symbol: 'BTC/USDT', side: 'sell', type: 'limit', tif: 'IOC', priceTicks: Math.max(1, t.bidTicks - 2000), qtyLots: 10 },
        { clientOrderId: `${tag}-${venue}-rest`, venue, symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: Math.round(t.bidTicks * 0.97), qtyLots: 20 },
      ];
      for (const o of orders) {
        const r = await admin.request('order.submit', o);
        const ack = r.result as { accepted: boolean; orderId: string };
        assert.equal(ack?.accepted, true, JSON.stringify(r));
        ids.push(ack.orderId);
        // one at a time: an IOC buy still in flight would make the next IOC sell a self-trade
        // (denied RISK_SELF_TRADE, as it should be)
        await until(() => done(ack.orderId), 20_000, `${o.clientOrderId} acknowledged by its venue`);
      }
    }
    await until(() => ids.every(done), 20_000, 'every order acknowledged by its venue');
  } finally {
    admin.close();
    watcher.close();
  }
}

async function instrumentsOf(sim: Simulator): Promise<Instrument[]> {
  const out: Instrument[] = [];
  for (const v of sim.venues) {
    const a = new BinanceAdapter({ venue: v.name, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, rest: v.rest, timeoutMs: 2000, clock: new LiveClock() });
    out.push(...(await a.loadInstruments()).filter((i) => i.symbol === 'BTC/USDT' || i.symbol === 'ETH/USDT'));
  }
  return out;
}

describe('daemon: the embedded venue is durable (its ledger survives SIGTERM and SIGKILL restarts)', function () {
  this.timeout(240_000);
  let d: DaemonChild | undefined;
  let dir = '';

  after(async () => {
    if (d !== undefined) await stopDaemon(d);
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('after SIGTERM and after SIGKILL the venues hold what they held, and engine positions equal venue balances', async () => {
    d = await startDaemon(QUIET_YAML);
    dir = d.dir;
    // the embedded simulator's state folder and control token live under the journal
    const stateDir = path.join(dir, 'journal', 'sim');
    assert.equal(d.urls['sim.controlTokenFile'], path.join(stateDir, 'control.token'));
    const token = readFileSync(d.urls['sim.controlTokenFile']!, 'utf8').trim();
    assert.equal(statSync(d.urls['sim.controlTokenFile']!).mode & 0o777, 0o600);
    assert.equal((await fetch(`${d.urls['sim.control']}/venues`)).status, 401, 'the embedded control API requires its token');
    assert.equal((await fetch(`${d.urls['sim-a.control']}/venues`)).status, 401, 'on the venue ports too');
    assert.equal((await fetch(`${d.urls['sim.control']}/venues`, { headers: { authorization: `Bearer ${token}` } })).status, 200);

    await trade(d, 'one');
    await assertEngineMatchesVenues(d, 'first start');
    const beforeTerm = await venueViews(d);
    assert.ok(VENUES.every((v) => beforeTerm[v]!.trades.length >= 2), 'every venue traded');

    // SIGTERM: the shutdown cancels open orders (QUIET_YAML), which moves locked funds back to free only
    assert.equal(await stopDaemon(d), 0, d.stderr().slice(-2000));
    d = await startDaemon(QUIET_YAML, { dir });
    const afterTerm = await venueViews(d);
    assert.deepEqual(totals(afterTerm), totals(beforeTerm), 'venue balances survive SIGTERM');
    for (const v of VENUES) assert.deepEqual(afterTerm[v]!.trades, beforeTerm[v]!.trades, `${v} trade history survives SIGTERM`);
    await assertEngineMatchesVenues(d, 'after SIGTERM');

    await trade(d, 'two');
    await assertEngineMatchesVenues(d, 'second start');
    const beforeKill = await venueViews(d);
    assert.ok(VENUES.every((v) => beforeKill[v]!.open.length === 1), 'one resting order per venue before the kill');
    d.proc.kill('SIGKILL');
    assert.equal(await d.exited, 'SIGKILL');
    d = await startDaemon(QUIET_YAML, { dir });
    const afterKill = await venueViews(d);
    // nothing was canceled this time: free, locked, open orders and trades are exactly as before
    assert.deepEqual(afterKill, beforeKill, 'venue balances, open orders and trades survive SIGKILL');
    await assertEngineMatchesVenues(d, 'after SIGKILL');

    // The independent ledger check: the engine's journal against the venue ledgers read offline from the state folder.
    assert.equal(await stopDaemon(d), 0, d.stderr().slice(-2000));
    d = undefined;
    const sim = await Simulator.start({ venues: 2, seed: 7, port: 0, participants: false, stateDir });
    try {
      const instruments = await instrumentsOf(sim);
      const decimals = Object.fromEntries([...new Set(instruments.flatMap((i) => [i.base, i.quote]))].map((a) => [a, 8]));
      const j = await OrderJournal.open({ dir: path.join(dir, 'journal'), fsync: 'never' }, { clock: new LiveClock(), instruments, portfolio: { assetDecimals: decimals }, markInFlightUnknown: false });
      try {
        const account = userAccount(DEMO_API_KEY);
        const report = checkLedger({ orders: j.orders, portfolio: j.portfolio }, VENUES.map((v) => ({ venue: v, ledger: sim.ledger(v, account), account })), { instruments, balances: 'total' });
        assert.equal(report.ok, true, JSON.stringify(report.anomalies.slice(0, 5)));
        assert.ok(report.counts.orders >= 12, `the check saw the orders (${report.counts.orders})`);
      } finally {
        await j.close();
      }
    } finally {
      await sim.stop();
    }
  });
});
