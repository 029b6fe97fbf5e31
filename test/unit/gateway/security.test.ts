import assert from 'node:assert/strict';
import { ConfigError } from '../../../common/errors.js';
import { SimulatedClock } from '../../../common/clock.js';
import { parseGatewayOptions } from '../../../gateway/options.js';
import { HostPolicy, OriginPolicy, isLoopbackHost } from '../../../gateway/access.js';
import { ConnectionSlots } from '../../../gateway/admission.js';
import { AuthThrottle } from '../../../gateway/auth-throttle.js';

const admin = { name: 'a', roles: ['admin'] as const };
const reader = { name: 'r', roles: ['read'] as const };

describe('gateway security options', () => {
  it('names field, expectation and value for the new options', () => {
    const bad: [unknown, string][] = [
      [{ limits: { authDeadlineMs: 10 } }, 'gateway.limits.authDeadlineMs: expected a value >= 50, got 10'],
      [{ limits: { maxConnections: 1 } }, 'gateway.limits.maxConnections: expected a value >= 2, got 1'],
      [{ limits: { maxAuthFailures: 0 } }, 'gateway.limits.maxAuthFailures: expected a value >= 1, got 0'],
      [{ limits: { maxConnections: 10, reservedAdminConnections: 10 } }, 'gateway.limits.reservedAdminConnections: expected a value < limits.maxConnections (10), got 10'],
      [{ limits: { maxConnections: 10, reservedAdminConnections: 2, maxConnectionsPerIp: 9 } }, 'gateway.limits.maxConnectionsPerIp: expected a value <= limits.maxConnections - limits.reservedAdminConnections (8), got 9'],
      [{ allowedOrigins: ['https://dash.example.com/'] }, 'gateway.allowedOrigins.0: expected an origin "http(s)://host[:port]" with no path or trailing slash, got "https://dash.example.com/"'],
      [{ allowedOrigins: ['null'] }, 'gateway.allowedOrigins.0: expected an origin "http(s)://host[:port]" with no path or trailing slash, got "null"'],
      [{ allowedHosts: ['bot4.internal:8080'] }, 'gateway.allowedHosts.0: expected a lower-case host name or IP literal without port (IPv6 in brackets), got "bot4.internal:8080"'],
    ];
    for (const [input, message] of bad) {
      assert.throws(() => parseGatewayOptions(input, {}), (e: unknown) => e instanceof ConfigError && e.message === message, message);
    }
    const ok = parseGatewayOptions({ allowedOrigins: ['https://dash.example.com', 'http://127.0.0.1:8080'], allowedHosts: ['bot4.internal', '[::1]'] }, {});
    assert.deepEqual(ok.allowedHosts, ['bot4.internal', '[::1]']);
  });
});

