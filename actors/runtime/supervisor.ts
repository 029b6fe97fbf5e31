import type { SeededRandom } from '../../common/random.js';

/** What supervision decided after a failure. */
export interface RestartDecision {
  /** False: the restart intensity is exceeded, the actor must be faulted. */
  restart: boolean;
  /** Failures within the current window, this one included. */
  attempt: number;
  /** Backoff before the restart (clock ms); 0 when not restarting. */
  delayMs: number;
}

/**
 * One-for-one restart intensity (Erlang/OTP `intensity`/`period`): an actor may be restarted at
 * most `maxRestarts` times within any `withinMs` window of clock time; the next failure inside the
 * window faults it. The backoff doubles per failure in the window, is capped at `maxBackoffMs`
 * and spread by ± `jitter` using the system's seeded random, so runs stay reproducible.
 */
export class RestartIntensity {
  private readonly failuresNs: number[] = [];
  /** Restarts performed over the actor's life. */
  total = 0;

  constructor(
    private readonly options: { readonly maxRestarts: number; readonly withinMs: number; readonly backoffMs: number; readonly maxBackoffMs: number; readonly jitter: number },
    private readonly random: SeededRandom,
  ) {}

  /** Records a failure at clock time `nowNs` and decides. */
  onFailure(nowNs: number): RestartDecision {
    const windowNs = this.options.withinMs * 1e6;
    while (this.failuresNs.length > 0 && nowNs - this.failuresNs[0]! >= windowNs) this.failuresNs.shift();
    this.failuresNs.push(nowNs);
    const attempt = this.failuresNs.length;
    if (attempt > this.options.maxRestarts) return { restart: false, attempt, delayMs: 0 };
    const base = Math.min(this.options.maxBackoffMs, this.options.backoffMs * 2 ** (attempt - 1));
    const spread = this.options.jitter === 0 ? 1 : 1 + this.options.jitter * (2 * this.random.next() - 1);
    this.total++;
    return { restart: true, attempt, delayMs: Math.max(0, base * spread) };
  }
}
