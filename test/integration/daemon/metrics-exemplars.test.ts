import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Engine } from '../../../actors/engine/engine.js';
import { ActorTracing } from '../../../actors/runtime/index.js';
import { EngineApi } from '../../../daemon/engine-api.js';
import { formatPrometheus } from '../../../gateway/prometheus.js';
import { DEMO_API_KEY, DEMO_API_SECRET, Simulator } from '../../../simulators/index.js';
import { OtlpReceiver } from '../../fixtures/otlp/otlp-receiver.js';
import { waitFor } from '../../fixtures/exchange/harness.js';

/** `trace_id` of the exemplars on one histogram family's bucket lines of an OpenMetrics text. */
function exemplarTraces(om: string, family: string): string[] {
  const out: string[] = [];
  for (const line of om.split('\n')) {
    if (!line.startsWith(`${family}_bucket{`)) continue;
    const m = / # \{trace_id="([0-9a-f]{32})"\} \S+ \S+$/.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}

describe('engine metrics: exemplars carry the trace id of a sampled order (in-process engine, real simulator, ActorTracing)', function () {
  this.timeout(60_000);

  it('the round-trip and risk-check histograms hold the trace id the venue received as traceparent; Prometheus text has none', async () => {
    const receiver = await OtlpReceiver.start();
    const tracing = new ActorTracing({ endpoint: receiver.url, samplingRatio: 1, maxTracesPerSecond: 0, scheduledDelayMillis: 20, serviceName: 'bot4-metrics-test' });
    const sim = await Simulator.start({ venues: 1, seed: 5, port: 0 });
    const dir = mkdtempSync(path.join(tmpdir(), 'bot4-exemplar-'));
    let engine: Engine | undefined;
    let api: EngineApi | undefined;
    try {
      engine = await Engine.start({
        journal: { dir, fsync: 'never' },
        venues: sim.venues.map((v) => ({ name: v.name, rest: v.rest, ws: v.ws, wsApi: v.wsApi, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, actor: { streams: false } })),
        symbols: ['BTC/USDT'],
        risk: { strategies: { gen: {} }, checks: { staleData: false, correlation: false } },
      });
      api = new EngineApi(engine, { latencyEventMs: 0 });
      await waitFor(() => engine!.venuesSynced, 15_000, 'venue synced');
      await engine.addStrategy({ id: 'gen', kind: 'constant-rate', instruments: ['sim-a:BTC/USDT'], params: { ratePerSec: 20, maxOrders: 1, priceTicks: 2_000_000, qtyLots: 100 } });
      const led = (): ReturnType<Simulator['ledger']>['orders'] => sim.ledger('sim-a', `user:${DEMO_API_KEY}`).orders.filter((o) => o.clientOrderId.startsWith('gen.'));
      await waitFor(() => led().length === 1, 10_000, 'the order at the venue');
      const tp = led()[0]!.traceparent;
      assert.ok(tp !== null && /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/.test(tp), `traceparent recorded by the venue: ${tp}`);
      const traceId = tp.split('-')[1]!;
      const render = (openMetrics: boolean): Promise<string> => formatPrometheus(api!.metrics(), { openMetrics, metrics: api!.promMetrics() });
      let om = '';
      for (let i = 0; i < 200 && exemplarTraces(om, 'bot4_order_round_trip_seconds').length === 0; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 50));
        om = await render(true);
      }
      assert.deepEqual(exemplarTraces(om, 'bot4_order_round_trip_seconds'), [traceId]);
      assert.ok(exemplarTraces(om, 'bot4_risk_check_seconds').includes(traceId), 'risk check exemplar is the order trace');
      const plain = await render(false);
      assert.match(plain, /^bot4_order_round_trip_seconds_count\{venue="sim-a"\} 1$/m);
      assert.doesNotMatch(plain, /trace_id/);
    } finally {
      api?.detach();
      await engine?.stop();
      await sim.stop();
      await tracing.shutdown();
      await receiver.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
