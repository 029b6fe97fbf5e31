import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Metric } from 'prom-client';
import { GatewayServer, HotHistogram } from '../../../gateway/index.js';
import { EnginePortDouble } from '../../fixtures/gateway/engine-port-double.js';
import { parsePrometheus } from '../../fixtures/gateway/prometheus-parser.js';
import { TOKEN_CONFIG } from '../../fixtures/gateway/ws-client.js';

const silent = pino({ level: 'silent' });
const OM = 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

describe('gateway /metrics: content negotiation, engine histograms, render failure (real sockets)', () => {
  let port: EnginePortDouble;
  let gw: GatewayServer;
  let base: string;
  let engineMetrics: readonly Metric[];

  beforeEach(async () => {
    port = new EnginePortDouble();
    engineMetrics = [];
    Object.assign(port, { promMetrics: (): readonly Metric[] => engineMetrics });
    gw = new GatewayServer(port, { port: 0, tokens: TOKEN_CONFIG }, { logger: silent });
    base = `http://127.0.0.1:${(await gw.start()).port}`;
  });
  afterEach(async () => {
    await gw.stop();
  });

  it("renders the engine's prom-client histograms after the families; exemplars only in OpenMetrics", async () => {
    const h = new HotHistogram<'venue'>({ name: 'bot4_test_round_trip_seconds', help: 'RT.', labelNames: ['venue'], buckets: [0.01, 0.1] });
    h.series({ venue: 'sim-a' }).observeWithExemplar(20_000_000, '4bf92f3577b34da6a3ce929d0e0e4736', 1_700_000_000_000);
    engineMetrics = [h];
    const plain = await fetch(`${base}/metrics`);
    assert.match(plain.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
    const p = parsePrometheus(await plain.text());
    assert.equal(p.type.get('bot4_test_round_trip_seconds'), 'histogram');
    assert.equal(p.type.get('bot4_gateway_feed_ingest_lag_seconds'), 'histogram');
    assert.equal(p.samples.find((s) => s.name === 'bot4_test_round_trip_seconds_bucket' && s.labels.le === '0.1')!.value, 1);
    const om = await fetch(`${base}/metrics`, { headers: { accept: OM } });
    assert.match(om.headers.get('content-type')!, /^application\/openmetrics-text; version=1\.0\.0/);
    const text = await om.text();
    assert.match(text, /^bot4_test_round_trip_seconds_bucket\{le="0\.1",venue="sim-a"\} 1 # \{trace_id="4bf92f3577b34da6a3ce929d0e0e4736"\} 0\.02 1700000000$/m);
    assert.ok(text.endsWith('# EOF\n'));
  });

  it('answers 500 when rendering fails, and serves the next scrape once it works again', async () => {
    engineMetrics = [{ name: 'bot4_broken', help: 'h', type: 'gauge', get: () => Promise.reject(new Error('boom')), getForPromString: () => Promise.reject(new Error('boom')) } as unknown as Metric];
    const r = await fetch(`${base}/metrics`);
    assert.equal(r.status, 500);
    assert.equal(await r.text(), 'metrics failed\n');
    engineMetrics = [];
    const ok = await fetch(`${base}/metrics`);
    assert.equal(ok.status, 200);
    parsePrometheus(await ok.text());
  });
});
