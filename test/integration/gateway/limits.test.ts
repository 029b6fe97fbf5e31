import assert from 'node:assert/strict';
import { pino } from 'pino';
import { GatewayServer, type GatewayAddress } from '../../../gateway/index.js';
import { SimulatedClock } from '../../../common/clock.js';
import { EnginePortDouble } from '../../fixtures/gateway/engine-port-double.js';
import { TOKENS, TOKEN_CONFIG, TestClient } from '../../fixtures/gateway/ws-client.js';

const silent = pino({ level: 'silent' });
const MAX_BP = 64 * 1024;
const PAYLOAD = 'x'.repeat(1000);

async function slowConsumerRun(policy: 'drop' | 'disconnect'): Promise<{ gw: GatewayServer; slow: TestClient; healthy: TestClient; published: number; stop: () => Promise<void> }> {
  const port = new EnginePortDouble();
  const gw = new GatewayServer(port, { port: 0, tokens: TOKEN_CONFIG, slowConsumerPolicy: policy, limits: { maxBackpressureBytes: MAX_BP, slowConsumerCheckMs: 10 } }, { logger: silent });
  const addr: GatewayAddress = await gw.start();
  const auth = { headers: { authorization: `Bearer ${TOKENS.read}` } };
  const slow = await TestClient.connect(addr.api, auth);
  const healthy = await TestClient.connect(addr.api, auth);
  await slow.request('subscribe', { topics: ['fills'] });
  await healthy.request('subscribe', { topics: ['fills'] });
  slow.ws.pause(); // stops reading its socket: the kernel buffers fill, then uWS's
  // ~24 MB in 1 KB events: far more than loopback socket buffers hold; yield between batches so
  // the healthy client and the sweep run
  let published = 0;
  for (let batch = 0; batch < 240; batch++) {
    for (let i = 0; i < 100; i++) port.emit('fills', { n: published++, pad: PAYLOAD });
    await new Promise((r) => setImmediate(r));
  }
  return { gw, slow, healthy, published, stop: () => gw.stop() };
}

describe('gateway limits (real sockets)', () => {
  it('rate-limits per connection with the injected clock, then closes with 1008 after repeated abuse', async () => {
    const clock = new SimulatedClock();
    const port = new EnginePortDouble();
    const gw = new GatewayServer(port, { port: 0, limits: { messagesPerSec: 10, burst: 3, maxRateStrikes: 3 } }, { logger: silent, clock });
    const addr = await gw.start();
    try {
      const c = await TestClient.connect(addr.api);
      for (let i = 0; i < 3; i++) assert.equal((await c.request('ping')).ok, true);
      const limited = await c.request('ping');
      assert.equal(limited.error!.code, 'GW_RATE_LIMITED');
      assert.equal(typeof limited.id, 'string', 'the refusal carries the request id');
      clock.advance(100); // one token back at 10/s
      assert.equal((await c.request('ping')).ok, true);
      assert.equal((await c.request('ping')).error!.code, 'GW_RATE_LIMITED');
      c.sendRaw('garbage');
      const g = await c.waitFor((m) => m.id === null);
      assert.equal(g.error!.code, 'GW_RATE_LIMITED', 'malformed frames are rate limited too');
      await c.closed();
      assert.equal(c.closeCode, 1008);
      assert.equal(c.closeReason, 'rate limit exceeded');
      const again = await TestClient.connect(addr.api);
      assert.equal((await again.request('ping')).ok, true, 'other connections have their own bucket');
      again.close();
    } finally {
      await gw.stop();
    }
  });

  it('drop policy: a client that stops reading costs at most maxBackpressure; messages are dropped, the socket stays', async () => {
    const { gw, slow, healthy, published, stop } = await slowConsumerRun('drop');
    try {
      // the sweep keeps seeing the stalled socket; wait (bounded) until it has counted it
      for (let i = 0; i < 200 && gw.stats().slowConsumerEpisodes === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const s = gw.stats();
      assert.ok(s.slowConsumerEpisodes >= 1, 'episode counted');
      assert.ok(s.maxBufferedSeen >= MAX_BP / 2, `buffer did fill (${s.maxBufferedSeen})`);
      assert.ok(s.maxBufferedSeen <= MAX_BP + 2 * PAYLOAD.length, `buffered ${s.maxBufferedSeen} exceeds the bound`);
      assert.ok(s.maxBufferedBytes <= MAX_BP + 2 * PAYLOAD.length);
      assert.equal(s.slowConsumerDisconnects, 0);
      assert.equal(slow.closeCode, null);
      slow.ws.resume();
      // a reply sent while the socket is over the limit would be dropped too: wait until it drained
      for (let i = 0; i < 500 && gw.stats().bufferedBytes > 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal((await slow.request('ping')).ok, true, 'the slow consumer recovers once it reads again');
      const got = slow.messages.filter((m) => m.topic === 'fills').length;
      assert.ok(got < published, `slow consumer got ${got} of ${published}: nothing was dropped`);
      assert.ok(healthy.messages.some((m) => m.topic === 'fills'));
      assert.equal(healthy.closeCode, null);
      const text = await (await fetch(`http://127.0.0.1:${gw.listeningPort}/metrics`)).text();
      assert.match(text, /^bot4_gateway_slow_consumer_episodes_total [1-9]\d*$/m);
    } finally {
      slow.close();
      healthy.close();
      await stop();
    }
  });

  it('disconnect policy: the stalled client is closed, memory stays bounded, others stay', async () => {
    const { gw, slow, healthy, stop } = await slowConsumerRun('disconnect');
    try {
      slow.ws.resume();
      await slow.closed(10_000);
      assert.ok(slow.closeCode === 1008 || slow.closeCode === 1006, `close code ${slow.closeCode}`);
      const s = gw.stats();
      assert.ok(s.maxBufferedSeen <= MAX_BP + 2 * PAYLOAD.length, `buffered ${s.maxBufferedSeen} exceeds the bound`);
      assert.equal(s.connections.ws, 1);
      assert.equal((await healthy.request('ping')).ok, true);
    } finally {
      healthy.close();
      await stop();
    }
  });
});
