import assert from 'node:assert/strict';
import { ConfigError } from '../../../common/errors.js';
import { GATEWAY_DEFAULTS, parseGatewayOptions, parseTokenEnv } from '../../../gateway/options.js';
import { TokenAuthenticator, bearerToken, hasRole } from '../../../gateway/auth.js';
import { TokenBucket } from '../../../gateway/rate-limiter.js';
import { SimulatedClock } from '../../../common/clock.js';

describe('gateway/options', () => {
  it('applies the defaults from GATEWAY_DEFAULTS and freezes the result', () => {
    const o = parseGatewayOptions({}, {});
    assert.equal(o.host, '127.0.0.1');
    assert.equal(o.port, GATEWAY_DEFAULTS.port);
    assert.deepEqual(o.limits, GATEWAY_DEFAULTS.limits);
    assert.equal(o.slowConsumerPolicy, 'drop');
    assert.equal(o.tls, undefined);
    assert.ok(Object.isFrozen(o) && Object.isFrozen(o.limits));
  });

  it('names field, expectation and value on bad input', () => {
    const bad: [unknown, string][] = [
      [{ port: 70000 }, 'gateway.port: expected a value <= 65535, got 70000'],
      [{ port: '80' }, 'gateway.port: expected a number, got "80"'],
      [{ limits: { maxPayloadBytes: 10 } }, 'gateway.limits.maxPayloadBytes: expected a value >= 256, got 10'],
      [{ limits: { idleTimeoutSec: 5 } }, 'gateway.limits.idleTimeoutSec: expected 0 (off) or 8-960 seconds, got 5'],
      [{ slowConsumerPolicy: 'panic' }, 'gateway.slowConsumerPolicy: expected one of "drop", "disconnect", got "panic"'],
      [{ tokens: [{ name: 'a', token: 'short', roles: ['read'] }] }, 'gateway.tokens.0.token: expected a string of length >= 16, got <redacted string of 5 chars>'],
      [{ tokens: [{ name: 'a', token: 'x'.repeat(16), roles: ['root'] }] }, 'gateway.tokens.0.roles.0: expected one of "read", "trade", "admin", "feed", got "root"'],
      [{ tls: { certFile: 'c' } }, 'gateway.tls.keyFile: expected a string, got undefined'],
      [{ nope: 1 }, 'gateway: expected no unknown keys (nope), got {"nope":1}'],
    ];
    for (const [input, message] of bad) {
      assert.throws(() => parseGatewayOptions(input, {}), (e: unknown) => e instanceof ConfigError && e.message === message, message);
    }
  });

  it('merges tokens from BOT4_GATEWAY_TOKENS and refuses duplicates', () => {
    const env = { BOT4_GATEWAY_TOKENS: 'ops:ops-token-0123456789:admin, feeder:feed-token-0123456789:feed+read' };
    const o = parseGatewayOptions({ tokens: [{ name: 'cfg', token: 'cfg-token-0123456789', roles: ['read'] }] }, env);
    assert.deepEqual(o.tokens.map((t) => [t.name, t.roles]), [['cfg', ['read']], ['ops', ['admin']], ['feeder', ['feed', 'read']]]);
    assert.throws(() => parseTokenEnv('a:b'), /BOT4_GATEWAY_TOKENS\[0\]: expected "name:token:role\+role", got 2 colon-separated parts/);
    assert.throws(() => parseGatewayOptions({ tokens: [{ name: 'x', token: 'ops-token-0123456789', roles: ['read'] }] }, env), /gateway\.tokens\.1\.token: expected a token not used by another entry/);
    assert.deepEqual(parseTokenEnv(''), []);
  });
});

describe('gateway/auth', () => {
  const auth = new TokenAuthenticator([
    { name: 'r', token: 'read-token-0123456789', roles: ['read'] },
    { name: 't', token: 'trade-token-0123456789', roles: ['trade', 'trade'] },
  ]);

  it('maps tokens to principals and refuses unknown ones', () => {
    assert.deepEqual(auth.authenticate('trade-token-0123456789'), { name: 't', roles: ['trade'] });
    assert.equal(auth.authenticate('trade-token-012345678'), undefined);
    assert.equal(auth.authenticate(''), undefined);
    assert.equal(auth.size, 2);
  });

  it('implements the role hierarchy (admin ⊇ trade ⊇ read; feed alone)', () => {
    assert.ok(hasRole(['admin'], 'trade') && hasRole(['admin'], 'feed') && hasRole(['admin'], 'read'));
    assert.ok(hasRole(['trade'], 'read') && !hasRole(['trade'], 'admin') && !hasRole(['trade'], 'feed'));
    assert.ok(!hasRole(['read'], 'trade') && !hasRole(['feed'], 'read') && hasRole(['feed'], 'feed'));
    assert.ok(!hasRole([], 'read'));
  });

  it('reads bearer tokens from the Authorization header only', () => {
    assert.equal(bearerToken('Bearer abc'), 'abc');
    assert.equal(bearerToken('bearer  abc '), 'abc');
    assert.equal(bearerToken('Basic abc'), undefined);
    assert.equal(bearerToken('Bearer    '), undefined);
    assert.equal(bearerToken(''), undefined);
  });
});

describe('gateway/rate-limiter TokenBucket', () => {
  it('allows a burst, refuses beyond it and refills with the clock', () => {
    const clock = new SimulatedClock();
    const b = new TokenBucket(clock, 100, 5);
    for (let i = 0; i < 5; i++) assert.equal(b.take(), true);
    assert.equal(b.take(), false);
    clock.advance(10); // one token at 100/s
    assert.equal(b.take(), true);
    assert.equal(b.take(), false);
    clock.advance(10_000);
    assert.equal(Math.round(b.available), 5, 'never above the burst');
  });
});
