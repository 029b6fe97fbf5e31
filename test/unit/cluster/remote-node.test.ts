import assert from 'node:assert/strict';
import { ConfigError } from '../../../common/errors.js';
import { REMOTE_NODE_DEFAULTS } from '../../../cluster/remote-node.js';
import { parseDaemonConfig } from '../../../daemon/config.js';

function message(remote: unknown): string {
  try {
    parseDaemonConfig({ cluster: { enabled: true, remote } }, {});
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message;
  }
  assert.fail('accepted');
}

describe('cluster.remote (daemon config: the gateway across nodes)', () => {
  it('off by default, with the documented defaults', () => {
    const c = parseDaemonConfig({ cluster: { enabled: true } }, {});
    assert.deepEqual(JSON.parse(JSON.stringify(c.cluster.remote)), JSON.parse(JSON.stringify(REMOTE_NODE_DEFAULTS)));
    assert.equal(c.cluster.remote.enabled, false);
  });

  it('accepts a node and a routing table', () => {
    const c = parseDaemonConfig({ cluster: { enabled: true, remote: { enabled: true, node: 'node-a', venues: { 'sim-b': 'node-b' }, askTimeoutMs: 2000, announceMs: 500, replayEvents: 0 } } }, {});
    assert.deepEqual({ ...c.cluster.remote, venues: { ...c.cluster.remote.venues } }, { enabled: true, node: 'node-a', venues: { 'sim-b': 'node-b' }, askTimeoutMs: 2000, announceMs: 500, replayEvents: 0 });
  });

  it('messages name the field, what was expected and what arrived', () => {
    assert.match(message({ enabled: true }), /^cluster\.remote\.node: expected a node name .* when cluster\.remote\.enabled is true, got ""$/);
    assert.match(message({ node: 'Node A' }), /^cluster\.remote\.node: expected a node name \(lower-case letters, digits, "-"; e\.g\. "node-a"\), got "Node A"$/);
    assert.match(message({ venues: { 'sim-b': 'B' } }), /^cluster\.remote\.venues\.sim-b: expected a node name .*got "B"$/);
    assert.match(message({ venues: { 'sim b': 'node-b' } }), /^cluster\.remote\.venues\.sim b: expected a venue name as key .*got "sim b"$/);
    assert.equal(message({ venues: ['node-b'] }), 'cluster.remote.venues: expected a record, got an array of length 1');
    assert.match(message({ askTimeoutMs: 10 }), /^cluster\.remote\.askTimeoutMs: expected a value >= 100, got 10$/);
    assert.match(message({ announceMs: 1.5 }), /^cluster\.remote\.announceMs: expected an integer.*got 1\.5$/);
    assert.match(message({ replayEvents: -1 }), /^cluster\.remote\.replayEvents: expected a value >= 0, got -1$/);
    assert.match(message({ replayEvents: 2_000_000 }), /^cluster\.remote\.replayEvents: expected a value <= 1000000, got 2000000$/);
    assert.match(message({ enabled: 'yes' }), /^cluster\.remote\.enabled: expected a boolean, got "yes"$/);
    assert.match(message({ routes: {} }), /^cluster\.remote: expected no unknown keys \(routes\)/);
    // the section needs cluster.enabled: never silently ignored
    assert.throws(
      () => parseDaemonConfig({ cluster: { remote: { enabled: true, node: 'node-a' } } }, {}),
      (e: unknown) => e instanceof ConfigError && e.message === 'cluster.enabled: expected true when cluster.remote.enabled is true (the gateway across nodes uses cluster.servers), got false',
    );
  });
});
