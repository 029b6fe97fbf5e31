import diagnosticsChannel from 'node:diagnostics_channel';
import type { Metric } from 'prom-client';
import type { TimerHandle } from '../common/clock.js';
import type { EngineHealth, MetricFamily, MetricSample } from '../gateway/engine-port.js';
import { HotHistogram, type HistogramSeries } from '../gateway/prometheus.js';
import { CHANNELS, type BatchDeliveryEvent } from '../actors/runtime/diagnostics.js';
import { JOURNAL_COMMIT_CHANNEL, type JournalCommitEvent } from '../actors/journal/journal.js';
import { RISK_ADDRESS } from '../actors/messages.js';
import { ORDER_ACK_CHANNEL, type OrderAckEvent } from '../actors/exchange/order-router.js';
import type { Engine } from '../actors/engine/engine.js';
import { tracingStats } from '../common/span-sink.js';
import type { EventRelay } from './event-relay.js';
import type { FeedRelay } from './feed-relay.js';

/** Upper bounds (s) of the per-actor mailbox wait and handling histograms: 1 µs to 1 s. */
export const ACTOR_BUCKETS = Object.freeze([0.000001, 0.0000025, 0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]);
/** Upper bounds (s) of the order round trip (submit → ack) histogram: 100 µs to 30 s (the ask timeout). */
export const ROUND_TRIP_BUCKETS = Object.freeze([0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);
/** Upper bounds (s) of the risk check and journal append histograms: 1 µs to 1 s. */
export const CHECK_BUCKETS = Object.freeze([0.000001, 0.0000025, 0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]);

/** The trace id of a sampled W3C `traceparent` (`00-<32 hex>-<16 hex>-<flags>`, flag bit 0), or ''. */
export function sampledTraceId(traceparent: string): string {
  if (traceparent.length !== 55 || traceparent.charCodeAt(2) !== 45) return '';
  const flags = parseInt(traceparent.slice(53, 55), 16);
  return (flags & 1) === 1 ? traceparent.slice(3, 35) : '';
}

/** Per-actor histogram handles (one Map lookup per batch, not per envelope). */
interface ActorSeries {
  wait: HistogramSeries;
  handle: HistogramSeries;
}

interface ActorTiming {
  batches: number;
  envelopes: number;
  handleNs: number;
  maxWaitNs: number;
}

/**
 * Health and metrics exposition of the engine: readiness inputs for `/health`, the metric
 * families of `/metrics` (orders, risk and venue figures, breakers, mailboxes, per-actor timing,
 * feed outcomes) and the periodic `actors.latency` event. Per-actor timing is a subscriber of the
 * runtime's batch-end diagnostics channel, not code in the actors.
 */
export class EngineMetrics {
  private journalOpen = true;
  private readonly timings = new Map<string, ActorTiming>();
  private readonly onBatchEnd = (m: unknown): void => this.recordBatch(m as BatchDeliveryEvent);
  private readonly onBatchStart = (m: unknown): void => this.timeRiskChecks(m as BatchDeliveryEvent);
  private readonly onCommit = (m: unknown): void => this.recordCommit(m as JournalCommitEvent);
  private readonly onAck = (m: unknown): void => this.recordAck(m as OrderAckEvent);
  private latencyTimer: TimerHandle | null = null;
  /** `bot4_actor_mailbox_wait_seconds{actor}`: per envelope, its enqueue to the start of its batch. */
  readonly mailboxWait = new HotHistogram<'actor'>({ name: 'bot4_actor_mailbox_wait_seconds', help: 'Mailbox wait per envelope (enqueue to the start of the batch that handles it), per actor.', labelNames: ['actor'], buckets: ACTOR_BUCKETS });
  /** `bot4_actor_handle_seconds{actor}`: per envelope, its batch's handling time divided by the envelopes it handled. */
  readonly handle = new HotHistogram<'actor'>({ name: 'bot4_actor_handle_seconds', help: 'Handling time per envelope (a batch\'s clock time shared equally by its envelopes), per actor.', labelNames: ['actor'], buckets: ACTOR_BUCKETS });
  /** `bot4_order_round_trip_seconds{venue}`: the placement call (journaled order handed to the adapter) to the venue's answer. */
  readonly roundTrip = new HotHistogram<'venue'>({ name: 'bot4_order_round_trip_seconds', help: 'Order round trip per venue: the journaled order handed to the venue (REST or WS API) until the venue answered (accepted or refused; timeouts are not counted).', labelNames: ['venue'], buckets: ROUND_TRIP_BUCKETS });
  /** `bot4_risk_check_seconds`: the risk actor's handling of one `order.submit` (check, reservation, forward). */
  readonly riskCheck = new HotHistogram<never>({ name: 'bot4_risk_check_seconds', help: 'Risk check per order: the risk actor handling one order.submit (limits, reservation, hand-off to the venue actor).', labelNames: [], buckets: CHECK_BUCKETS });
  /** `bot4_journal_append_seconds`: one group commit (write, fdatasync under `always`, rotation). */
  readonly journalAppend = new HotHistogram<never>({ name: 'bot4_journal_append_seconds', help: 'Journal append per group commit: the batch\'s write (and fdatasync under fsync always, segment rotation) until its records are acknowledged.', labelNames: [], buckets: CHECK_BUCKETS });
  private readonly actorSeries = new Map<string, ActorSeries>();
  private readonly riskSeries: HistogramSeries;
  private readonly journalSeries: HistogramSeries;
  private readonly venueSeries = new Map<string, HistogramSeries>();

  /**
   * @param engine the running engine
   * @param events the event relay (the `actors.latency` event goes to its listeners)
   * @param feed the feed relay (its outcome counters)
   * @param latencyEventMs period of the `actors.latency` event (ms of engine clock time; 0: never)
   */
  constructor(
    private readonly engine: Engine,
    private readonly events: EventRelay,
    private readonly feed: FeedRelay,
    private readonly latencyEventMs: number,
  ) {
    this.riskSeries = this.riskCheck.series({});
    this.journalSeries = this.journalAppend.series({});
    diagnosticsChannel.subscribe(CHANNELS.batchStart, this.onBatchStart);
    diagnosticsChannel.subscribe(CHANNELS.batchEnd, this.onBatchEnd);
    JOURNAL_COMMIT_CHANNEL.subscribe(this.onCommit);
    ORDER_ACK_CHANNEL.subscribe(this.onAck);
    if (this.latencyEventMs > 0) this.armLatency();
  }

  /** The latency histograms (see {@link EnginePort.promMetrics}). */
  promMetrics(): readonly Metric[] {
    return [this.mailboxWait, this.handle, this.roundTrip, this.riskCheck, this.journalAppend];
  }

  /** Marks the journal closed (health turns not-ready), stops the latency event and the timing subscriber. Idempotent. */
  detach(): void {
    this.journalOpen = false;
    if (this.latencyTimer !== null) this.engine.clock.clearTimer(this.latencyTimer);
    this.latencyTimer = null;
    diagnosticsChannel.unsubscribe(CHANNELS.batchEnd, this.onBatchEnd);
    diagnosticsChannel.unsubscribe(CHANNELS.batchStart, this.onBatchStart);
    JOURNAL_COMMIT_CHANNEL.unsubscribe(this.onCommit);
    ORDER_ACK_CHANNEL.unsubscribe(this.onAck);
  }

  /** See {@link EnginePort.health}. */
  health(): EngineHealth {
    const checks: Record<string, boolean> = {};
    for (const [name, v] of this.engine.venues) checks[`venue.${name}`] = v.actor.state === 'running' || v.actor.state === 'degraded';
    // A journal in a write-failure episode (disk full, I/O error) takes no orders: not ready until it writes again.
    const writable = this.engine.journal.writer.health.writable;
    return { venuesSynced: this.engine.venuesSynced, journalOpen: this.journalOpen && writable, checks };
  }

  /** See {@link EnginePort.metrics}. */
  metrics(): readonly MetricFamily[] {
    const e = this.engine;
    // counted without unpacking the store's packed closed orders (issue 16)
    const byState: Map<string, number> = e.journal.orders.countByState();
    const denials: MetricSample[] = [];
    const rs = e.riskActor.stats();
    for (const [code, n] of Object.entries(rs.denied)) denials.push({ labels: { source: 'risk', code }, value: n });
    const venueSamples: MetricSample[] = [];
    const venueState: MetricSample[] = [];
    for (const [venue, s] of Object.entries(e.venueStats())) {
      for (const [code, n] of Object.entries(s.denied)) denials.push({ labels: { source: `venue:${venue}`, code }, value: n });
      for (const k of ['submitted', 'accepted', 'rejected', 'unknown', 'resolved', 'syncs', 'downs'] as const) venueSamples.push({ labels: { venue, event: k }, value: s[k] });
      venueState.push({ labels: { venue, state: s.state }, value: 1 });
    }
    const breakerSamples: MetricSample[] = [];
    const breakerTrips: MetricSample[] = [];
    for (const [name, v] of e.venues) {
      const m = v.breaker.metrics();
      for (const st of ['closed', 'open', 'half-open']) breakerSamples.push({ labels: { breaker: name, state: st }, value: m.state === st ? 1 : 0 });
      breakerTrips.push({ labels: { breaker: name }, value: m.trips });
    }
    const depth: MetricSample[] = [];
    const drops: MetricSample[] = [];
    const processed: MetricSample[] = [];
    for (const s of e.system.allStats()) {
      depth.push({ labels: { actor: s.address }, value: s.depth });
      drops.push({ labels: { actor: s.address, reason: 'dropped' }, value: s.dropped }, { labels: { actor: s.address, reason: 'conflated' }, value: s.conflated }, { labels: { actor: s.address, reason: 'rejected' }, value: s.rejected });
      processed.push({ labels: { actor: s.address }, value: s.processed });
    }
    const wait: MetricSample[] = [];
    for (const [actor, t] of this.timings) wait.push({ labels: { actor }, value: t.maxWaitNs / 1e9 });
    const ks = e.risk.killSwitch.state;
    const f = this.feed;
    return [
      { name: 'bot4_engine_orders', help: 'Orders held by the order store, by state.', type: 'gauge', samples: [...byState].map(([state, value]) => ({ labels: { state }, value })) },
      { name: 'bot4_engine_orders_checked_total', help: 'Orders checked by the risk actor.', type: 'counter', samples: [{ value: rs.checked }] },
      { name: 'bot4_engine_orders_approved_total', help: 'Orders approved by the risk actor.', type: 'counter', samples: [{ value: rs.approved }] },
      { name: 'bot4_engine_denials_total', help: 'Orders denied, by source (risk or venue actor) and reason code.', type: 'counter', samples: denials },
      { name: 'bot4_engine_venue_events_total', help: 'Venue actor order and connection events.', type: 'counter', samples: venueSamples },
      { name: 'bot4_engine_venue_state', help: 'Venue connection state (1 for the current one).', type: 'gauge', samples: venueState },
      { name: 'bot4_engine_breaker_state', help: 'Circuit breaker state (1 for the current one).', type: 'gauge', samples: breakerSamples },
      { name: 'bot4_engine_breaker_trips', help: 'Breaker opens since it last closed.', type: 'gauge', samples: breakerTrips },
      { name: 'bot4_engine_kill_switch_state', help: 'Kill switch: 0 ACTIVE, 1 REDUCING, 2 HALTED.', type: 'gauge', samples: [{ value: ks === 'ACTIVE' ? 0 : ks === 'REDUCING' ? 1 : 2 }] },
      { name: 'bot4_actor_mailbox_depth', help: 'Pending envelopes per actor.', type: 'gauge', samples: depth },
      { name: 'bot4_actor_mailbox_drops_total', help: 'Envelopes an actor mailbox dropped, conflated away or rejected.', type: 'counter', samples: drops },
      { name: 'bot4_actor_processed_total', help: 'Envelopes handled per actor.', type: 'counter', samples: processed },
      { name: 'bot4_actor_wait_seconds_max', help: 'Longest mailbox wait of an envelope per actor since start.', type: 'gauge', samples: wait },
      {
        name: 'bot4_engine_md_total',
        help: 'Feed records published into the actor system, refused (subscriber mailbox full), only fanned out (not a traded instrument), or kept off a traded instrument\'s trading topics (untrusted producer, no venue price yet, out of the band around the venue\'s mid).',
        type: 'counter',
        samples: [
          { labels: { outcome: 'published' }, value: f.mdPublished },
          { labels: { outcome: 'refused' }, value: f.mdRefused },
          { labels: { outcome: 'external' }, value: f.mdExternal },
          { labels: { outcome: 'untrusted' }, value: f.mdUntrusted },
          { labels: { outcome: 'no-reference' }, value: f.mdNoReference },
          { labels: { outcome: 'out-of-band' }, value: f.mdOutOfBand },
        ],
      },
      ...tracingFamilies(),
    ];
  }

  /** Batch start: asks the runtime to time each `order.submit` the risk actor handles (two clock reads per order). */
  private timeRiskChecks(ev: BatchDeliveryEvent): void {
    if (ev.actor !== RISK_ADDRESS || ev.system !== this.engine.system.options.name) return;
    for (let k = 0; k < ev.count; k++) if (ev.envelopes[ev.start + k]!.type === 'order.submit') ev.timed[k] = 1;
  }

  private recordBatch(ev: BatchDeliveryEvent): void {
    if (ev.system !== this.engine.system.options.name || ev.handled === 0) return;
    let t = this.timings.get(ev.actor);
    let a = this.actorSeries.get(ev.actor);
    if (t === undefined || a === undefined) {
      t = { batches: 0, envelopes: 0, handleNs: 0, maxWaitNs: 0 };
      this.timings.set(ev.actor, t);
      a = { wait: this.mailboxWait.series({ actor: ev.actor }), handle: this.handle.series({ actor: ev.actor }) };
      this.actorSeries.set(ev.actor, a);
    }
    const batchNs = ev.batchEndNs - ev.batchStartNs;
    t.batches++;
    t.envelopes += ev.handled;
    t.handleNs += batchNs;
    a.handle.observeMany(batchNs / ev.handled, ev.handled);
    const end = ev.start + ev.handled;
    for (let i = ev.start; i < end; i++) {
      const w = ev.batchStartNs - ev.envelopes[i]!.enqueuedAtNs;
      a.wait.observe(w);
      if (w > t.maxWaitNs) t.maxWaitNs = w;
    }
    if (ev.actor === RISK_ADDRESS) this.recordRiskChecks(ev);
  }

  private recordRiskChecks(ev: BatchDeliveryEvent): void {
    for (let k = 0; k < ev.handled; k++) {
      if (ev.timed[k] === 0) continue;
      const e = ev.envelopes[ev.start + k]!;
      if (e.type !== 'order.submit') continue;
      const ns = ev.endNs[k]! - ev.startNs[k]!;
      // the handler's context: the envelope's own, or the span a tracer made for it (a root's too)
      const tp = ev.traceparents[k]!;
      const trace = tp === '' ? '' : sampledTraceId(tp);
      if (trace === '') this.riskSeries.observe(ns);
      else this.riskSeries.observeWithExemplar(ns, trace, this.engine.clock.epochMs());
    }
  }

  private recordAck(ev: OrderAckEvent): void {
    if (ev.journal !== this.engine.journal) return;
    let s = this.venueSeries.get(ev.venue);
    if (s === undefined) {
      s = this.roundTrip.series({ venue: ev.venue });
      this.venueSeries.set(ev.venue, s);
    }
    const trace = ev.traceparent === '' ? '' : sampledTraceId(ev.traceparent);
    if (trace === '') s.observe(ev.endNs - ev.startNs);
    else s.observeWithExemplar(ev.endNs - ev.startNs, trace, this.engine.clock.epochMs());
  }

  private recordCommit(ev: JournalCommitEvent): void {
    if (ev.journal !== this.engine.journal.writer) return;
    this.journalSeries.observe(ev.endNs - ev.startNs);
  }

  private armLatency(): void {
    this.latencyTimer = this.engine.clock.setTimer(this.latencyEventMs, () => {
      if (this.events.listeners.size > 0 && this.timings.size > 0) {
        const actors: Record<string, { envelopes: number; meanHandleUs: number; maxWaitUs: number }> = {};
        for (const [a, t] of this.timings) actors[a] = { envelopes: t.envelopes, meanHandleUs: t.envelopes === 0 ? 0 : Math.round(t.handleNs / t.envelopes / 10) / 100, maxWaitUs: Math.round(t.maxWaitNs / 10) / 100 };
        this.events.emit('actors.latency', { actors });
      }
      if (this.latencyTimer !== null) this.armLatency();
    });
  }
}

/** `bot4_tracing_spans_total{service,outcome}` when tracing is on (the adapter's counters; none when off). */
function tracingFamilies(): MetricFamily[] {
  const stats = tracingStats();
  if (stats.length === 0) return [];
  const samples: MetricSample[] = [];
  for (const s of stats) for (const outcome of ['ended', 'exported', 'failed', 'queueFull'] as const) samples.push({ labels: { service: s.service, outcome: outcome === 'queueFull' ? 'dropped_queue_full' : outcome }, value: s[outcome] });
  return [{ name: 'bot4_tracing_spans_total', help: 'Sampled spans by service and outcome: ended, exported, failed (export error: receiver down or slow), dropped_queue_full (bounded export queue full).', type: 'counter', samples }];
}
