import { assign, setup } from 'xstate';
import type { Envelope } from '../../../../actors/runtime/index.js';

/** A machine that counts batches and envelopes and tracks a `halted` flag from control events. */
export const counterMachine = setup({
  types: {
    context: {} as { batches: number; envelopes: number; controls: number },
    events: {} as { type: 'batch'; count: number } | { type: 'kill'; envelope: Envelope } | { type: 'boom'; envelope: Envelope },
  },
}).createMachine({
  id: 'counter',
  context: { batches: 0, envelopes: 0, controls: 0 },
  on: {
    batch: { actions: assign({ batches: ({ context }) => context.batches + 1, envelopes: ({ context, event }) => context.envelopes + event.count }) },
    kill: { actions: assign({ controls: ({ context }) => context.controls + 1 }) },
    boom: {
      actions: () => {
        throw new Error('machine boom');
      },
    },
  },
});
