// Tracing in an engine a takeover starts (cluster.lease.takeover): the daemon starts as a standby
// with no engine; once it owns the lease, the engine it starts is traced like a normal daemon's:
// one trace per order from the gateway's request span through risk, the venue actor, the venue
// request (CLIENT), the ack and the fill, exported to a real OTLP receiver, counted in /metrics.
import assert from 'node:assert/strict';
import { OtlpReceiver, type ReceivedSpan } from '../../fixtures/otlp/otlp-receiver.js';
import { DEMO_API_KEY, Simulator } from '../../../simulators/index.js';
import { userAccount } from '../../../chaos/ledger-check/ledger-check.js';
import { TOKENS, TestClient } from '../../fixtures/gateway/ws-client.js';
import { startNatsServer, type NatsServerHandle } from '../../fixtures/nats/nats-server.js';
import { simVenueEnv, startDaemon, stopDaemon, until, type DaemonChild } from '../daemon/harness.js';

const auth = { headers: { authorization: `Bearer ${TOKENS.admin}` } };
const KIND = { server: 2, client: 3, consumer: 5 };

function yaml(sim: Simulator, natsUrl: string): string {
  const v = sim.venues[0]!;
  return `venues:
  - { name: sim-a, rest: ${v.rest}, ws: ${v.ws}, wsApi: ${v.wsApi} }
symbols: [BTC/USDT]
journal: { dir: journal, fsync: never }
strategies: []
risk:
  strategies: { api: {} }
  checks: { staleData: false, correlation: false }
tracing: { maxTracesPerSecond: 0, maxQueueSize: 100000 }
shutdown: { cancelOpenOrders: false, timeoutMs: 20000 }
cluster:
  enabled: true
  nodeId: traced
  servers: [${natsUrl}]
  reconnectWaitMs: 50
  replication: { stream: ACCT_TRACED, subject: acct.traced.log, ack: sync, retryMs: 50 }
  lease: { enabled: true, takeover: true, key: acct-traced, ttlMs: 1500, renewMs: 300, marginMs: 500 }
`;
}

describe('tracing in an engine a takeover starts (real OTLP receiver, nats-server, simulator)', function () {
  this.timeout(90_000);
  let sim: Simulator;
  let nats: NatsServerHandle;
  let receiver: OtlpReceiver;
  let d: DaemonChild | undefined;
  let c: TestClient | undefined;

  before(async () => {
    sim = await Simulator.start({ venues: 1, seed: 37, port: 0 });
    nats = await startNatsServer();
    receiver = await OtlpReceiver.start();
  });
  after(async () => {
    c?.close();
    if (d !== undefined) await stopDaemon(d).catch(() => undefined);
    await receiver?.close();
    await nats?.dispose();
    await sim?.stop();
  });

  it('the takeover engine exports one trace per order: gateway → risk → venue actor → CLIENT → ack and fills; /metrics counts the spans', async () => {
    d = await startDaemon(yaml(sim, nats.url), { env: { ...simVenueEnv('sim-a'), OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url.replace(/\/v1\/traces$/, ''), OTEL_TRACES_SAMPLER: 'parentbased_always_on' } });
    await until(async () => (await fetch(d!.urls.health!)).status === 200, 60_000, 'the daemon took over the account').catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${d!.stderr().slice(-3000)}`);
    });
    c = await TestClient.connect(d.urls.api!, auth);
    assert.equal((await c.request('subscribe', { topics: ['orders', 'md.ticker.sim-a.BTC/USDT'] })).ok, true);
    const t = (await c.waitFor((m) => m.topic === 'md.ticker.sim-a.BTC/USDT', 'a ticker', 20_000)).data as { askTicks: number };
    const r = await c.request('order.submit', { clientOrderId: 'traced-takeover', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'IOC', priceTicks: t.askTicks + 2000, qtyLots: 30 });
    const ack = r.result as { accepted: boolean; orderId: string };
    assert.equal(ack?.accepted, true, JSON.stringify(r));
    const orderId = ack.orderId;
    await c.waitFor((m) => m.topic === 'orders' && (m.data as { orderId: string; status: string }).orderId === orderId && (m.data as { status: string }).status === 'filled', 'the order filled', 20_000);
    assert.ok(sim.ledger('sim-a', userAccount(DEMO_API_KEY)).orders.length >= 1);
    await until(() => receiver.spans.some((s) => s.name === 'order.fill' && s.attributes['bot4.order.client_id'] === orderId), 20_000, 'the fill span exported');
    const metrics = await (await fetch(d.urls.metrics!)).text();
    assert.match(metrics, /^bot4_tracing_spans_total\{service="bot4",outcome="exported"\} [1-9]\d*$/m);

    const gw = receiver.spans.find((s) => s.name === 'order.submit' && s.kind === KIND.server && s.attributes['bot4.order.client_id'] === orderId);
    assert.ok(gw !== undefined, `the gateway request span: ${receiver.spans.map((s) => s.name).join(',')}`);
    assert.equal(gw.parentSpanId, '', 'the gateway span is the root');
    const trace = receiver.spans.filter((s) => s.traceId === gw.traceId);
    const one = (p: ReceivedSpan, what: string, pred: (s: ReceivedSpan) => boolean): ReceivedSpan => {
      const found = trace.filter((s) => s.parentSpanId === p.spanId && pred(s));
      assert.equal(found.length, 1, `${what}: expected one child of ${p.name}, got ${found.length}; trace: ${trace.map((s) => s.name).join(', ')}`);
      return found[0]!;
    };
    const risk = one(gw, 'risk', (s) => s.attributes['messaging.destination.name'] === 'risk');
    assert.equal(risk.kind, KIND.consumer);
    const venue = one(risk, 'venue actor', (s) => s.attributes['messaging.destination.name'] === 'exchange.sim-a');
    const client = one(venue, 'CLIENT span', (s) => s.kind === KIND.client);
    assert.equal(client.attributes['bot4.order.client_id'], orderId);
    one(venue, 'ack', (s) => s.name === 'order.ack');
    const fills = trace.filter((s) => s.parentSpanId === venue.spanId && s.name === 'order.fill');
    assert.equal(fills.reduce((n, f) => n + (f.attributes['bot4.fill.lots'] as number), 0), 30, 'the fills add up to the order');
  });
});
