import assert from 'node:assert/strict';
import { ConfigError } from '../../../common/errors.js';
import { CLUSTER_DEFAULTS, parseClusterOptions } from '../../../cluster/replication-options.js';
import { parseDaemonConfig } from '../../../daemon/config.js';

function message(input: unknown): string {
  try {
    parseDaemonConfig(input, {});
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message;
  }
  assert.fail('accepted');
}

describe('cluster options (daemon config cluster:)', () => {
  it('off by default: the daemon config without cluster: validates to CLUSTER_DEFAULTS (no NATS needed)', () => {
    const c = parseDaemonConfig(undefined, {});
    assert.equal(c.cluster.enabled, false);
    assert.deepEqual(JSON.parse(JSON.stringify(c.cluster)), JSON.parse(JSON.stringify(CLUSTER_DEFAULTS)));
  });

  it('a partial section keeps the other defaults', () => {
    const c = parseClusterOptions({ enabled: true, replication: { ack: 'sync' }, lease: { enabled: true } });
    assert.equal(c.replication.ack, 'sync');
    assert.equal(c.replication.stream, 'BOT4_ORDERS');
    assert.equal(c.lease.ttlMs, 3000);
  });

  it('messages name the field, what was expected and what arrived', () => {
    assert.equal(message({ cluster: { replication: { ack: 'maybe' } } }), 'cluster.replication.ack: expected one of "async", "sync", got "maybe"');
    assert.match(message({ cluster: { replication: { replicas: 7 } } }), /^cluster\.replication\.replicas: expected a value <= 5, got 7$/);
    assert.match(message({ cluster: { servers: ['http://x'] } }), /^cluster\.servers\.0: expected a nats:\/\/ or tls:\/\/ URL, got "http:\/\/x"$/);
    assert.match(message({ cluster: { lease: { ttlMs: 1000, renewMs: 800 } } }), /^cluster\.lease: expected renewMs \+ marginMs < ttlMs .*got /);
    assert.match(message({ cluster: { replicaton: {} } }), /^cluster: expected no unknown keys \(replicaton\)/);
    assert.match(message({ cluster: { lease: { key: 'a b' } } }), /^cluster\.lease\.key: .*got "a b"$/);
  });
});
