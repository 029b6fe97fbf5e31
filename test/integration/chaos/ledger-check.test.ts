import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OrderJournal } from '../../../actors/journal/order-journal.js';
import { toUnits, type Instrument } from '../../../actors/orders/instrument.js';
import type { Side } from '../../../actors/orders/intent.js';
import { LiveClock } from '../../../common/clock.js';
import { DEFAULT_INSTRUMENTS, DEMO_API_KEY, DEMO_BALANCES, Simulator } from '../../../simulators/index.js';
import { checkLedger, fetchLedger, instrumentsFromSpecs, LedgerFetchError, userAccount, type LedgerCheckReport } from '../../../chaos/ledger-check/ledger-check.js';
import { ccxt, restClient } from '../simulators/helpers.js';

const VENUE = 'sim-a';
const ACCOUNT = userAccount(DEMO_API_KEY);
const INSTRUMENTS: Instrument[] = instrumentsFromSpecs(VENUE, DEFAULT_INSTRUMENTS);
const BTC = INSTRUMENTS.find((i) => i.symbol === 'BTC/USDT')!;
const ASSET_DECIMALS = Object.fromEntries(Object.keys(DEMO_BALANCES).map((a) => [a, 8]));

interface RawFill {
  price: string;
  qty: string;
  commission: string;
  commissionAsset: string;
  tradeId: number;
}

