import { assign, setup } from 'xstate';

/** Events of the venue connection machine (the runtime's `batch` events are ignored). */
export type VenueMachineEvent =
  | { type: 'venue.connect' }
  | { type: 'venue.connected' }
  | { type: 'venue.synced' }
  | { type: 'venue.down'; reason: string }
  | { type: 'venue.degrade'; reason: string }
  | { type: 'venue.recover' }
  | { type: 'venue.halt'; reason: string }
  | { type: 'venue.resume' }
  | { type: 'batch' };

/**
 * Connection lifecycle of one venue actor: disconnected → connecting → syncing → running, with
 * degraded (a stream is down, REST works) and halted (operator or kill switch). `venue.down` from
 * anywhere but halted goes back to disconnected (the actor probes, then reconnects and re-syncs);
 * every reconnect passes through syncing, where orders are denied with `VENUE_SYNCING`.
 */
export const venueMachine = setup({
  types: {
    context: {} as { reason: string; syncs: number; downs: number },
    events: {} as VenueMachineEvent,
  },
}).createMachine({
  id: 'venue',
  initial: 'disconnected',
  context: { reason: 'start', syncs: 0, downs: 0 },
  on: {
    'venue.halt': { target: '.halted', actions: assign({ reason: ({ event }) => event.reason }) },
  },
  states: {
    disconnected: { on: { 'venue.connect': 'connecting' } },
    connecting: {
      on: {
        'venue.connected': 'syncing',
        'venue.down': { target: 'disconnected', actions: assign({ reason: ({ event }) => event.reason, downs: ({ context }) => context.downs + 1 }) },
      },
    },
    syncing: {
      on: {
        'venue.synced': { target: 'running', actions: assign({ syncs: ({ context }) => context.syncs + 1 }) },
        'venue.down': { target: 'disconnected', actions: assign({ reason: ({ event }) => event.reason, downs: ({ context }) => context.downs + 1 }) },
      },
    },
    running: {
      on: {
        'venue.degrade': { target: 'degraded', actions: assign({ reason: ({ event }) => event.reason }) },
        'venue.down': { target: 'disconnected', actions: assign({ reason: ({ event }) => event.reason, downs: ({ context }) => context.downs + 1 }) },
      },
    },
    degraded: {
      on: {
        'venue.recover': 'running',
        'venue.down': { target: 'disconnected', actions: assign({ reason: ({ event }) => event.reason, downs: ({ context }) => context.downs + 1 }) },
      },
    },
    halted: { on: { 'venue.resume': 'disconnected' } },
  },
});
