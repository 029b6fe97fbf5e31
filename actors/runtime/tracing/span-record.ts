/**
 * A sampled span as plain data: what the hot path records (ids, clock times, a few fields) and
 * the OTLP encoder reads later, off the order path. No OpenTelemetry object is made per span.
 *
 * Two shapes share the class: an actor handling span (`actor !== ''`: the encoder derives its
 * name `actor.handle <type>` and its `messaging.*` / `actor.*` / `bot4.*` attributes from the
 * fields) and a span made by hand through a span sink (generic `attrs`). Records are pooled by
 * their service queue (`otlp-export.ts`): released as soon as they are encoded.
 */
export class SpanRecord {
  /** 32 lowercase hex digits (read only when {@link traceIdWords} is false; the adapter sets words). */
  traceId = '';
  /** 16 lowercase hex digits (read only when {@link spanIdWords} is false; the adapter sets words). */
  spanId = '';
  /**
   * The span id's bytes as two 32-bit words in memory order (`ids.ts` `lastSpanIdWords`), when
   * {@link spanIdWords} is true: the encoder copies them instead of parsing {@link spanId}.
   */
  spanW0 = 0;
  spanW1 = 0;
  spanIdWords = false;
  /**
   * The trace id's bytes as four 32-bit words in memory order (`ids.ts` `lastTraceIdWords`, or
   * `hexWord` of an incoming context), when {@link traceIdWords} is true: the encoder copies
   * them and {@link traceId} is not read (the order path does not set it).
   */
  traceW0 = 0;
  traceW1 = 0;
  traceW2 = 0;
  traceW3 = 0;
  traceIdWords = false;
  /** 16 hex digits, or '' for a root. */
  parentSpanId = '';
  /**
   * The parent span id's bytes as two 32-bit words, when {@link parentIdWords} is true (then
   * {@link parentSpanId} is not read); false with {@link parentSpanId} '' for a root.
   */
  parentW0 = 0;
  parentW1 = 0;
  parentIdWords = false;
  /** The parent came from another process (the wire): OTLP flag `CONTEXT_IS_REMOTE`. */
  remoteParent = false;
  /** Span name (hand spans); the message type for actor spans. */
  name = '';
  /** OTLP `SpanKind` (the API's kind + 1: 1 internal, 2 server, 3 client, 4 producer, 5 consumer). */
  kind = 1;
  /** Clock ns (the traced clock; mapped to the epoch by the encoder). */
  startNs = 0;
  endNs = 0;
  /** OTLP status code: 0 unset, 2 error. */
  statusCode = 0;
  statusMessage = '';

  // actor handling spans
  /** Handling actor's address; '' for a hand span. */
  actor = '';
  from = '';
  topic = '';
  correlationId = '';
  waitNs = 0;
  handleNs = 0;
  venue = '';
  symbol = '';
  side = '';
  strategy = '';
  clientOrderId = '';

  /**
   * Generic attributes as key, value, key, value, ... (hand spans, and any extra): the first
   * {@link attrCount} entries. The array is reused by the pooled record (never truncated: a
   * truncated array drops its backing store and grows it again on the next span).
   */
  readonly attrs: (string | number | boolean)[] = [];
  /** Entries of {@link attrs} in use (twice the number of attributes). */
  attrCount = 0;

  /** Sets (or replaces) a generic attribute. */
  set(key: string, value: string | number | boolean): void {
    const a = this.attrs;
    const n = this.attrCount;
    for (let i = 0; i < n; i += 2) {
      if (a[i] === key) {
        a[i + 1] = value;
        return;
      }
    }
    this.add(key, value);
  }

  /** Appends an attribute known not to be set yet (the attributes a span starts with). */
  add(key: string, value: string | number | boolean): void {
    const a = this.attrs;
    const n = this.attrCount;
    a[n] = key;
    a[n + 1] = value;
    this.attrCount = n + 2;
  }

  /** Back to empty, for reuse from the pool. */
  reset(): void {
    this.spanIdWords = false;
    this.traceIdWords = false;
    this.parentIdWords = false;
    this.parentSpanId = '';
    this.remoteParent = false;
    this.statusCode = 0;
    this.statusMessage = '';
    this.actor = '';
    this.from = '';
    this.topic = '';
    this.correlationId = '';
    this.venue = '';
    this.symbol = '';
    this.side = '';
    this.strategy = '';
    this.clientOrderId = '';
    this.attrCount = 0;
  }
}
