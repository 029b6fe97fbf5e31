import assert from 'node:assert/strict';
import { setup } from 'xstate';
import { ActorNotFoundError, ActorSystem, MailboxFullError, SendStatus, TOPIC_DEAD_LETTERS, type Envelope, type RemoteInbound, type RemoteMessage, type RemotePort } from '../../../actors/runtime/index.js';
import { InvalidArgumentError } from '../../../common/errors.js';

// The runtime's side of remote actors (actors/runtime/remote.ts + ActorSystem routing), with two
// systems joined by an in-memory port: what the NATS transport does over the wire, minus the
// wire (that is test/integration/cluster/remote-actors.test.ts, with a real nats-server).
const idle = setup({ types: { events: {} as { type: string } } }).createMachine({ id: 'idle' });

class LoopbackPort implements RemotePort {
  peers = new Map<string, RemoteInbound>();
  published: { topic: string; m: RemoteMessage }[] = [];
  routes = new Map<string, string>();
  routeOf(address: string): string | undefined {
    return this.routes.get(address);
  }
  constructor(readonly node: string) {}
  private peer(node: string): RemoteInbound {
    const p = this.peers.get(node);
    if (p === undefined) throw new Error(`no node ${node}`);
    return p;
  }
  send(node: string, address: string, m: RemoteMessage): Promise<void> {
    return Promise.resolve().then(() => this.peer(node).deliver(address, m));
  }
  ask(node: string, address: string, m: RemoteMessage, timeoutMs: number): Promise<unknown> {
    return Promise.resolve().then(() => this.peer(node).ask(address, m, timeoutMs));
  }
  publish(topic: string, m: RemoteMessage): void {
    this.published.push({ topic, m });
    for (const p of this.peers.values()) p.publish(topic, m);
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

describe('actors/runtime remote port: routing node/address through an attached port', () => {
  let a: ActorSystem;
  let b: ActorSystem;
  let pa: LoopbackPort;
  beforeEach(() => {
    a = new ActorSystem({ name: 'a' });
    b = new ActorSystem({ name: 'b' });
    pa = new LoopbackPort('node-a');
    const pb = new LoopbackPort('node-b');
    const ia = a.attachRemote(pa);
    const ib = b.attachRemote(pb);
    pa.peers.set('node-b', ib);
    pb.peers.set('node-a', ia);
  });
  afterEach(async () => {
    await a.shutdown();
    await b.shutdown();
  });

  it('refuses a second port and a bad node name', () => {
    assert.throws(() => a.attachRemote(new LoopbackPort('node-x')), InvalidArgumentError);
    assert.throws(() => new ActorSystem().attachRemote(new LoopbackPort('Bad Name')), /port\.node: expected a node name .*got "Bad Name"/);
  });

  it('the own node name is local; a plain address never leaves', async () => {
    const got: Envelope[] = [];
    a.spawn('x', idle, { handle: (e) => void got.push(e) });
    a.send('node-a/x', { type: 'one' });
    assert.equal(a.trySend('x', { type: 'two' }), SendStatus.Sent);
    await a.deliver('node-a/x', { type: 'three' });
    await settle();
    assert.deepEqual(got.map((e) => e.type), ['one', 'two', 'three']);
    assert.equal(a.node, 'node-a');
  });

  it('forward() from a local ask to a remote actor: the answer reaches the asker; a remote refusal fails the ask', async () => {
    b.spawn('venue', idle, { handle: (e, ctx) => ctx.reply(e, { ack: e.payload, from: e.from }) });
    a.spawn('risk', idle, { handle: (e) => void a.forward(e, e.type === 'bad' ? 'node-b/nope' : 'node-b/venue', { type: 'order.submit', payload: e.payload }) });
    const r = await a.ask<{ ack: number; from: string }>('risk', { type: 'order.submit', payload: 7 });
    assert.deepEqual(r, { ack: 7, from: 'node-a/risk' });
    await assert.rejects(a.ask('risk', { type: 'bad' }), ActorNotFoundError);
  });

  it('publish: local subscribers count, every publish is offered to the port, the other node delivers to its own', async () => {
    const got: Envelope[] = [];
    b.spawn('md', idle, { handle: (e) => void got.push(e) });
    b.subscribe('md.>', 'md');
    assert.equal(a.publish('md.ticker.x', { type: 'md.ticker', payload: 1n }), 0);
    await settle();
    assert.equal(pa.published.length, 1);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.topic, 'md.ticker.x');
    assert.equal(got[0]!.payload, 1n);
  });

  it('a refused fire-and-forget send becomes a dead letter here with reason remote and the typed error', async () => {
    b.spawn('full', idle, { mailbox: { capacity: 1, policy: 'reject' }, init: () => new Promise(() => undefined) });
    const dead: { reason: string; error?: Error }[] = [];
    a.spawn('dl', idle, { handle: (e) => void dead.push(e.payload as (typeof dead)[number]) });
    a.subscribe(TOPIC_DEAD_LETTERS, 'dl');
    a.send('node-b/full', { type: 'one' });
    a.send('node-b/full', { type: 'two' });
    await settle();
    assert.equal(dead.length, 1);
    assert.equal(dead[0]!.reason, 'remote');
    assert.ok(dead[0]!.error instanceof MailboxFullError);
    assert.equal(a.deadLetters, 1);
  });

  it('after detachRemote a node-qualified address is a plain local one again', async () => {
    a.detachRemote();
    assert.equal(a.node, '');
    assert.equal(a.trySend('node-b/x', { type: 'x' }), SendStatus.DeadLetter);
    await assert.rejects(a.ask('node-b/x', { type: 'x' }), ActorNotFoundError);
  });

  it('routing table: a plain address without a local actor goes to the node the port names; a local actor wins', async () => {
    const atB: Envelope[] = [];
    b.spawn('exchange.sim-a', idle, { handle: (e, ctx) => { atB.push(e); if (e.replyTo !== '') ctx.reply(e, 'from-b'); } });
    pa.routes.set('exchange.sim-a', 'node-b');
    a.send('exchange.sim-a', { type: 'order.cancel', lane: 'control' });
    assert.equal(await a.ask('exchange.sim-a', { type: 'q' }), 'from-b');
    await a.deliver('exchange.sim-a', { type: 'd' });
    await settle();
    assert.deepEqual(atB.map((e) => e.type), ['order.cancel', 'q', 'd']);
    assert.equal(atB[0]!.lane, 'control');
    // a local actor at the same address takes precedence over the route
    const atA: Envelope[] = [];
    a.spawn('exchange.sim-a', idle, { handle: (e, ctx) => { atA.push(e); ctx.reply(e, 'from-a'); } });
    assert.equal(await a.ask('exchange.sim-a', { type: 'q' }), 'from-a');
    assert.equal(atB.length, 3);
  });

  it('trySend to this node\'s own name never throws on a full mailbox (same as trySend of the plain address)', () => {
    a.spawn('full', idle, { mailbox: { capacity: 1, policy: 'reject' }, init: () => new Promise(() => undefined) });
    assert.equal(a.trySend('node-a/full', { type: 'one' }), SendStatus.Sent);
    assert.equal(a.trySend('node-a/full', { type: 'two' }), SendStatus.Rejected);
    assert.throws(() => a.send('node-a/full', { type: 'three' }), MailboxFullError);
  });
});
