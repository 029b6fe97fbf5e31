import * as hdr from 'hdr-histogram-js';

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

interface Pair {
  wait: hdr.Histogram;
  handle: hdr.Histogram;
}

/**
 * Per-actor HDR histograms (hdr-histogram-js, pure JS, 3 significant digits, auto-resizing) of
 * mailbox wait and handling time, in nanoseconds. Recording is a Map lookup (skipped when the
 * actor is the same as last time) and two `recordValue` calls.
 */
export class LatencyHistograms {
  private readonly byActor = new Map<string, Pair>();
  private lastActor = '';
  private last: Pair | undefined;

  /** @param highestNs initial highest trackable value (the histograms grow past it) */
  constructor(private readonly highestNs = 10_000_000_000) {}

  /** Records one handled envelope. Negative or fractional values are clamped/rounded. */
  record(actor: string, waitNs: number, handleNs: number): void {
    let p = this.last;
    if (actor !== this.lastActor || p === undefined) {
      p = this.byActor.get(actor);
      if (p === undefined) {
        p = { wait: this.make(), handle: this.make() };
        this.byActor.set(actor, p);
      }
      this.lastActor = actor;
      this.last = p;
    }
    p.wait.recordValue(waitNs > 0 ? Math.round(waitNs) : 0);
    p.handle.recordValue(handleNs > 0 ? Math.round(handleNs) : 0);
  }

  /** Actors with a histogram. */
  actors(): string[] {
    return [...this.byActor.keys()];
  }

  /** The raw histograms of one actor (for exporting or merging), or undefined. */
  histograms(actor: string): { readonly wait: hdr.Histogram; readonly handle: hdr.Histogram } | undefined {
    return this.byActor.get(actor);
  }

  /** Summary of one actor, or undefined if it handled nothing yet. */
  summary(actor: string): ActorLatency | undefined {
    const p = this.byActor.get(actor);
    return p === undefined ? undefined : { address: actor, wait: summarise(p.wait), handle: summarise(p.handle) };
  }

  /** Summaries of every actor. */
  summaries(): ActorLatency[] {
    return this.actors().map((a) => this.summary(a)!);
  }

  /** Clears every histogram (e.g. after a scrape that wants deltas). */
  reset(): void {
    for (const p of this.byActor.values()) {
      p.wait.reset();
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
