import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Engine } from '../../../actors/engine/engine.js';
import { ActorTracing } from '../../../actors/runtime/index.js';
import { DEMO_API_KEY, DEMO_API_SECRET, Simulator } from '../../../simulators/index.js';
import { OtlpReceiver } from '../../fixtures/otlp/otlp-receiver.js';
import { waitFor } from '../../fixtures/exchange/harness.js';

describe("an order's trace: strategy → risk → venue actor → CLIENT span → the venue's HTTP request", function () {
  this.timeout(60_000);

  it('the simulator records the CLIENT span (child of the venue actor span) as the request traceparent, in the strategy-rooted trace', async () => {
    const receiver = await OtlpReceiver.start();
    const tracing = new ActorTracing({ endpoint: receiver.url, samplingRatio: 1, maxTracesPerSecond: 0, scheduledDelayMillis: 20, serviceName: 'bot4-trace-test' });
    const sim = await Simulator.start({ venues: 1, seed: 3, port: 0 });
    const dir = mkdtempSync(path.join(tmpdir(), 'bot4-trace-'));
    let engine: Engine | undefined;
    try {
      engine = await Engine.start({
        journal: { dir, fsync: 'never' },
        venues: sim.venues.map((v) => ({ name: v.name, rest: v.rest, ws: v.ws, wsApi: v.wsApi, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, actor: { streams: false } })),
        symbols: ['BTC/USDT'],
        risk: { strategies: { gen: {} }, checks: { staleData: false, correlation: false } },
      });
      await waitFor(() => engine!.venuesSynced, 15_000, 'venue synced');
      await engine.addStrategy({ id: 'gen', kind: 'constant-rate', instruments: ['sim-a:BTC/USDT'], params: { ratePerSec: 20, maxOrders: 1, priceTicks: 2_000_000, qtyLots: 100 } });
      const led = (): ReturnType<Simulator['ledger']>['orders'] => sim.ledger('sim-a', `user:${DEMO_API_KEY}`).orders.filter((o) => o.clientOrderId.startsWith('gen.'));
      await waitFor(() => led().length === 1, 10_000, 'the order at the venue');
      const tp = led()[0]!.traceparent;
      assert.ok(tp !== null && /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/.test(tp), `traceparent recorded by the venue: ${tp}`);
      const [, traceId, spanId] = tp.split('-') as [string, string, string];
      await tracing.flush();
      await waitFor(() => receiver.spans.some((s) => s.spanId === spanId), 10_000, 'the CLIENT span exported');
      const spans = receiver.spans.filter((s) => s.traceId === traceId);
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      const clientSpan = byId.get(spanId)!;
      assert.equal(clientSpan.name, 'POST /api/v3/order');
      assert.equal(clientSpan.kind, 3, 'CLIENT');
      assert.equal(clientSpan.attributes['bot4.order.client_id'], led()[0]!.clientOrderId);
      const venueSpan = byId.get(clientSpan.parentSpanId)!;
      assert.ok(venueSpan !== undefined, 'the CLIENT span has the venue actor span as parent');
      assert.equal(venueSpan.attributes['messaging.destination.name'], 'exchange.sim-a');
      assert.equal(venueSpan.name, 'actor.handle order.submit');
      const riskSpan = byId.get(venueSpan.parentSpanId)!;
      assert.ok(riskSpan !== undefined, 'the venue span has the risk span as parent');
      assert.equal(riskSpan.attributes['messaging.destination.name'], 'risk');
      const strategySpan = byId.get(riskSpan.parentSpanId)!;
      assert.ok(strategySpan !== undefined, 'the risk span has a strategy span as parent');
      assert.equal(strategySpan.attributes['messaging.destination.name'], 'strategy.gen');
    } finally {
      await engine?.stop();
      await sim.stop();
      await tracing.shutdown();
      await receiver.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
