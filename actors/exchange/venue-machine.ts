/**
 * The venue connection machine. Every asynchronous flow of the connection is an `invoke` of the
 * state that wants its result: the start delay, the probe backoff and the probe, the instrument
 * load (connect), the reconciling sync, the streams and the periodic poll, the credential retry.
 * Leaving a state stops what it invoked — promise actors get their `signal` aborted and their late
 * results are dropped by XState — so a sync that answers after the venue went down, or a probe
 * that answers after an operator halted the venue, changes nothing.
 *
 * Delays are invoked actors on the injected clock, not XState `after`: the runtime creates the
 * machine with `createActor` and no XState clock, so `after` would run on real timers and escape a
 * `SimulatedClock`. The implementations are provided by the venue actor
 * (`venueMachine.provide(...)`, see `connection.ts`); the defaults here only fail loudly.
 *
 * States (what `VenueActor.state` reports): disconnected (sub-states: starting, backoff, probing,
 * resuming) → connecting → connected { syncing → live (running | degraded), reconnecting
 * (backoff, probing → disconnected; connecting) }, and halted (operator, credentials, divergence, a
 * config that does not match the venue). Every reconnect passes through syncing, where orders are
 * denied `VENUE_SYNCING`.
 *
 * Two healths: order entry (REST, guarded by the breaker) moves between `live` and `reconnecting`;
 * market data (the streams, invoked by `connected`) keeps running through a REST outage, so quotes
 * are fresh when orders may flow again. A stream failure only makes `live` degraded (orders pass).
 */
import { assign, fromCallback, fromPromise, sendTo, setup, type SnapshotFrom } from 'xstate';
import { Bot4Error } from '../../common/errors.js';
import type { VenueConnState } from '../messages.js';
import { VenueConfigError } from './errors.js';

/** Events of the venue connection machine (the runtime's `batch` and control events are ignored). */
export type VenueMachineEvent =
  | { type: 'venue.connect' }
  | { type: 'venue.down'; reason: string }
  | { type: 'venue.degrade'; reason: string }
  | { type: 'venue.recover' }
  | { type: 'venue.halt'; reason: string }
  | { type: 'venue.resume' }
  | { type: 'poll.now' }
  | { type: 'batch' };

/** What the start delay learns when it fires: a halt an error imposed survives a restart. */
export interface StartOutcome {
  /** Set when the venue must stay halted (the reason of the halt). */
  haltReason?: string;
}

