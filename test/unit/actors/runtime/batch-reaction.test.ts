import assert from 'node:assert/strict';
import { assign, fromPromise, setup } from 'xstate';
import { SimulatedClock } from '../../../../common/index.js';
import { machineReactsToBatch } from '../../../../actors/runtime/actor-cell.js';
import { ActorSystem, type Envelope } from '../../../../actors/runtime/index.js';
import { counterMachine } from './helpers.js';

const empty = setup({ types: { events: {} as { type: string } } }).createMachine({ id: 'empty' });
const twoStates = setup({ types: { events: {} as { type: 'go' } | { type: 'batch' } } }).createMachine({
  id: 'two',
  initial: 'a',
  states: { a: { on: { go: 'b' } }, b: {} },
});
const nestedBatch = setup({ types: { context: {} as { n: number }, events: {} as { type: 'batch' } } }).createMachine({
  id: 'nested',
  context: { n: 0 },
  initial: 'outer',
  states: { outer: { initial: 'inner', states: { inner: { on: { batch: { actions: assign({ n: ({ context }) => context.n + 1 }) } } } } } },
});
const wildcard = setup({ types: { context: {} as { n: number }, events: {} as { type: string } } }).createMachine({
  id: 'wild',
  context: { n: 0 },
  on: { '*': { actions: assign({ n: ({ context }) => context.n + 1 }) } },
});
const eventless = setup({ types: { context: {} as { n: number }, events: {} as { type: string } } }).createMachine({
  id: 'always',
  context: { n: 0 },
  initial: 'a',
  states: { a: { always: { guard: () => false, target: 'b' } }, b: {} },
});

describe('runtime/batch-reaction', () => {
  it('machineReactsToBatch: false without a transition a batch could take; true for batch (nested too), *, and eventless transitions', () => {
    assert.equal(machineReactsToBatch(empty), false);
    assert.equal(machineReactsToBatch(twoStates.provide({})), false, 'a machine without a batch transition (other events only)');
    assert.equal(machineReactsToBatch(counterMachine), true);
    assert.equal(machineReactsToBatch(nestedBatch), true);
    assert.equal(machineReactsToBatch(wildcard), true);
    assert.equal(machineReactsToBatch(eventless), true);
  });

  it('a machine that cannot react to batch is not sent one: every envelope still reaches the handler in order, no machine macrostep runs', () => {
    const clock = new SimulatedClock();
    const sys = new ActorSystem({ clock, seed: 1, batchSize: 16 });
    const got: number[] = [];
    const ref = sys.spawn('plain', twoStates, { handle: (e: Envelope) => void got.push(e.payload as number) });
    clock.advance(0);
    // XState notifies subscribers after every event it processes, even one that changes nothing.
    let notified = 0;
    ref.machine.subscribe(() => void notified++);
    for (let i = 0; i < 100; i++) sys.send('plain', { type: 'd', payload: i });
    clock.advance(0);
    assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => i));
    assert.equal(notified, 0, 'no batch event went through the machine');
    // Control events still go to the machine one by one.
    sys.send('plain', { type: 'go', lane: 'control' });
    clock.advance(0);
    assert.equal(ref.machine.getSnapshot().value, 'b');
    assert.equal(notified, 1);
  });

  it('a machine that reacts to batch (nested state, wildcard) still gets one batch event per batch', () => {
    const clock = new SimulatedClock();
    const sys = new ActorSystem({ clock, seed: 1, batchSize: 16 });
    const nested = sys.spawn('nested', nestedBatch, { handle: () => undefined });
    const wild = sys.spawn('wild', wildcard, { handle: () => undefined });
    clock.advance(0);
    for (let i = 0; i < 100; i++) {
      sys.send('nested', { type: 'd', payload: i });
      sys.send('wild', { type: 'd', payload: i });
    }
    clock.advance(0);
    assert.equal(nested.machine.getSnapshot().context.n, Math.ceil(100 / 16));
    assert.equal(wild.machine.getSnapshot().context.n, Math.ceil(100 / 16));
  });

  it('a machine error reported while batches are skipped still fails the next delivery (supervision restarts the actor)', async () => {
    const clock = new SimulatedClock();
    const sys = new ActorSystem({ clock, seed: 1 });
    const failing = setup({ actors: { job: fromPromise(() => Promise.reject(new Error('invoked job failed'))) } }).createMachine({ id: 'failing', invoke: { src: 'job' } });
    assert.equal(machineReactsToBatch(failing), false);
    let inits = 0;
    sys.spawn('failing', failing, { handle: () => undefined, init: () => void inits++ });
    clock.advance(0);
    await new Promise((r) => setImmediate(r));
    sys.send('failing', { type: 'd' });
    clock.advance(0);
    clock.runAll();
    assert.ok(inits >= 2, `the actor was restarted (inits ${inits})`);
    assert.ok(sys.stats('failing').failures >= 1);
    await sys.shutdown();
  });
});
