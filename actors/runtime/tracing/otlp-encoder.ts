/**
 * Hand-written OTLP protobuf encoder of `ExportTraceServiceRequest` (opentelemetry-proto
 * `collector/trace/v1/trace_service.proto`, the body `@opentelemetry/exporter-trace-otlp-proto`
 * POSTs to `/v1/traces` as `application/x-protobuf`, and what Jaeger's OTLP receiver decodes).
 *
 * Why by hand: `npm run bench tracing` (BENCHMARKS.md; 2 cores shared by 6 jobs, 2026-12-05)
 * measured the OpenTelemetry SDK path (a `Span` object per span, then otlp-transformer's object
 * tree and protobufjs; `bench/tracing-sdk-peer.ts`) at 9.5–12 µs of CPU per span: 127–135 µs per
 * sampled order of 11 spans, against a goal of ≤ 20 µs per order. Here a span is a
 * {@link SpanRecord} filled on the hot path and written straight into a byte buffer by a timer,
 * off the order path: 2.3 µs per span with the export in the same run as the SDK peer's 9.5 µs
 * (encoding alone ~0.8 µs per span of ~350 bytes); 39 µs per sampled order in the daemon-shaped
 * bench. Only the fields bot4 sets are written (no events, links or trace state).

 * Wire format, field by field as the SDK's exporter writes it (proto3; zero values omitted):
 * `ResourceSpans{1 resource{1 attributes}, 2 scope_spans{1 scope{1 name, 2 version}, 2 spans}}`;
 * `Span{1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 7 start fixed64, 8 end fixed64,
 * 9 attributes, 15 status{2 message, 3 code}, 16 flags fixed32}`; `KeyValue{1 key, 2 value}`;
 * `AnyValue{1 string, 2 bool, 3 int64, 4 double}` (integral numbers as `int_value`, others as
 * `double_value`, as the SDK does). `flags` = W3C trace flags | `CONTEXT_HAS_IS_REMOTE` (0x100)
 * | `CONTEXT_IS_REMOTE` (0x200) when the parent came over the wire. Nested lengths: one byte is
 * reserved and the body shifted when it turns out longer; a span reserves two (most spans are
 * 128..16383 bytes), so its body is not shifted (canonical, minimal varints only). One
 * difference in order: an actor span's constant attributes (field 9) follow its name (field 5),
 * before kind and times; the protobuf spec has parsers accept fields in any order (protobufjs,
 * Jaeger's and the Collector's Go decoders do), and repeated fields keep their own order.
 *
 * Second round (issue 14, ≤ 20 µs per sampled order): on the 2-core bench machine a JS loop
 * storing bytes costs ~2 ns a byte (a 30-byte copy 54 ns by loop, 27 ns by a native `set`),
 * so what repeats is encoded once and copied with `set`: the actor span's name, its address
 * (`messaging.destination.name`), sender, topic and the order's
 * venue/symbol/side/strategy, cached per distinct value ({@link FieldCache}); the trace id of
 * the previous span is reused when the next span is of the same trace. 770 → ~510 ns per span
 * of ~350 bytes in 512-span batches (a micro-bench of `encodeExportRequest` over 11-span orders,
 * the previous and this encoder alternated in one process).
 *
 * Third round: the adapter keeps trace, span and parent ids as 32-bit words (drawn from the id
 * pool, or read once from an incoming context), so a span's ids are three native copies and the
 * previous span's trace is recognised by four integer compares, no hex parsed and no id strings
 * compared (`bench/tracing-encode.ts`: 630–680 → 536–565 ns per span, alternated runs).
 *
 * Fourth round (same bench, the previous and this encoder alternated in one session, load 5–7):
 * an actor span's name and constant attributes are one cached piece per (actor, type, sender,
 * topic), the order's venue/symbol/side/strategy one per combination ({@link ComboCache}; a
 * protobuf decoder takes fields in any order, so the name travels with the attributes); a
 * hand-made span's name is cached too; ids are written from their words by byte stores (a native
 * `set` call per id cost more than its 8 or 16 stores); a time adds its ns offset to the base's
 * uint64 halves computed once. 485–554 → 321–359 ns per span of 377 bytes (unchanged bytes).
 */
