/**
 * The one breaker-guarded call path to a venue. Every request the venue actor makes — probes,
 * instrument loads, syncs, lookups, cancels and placements — asks the venue's circuit breaker for
 * a permit first and reports the outcome to it afterwards, classified the same way everywhere:
 * only failures that say the venue is unwell (`unknown`, `throttled`) count against it; a
 * business refusal is a healthy venue. A refusal of our credentials (`auth`) is reported to the
 * actor, which halts the venue (see `onAuth`).
 *
 * Placements are split in two ({@link VenueCall.admit} before the order is journaled, then
 * {@link VenueCall.settle}) because the permit must be held before the journal write: an order is
 * journaled only once the breaker has let it through.
 */
import type { Clock } from '../../common/clock.js';
import { PERMIT, TRIAL_PERMIT, type CircuitBreaker } from './circuit-breaker.js';
import type { ExchangeAdapter, FailureKind } from './adapter.js';
import { VenueCallError } from './errors.js';

/** What a failed call means for the breaker: `unknown`/`throttled` count as failures, the rest as a healthy answer. */
export function countsAgainstBreaker(kind: FailureKind): boolean {
  return kind === 'unknown' || kind === 'throttled';
}

/** The failure kind of anything a venue call threw (an unclassified error is an ambiguous outcome). */
export function failureKind(err: unknown): FailureKind {
  return err instanceof VenueCallError ? err.kind : 'unknown';
}

/** Venue calls through the venue's circuit breaker (see the file header). */
export class VenueCall {
  /** Called when the venue refused our credentials (set by the venue actor: it halts). */
  onAuth: (e: VenueCallError) => void = () => undefined;
  /**
   * Clock ns of the breaker's last close. A call that started before it and fails afterwards
   * (a request sent into a blackholed venue that times out only after the heal) says nothing
   * about the venue as it is now: its failure is not counted, so it cannot re-trip a breaker the
   * probe just closed and knock a healed venue down again.
   */
  private closedAtNs = -1;

  constructor(
    readonly adapter: ExchangeAdapter,
    readonly breaker: CircuitBreaker,
    private readonly clock: Clock,
  ) {
    breaker.on('transition', (t) => {
      if (t.to === 'closed') this.closedAtNs = clock.nowNs();
    });
  }

  /** Reports a failed call that started at `t0Ns`, unless it started before the breaker last closed. */
  private failed(t0Ns: number): void {
    if (t0Ns < this.closedAtNs) return;
    this.breaker.onFailure(this.clock.nowNs() - t0Ns);
  }

  /** Runs `fn(adapter)` through the breaker; a refusal or an ambiguous failure counts against it. */
  async run<T>(fn: (adapter: ExchangeAdapter) => Promise<T>): Promise<T> {
    if (!this.acquire()) throw new VenueCallError(this.adapter.venue, 'unknown', 'circuit breaker open', undefined);
    const t0 = this.clock.nowNs();
    try {
      const r = await fn(this.adapter);
      this.breaker.onSuccess(this.clock.nowNs() - t0);
      return r;
    } catch (e) {
      if (e instanceof VenueCallError && countsAgainstBreaker(e.kind)) this.failed(t0);
      else this.breaker.onSuccess(this.clock.nowNs() - t0);
      if (e instanceof VenueCallError && e.kind === 'auth') this.onAuth(e);
      throw e;
    }
  }

  /**
   * One health probe (server time), admitted by the breaker as its trial call when half-open.
   * Resolves true when the venue answered and the breaker is closed again (time to reconnect).
   * A probe unanswered after `timeoutMs` counts as a failure at once (its request may still run
   * to the adapter's own timeout; its late outcome is ignored), so a probe stuck on a blackholed
   * connection does not hold a healed venue dark.
   */
  probe(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (!this.acquire()) return Promise.resolve(false);
    const t0 = this.clock.nowNs();
    return new Promise<boolean>((resolve) => {
      let settled = false;
      const settle = (ok: boolean): void => {
        if (settled) return;
        settled = true;
        this.clock.clearTimer(timer);
        signal?.removeEventListener('abort', onAbort);
        if (ok) this.breaker.onSuccess(this.clock.nowNs() - t0);
        else this.breaker.onFailure(this.clock.nowNs() - t0);
        resolve(ok && this.breaker.state === 'closed');
      };
      // Leaving the probing state (halt, close) gives the trial back as failed: a permit is never kept.
      const onAbort = (): void => settle(false);
      const timer = this.clock.setTimer(timeoutMs, () => settle(false));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.adapter.probe().then(
        () => settle(true),
        () => settle(false),
      );
    });
  }

  /** Takes a breaker permit for a placement (before the order is journaled); false: refused. */
  admit(): boolean {
    return this.acquire();
  }

  /** Gives back a placement permit that was never used (the journal refused the order). */
  release(): void {
    this.breaker.onSuccess(0);
  }

  /**
   * Reports a placement's outcome to the breaker (`kind` undefined: the venue answered). Only an
   * ambiguous placement counts against it: a throttled placement is counted by the weight budget.
   */
  settle(t0Ns: number, kind: FailureKind | undefined): void {
    if (kind === 'unknown') this.failed(t0Ns);
    else this.breaker.onSuccess(this.clock.nowNs() - t0Ns);
  }

  private acquire(): boolean {
    const permit = this.breaker.tryAcquire();
    return permit === PERMIT || permit === TRIAL_PERMIT;
  }
}
