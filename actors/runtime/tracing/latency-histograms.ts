import * as hdr from 'hdr-histogram-js';
import { HdrBuckets } from './hdr-buckets.js';

/** Percentiles of one latency distribution, nanoseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** Mailbox wait and handling time of one actor. */
export interface ActorLatency {
  address: string;
  wait: LatencySummary;
  handle: LatencySummary;
}

/** The recorders of one actor: wait values go through a bucket array, handle values straight in. */
export interface ActorRecorder {
  /** Per-envelope mailbox wait (ns); flushed into the HDR on every read. */
  readonly wait: HdrBuckets;
  /** Handling time (ns); recorded per batch with a count. */
  readonly handle: hdr.Histogram;
}

interface Pair extends ActorRecorder {
  waitHdr: hdr.Histogram;
}

/**
 * Per-actor HDR histograms (hdr-histogram-js, pure JS, 3 significant digits, auto-resizing) of
 * mailbox wait and handling time, in nanoseconds. Wait values, recorded per envelope, land in a
 * preallocated {@link HdrBuckets} array with the HDR's own bucket layout and are flushed into
 * the HDR (losslessly) whenever it is read; handling time is recorded per batch with a count.
 */
export class LatencyHistograms {
  private readonly byActor = new Map<string, Pair>();
  private lastActor = '';
  private last: Pair | undefined;

  /** @param highestNs initial highest trackable value (the histograms grow past it) */
  constructor(private readonly highestNs = 10_000_000_000) {}

  /** Records one handled envelope. Negative or fractional values are clamped/rounded. */
  record(actor: string, waitNs: number, handleNs: number): void {
    const p = this.recorder(actor);
    p.wait.record(waitNs);
    p.handle.recordValue(handleNs > 0 ? Math.round(handleNs) : 0);
  }

  /** The recorders of `actor`, created on first use (a Map lookup unless it is the last actor asked for). */
  recorder(actor: string): ActorRecorder {
    let p = this.last;
    if (actor !== this.lastActor || p === undefined) {
      p = this.byActor.get(actor);
      if (p === undefined) {
        const waitHdr = this.make();
        p = { wait: new HdrBuckets(waitHdr), waitHdr, handle: this.make() };
        this.byActor.set(actor, p);
      }
      this.lastActor = actor;
      this.last = p;
    }
    return p;
  }

  /** Actors with a histogram. */
  actors(): string[] {
    return [...this.byActor.keys()];
  }

  /** The raw histograms of one actor (for exporting or merging), or undefined. */
  histograms(actor: string): { readonly wait: hdr.Histogram; readonly handle: hdr.Histogram } | undefined {
    const p = this.byActor.get(actor);
    if (p === undefined) return undefined;
    p.wait.flush();
    return { wait: p.waitHdr, handle: p.handle };
  }

  /** Summary of one actor, or undefined if it handled nothing yet. */
  summary(actor: string): ActorLatency | undefined {
    const p = this.byActor.get(actor);
    if (p === undefined) return undefined;
    p.wait.flush();
    return { address: actor, wait: summarise(p.waitHdr), handle: summarise(p.handle) };
  }

  /** Summaries of every actor. */
  summaries(): ActorLatency[] {
    return this.actors().map((a) => this.summary(a)!);
  }

  /** Moves pending wait counts into the HDR histograms (done by every read; call before exporting them yourself). */
  flush(): void {
    for (const p of this.byActor.values()) p.wait.flush();
  }

  /** Clears every histogram (e.g. after a scrape that wants deltas). */
  reset(): void {
    for (const p of this.byActor.values()) {
      p.wait.clear();
      p.waitHdr.reset();
      p.handle.reset();
    }
  }

  private make(): hdr.Histogram {
    return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: this.highestNs, numberOfSignificantValueDigits: 3, autoResize: true, useWebAssembly: false });
  }
}

function summarise(h: hdr.Histogram): LatencySummary {
  return {
    count: h.totalCount,
    p50: h.getValueAtPercentile(50),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.maxValue,
    mean: h.totalCount === 0 ? 0 : h.mean,
  };
}