describe('ledger check against a simulator over REST (ccxt) and the control API', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let ex: ReturnType<typeof restClient>;
  let cp: ReturnType<typeof restClient>;
  let journal: OrderJournal;
  let dir: string;

  /**
   * What the engine does for one order: journal the intent, send it with ccxt, record what the
   * REST reply says (Binance FULL reply: status and fills, read from the raw decimal strings).
   */
  async function send(side: Side, amount: string, price: string, tif: 'GTC' | 'IOC' = 'GTC'): Promise<string> {
    const qtyLots = Number(toUnits(amount, BTC.lotSize));
    const priceTicks = Number(toUnits(price, BTC.tickSize));
    const o = await journal.submit('it', { strategy: 'it', venue: VENUE, symbol: 'BTC/USDT', side, type: 'limit', tif, priceTicks, qtyLots });
    const id = o.clientOrderId;
    let info: { orderId: number; status: string; fills: RawFill[] };
    try {
      const r = await ex.createOrder('BTC/USDT', 'limit', side, Number(amount), Number(price), { clientOrderId: id, timeInForce: tif });
      info = r.info as typeof info;
    } catch (e) {
      if (!(e instanceof ccxt.InsufficientFunds)) throw e;
      await journal.record(id, { kind: 'reject', reason: e.message });
      return id;
    }
    await journal.record(id, { kind: 'accept', venueOrderId: String(info.orderId) });
    for (const f of info.fills) {
      await journal.record(id, {
        kind: 'fill',
        lots: Number(toUnits(f.qty, BTC.lotSize)),
        priceTicks: Number(toUnits(f.price, BTC.tickSize)),
        tradeId: String(f.tradeId),
        feeAsset: f.commissionAsset,
        feeAtoms: journal.portfolio.toAtoms(f.commissionAsset, f.commission),
      });
    }
    if (info.status === 'EXPIRED') await journal.record(id, { kind: 'expire' });
    else if (info.status === 'CANCELED') await journal.record(id, { kind: 'canceled' });
    return id;
  }

  async function check(controlUrl = sim.controlUrl): Promise<LedgerCheckReport> {
    const ledger = await fetchLedger(controlUrl, VENUE, ACCOUNT);
    return checkLedger(journal.state, [{ venue: VENUE, ledger, account: ACCOUNT }], { instruments: INSTRUMENTS });
  }

  before(async () => {
    sim = await Simulator.start({ venues: 1, seed: 1, port: 0, participants: false });
    ex = restClient(sim.venues[0]!);
    await ex.loadMarkets();
    const res = await fetch(`${sim.controlUrl}/venues/${VENUE}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiKey: 'cp-key', apiSecret: 'cp-secret', balances: { USDT: '100000', BTC: '2' } }),
    });
    assert.equal(res.status, 200);
    cp = restClient(sim.venues[0]!, { apiKey: 'cp-key', secret: 'cp-secret' });
    await cp.loadMarkets();
    dir = mkdtempSync(path.join(tmpdir(), 'b4-ledger-check-it-'));
    journal = await OrderJournal.open({ dir, fsync: 'never' }, { clock: new LiveClock(), instruments: INSTRUMENTS, portfolio: { assetDecimals: ASSET_DECIMALS } });
    for (const [asset, amount] of Object.entries(DEMO_BALANCES)) await journal.adjustBalance(VENUE, asset, journal.portfolio.toAtoms(asset, amount));
  });
  after(async () => {
    await journal?.close();
    await sim?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  let resting = '';

  it('a clean run over the wire: taker fill + expiry, a resting order, a cancel, a venue rejection', async () => {
    await cp.createOrder('BTC/USDT', 'limit', 'sell', 0.0005, 60000, { clientOrderId: 'cp-ask-1' });
    const ioc = await send('buy', '0.001', '60000', 'IOC');
    assert.equal(journal.orders.require(ioc).state, 'expired');
    assert.equal(journal.orders.require(ioc).filledLots, 50);
    resting = await send('buy', '0.001', '50000');
    const toCancel = await send('sell', '0.002', '70000');
    await journal.record(toCancel, { kind: 'cancel-request' });
    const c = await ex.cancelOrder(journal.orders.require(toCancel).venueOrderId!, 'BTC/USDT');
    assert.equal(c.status, 'canceled');
    await journal.record(toCancel, { kind: 'canceled' });
    const rejected = await send('buy', '100', '60000');
    assert.equal(journal.orders.require(rejected).state, 'rejected');

    const r = await check();
    assert.deepEqual(r.anomalies, []);
    assert.equal(r.ok, true);
    assert.equal(r.counts.ok, 3);
    assert.equal(r.counts.failed, 1);
    // The venue port serves the same control API.
    assert.deepEqual(await check(sim.venues[0]!.control), r);
  });

  it('a manual order with the engine\'s key is a PHANTOM (and locks funds the engine does not know of)', async () => {
    const m = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 40000, { clientOrderId: 'manual-1' });
    const r = await check();
    assert.deepEqual(r.anomalies.map((a) => a.kind), ['PHANTOM', 'BALANCE_MISMATCH']);
    assert.equal(r.anomalies[0]!.clientOrderId, 'manual-1');
    assert.equal(r.anomalies[1]!.asset, 'USDT');
    assert.match(r.anomalies[1]!.detail, /locked/);
    await ex.cancelOrder(m.id!, 'BTC/USDT');
    const after = await check();
    assert.deepEqual(after.anomalies.map((a) => a.kind), ['PHANTOM']);
  });

  it('an order canceled behind the engine\'s back is a STATE_MISMATCH (and a locked-balance mismatch)', async () => {
    await ex.cancelOrder(journal.orders.require(resting).venueOrderId!, 'BTC/USDT');
    const r = await check();
    const mine = r.anomalies.filter((a) => a.clientOrderId !== 'manual-1');
    assert.deepEqual(mine.map((a) => a.kind), ['STATE_MISMATCH', 'BALANCE_MISMATCH']);
    assert.equal(mine[0]!.clientOrderId, resting);
    assert.equal(mine[0]!.engine, 'accepted');
    assert.equal(mine[0]!.ledger, 'CANCELED');
  });

  it('fetchLedger reports an unknown venue as LedgerFetchError', async () => {
    await assert.rejects(fetchLedger(sim.controlUrl, 'sim-zz', ACCOUNT), (e: unknown) => e instanceof LedgerFetchError && e.code === 'B4_LEDGER_CHECK_FETCH' && /HTTP 400/.test(e.message));
  });
});
