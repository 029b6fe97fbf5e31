import assert from 'node:assert/strict';
import net from 'node:net';
import { ActorSystem, ActorTracing } from '../../../actors/runtime/index.js';
import { OtlpHttpClient } from '../../../actors/runtime/tracing/otlp-http.js';
import { SpanKind, spanSink } from '../../../common/span-sink.js';
import { counterMachine } from '../../unit/actors/runtime/helpers.js';
import { loadOtlpRoot } from '../../fixtures/otlp/otlp-receiver.js';

/** Resolves when `pred` holds, polling on the event loop (bounded). */
async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * A raw OTLP receiver: decodes each request with protobufjs and records its span count; replies
 * at once, or only once `release()` was called (to hold requests in flight). Records how many
 * requests were unanswered at most at one time, and how each arrived (socket chunks).
 */
async function receiver(hold: boolean): Promise<{ url: string; sizes: number[]; heads: string[]; seq: number[]; pads: number[]; maxOpen: () => number; hold: () => void; release: () => void; close: () => Promise<void> }> {
  const root = await loadOtlpRoot();
  const Req = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  const sizes: number[] = [];
  const heads: string[] = [];
  /** The integer attribute `i` of each span, in the order the spans arrived (spans without it: not listed). */
  const seq: number[] = [];
  /** The length of the string attribute `pad` of each span that has one, in arrival order. */
  const pads: number[] = [];
  const pending: net.Socket[] = [];
  let open = 0;
  let maxOpen = 0;
  let held = hold;
  const sockets = new Set<net.Socket>();
  const answer = (sock: net.Socket): void => {
    open--;
    sock.write('HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n');
  };
  const server = net.createServer((sock) => {
    sockets.add(sock);
    let buf = Buffer.alloc(0);
    sock.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.toString('latin1', 0, end);
        const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        const msg = Req.toObject(Req.decode(buf.subarray(end + 4, end + 4 + len)), { longs: Number }) as { resourceSpans: { scopeSpans: { spans: { attributes?: { key: string; value: { intValue?: number; stringValue?: string } }[] }[] }[] }[] };
        sizes.push(msg.resourceSpans.reduce((n, rs) => n + rs.scopeSpans.reduce((m, ss) => m + ss.spans.length, 0), 0));
        for (const rs of msg.resourceSpans) {
          for (const ss of rs.scopeSpans) {
            for (const sp of ss.spans) {
              const v = sp.attributes?.find((a) => a.key === 'i')?.value.intValue;
              if (v !== undefined) seq.push(v);
              const pad = sp.attributes?.find((a) => a.key === 'pad')?.value.stringValue;
              if (pad !== undefined) pads.push(pad === 'p'.repeat(pad.length) ? pad.length : -1);
            }
          }
        }
        heads.push(head);
        buf = buf.subarray(end + 4 + len);
        open++;
        maxOpen = Math.max(maxOpen, open);
        if (held) pending.push(sock);
        else answer(sock);
      }
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/v1/traces`,
    sizes,
    heads,
    seq,
    pads,
    maxOpen: () => maxOpen,
    hold: () => {
      held = true;
    },
    release: () => {
      held = false;
      for (const s of pending.splice(0)) answer(s);
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('tracing: export batches (OTEL_BSP_MAX_EXPORT_BATCH_SIZE, requests in flight, one write per request)', function () {
  this.timeout(20_000);

  it('spans are split into requests of at most maxExportBatchSize; full batches leave at once, the rest on flush', async () => {
    const rcv = await receiver(false);
    // a scheduled delay far beyond the test: only full batches and the flush export
    const tracing = new ActorTracing({ endpoint: rcv.url, samplingRatio: 1, maxTracesPerSecond: 0, maxExportBatchSize: 7, scheduledDelayMillis: 600_000, system: 'otlp-batch-split' });
    const sys = new ActorSystem({ name: 'otlp-batch-split', seed: 1 });
    let handled = 0;
    try {
      sys.spawn('a', counterMachine, { handle: () => void handled++ });
      for (let i = 0; i < 50; i++) sys.send('a', { type: 'tick' });
      await until(() => handled === 50);
      await until(() => rcv.sizes.length === 7);
      assert.deepEqual(rcv.sizes, [7, 7, 7, 7, 7, 7, 7], 'seven full batches, the remainder waits for the delay or a flush');
      await tracing.flush();
      assert.deepEqual(rcv.sizes, [7, 7, 7, 7, 7, 7, 7, 1]);
    } finally {
      await sys.shutdown();
      const report = await tracing.shutdown();
      await rcv.close();
      assert.equal(report.spansExported, 50);
      assert.equal(report.spansDropped, 0);
    }
  });

  it('at most concurrencyLimit requests are in flight; a flush hands over every queued batch as connections free up', async () => {
    const rcv = await receiver(true);
    const tracing = new ActorTracing({ endpoint: rcv.url, samplingRatio: 1, maxTracesPerSecond: 0, maxExportBatchSize: 5, concurrencyLimit: 2, scheduledDelayMillis: 600_000, system: 'otlp-in-flight' });
    const sys = new ActorSystem({ name: 'otlp-in-flight', seed: 1 });
    let handled = 0;
    try {
      sys.spawn('a', counterMachine, { handle: () => void handled++ });
      for (let i = 0; i < 40; i++) sys.send('a', { type: 'tick' });
      await until(() => handled === 40);
      await until(() => rcv.sizes.length === 2);
      // held replies: nothing more leaves while both connections wait
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(rcv.sizes.length, 2, 'no third request while two are unanswered');
      assert.equal(tracing.stats.spansExported, 0);
      const flushed = tracing.flush();
      rcv.release();
      await flushed;
      assert.deepEqual(rcv.sizes, [5, 5, 5, 5, 5, 5, 5, 5], 'every queued batch went out after the flush');
      assert.equal(rcv.maxOpen(), 2);
      assert.equal(tracing.stats.spansExported, 40);
    } finally {
      await sys.shutdown();
      await tracing.shutdown();
      await rcv.close();
    }
  });

  it('the queue is a ring: batches leave from its head while spans keep coming (it wraps around and grows past its first size); every span arrives once, in order', async () => {
    const rcv = await receiver(true);
    const tracing = new ActorTracing({ endpoint: rcv.url, samplingRatio: 1, maxTracesPerSecond: 0, maxExportBatchSize: 5, concurrencyLimit: 1, scheduledDelayMillis: 600_000, system: 'otlp-ring' });
    let next = 0;
    const spans = (n: number): void => {
      const sink = spanSink('engine')!;
      for (let k = 0; k < n; k++) sink.start('s', SpanKind.INTERNAL, '', { i: next++ }).end();
    };
    try {
      // the first batch leaves and is held: 55 wait behind it (the ring starts with room for 64)
      spans(60);
      await until(() => rcv.sizes.length === 1);
      // answered: the rest leaves batch by batch from the head; the head is now past the middle
      rcv.release();
      await until(() => tracing.stats.spansExported === 60);
      // 60 more wrap around the ring's end; then, held again, 150 more than it holds make it grow
      // while its head is not at 0 (the waiting spans are copied in order)
      spans(60);
      await until(() => tracing.stats.spansExported === 120);
      rcv.hold();
      spans(150);
      await until(() => rcv.sizes.length === 25);
      const flushed = tracing.flush();
      rcv.release();
      await flushed;
      assert.equal(tracing.stats.spansExported, 270);
      assert.deepEqual(rcv.seq, Array.from({ length: 270 }, (_, k) => k), 'each span once, in the order they ended');
      assert.ok(rcv.sizes.every((n) => n <= 5));
    } finally {
      const report = await tracing.shutdown();
      await rcv.close();
      assert.equal(report.spansDropped, 0);
    }
  });

  it('spans wait as their encoded bytes: the buffer grows past its first 64 KiB, moves the waiting spans to its front as batches leave, starts over when empty, and passes to the next exporter; every span arrives once, whole, in order', async () => {
    const rcv = await receiver(true);
    const opts = { endpoint: rcv.url, samplingRatio: 1, maxTracesPerSecond: 0, maxExportBatchSize: 10, concurrencyLimit: 1, scheduledDelayMillis: 600_000 };
    let next = 0;
    // spans of ~1-3 KiB (a `pad` string whose length varies with the span): 100 of them are ~200 KiB
    const spans = (n: number): void => {
      const sink = spanSink('engine')!;
      for (let k = 0; k < n; k++, next++) sink.start('s', SpanKind.INTERNAL, '', { i: next, pad: 'p'.repeat(1000 + ((next * 37) % 2000)) }).end();
    };
    const expectPads = (n: number): number[] => Array.from({ length: n }, (_, k) => 1000 + ((k * 37) % 2000));
    let tracing = new ActorTracing({ ...opts, system: 'otlp-bytes-1' });
    try {
      // the first batch leaves and is held; 90 wait behind it, more than the first 64 KiB hold
      spans(100);
      await until(() => rcv.sizes.length === 1);
      // answered one by one while more keep coming: the sent spans are cut from the front
      rcv.release();
      spans(100);
      await until(() => tracing.stats.spansExported === 200);
      spans(5);
      await tracing.flush();
      assert.equal(tracing.stats.spansExported, 205);
      const report = await tracing.shutdown();
      assert.equal(report.spansDropped, 0);
      // the next exporter in this process takes the grown buffer over
      tracing = new ActorTracing({ ...opts, system: 'otlp-bytes-2' });
      spans(95);
      await tracing.flush();
      assert.equal(tracing.stats.spansExported, 95);
      assert.deepEqual(rcv.seq, Array.from({ length: 300 }, (_, k) => k), 'each span once, in the order they ended');
      assert.deepEqual(rcv.pads, expectPads(300), 'every span whole: its padding string arrives with its length and bytes');
    } finally {
      await tracing.shutdown();
      await rcv.close();
    }
  });

  it('spans still queued when shutdown gives up are dropped and counted, and the next exporter starts clean', async () => {
    const rcv = await receiver(true);
    const opts = { endpoint: rcv.url, samplingRatio: 1, maxTracesPerSecond: 0, maxExportBatchSize: 10, concurrencyLimit: 1, scheduledDelayMillis: 600_000, shutdownTimeoutMs: 200, exportTimeoutMillis: 60_000 };
    const sink = (): NonNullable<ReturnType<typeof spanSink>> => spanSink('engine')!;
    let tracing = new ActorTracing({ ...opts, system: 'otlp-drop-1' });
    try {
      for (let i = 0; i < 35; i++) sink().start('s', SpanKind.INTERNAL, '', { i }).end();
      await until(() => rcv.sizes.length === 1);
      // one request held in flight, 25 spans queued behind it: shutdown times out
      const report = await tracing.shutdown();
      assert.equal(report.spansEnded, 35);
      assert.equal(report.spansExported, 0);
      assert.equal(report.spansDropped, 35);
      assert.match(report.shutdownError ?? '', /timed out/);
      rcv.release();
      tracing = new ActorTracing({ ...opts, system: 'otlp-drop-2' });
      for (let i = 100; i < 103; i++) sink().start('s', SpanKind.INTERNAL, '', { i }).end();
      await tracing.flush();
      assert.equal(tracing.stats.spansExported, 3);
      assert.deepEqual(rcv.seq.slice(-3), [100, 101, 102], 'no bytes of the dropped spans reach the next exporter');
    } finally {
      await tracing.shutdown();
      await rcv.close();
    }
  });

  it('the HTTP head goes into the room before the body (one write); without room, or with a head larger than it, head and body still arrive whole', async () => {
    const rcv = await receiver(false);
    const root = await loadOtlpRoot();
    const Req = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
    const body = (): Buffer => Buffer.from(Req.encode(Req.create({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'one', traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2) }] }] }] })).finish());
    const withRoom = (room: number): Buffer => {
      const b = body();
      const all = Buffer.alloc(room + b.length, 0x55);
      b.copy(all, room);
      return all.subarray(room);
    };
    const post = (c: OtlpHttpClient, b: Buffer, room: number): Promise<boolean> => new Promise((resolve) => c.post(b, (ok) => resolve(ok), room));
    const small = new OtlpHttpClient(new URL(rcv.url), { 'x-k': 'v' }, 1, 2000);
    const big = new OtlpHttpClient(new URL(rcv.url), { 'x-long': 'z'.repeat(500) }, 1, 2000);
    try {
      assert.equal(await post(small, withRoom(small.headRoom), small.headRoom), true);
      assert.equal(await post(small, body(), 0), true);
      assert.equal(await post(big, withRoom(100), 100), true, 'a head larger than the room falls back to two buffers');
      assert.deepEqual(rcv.sizes, [1, 1, 1]);
      for (const h of rcv.heads) assert.match(h, /^POST \/v1\/traces HTTP\/1\.1\r\n/);
      assert.match(rcv.heads[0]!, /\r\nx-k: v(\r\n|$)/);
      assert.match(rcv.heads[2]!, new RegExp(`\\r\\nx-long: z{500}(\\r\\n|$)`));
      assert.ok(small.headRoom >= rcv.heads[0]!.length + 4, 'the head room fits the head and its blank line');
    } finally {
      small.stop();
      big.stop();
      await rcv.close();
    }
  });
});
