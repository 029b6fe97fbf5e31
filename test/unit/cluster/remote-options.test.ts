import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../../common/errors.js';
import { REMOTE_DEFAULTS, parseRemoteOptions } from '../../../cluster/index.js';

describe('cluster/remote-options: validated once, field/expected/got messages', () => {
  it('applies the defaults and freezes', () => {
    const o = parseRemoteOptions({ node: 'node-a' });
    assert.deepEqual(o, { node: 'node-a', servers: REMOTE_DEFAULTS.servers, subjectPrefix: 'bot4', sendTimeoutMs: 5_000, exportTopics: [], importTopics: [], reconnectTimeWaitMs: 250, maxReconnectAttempts: -1, routes: {} });
    assert.ok(Object.isFrozen(o) && Object.isFrozen(o.servers));
    assert.deepEqual(parseRemoteOptions({ node: 'b', servers: 'nats://10.0.0.1:4222' }).servers, ['nats://10.0.0.1:4222']);
  });

  const bad: [unknown, string, RegExp][] = [
    [{}, 'cluster.remote.node', /^cluster\.remote\.node: expected a string, got undefined$/],
    [{ node: 'Node A' }, 'cluster.remote.node', /^cluster\.remote\.node: expected a node name .*got "Node A"$/],
    [{ node: 'a/b' }, 'cluster.remote.node', /expected a node name/],
    [{ node: 'a', servers: 'localhost:4222' }, 'cluster.remote.servers', /^cluster\.remote\.servers: expected .*got "localhost:4222"$/],
    [{ node: 'a', servers: [] }, 'cluster.remote.servers', /^cluster\.remote\.servers: expected/],
    [{ node: 'a', subjectPrefix: 'a.b' }, 'cluster.remote.subjectPrefix', /one NATS subject token.*got "a\.b"/],
    [{ node: 'a', sendTimeoutMs: 0 }, 'cluster.remote.sendTimeoutMs', /expected a value >= 1, got 0/],
    [{ node: 'a', exportTopics: ['md.>.x'] }, 'cluster.remote.exportTopics.0', /subscription pattern.*got "md\.>\.x"/],
    [{ node: 'a', importTopics: 'orders.>' }, 'cluster.remote.importTopics', /expected an array, got "orders\.>"/],
    [{ node: 'a', reconnectTimeWaitMs: 1.5 }, 'cluster.remote.reconnectTimeWaitMs', /expected an integer, got 1\.5/],
    [{ node: 'a', maxReconnectAttempts: -2 }, 'cluster.remote.maxReconnectAttempts', /expected a value >= -1, got -2/],
    [{ node: 'a', nodes: ['b'] }, 'cluster.remote', /expected no unknown keys \(nodes\)/],
    [{ node: 'a', routes: { 'exchange.sim-a': 'Node B' } }, 'cluster.remote.routes.exchange.sim-a', /expected a node name.*got "Node B"/],
    [{ node: 'a', routes: ['exchange.sim-a'] }, 'cluster.remote.routes', /expected/],
    [{ node: 'a', routes: { 'node-b/x': 'node-b' } }, 'cluster.remote.routes.node-b/x', /^cluster\.remote\.routes\.node-b\/x: expected a plain actor address as key .*got "node-b\/x"$/],
  ];
  for (const [input, field, re] of bad) {
    it(`refuses ${JSON.stringify(input)} naming ${field}`, () => {
      assert.throws(() => parseRemoteOptions(input), (e: unknown) => e instanceof ConfigError && e.code === 'B4_CONFIG_INVALID' && e.field === field && re.test(e.message), `${field}`);
    });
  }

  it('docs/cluster.md\'s config table lists exactly the fields, with the defaults', () => {
    const md = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/cluster.md'), 'utf8');
    const section = md.slice(md.indexOf('### Config reference'), md.indexOf('### Limits'));
    const rows = new Map([...section.matchAll(/^\| `([A-Za-z]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, m[2]!.trim()]));
    assert.deepEqual([...rows.keys()].sort(), ['node', ...Object.keys(REMOTE_DEFAULTS)].sort());
    for (const [k, v] of Object.entries(REMOTE_DEFAULTS)) {
      const shown = Array.isArray(v) ? (v.length === 0 ? '`[]`' : `\`${v.join(', ')}\``) : typeof v === 'object' ? '`{}`' : `\`${String(v)}\``;
      assert.equal(rows.get(k), shown, k);
    }
  });
});
