import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import diagnosticsChannel from 'node:diagnostics_channel';
import { ConfigError, SeededRandom, SimulatedClock } from '../../../../common/index.js';
import {
  ActorExistsError,
  ActorNotFoundError,
  ActorStoppedError,
  ActorSystem,
  AskCorrelationInUseError,
  AskTimeoutError,
  CHANNELS,
  InvalidAddressError,
  MailboxFullError,
  SendStatus,
  SystemShutdownError,
  TOPIC_DEAD_LETTERS,
  currentTraceparent,
  type DeadLetterEvent,
  type Envelope,
} from '../../../../actors/runtime/index.js';
import { counterMachine } from './helpers.js';

function sim(seed = 1, extra: Record<string, unknown> = {}): { clock: SimulatedClock; sys: ActorSystem } {
  const clock = new SimulatedClock();
  return { clock, sys: new ActorSystem({ clock, seed, ...extra }) };
}

describe('runtime/actor-system', () => {
  it('delivers FIFO per sender→receiver pair, with from/to/enqueue time filled in', () => {
    const { clock, sys } = sim();
    const got: Envelope[] = [];
    sys.spawn('sink', counterMachine, { handle: (e) => got.push(e) });
    for (const s of ['a', 'b', 'c']) {
      sys.spawn(`src.${s}`, counterMachine, {
        handle: (e, ctx) => {
          for (let i = 0; i < 200; i++) ctx.send('sink', { type: 'seq', payload: `${s}${i}` });
          void e;
        },
      });
    }
    for (const s of ['a', 'b', 'c']) sys.send(`src.${s}`, { type: 'go' });
    clock.advance(1);
    for (const s of ['a', 'b', 'c']) sys.send(`src.${s}`, { type: 'go' });
    clock.advance(0);
    assert.equal(got.length, 1200);
    for (const s of ['a', 'b', 'c']) {
      const mine = got.filter((e) => e.from === `src.${s}`).map((e) => e.payload);
      assert.deepEqual(mine, [...Array.from({ length: 200 }, (_, i) => `${s}${i}`), ...Array.from({ length: 200 }, (_, i) => `${s}${i}`)]);
    }
    assert.equal(got[0]!.to, 'sink');
    assert.equal(got[0]!.enqueuedAtNs, 0);
    assert.equal(got.at(-1)!.enqueuedAtNs, 1e6);
    assert.equal(sys.stats('sink').processed, 1200);
    // The machine saw the data in batches, not one event per message.
    const ctx = sys.stats('sink');
    assert.equal(ctx.depth, 0);
  });

  it('hands data to the machine in batch events (XState in the path)', () => {
    const { clock, sys } = sim(1, { batchSize: 64 });
    const ref = sys.spawn('m', counterMachine);
    for (let i = 0; i < 1000; i++) sys.send('m', { type: 'x' });
    clock.advance(0);
    const c = ref.machine.getSnapshot().context;
    assert.equal(c.envelopes, 1000);
    assert.equal(c.batches, Math.ceil(1000 / 64));
  });

  it('control lane preempts queued data', () => {
    const { clock, sys } = sim(1, { batchSize: 8 });
    const order: string[] = [];
    const ref = sys.spawn('venue', counterMachine, {
      handle: (e) => {
        order.push(e.type);
        if (e.type === 'd3') sys.send('venue', { type: 'kill', lane: 'control' });
      },
    });
    for (let i = 0; i < 20; i++) sys.send('venue', { type: `d${i}` });
    sys.send('venue', { type: 'kill', lane: 'control' });
    clock.advance(0);
    assert.equal(order[0], 'kill', 'control sent after 20 data envelopes is handled first');
    // The kill sent while handling d3 is served right after the batch in flight (d0..d7).
    assert.equal(order.indexOf('kill', 1), order.indexOf('d7') + 1);
    assert.equal(ref.machine.getSnapshot().context.controls, 2);
    assert.equal(order.length, 22);
  });

  it('halted: control flows, data waits until running again', () => {
    const { clock, sys } = sim();
    const order: string[] = [];
    sys.spawn('s', counterMachine, {
      handle: (e, ctx) => {
        order.push(e.type);
        if (e.type === 'halt') ctx.setLifecycle('halted');
        if (e.type === 'resume') ctx.setLifecycle('running');
      },
    });
    sys.send('s', { type: 'halt', lane: 'control' });
    sys.send('s', { type: 'data1' });
    clock.advance(0);
    assert.deepEqual(order, ['halt']);
    assert.equal(sys.lifecycleOf('s'), 'halted');
    sys.send('s', { type: 'resume', lane: 'control' });
    clock.advance(0);
    assert.deepEqual(order, ['halt', 'resume', 'data1']);
    assert.throws(() => sys.stats('s') && (sys as unknown as { setLifecycle: (c: unknown, s: string) => void }).setLifecycle({ address: 's' }, 'stopped'), /expected "running"/);
  });

  it('reject policy: the sender gets MailboxFullError (B4_MAILBOX_FULL); trySend returns Rejected', () => {
    const { clock, sys } = sim();
    sys.spawn('r', counterMachine, { mailbox: { capacity: 2, controlCapacity: 1, policy: 'reject' } });
    sys.send('r', { type: 'a' });
    sys.send('r', { type: 'b' });
    assert.throws(() => sys.send('r', { type: 'c' }), (e: unknown) => e instanceof MailboxFullError && e.code === 'B4_MAILBOX_FULL');
    assert.equal(sys.trySend('r', { type: 'c' }), SendStatus.Rejected);
    sys.send('r', { type: 'k', lane: 'control' });
    assert.throws(() => sys.send('r', { type: 'k', lane: 'control' }), MailboxFullError);
    assert.equal(sys.stats('r').rejected, 3);
    clock.advance(0);
    assert.equal(sys.stats('r').processed, 3);
  });

  it('drop-oldest policy counts drops and publishes them on the dropped channel', () => {
    const { clock, sys } = sim();
    const got: unknown[] = [];
    const dropped: string[] = [];
    const onDrop = (m: unknown): void => {
      dropped.push((m as { envelope: Envelope; reason: string }).reason + ':' + String((m as { envelope: Envelope }).envelope.payload));
    };
    diagnosticsChannel.subscribe(CHANNELS.dropped, onDrop);
    try {
      sys.spawn('md', counterMachine, { mailbox: { capacity: 3, policy: 'drop-oldest' }, handle: (e) => got.push(e.payload) });
      for (let i = 0; i < 10; i++) assert.equal(sys.trySend('md', { type: 't', payload: i }), SendStatus.Sent);
      clock.advance(0);
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.dropped, onDrop);
    }
    assert.deepEqual(got, [7, 8, 9]);
    assert.equal(sys.stats('md').dropped, 7);
    assert.deepEqual(dropped, [0, 1, 2, 3, 4, 5, 6].map((i) => `drop-oldest:${i}`));
  });

  it('conflate policy keeps the latest per key and counts the replaced ones', () => {
    const { clock, sys } = sim();
    const got: string[] = [];
    sys.spawn('strategy.mm', counterMachine, { mailbox: { policy: 'conflate' }, handle: (e) => got.push(`${e.key}=${String(e.payload)}`) });
    sys.subscribe('md.ticker.*.*', 'strategy.mm');
    for (let i = 0; i < 5; i++) {
      sys.publish('md.ticker.binance.BTC/USDT', { type: 'md.ticker', key: 'BTC/USDT', payload: i });
      sys.publish('md.ticker.binance.ETH/USDT', { type: 'md.ticker', key: 'ETH/USDT', payload: 10 + i });
    }
    clock.advance(0);
    assert.deepEqual(got, ['BTC/USDT=4', 'ETH/USDT=14']);
    assert.equal(sys.stats('strategy.mm').conflated, 8);
  });

  it('publish/subscribe with wildcards; envelopes carry the topic', () => {
    const { clock, sys } = sim();
    const got: string[] = [];
    sys.spawn('gw', counterMachine, { handle: (e) => got.push(`gw:${e.topic}`) });
    sys.spawn('mm', counterMachine, { handle: (e) => got.push(`mm:${e.topic}`) });
    sys.subscribe('md.>', 'gw');
    const off = sys.subscribe('md.ticker.*.BTC/USDT', 'mm');
    assert.equal(sys.publish('md.ticker.binance.BTC/USDT', { type: 'md.ticker' }), 2);
    assert.equal(sys.publish('md.ticker.kraken.ETH/USDT', { type: 'md.ticker' }), 1);
    off();
    assert.equal(sys.publish('md.ticker.okx.BTC/USDT', { type: 'md.ticker' }), 1);
    assert.equal(sys.publish('orders.x', { type: 'o' }), 0);
    clock.advance(0);
    assert.deepEqual(got.sort(), ['gw:md.ticker.binance.BTC/USDT', 'gw:md.ticker.kraken.ETH/USDT', 'gw:md.ticker.okx.BTC/USDT', 'mm:md.ticker.binance.BTC/USDT']);
    assert.throws(() => sys.subscribe('md.>.x', 'gw'), InvalidAddressError);
    assert.throws(() => sys.publish('md..x', { type: 'x' }), InvalidAddressError);
  });

  it('ask resolves with the reply; times out with AskTimeoutError (B4_ASK_TIMEOUT) on clock time', async () => {
    const { clock, sys } = sim();
    sys.spawn('risk', counterMachine, {
      handle: (e, ctx) => {
        if (e.type === 'check') ctx.reply(e, { ok: true });
      },
    });
    const ok = sys.ask('risk', { type: 'check' }, { timeoutMs: 50 });
    clock.advance(0);
    assert.deepEqual(await ok, { ok: true });
    const late = sys.ask('risk', { type: 'ignored' }, { timeoutMs: 50 });
    clock.advance(49);
    let settled = false;
    late.then(
      () => (settled = true),
      () => (settled = true),
    );
    await Promise.resolve();
    assert.equal(settled, false);
    clock.advance(1);
    await assert.rejects(late, (e: unknown) => e instanceof AskTimeoutError && e.code === 'B4_ASK_TIMEOUT');
    await assert.rejects(sys.ask('nobody', { type: 'x' }), (e: unknown) => e instanceof ActorNotFoundError && e.code === 'B4_ACTOR_NOT_FOUND');
    assert.throws(() => sys.ask('risk', { type: 'x' }, { timeoutMs: -1 }), (e: unknown) => e instanceof ConfigError && /ask.timeoutMs: expected a value >= 0, got -1/.test(e.message));
  });

  it('a second ask with a correlationId still waiting is refused (B4_ASK_CORRELATION_IN_USE) and the first gets its own reply', async () => {
    const { clock, sys } = sim();
    const seen: unknown[] = [];
    sys.spawn('risk', counterMachine, {
      handle: (e, ctx) => {
        seen.push(e.payload);
        ctx.reply(e, { echo: e.payload });
      },
    });
    const first = sys.ask('risk', { type: 'check', payload: 1, correlationId: 'mine' }, { timeoutMs: 50 });
    await assert.rejects(sys.ask('risk', { type: 'check', payload: 2, correlationId: 'mine' }, { timeoutMs: 50 }), (e: unknown) => e instanceof AskCorrelationInUseError && e.code === 'B4_ASK_CORRELATION_IN_USE' && /correlationId "mine" is already waiting/.test(e.message));
    clock.advance(0);
    assert.deepEqual(await first, { echo: 1 });
    assert.deepEqual(seen, [1], 'the refused ask sent nothing');
    // once answered, the id is free again
    const again = sys.ask('risk', { type: 'check', payload: 3, correlationId: 'mine' }, { timeoutMs: 50 });
    clock.advance(0);
    assert.deepEqual(await again, { echo: 3 });
  });

  it('forward hands a request on with its reply address: the asker gets the answer from the last actor; a stop of that actor rejects the ask at once', async () => {
    const { clock, sys } = sim();
    let gateReplied = 0;
    sys.spawn('gate', counterMachine, {
      handle: (e, ctx) => {
        if (e.type !== 'order') return;
        const st = sys.forward(e, e.payload === 'lost' ? 'nowhere' : 'venue', { type: 'order', payload: e.payload });
        if (st !== SendStatus.Sent) gateReplied += Number(ctx.reply(e, { ok: false, status: st }));
      },
    });
    const seen: Envelope[] = [];
    sys.spawn('venue', counterMachine, {
      handle: (e, ctx) => {
        seen.push(e);
        if (e.payload !== 'hold') ctx.reply(e, { ok: true, by: 'venue' });
      },
    });
    const ok = sys.ask('gate', { type: 'order', payload: 'x' }, { timeoutMs: 30_000 });
    clock.advance(0);
    assert.deepEqual(await ok, { ok: true, by: 'venue' });
    assert.equal(seen[0]!.from, 'gate', 'the venue sees the gate as sender');
    // Not handed on: the gate answers itself.
    const lost = sys.ask('gate', { type: 'order', payload: 'lost' }, { timeoutMs: 30_000 });
    clock.advance(0);
    assert.deepEqual(await lost, { ok: false, status: SendStatus.DeadLetter });
    assert.equal(gateReplied, 1);
    // The pending ask follows the request: stopping the venue rejects it now, not after 30 s.
    const held = sys.ask('gate', { type: 'order', payload: 'hold' }, { timeoutMs: 30_000 });
    clock.advance(0);
    sys.stop('venue');
    await assert.rejects(held, (e: unknown) => e instanceof ActorStoppedError && /venue/.test(e.message));
    // A request sent without a reply address is handed on the same way (nothing to answer).
    sys.spawn('venue', counterMachine, { handle: (e) => void seen.push(e) });
    sys.send('gate', { type: 'order', payload: 'fire-and-forget' });
    clock.advance(0);
    assert.equal(seen.at(-1)!.payload, 'fire-and-forget');
    assert.equal(seen.at(-1)!.replyTo, '');
  });

  it('reply to a replyTo address goes to that actor with the same correlation id', () => {
    const { clock, sys } = sim();
    const got: Envelope[] = [];
    sys.spawn('server', counterMachine, { handle: (e, ctx) => ctx.reply(e, 'pong') });
    sys.spawn('client', counterMachine, { handle: (e) => got.push(e) });
    const fake = { type: 'ping', payload: null, from: 'client', to: 'server', correlationId: 'c-1', enqueuedAtNs: 0, traceparent: '', topic: '', key: '', lane: 'data' as const, replyTo: 'client' };
    assert.equal(sys.reply(fake, 'pong'), true);
    assert.equal(sys.reply({ ...fake, replyTo: '' }, 'x'), false);
    clock.advance(0);
    assert.equal(got[0]!.type, 'ping.reply');
    assert.equal(got[0]!.correlationId, 'c-1');
    assert.equal(got[0]!.payload, 'pong');
  });

  it('dead letters: counted, published on system.dead-letters and the diagnostics channel', () => {
    const { clock, sys } = sim();
    const seen: string[] = [];
    const onDead = (m: unknown): void => {
      const d = m as DeadLetterEvent;
      seen.push(`${d.reason}:${d.envelope.to}:${d.envelope.type}`);
    };
    diagnosticsChannel.subscribe(CHANNELS.deadLetter, onDead);
    const letters: string[] = [];
    try {
      sys.spawn('audit', counterMachine, { handle: (e) => letters.push((e.payload as { envelope: Envelope }).envelope.type) });
      sys.subscribe(TOPIC_DEAD_LETTERS, 'audit');
      assert.equal(sys.trySend('exchange.nowhere', { type: 'order.submit' }), SendStatus.DeadLetter);
      sys.spawn('gone', counterMachine, { handle: () => undefined });
      sys.send('gone', { type: 'pending' });
      sys.stop('gone');
      sys.send('gone', { type: 'after' });
      clock.advance(0);
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.deadLetter, onDead);
    }
    assert.equal(sys.deadLetters, 3);
    assert.deepEqual(seen, ['not-found:exchange.nowhere:order.submit', 'stopped:gone:pending', 'not-found:gone:after']);
    assert.deepEqual(letters, ['order.submit', 'pending', 'after']);
  });

  it('spawn/stop/shutdown errors: exists, not found, stopped asks, shutdown', async () => {
    const { clock, sys } = sim();
    sys.spawn('a', counterMachine);
    assert.throws(() => sys.spawn('a', counterMachine), (e: unknown) => e instanceof ActorExistsError && e.code === 'B4_ACTOR_EXISTS');
    assert.throws(() => sys.spawn('bad address', counterMachine), InvalidAddressError);
    assert.throws(() => sys.spawn('$ask', counterMachine), InvalidAddressError);
    assert.throws(() => sys.spawn('b', counterMachine, { mailbox: { capacity: 0 } }), (e: unknown) => e instanceof ConfigError && e.message === 'spawn(b).mailbox.capacity: expected a value >= 1, got 0');
    assert.throws(
      () => sys.spawn('c', counterMachine, { mailbox: { policy: 'drop-oldest', mustDeliver: ['order.update'] } }),
      (e: unknown) => e instanceof ConfigError && e.message.includes('spawn(c).mailbox.mustDeliver') && e.message.includes("policy 'drop-oldest'"),
    );
    assert.throws(() => sys.spawn('b', counterMachine, { mailbox: { policy: 'lifo' as 'reject' } }), /spawn\(b\).mailbox.policy: expected one of "reject", "drop-oldest", "conflate", got "lifo"/);
    assert.throws(() => sys.spawn('b', {} as typeof counterMachine), /expected an XState machine/);
    assert.throws(() => sys.stop('nope'), ActorNotFoundError);
    assert.throws(() => sys.stats('nope'), ActorNotFoundError);
    const pending = sys.ask('a', { type: 'never-answered' });
    sys.stop('a');
    await assert.rejects(pending, (e: unknown) => e instanceof ActorStoppedError && e.code === 'B4_ACTOR_STOPPED');
    sys.spawn('a', counterMachine); // address free again
    const p2 = sys.ask('a', { type: 'never-answered' });
    await sys.shutdown();
    await assert.rejects(p2, ActorStoppedError);
    assert.throws(() => sys.spawn('c', counterMachine), (e: unknown) => e instanceof SystemShutdownError && e.code === 'B4_SYSTEM_SHUTDOWN');
    await assert.rejects(sys.ask('a', { type: 'x' }), SystemShutdownError);
    assert.equal(sys.trySend('a', { type: 'x' }), SendStatus.DeadLetter);
    assert.deepEqual(sys.addresses(), []);
    clock.runAll();
  });

  it('validates system options naming field, expectation and value', () => {
    assert.throws(() => new ActorSystem({ seed: -1 }), /actorSystem.seed: expected a value >= 0, got -1/);
    assert.throws(() => new ActorSystem({ batchSize: 1.5 }), /actorSystem.batchSize: expected an integer, got 1.5/);
    assert.throws(() => new ActorSystem({ clock: {} as SimulatedClock }), /actorSystem.clock: expected a Clock/);
    assert.throws(() => new ActorSystem({ nope: 1 } as never), /expected no unknown keys \(nope\)/);
  });

  it('fairness: a flooding actor does not starve others', () => {
    const { clock, sys } = sim(1, { actorBudget: 64, batchSize: 32 });
    const order: string[] = [];
    sys.spawn('flood', counterMachine, {
      mailbox: { capacity: 100_000 },
      handle: (e, ctx) => {
        order.push('f');
        // Keeps itself busy forever-ish: every message begets another, up to a bound.
        if ((e.payload as number) < 20_000) ctx.send('flood', { type: 'f', payload: (e.payload as number) + 1 });
      },
    });
    sys.spawn('quiet', counterMachine, { handle: () => order.push('q') });
    for (let i = 0; i < 5000; i++) sys.send('flood', { type: 'f', payload: 20_000 });
    sys.send('flood', { type: 'f', payload: 0 });
    sys.send('quiet', { type: 'q' });
    clock.advance(0);
    const q = order.indexOf('q');
    assert.ok(q >= 0 && q <= 64, `quiet handled after ${q} flood messages (budget 64)`);
    assert.equal(order.length, 5000 + 20_001 + 1);
  });

  it('propagates the handling trace context to messages sent while handling', () => {
    const { clock, sys } = sim();
    const tps: string[] = [];
    const inside: string[] = [];
    sys.spawn('a', counterMachine, {
      handle: (_e, ctx) => {
        inside.push(currentTraceparent());
        ctx.send('b', { type: 'next' });
      },
    });
    sys.spawn('b', counterMachine, { handle: (e) => tps.push(e.traceparent + '|' + e.from) });
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    sys.send('a', { type: 'start', traceparent: tp });
    clock.advance(0);
    assert.deepEqual(inside, [tp]);
    assert.deepEqual(tps, [`${tp}|a`]);
    assert.equal(currentTraceparent(), '');
  });

  it('determinism: same seed and inputs → same delivery hash; different inputs → different hash', () => {
    function run(seed: number, inputSeed: number): string {
      const { clock, sys } = sim(seed);
      const rnd = new SeededRandom(inputSeed);
      const h = createHash('sha256');
      const names = ['exchange.a', 'exchange.b', 'strategy.x', 'strategy.y', 'risk'];
      for (const n of names) {
        sys.spawn(n, counterMachine, {
          handle: (e, ctx) => {
            h.update(`${n}|${e.from}|${e.type}|${String(e.payload)}|${e.correlationId}|${e.enqueuedAtNs}|${e.topic}\n`);
            const hops = e.payload as number;
            if (hops > 0) {
              const to = names[rnd.int(names.length)]!;
              if (rnd.next() < 0.3) ctx.publish(`md.ticker.${to}`, { type: 'tick', payload: hops - 1 });
              else ctx.send(to, { type: 'hop', payload: hops - 1 });
            }
            if (e.type === 'q') ctx.reply(e, hops);
          },
        });
        sys.subscribe(`md.ticker.${n}`, n);
      }
      sys.subscribe('md.ticker.*', 'risk');
      for (let step = 0; step < 50; step++) {
        const n = 1 + rnd.int(5);
        for (let i = 0; i < n; i++) sys.send(names[rnd.int(names.length)]!, { type: 'hop', payload: rnd.int(6) });
        if (rnd.next() < 0.2) void sys.ask(names[rnd.int(names.length)]!, { type: 'q', payload: 0 }, { timeoutMs: 5 }).catch(() => undefined);
        clock.advance(rnd.int(3));
      }
      clock.runAll();
      h.update(`delivered=${sys.delivered}`);
      return h.digest('hex');
    }
    const a = run(7, 42);
    assert.equal(run(7, 42), a);
    assert.notEqual(run(7, 43), a);
    assert.notEqual(run(8, 42), a, 'the seed drives correlation ids');
  });
});
