import { assign, setup } from 'xstate';

/** Events the strategy machine acts on (control-lane `strategy.stop`/`strategy.start`; data arrives as `batch`). */
export type StrategyMachineEvent = { type: 'strategy.stop' } | { type: 'strategy.start' } | { type: 'batch' };

/**
 * The strategy actor's own state, on top of the shared lifecycle the runtime runs for every actor:
 *
 * - `running`: market data and timers reach the strategy and it may submit orders;
 * - `paused`: quoting stopped (`strategy.stop`): market data and timers are not dispatched and
 *   submits are dropped, but order updates, fills and denials still reach the strategy so its
 *   positions and working orders stay right while its cancels complete. `strategy.start` resumes.
 *
 * Pausing is not the lifecycle's `halted`: a halted actor gets no data-lane messages at all, so it
 * could not see the fills and cancel confirmations of the orders it is winding down.
 */
export const strategyMachine = setup({
  types: {
    context: {} as { id: string; pauses: number },
    events: {} as StrategyMachineEvent,
    input: {} as { id: string },
  },
}).createMachine({
  id: 'strategy',
  context: ({ input }) => ({ id: input.id, pauses: 0 }),
  initial: 'running',
  states: {
    running: {
      on: { 'strategy.stop': { target: 'paused', actions: assign({ pauses: ({ context }) => context.pauses + 1 }) } },
    },
    paused: {
      on: { 'strategy.start': { target: 'running' } },
    },
  },
});

/** The strategy machine's state names. */
export type StrategyMode = 'running' | 'paused';
