/**
 * The venue connection: what the connection machine ({@link venueMachine}) invokes. Reconnects
 * (an active probe every < `probeCapMs` with full jitter, admitted by the breaker as its trial
 * call: the probe, not a timer, ends the breaker's open state), the connect
 * (instruments checked against the venue's), the reconnect sync, the streams (from the first
 * connect until a halt, through REST outages) and the periodic poll while live, and the credential retry while halted by refused credentials. Every delay runs on
 * the injected clock; every venue call goes through {@link VenueCall}.
 */
import type { Clock, TimerHandle } from '../../common/clock.js';
import { SeededRandom } from '../../common/random.js';
import { fromCallback, fromPromise } from 'xstate';
import { topics, type Ticker, type Trade } from '../messages.js';
import type { Instrument } from '../orders/instrument.js';
import type { StreamSinks, VenueBook, VenueOrder, VenuePublicTrade, VenueTicker } from './adapter.js';
import { VenueCallError, VenueConfigError } from './errors.js';
import type { Reconciler } from './reconciler.js';
import { errMsg, type VenueCore } from './venue-core.js';
import type { StartOutcome, VenueMachineEvent } from './venue-machine.js';
import type { VenueViews } from './venue-views.js';

/** Resolves after `ms` of `clock` time; an aborted `signal` clears the timer (the promise then never settles). */
export function clockDelay(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return;
    const t = clock.setTimer(ms, () => {
      signal.removeEventListener('abort', stop);
      resolve();
    });
    const stop = (): void => clock.clearTimer(t);
    signal.addEventListener('abort', stop, { once: true });
  });
}

/** True in the states where order views from the user-data stream are applied. */
function orderEntryUp(state: string): boolean {
  return state === 'syncing' || state === 'running' || state === 'degraded';
}

/** What the connection asks of the actor while halted. */
export interface HaltView {
  /** The reason to stay halted after a restart (a halt an error imposed), if any. */
  haltReasonAfterRestart(): string | undefined;
  /** Delay of the pending credential retry (ms), or undefined when only an operator may resume. */
  authRetryInMs(): number | undefined;
}

/** One venue's connection flows (see the file header). */
export class Connection {
  private attempt = 0;
  private readonly rnd: SeededRandom;

  constructor(
    private readonly core: VenueCore,
    private readonly reconciler: Reconciler,
    private readonly views: VenueViews,
    private readonly halts: HaltView,
  ) {
    this.rnd = new SeededRandom(core.options.seed).fork(core.venue);
  }

  /** The machine's actors and connection actions, for `venueMachine.provide(...)`. */
  machineParts() {
    const core = this.core;
    const clock = core.clock;
    return {
      actors: {
        startDelay: fromPromise<StartOutcome>(async ({ signal }) => {
          await clockDelay(clock, 0, signal);
          const haltReason = this.halts.haltReasonAfterRestart();
          return haltReason === undefined ? {} : { haltReason };
        }),
        backoff: fromPromise<void>(({ signal }) => clockDelay(clock, this.nextProbeDelay(), signal)),
        probe: fromPromise<boolean>(({ signal }) => core.call.probe(core.options.probeTimeoutMs, signal)),
        connect: fromPromise<void>(async () => {
          const venueInstruments = await core.call.run((a) => a.loadInstruments());
          this.checkInstruments(venueInstruments);
        }),
        sync: fromPromise<void>(({ signal }) => this.reconciler.sync(signal, true)),
        streams: fromCallback<VenueMachineEvent>(({ sendBack }) => {
          if (!core.options.streams) return undefined;
          // The adapter calls the sinks from its own sockets, outside the machine: this flag is
          // what makes a late event of streams that were stopped (state left) a no-op.
          const on = { live: true };
          try {
            core.adapter.startStreams(core.symbols, this.sinks(on, sendBack));
          } catch (err) {
            // Never a machine error (that would restart the actor): the venue counts as down.
            sendBack({ type: 'venue.down', reason: `connect failed: ${errMsg(err)}` });
          }
          return () => {
            on.live = false;
            core.adapter.stopStreams();
          };
        }),
        poll: fromCallback<VenueMachineEvent>(({ receive }) => {
          const ac = new AbortController();
          let timer: TimerHandle | undefined;
          const every = core.options.reconcileEveryMs;
          const schedule = (): void => {
            if (every === 0) return;
            timer = clock.setTimer(every, () => {
              timer = undefined;
              void this.poll(ac.signal).finally(() => {
                if (!ac.signal.aborted) schedule();
              });
            });
          };
          schedule();
          receive((e) => {
            if (e.type === 'poll.now') void this.poll(ac.signal);
          });
          return () => {
            ac.abort();
            if (timer !== undefined) clock.clearTimer(timer);
          };
        }),
        authRetry: fromCallback<VenueMachineEvent>(({ sendBack }) => {
          const delay = this.halts.authRetryInMs();
          if (delay === undefined) return undefined;
          const t = clock.setTimer(delay, () => {
            if (this.halts.authRetryInMs() !== undefined) sendBack({ type: 'venue.resume' });
          });
          return () => clock.clearTimer(t);
        }),
      },
      actions: {
        back: () => {
          core.figures.lastBackNs = clock.nowNs();
        },
        synced: () => {
          this.attempt = 0;
          core.figures.authFailures = 0;
          core.awaitingRecovery = true;
        },
      },
    };
  }