import type { SpanRecord } from './span-record.js';

/** Growable protobuf writer over one Buffer. */
export class ProtoWriter {
  buf: Buffer;
  pos = 0;

  constructor(size = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const b = Buffer.allocUnsafe(size);
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  /** Unsigned varint of a non-negative integer below 2^53. */
  varint(v: number): void {
    this.ensure(10);
    const b = this.buf;
    let p = this.pos;
    while (v >= 0x80) {
      b[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[p++] = v;
    this.pos = p;
  }

  /** Field tag (field numbers below 16: one byte). */
  tag(field: number, wire: number): void {
    this.ensure(1);
    this.buf[this.pos++] = (field << 3) | wire;
  }

  /** A length-delimited string field (UTF-8). */
  string(field: number, s: string): void {
    const n = s.length;
    this.ensure(2 + n * 3 + 10);
    const b = this.buf;
    b[this.pos++] = (field << 3) | 2;
    if (n < 0x80) {
      // ASCII by hand (a native Buffer.write per short string was the encoder's largest cost)
      const start = this.pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[start + i] = c;
      }
      if (i === n) {
        b[this.pos] = n;
        this.pos = start + n;
        return;
      }
    }
    const len = Buffer.byteLength(s, 'utf8');
    this.varint(len);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** A string field made of ASCII `prefix` bytes followed by `s` (no concatenated string is made). */
  prefixedString(field: number, prefix: Uint8Array, s: string): void {
    const n = s.length;
    const pl = prefix.length;
    if (pl + n < 0x80) {
      this.ensure(2 + pl + n);
      const b = this.buf;
      const p0 = this.pos;
      let p = p0 + 2;
      for (let i = 0; i < pl; i++) b[p++] = prefix[i]!;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[p++] = c;
      }
      if (i === n) {
        b[p0] = (field << 3) | 2;
        b[p0 + 1] = pl + n;
        this.pos = p;
        return;
      }
    }
    this.string(field, Buffer.from(prefix).toString('latin1') + s);
  }

  /** A bytes field from lowercase hex (trace and span ids). */
  hexBytes(field: number, hex: string): void {
    const n = hex.length >>> 1;
    this.ensure(2 + n);
    const b = this.buf;
    let p = this.pos;
    b[p++] = (field << 3) | 2;
    b[p++] = n;
    // one table load per byte (both digits at once)
    for (let i = 0; i < 2 * n; i += 2) b[p++] = HEX_PAIR[((hex.charCodeAt(i) & 0x7f) << 7) | (hex.charCodeAt(i + 1) & 0x7f)]!;
    this.pos = p;
  }

  /**
   * Field 1 (`trace_id`) of a Span: the spans of one trace usually follow each other in a batch,
   * so the bytes of the last trace id are copied again instead of parsing its hex a second time.
   */
  traceId(hex: string): void {
    if (hex !== this.lastTraceHex || hex.length !== 32) {
      this.hexBytes(1, hex);
      if (hex.length === 32) {
        this.lastTraceHex = hex;
        this.lastTrace.set(this.buf.subarray(this.pos - 18, this.pos));
      }
      return;
    }
    this.ensure(18);
    const b = this.buf;
    b.set(this.lastTrace, this.pos);
    this.pos += 18;
  }

  /** Field 1 (`trace_id`) from the id's four 32-bit words in memory order (no hex to parse). */
  traceIdWords(w0: number, w1: number, w2: number, w3: number): void {
    this.ensure(18);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 0x0a;
    b[p++] = 16;
    // byte stores: a native `set` call costs more than 16 of them
    p = putWord(b, p, w0);
    p = putWord(b, p, w1);
    p = putWord(b, p, w2);
    this.pos = putWord(b, p, w3);
  }

  /** Field 4 (`parent_span_id`) from the parent's two 32-bit words in memory order. */
  parentIdWords(w0: number, w1: number): void {
    this.ensure(10);
    const b = this.buf;
    b[this.pos] = 0x22;
    b[this.pos + 1] = 8;
    this.pos = putWord(b, putWord(b, this.pos + 2, w0), w1);
  }

  /** Field 2 (`span_id`) of a Span from the id's two 32-bit words in memory order (no hex to parse). */
  spanIdWords(w0: number, w1: number): void {
    this.ensure(10);
    const b = this.buf;
    b[this.pos] = 0x12;
    b[this.pos + 1] = 8;
    this.pos = putWord(b, putWord(b, this.pos + 2, w0), w1);
  }

  /**
   * Copies pre-encoded bytes with one native `set` (a JS byte loop costs ~2 ns a byte on the
   * 2-core bench machine; `set` of 30 bytes ~27 ns against ~54 ns for the loop).
   */
  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /**
   * Opens a length-delimited field whose body is expected to be 128..16383 bytes (a span): two
   * bytes are reserved for its length, so {@link end2} shifts the body only when it is shorter
   * or longer than that.
   */
  begin2(field: number): number {
    this.ensure(3);
    this.buf[this.pos++] = (field << 3) | 2;
    const mark = this.pos;
    this.pos += 2;
    return mark;
  }

  /** Closes a field opened by {@link begin2} (lengths stay canonical: minimal varints). */
  end2(mark: number): void {
    const len = this.pos - mark - 2;
    if (len >= 0x80 && len < 0x4000) {
      this.buf[mark] = (len & 0x7f) | 0x80;
      this.buf[mark + 1] = len >>> 7;
      return;
    }
    if (len < 0x80) {
      // one length byte: the body moves back by one
      this.buf.copyWithin(mark + 1, mark + 2, this.pos);
      this.buf[mark] = len;
      this.pos--;
      return;
    }
    // three bytes or more: the general path, from a one-byte reservation
    this.buf.copyWithin(mark + 1, mark + 2, this.pos);
    this.pos--;
    this.end(mark);
  }

  /** Raw bytes copied in (pre-encoded fields). */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** A fixed64 field from two 32-bit halves. */
  fixed64(field: number, lo: number, hi: number): void {
    this.ensure(9);
    const b = this.buf;
    let p = this.pos;
    b[p++] = (field << 3) | 1;
    b[p++] = lo & 255;
    b[p++] = (lo >>> 8) & 255;
    b[p++] = (lo >>> 16) & 255;
    b[p++] = lo >>> 24;
    b[p++] = hi & 255;
    b[p++] = (hi >>> 8) & 255;
    b[p++] = (hi >>> 16) & 255;
    b[p++] = hi >>> 24;
    this.pos = p;
  }

  /** Opens a length-delimited field; returns the mark {@link end} needs. */
  begin(field: number): number {
    this.ensure(2);
    this.buf[this.pos++] = (field << 3) | 2;
    return this.pos++;
  }

  /** Closes the field opened at `mark`, writing its length (shifting the body if it needs more than one byte). */
  end(mark: number): void {
    const len = this.pos - mark - 1;
    if (len < 0x80) {
      this.buf[mark] = len;
      return;
    }
    let extra = 0;
    for (let v = len; v >= 0x80; v = Math.floor(v / 0x80)) extra++;
    this.ensure(extra);
    const b = this.buf;
    b.copyWithin(mark + 1 + extra, mark + 1, this.pos);
    let v = len;
    let p = mark;
    while (v >= 0x80) {
      b[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[p] = v;
    this.pos += extra;
  }

  /**
   * `KeyValue` field 9 of a Span with a pre-encoded key (`0x0a len key`, {@link keyBytes}) and a
   * string value, written in one pass when it is short ASCII (the usual case); otherwise the
   * general {@link keyValue}.
   */
  kvString(key: string, kb: Uint8Array, value: string): void {
    const vlen = value.length;
    const kl = kb.length;
    const total = kl + 4 + vlen;
    if (vlen < 0x80 && total < 0x80) {
      this.ensure(total + 2);
      const b = this.buf;
      const p0 = this.pos;
      let p = p0;
      b[p++] = 0x4a;
      b[p++] = total;
      b.set(kb, p);
      p += kl;
      b[p++] = 0x12;
      b[p++] = vlen + 2;
      b[p++] = 0x0a;
      b[p++] = vlen;
      for (let i = 0; i < vlen; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) {
          this.keyValue(9, key, value);
          return;
        }
        b[p++] = c;
      }
      this.pos = p;
      return;
    }
    this.keyValue(9, key, value);
  }

  /** As {@link kvString} for a non-negative integer value (`int_value`). */
  kvUint(key: string, kb: Uint8Array, value: number): void {
    if (!(value >= 0 && value < 0x10000000 && Number.isInteger(value))) {
      this.keyValue(9, key, value);
      return;
    }
    const vk = value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : 4;
    const kl = kb.length;
    const total = kl + 3 + vk;
    this.ensure(total + 2);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 0x4a;
    b[p++] = total;
    b.set(kb, p);
    p += kl;
    b[p++] = 0x12;
    b[p++] = vk + 1;
    b[p++] = 0x18;
    let v = value;
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[p++] = v;
    this.pos = p;
  }

  /** `KeyValue{key, AnyValue}` as a field. */
  keyValue(field: number, key: string, value: string | number | boolean): void {
    const kv = this.begin(field);
    this.string(1, key);
    const av = this.begin(2);
    if (typeof value === 'string') {
      this.string(1, value);
    } else if (typeof value === 'boolean') {
      this.tag(2, 0);
      this.varint(value ? 1 : 0);
    } else if (Number.isInteger(value) && value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
      this.tag(3, 0);
      this.varint(value);
    } else if (Number.isInteger(value)) {
      // negative or huge int64: two's complement, 10 bytes (rare: attributes are ns and counts)
      this.tag(3, 0);
      this.ensure(10);
      let big = BigInt.asUintN(64, BigInt(value));
      while (big >= 0x80n) {
        this.buf[this.pos++] = Number(big & 0x7fn) | 0x80;
        big >>= 7n;
      }
      this.buf[this.pos++] = Number(big);
    } else {
      this.ensure(9);
      this.buf[this.pos++] = (4 << 3) | 1;
      this.buf.writeDoubleLE(value, this.pos);
      this.pos += 8;
    }
    this.end(av);
    this.end(kv);
  }

  /**
   * The bytes written so far (from `from`: the bytes before it are left for the caller, such as
   * the HTTP head room of a request body), as a Buffer of their own: the writer moves on to a spare buffer
   * (see {@link recycle}) or a fresh one of the same size. No copy: the request body is handed
   * to the socket as is.
   */
  take(from = 0): Buffer {
    const out = this.buf.subarray(from, this.pos);
    const size = this.buf.length;
    let next = this.spare.pop();
    while (next !== undefined && next.length < size) next = this.spare.pop();
    this.buf = next ?? Buffer.allocUnsafe(size);
    this.pos = 0;
    return out;
  }

  /** Gives back a buffer {@link take} returned, once nothing reads it any more (its request ended). */
  recycle(body: Buffer): void {
    // only a buffer of its own (allocUnsafe of 64 KiB and more never comes from the shared pool)
    if (this.spare.length < this.maxSpares && body.byteOffset <= MAX_HEAD_ROOM && body.buffer.byteLength >= 65536) this.spare.push(Buffer.from(body.buffer, 0, body.buffer.byteLength));
  }

  private readonly spare: Buffer[] = [];
  /** Buffers kept for reuse by {@link recycle} (one per request that can be in flight, and one). */
  maxSpares = 4;
  /** Last trace id written by {@link traceId} and its encoded field (tag, length, 16 bytes). */
  private lastTraceHex = '';
  private readonly lastTrace = new Uint8Array(18);
}

/** Most bytes left before a request body for its HTTP head ({@link encodeExportRequest}'s `headRoom`). */
export const MAX_HEAD_ROOM = 8192;


/** True on a little-endian host: a word's first byte in memory is its low byte. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Writes a 32-bit word of an id as its 4 bytes in memory order (as an Int32Array over them holds it) at `p`; returns `p + 4`. */
function putWord(b: Uint8Array, p: number, w: number): number {
  if (LITTLE_ENDIAN) {
    b[p] = w;
    b[p + 1] = w >>> 8;
    b[p + 2] = w >>> 16;
    b[p + 3] = w >>> 24;
  } else {
    b[p] = w >>> 24;
    b[p + 1] = w >>> 16;
    b[p + 2] = w >>> 8;
    b[p + 3] = w;
  }
  return p + 4;
}

/** Byte value of each pair of lowercase hex digits, indexed by `(first char << 7) | second char`. */
const HEX_PAIR = ((): Uint8Array => {
  const t = new Uint8Array(128 * 128);
  const d = '0123456789abcdef';
  for (let i = 0; i < 16; i++) for (let j = 0; j < 16; j++) t[(d.charCodeAt(i) << 7) | d.charCodeAt(j)] = (i << 4) | j;
  return t;
})();

const keyCache = new Map<string, Uint8Array>();

/** `KeyValue.key` encoded (`0x0a len key`), cached per key (keys are a small fixed set; ASCII assumed, else not cached). */
export function keyBytes(key: string): Uint8Array {
  let kb = keyCache.get(key);
  if (kb !== undefined) return kb;
  const bytes = Buffer.from(key, 'utf8');
  kb = new Uint8Array(2 + bytes.length);
  kb[0] = 0x0a;
  kb[1] = bytes.length;
  kb.set(bytes, 2);
  if (bytes.length < 0x80 && keyCache.size < 1024) keyCache.set(key, kb);
  return kb;
}

/**
 * Epoch nanoseconds `sec * 1e9 + nanos` (sec < 2^32, nanos < 1e9) as the two 32-bit halves of a
 * uint64, exactly and without a BigInt (a float64 cannot hold epoch ns).
 */
export function epochNsHalves(sec: number, nanos: number, out: [number, number]): void {
  const h = Math.floor(sec / 65536);
  const l = sec - h * 65536;
  const x = l * 1e9 + nanos; // < 2^46
  const y = h * 1e9; // < 2^46; contributes y * 2^16
  const yh = Math.floor(y / 65536);
  const yl = y - yh * 65536;
  const z = yl * 65536 + x; // < 2^47
  const zh = Math.floor(z / 4294967296);
  out[0] = z - zh * 4294967296;
  out[1] = yh + zh;
}

/** Resource and instrumentation scope of one service, encoded once. */
export interface EncodedService {
  /** `Resource` message body (field 1 of ResourceSpans, tag and length included). */
  resource: Buffer;
  /** `InstrumentationScope` (field 1 of ScopeSpans, tag and length included). */
  scope: Buffer;
}

/** Encodes a service's resource attributes and scope name once. */
export function encodeService(resourceAttributes: Readonly<Record<string, string>>, scopeName: string): EncodedService {
  const w = new ProtoWriter(1024);
  const r = w.begin(1);
  for (const [k, v] of Object.entries(resourceAttributes)) w.keyValue(1, k, v);
  w.end(r);
  const resource = w.take();
  const s = w.begin(1);
  w.string(1, scopeName);
  w.end(s);
  return { resource, scope: w.take() };
}

const ACTOR_SPAN_PREFIX_BYTES = Buffer.from('actor.handle ', 'latin1');
/** Encoded keys of the actor span attributes. */
const K = {
  destination: keyBytes('messaging.destination.name'),
  wait: keyBytes('actor.mailbox.wait_ns'),
  handle: keyBytes('actor.handle_ns'),
  from: keyBytes('actor.message.from'),
  topic: keyBytes('actor.message.topic'),
  correlation: keyBytes('actor.message.correlation_id'),
  venue: keyBytes('bot4.venue'),
  symbol: keyBytes('bot4.symbol'),
  side: keyBytes('bot4.side'),
  strategy: keyBytes('bot4.strategy'),
  clientId: keyBytes('bot4.order.client_id'),
};
/** The two constant attributes of every actor span, encoded once. */
const MESSAGING_CONSTANTS = ((): Uint8Array => {
  const w = new ProtoWriter(256);
  w.keyValue(9, 'messaging.system', 'bot4.actors');
  w.keyValue(9, 'messaging.operation.type', 'process');
  return new Uint8Array(w.take());
})();

/** Most values one {@link FieldCache} keeps (it starts over when full: values are a small set in practice). */
const FIELD_CACHE_MAX = 1024;
const scratch = new ProtoWriter(1024);

/**
 * Encoded fields of one low-cardinality string (an actor address, a message type, a venue...),
 * built once per distinct value: an actor span repeats the same few values, and copying their
 * bytes costs less than encoding them again. Unique values (client order ids, correlation ids)
 * are not cached.
 */
class FieldCache {
  private readonly map = new Map<string, Uint8Array>();
  constructor(private readonly build: (w: ProtoWriter, value: string) => void) {}
  get(value: string): Uint8Array {
    let b = this.map.get(value);
    if (b === undefined) {
      scratch.pos = 0;
      this.build(scratch, value);
      b = new Uint8Array(scratch.pos);
      b.set(scratch.buf.subarray(0, scratch.pos));
      if (this.map.size >= FIELD_CACHE_MAX) this.map.clear();
      this.map.set(value, b);
    }
    return b;
  }
}

/** A hand-made span's name field (`order.submit`, `POST /api/v3/order`, `order.ack`...): a small set of names. */
const SPAN_NAME = new FieldCache((w, name) => w.string(5, name));
/** An actor span's name field (`actor.handle <type>`) by message type. */
const ACTOR_NAME = new FieldCache((w, type) => w.prefixedString(5, ACTOR_SPAN_PREFIX_BYTES, type));
const kvCache = (key: string, kb: Uint8Array): FieldCache => new FieldCache((w, v) => w.kvString(key, kb, v));
/** `messaging.destination.name` (the handling actor's address), by actor. */
const ACTOR_ADDRESS = kvCache('messaging.destination.name', K.destination);
const ACTOR_FROM = kvCache('actor.message.from', K.from);
const ACTOR_TOPIC = kvCache('actor.message.topic', K.topic);
const ORDER_VENUE = kvCache('bot4.venue', K.venue);
const ORDER_SYMBOL = kvCache('bot4.symbol', K.symbol);
const ORDER_SIDE = kvCache('bot4.side', K.side);
const ORDER_STRATEGY = kvCache('bot4.strategy', K.strategy);

const comboScratch = new ProtoWriter(1024);
/** Most combinations one {@link ComboCache} list keeps (it starts over when full). */
const COMBO_LIST_MAX = 64;

/**
 * Encoded bytes of a combination of four low-cardinality strings, built once per distinct
 * combination and copied with one `set`: an actor span's name and its constant attributes
 * (actor, message type, sender, topic), or an order's venue/symbol/side/strategy. Keyed by the
 * first two in maps, then a short list compared by the other two (no key string is made).
 * Protobuf lets fields come in any order (a decoder keeps repeated fields in the order they
 * come), so the name (field 5) and the attributes (field 9) travel in one piece.
 */
class ComboCache {
  private readonly map = new Map<string, Map<string, ComboEntry[]>>();
  private size = 0;
  constructor(private readonly build: (w: ProtoWriter, a: string, b: string, c: string, d: string) => void) {}
  get(a: string, b: string, c: string, d: string): Uint8Array {
    let byB = this.map.get(a);
    if (byB === undefined) {
      if (this.size >= FIELD_CACHE_MAX) {
        this.map.clear();
        this.size = 0;
      }
      byB = new Map();
      this.map.set(a, byB);
    }
    let list = byB.get(b);
    if (list === undefined) {
      list = [];
      byB.set(b, list);
      this.size++;
    }
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      if (e.c === c && e.d === d) return e.bytes;
    }
    // its own writer: the parts come from FieldCaches, which build in `scratch`
    const w = comboScratch;
    w.pos = 0;
    this.build(w, a, b, c, d);
    const bytes = new Uint8Array(w.pos);
    bytes.set(w.buf.subarray(0, w.pos));
    if (list.length >= COMBO_LIST_MAX) list.length = 0;
    list.push({ c, d, bytes });
    return bytes;
  }
}

interface ComboEntry {
  readonly c: string;
  readonly d: string;
  readonly bytes: Uint8Array;
}

/**
 * An actor span's name and constant attributes in one piece, by actor, message type, sender and
 * topic: `actor.handle <type>`, `messaging.system`, `messaging.operation.type`,
 * `messaging.destination.name`, `actor.message.from` and `actor.message.topic` when there is one
 * (was nine copies and eight lookups a span). The message type is the span name's only: an
 * `actor.message.type` attribute and an `actor.address` beside `messaging.destination.name`
 * repeated what the span already said (fifth round: 63–73 fewer bytes an actor span, 377 → 339 a
 * span over an order in `bench/tracing-encode.ts`).
 */
const ACTOR_HEAD = new ComboCache((w, actor, type, from, topic) => {
  w.bytes(ACTOR_NAME.get(type));
  w.bytes(MESSAGING_CONSTANTS);
  w.bytes(ACTOR_ADDRESS.get(actor));
  w.bytes(ACTOR_FROM.get(from));
  if (topic !== '') w.bytes(ACTOR_TOPIC.get(topic));
});

/** An order's `bot4.venue`, `bot4.symbol`, `bot4.side`, `bot4.strategy` in one piece (each only when set). */
const ORDER_FIELDS = new ComboCache((w, symbol, venue, side, strategy) => {
  if (venue !== '') w.bytes(ORDER_VENUE.get(venue));
  if (symbol !== '') w.bytes(ORDER_SYMBOL.get(symbol));
  if (side !== '') w.bytes(ORDER_SIDE.get(side));
  if (strategy !== '') w.bytes(ORDER_STRATEGY.get(strategy));
});

/** Clock → epoch mapping of span times: epoch of clock 0 as whole seconds + ns. */
export interface EpochBase {
  epochSec: number;
  epochNs: number;
}

const halves: [number, number] = [0, 0];

/** The base whose whole seconds are in {@link baseLo}/{@link baseHi} (`epochSec` × 10⁹ as uint64 halves). */
let baseOf: EpochBase | undefined;
let baseLo = 0;
let baseHi = 0;
const TWO32 = 4294967296;

/**
 * A fixed64 time field: `epochSec × 10⁹ + ⌊epochNs + clockNs⌋` as a uint64, exactly. The
 * seconds' part is split into halves once per base; a span's time adds its ns offset (< 2⁵³)
 * to them with one carry (was: seconds and ns recomputed and multiplied out for every time).
 */
function writeTime(w: ProtoWriter, field: number, base: EpochBase, clockNs: number): void {
  if (base !== baseOf) {
    epochNsHalves(base.epochSec, 0, halves);
    baseLo = halves[0];
    baseHi = halves[1];
    baseOf = base;
  }
  const t = Math.floor(base.epochNs + clockNs);
  const tHi = Math.floor(t / TWO32);
  let lo = baseLo + (t - tHi * TWO32);
  let hi = baseHi + tHi;
  if (lo >= TWO32) {
    lo -= TWO32;
    hi++;
  }
  w.fixed64(field, lo, hi);
}

/** One `Span` message as field 2 of ScopeSpans. */
export function writeSpan(w: ProtoWriter, s: SpanRecord, base: EpochBase): void {
  const m = w.begin2(2);
  if (s.traceIdWords) w.traceIdWords(s.traceW0, s.traceW1, s.traceW2, s.traceW3);
  else w.traceId(s.traceId);
  if (s.spanIdWords) w.spanIdWords(s.spanW0, s.spanW1);
  else w.hexBytes(2, s.spanId);
  if (s.parentIdWords) w.parentIdWords(s.parentW0, s.parentW1);
  else if (s.parentSpanId !== '') w.hexBytes(4, s.parentSpanId);
  const actor = s.actor !== '';
  // an actor span's name comes with its constant attributes (any field order decodes the same)
  if (actor) w.bytes(ACTOR_HEAD.get(s.actor, s.name, s.from, s.topic));
  else w.bytes(SPAN_NAME.get(s.name));
  if (s.kind >= 0 && s.kind < 0x80) {
    // field 6 (kind) as two bytes: OTLP kinds are 1..5
    w.ensure(2);
    w.buf[w.pos++] = 0x30;
    w.buf[w.pos++] = s.kind;
  } else {
    w.tag(6, 0);
    w.varint(s.kind);
  }
  writeTime(w, 7, base, s.startNs);
  writeTime(w, 8, base, s.endNs);
  if (actor) {
    w.kvUint('actor.mailbox.wait_ns', K.wait, s.waitNs);
    w.kvUint('actor.handle_ns', K.handle, s.handleNs);
    if (s.correlationId !== '') w.kvString('actor.message.correlation_id', K.correlation, s.correlationId);
    if (s.venue !== '' || s.symbol !== '' || s.side !== '' || s.strategy !== '') w.bytes(ORDER_FIELDS.get(s.symbol, s.venue, s.side, s.strategy));
    if (s.clientOrderId !== '') w.kvString('bot4.order.client_id', K.clientId, s.clientOrderId);
  }
  const a = s.attrs;
  const na = s.attrCount;
  for (let i = 0; i < na; i += 2) {
    const key = a[i] as string;
    const v = a[i + 1]!;
    if (typeof v === 'string') w.kvString(key, keyBytes(key), v);
    else if (typeof v === 'number') w.kvUint(key, keyBytes(key), v);
    else w.keyValue(9, key, v);
  }
  if (s.statusCode !== 0) {
    const st = w.begin(15);
    if (s.statusMessage !== '') w.string(2, s.statusMessage);
    w.tag(3, 0);
    w.varint(s.statusCode);
    w.end(st);
  }
  // flags: fixed32, sampled | HAS_IS_REMOTE | IS_REMOTE (remote parent)
  // (field 16, wire type 5: the tag (16 << 3) | 5 = 133 is the two-byte varint 0x85 0x01)
  w.ensure(6);
  w.buf[w.pos++] = 0x85;
  w.buf[w.pos++] = 0x01;
  w.buf[w.pos++] = 0x01;
  w.buf[w.pos++] = s.remoteParent ? 0x03 : 0x01;
  w.buf[w.pos++] = 0;
  w.buf[w.pos++] = 0;
  w.end2(m);
}

/**
 * `ExportTraceServiceRequest` with one ResourceSpans / ScopeSpans holding `spans.at(i)` for `i` in
 * `[from, to)`: each encoded by {@link writeSpan}, then wrapped by {@link wrapEncodedSpans} (the
 * exporter's two steps, run back to back; for tests and `bench/tracing-encode.ts`). Returns a
 * Buffer of its own (the writer is reused for the next batch). With `headRoom`, that many bytes of
 * the same memory precede the body, free for the caller (`otlp-http.ts` writes the HTTP head
 * there, so head and body leave in one socket write).
 */
export function encodeExportRequest(w: ProtoWriter, service: EncodedService, base: EpochBase, spans: { at(i: number): SpanRecord | undefined }, from: number, to: number, headRoom = 0): Buffer {
  const s = spanScratch;
  s.pos = 0;
  for (let i = from; i < to; i++) writeSpan(s, spans.at(i)!, base);
  return wrapEncodedSpans(w, service, s.buf, 0, s.pos, headRoom);
}

/** Where {@link encodeExportRequest} encodes the spans before wrapping them. */
const spanScratch = new ProtoWriter();

/**
 * `ExportTraceServiceRequest` around spans already encoded by {@link writeSpan} (`src[from, to)`,
 * back to back, each a `Span` field of ScopeSpans): the exporter encodes a span when it ends and
 * keeps only its bytes. The enclosing lengths are known before the copy, so nothing moves after
 * it. Returns a Buffer of its own (the writer moves on to a spare or fresh buffer), with
 * `headRoom` bytes (at most {@link MAX_HEAD_ROOM}) free before it for the caller.
 */
export function wrapEncodedSpans(w: ProtoWriter, service: EncodedService, src: Uint8Array, from: number, to: number, headRoom = 0): Buffer {
  const room = Math.min(Math.max(0, Math.floor(headRoom)), MAX_HEAD_ROOM);
  const ssLen = service.scope.length + (to - from);
  const rsLen = service.resource.length + 1 + varintSize(ssLen) + ssLen;
  w.pos = 0;
  w.ensure(room + 1 + varintSize(rsLen) + rsLen);
  w.pos = room;
  w.tag(1, 2);
  w.varint(rsLen);
  w.raw(service.resource);
  w.tag(2, 2);
  w.varint(ssLen);
  w.raw(service.scope);
  w.raw(src.subarray(from, to));
  return w.take(room);
}

/** Bytes of the varint of a non-negative integer. */
function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}
