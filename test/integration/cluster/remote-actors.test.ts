import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setup } from 'xstate';
import { ActorNotFoundError, ActorSystem, AskTimeoutError, MailboxFullError, TOPIC_DEAD_LETTERS, type Envelope } from '../../../actors/runtime/index.js';
import { connect } from '@nats-io/transport-node';
import { ClusterConnectError, CodecUnsupportedError, NatsRemoteTransport, RemoteDisconnectedError, RemoteFailedError, RemoteNodeUnknownError, RemoteOutcomeUnknownError, RemotePayloadTooLargeError, decode } from '../../../cluster/index.js';
import { startNatsServer, type NatsServerHandle } from '../../fixtures/nats/nats-server.js';

// Two nodes in two processes over a real nats-server: node-a is this test's ActorSystem, node-b a
// child process (test/fixtures/cluster/remote-node.ts) with echo/slow/gate/collector actors.
const NODE_B = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/cluster/remote-node.ts');
const idle = setup({ types: { events: {} as { type: string } } }).createMachine({ id: 'idle' });
const TRACE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** Polls `check` every 50 ms until it returns true (bounded: `tries`). */
async function until(check: () => boolean | Promise<boolean>, what: string, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

function startNodeB(url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', NODE_B, url, 'node-b'], { stdio: ['pipe', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`node-b not ready:\n${out}`)), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node-b exited (${code}):\n${out}`));
    });
  });
}