describe('gateway/access', () => {
  it('knows loopback bind addresses', () => {
    for (const h of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', 'LOCALHOST']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['0.0.0.0', '::', '192.168.1.5', 'example.com', '128.0.0.1']) assert.ok(!isLoopbackHost(h), h);
  });

  it('HostPolicy: loopback bind answers loopback names only; wildcard bind also any IP literal; names need allowedHosts', () => {
    const loop = new HostPolicy('127.0.0.1', []);
    for (const h of ['127.0.0.1:8080', '127.0.0.1', 'localhost:8080', '[::1]:8080', 'LOCALHOST:1']) assert.ok(loop.allows(h), h);
    for (const h of ['', 'evil.example:8080', '192.168.1.5:8080', 'localhost.evil.example', 'a/b', 'x@127.0.0.1', '127.0.0.1 ']) assert.ok(!loop.allows(h), h);
    const any = new HostPolicy('0.0.0.0', ['bot4.internal']);
    for (const h of ['192.168.1.5:8080', '[fe80::1]:8080', 'localhost', 'bot4.internal:8080']) assert.ok(any.allows(h), h);
    assert.ok(!any.allows('evil.example:8080'));
    const named = new HostPolicy('bot4.lan', []);
    assert.ok(named.allows('bot4.lan:8080') && !named.allows('127.0.0.1:8080'));
    assert.ok(new HostPolicy('::', []).allows('10.0.0.1'));
  });

  it('OriginPolicy: no Origin passes, same-origin needs scheme and host:port, listed origins pass, null never', () => {
    const plain = new OriginPolicy(['https://dash.example.com'], false);
    assert.ok(plain.allows('', '127.0.0.1:8080'));
    assert.ok(plain.allows('http://127.0.0.1:8080', '127.0.0.1:8080'));
    assert.ok(plain.allows('https://dash.example.com', '127.0.0.1:8080'));
    for (const o of ['https://127.0.0.1:8080', 'http://127.0.0.1:8081', 'http://evil.example', 'null', 'http://127.0.0.1:8080/', 'garbage']) assert.ok(!plain.allows(o, '127.0.0.1:8080'), o);
    const tls = new OriginPolicy([], true);
    assert.ok(tls.allows('https://127.0.0.1:8443', '127.0.0.1:8443') && !tls.allows('http://127.0.0.1:8443', '127.0.0.1:8443'));
  });
});

describe('gateway/admission ConnectionSlots', () => {
  it('caps per address and in total, keeps the reserve for admins and unauthenticated sockets of addresses under their cap', () => {
    const s = new ConnectionSlots(6, 3, 2); // 4 ordinary slots, 2 reserved
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(s.admit('a', 'ws', null), { ok: true, reserved: false });
      s.take('a', false);
    }
    assert.deepEqual(s.admit('a', 'ws', null), { ok: false, code: 'GW_TOO_MANY_CONNECTIONS_PER_IP' });
    assert.deepEqual(s.admit('a', 'ws', reader), { ok: false, code: 'GW_TOO_MANY_CONNECTIONS_PER_IP' });
    assert.deepEqual(s.admit('a', 'feed', admin), { ok: false, code: 'GW_TOO_MANY_CONNECTIONS_PER_IP' }, 'the reserve is for /ws');
    assert.deepEqual(s.admit('a', 'ws', admin), { ok: true, reserved: true });
    s.admit('b', 'ws', null);
    s.take('b', false); // ordinary slots full
    assert.deepEqual(s.admit('c', 'ws', reader), { ok: false, code: 'GW_TOO_MANY_CONNECTIONS' });
    assert.deepEqual(s.admit('c', 'ws', null), { ok: true, reserved: true });
    s.take('c', true);
    s.take('a', true);
    assert.deepEqual(s.counts, { total: 6, reserved: 2, addresses: 3 });
    assert.deepEqual(s.admit('d', 'ws', admin), { ok: false, code: 'GW_TOO_MANY_CONNECTIONS' }, 'reserve used up');
    assert.equal(s.tryUnreserve('c'), false, 'no ordinary slot free');
    s.release('b', false);
    assert.equal(s.tryUnreserve('c'), true);
    assert.deepEqual(s.counts, { total: 5, reserved: 1, addresses: 2 });
  });
});

describe('gateway/auth-throttle AuthThrottle', () => {
  it('allows a burst of failures per address, then refuses until the clock refills it; memory is bounded', () => {
    const clock = new SimulatedClock();
    const t = new AuthThrottle(clock, 60, 3, 4); // 1 a second
    for (let i = 0; i < 3; i++) {
      assert.equal(t.retryAfterMs('a'), 0);
      t.failure('a');
    }
    assert.equal(t.retryAfterMs('a'), 1000);
    assert.equal(t.retryAfterMs('b'), 0, 'per address');
    clock.advance(400);
    assert.equal(t.retryAfterMs('a'), 600);
    clock.advance(600);
    assert.equal(t.retryAfterMs('a'), 0);
    for (let i = 0; i < 50; i++) t.failure(`x${i}`);
    assert.ok(t.tracked <= 4);
  });
});
