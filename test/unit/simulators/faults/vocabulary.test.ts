import assert from 'node:assert/strict';
import { LiveClock } from '../../../../common/clock.js';
import { NetworkUnknownProfileError } from '../../../../simulators/faults/errors.js';
import { NetworkModel } from '../../../../simulators/faults/network-model.js';
import { LINK_SCOPES, parseScopeSelector, SCOPE_SELECTORS } from '../../../../simulators/faults/link.js';
import { OUTAGE_MODES, type OutageMode } from '../../../../simulators/faults/outages.js';
import { PROFILE_CHOICES, PROFILE_NAMES } from '../../../../simulators/faults/profiles.js';
import { Simulator } from '../../../../simulators/simulator.js';

/** The parameters each outage mode needs (and no others). */
const PARAMS: Record<OutageMode, Record<string, number>> = {
  refuse: {},
  blackhole: {},
  'http-5xx': {},
  'ws-drop': {},
  slow: { bytesPerSec: 1000 },
  'clock-skew': { skewMs: 500 },
};

describe('fault vocabulary: one list each, defined in simulators/faults/', () => {
  it('the lists: scopes, scope selectors, outage modes, profile choices (none first)', () => {
    assert.deepEqual(LINK_SCOPES, ['rest', 'stream', 'ws-api']);
    assert.deepEqual(SCOPE_SELECTORS, ['rest', 'stream', 'ws-api', 'all']);
    assert.deepEqual(OUTAGE_MODES, ['refuse', 'blackhole', 'http-5xx', 'ws-drop', 'slow', 'clock-skew']);
    assert.deepEqual(PROFILE_CHOICES, ['none', ...PROFILE_NAMES]);
    assert.deepEqual(Object.keys(PARAMS), [...OUTAGE_MODES], 'this test covers every mode');
  });

  it('parseScopeSelector: every selector passes, absent is all, anything else names the field', () => {
    for (const s of SCOPE_SELECTORS) assert.equal(parseScopeSelector(s), s);
    assert.equal(parseScopeSelector(undefined), 'all');
    assert.throws(() => parseScopeSelector('udp', 'body.scope'), {
      code: 'B4_NET_INVALID_SCOPE',
      message: 'body.scope: expected one of "rest", "stream", "ws-api", "all", got "udp"',
    });
  });

  it("NetworkModel.setProfile takes 'none' as clearProfile, in one scope or all", () => {
    const net = new NetworkModel({ seed: 1, clock: new LiveClock() });
    try {
      net.setProfile('v', 'all', 'good');
      net.setProfile('v', 'rest', 'none');
      assert.equal(net.profile('v', 'rest'), null);
      assert.equal(net.profile('v', 'stream')!.spec.name, 'good');
      net.setProfile('v', undefined, 'none');
      for (const s of LINK_SCOPES) assert.equal(net.profile('v', s), null);
      assert.deepEqual(net.events().filter((e) => e.type === 'profile.clear').map((e) => (e as { scope: string }).scope), ['rest', 'all']);
      assert.throws(
        () => net.setProfile('v', 'all', 'terrible' as never),
        (e: unknown) => e instanceof NetworkUnknownProfileError && e.message === 'network.profile: expected one of "none", "perfect", "good", "average", "poor", "outage" or a profile object, got "terrible"',
      );
    } finally {
      net.close();
    }
  });

  describe('the control API accepts exactly these lists', function () {
    this.timeout(20_000);
    let sim: Simulator;

    before(async () => {
      sim = await Simulator.start({ venues: 1, seed: 3, port: 0, participants: false });
    });
    after(async () => {
      await sim?.stop();
    });

    async function call(method: string, route: string, body?: Record<string, unknown>): Promise<{ status: number; json: Record<string, unknown> }> {
      const r = await fetch(`${sim.controlUrl}${route}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return { status: r.status, json: (await r.json()) as Record<string, unknown> };
    }
    const error = (r: { json: Record<string, unknown> }): { code: string; message: string } => r.json.error as { code: string; message: string };

    it('POST profile: every profile choice in every scope selector; none clears the profile', async () => {
      for (const scope of SCOPE_SELECTORS) {
        for (const profile of PROFILE_CHOICES) {
          const r = await call('POST', '/venues/sim-a/profile', { profile, scope });
          assert.equal(r.status, 200, `${profile}/${scope}: ${JSON.stringify(r.json)}`);
          assert.deepEqual(r.json, { venue: 'sim-a', scope, profile });
          const net = sim.network as NetworkModel;
          for (const s of scope === 'all' ? LINK_SCOPES : [scope]) assert.equal(net.profile('sim-a', s)?.spec.name ?? 'none', profile, `${profile}/${scope}/${s}`);
        }
      }
      // a custom profile object is still accepted
      assert.equal((await call('POST', '/venues/sim-a/profile', { profile: { from: 'good', lossRate: 0.02 } })).status, 200);
      assert.equal((await call('POST', '/venues/sim-a/profile', { profile: 'none' })).status, 200);
    });

    it('POST/DELETE outage: every mode in every scope selector (all = the three scopes)', async () => {
      for (const scope of SCOPE_SELECTORS) {
        for (const mode of OUTAGE_MODES) {
          const r = await call('POST', '/venues/sim-a/outage', { mode, scope, ...PARAMS[mode] });
          assert.equal(r.status, 200, `${mode}/${scope}: ${JSON.stringify(r.json)}`);
          const active = sim.outages()['sim-a']!;
          assert.deepEqual(Object.keys(active).sort(), (scope === 'all' ? [...LINK_SCOPES] : [scope]).sort(), `${mode}/${scope}`);
          for (const s of Object.values(active)) assert.equal(s.mode, mode);
          const d = await call('DELETE', `/venues/sim-a/outage?scope=${scope}`);
          assert.equal(d.status, 200, JSON.stringify(d.json));
          assert.deepEqual(sim.outages()['sim-a'], {});
        }
      }
    });

    it('a bad scope, mode or profile is a 400 naming the field, the choices and the value', async () => {
      const cases: [string, string, Record<string, unknown>, string, string][] = [
        ['POST', '/venues/sim-a/profile', { profile: 'good', scope: 'udp' }, 'B4_NET_INVALID_SCOPE', 'scope: expected one of "rest", "stream", "ws-api", "all", got "udp"'],
        ['POST', '/venues/sim-a/outage', { mode: 'refuse', scope: 'udp' }, 'B4_NET_INVALID_SCOPE', 'scope: expected one of "rest", "stream", "ws-api", "all", got "udp"'],
        ['POST', '/venues/sim-a/outage', { mode: 'meltdown' }, 'B4_SIM_UNKNOWN', 'mode: expected one of "refuse", "blackhole", "http-5xx", "ws-drop", "slow", "clock-skew", got "meltdown"'],
        ['POST', '/venues/sim-a/outage', {}, 'B4_SIM_UNKNOWN', 'mode: expected one of "refuse", "blackhole", "http-5xx", "ws-drop", "slow", "clock-skew", got undefined'],
        ['POST', '/venues/sim-a/profile', { profile: 'terrible' }, 'B4_NET_UNKNOWN_PROFILE', 'profile: expected one of "none", "perfect", "good", "average", "poor", "outage" or a profile object, got "terrible"'],
        ['POST', '/venues/sim-a/profile', {}, 'B4_NET_UNKNOWN_PROFILE', 'profile: expected one of "none", "perfect", "good", "average", "poor", "outage" or a profile object, got undefined'],
      ];
      for (const [method, route, body, code, message] of cases) {
        const r = await call(method, route, body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.deepEqual(error(r), { code, message });
      }
      const c = await call('POST', '/venues/sim-a/crisis', { scenario: 7 });
      assert.deepEqual([c.status, error(c).message], [400, 'scenario: expected one of covid, luna, ftx']);
      const d = await call('DELETE', '/venues/sim-a/outage?scope=udp');
      assert.equal(d.status, 400);
      assert.equal(error(d).code, 'B4_NET_INVALID_SCOPE');
      assert.deepEqual(sim.outages()['sim-a'], {}, 'nothing was set by a refused call');
    });
  });
});
