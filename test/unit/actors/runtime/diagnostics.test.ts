import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { SimulatedClock } from '../../../../common/index.js';
import { ActorSystem, CHANNELS, type BatchDeliveryEvent, type EnqueuedEvent, type FinishedEvent, type LifecycleChangeEvent, type StartedEvent } from '../../../../actors/runtime/index.js';
import { setup } from 'xstate';
import { counterMachine } from './helpers.js';

describe('runtime/diagnostics', () => {
  it('publishes enqueued/started/finished with mailbox wait and handling time; a subscriber can set the context', () => {
    const clock = new SimulatedClock();
    const sys = new ActorSystem({ clock, seed: 1, name: 'diag' });
    const log: string[] = [];
    const onEnq = (m: unknown): void => {
      const e = m as EnqueuedEvent;
      log.push(`enq ${e.envelope.to} ${e.envelope.type} depth=${e.depth}`);
    };
    const onStart = (m: unknown): void => {
      const e = m as StartedEvent;
      log.push(`start ${e.actor} ${e.envelope.type} wait=${e.waitNs}`);
      e.traceparent = `tp-of-${e.envelope.type}`;
    };
    const onFin = (m: unknown): void => {
      const e = m as FinishedEvent;
      log.push(`fin ${e.actor} ${e.envelope.type} handle=${e.handleNs} err=${e.error === undefined ? '-' : 'yes'}`);
    };
    const onLife = (m: unknown): void => {
      const e = m as LifecycleChangeEvent;
      if (e.system === 'diag') log.push(`life ${e.actor} ${e.from}->${e.to}`);
    };
    diagnosticsChannel.subscribe(CHANNELS.enqueued, onEnq);
    diagnosticsChannel.subscribe(CHANNELS.started, onStart);
    diagnosticsChannel.subscribe(CHANNELS.finished, onFin);
    diagnosticsChannel.subscribe(CHANNELS.lifecycle, onLife);
    const childTp: string[] = [];
    try {
      sys.spawn('a', counterMachine, {
        supervision: { maxRestarts: 0 },
        handle: (e, ctx) => {
          clock.advanceToNs(clock.nowNs() + 300); // handling "takes" 300 ns of simulated time
          if (e.type === 'x') ctx.send('b', { type: 'y' });
          if (e.type === 'bad') throw new Error('x');
        },
      });
      sys.spawn('b', counterMachine, { handle: (e) => void childTp.push(e.traceparent) });
      sys.send('a', { type: 'x' });
      sys.send('a', { type: 'z' });
      clock.advance(0);
      sys.send('a', { type: 'bad' });
      clock.advance(0);
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.enqueued, onEnq);
      diagnosticsChannel.unsubscribe(CHANNELS.started, onStart);
      diagnosticsChannel.unsubscribe(CHANNELS.finished, onFin);
      diagnosticsChannel.unsubscribe(CHANNELS.lifecycle, onLife);
    }
    assert.deepEqual(log, [
      'life a ready->starting',
      'life a starting->running',
      'life b ready->starting',
      'life b starting->running',
      'enq a x depth=1',
      'enq a z depth=2',
      'start a x wait=0',
      'enq b y depth=1',
      'fin a x handle=300',
      'start a z wait=300',
      'fin a z handle=300',
      'start b y wait=300',
      'fin b y handle=0',
      'enq a bad depth=1',
      'start a bad wait=0',
      'fin a bad handle=300 err=yes',
      'life a running->faulted',
    ].map((l) => (l.startsWith('fin') && !l.includes('err=') ? `${l} err=-` : l)));
    assert.deepEqual(childTp, ['tp-of-x'], 'the child inherits the context the subscriber set');
  });

  it('machine-only actors (no handler) still report every envelope', () => {
    const clock = new SimulatedClock();
    const sys = new ActorSystem({ clock, seed: 1 });
    const started: string[] = [];
    const finished: string[] = [];
    const onStart = (m: unknown): void => void started.push((m as StartedEvent).envelope.type);
    const onFin = (m: unknown): void => void finished.push((m as FinishedEvent).envelope.type);
    diagnosticsChannel.subscribe(CHANNELS.started, onStart);
    diagnosticsChannel.subscribe(CHANNELS.finished, onFin);
    try {
      sys.spawn('m', counterMachine);
      for (let i = 0; i < 5; i++) sys.send('m', { type: `t${i}` });
      clock.advance(0);
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.started, onStart);
      diagnosticsChannel.unsubscribe(CHANNELS.finished, onFin);
    }
    assert.deepEqual(started, ['t0', 't1', 't2', 't3', 't4']);
    assert.deepEqual(finished, ['t0', 't1', 't2', 't3', 't4']);
  });

  it('batch-start/batch-end: one pair per batch; the subscriber sets contexts and asks for exact times of chosen envelopes', () => {
    const clock = new SimulatedClock();
    const sys = new ActorSystem({ clock, seed: 1, name: 'diag-batch', batchSize: 4 });
    const log: string[] = [];
    const onStart = (m: unknown): void => {
      const ev = m as BatchDeliveryEvent;
      if (ev.system !== 'diag-batch') return;
      const types = [];
      for (let k = 0; k < ev.count; k++) {
        const e = ev.envelopes[ev.start + k]!;
        types.push(e.type);
        assert.equal(ev.traceparents[k], e.traceparent, 'prefilled with the envelope context');
        assert.equal(ev.timed[k], 0);
        ev.traceparents[k] = `ctx-${e.type}`;
        if (e.type === 'm2' || e.type === 'bad' || e.type === 'c') ev.timed[k] = 1;
      }
      log.push(`start ${ev.actor} [${types.join(',')}] shared=${ev.shared}`);
    };
    const onEnd = (m: unknown): void => {
      const ev = m as BatchDeliveryEvent;
      if (ev.system !== 'diag-batch') return;
      const timed = [];
      for (let k = 0; k < ev.handled; k++) if (ev.timed[k] === 1) timed.push(`${ev.envelopes[ev.start + k]!.type}@${ev.startNs[k]}-${ev.endNs[k]}`);
      log.push(`end ${ev.actor} handled=${ev.handled} ${ev.batchStartNs}-${ev.batchEndNs} err=${ev.error === undefined ? '-' : ev.errorIndex} timed=[${timed.join(',')}]`);
    };
    diagnosticsChannel.subscribe(CHANNELS.batchStart, onStart);
    diagnosticsChannel.subscribe(CHANNELS.batchEnd, onEnd);
    const childTp: string[] = [];
    try {
      sys.spawn('a', counterMachine, {
        supervision: { maxRestarts: 5, backoffMs: 0 },
        handle: (e, ctx) => {
          clock.advanceToNs(clock.nowNs() + 100);
          if (e.type === 'm2') ctx.send('b', { type: 'child' });
          if (e.type === 'bad') throw new Error('poison');
        },
      });
      sys.spawn('b', counterMachine, { handle: (e) => void childTp.push(e.traceparent) });
      sys.spawn('m', counterMachine); // machine-only
      for (const t of ['m1', 'm2', 'bad', 'm4', 'm5']) sys.send('a', { type: t });
      sys.send('m', { type: 'x' });
      sys.send('m', { type: 'c' });
      clock.advance(0);
      sys.send('a', { type: 'kill', lane: 'control' });
      clock.advance(1); // the restart timer (backoff 0) is due at the time the handlers advanced to
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.batchStart, onStart);
      diagnosticsChannel.unsubscribe(CHANNELS.batchEnd, onEnd);
    }
        assert.deepEqual(log, [
      'start a [m1,m2,bad,m4] shared=false',
      // bad threw: consumed and blamed (k=2); m4 waits for the next incarnation.
      'end a handled=3 0-300 err=2 timed=[m2@100-200,bad@200-300]',
      'start m [x,c] shared=true',
      'end m handled=2 300-300 err=- timed=[c@300-300]',
      'start b [child] shared=false',
      'end b handled=1 300-300 err=- timed=[]',
      // After the restart: control first (a batch of one), then the rest of the in-flight batch, then the mailbox.
      'start a [kill] shared=false',
      'end a handled=1 300-400 err=- timed=[]',
      'start a [m4] shared=false',
      'end a handled=1 400-500 err=- timed=[]',
      'start a [m5] shared=false',
      'end a handled=1 500-600 err=- timed=[]',
    ]);
    assert.deepEqual(childTp, ['ctx-m2'], 'what the handler sends carries the context the subscriber set');
  });
  it('batch-start/batch-end: a timed envelope reuses the batch\'s clock reads (first start without a batch event, last end); the others read their own', () => {
    class CountingClock extends SimulatedClock {
      reads = 0;
      override nowNs(): number {
        this.reads++;
        return super.nowNs();
      }
    }
    const clock = new CountingClock();
    const sys = new ActorSystem({ clock, seed: 1, name: 'diag-reuse', batchSize: 4 });
    let timeThem = false;
    let readsAtStart = 0;
    const between: string[] = [];
    const onStart = (m: unknown): void => {
      const ev = m as BatchDeliveryEvent;
      if (ev.system !== 'diag-reuse') return;
      for (let k = 0; k < ev.count; k++) ev.timed[k] = timeThem ? 1 : 0;
      readsAtStart = clock.reads;
    };
    const onEnd = (m: unknown): void => {
      const ev = m as BatchDeliveryEvent;
      if (ev.system !== 'diag-reuse') return;
      // clock reads from batch-start to batch-end (the handlers read none)
      between.push(`${ev.actor} n=${ev.handled} timed=${timeThem} reads=${clock.reads - readsAtStart}`);
    };
    diagnosticsChannel.subscribe(CHANNELS.batchStart, onStart);
    diagnosticsChannel.subscribe(CHANNELS.batchEnd, onEnd);
    try {
      sys.spawn('quiet', setup({}).createMachine({}), { handle: () => undefined }); // its machine takes no `batch` event
      sys.spawn('counter', counterMachine, { handle: () => undefined }); // its machine takes the `batch` event first
      for (const t of [false, true]) {
        timeThem = t;
        for (const to of ['quiet', 'counter']) {
          sys.send(to, { type: 'one' });
          clock.advance(0);
        }
        for (let i = 0; i < 3; i++) sys.send('quiet', { type: 'three' });
        clock.advance(0);
      }
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.batchStart, onStart);
      diagnosticsChannel.unsubscribe(CHANNELS.batchEnd, onEnd);
    }
    assert.deepEqual(between, [
      // untimed: the batch's own two reads (start, end)
      'quiet n=1 timed=false reads=2',
      'counter n=1 timed=false reads=2',
      'quiet n=3 timed=false reads=2',
      // the only envelope of a batch: no read of its own
      'quiet n=1 timed=true reads=2',
      // after the machine's batch event: its start is read, its end is the batch's
      'counter n=1 timed=true reads=3',
      // first start and last end reused; first end, middle start and end, last start read
      'quiet n=3 timed=true reads=6',
    ]);
  });
});
