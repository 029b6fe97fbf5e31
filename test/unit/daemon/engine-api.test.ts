import assert from 'node:assert/strict';
import { EngineApi } from '../../../daemon/engine-api.js';
import type { MarketDataMessage, MetricFamily, OrderRequest, RequestContext } from '../../../gateway/engine-port.js';
import { logger } from '../../../common/log.js';
import { engineDouble, type EngineDouble } from '../../fixtures/engine/engine-double.js';
import { looseConfig, unitInstrument } from '../actors/risk/fixtures.js';

const ctx: RequestContext = { principal: 'tester', roles: ['trade'], connectionId: 1, requestId: 1 };
const req = (over: Partial<OrderRequest> = {}): OrderRequest => ({ strategy: 'api', venue: 'v1', symbol: 'A/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 100, qtyLots: 2, ...over }) as OrderRequest;

function mdTotal(api: EngineApi, outcome: string): number {
  const f = api.metrics().find((m: MetricFamily) => m.name === 'bot4_engine_md_total')!;
  return f.samples.find((s) => s.labels?.outcome === outcome)!.value;
}

function ticker(bidPx: number, askPx: number, seq: number): MarketDataMessage {
  return { kind: 'ticker', topic: 'md.ticker.v1.A/USDT', venue: 'v1', symbol: 'A/USDT', seq, exchTsUs: 1_000_000, recvNs: 0, bidPx, bidQty: 5, askPx, askQty: 5, px: 0, qty: 0, side: '', level: 0 };
}

/** An EngineApi over an in-process engine double: risk-listed strategies `api` and `mm` (`mm` hosted), feed `oracle` trusted on v1 A/USDT. */
function harness(): { d: EngineDouble; api: EngineApi } {
  const risk = looseConfig({ strategies: { api: {}, mm: {} }, feeds: { trusted: { 'v1:A/USDT': ['oracle'] }, bandBps: 500 } });
  const d = engineDouble({ instrument: unitInstrument('v1', 'A/USDT'), risk, hosted: ['mm'] });
  d.engine.risk.onQuote('v1', 'A/USDT', 100);
  d.engine.risk.onBalance('v1', 'USDT', 1e12);
  d.engine.risk.onBalance('v1', 'A', 1e9);
  const api = new EngineApi(d.engine, { latencyEventMs: 0 });
  return { d, api };
}

describe('daemon/engine-api (in-process engine double)', () => {
  let h: ReturnType<typeof harness>;
  const level = logger.level;
  // the API's request log lines (`api order`, `api cancel`) are not test output
  before(() => {
    logger.level = 'silent';
  });
  after(() => {
    logger.level = level;
  });
  beforeEach(() => {
    h = harness();
  });
  afterEach(async () => {
    h.api.detach();
    await h.d.close();
  });

  /** Submits and pumps the actor system until the ack arrives (bounded). */
  async function submit(r: OrderRequest): Promise<Awaited<ReturnType<EngineApi['submitOrder']>>> {
    let out: Awaited<ReturnType<EngineApi['submitOrder']>> | undefined;
    const p = h.api.submitOrder(r, ctx).then((a) => (out = a));
    await h.d.settle(() => out !== undefined);
    return p;
  }

  describe('venue.resume', () => {
    it('UNKNOWN_VENUE for a venue the engine does not run, VENUE_NOT_HALTED for a running one; a halted one gets venue.cmd.resume on the control lane', async () => {
      const admin: RequestContext = { ...ctx, roles: ['admin'] };
      assert.deepEqual(await h.api.resumeVenue({ venue: 'nope' }, admin), { venue: 'nope', ok: false, state: 'unknown', reason: 'UNKNOWN_VENUE' });
      assert.deepEqual(await h.api.resumeVenue({ venue: 'v1' }, admin), { venue: 'v1', ok: false, state: 'running', reason: 'VENUE_NOT_HALTED' });
      assert.equal(h.d.venueInbox.filter((e) => e.type === 'venue.cmd.resume').length, 0, 'nothing sent for a refused resume');
      h.d.venueState.state = 'halted';
      assert.deepEqual(await h.api.resumeVenue({ venue: 'v1', acceptBalances: true }, admin), { venue: 'v1', ok: true, state: 'halted' });
      await h.d.settle(() => h.d.venueInbox.some((e) => e.type === 'venue.cmd.resume'));
      const sent = h.d.venueInbox.filter((e) => e.type === 'venue.cmd.resume');
      assert.equal(sent.length, 1);
      assert.deepEqual(sent[0]!.payload, { acceptBalances: true });
      assert.equal(sent[0]!.lane, 'control');
    });
  });

  describe('order entry', () => {
    it('refuses every order with ENGINE_NOT_RUNNING until the lifecycle is running', async () => {
      const ack = await submit(req({ clientOrderId: 'c1' }));
      assert.deepEqual({ accepted: ack.accepted, reason: ack.reason, clientOrderId: ack.clientOrderId }, { accepted: false, reason: 'ENGINE_NOT_RUNNING', clientOrderId: 'c1' });
      assert.match(ack.message!, /starting/);
      assert.equal(h.d.venueInbox.length, 0, 'nothing reached the venue actor');
      assert.equal(h.d.engine.riskActor.stats().checked, 0, 'nothing reached the risk actor');
    });

    it('refuses an order under a strategy the engine hosts with API_STRATEGY_HOSTED', async () => {
      h.api.lifecycle = 'running';
      const ack = await submit(req({ strategy: 'mm' }));
      assert.equal(ack.accepted, false);
      assert.equal(ack.reason, 'API_STRATEGY_HOSTED');
      assert.equal(h.d.venueInbox.length, 0);
    });

    it('passes risk to the venue actor once; the same clientOrderId again is DUPLICATE_CLIENT_ORDER_ID with the first orderId', async () => {
      h.api.lifecycle = 'running';
      const first = await submit(req({ clientOrderId: 'c1' }));
      assert.equal(first.accepted, true);
      assert.equal(first.clientOrderId, 'c1');
      assert.equal(first.orderId, 'api.1');
      assert.equal(h.d.engine.riskActor.stats().approved, 1);
      const again = await submit(req({ clientOrderId: 'c1', qtyLots: 3 }));
      assert.deepEqual({ accepted: again.accepted, reason: again.reason, orderId: again.orderId }, { accepted: false, reason: 'DUPLICATE_CLIENT_ORDER_ID', orderId: 'api.1' });
      assert.equal(h.d.venueInbox.filter((e) => e.type === 'order.submit').length, 1, 'the duplicate never left');
      const views = await h.api.orders({ status: 'all', limit: 10 });
      assert.deepEqual(views.map((v) => [v.orderId, v.clientOrderId]), [['api.1', 'c1']]);
    });

    it('a risk denial comes back as the ack (reason = the risk code) and never reaches the venue', async () => {
      h.api.lifecycle = 'running';
      const ack = await submit(req({ priceTicks: 1000 }));
      assert.equal(ack.accepted, false);
      assert.equal(ack.reason, 'RISK_PRICE_BAND');
      assert.equal(h.d.venueInbox.length, 0);
    });

    it('cancels by clientOrderId (control lane to the venue actor); unknown ids and unacknowledged orders are refused', async () => {
      h.api.lifecycle = 'running';
      const ack = await submit(req({ clientOrderId: 'c7' }));
      const id = ack.orderId!;
      assert.deepEqual(await h.api.cancelOrder({ clientOrderId: 'c7' }, ctx), { canceled: false, orderId: id, reason: 'ORDER_NOT_ACKNOWLEDGED' });
      h.d.orders.apply(id, { kind: 'accept', venueOrderId: 'V1' }, h.d.clock.nowNs());
      assert.deepEqual(await h.api.cancelOrder({ clientOrderId: 'c7' }, ctx), { canceled: true, orderId: id });
      await h.d.settle(() => h.d.venueInbox.some((e) => e.type === 'order.cancel'));
      const cancel = h.d.venueInbox.find((e) => e.type === 'order.cancel')!;
      assert.deepEqual(cancel.payload, { clientOrderId: id });
      assert.equal(cancel.lane, 'control');
      assert.deepEqual(await h.api.cancelOrder({ clientOrderId: 'nope' }, ctx), { canceled: false, reason: 'UNKNOWN_ORDER' });
      assert.deepEqual(await h.api.cancelOrder({ clientOrderId: 'c7', symbol: 'B/USDT' }, ctx), { canceled: false, orderId: id, reason: 'UNKNOWN_ORDER' });
    });
  });

  describe('feed trust', () => {
    it('untrusted producer, no venue reference yet and out-of-band records stay off the trading topic, each counted', async () => {
      const seen: unknown[] = [];
      h.api.onEvent((topic, data) => void (topic.startsWith('md.') && seen.push(data)));
      assert.equal(h.api.publishMarketData(ticker(99, 101, 1), 'stranger'), true);
      assert.equal(h.api.publishMarketData(ticker(99, 101, 2)), true, 'no producer name is not trusted either');
      assert.equal(mdTotal(h.api, 'untrusted'), 2);
      assert.equal(h.api.publishMarketData(ticker(99, 101, 3), 'oracle'), true);
      assert.equal(mdTotal(h.api, 'no-reference'), 1, 'trusted, but the venue has not quoted yet');
      // the venue's own ticker (no source) sets the band reference, via the event relay
      h.d.system.publish('md.ticker.v1.A/USDT', { type: 'md.ticker', payload: { venue: 'v1', symbol: 'A/USDT', bidTicks: 99, bidLots: 1, askTicks: 101, askLots: 1, venueTimeMs: 1, recvNs: 0 } });
      await h.d.settle(() => seen.length > 0);
      assert.equal(h.api.publishMarketData(ticker(149, 151, 4), 'oracle'), true);
      assert.equal(mdTotal(h.api, 'out-of-band'), 1, '50% off a 5% band');
      assert.equal(mdTotal(h.api, 'published'), 0);
      assert.equal(h.api.publishMarketData(ticker(100, 102, 5), 'oracle'), true);
      assert.equal(mdTotal(h.api, 'published'), 1, 'trusted and within the band');
      const before = h.d.engine.risk.state.refPrice[0];
      await h.d.settle();
      assert.equal(h.d.engine.risk.state.refPrice[0], 101, `the trusted ticker moved the risk reference (was ${before})`);
      assert.equal(h.api.publishMarketData({ ...ticker(1, 2, 6), topic: 'md.ticker.v9.Z/USDT', venue: 'v9', symbol: 'Z/USDT' }, 'anyone'), true);
      assert.equal(mdTotal(h.api, 'external'), 1, 'an instrument the engine does not trade is only fanned out');
    });
  });

  describe('health', () => {
    it('a journal that cannot write makes the engine not ready; it is ready again once it writes, and never after detach', () => {
      assert.equal(h.api.health().journalOpen, true);
      assert.deepEqual(h.api.health().checks, { 'venue.v1': true });
      h.d.journalHealth.writable = false;
      assert.equal(h.api.health().journalOpen, false);
      h.d.journalHealth.writable = true;
      assert.equal(h.api.health().journalOpen, true);
      h.d.venueState.state = 'syncing';
      assert.deepEqual({ synced: h.api.health().venuesSynced, checks: h.api.health().checks }, { synced: false, checks: { 'venue.v1': false } });
      h.api.detach();
      assert.equal(h.api.health().journalOpen, false);
    });
  });
});