function unprovided<T>(what: string) {
  return fromPromise<T>(() => Promise.reject(new Error(`venue machine: ${what} not provided (use VenueActor, which provides it)`)));
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The reason of a halt for `err` (`B4_...: message`). */
export function haltReasonOf(err: Bot4Error): string {
  return `${err.code}: ${err.message}`;
}

/** The venue connection machine (see the file header). */
export const venueMachine = setup({
  types: {
    context: {} as { reason: string; syncs: number; downs: number; streamsOk: boolean },
    events: {} as VenueMachineEvent,
  },
  actors: {
    /** Resolves on the next clock tick after the start (init must not outlive the start). */
    startDelay: unprovided<StartOutcome>('startDelay'),
    /** Resolves after the next full-jitter backoff delay. */
    backoff: unprovided<void>('backoff'),
    /** One health probe; true: the venue answers and the breaker is closed. */
    probe: unprovided<boolean>('probe'),
    /** Loads the venue's instruments and checks them against the engine's. */
    connect: unprovided<void>('connect'),
    /** The reconnect sync (orders, fills, balances; the start reconciliation the first time). */
    sync: unprovided<void>('sync'),
    /** Market-data and user-data streams from the first connect until a halt (through REST outages); sends `venue.degrade` / `venue.recover`. */
    streams: fromCallback<VenueMachineEvent>(() => undefined),
    /** The periodic poll while live; `poll.now` polls at once. */
    poll: fromCallback<VenueMachineEvent>(() => undefined),
    /** While halted by refused credentials: sends `venue.resume` when the retry is due. */
    authRetry: fromCallback<VenueMachineEvent>(() => undefined),
    /** Sends `venue.connect` at once (a resume reconnects straight away). */
    resumeNow: fromCallback<VenueMachineEvent>(({ sendBack }) => sendBack({ type: 'venue.connect' })),
  },
  actions: {
    /** The probe found the venue back (stamps `lastBackNs`). */
    back: () => undefined,
    /** The sync passed: reset the backoff and the credential refusals. */
    synced: () => undefined,
    /** A connect or sync failed (order entry is down; the streams, if started, keep running). */
    connectFailed: (_, _params: { error: unknown }) => undefined,
    /** The venue's instruments do not match the engine's: record the halt. */
    configHalt: (_, _params: { error: unknown }) => undefined,
    /** Leaving halted: forget the halt's code. */
    clearHalt: () => undefined,
  },
}).createMachine({
  id: 'venue',
  initial: 'disconnected',
  context: { reason: 'start', syncs: 0, downs: 0, streamsOk: true },
  on: {
    'venue.halt': { target: '.halted', actions: assign({ reason: ({ event }) => event.reason }) },
  },
  states: {
    // Before the first connect, and after a halt: no streams yet.
    disconnected: {
      initial: 'starting',
      states: {
        starting: {
          invoke: {
            src: 'startDelay',
            onDone: [
              { guard: ({ event }) => event.output.haltReason !== undefined, target: '#venue.halted', actions: assign({ reason: ({ event }) => event.output.haltReason ?? '' }) },
              { target: '#venue.connecting', actions: assign({ reason: 'venue.connect' }) },
            ],
          },
        },
        backoff: { invoke: { src: 'backoff', onDone: 'probing' } },
        probing: {
          invoke: {
            src: 'probe',
            onDone: [{ guard: ({ event }) => event.output, target: '#venue.connecting', actions: ['back', assign({ reason: 'venue.connect' })] }, { target: 'backoff' }],
            onError: 'backoff',
          },
        },
        resuming: {
          invoke: { src: 'resumeNow' },
          on: { 'venue.connect': { target: '#venue.connecting', actions: assign({ reason: 'venue.connect' }) } },
        },
      },
    },
    connecting: {
      invoke: {
        src: 'connect',
        onDone: { target: 'connected', actions: assign({ reason: 'venue.connected' }) },
        onError: [
          {
            guard: ({ event }) => event.error instanceof VenueConfigError,
            target: 'halted',
            actions: [{ type: 'configHalt', params: ({ event }) => ({ error: event.error }) }, assign({ reason: ({ event }) => (event.error instanceof Bot4Error ? haltReasonOf(event.error) : errorText(event.error)) })],
          },
          {
            target: 'disconnected.backoff',
            actions: [{ type: 'connectFailed', params: ({ event }) => ({ error: event.error }) }, assign({ reason: ({ event }) => `connect failed: ${errorText(event.error)}`, downs: ({ context }) => context.downs + 1 })],
          },
        ],
      },
      on: { 'venue.down': { target: 'disconnected.backoff', actions: assign({ reason: ({ event }) => event.reason, downs: ({ context }) => context.downs + 1 }) } },
    },
    // The instruments matched once: from here on the streams run (market-data health) whatever
    // order entry (REST, the breaker) does. Only a halt stops them. A REST outage moves order
    // entry to `reconnecting` with the streams still up; a stream outage makes `live` degraded.
    connected: {
      invoke: { src: 'streams' },
      entry: assign({ streamsOk: true }),
      initial: 'syncing',
      on: {
        // Stream health is kept in every sub-state, so `live` starts degraded when a stream broke meanwhile.
        'venue.degrade': { actions: assign({ streamsOk: false }) },
        'venue.recover': { actions: assign({ streamsOk: true }) },
      },
      states: {
        syncing: {
          invoke: {
            src: 'sync',
            onDone: { target: 'live', actions: ['synced', assign({ reason: 'venue.synced', syncs: ({ context }) => context.syncs + 1 })] },
            onError: {
              target: 'reconnecting',
              actions: [{ type: 'connectFailed', params: ({ event }) => ({ error: event.error }) }, assign({ reason: ({ event }) => `connect failed: ${errorText(event.error)}`, downs: ({ context }) => context.downs + 1 })],
            },
          },
          on: { 'venue.down': { target: 'reconnecting', actions: assign({ reason: ({ event }) => event.reason, downs: ({ context }) => context.downs + 1 }) } },
        },
        live: {
          initial: 'running',
          invoke: { id: 'poll', src: 'poll' },
          on: { 'venue.down': { target: 'reconnecting', actions: assign({ reason: ({ event }) => event.reason, downs: ({ context }) => context.downs + 1 }) } },
          states: {
            running: {
              always: { guard: ({ context }) => !context.streamsOk, target: 'degraded', actions: assign({ reason: 'stream down' }) },
              on: { 'venue.degrade': { target: 'degraded', actions: assign({ reason: ({ event }) => event.reason, streamsOk: false }) } },
            },
            degraded: {
              on: {
                // Anything missed while the stream was down is picked up by a poll now.
                'venue.recover': { target: 'running', actions: [assign({ reason: 'venue.recover', streamsOk: true }), sendTo('poll', { type: 'poll.now' })] },
              },
            },
          },
        },
        // Order entry is down (REST outage, breaker open); the streams keep running.
        reconnecting: {
          initial: 'backoff',
          states: {
            backoff: { invoke: { src: 'backoff', onDone: 'probing' } },
            probing: {
              invoke: {
                src: 'probe',
                onDone: [{ guard: ({ event }) => event.output, target: 'connecting', actions: ['back', assign({ reason: 'venue.connect' })] }, { target: 'backoff' }],
                onError: 'backoff',
              },
            },
            connecting: {
              invoke: {
                src: 'connect',
                onDone: { target: '#venue.connected.syncing', actions: assign({ reason: 'venue.connected' }) },
                onError: [
                  {
                    guard: ({ event }) => event.error instanceof VenueConfigError,
                    target: '#venue.halted',
                    actions: [{ type: 'configHalt', params: ({ event }) => ({ error: event.error }) }, assign({ reason: ({ event }) => (event.error instanceof Bot4Error ? haltReasonOf(event.error) : errorText(event.error)) })],
                  },
                  {
                    target: 'backoff',
                    actions: [{ type: 'connectFailed', params: ({ event }) => ({ error: event.error }) }, assign({ reason: ({ event }) => `connect failed: ${errorText(event.error)}`, downs: ({ context }) => context.downs + 1 })],
                  },
                ],
              },
              on: { 'venue.down': { target: 'backoff', actions: assign({ reason: ({ event }) => event.reason, downs: ({ context }) => context.downs + 1 }) } },
            },
          },
        },
      },
    },
    halted: {
      invoke: { src: 'authRetry' },
      on: { 'venue.resume': { target: 'disconnected.resuming', actions: ['clearHalt', assign({ reason: 'venue.resume' })] } },
    },
  },
});

/** The connection state a snapshot of {@link venueMachine} stands for (sub-states folded in). */
export function connStateOf(snapshot: SnapshotFrom<typeof venueMachine>): VenueConnState {
  const v = snapshot.value;
  if (typeof v === 'string') return v;
  if (!('connected' in v)) return 'disconnected';
  const c = v.connected;
  if (typeof c === 'string') return c;
  if ('live' in c) return c.live === 'degraded' ? 'degraded' : 'running';
  return c.reconnecting === 'connecting' ? 'connecting' : 'disconnected';
}
