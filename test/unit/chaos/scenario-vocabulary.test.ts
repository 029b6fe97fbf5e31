import assert from 'node:assert/strict';
import { ConfigError } from '../../../common/errors.js';
import { Injector } from '../../../chaos/injector.js';
import { parseScenario } from '../../../chaos/scenario.js';
import { CRISIS_NAMES } from '../../../simulators/faults/crises.js';
import { LINK_SCOPES, SCOPE_SELECTORS } from '../../../simulators/faults/link.js';
import type { NetworkModel } from '../../../simulators/faults/network-model.js';
import { OUTAGE_MODES } from '../../../simulators/faults/outages.js';
import { PROFILE_CHOICES } from '../../../simulators/faults/profiles.js';
import { BINANCE_LIMITS, Simulator } from '../../../simulators/index.js';

const doc = (patch: Record<string, unknown>): Record<string, unknown> => ({
  seed: 1,
  duration: '20s',
  venues: { count: 2 },
  strategies: [{ id: 'gen', kind: 'constant-rate', instruments: ['sim-a:BTC/USDT'] }],
  ...patch,
});

function rejects(d: unknown): ConfigError {
  try {
    parseScenario(d);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail('the scenario was accepted');
}

describe('chaos scenarios accept the simulator fault vocabulary (simulators/faults/)', () => {
  it('venues.profile: every profile choice; anything else names the field', () => {
    for (const profile of PROFILE_CHOICES) assert.equal(parseScenario(doc({ venues: { count: 2, profile } })).venues.profile, profile);
    const e = rejects(doc({ venues: { count: 2, profile: 'terrible' } }));
    assert.equal(e.field, 'venues.profile');
    assert.equal(e.message, 'venues.profile: expected one of "none", "perfect", "good", "average", "poor", "outage", got "terrible"');
  });

  it('do: profile takes every profile choice (none too) in every scope selector', () => {
    for (const scope of SCOPE_SELECTORS) {
      for (const profile of PROFILE_CHOICES) {
        const s = parseScenario(doc({ timeline: [{ at: '1s', do: 'profile', venue: 'sim-a', profile, scope }] }));
        assert.deepEqual([s.timeline[0]!.do, (s.timeline[0] as { profile: string }).profile, (s.timeline[0] as { scope: string }).scope], ['profile', profile, scope]);
      }
    }
    const e = rejects(doc({ timeline: [{ at: '1s', do: 'profile', venue: 'sim-a', profile: 'terrible' }] }));
    assert.equal(e.field, 'timeline.0.profile');
  });

  it('do: outage takes every outage mode in every scope selector; a bad mode or scope names the field', () => {
    for (const scope of SCOPE_SELECTORS) {
      for (const mode of OUTAGE_MODES) {
        const extra = mode === 'slow' ? { bytesPerSec: 1000 } : mode === 'clock-skew' ? { skewMs: 500 } : {};
        const s = parseScenario(doc({ timeline: [{ at: '1s', do: 'outage', venue: 'sim-a', mode, scope, for: '1s', ...extra }] }));
        assert.deepEqual([(s.timeline[0] as { mode: string }).mode, (s.timeline[0] as { scope: string }).scope], [mode, scope]);
      }
    }
    const m = rejects(doc({ timeline: [{ at: '1s', do: 'outage', venue: 'sim-a', mode: 'meltdown' }] }));
    assert.equal(m.field, 'timeline.0.mode');
    assert.equal(m.message, 'timeline.0.mode: expected one of "refuse", "blackhole", "http-5xx", "ws-drop", "slow", "clock-skew", got "meltdown"');
    const sc = rejects(doc({ timeline: [{ at: '1s', do: 'outage', venue: 'sim-a', mode: 'refuse', scope: 'udp' }] }));
    assert.equal(sc.field, 'timeline.0.scope');
    assert.equal(sc.message, 'timeline.0.scope: expected one of "rest", "stream", "ws-api", "all", got "udp"');
  });

  it('do: crisis takes every crisis name; anything else names the field', () => {
    assert.deepEqual(CRISIS_NAMES, ['covid', 'luna', 'ftx']);
    for (const scenario of CRISIS_NAMES) {
      const s = parseScenario(doc({ timeline: [{ at: '1s', do: 'crisis', venue: 'sim-a', scenario, for: '2s' }] }));
      assert.equal((s.timeline[0] as { scenario: string }).scenario, scenario);
    }
    const e = rejects(doc({ timeline: [{ at: '1s', do: 'crisis', venue: 'sim-a', scenario: 'dotcom', for: '2s' }] }));
    assert.equal(e.message, 'timeline.0.scenario: expected one of "covid", "luna", "ftx", got "dotcom"');
  });

  describe('the injector against a simulator', function () {
    this.timeout(20_000);
    let sim: Simulator;
    before(async () => {
      sim = await Simulator.start({ venues: 2, seed: 3, port: 0, participants: false });
    });
    after(async () => {
      await sim?.stop();
    });

    it("heal brings a 'none' base profile back on a venue that had a profile fault, and touches no other venue", async () => {
      const net = sim.network as NetworkModel;
      const injector = new Injector(sim.controlUrl, 'none', { ...BINANCE_LIMITS } as Record<string, number>);
      assert.equal(await injector.apply({ seq: 0, atMs: 0, item: 0, kind: 'profile', venue: 'sim-a', scope: 'all', profile: 'poor' }), true);
      for (const s of LINK_SCOPES) assert.equal(net.profile('sim-a', s)?.spec.name, 'poor');
      const before = net.events().filter((e) => e.type === 'profile.clear').length;
      await injector.healAll(['sim-a', 'sim-b']);
      for (const s of LINK_SCOPES) assert.equal(net.profile('sim-a', s), null, `sim-a/${s} healed to no profile`);
      const cleared = net.events().filter((e) => e.type === 'profile.clear').slice(before);
      assert.deepEqual(cleared.map((e) => (e as { venue: string }).venue), ['sim-a'], 'sim-b had no profile fault: no event for it');
    });
  });
});
