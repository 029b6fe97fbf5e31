import assert from 'node:assert/strict';
import { LiveClock } from '../../../common/clock.js';
import { SpanKind, spanSink } from '../../../common/span-sink.js';
import { ActorTracing } from '../../../actors/runtime/index.js';
import { BinanceAdapter } from '../../../actors/exchange/binance/binance-adapter.js';
import { VenueCallError } from '../../../actors/exchange/errors.js';
import type { OrderIntent } from '../../../actors/orders/intent.js';
import { DEMO_API_KEY, DEMO_API_SECRET, Simulator } from '../../../simulators/index.js';
import { OtlpReceiver } from '../../fixtures/otlp/otlp-receiver.js';
import { waitFor } from '../../fixtures/exchange/harness.js';

/** OTLP span kinds as the receiver decodes them. */
const KIND = { server: 2, client: 3 };

const intent = (i: number): OrderIntent => ({ strategy: 'wst', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 1_000_000 + i, qtyLots: 100 });

describe('tracing: WS-API order entry (orderEntry: ws) is a CLIENT span, parent of the simulator SERVER span', function () {
  this.timeout(60_000);

  it('order.place: CLIENT span under the caller, its context in the signed traceparent, bot4-sim SERVER span under it; an unknown outcome ends it with ERROR', async () => {
    const receiver = await OtlpReceiver.start();
    const tracing = new ActorTracing({ endpoint: receiver.url, samplingRatio: 1, maxTracesPerSecond: 0, scheduledDelayMillis: 20, simServiceName: 'bot4-sim', system: 'ws-client-span' });
    const sim = await Simulator.start({ venues: 1, seed: 7, port: 0, participants: false });
    const v = sim.venues[0]!;
    const a = new BinanceAdapter({ venue: v.name, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, rest: v.rest, wsApi: v.wsApi, timeoutMs: 800, clock: new LiveClock(), orderEntry: 'ws' });
    let root: string;
    let lost: string;
    try {
      await a.loadInstruments();
      await waitFor(() => a.wsOrders!.up, 10_000, 'connected');
      const engine = spanSink('engine')!;
      const parent = engine.start('actor.handle order.submit', SpanKind.INTERNAL, '');
      assert.ok(parent.recording);
      root = parent.traceparent;
      const placed = await a.placeOrder('wst.1', intent(1), root);
      assert.equal(placed.clientOrderId, 'wst.1');
      // unsampled: no CLIENT span, the context passes through as is
      const unsampled = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
      await a.placeOrder('wst.2', intent(2), unsampled);
      // an order whose reply never comes: ends unknown, the CLIENT span with it
      const second = engine.start('actor.handle order.submit', SpanKind.INTERNAL, '');
      lost = second.traceparent;
      await sim.setOutage('sim-a', 'ws-api', 'blackhole');
      await assert.rejects(a.placeOrder('wst.3', intent(3), lost), (e: unknown) => e instanceof VenueCallError && e.kind === 'unknown');
      await sim.clearOutage('sim-a', 'ws-api');
      parent.end();
      second.end();
      await tracing.flush();
      await receiver.waitForSpans(5);
    } finally {
      await a.close();
      await sim.stop();
      await tracing.shutdown();
      await receiver.close();
    }
    const spans = receiver.spans;
    const traceId = root.slice(3, 35);
    const rootSpanId = root.slice(36, 52);
    const clients = spans.filter((s) => s.kind === KIND.client && s.traceId === traceId);
    assert.equal(clients.length, 1, JSON.stringify(spans.map((s) => [s.service, s.name, s.kind])));
    const client = clients[0]!;
    assert.equal(client.name, 'order.place');
    assert.equal(client.service, 'bot4');
    assert.equal(client.parentSpanId, rootSpanId, 'child of the caller (the venue actor span)');
    assert.equal(client.attributes['rpc.system'], 'binance.ws-api');
    assert.equal(client.attributes['rpc.method'], 'order.place');
    assert.equal(client.attributes['server.address'], '127.0.0.1');
    assert.equal(typeof client.attributes['server.port'], 'number');
    assert.equal(client.attributes['bot4.order.client_id'], 'wst.1');
    assert.equal(client.attributes['bot4.venue'], 'sim-a');
    assert.equal(client.attributes['bot4.symbol'], 'BTC/USDT');
    assert.equal(client.attributes['bot4.side'], 'buy');
    assert.equal(client.statusCode, 0);
    const server = spans.filter((s) => s.service === 'bot4-sim' && s.parentSpanId === client.spanId);
    assert.equal(server.length, 1, 'the simulator SERVER span is the CLIENT span child (the signed traceparent carried its context)');
    assert.equal(server[0]!.kind, KIND.server);
    assert.equal(server[0]!.name, 'order.place');
    assert.equal(server[0]!.traceId, traceId);
    assert.equal(server[0]!.attributes['bot4.order.client_id'], 'wst.1');
    assert.equal(spans.filter((s) => s.attributes['bot4.order.client_id'] === 'wst.2').length, 0, 'an unsampled order makes no span, here or at the venue');
    const failed = spans.find((s) => s.kind === KIND.client && s.traceId === lost.slice(3, 35));
    assert.ok(failed !== undefined, 'the unanswered request has its CLIENT span');
    assert.equal(failed.statusCode, 2, 'ERROR');
    assert.equal(failed.attributes['error.type'], 'unknown');
    assert.equal(failed.attributes['bot4.order.client_id'], 'wst.3');
  });
});
