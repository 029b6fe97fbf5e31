import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, SimulatedClock } from '../../../common/index.js';
import { ActorSystem, ActorTracing, UNSAMPLED_TRACEPARENT, currentTraceparent, type Envelope } from '../../../actors/runtime/index.js';
import { counterMachine } from '../../unit/actors/runtime/helpers.js';
import { OtlpReceiver } from '../../fixtures/otlp/otlp-receiver.js';
import { SpanKind, spanSink, tracingStats } from '../../../common/span-sink.js';

/** Resolves when `pred` holds, polling on the event loop (bounded). */
async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function closedPortUrl(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}/v1/traces`;
}

describe('tracing: OpenTelemetry adapter → OTLP/HTTP protobuf', function () {
  this.timeout(30_000);

  it('A → B → C yields three spans in one trace with the right parents and attributes', async () => {
    const receiver = await OtlpReceiver.start();
    const tracing = new ActorTracing({ endpoint: receiver.url, samplingRatio: 1, scheduledDelayMillis: 20, serviceName: 'bot4-test', system: 'otlp-abc' });
    const sys = new ActorSystem({ name: 'otlp-abc', seed: 1 });
    let venueTp = '';
    try {
      sys.spawn('strategy.a', counterMachine, { handle: (e, ctx) => ctx.send('risk', { type: 'order.check', payload: e.payload }) });
      sys.spawn('risk', counterMachine, { handle: (e, ctx) => ctx.send('exchange.c', { type: 'order.submit', payload: e.payload }) });
      sys.spawn('exchange.c', counterMachine, {
        handle: () => {
          venueTp = currentTraceparent();
        },
      });
      sys.send('strategy.a', { type: 'signal', payload: 1 });
      await until(() => venueTp !== '');
      await tracing.flush();
      await receiver.waitForSpans(3);
    } finally {
      await sys.shutdown();
      const report = await tracing.shutdown();
      await receiver.close();
      assert.equal(report.spansDropped, 0);
      assert.equal(report.spansExported, 3);
    }
    const spans = receiver.spans;
    assert.equal(spans.length, 3);
    const [a, b, c] = ['strategy.a', 'risk', 'exchange.c'].map((addr) => spans.find((s) => s.attributes['messaging.destination.name'] === addr)!);
    assert.ok(a && b && c);
    assert.equal(a.name, 'actor.handle signal');
    assert.equal(b.name, 'actor.handle order.check');
    assert.equal(c.name, 'actor.handle order.submit');
    assert.equal(new Set(spans.map((s) => s.traceId)).size, 1, 'one trace');
    assert.equal(a.parentSpanId, '', 'A is the root');
    assert.equal(b.parentSpanId, a.spanId);
    assert.equal(c.parentSpanId, b.spanId);
    // the message type is the span name's, the address `messaging.destination.name`: no duplicates
    assert.equal(b.attributes['messaging.destination.name'], 'risk');
    assert.equal(b.attributes['messaging.system'], 'bot4.actors');
    assert.equal(b.attributes['messaging.operation.type'], 'process');
    assert.ok(!('actor.message.type' in b.attributes) && !('actor.address' in b.attributes), 'no attribute repeats the span name or the destination');
    assert.equal(b.attributes['actor.message.from'], 'strategy.a');
    assert.equal(typeof b.attributes['actor.mailbox.wait_ns'], 'number');
    assert.ok((b.attributes['actor.mailbox.wait_ns'] as number) >= 0);
    assert.equal(typeof c.attributes['actor.handle_ns'], 'number');
    assert.equal(a.service, 'bot4-test');
    // What a venue HTTP request made by C would carry: C's own span.
    assert.equal(venueTp, `00-${c.traceId}-${c.spanId}-01`);
    // Histograms are always on, per actor.
    assert.equal(tracing.histograms.summary('risk')?.wait.count, 1);
  });

  it('an invalid incoming traceparent that looks sampled starts a new root (actor message and span sink); ids match in the context and the OTLP bytes', async () => {
    const receiver = await OtlpReceiver.start();
    const tracing = new ActorTracing({ endpoint: receiver.url, samplingRatio: 1, maxTracesPerSecond: 0, scheduledDelayMillis: 20, simServiceName: 'sim-bad', system: 'otlp-badctx' });
    const sys = new ActorSystem({ name: 'otlp-badctx', seed: 1 });
    const seen = new Map<string, string>();
    // each 55 characters, sampled flag set: what a remote peer or user code could hand in
    const bad = {
      upper: '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
      zeroTrace: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      zeroSpan: `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`,
      junk: `00-${'z'.repeat(32)}-${'z'.repeat(16)}-01`,
    };
    let sinkTp: string | undefined;
    try {
      sys.spawn('a', counterMachine, { handle: (e, ctx) => ctx.send('b', { type: `next.${e.type}` }) });
      sys.spawn('b', counterMachine, { handle: (e: Envelope) => void seen.set(e.type.slice(5), e.traceparent) });
      for (const [k, tp] of Object.entries(bad)) sys.send('a', { type: k, traceparent: tp });
      await until(() => seen.size === 4);
      const engine = spanSink('engine')!;
      const sim = spanSink('sim')!;
      const span = engine.start('hand', SpanKind.INTERNAL, bad.junk);
      assert.equal(span.recording, true, 'the engine starts a new root under an invalid context');
      sinkTp = span.traceparent;
      span.end();
      assert.equal(sim.start('x', SpanKind.SERVER, bad.junk).recording, false, 'the simulator records nothing under it');
      await tracing.flush();
      await receiver.waitForSpans(9);
    } finally {
      await sys.shutdown();
      await tracing.shutdown();
      await receiver.close();
    }
    const spans = receiver.spans;
    assert.equal(spans.length, 9);
    for (const [k, tp] of Object.entries(bad)) {
      const a = spans.find((s) => s.name === `actor.handle ${k}`)!;
      const b = spans.find((s) => s.name === `actor.handle next.${k}`)!;
      assert.ok(a && b, k);
      assert.equal(a.parentSpanId, '', `${k}: a root, not a child of ${tp}`);
      assert.notEqual(a.traceId, tp.slice(3, 35), k);
      assert.match(a.traceId, /^[0-9a-f]{32}$/);
      assert.equal(b.traceId, a.traceId, `${k}: its child joins the new trace`);
      assert.equal(b.parentSpanId, a.spanId, k);
      // the context the message to B carried is A's span: the same ids as A's OTLP bytes
      assert.equal(seen.get(k), `00-${a.traceId}-${a.spanId}-01`, k);
    }
    assert.equal(new Set(spans.map((s) => s.traceId)).size, 5, 'four new traces from the messages, one from the span sink');
    const hand = spans.find((s) => s.name === 'hand')!;
    assert.equal(hand.parentSpanId, '');
    assert.equal(sinkTp, `00-${hand.traceId}-${hand.spanId}-01`);
  });

  it('sampling is parent-based with a root ratio; histograms record everything regardless', async () => {
    const receiver = await OtlpReceiver.start();
    const tracing = new ActorTracing({ endpoint: receiver.url, samplingRatio: 0, scheduledDelayMillis: 20, system: 'otlp-sampling' });
    const sys = new ActorSystem({ name: 'otlp-sampling', seed: 1 });
    const seen: string[] = [];
    try {
      sys.spawn('a', counterMachine, { handle: (e, ctx) => ctx.send('b', { type: 'next' }) });
      sys.spawn('b', counterMachine, { handle: (e: Envelope) => void seen.push(e.traceparent) });
      for (let i = 0; i < 100; i++) sys.send('a', { type: 'unsampled-root' });
      const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      sys.send('a', { type: 'sampled-parent', traceparent: parent });
      sys.send('a', { type: 'unsampled-parent', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' });
      await until(() => seen.length === 102);
      await tracing.flush();
      await receiver.waitForSpans(2);
      assert.equal(seen.filter((t) => t === UNSAMPLED_TRACEPARENT).length, 100, 'unsampled roots propagate an unsampled context');
      const spans = receiver.spans;
      assert.equal(spans.length, 2, 'only the chain under the sampled parent is traced');
      assert.ok(spans.every((s) => s.traceId === '4bf92f3577b34da6a3ce929d0e0e4736'));
      assert.equal(spans.find((s) => s.attributes['messaging.destination.name'] === 'a')!.parentSpanId, '00f067aa0ba902b7');
      assert.equal(tracing.histograms.summary('a')?.handle.count, 102);
      assert.equal(tracing.histograms.summary('b')?.wait.count, 102);
    } finally {
      await sys.shutdown();
      await tracing.shutdown();
      await receiver.close();
    }
  });

  it('exporter down: the engine keeps running, the queue stays bounded, shutdown reports dropped spans', async () => {
    const tracing = new ActorTracing({
      endpoint: await closedPortUrl(),
      samplingRatio: 1,
      maxTracesPerSecond: 0,
      maxQueueSize: 256,
      maxExportBatchSize: 64,
      scheduledDelayMillis: 10,
      exportTimeoutMillis: 300,
      shutdownTimeoutMs: 2000,
      system: 'otlp-down',
    });
    const sys = new ActorSystem({ name: 'otlp-down', seed: 1 });
    let handled = 0;
    try {
      sys.spawn('a', counterMachine, { handle: () => void handled++ });
      for (let round = 0; round < 5; round++) {
        for (let i = 0; i < 1000; i++) sys.send('a', { type: 'tick' });
        await until(() => handled === (round + 1) * 1000);
      }
    } finally {
      await sys.shutdown();
    }
    const t0 = Date.now();
    const report = await tracing.shutdown();
    assert.ok(Date.now() - t0 < 5000, 'shutdown is bounded');
    assert.equal(handled, 5000, 'every message was handled');
    assert.equal(report.spansEnded, 5000);
    assert.equal(report.spansExported, 0);
    assert.equal(report.spansDropped, 5000);
    assert.deepEqual(await tracing.shutdown(), report, 'idempotent');
  });

  it('a receiver that never answers cannot hold shutdown past its timeout', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const hang = http.createServer(() => undefined);
    hang.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(hang.address() as AddressInfo).port}/v1/traces`;
    const tracing = new ActorTracing({ endpoint: url, samplingRatio: 1, maxTracesPerSecond: 0, exportTimeoutMillis: 10_000, shutdownTimeoutMs: 300, system: 'otlp-hang' });
    const sys = new ActorSystem({ name: 'otlp-hang', seed: 1 });
    let handled = 0;
    try {
      sys.spawn('a', counterMachine, { handle: () => void handled++ });
      for (let i = 0; i < 50; i++) sys.send('a', { type: 'tick' });
      await until(() => handled === 50);
      const report = await tracing.shutdown();
      assert.match(String(report.shutdownError), /timed out after 300 ms/);
      assert.equal(report.spansEnded, 50);
      assert.equal(report.spansDropped, 50);
    } finally {
      await sys.shutdown();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => hang.close(() => r()));
    }
  });

  it('spans are timed exactly on the system clock and carry the handler error', async () => {
    const receiver = await OtlpReceiver.start();
    const clock = new SimulatedClock();
    const tracing = new ActorTracing({ endpoint: receiver.url, samplingRatio: 1, scheduledDelayMillis: 20, clock, system: 'otlp-timing' });
    const sys = new ActorSystem({ name: 'otlp-timing', seed: 1, clock });
    try {
      sys.spawn('a', counterMachine, {
        supervision: { maxRestarts: 5, backoffMs: 0 },
        handle: (e) => {
          clock.advanceToNs(clock.nowNs() + 7_000);
          if (e.type === 'bad') throw new Error('poison');
        },
      });
      sys.send('a', { type: 'ok' });
      sys.send('a', { type: 'bad' });
      clock.advance(0);
      await tracing.flush();
      await receiver.waitForSpans(2);
    } finally {
      await sys.shutdown();
      await tracing.shutdown();
      await receiver.close();
    }
    const ok = receiver.spans.find((s) => s.name === 'actor.handle ok')!;
    const bad = receiver.spans.find((s) => s.name === 'actor.handle bad')!;
    assert.equal(ok.attributes['actor.handle_ns'], 7_000);
    assert.equal(ok.attributes['actor.mailbox.wait_ns'], 0);
    assert.equal(ok.statusCode, 0);
    assert.equal(bad.attributes['actor.handle_ns'], 7_000);
    assert.equal(bad.attributes['actor.mailbox.wait_ns'], 7_000, 'waited while "ok" was handled');
    assert.equal(bad.statusCode, 2, 'ERROR');
    assert.notEqual(ok.traceId, bad.traceId, 'two roots, two traces');
    // Histograms: per-envelope wait from the batch start, handling as the batch mean.
    const a = tracing.histograms.summary('a')!;
    assert.equal(a.wait.count, 2);
    assert.equal(a.wait.max, 0);
    assert.equal(a.handle.count, 2);
    assert.ok(Math.abs(a.handle.p50 - 7_000) <= 7, String(a.handle.p50));
  });

  it('maxTracesPerSecond caps sampled roots (token bucket on the clock); children follow their root', async () => {
    const clock = new SimulatedClock();
    const tracing = new ActorTracing({ endpoint: await closedPortUrl(), samplingRatio: 1, maxTracesPerSecond: 10, clock, exportTimeoutMillis: 300, system: 'otlp-cap' });
    const sys = new ActorSystem({ name: 'otlp-cap', seed: 1, clock });
    try {
      sys.spawn('a', counterMachine, { handle: (e, ctx) => ctx.send('b', { type: 'child' }) });
      sys.spawn('b', counterMachine);
      for (let i = 0; i < 100; i++) sys.send('a', { type: 'root' });
      clock.advance(0);
      assert.equal(tracing.stats.spansEnded, 20, '10 roots and their 10 children');
      assert.equal(tracing.stats.tracesRateLimited, 90);
      clock.advance(500);
      for (let i = 0; i < 100; i++) sys.send('a', { type: 'root' });
      clock.advance(0);
      assert.equal(tracing.stats.spansEnded, 30, 'half a second refills 5 tokens');
      // while capped the clock is read on 1 in 8 refused roots: the refill is seen a few roots late, never exceeded
      assert.equal(tracing.stats.tracesRateLimited, 185);
      assert.equal(tracing.histograms.summary('b')!.wait.count, 200, 'histograms see everything');
    } finally {
      await sys.shutdown();
      await tracing.shutdown();
    }
  });

  it('root sampling follows samplingRatio (seeded random, drawn once per sampled root)', async () => {
    let x = 42;
    let draws = 0;
    const random = (): number => {
      draws++;
      x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
      return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
    };
    const clock = new SimulatedClock();
    const tracing = new ActorTracing({ endpoint: await closedPortUrl(), samplingRatio: 0.25, maxTracesPerSecond: 0, random, clock, maxQueueSize: 100_000, system: 'otlp-ratio' });
    const sys = new ActorSystem({ name: 'otlp-ratio', seed: 1, clock });
    try {
      sys.spawn('a', counterMachine, { handle: () => undefined });
      for (let i = 0; i < 20_000; i++) sys.send('a', { type: 'root' });
      clock.advance(0);
      const n = tracing.stats.spansEnded;
      // Binomial(20000, 0.25): mean 5000, sd 61.
      assert.ok(n > 4700 && n < 5300, String(n));
      assert.ok(draws <= n + 1, `one draw per sampled root, got ${draws} for ${n}`);
    } finally {
      await sys.shutdown();
      await tracing.shutdown();
    }
  });

  it('a full export queue drops spans at its bound and counts them (never queues without bound)', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const hang = http.createServer(() => undefined);
    hang.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(hang.address() as AddressInfo).port}/v1/traces`;
    const tracing = new ActorTracing({ endpoint: url, samplingRatio: 1, maxTracesPerSecond: 0, maxQueueSize: 10, maxExportBatchSize: 5, scheduledDelayMillis: 5, exportTimeoutMillis: 10_000, shutdownTimeoutMs: 300, system: 'otlp-queue' });
    const sys = new ActorSystem({ name: 'otlp-queue', seed: 1 });
    let handled = 0;
    try {
      sys.spawn('a', counterMachine, { handle: () => void handled++ });
      for (let i = 0; i < 100; i++) sys.send('a', { type: 'tick' });
      await until(() => handled === 100);
      assert.equal(handled, 100, 'every message handled');
      assert.equal(tracing.stats.spansEnded, 100);
      assert.equal(tracing.stats.spansQueueFull, 90, 'waiting + in export never exceeds maxQueueSize');
      assert.deepEqual(tracingStats().find((s) => s.service === 'bot4'), { service: 'bot4', ended: 100, exported: 0, failed: 0, queueFull: 90 });
    } finally {
      await sys.shutdown();
      const report = await tracing.shutdown();
      assert.equal(report.spansDropped, 100);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => hang.close(() => r()));
    }
  });

  it('span sinks: a hand-made root samples like an actor root, children follow, the simulator never starts a trace', async () => {
    const receiver = await OtlpReceiver.start();
    const tracing = new ActorTracing({ endpoint: receiver.url, samplingRatio: 1, maxTracesPerSecond: 0, scheduledDelayMillis: 20, simServiceName: 'sim-x', resourceAttributes: { 'service.version': '9.9.9' }, system: 'otlp-sinks' });
    try {
      const engine = spanSink('engine')!;
      const sim = spanSink('sim')!;
      assert.ok(engine !== undefined && sim !== undefined, 'registered while tracing runs');
      const root = engine.start('order.submit', SpanKind.SERVER, '', { 'rpc.method': 'order.submit' });
      assert.ok(root.recording);
      const client = engine.start('POST /api/v3/order', SpanKind.CLIENT, root.traceparent);
      const server = sim.start('POST /api/v3/order', SpanKind.SERVER, client.traceparent);
      assert.ok(server.recording);
      assert.equal(sim.start('x', SpanKind.SERVER, '').recording, false, 'the simulator makes no root');
      assert.equal(sim.start('x', SpanKind.SERVER, 'garbage').recording, false, 'nor a span under a malformed context from the wire');
      const unsampled = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
      const u = engine.start('x', SpanKind.INTERNAL, unsampled);
      assert.deepEqual([u.recording, u.traceparent], [false, unsampled], 'an unsampled parent passes through');
      assert.equal(engine.withContext(root.traceparent, () => currentTraceparent()), root.traceparent, 'ambient context for synchronous sends');
      assert.equal(currentTraceparent(), '', 'restored');
      server.end();
      client.end('boom');
      client.end();
      root.end();
      await tracing.flush();
      await receiver.waitForSpans(3);
    } finally {
      await tracing.shutdown();
      await receiver.close();
    }
    assert.equal(spanSink('engine'), undefined, 'unregistered at shutdown');
    assert.equal(spanSink('sim'), undefined);
    assert.deepEqual(tracingStats(), [], 'no counters once shut down (/metrics drops the family)');
    const [r, c, sv] = ['order.submit', 'POST /api/v3/order:bot4', 'POST /api/v3/order:sim-x'].map((k) => receiver.spans.find((s) => `${s.name}${s.name === 'order.submit' ? '' : `:${s.service}`}` === k)!);
    assert.ok(r && c && sv);
    assert.equal(receiver.spans.length, 3, 'ended once each');
    assert.deepEqual([r.kind, c.kind, sv.kind], [2, 3, 2]);
    assert.equal(c.parentSpanId, r.spanId);
    assert.equal(sv.parentSpanId, c.spanId);
    assert.equal(new Set([r.traceId, c.traceId, sv.traceId]).size, 1);
    assert.equal(c.statusCode, 2, 'ERROR');
    assert.equal(sv.resource['service.version'], '9.9.9');
    assert.equal(r.resource['service.name'], 'bot4');
  });

  it('export failures are counted, never thrown: an HTTP error status and an export timeout', async () => {
    const sockets = new Set<import('node:net').Socket>();
    let hangNext = false;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (hangNext) return; // never answers: the export timeout ends it
        res.writeHead(503).end('busy');
      });
    });
    server.on('connection', (c) => sockets.add(c));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
    const tracing = new ActorTracing({ endpoint: url, samplingRatio: 1, maxTracesPerSecond: 0, scheduledDelayMillis: 10_000, exportTimeoutMillis: 200, shutdownTimeoutMs: 2000, system: 'otlp-status' });
    const sys = new ActorSystem({ name: 'otlp-status', seed: 1 });
    let handled = 0;
    try {
      sys.spawn('a', counterMachine, { handle: () => void handled++ });
      for (let i = 0; i < 7; i++) sys.send('a', { type: 'tick' });
      await until(() => handled === 7);
      await tracing.flush();
      assert.deepEqual([tracing.stats.spansEnded, tracing.stats.spansExported, tracing.stats.spansFailed], [7, 0, 7], 'HTTP 503: the batch failed');
      hangNext = true;
      for (let i = 0; i < 3; i++) sys.send('a', { type: 'tick' });
      await until(() => handled === 10);
      await tracing.flush();
      assert.deepEqual([tracing.stats.spansEnded, tracing.stats.spansFailed], [10, 10], 'a request past exportTimeoutMillis failed');
      assert.deepEqual(tracingStats().find((x) => x.service === 'bot4'), { service: 'bot4', ended: 10, exported: 0, failed: 10, queueFull: 0 });
    } finally {
      await sys.shutdown();
      const report = await tracing.shutdown();
      assert.equal(report.spansDropped, 10);
      for (const c of sockets) c.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('validates its options', () => {
    assert.throws(() => new ActorTracing({ endpoint: 'not a url' }), (e: unknown) => e instanceof ConfigError && /^tracing.endpoint: expected a url string, got "not a url"$/.test(e.message));
    assert.throws(() => new ActorTracing({ samplingRatio: 2 }), /tracing.samplingRatio: expected a value <= 1, got 2/);
    assert.throws(() => new ActorTracing({ random: 3 as unknown as () => number }), /tracing.random: expected a function, got 3/);
    assert.throws(() => new ActorTracing({ maxTracesPerSecond: -1 }), /tracing.maxTracesPerSecond: expected a value >= 0, got -1/);
    // export headers go on the request head as they are: no header injection through a value or a name
    assert.throws(() => new ActorTracing({ headers: { 'x-ok': 'a\r\nInjected: 1' } }), (e: unknown) => e instanceof ConfigError && /^tracing\.headers\.x-ok: .*got "a\\r\\nInjected: 1"$/.test(e.message));
    assert.throws(() => new ActorTracing({ headers: { 'bad name': 'x' } }), (e: unknown) => e instanceof ConfigError && /^tracing\.headers\.bad name: .*got "bad name"$/.test(e.message));
  });
});