describe('cluster: remote actors over NATS (two processes, real nats-server)', function () {
  this.timeout(90_000);
  let server: NatsServerHandle;
  let child: ChildProcess | undefined;
  let system: ActorSystem;
  let transport: NatsRemoteTransport;
  const inbox: Envelope[] = [];
  const deadLetters: { envelope: Envelope; reason: string; error?: Error }[] = [];

  before(async () => {
    server = await startNatsServer();
    child = await startNodeB(server.url);
    system = new ActorSystem({ name: 'node-a' });
    system.spawn('inbox', idle, { handle: (e) => void inbox.push(e) });
    system.subscribe('orders.>', 'inbox');
    system.spawn('dead', idle, { handle: (e) => void deadLetters.push(e.payload as (typeof deadLetters)[number]) });
    system.subscribe(TOPIC_DEAD_LETTERS, 'dead');
    transport = await NatsRemoteTransport.start(system, { node: 'node-a', servers: server.url, exportTopics: ['md.>'], importTopics: ['orders.>'], reconnectTimeWaitMs: 100, sendTimeoutMs: 5_000 });
  });

  after(async () => {
    await transport?.close().catch(() => undefined);
    await system?.shutdown();
    if (child !== undefined && child.exitCode === null) {
      const c = child;
      await new Promise<void>((r) => {
        const hard = setTimeout(() => c.kill('SIGKILL'), 5_000);
        c.once('exit', () => { clearTimeout(hard); r(); });
        c.kill('SIGTERM');
      });
    }
    await server?.dispose();
  });

  it('ask crosses to node-b and back, bigint money fields intact', async () => {
    const payload = { feeAtoms: -(10n ** 30n) - 7n, qtyLots: 3, note: 'x' };
    const r = await system.ask<{ payload: typeof payload; from: string }>('node-b/echo', { type: 'echo', payload }, { timeoutMs: 10_000 });
    assert.deepEqual(r.payload, payload);
    assert.equal(typeof r.payload.feeAtoms, 'bigint');
    // an ask from outside any actor has no sender
    assert.equal(r.from, '');
  });

  it('send reaches a remote actor with a node-qualified sender, which can send back (ctx.send to e.from)', async () => {
    system.spawn('pinger', idle, { handle: (e, ctx) => { if (e.type === 'go') ctx.send('node-b/collector', { type: 'ping', payload: 42n }); else inbox.push(e); } });
    system.send('pinger', { type: 'go' });
    await until(() => inbox.some((e) => e.type === 'pong'), 'the pong from node-b');
    const pong = inbox.find((e) => e.type === 'pong')!;
    assert.equal(pong.payload, 42n);
    assert.equal(pong.from, 'node-b/collector');
    assert.equal(pong.to, 'pinger');
  });

  it('deliver() resolves once node-b enqueued it', async () => {
    await system.deliver('node-b/echo', { type: 'noop' });
  });

  it('publish crosses for exported/imported topics, both ways, to the subscribers of the other node', async () => {
    const n = system.publish('md.ticker.sim.BTCUSDT', { type: 'md.ticker', payload: { bidTicks: 100, volumeAtoms: 123456789012345678901234567890n } });
    assert.equal(n, 0, 'no local subscriber');
    system.publish('fills.not-exported', { type: 'x' });
    await until(async () => (await system.ask<unknown[]>('node-b/collector', { type: 'collector.get' })).length > 0, 'node-b to get the ticker');
    const got = await system.ask<{ topic: string; payload: { volumeAtoms: bigint } }[]>('node-b/collector', { type: 'collector.get' });
    assert.equal(got.length, 1, 'only the exported topic crossed');
    assert.equal(got[0]!.topic, 'md.ticker.sim.BTCUSDT');
    assert.equal(got[0]!.payload.volumeAtoms, 123456789012345678901234567890n);
    // node-b publishes orders.mm (exported there, imported here)
    await system.ask('node-b/announcer', { type: 'go', payload: 'mm' });
    await until(() => inbox.some((e) => e.topic === 'orders.mm'), 'orders.mm from node-b');
    assert.equal(inbox.find((e) => e.topic === 'orders.mm')!.payload && (inbox.find((e) => e.topic === 'orders.mm')!.payload as { n: bigint }).n, 1n << 64n);
  });

  it('traceparent travels in the NATS headers: the remote handler runs in the same trace', async () => {
    const r = await system.ask<{ traceparent: string; handling: string }>('node-b/echo', { type: 'echo', payload: 1, traceparent: TRACE });
    assert.equal(r.traceparent, TRACE);
    assert.equal(r.handling.slice(3, 35), TRACE.slice(3, 35), 'same trace id in the remote handling context');
    // and an actor's send inherits its handler's context across the hop
    const seen: string[] = [];
    system.spawn('tracer', idle, { handle: async (e, ctx) => { if (e.type === 'go') { const x = await system.ask<{ traceparent: string }>('node-b/echo', { type: 'echo' }); seen.push(x.traceparent); } void ctx; } });
    system.send('tracer', { type: 'go', traceparent: TRACE });
    await until(() => seen.length === 1, 'the traced ask from inside a handler');
    assert.equal(seen[0], TRACE);
  });

  it('a full mailbox at node-b is B4_MAILBOX_FULL here (reject policy applied by the receiver), and the fire-and-forget send dead-letters with it', async () => {
    await system.deliver('node-b/gate', { type: 'one' });
    await system.deliver('node-b/gate', { type: 'two' });
    await assert.rejects(system.deliver('node-b/gate', { type: 'three' }), (e: unknown) => e instanceof MailboxFullError && e.code === 'B4_MAILBOX_FULL' && (e.details as { to: string; capacity: number }).to === 'node-b/gate' && (e.details as { capacity: number }).capacity === 2);
    await assert.rejects(system.ask('node-b/gate', { type: 'four' }), MailboxFullError);
    const before = deadLetters.length;
    system.send('node-b/gate', { type: 'five' });
    await until(() => deadLetters.length > before, 'the dead letter of the overflowing send');
    const d = deadLetters.at(-1)!;
    assert.equal(d.reason, 'remote');
    assert.ok(d.error instanceof MailboxFullError);
    assert.equal(d.envelope.type, 'five');
    await system.ask('node-b/control', { type: 'gate.open' });
  });

  it('an ask nobody answers is B4_ASK_TIMEOUT', async () => {
    await assert.rejects(system.ask('node-b/slow', { type: 'wait' }, { timeoutMs: 300 }), (e: unknown) => e instanceof AskTimeoutError && e.code === 'B4_ASK_TIMEOUT');
    assert.equal(transport.inFlight, 0);
  });

  it('an unknown address on node-b is B4_ACTOR_NOT_FOUND; an unknown node is B4_REMOTE_NODE_UNKNOWN', async () => {
    await assert.rejects(system.ask('node-b/nope', { type: 'x' }), (e: unknown) => e instanceof ActorNotFoundError && (e.details as { address: string }).address === 'node-b/nope');
    await assert.rejects(system.deliver('node-b/nope', { type: 'x' }), ActorNotFoundError);
    await assert.rejects(system.ask('node-z/echo', { type: 'x' }), (e: unknown) => e instanceof RemoteNodeUnknownError && e.code === 'B4_REMOTE_NODE_UNKNOWN');
    await assert.rejects(system.deliver('node-z/echo', { type: 'x' }), RemoteNodeUnknownError);
    // a node's own name is local
    const r = await system.deliver('node-a/inbox', { type: 'self' });
    assert.equal(r, undefined);
  });

  it('values that cannot cross: B4_CODEC_UNSUPPORTED here before sending; a reply node-b cannot encode arrives as B4_REMOTE_FAILED', async () => {
    await assert.rejects(system.deliver('node-b/echo', { type: 'x', payload: { f: new Set([1]) } }), (e: unknown) => e instanceof CodecUnsupportedError && e.code === 'B4_CODEC_UNSUPPORTED');
    await assert.rejects(system.ask('node-b/echo', { type: 'x', payload: () => 1 }), CodecUnsupportedError);
    await assert.rejects(system.ask('node-b/bad', { type: 'x' }), (e: unknown) => e instanceof RemoteFailedError && e.code === 'B4_REMOTE_FAILED' && (e.details as { remoteCode: string }).remoteCode === 'B4_CODEC_UNSUPPORTED');
  });

  it('over max_payload: B4_REMOTE_PAYLOAD_TOO_LARGE for a request (not sent) and for a reply (answered with the error instead)', async () => {
    const huge = 'x'.repeat(2 * 1024 * 1024);
    await assert.rejects(system.deliver('node-b/echo', { type: 'x', payload: huge }), (e: unknown) => e instanceof RemotePayloadTooLargeError && e.code === 'B4_REMOTE_PAYLOAD_TOO_LARGE');
    await assert.rejects(system.ask('node-b/big', { type: 'x' }, { timeoutMs: 10_000 }), (e: unknown) => e instanceof RemoteFailedError && (e.details as { remoteCode: string }).remoteCode === 'B4_REMOTE_PAYLOAD_TOO_LARGE');
    assert.equal(transport.inFlight, 0);
  });

  it('garbage on a node subject is answered B4_CODEC_MALFORMED; a node that takes a send but never acknowledges it is B4_REMOTE_OUTCOME_UNKNOWN (ack-timeout)', async () => {
    const raw = await connect({ servers: server.url });
    const sys2 = new ActorSystem({ name: 'node-c' });
    let t2: NatsRemoteTransport | undefined;
    try {
      const r = await raw.request('bot4.node.node-b', new TextEncoder().encode('not json'), { timeout: 5_000 });
      assert.equal((decode(r.data) as { e: { code: string } }).e.code, 'B4_CODEC_MALFORMED');
      // a subscriber on node-silent's subject that swallows everything
      raw.subscribe('bot4.node.node-silent', { callback: () => undefined });
      await raw.flush();
      t2 = await NatsRemoteTransport.start(sys2, { node: 'node-c', servers: server.url, sendTimeoutMs: 200 });
      await assert.rejects(sys2.deliver('node-silent/x', { type: 'x', correlationId: 'c-7' }), (e: unknown) => e instanceof RemoteOutcomeUnknownError && (e.details as { reason: string; correlationId: string }).reason === 'ack-timeout' && (e.details as { correlationId: string }).correlationId === 'c-7');
    } finally {
      await t2?.close();
      await sys2.shutdown();
      await raw.close();
    }
  });

  it('the connection closing under a send (before its state changed): B4_REMOTE_OUTCOME_UNKNOWN (closed), nothing left pending', async () => {
    const sys5 = new ActorSystem({ name: 'node-e' });
    const t5 = await NatsRemoteTransport.start(sys5, { node: 'node-e', servers: server.url });
    try {
      const nc = (t5 as unknown as { conn: { nc: { close(): Promise<void> } } }).conn.nc;
      const closing = nc.close();
      assert.equal(t5.state, 'connected', 'the state has not changed yet');
      // the client may already have flushed it: the outcome is unknown, and said so
      await assert.rejects(sys5.deliver('node-b/echo', { type: 'x' }), (e: unknown) => e instanceof RemoteOutcomeUnknownError && (e.details as { reason: string }).reason === 'closed');
      assert.equal(t5.inFlight, 0);
      await closing;
    } finally {
      await t5.close();
      await sys5.shutdown();
    }
  });

  it('no server at the URL: B4_CLUSTER_CONNECT', async () => {
    const sys3 = new ActorSystem({ name: 'node-d' });
    await assert.rejects(NatsRemoteTransport.start(sys3, { node: 'node-d', servers: 'nats://127.0.0.1:1', maxReconnectAttempts: 0 }), (e: unknown) => e instanceof ClusterConnectError && e.code === 'B4_CLUSTER_CONNECT');
    assert.equal(sys3.node, '', 'nothing attached');
    await sys3.shutdown();
  });

  it('server goes away: in-flight asks fail B4_REMOTE_OUTCOME_UNKNOWN, new ones B4_REMOTE_DISCONNECTED; after it returns, asks work again', async () => {
    const inflight = system.ask('node-b/slow', { type: 'wait' }, { timeoutMs: 60_000 });
    const inflightSend = system.deliver('node-b/slow', { type: 'wait' });
    const settled = Promise.allSettled([inflight, inflightSend]);
    await until(() => transport.inFlight >= 1, 'the ask to be in flight');
    await server.stop();
    const [a] = await settled;
    assert.equal(a.status, 'rejected');
    assert.ok((a as PromiseRejectedResult).reason instanceof RemoteOutcomeUnknownError, String((a as PromiseRejectedResult).reason));
    assert.equal(((a as PromiseRejectedResult).reason as RemoteOutcomeUnknownError).details!.reason, 'disconnected');
    assert.equal(transport.state, 'reconnecting');
    await assert.rejects(system.ask('node-b/echo', { type: 'echo' }), (e: unknown) => e instanceof RemoteDisconnectedError && e.code === 'B4_REMOTE_DISCONNECTED');
    assert.equal(transport.inFlight, 0, 'nothing left hanging');
    // an exported publish while disconnected is dropped and counted, as a publish to a full mailbox is
    const dropped = transport.stats().publishDropped;
    system.publish('md.ticker.sim.ETHUSDT', { type: 'md.ticker', payload: 1 });
    assert.equal(transport.stats().publishDropped, dropped + 1);
    await server.restart();
    await until(() => transport.state === 'connected', 'node-a to reconnect');
    // node-b reconnects on its own schedule: retry (bounded) until it answers again
    let answer: unknown;
    await until(async () => {
      try {
        answer = await system.ask('node-b/echo', { type: 'echo', payload: 'back' }, { timeoutMs: 1_000 });
        return true;
      } catch {
        return false;
      }
    }, 'node-b to answer after the restart', 100);
    assert.deepEqual((answer as { payload: string }).payload, 'back');
  });
});
