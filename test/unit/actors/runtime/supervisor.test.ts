import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { SeededRandom, SimulatedClock } from '../../../../common/index.js';
import { ActorNotFoundError, ActorStoppedError, ActorSystem, CHANNELS, RestartIntensity, TOPIC_ACTOR_FAULTED, type Envelope, type InitInfo, type RestartEvent } from '../../../../actors/runtime/index.js';
import { counterMachine } from './helpers.js';

describe('runtime/supervisor', () => {
  it('RestartIntensity: at most N restarts within T, exponential capped backoff', () => {
    const r = new RestartIntensity({ maxRestarts: 3, withinMs: 1000, backoffMs: 100, maxBackoffMs: 250, jitter: 0 }, new SeededRandom(1));
    assert.deepEqual(r.onFailure(0), { restart: true, attempt: 1, delayMs: 100 });
    assert.deepEqual(r.onFailure(100e6), { restart: true, attempt: 2, delayMs: 200 });
    assert.deepEqual(r.onFailure(200e6), { restart: true, attempt: 3, delayMs: 250 });
    assert.equal(r.onFailure(300e6).restart, false);
    // Outside the window, old failures no longer count.
    const r2 = new RestartIntensity({ maxRestarts: 1, withinMs: 1000, backoffMs: 10, maxBackoffMs: 10, jitter: 0 }, new SeededRandom(1));
    assert.equal(r2.onFailure(0).restart, true);
    assert.equal(r2.onFailure(1000e6).restart, true);
    assert.equal(r2.onFailure(1001e6).restart, false);
    const j = new RestartIntensity({ maxRestarts: 5, withinMs: 1000, backoffMs: 100, maxBackoffMs: 1000, jitter: 0.5 }, new SeededRandom(3));
    const d = j.onFailure(0).delayMs;
    assert.ok(d >= 50 && d <= 150 && d !== 100, `jittered ${d}`);
  });

  it('restarts a failing actor after backoff (clock time), calls init with restart info, keeps the rest of the mailbox', () => {
    const clock = new SimulatedClock();
    const sys = new ActorSystem({ clock, seed: 1 });
    const inits: InitInfo[] = [];
    const handled: string[] = [];
    const restarts: RestartEvent[] = [];
    const onRestart = (m: unknown): void => void restarts.push({ ...(m as RestartEvent) });
    diagnosticsChannel.subscribe(CHANNELS.restart, onRestart);
    try {
      sys.spawn('strategy.s', counterMachine, {
        supervision: { maxRestarts: 2, withinMs: 10_000, backoffMs: 100, maxBackoffMs: 1000, jitter: 0 },
        init: (_ctx, info) => void inits.push(info),
        handle: (e) => {
          handled.push(e.type);
          if (e.type === 'poison') throw new Error('bad message');
        },
      });
      sys.send('strategy.s', { type: 'a' });
      sys.send('strategy.s', { type: 'poison' });
      sys.send('strategy.s', { type: 'b' });
      clock.advance(0);
      assert.deepEqual(handled, ['a', 'poison']);
      assert.equal(sys.lifecycleOf('strategy.s'), 'starting');
      clock.advance(99);
      assert.deepEqual(handled, ['a', 'poison'], 'no restart before the backoff elapsed');
      clock.advance(1);
      assert.equal(sys.lifecycleOf('strategy.s'), 'running');
      assert.deepEqual(handled, ['a', 'poison', 'b'], 'the poison message is not redelivered; the rest is');
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.restart, onRestart);
    }
    assert.equal(inits.length, 2);
    assert.equal(inits[0]!.restart, false);
    assert.equal(inits[1]!.restart, true);
    assert.equal(inits[1]!.restarts, 1);
    assert.match(String(inits[1]!.error), /bad message/);
    assert.equal(restarts.length, 1);
    assert.equal(restarts[0]!.delayMs, 100);
    const st = sys.stats('strategy.s');
    assert.equal(st.failures, 1);
    assert.equal(st.restarts, 1);
  });

  it('past the intensity limit the actor is faulted: event, topic notice, dead letters, asks rejected', async () => {
    const clock = new SimulatedClock();
    const sys = new ActorSystem({ clock, seed: 1 });
    const faults: unknown[] = [];
    const onFault = (m: unknown): void => void faults.push(m);
    diagnosticsChannel.subscribe(CHANNELS.faulted, onFault);
    const notices: unknown[] = [];
    sys.spawn('ops', counterMachine, { handle: (e: Envelope) => void notices.push(e.payload) });
    sys.subscribe(TOPIC_ACTOR_FAULTED, 'ops');
    const delays: number[] = [];
    const t0 = clock.nowNs();
    const ref = sys.spawn('exchange.x', counterMachine, {
      supervision: { maxRestarts: 2, withinMs: 60_000, backoffMs: 10, maxBackoffMs: 1000, jitter: 0 },
      init: (_c, info) => {
        if (info.restart) delays.push((clock.nowNs() - t0) / 1e6);
      },
      handle: () => {
        throw new Error('always');
      },
    });
    try {
      for (let i = 0; i < 5; i++) sys.send('exchange.x', { type: `m${i}` });
      const pending = sys.ask('exchange.x', { type: 'q' }, { timeoutMs: 100_000 });
      clock.runAll();
      await assert.rejects(pending, ActorStoppedError);
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.faulted, onFault);
    }
    assert.equal(ref.lifecycle, 'faulted');
    assert.deepEqual(delays, [10, 30], 'backoff 10 ms then 20 ms, on the simulated clock');
    assert.equal(faults.length, 1);
    assert.deepEqual(notices, [{ address: 'exchange.x', restarts: 2, error: 'always' }]);
    const st = sys.stats('exchange.x');
    assert.equal(st.failures, 3);
    assert.equal(st.processed, 3);
    assert.equal(sys.deadLetters, 3, 'the two data envelopes left and the ask became dead letters');
    assert.equal(sys.trySend('exchange.x', { type: 'late' }), 1);
    sys.stop('exchange.x');
    assert.equal(sys.lifecycleOf('exchange.x'), undefined);
  });

  it('machine errors and init failures go through supervision too', async () => {
    const clock = new SimulatedClock();
    const sys = new ActorSystem({ clock, seed: 1 });
    const ref = sys.spawn('m', counterMachine, { supervision: { maxRestarts: 1, backoffMs: 5, jitter: 0 } });
    await ref.started;
    sys.send('m', { type: 'boom', lane: 'control' });
    clock.advance(0);
    assert.equal(ref.lifecycle, 'starting');
    clock.advance(5);
    assert.equal(ref.lifecycle, 'running');
    assert.equal(ref.machine.getSnapshot().status, 'active', 'a fresh incarnation');
    sys.send('m', { type: 'boom', lane: 'control' });
    clock.advance(0);
    assert.equal(ref.lifecycle, 'faulted');

    let calls = 0;
    const r2 = sys.spawn('n', counterMachine, {
      supervision: { maxRestarts: 0 },
      init: async () => {
        calls++;
        await Promise.resolve();
        throw new Error('journal unreadable');
      },
    });
    await assert.rejects(r2.started, ActorStoppedError);
    assert.equal(calls, 1);
    assert.equal(r2.lifecycle, 'faulted');
    await sys.shutdown();
  });

  it('an async init delays delivery until it resolves', async () => {
    const clock = new SimulatedClock();
    const sys = new ActorSystem({ clock, seed: 1 });
    let release!: () => void;
    const got: string[] = [];
    const ref = sys.spawn('j', counterMachine, {
      init: () => new Promise<void>((r) => (release = r)),
      handle: (e) => void got.push(e.type),
    });
    sys.send('j', { type: 'early' });
    clock.advance(0);
    assert.deepEqual(got, []);
    assert.equal(ref.lifecycle, 'starting');
    release();
    await ref.started;
    clock.advance(0);
    assert.deepEqual(got, ['early']);
    await sys.shutdown();
  });

  it('injectFault: the next control delivery fails through supervision (restart, then fault); machine and handler never see it', () => {
    const clock = new SimulatedClock();
    const sys = new ActorSystem({ clock, seed: 1 });
    const handled: string[] = [];
    const inits: InitInfo[] = [];
    const ref = sys.spawn('strategy.f', counterMachine, {
      supervision: { maxRestarts: 1, withinMs: 60_000, backoffMs: 10, maxBackoffMs: 10, jitter: 0 },
      init: (_c, info) => void inits.push(info),
      handle: (e) => void handled.push(e.type),
    });
    clock.advance(0);
    sys.send('strategy.f', { type: 'a' });
    sys.injectFault('strategy.f', new Error('chaos: crash'));
    sys.send('strategy.f', { type: 'b' });
    clock.advance(0);
    // Control first: the fault is served before the pending data, which survives the restart.
    assert.deepEqual(handled, []);
    assert.equal(sys.lifecycleOf('strategy.f'), 'starting');
    assert.equal(ref.machine.getSnapshot().context.controls, 0);
    clock.advance(10);
    assert.equal(sys.lifecycleOf('strategy.f'), 'running');
    assert.deepEqual(handled, ['a', 'b']);
    assert.equal(inits.length, 2);
    assert.match(String(inits[1]!.error), /chaos: crash/);
    assert.equal(sys.stats('strategy.f').failures, 1);
    // The second fault exceeds maxRestarts 1: faulted, and further injections are refused.
    sys.injectFault('strategy.f');
    clock.advance(0);
    assert.equal(sys.lifecycleOf('strategy.f'), 'faulted');
    assert.throws(() => sys.injectFault('strategy.f'), ActorStoppedError);
    assert.throws(() => sys.injectFault('nobody'), ActorNotFoundError);
    assert.throws(() => sys.injectFault('strategy.f', 'boom' as unknown as Error), /injectFault\(strategy\.f, error\): expected an Error, got/);
  });
});