  /**
   * The next probe delay (ms), full jitter: uniform in [0, min(cap, base × 2^attempt)). With the
   * shipped defaults (base 50, cap 200) a down venue is probed every < 200 ms from the third probe
   * on; probes run one at a time (see docs/venues.md for the request rate this gives).
   */
  private nextProbeDelay(): number {
    const o = this.core.options;
    const ceiling = Math.min(o.probeCapMs, o.probeBaseMs * 2 ** Math.min(this.attempt, 20));
    const delay = Math.floor(this.rnd.next() * ceiling);
    this.attempt++;
    return delay;
  }

  private checkInstruments(venue: readonly Instrument[]): void {
    const bySym = new Map(venue.map((i) => [i.symbol, i]));
    for (const mine of this.core.instruments) {
      const v = bySym.get(mine.symbol);
      if (v === undefined) throw new VenueConfigError(`venue ${this.core.venue}: instrument ${mine.symbol} is not traded there`, { symbol: mine.symbol });
      if (v.tickSize !== mine.tickSize || v.lotSize !== mine.lotSize) {
        throw new VenueConfigError(`venue ${this.core.venue}: ${mine.symbol} filters differ (engine tick ${mine.tickSize} lot ${mine.lotSize}, venue tick ${v.tickSize} lot ${v.lotSize})`, { symbol: mine.symbol });
      }
    }
  }

  /** Safety net: reconcile locally open orders against the venue's open orders. */
  private async poll(signal: AbortSignal): Promise<void> {
    try {
      await this.reconciler.sync(signal);
    } catch (err) {
      if (!signal.aborted && this.core.call.breaker.state === 'open') this.core.control.down(`poll failed: ${errMsg(err)}`);
    }
  }

  private sinks(on: { live: boolean }, sendBack: (e: VenueMachineEvent) => void): StreamSinks {
    const core = this.core;
    return {
      onOrder: (v: VenueOrder): void => {
        // Order views only while order entry is up (syncing or live): while it reconnects, the
        // reconnect sync fetches whatever this drops (as before streams outlived a REST outage).
        if (!on.live || !orderEntryUp(core.control.state)) return;
        const o = core.journal.orders.get(v.clientOrderId);
        if (o === undefined) {
          void this.reconciler.adopt(v);
          return;
        }
        if (o.intent.venue !== core.venue) return;
        this.views.applyVenueNow(o, v);
      },
      onTicker: (t: VenueTicker): void => {
        if (!on.live || core.ctx === undefined) return;
        const payload: Ticker = { venue: core.venue, symbol: t.symbol, bidTicks: t.bidTicks, bidLots: t.bidLots, askTicks: t.askTicks, askLots: t.askLots, venueTimeMs: t.venueTimeMs, recvNs: core.clock.nowNs() };
        core.ctx.publish(topics.ticker(core.venue, t.symbol), { type: 'md.ticker', payload, key: `${core.venue}:${t.symbol}` });
      },
      ...(core.options.books
        ? {
            onBook: (b: VenueBook): void => {
              if (!on.live || core.ctx === undefined) return;
              core.ctx.publish(topics.book(core.venue, b.symbol), { type: 'md.book', payload: { venue: core.venue, ...b, recvNs: core.clock.nowNs() }, key: `${core.venue}:${b.symbol}` });
            },
            onTrade: (t: VenuePublicTrade): void => {
              if (!on.live || core.ctx === undefined) return;
              const payload: Trade = { venue: core.venue, symbol: t.symbol, priceTicks: t.priceTicks, lots: t.lots, side: t.side, venueTimeMs: t.venueTimeMs, recvNs: core.clock.nowNs() };
              core.ctx.publish(topics.trade(core.venue, t.symbol), { type: 'md.trade', payload });
            },
          }
        : {}),
      onStreamError: (stream: string, err: unknown): void => {
        if (!on.live) return;
        if (err instanceof VenueCallError && err.kind === 'auth') return core.call.onAuth(err);
        core.log.warn({ stream, err: errMsg(err) }, 'venue stream broke (retrying)');
        // `running` takes it (→ degraded); any other connected state only records the stream health.
        sendBack({ type: 'venue.degrade', reason: `${stream} stream: ${errMsg(err)}` });
      },
      onStreamUp: (): void => {
        if (!on.live) return;
        // `degraded` takes it (→ running, and a poll picks up anything missed); elsewhere it records the health.
        sendBack({ type: 'venue.recover' });
      },
    };
  }
}
