import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setup } from 'xstate';
import { ActorSystem, ActorTracing } from '../../../actors/runtime/index.js';
import { NatsRemoteTransport } from '../../../cluster/index.js';
import { startNatsServer, type NatsServerHandle } from '../../fixtures/nats/nats-server.js';
import { OtlpReceiver } from '../../fixtures/otlp/otlp-receiver.js';

// One trace across two processes: node A's and node B's OpenTelemetry adapters (each its own
// ActorTracing, exporting to one OTLP receiver) chain their `actor.handle` spans through the
// traceparent the transport carries in NATS headers.
const NODE_B = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/cluster/remote-node.ts');
const idle = setup({ types: { events: {} as { type: string } } }).createMachine({ id: 'idle' });

describe('cluster: a trace spans both nodes (OTLP spans from two processes)', function () {
  this.timeout(60_000);
  let server: NatsServerHandle;
  let receiver: OtlpReceiver;
  let child: ChildProcess | undefined;

  before(async () => {
    server = await startNatsServer();
    receiver = await OtlpReceiver.start();
  });
  after(async () => {
    if (child !== undefined && child.exitCode === null) {
      const c = child;
      await new Promise<void>((r) => {
        const hard = setTimeout(() => c.kill('SIGKILL'), 5_000);
        c.once('exit', () => { clearTimeout(hard); r(); });
        c.kill('SIGTERM');
      });
    }
    await receiver?.close();
    await server?.dispose();
  });

  it('A handles signal → B handles ping → A handles pong: three spans, one trace, parent chain across the hop', async () => {
    const c = spawn(process.execPath, ['--import', 'tsx', NODE_B, server.url, 'node-b'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, BOT4_TEST_OTLP: receiver.url } });
    child = c;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`node-b not ready:\n${out}`)), 30_000);
      c.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      c.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      c.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`node-b exited (${code}):\n${out}`));
      });
    });
    const tracing = new ActorTracing({ endpoint: receiver.url, samplingRatio: 1, scheduledDelayMillis: 20, serviceName: 'node-a', system: 'node-a' });
    const system = new ActorSystem({ name: 'node-a' });
    const transport = await NatsRemoteTransport.start(system, { node: 'node-a', servers: server.url });
    let pong = false;
    try {
      system.spawn('strategy.a', idle, {
        handle: (e, ctx) => {
          if (e.type === 'signal') ctx.send('node-b/collector', { type: 'ping', payload: 1 });
          else if (e.type === 'pong') pong = true;
        },
      });
      system.send('strategy.a', { type: 'signal' });
      for (let i = 0; i < 400 && !pong; i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(pong, 'the pong came back');
      await tracing.flush();
      for (let i = 0; i < 400 && receiver.spans.filter((s) => s.service === 'node-b').length < 1; i++) await new Promise((r) => setTimeout(r, 25));
    } finally {
      await transport.close();
      await system.shutdown();
      await tracing.shutdown();
    }
    const find = (service: string, name: string) => receiver.spans.find((s) => s.service === service && s.name === name);
    const signal = find('node-a', 'actor.handle signal');
    const ping = find('node-b', 'actor.handle ping');
    const back = find('node-a', 'actor.handle pong');
    assert.ok(signal && ping && back, JSON.stringify(receiver.spans.map((s) => [s.service, s.name])));
    assert.equal(signal.parentSpanId, '', 'the signal is the root');
    assert.equal(ping.traceId, signal.traceId, 'node B joined node A\'s trace');
    assert.equal(ping.parentSpanId, signal.spanId, 'B\'s handling span is a child of A\'s');
    assert.equal(ping.attributes['actor.message.from'], 'node-a/strategy.a');
    assert.equal(back.traceId, signal.traceId);
    assert.equal(back.parentSpanId, ping.spanId, 'and back again');
  });
});
