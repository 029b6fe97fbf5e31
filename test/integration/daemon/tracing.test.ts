import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { OtlpReceiver, type ReceivedSpan } from '../../fixtures/otlp/otlp-receiver.js';
import { TOKENS, TestClient } from '../../fixtures/gateway/ws-client.js';
import { ROOT, startDaemon, stopDaemon, until, type DaemonChild } from './harness.js';

const auth = (token: string): { headers: Record<string, string> } => ({ headers: { authorization: `Bearer ${token}` } });
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** OTLP span kinds as the receiver decodes them (the proto's numbering). */
const KIND = { internal: 1, server: 2, client: 3, consumer: 5 };

/** One venue, no strategies: the API is the only trader, so the trace under test is easy to find. */
const YAML = `sim:
  venues: 1
  seed: 11
  profile: none
journal:
  dir: journal
  fsync: never
strategies: []
risk:
  strategies:
    api: {}
tracing:
  maxTracesPerSecond: 0
  maxQueueSize: 100000
  resourceAttributes:
    deployment.environment: from-the-file
    team: desk
shutdown:
  cancelOpenOrders: true
  timeoutMs: 20000
`;

/** Places one IOC buy through the ask over /ws and waits until the engine reports it filled; returns the engine's order id. */
async function placeFilledOrder(d: DaemonChild): Promise<string> {
  const admin = await TestClient.connect(d.urls.api!, auth(TOKENS.admin));
  const watcher = await TestClient.connect(d.urls.api!, auth(TOKENS.read));
  try {
    await until(async () => (await fetch(d.urls.health!)).status === 200, 30_000, '/health 200');
    assert.equal((await watcher.request('subscribe', { topics: ['orders', 'fills', 'md.ticker.sim-a.BTC/USDT'] })).ok, true);
    const t = (await watcher.waitFor((m) => m.topic === 'md.ticker.sim-a.BTC/USDT', 'sim-a ticker', 15_000)).data as { askTicks: number };
    const r = await admin.request('order.submit', { clientOrderId: 'traced-1', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'IOC', priceTicks: t.askTicks + 2000, qtyLots: 30 });
    const ack = r.result as { accepted: boolean; orderId: string };
    assert.equal(ack?.accepted, true, JSON.stringify(r));
    await watcher.waitFor((m) => m.topic === 'orders' && (m.data as { orderId: string; status: string }).orderId === ack.orderId && (m.data as { status: string }).status === 'filled', 'the order filled', 20_000);
    return ack.orderId;
  } finally {
    admin.close();
    watcher.close();
  }
}

describe('daemon tracing: one trace per order, exported to a real OTLP receiver', function () {
  this.timeout(120_000);

  it('OTEL_* settings: gateway → risk → venue → CLIENT → bot4-sim SERVER → ack → fill in one trace, with resource attributes; /metrics counts spans', async () => {
    const receiver = await OtlpReceiver.start();
    const base = receiver.url.replace(/\/v1\/traces$/, '');
    let d: DaemonChild | undefined;
    let orderId = '';
    try {
      d = await startDaemon(YAML, {
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: base,
          OTEL_SERVICE_NAME: 'bot4',
          OTEL_TRACES_SAMPLER: 'parentbased_always_on',
          OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test,host.name=ci%20box',
        },
      });
      orderId = await placeFilledOrder(d);
      await until(() => receiver.spans.some((s) => s.name === 'order.fill' && s.attributes['bot4.order.client_id'] === orderId), 20_000, 'the fill span exported');
      await until(() => receiver.spans.some((s) => s.service === 'bot4-sim'), 20_000, 'the simulator span exported');
      const metrics = await (await fetch(d.urls.metrics!)).text();
      assert.match(metrics, /^# TYPE bot4_tracing_spans_total counter$/m);
      assert.match(metrics, /^bot4_tracing_spans_total\{service="bot4",outcome="exported"\} [1-9]\d*$/m);
      assert.match(metrics, /^bot4_tracing_spans_total\{service="bot4-sim",outcome="exported"\} [1-9]\d*$/m);
      assert.match(metrics, /^bot4_tracing_spans_total\{service="bot4",outcome="dropped_queue_full"\} 0$/m);
    } finally {
      if (d !== undefined) {
        await stopDaemon(d);
        rmSync(d.dir, { recursive: true, force: true });
      }
      await receiver.close();
    }

    const gw = receiver.spans.find((s) => s.name === 'order.submit' && s.kind === KIND.server && s.attributes['bot4.order.client_id'] === orderId);
    assert.ok(gw !== undefined, 'the gateway request span');
    const trace = receiver.spans.filter((s) => s.traceId === gw.traceId);
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const childrenOf = (p: ReceivedSpan, pred: (s: ReceivedSpan) => boolean): ReceivedSpan[] => trace.filter((s) => s.parentSpanId === p.spanId && pred(s));
    const one = (p: ReceivedSpan, what: string, pred: (s: ReceivedSpan) => boolean): ReceivedSpan => {
      const c = childrenOf(p, pred);
      assert.equal(c.length, 1, `${what}: expected one child of ${p.name} (${p.spanId}), got ${c.length}; trace: ${trace.map((s) => `${s.service}/${s.name}<-${byId.get(s.parentSpanId)?.name ?? s.parentSpanId}`).join(', ')}`);
      return c[0]!;
    };

    // the root: the gateway's request, service bot4, with the resource Jaeger shows
    assert.equal(gw.parentSpanId, '', 'the gateway span is the root');
    assert.equal(gw.service, 'bot4');
    assert.equal(gw.resource['service.name'], 'bot4');
    assert.equal(gw.resource['service.version'], VERSION);
    assert.equal(gw.resource['deployment.environment'], 'test', 'OTEL_RESOURCE_ATTRIBUTES overrides the file');
    assert.equal(gw.resource['host.name'], 'ci box', 'percent-decoded');
    assert.equal(gw.resource.team, 'desk', 'tracing.resourceAttributes of the file');
    assert.equal(gw.attributes['rpc.method'], 'order.submit');
    assert.equal(gw.attributes['bot4.venue'], 'sim-a');
    assert.equal(gw.attributes['bot4.symbol'], 'BTC/USDT');
    assert.equal(gw.attributes['bot4.side'], 'buy');

    // risk → venue actor: actor handling spans with mailbox wait and handling time
    const risk = one(gw, 'risk', (s) => s.attributes['messaging.destination.name'] === 'risk');
    assert.equal(risk.name, 'actor.handle order.submit');
    assert.equal(risk.kind, KIND.consumer);
    assert.equal(typeof risk.attributes['actor.mailbox.wait_ns'], 'number');
    assert.equal(typeof risk.attributes['actor.handle_ns'], 'number');
    assert.equal(risk.attributes['messaging.system'], 'bot4.actors');
    assert.equal(risk.attributes['bot4.venue'], 'sim-a');
    assert.equal(risk.attributes['bot4.side'], 'buy');
    // the message type is the span name's and the address is messaging.destination.name: not repeated
    assert.ok(!('actor.message.type' in risk.attributes) && !('actor.address' in risk.attributes), 'no duplicate attributes');
    const venue = one(risk, 'venue actor', (s) => s.attributes['messaging.destination.name'] === 'exchange.sim-a');
    assert.equal(venue.name, 'actor.handle order.submit');
    assert.equal(venue.attributes['bot4.symbol'], 'BTC/USDT');

    // the wire: CLIENT span (its context is the request's traceparent) → the simulator's SERVER span
    const client = one(venue, 'CLIENT span', (s) => s.kind === KIND.client);
    assert.equal(client.name, 'POST /api/v3/order');
    assert.equal(client.service, 'bot4');
    assert.equal(client.attributes['http.request.method'], 'POST');
    assert.equal(client.attributes['server.address'], '127.0.0.1');
    assert.equal(typeof client.attributes['server.port'], 'number');
    assert.equal(client.attributes['http.response.status_code'], 200);
    assert.equal(client.attributes['bot4.order.client_id'], orderId);
    const server = one(client, 'SERVER span', (s) => s.kind === KIND.server);
    assert.equal(server.service, 'bot4-sim');
    assert.equal(server.resource['service.name'], 'bot4-sim');
    assert.equal(server.resource['service.version'], VERSION);
    assert.equal(server.resource['deployment.environment'], 'test');
    assert.equal(server.name, 'POST /api/v3/order');
    assert.equal(server.attributes['http.response.status_code'], 200);
    assert.equal(server.attributes['bot4.order.client_id'], orderId);

    // the venue's answer (ack) and each fill: children of the venue actor's span, same trace
    const ack = one(venue, 'ack', (s) => s.name === 'order.ack');
    assert.equal(ack.attributes['bot4.order.client_id'], orderId);
    const fills = childrenOf(venue, (s) => s.name === 'order.fill');
    assert.ok(fills.length >= 1, 'at least one fill span');
    for (const f of fills) {
      assert.equal(f.attributes['bot4.order.client_id'], orderId);
      assert.ok((f.attributes['bot4.fill.lots'] as number) > 0);
    }
    assert.equal(fills.reduce((n, f) => n + (f.attributes['bot4.fill.lots'] as number), 0), 30, 'the fills add up to the order');
    // what the engine's actors do with the ack and the fill joins the trace too (no new root traces)
    assert.ok(trace.some((s) => s.name === 'actor.handle order.update' && byId.get(s.parentSpanId)?.name === 'order.ack'), 'order.update handled under the ack');
    assert.ok(trace.some((s) => s.name === 'actor.handle order.fill' && byId.get(s.parentSpanId)?.name === 'order.fill'), 'order.fill handled under the fill');
    assert.equal(
      receiver.spans.filter((s) => s.traceId !== gw.traceId && (s.attributes['bot4.order.client_id'] === orderId || s.name === 'actor.handle order.fill')).length,
      0,
      'nothing of this order in another trace',
    );
  });

  it('--trace and OTEL_SDK_DISABLED: the flag turns tracing on, the variable off; a dead collector does not stop orders', async () => {
    // a port nothing listens on: the collector is down
    const s = http.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    let d: DaemonChild | undefined;
    try {
      d = await startDaemon(YAML, { args: ['--trace'], env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${port}/v1/traces`, OTEL_TRACES_SAMPLER: 'always_on', BOT4_LOG_LEVEL: 'info' } });
      assert.match(d.stderr(), /"msg":"tracing on"/);
      const orderId = await placeFilledOrder(d);
      assert.ok(orderId !== '');
      await until(async () => /^bot4_tracing_spans_total\{service="bot4",outcome="failed"\} [1-9]\d*$/m.test(await (await fetch(d!.urls.metrics!)).text()), 20_000, 'failed exports counted in /metrics');
    } finally {
      if (d !== undefined) {
        await stopDaemon(d);
        rmSync(d.dir, { recursive: true, force: true });
      }
    }
    let off: DaemonChild | undefined;
    try {
      off = await startDaemon(YAML, { args: ['--trace'], env: { OTEL_SDK_DISABLED: 'true', BOT4_LOG_LEVEL: 'info' } });
      assert.doesNotMatch(off.stderr(), /"msg":"tracing on"/);
      const metrics = await (await fetch(off.urls.metrics!)).text();
      assert.doesNotMatch(metrics, /bot4_tracing_spans_total/, 'tracing off: no tracing family');
    } finally {
      if (off !== undefined) {
        await stopDaemon(off);
        rmSync(off.dir, { recursive: true, force: true });
      }
    }
  });
});
