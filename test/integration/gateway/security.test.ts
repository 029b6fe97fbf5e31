import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { GatewayServer, type GatewayAddress } from '../../../gateway/index.js';
import { SimulatedClock } from '../../../common/clock.js';
import { EnginePortDouble } from '../../fixtures/gateway/engine-port-double.js';
import { parsePrometheus } from '../../fixtures/gateway/prometheus-parser.js';
import { TOKENS, TOKEN_CONFIG, TestClient } from '../../fixtures/gateway/ws-client.js';

const silent = pino({ level: 'silent' });

/** Opens `n` idle sockets from source address `from` (127.0.0.0/8 is all loopback on Linux), 50 at a time. */
async function flood(url: string, n: number, from: string, into: TestClient[]): Promise<void> {
  for (let done = 0; done < n; ) {
    const batch = Math.min(50, n - done);
    into.push(...(await Promise.all(Array.from({ length: batch }, () => TestClient.connect(url, { localAddress: from })))));
    done += batch;
  }
}

async function metric(base: string, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const p = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
  return p.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** GET with a chosen Host header (fetch does not let a caller set Host). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { host } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('gateway security (real sockets)', () => {
  const clients: TestClient[] = [];
  let gw: GatewayServer | null = null;

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await gw?.stop();
    gw = null;
  });

  async function start(options: Record<string, unknown>, deps: { clock?: SimulatedClock; logger?: Logger } = {}): Promise<{ addr: GatewayAddress; port: EnginePortDouble; base: string }> {
    const port = new EnginePortDouble();
    gw = new GatewayServer(port, { port: 0, tokens: TOKEN_CONFIG, ...options }, { logger: silent, ...deps });
    const addr = await gw.start();
    return { addr, port, base: `http://127.0.0.1:${addr.port}` };
  }

  describe('connection exhaustion', () => {
    it('a flood of idle sockets is capped per address and in total, /health and an admin still get in, and the idle ones are closed at the auth deadline', async () => {
      const clock = new SimulatedClock();
      const { addr, port, base } = await start({ limits: { maxConnections: 300, maxConnectionsPerIp: 100, reservedAdminConnections: 4, authDeadlineMs: 10_000 } }, { clock });
      const idle: TestClient[] = [];
      await flood(addr.api, 100, '127.0.0.1', idle);
      clients.push(...idle);
      // the 101st socket from the same address is refused at the upgrade with a typed 429
      await assert.rejects(TestClient.connect(addr.api, { localAddress: '127.0.0.1' }), /HTTP 429 .*"code":"GW_TOO_MANY_CONNECTIONS_PER_IP"/);
      await flood(addr.api, 100, '127.0.0.2', idle);
      await flood(addr.api, 96, '127.0.0.3', idle);
      clients.push(...idle.slice(100));
      assert.equal(gw!.stats().connections.ws, 296, 'every ordinary slot is taken');

      // an unauthenticated socket from a fresh address only gets a reserved slot: a non-admin token is not enough to keep it
      const squatter = await TestClient.connect(addr.api, { localAddress: '127.0.0.4' });
      clients.push(squatter);
      const asTrader = await squatter.request('authenticate', { token: TOKENS.trade });
      assert.equal(asTrader.error!.code, 'GW_ADMIN_SLOT');
      await squatter.closed();
      assert.deepEqual([squatter.closeCode, squatter.closeReason], [4003, 'GW_ADMIN_SLOT']);

      // /health is plain HTTP and still answers
      const health = await fetch(`${base}/health`);
      assert.equal(health.status, 200);
      // the admin comes from the flooded address itself, with its token in the header, and gets a reserved slot
      const admin = await TestClient.connect(addr.api, { localAddress: '127.0.0.1', headers: { authorization: `Bearer ${TOKENS.admin}` } });
      clients.push(admin);
      assert.equal((await admin.request('killSwitch.set', { state: 'HALTED' })).ok, true);
      assert.deepEqual(port.stateChangingCalls().map((c) => c.method), ['setKillSwitch']);
      // an admin authenticating in its first message also gets in
      const admin2 = await TestClient.connect(addr.api, { localAddress: '127.0.0.5' });
      clients.push(admin2);
      assert.equal((await admin2.request('authenticate', { token: TOKENS.admin })).ok, true);
      assert.equal(await metric(base, 'bot4_gateway_reserved_connections'), 2);
      assert.equal(await metric(base, 'bot4_gateway_errors_total', { code: 'GW_TOO_MANY_CONNECTIONS_PER_IP' }), 1);

      // the reserve is only for admins: with ordinary slots full, a reader's header does not get in
      await assert.rejects(TestClient.connect(addr.api, { localAddress: '127.0.0.6', headers: { authorization: `Bearer ${TOKENS.read}` } }), /HTTP 503 .*"code":"GW_TOO_MANY_CONNECTIONS"/);

      // none of the idle sockets authenticated: the deadline closes every one of them with a typed close
      clock.advance(10_000);
      await Promise.all(idle.map((c) => c.closed()));
      assert.ok(idle.every((c) => c.closeCode === 4001 && c.closeReason === 'GW_AUTH_TIMEOUT'));
      assert.equal(admin.closeCode, null);
      assert.equal(admin2.closeCode, null);
      assert.equal(await metric(base, 'bot4_gateway_auth_closes_total', { reason: 'deadline' }), 296);
      assert.equal(await metric(base, 'bot4_gateway_connections', { endpoint: 'ws' }), 2);
      // and the slots are free again
      const later = await TestClient.connect(addr.api, { localAddress: '127.0.0.1' });
      clients.push(later);
      assert.equal((await later.request('ping')).ok, true);
    });

    it('sockets authenticated by message or by header are not closed at the deadline', async () => {
      const clock = new SimulatedClock();
      const { addr } = await start({ limits: { authDeadlineMs: 1000 } }, { clock });
      const reader = await TestClient.connect(addr.api);
      const byHeader = await TestClient.connect(addr.api, { headers: { authorization: `Bearer ${TOKENS.trade}` } });
      const anon = await TestClient.connect(addr.api);
      clients.push(reader, byHeader, anon);
      assert.equal((await reader.request('authenticate', { token: TOKENS.read })).ok, true);
      clock.advance(1000);
      await anon.closed();
      assert.equal(anon.closeCode, 4001);
      assert.equal((await reader.request('status.get')).ok, true);
      assert.equal((await byHeader.request('status.get')).ok, true);
    });
  });

  describe('cross-site requests', () => {
    it('refuses a foreign Origin (even with a valid token), allows same-origin and configured origins', async () => {
      const { addr } = await start({ allowedOrigins: ['https://dash.example.com'] });
      const admin = { authorization: `Bearer ${TOKENS.admin}` };
      await assert.rejects(TestClient.connect(addr.api, { origin: 'https://evil.example', headers: admin }), /HTTP 403 .*"code":"GW_ORIGIN_FORBIDDEN"/);
      await assert.rejects(TestClient.connect(addr.api, { origin: 'null' }), /HTTP 403 .*GW_ORIGIN_FORBIDDEN/);
      // same host but another scheme or port is another origin
      await assert.rejects(TestClient.connect(addr.api, { origin: `https://127.0.0.1:${addr.port}` }), /GW_ORIGIN_FORBIDDEN/);
      await assert.rejects(TestClient.connect(addr.api, { origin: `http://127.0.0.1:${addr.port + 1}` }), /GW_ORIGIN_FORBIDDEN/);
      await assert.rejects(TestClient.connect(addr.feed, { origin: 'https://evil.example', headers: { authorization: `Bearer ${TOKENS.feed}` } }), /GW_ORIGIN_FORBIDDEN/);
      const same = await TestClient.connect(addr.api, { origin: `http://127.0.0.1:${addr.port}` });
      const listed = await TestClient.connect(addr.api, { origin: 'https://dash.example.com' });
      const noOrigin = await TestClient.connect(addr.api, { headers: admin });
      clients.push(same, listed, noOrigin);
      for (const c of [same, listed, noOrigin]) assert.equal((await c.request('ping')).ok, true);
    });

    it('refuses a Host that does not name the server (DNS rebinding) on upgrades and on plain HTTP', async () => {
      const { addr, base } = await start({ allowedHosts: ['bot4.internal'] });
      await assert.rejects(TestClient.connect(addr.api, { headers: { host: `evil.example:${addr.port}` } }), /HTTP 403 .*"code":"GW_HOST_FORBIDDEN"/);
      // a rebinding page is same-origin with itself: its Origin matches its Host, and the Host check still stops it
      await assert.rejects(TestClient.connect(addr.api, { headers: { host: `evil.example:${addr.port}` }, origin: `http://evil.example:${addr.port}` }), /GW_HOST_FORBIDDEN/);
      for (const p of ['/health', '/metrics', '/health/live', '/nope']) {
        const r = await getWithHost(`${base}${p}`, `evil.example:${addr.port}`);
        assert.equal(r.status, 403, p);
        assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'GW_HOST_FORBIDDEN');
      }
      assert.equal((await getWithHost(`${base}/health`, `localhost:${addr.port}`)).status, 200);
      assert.equal((await getWithHost(`${base}/health`, `bot4.internal:${addr.port}`)).status, 200);
      assert.equal((await fetch(`${base}/health`)).status, 200);
      const viaName = await TestClient.connect(addr.api, { headers: { host: `localhost:${addr.port}` }, origin: `http://localhost:${addr.port}` });
      clients.push(viaName);
      assert.equal((await viaName.request('ping')).ok, true);
    });

    it('refuses a token in the URL query string, valid or not, and grants nothing', async () => {
      const { addr, port } = await start({});
      await assert.rejects(TestClient.connect(`${addr.api}?token=${TOKENS.admin}`), /HTTP 400 .*"code":"GW_TOKEN_IN_URL"/);
      await assert.rejects(TestClient.connect(`${addr.api}?x=1&token=`), /GW_TOKEN_IN_URL/);
      // the two ways that remain: the header at the upgrade, or the first message
      const header = await TestClient.connect(addr.api, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
      const message = await TestClient.connect(addr.api);
      clients.push(header, message);
      assert.equal((await header.request('strategy.start', { id: 'mm' })).ok, true);
      assert.equal((await message.request('authenticate', { token: TOKENS.admin })).ok, true);
      assert.equal(port.stateChangingCalls().length, 1);
    });
  });

  describe('token guessing', () => {
    it('a guessing client is throttled and closed after maxAuthFailures, and only a handful of guesses are ever checked', async () => {
      const clock = new SimulatedClock();
      const { addr, base } = await start({ limits: { maxAuthFailures: 5, authFailureDelayMs: 250, authFailuresPerIpPerMin: 30, authFailureBurstPerIp: 10 } }, { clock });
      const c = await TestClient.connect(addr.api);
      clients.push(c);
      // the attack: a burst of wrong tokens on one connection, not waiting for replies
      for (let i = 0; i < 200; i++) c.sendRaw(JSON.stringify({ v: 1, id: i, op: 'authenticate', args: { token: `guess-${String(i).padStart(12, '0')}` } }));
      await c.closed();
      assert.deepEqual([c.closeCode, c.closeReason], [4002, 'GW_TOO_MANY_AUTH_FAILURES']);
      const codes = c.messages.map((m) => m.error?.code);
      assert.deepEqual(codes, ['GW_AUTH_FAILED', 'GW_AUTH_FAILED', 'GW_AUTH_THROTTLED', 'GW_AUTH_THROTTLED', 'GW_AUTH_THROTTLED']);
      assert.equal(c.messages[2]!.error!.details!.retryAfterMs, 250);
      assert.equal(await metric(base, 'bot4_gateway_auth_failures_total', { reason: 'bad_token' }), 2);
      assert.equal(await metric(base, 'bot4_gateway_auth_failures_total', { reason: 'throttled' }), 3);
      assert.equal(await metric(base, 'bot4_gateway_auth_closes_total', { reason: 'failures' }), 1);

      // new connections from the same address share its budget: after 10 failures in all, even the right token is refused unseen
      let checked = 2;
      for (let conn = 0; conn < 20; conn++) {
        const g = await TestClient.connect(addr.api);
        clients.push(g);
        const r = await g.request('authenticate', { token: `guess-conn-${String(conn).padStart(8, '0')}` });
        if (r.error!.code === 'GW_AUTH_FAILED') checked++;
        else assert.equal(r.error!.code, 'GW_AUTH_THROTTLED');
        g.close();
      }
      assert.equal(checked, 10, 'the per-address bucket holds 10 failures');
      const owner = await TestClient.connect(addr.api);
      clients.push(owner);
      assert.equal((await owner.request('authenticate', { token: TOKENS.admin })).error!.code, 'GW_AUTH_THROTTLED');
      await assert.rejects(TestClient.connect(addr.api, { headers: { authorization: `Bearer ${TOKENS.admin}` } }), /HTTP 429 .*GW_AUTH_THROTTLED/);
      // another address is not affected
      const elsewhere = await TestClient.connect(addr.api, { localAddress: '127.0.0.2' });
      clients.push(elsewhere);
      assert.equal((await elsewhere.request('authenticate', { token: TOKENS.admin })).ok, true);
      // the bucket refills with the gateway's clock: 30 a minute, so one try after 2 s
      clock.advance(2000);
      const back = await TestClient.connect(addr.api);
      clients.push(back);
      assert.equal((await back.request('authenticate', { token: TOKENS.admin })).ok, true);
      assert.equal(await metric(base, 'bot4_gateway_auth_failures_total', { reason: 'bad_token' }), 10);
    });

    it('a failed re-authenticate drops the earlier role and its subscriptions', async () => {
      const clock = new SimulatedClock();
      const { addr, port } = await start({ limits: { authDeadlineMs: 5000 } }, { clock });
      const c = await TestClient.connect(addr.api);
      clients.push(c);
      assert.equal((await c.request('authenticate', { token: TOKENS.admin })).ok, true);
      assert.equal((await c.request('subscribe', { topics: ['orders'] })).ok, true);
      const bad = await c.request('authenticate', { token: 'wrong-token-wrong-token' });
      assert.equal(bad.error!.code, 'GW_AUTH_FAILED');
      assert.equal((await c.request('killSwitch.set', { state: 'HALTED' })).error!.code, 'GW_UNAUTHENTICATED');
      assert.equal((await c.request('status.get')).error!.code, 'GW_UNAUTHENTICATED');
      assert.deepEqual(port.stateChangingCalls(), []);
      port.emit('orders', { n: 1 });
      assert.equal((await c.request('ping')).ok, true); // the event, had it been sent, would arrive before this reply
      assert.equal(c.messages.filter((m) => m.topic === 'orders').length, 0, 'no events after the role is gone');
      // a malformed authenticate drops the role as well
      assert.equal((await c.request('authenticate', { token: TOKENS.read })).ok, true);
      assert.equal((await c.request('authenticate', { token: '' })).error!.code, 'GW_BAD_REQUEST');
      assert.equal((await c.request('status.get')).error!.code, 'GW_UNAUTHENTICATED');
      // unauthenticated again: the deadline applies again
      clock.advance(5000);
      await c.closed();
      assert.equal(c.closeCode, 4001);
    });
  });

  describe('binding to a public address', () => {
    function capture(): { logger: Logger; lines: Record<string, unknown>[] } {
      const lines: Record<string, unknown>[] = [];
      const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
      return { logger, lines };
    }
    const warned = (lines: Record<string, unknown>[]): Record<string, unknown>[] => lines.filter((l) => l.code === 'B4_GATEWAY_PLAINTEXT_PUBLIC');

    it('warns with B4_GATEWAY_PLAINTEXT_PUBLIC when serving plaintext on a non-loopback address, not on loopback', async () => {
      // the one place a test binds beyond loopback: the warning is about exactly that (no tokens, stopped at once)
      const pub = capture();
      const { addr } = await start({ host: '0.0.0.0', tokens: [] }, { logger: pub.logger });
      await gw!.stop();
      const w = warned(pub.lines);
      assert.equal(w.length, 1);
      assert.equal(w[0]!.level, 40);
      assert.equal(w[0]!.host, '0.0.0.0');
      assert.equal(w[0]!.port, addr.port);
      assert.match(String(w[0]!.msg), /WITHOUT TLS/);
      const loop = capture();
      await start({}, { logger: loop.logger });
      assert.deepEqual(warned(loop.lines), []);
      assert.ok(loop.lines.some((l) => l.msg === 'gateway listening'), 'the capture does see the gateway log');
    });

    it('does not warn when TLS is configured', async () => {
      // the committed test-only certificate (test/fixtures/tls/README.md)
      const dir = fileURLToPath(new URL('../../fixtures/tls/', import.meta.url));
      const cap = capture();
      await start({ host: '0.0.0.0', tokens: [], tls: { certFile: path.join(dir, 'cert.pem'), keyFile: path.join(dir, 'key.pem') } }, { logger: cap.logger });
      assert.ok(cap.lines.some((l) => l.msg === 'gateway listening'));
      assert.deepEqual(warned(cap.lines), []);
    });
  });
});
