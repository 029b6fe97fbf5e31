import { crisisStateAt, type CrisisScript, type VenueEvent } from './crises.js';
import type { VenueCore } from '../venue/venue.js';

/** Status of a running or finished crisis, as the control API reports it. */
export interface CrisisStatus {
  scenario: string;
  title: string;
  period: string;
  target: string;
  durationMs: number;
  /** Progress 0..1 of the script. */
  progress: number;
  /** Index of the last keyframe passed. */
  keyframe: number;
  done: boolean;
}

/**
 * Replays a {@link CrisisScript} on a set of venues, driven by the first venue's tick loop: the
 * price path, volatility and liquidity apply to every venue (a market-wide event); venue events
 * (withdrawal halt, disappearance) only to `target`, through `onVenueEvent`.
 */
export class CrisisRunner {
  private readonly startMs: number;
  private readonly base = new Map<string, Map<string, number>>();
  private lastIndex = -1;
  private progress = 0;
  private finished = false;
  private readonly unhook: () => void;

  constructor(
    readonly script: CrisisScript,
    private readonly venues: readonly VenueCore[],
    readonly target: VenueCore,
    readonly durationMs: number,
    private readonly onVenueEvent: (venue: VenueCore, ev: VenueEvent) => void,
  ) {
    const driver = venues[0]!;
    this.startMs = driver.clock.nowNs() / 1e6;
    for (const v of venues) {
      const m = new Map<string, number>();
      for (const [s, fv] of v.fair) m.set(s, fv.price);
      this.base.set(v.name, m);
    }
    this.unhook = driver.onTick((now) => this.step(now));
    this.step(this.startMs);
  }

  /** Whether the script has run to its end. */
  get done(): boolean {
    return this.finished;
  }

  /** Current status. */
  status(): CrisisStatus {
    return {
      scenario: this.script.name,
      title: this.script.title,
      period: this.script.period,
      target: this.target.name,
      durationMs: this.durationMs,
      progress: this.progress,
      keyframe: this.lastIndex,
      done: this.finished,
    };
  }

  /** Stops the script where it is and releases drives and liquidity. */
  cancel(): void {
    if (this.finished) return;
    this.finish();
  }

  private step(nowMs: number): void {
    if (this.finished) return;
    const f = Math.min(1, (nowMs - this.startMs) / this.durationMs);
    this.progress = f;
    const st = crisisStateAt(this.script, f);
    const passed = st.index !== this.lastIndex;
    for (let i = this.lastIndex + 1; i <= st.index; i++) {
      const kf = this.script.keyframes[i]!;
      for (const v of this.venues) {
        for (const s of kf.halt ?? []) {
          v.engine.setHalted(s, true);
          v.participants?.withdraw(s);
        }
      }
      if (kf.venue !== undefined) this.onVenueEvent(this.target, kf.venue);
    }
    this.lastIndex = st.index;
    const kf = this.script.keyframes[st.index]!;
    for (const v of this.venues) {
      const base = this.base.get(v.name)!;
      for (const [s, fv] of v.fair) {
        const target = base.get(s)! * (st.price[s] ?? 1);
        if (passed && kf.gap === true) fv.gapTo(target);
        fv.setDrive({ targetPrice: target, volMultiplier: st.vol, tauMs: Math.max(50, this.durationMs / 200) });
        const liq = v.participants?.liquidityOf(s);
        if (liq !== undefined) {
          liq.sizeFactor = st.liquidity;
          liq.spreadFactor = st.spread;
        }
      }
    }
    if (f >= 1) this.finish();
  }

  private finish(): void {
    this.finished = true;
    this.unhook();
    for (const v of this.venues) {
      for (const [s, fv] of v.fair) {
        fv.setDrive(undefined);
        const liq = v.participants?.liquidityOf(s);
        if (liq !== undefined) {
          liq.sizeFactor = 1;
          liq.spreadFactor = 1;
        }
      }
    }
  }
}
