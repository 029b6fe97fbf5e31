import diagnosticsChannel from 'node:diagnostics_channel';
import type { TimerHandle } from '../common/clock.js';
import type { EngineHealth, MetricFamily, MetricSample } from '../gateway/engine-port.js';
import { CHANNELS, type BatchDeliveryEvent } from '../actors/runtime/diagnostics.js';
import type { Engine } from '../actors/engine/engine.js';
import { tracingStats } from '../common/span-sink.js';
import type { EventRelay } from './event-relay.js';
import type { FeedRelay } from './feed-relay.js';

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
  private latencyTimer: TimerHandle | null = null;

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
    diagnosticsChannel.subscribe(CHANNELS.batchEnd, this.onBatchEnd);
    if (this.latencyEventMs > 0) this.armLatency();
  }

  /** Marks the journal closed (health turns not-ready), stops the latency event and the timing subscriber. Idempotent. */
  detach(): void {
    this.journalOpen = false;
    if (this.latencyTimer !== null) this.engine.clock.clearTimer(this.latencyTimer);
    this.latencyTimer = null;
    diagnosticsChannel.unsubscribe(CHANNELS.batchEnd, this.onBatchEnd);
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
    const byState = new Map<string, number>();
    for (const o of e.journal.orders.values()) byState.set(o.state, (byState.get(o.state) ?? 0) + 1);
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
    const handle: MetricSample[] = [];
    const wait: MetricSample[] = [];
    for (const [actor, t] of this.timings) {
      handle.push({ labels: { actor }, value: t.handleNs / 1e9, suffix: '_sum' }, { labels: { actor }, value: t.envelopes, suffix: '_count' });
      wait.push({ labels: { actor }, value: t.maxWaitNs / 1e9 });
    }
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
      { name: 'bot4_actor_handle_seconds', help: 'Handling time per actor (clock time of its batches) and envelopes handled.', type: 'untyped', samples: handle },
      { name: 'bot4_actor_wait_seconds_max', help: 'Longest mailbox wait of a batch head per actor.', type: 'gauge', samples: wait },
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

  private recordBatch(ev: BatchDeliveryEvent): void {
    if (ev.system !== this.engine.system.options.name || ev.handled === 0) return;
    let t = this.timings.get(ev.actor);
    if (t === undefined) {
      t = { batches: 0, envelopes: 0, handleNs: 0, maxWaitNs: 0 };
      this.timings.set(ev.actor, t);
    }
    t.batches++;
    t.envelopes += ev.handled;
    t.handleNs += ev.batchEndNs - ev.batchStartNs;
    const head = ev.envelopes[ev.start];
    if (head !== undefined) {
      const w = ev.batchStartNs - head.enqueuedAtNs;
      if (w > t.maxWaitNs) t.maxWaitNs = w;
    }
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
