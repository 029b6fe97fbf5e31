import assert from 'node:assert/strict';
import type { OrderDenied } from '../../../actors/messages.js';
import type { OrderIntent } from '../../../actors/orders/intent.js';
import { counterMachine } from '../../unit/actors/runtime/helpers.js';
import { startHarness, waitFor, type Harness } from '../../fixtures/exchange/harness.js';

const ACCOUNT = 'user:bot4-demo-key';

function intent(i: number, over: Partial<OrderIntent> = {}): OrderIntent {
  // Resting bids far below the market: they stay open, so the venue's view is stable.
  return { strategy: 'chaos', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 1_000_000 + i, qtyLots: 100, ...over };
}

/** Journal vs venue ledger: every order known on both sides, one venue order per client id, same fills. */
function checkLedger(h: Harness): { lost: string[]; phantom: string[]; duplicate: string[]; unresolved: string[]; mismatched: string[] } {
  const led = h.sim.ledger('sim-a', ACCOUNT);
  const byClient = new Map<string, (typeof led.orders)[number][]>();
  for (const o of led.orders) byClient.set(o.clientOrderId, [...(byClient.get(o.clientOrderId) ?? []), o]);
  const lost: string[] = [];
  const unresolved: string[] = [];
  const mismatched: string[] = [];
  const mine = new Set<string>();
  for (const o of h.journal.orders.values()) {
    if (o.intent.venue !== 'sim-a') continue;
    mine.add(o.clientOrderId);
    if (o.state === 'unknown' || o.state === 'submitted') unresolved.push(o.clientOrderId);
    const venue = byClient.get(o.clientOrderId);
    const claimsVenue = o.venueOrderId !== undefined || ['accepted', 'partially-filled', 'filled', 'pending-cancel'].includes(o.state);
    if (claimsVenue && venue === undefined) lost.push(o.clientOrderId);
    if (venue !== undefined && o.venueOrderId !== undefined && String(venue[0]!.orderId) !== o.venueOrderId) mismatched.push(o.clientOrderId);
    if (venue !== undefined && ['rejected', 'denied'].includes(o.state)) mismatched.push(o.clientOrderId);
  }
  const phantom = led.orders.filter((o) => !mine.has(o.clientOrderId)).map((o) => o.clientOrderId);
  const duplicate = [...byClient.entries()].filter(([, v]) => v.length > 1).map(([k]) => k);
  return { lost, phantom, duplicate, unresolved, mismatched };
}

async function control(h: Harness, method: string, path: string, body?: unknown): Promise<void> {
  const r = await fetch(`${h.sim.controlUrl}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
  assert.equal(r.status, 200, `${method} ${path}: ${await r.text()}`);
}

describe('venue actor under outages (simulator control API, real ccxt)', function () {
  this.timeout(120_000);
  let h: Harness;
  const denials: OrderDenied[] = [];
  let n = 0;

  before(async () => {
    h = await startHarness({ sim: { participants: false }, timeoutMs: 400, venue: { reconcileEveryMs: 250, notFoundGraceMs: 1500 } });
    h.system.spawn('probe.denials', counterMachine, { handle: (e) => void (e.type === 'order.denied' && denials.push(e.payload as OrderDenied)) });
    h.system.subscribe('risk.denials', 'probe.denials');
    await waitFor(() => h.venues.get('sim-a')!.actor.state === 'running', 10_000, 'venue running');
  });
  after(async () => {
    await h?.close();
  });

  const submit = (over: Partial<OrderIntent> = {}): Promise<{ accepted: boolean; reason?: string; clientOrderId?: string }> =>
    h.system.ask('exchange.sim-a', { type: 'order.submit', payload: { intent: intent(n++, over) } }, { timeoutMs: 5000 });

  for (const mode of ['refuse', 'blackhole', 'http-5xx'] as const) {
    it(`${mode}: the breaker opens, orders are denied fast, the venue returns, the actor recovers and reconciles`, async () => {
      const v = h.venues.get('sim-a')!;
      await control(h, 'POST', '/venues/sim-a/outage', { mode, scope: 'rest' });
      // Orders in flight when the venue goes away end up unknown (never failed blindly).
      const inflight = await Promise.all([submit(), submit(), submit()]);
      assert.ok(inflight.every((a) => a.accepted), 'journaled and sent');
      await waitFor(() => v.breaker.state === 'open', 10_000, 'breaker open');
      await waitFor(() => v.actor.state === 'disconnected', 10_000, 'venue disconnected');
      const before = denials.length;
      const denied = await submit();
      assert.equal(denied.accepted, false);
      assert.equal(denied.reason, 'VENUE_UNAVAILABLE');
      assert.ok(denials.length > before);
      for (const a of inflight) assert.notEqual(h.journal.orders.get(a.clientOrderId!)!.state, 'accepted');
      await control(h, 'DELETE', '/venues/sim-a/outage?scope=rest');
      await waitFor(() => v.actor.state === 'running', 15_000, 'venue running again');
      const ok = await submit();
      assert.equal(ok.accepted, true);
      await waitFor(() => h.journal.orders.get(ok.clientOrderId!)?.state === 'accepted', 5000, () => `accepted after recovery (${JSON.stringify(h.journal.orders.get(ok.clientOrderId!)?.state)} ${h.journal.orders.get(ok.clientOrderId!)?.reason})`);
      await waitFor(() => checkLedger(h).unresolved.length === 0, 10_000, 'unknown orders resolved');
      const c = checkLedger(h);
      assert.deepEqual(c, { lost: [], phantom: [], duplicate: [], unresolved: [], mismatched: [] });
      assert.ok(v.actor.stats().lastRecoveryNs > 0, 'recovery time measured');
    });
  }

  it('answers lost after the venue acted (slow link, client timeout): unknown, then reconciled to the venue state, never re-sent', async () => {
    const v = h.venues.get('sim-a')!;
    await control(h, 'POST', '/venues/sim-a/outage', { mode: 'slow', scope: 'rest', bytesPerSec: 200 });
    const a = await submit();
    assert.equal(a.accepted, true);
    await waitFor(() => h.journal.orders.get(a.clientOrderId!)!.state === 'unknown' || v.actor.state !== 'running', 10_000, 'unknown outcome');
    await control(h, 'DELETE', '/venues/sim-a/outage?scope=rest');
    await waitFor(() => h.journal.orders.get(a.clientOrderId!)!.state === 'accepted', 15_000, 'reconciled to accepted');
    await waitFor(() => v.actor.state === 'running', 15_000, 'running');
    const c = checkLedger(h);
    assert.deepEqual(c, { lost: [], phantom: [], duplicate: [], unresolved: [], mismatched: [] });
    const rows = h.sim.ledger('sim-a', ACCOUNT).orders.filter((o) => o.clientOrderId === a.clientOrderId);
    assert.equal(rows.length, 1, 'exactly one venue order for the client id');
  });

  it('ws-drop on the streams degrades the venue (REST still trades), then it recovers', async () => {
    const v = h.venues.get('sim-a')!;
    await control(h, 'POST', '/venues/sim-a/outage', { mode: 'ws-drop', scope: 'stream' });
    await waitFor(() => v.actor.state === 'degraded', 10_000, 'degraded');
    const a = await submit();
    assert.equal(a.accepted, true);
    await waitFor(() => h.journal.orders.get(a.clientOrderId!)?.state === 'accepted', 5000, 'accepted while degraded');
    await control(h, 'DELETE', '/venues/sim-a/outage?scope=stream');
    await waitFor(() => v.actor.state === 'running', 15_000, 'running again');
  });
});
