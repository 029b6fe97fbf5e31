import assert from 'node:assert/strict';
import { SimulatedClock } from '../../../../common/clock.js';
import { ConfigError } from '../../../../common/errors.js';
import {
  NetworkInvalidNameError,
  NetworkInvalidOutageError,
  NetworkInvalidScopeError,
  NetworkUnknownProfileError,
} from '../../../../simulators/faults/errors.js';
import { LINK_SCOPES, type LinkScope } from '../../../../simulators/faults/link.js';
import { NetworkModel, type NetworkEvent } from '../../../../simulators/faults/network-model.js';
import type { OutageMode } from '../../../../simulators/faults/outages.js';

function model(seed = 42, extra: { decisionLogSize?: number; eventLogSize?: number } = {}): { net: NetworkModel; clock: SimulatedClock } {
  const clock = new SimulatedClock();
  return { net: new NetworkModel({ seed, clock, ...extra }), clock };
}

/** A fixed script of control calls and messages; returns the fates seen. */
function script(net: NetworkModel, clock: SimulatedClock): string[] {
  const out: string[] = [];
  net.setProfile('sim-a', 'all', 'poor', { lossModel: 'gilbert-elliott', ar1: 0.5 });
  net.setProfile('sim-b', 'stream', 'average', { distribution: 'gamma' });
  const links = [net.link('sim-a', 'rest', 'r1'), net.link('sim-a', 'stream', 's1'), net.link('sim-b', 'stream', 's1')];
  for (let i = 0; i < 300; i++) {
    const f = links[i % 3]!.next(100);
    out.push(`${f.drop ? 'x' : '.'}${f.delayMs.toFixed(6)}`);
    if (i === 100) net.setOutage('sim-a', 'stream', 'slow', { bytesPerSec: 10_000, durationMs: 50 });
    if (i === 200) net.setOutage('sim-b', 'all', 'blackhole');
    clock.advance(1);
  }
  net.clearOutage('sim-b');
  return out;
}

describe('NetworkModel', () => {
  describe('determinism', () => {
    it('same seed + same calls → identical fates, event log and hash (with and without decision recording)', () => {
      for (const decisionLogSize of [0, 1000]) {
        const a = model(42, { decisionLogSize });
        const b = model(42, { decisionLogSize });
        assert.deepEqual(script(a.net, a.clock), script(b.net, b.clock));
        assert.deepEqual(a.net.events(), b.net.events());
        assert.equal(a.net.hash(), b.net.hash());
        assert.match(a.net.hash(), /^[0-9a-f]{64}$/);
      }
    });

    it('different seed → different fates and a different hash', () => {
      const a = model(42, { decisionLogSize: 100 });
      const b = model(43, { decisionLogSize: 100 });
      assert.notDeepEqual(script(a.net, a.clock), script(b.net, b.clock));
      assert.notEqual(a.net.hash(), b.net.hash());
    });

    it('the hash covers every control call and decision: one extra call or message changes it', () => {
      const a = model(1, { decisionLogSize: 10 });
      const b = model(1, { decisionLogSize: 10 });
      script(a.net, a.clock);
      script(b.net, b.clock);
      b.net.setOutage('sim-a', 'rest', 'refuse');
      assert.notEqual(a.net.hash(), b.net.hash());
      const c = model(1, { decisionLogSize: 10 });
      script(c.net, c.clock);
      c.net.link('sim-a', 'rest', 'r1');
      const d = model(1, { decisionLogSize: 10 });
      script(d.net, d.clock);
      d.net.link('sim-a', 'rest', 'r1').next();
      assert.notEqual(c.net.hash(), d.net.hash());
    });

    it('link streams depend only on (seed, venue, scope, connectionId), not on creation order or interleaving', () => {
      const keys: [string, LinkScope, string][] = [
        ['sim-a', 'rest', 'c1'],
        ['sim-a', 'stream', 'c1'],
        ['sim-b', 'rest', 'c1'],
        ['sim-a', 'rest', 'c2'],
      ];
      const fates = (order: number[], interleave: boolean, noise: boolean): string[][] => {
        const { net } = model(7);
        net.setProfile('sim-a', 'all', 'outage', { lossModel: 'gilbert-elliott', distribution: 'lognormal', ar1: 0.3 });
        net.setProfile('sim-b', 'all', 'outage', { lossModel: 'gilbert-elliott', distribution: 'lognormal', ar1: 0.3 });
        const links = new Array<ReturnType<NetworkModel['link']>>(keys.length);
        for (const i of order) {
          if (noise) net.link('sim-a', 'rest', `noise-${i}`).next();
          links[i] = net.link(...keys[i]!);
        }
        const out: string[][] = keys.map(() => []);
        const take = (i: number): void => {
          const f = links[i]!.next();
          out[i]!.push(`${f.drop}:${f.delayMs}`);
        };
        if (interleave) for (let k = 0; k < 200; k++) for (const i of order) take(i);
        else for (const i of order) for (let k = 0; k < 200; k++) take(i);
        return out;
      };
      const ref = fates([0, 1, 2, 3], true, false);
      assert.deepEqual(fates([3, 2, 1, 0], false, true), ref);
      assert.deepEqual(fates([2, 0, 3, 1], true, true), ref);
      // …and each key really has its own stream.
      for (let i = 1; i < ref.length; i++) assert.notDeepEqual(ref[i], ref[0]);
    });

    it('next() reuses one result object (no allocation per message)', () => {
      const { net } = model();
      net.setProfile('v', 'rest', 'good');
      const link = net.link('v', 'rest', 'c');
      const a = link.next();
      const b = link.next();
      assert.equal(a, b);
      assert.equal(link.messages, 2);
    });

    it('with no profile messages pass untouched', () => {
      const { net } = model();
      const f = net.link('v', 'ws-api', 'c').next();
      assert.deepEqual({ ...f }, { drop: false, delayMs: 0 });
    });
  });

  describe('profiles and state', () => {
    it("'all' sets every scope, a scope sets only itself; clearProfile resets; state() reports profile, options, theory, outage and links", () => {
      const { net } = model();
      net.setProfile('sim-a', 'all', 'good');
      net.setProfile('sim-a', 'ws-api', 'poor', { distribution: 'lognormal' });
      net.link('sim-a', 'rest', 'c1');
      const st = net.state();
      assert.equal(st.seed, 42);
      const a = st.venues['sim-a']!;
      assert.equal(a.rest.profile!.name, 'good');
      assert.equal(a.stream.profile!.name, 'good');
      assert.equal(a['ws-api'].profile!.name, 'poor');
      assert.equal(a['ws-api'].options!.distribution, 'lognormal');
      assert.ok(a['ws-api'].theory!.meanMs > 150);
      assert.equal(a.rest.links, 1);
      assert.equal(a.rest.outage, null);
      assert.equal(st.hash, net.hash());
      JSON.parse(JSON.stringify(st));
      net.clearProfile('sim-a', 'stream');
      assert.equal(net.profile('sim-a', 'stream'), null);
      assert.equal(net.profile('sim-a', 'rest')!.spec.name, 'good');
      net.clearProfile('sim-a');
      assert.equal(net.profile('sim-a', 'ws-api'), null);
    });

    it('an undefined scope means all scopes (the wire layer\'s FaultModel passes undefined)', () => {
      const { net } = model();
      net.setProfile('v', undefined, 'poor');
      net.setOutage('v', undefined, 'ws-drop');
      for (const s of LINK_SCOPES) {
        assert.equal(net.profile('v', s)!.spec.name, 'poor');
        assert.equal(net.outage('v', s)!.mode, 'ws-drop');
      }
      net.clearOutage('v', undefined);
      for (const s of LINK_SCOPES) assert.equal(net.outage('v', s), null);
    });

    it('a profile change applies to open links on their next message', () => {
      const { net } = model();
      const link = net.link('v', 'rest', 'c');
      net.setProfile('v', 'rest', { baseMs: 500, jitterMs: 0, lossRate: 0 });
      assert.equal(link.next().delayMs, 500);
      net.setProfile('v', 'rest', { baseMs: 7, jitterMs: 0, lossRate: 1 });
      assert.deepEqual({ ...link.next() }, { drop: true, delayMs: 7 });
    });

    it('events() lists control events in order; the decision ring is bounded and never evicts control events', () => {
      const { net, clock } = model(3, { decisionLogSize: 5, eventLogSize: 100 });
      net.setProfile('v', 'rest', 'good');
      const link = net.link('v', 'rest', 'c');
      for (let i = 0; i < 20; i++) {
        link.next();
        clock.advance(1);
      }
      net.setOutage('v', 'rest', 'refuse');
      const ev = net.events();
      assert.deepEqual(
        ev.map((e) => e.type),
        ['model.init', 'profile.set', 'link.open', 'message', 'message', 'message', 'message', 'message', 'outage.set'],
      );
      const msgs = ev.filter((e): e is Extract<NetworkEvent, { type: 'message' }> => e.type === 'message');
      assert.deepEqual(
        msgs.map((m) => m.n),
        [15, 16, 17, 18, 19],
      );
      for (let i = 1; i < ev.length; i++) assert.ok(ev[i]!.seq > ev[i - 1]!.seq);
      assert.deepEqual(net.state().log, { appended: 24, droppedControl: 0, droppedDecisions: 15 });
    });

    it('subscribe() delivers control events until unsubscribed; reset() clears profiles and outages', () => {
      const { net } = model();
      const seen: string[] = [];
      const off = net.subscribe((e) => seen.push(e.type));
      net.setOutage('v', 'all', 'ws-drop');
      net.setProfile('v', 'rest', 'good');
      net.reset();
      off();
      net.setProfile('v', 'rest', 'good');
      assert.deepEqual(seen, ['outage.set', 'profile.set', 'model.reset']);
      net.reset();
      assert.equal(net.outage('v', 'stream'), null);
      assert.equal(net.profile('v', 'rest'), null);
    });
  });

  describe('outages', () => {
    it("'all' vs one scope; clearOutage of one scope and of all", () => {
      const { net } = model();
      const rest = net.link('sim-a', 'rest', 'c');
      const stream = net.link('sim-a', 'stream', 'c');
      net.setOutage('sim-a', 'rest', 'http-5xx');
      assert.equal(rest.outage()!.mode, 'http-5xx');
      assert.equal(stream.outage(), null);
      assert.equal(net.outage('sim-b', 'rest'), null);
      net.setOutage('sim-a', 'all', 'refuse');
      for (const s of LINK_SCOPES) assert.equal(net.outage('sim-a', s)!.mode, 'refuse');
      net.clearOutage('sim-a', 'stream');
      assert.equal(stream.outage(), null);
      assert.equal(rest.outage()!.mode, 'refuse');
      net.clearOutage('sim-a');
      assert.equal(rest.outage(), null);
      const types = net.events().map((e) => (e.type === 'outage.clear' ? `${e.type}:${e.scope}` : e.type));
      assert.deepEqual(types.slice(-4), ['outage.set', 'outage.clear:stream', 'outage.clear:rest', 'outage.clear:ws-api']);
    });

    it('every mode is reported with its parameters; clock-skew carries skewMs', () => {
      const { net } = model();
      const link = net.link('v', 'ws-api', 'c');
      const modes: [OutageMode, object][] = [
        ['refuse', {}],
        ['blackhole', {}],
        ['http-5xx', {}],
        ['ws-drop', {}],
        ['slow', { bytesPerSec: 1000 }],
        ['clock-skew', { skewMs: -2500 }],
      ];
      for (const [mode, params] of modes) {
        net.setOutage('v', 'ws-api', mode, params);
        assert.deepEqual(link.outage(), { mode, sinceMs: net.clock.epochMs(), untilMs: null, ...params });
        assert.ok(Object.isFrozen(link.outage()));
      }
    });

    it('blackhole drops every message; the profile stream stays aligned after it ends', () => {
      const a = model(9);
      const b = model(9);
      for (const { net } of [a, b]) net.setProfile('v', 'rest', 'average');
      const la = a.net.link('v', 'rest', 'c');
      const lb = b.net.link('v', 'rest', 'c');
      a.net.setOutage('v', 'rest', 'blackhole');
      for (let i = 0; i < 50; i++) {
        assert.equal(la.next().drop, true);
        lb.next();
      }
      a.net.clearOutage('v', 'rest');
      for (let i = 0; i < 50; i++) assert.deepEqual({ ...la.next() }, { ...lb.next() });
    });

    it('slow adds transmission time bytes/bytesPerSec and queues messages on the model clock', () => {
      const { net, clock } = model();
      const link = net.link('v', 'stream', 'c');
      net.setOutage('v', 'stream', 'slow', { bytesPerSec: 1000 });
      assert.equal(link.next(100).delayMs, 100); // 100 B at 1000 B/s
      assert.equal(link.next(100).delayMs, 200); // queued behind the first
      clock.advance(150);
      assert.equal(link.next(100).delayMs, 150); // pipe free at 200 ms, now 150 ms: 50 + 100
      clock.advance(1000);
      assert.equal(link.next(0).delayMs, 0);
      assert.equal(link.next(50).delayMs, 50);
    });

    it('durationMs / untilMs end the outage on the model clock with an outage.expire event; replacing cancels the old end', () => {
      const { net, clock } = model();
      net.setOutage('v', 'all', 'ws-drop', { durationMs: 1000 });
      clock.advance(999);
      assert.equal(net.outage('v', 'rest')!.untilMs, clock.epochMs() + 1);
      clock.advance(1);
      for (const s of LINK_SCOPES) assert.equal(net.outage('v', s), null);
      const expired = net.events().filter((e) => e.type === 'outage.expire');
      assert.equal(expired.length, 3);
      net.setOutage('v', 'rest', 'refuse', { untilMs: clock.epochMs() + 500 });
      net.setOutage('v', 'rest', 'http-5xx');
      clock.advance(10_000);
      assert.equal(net.outage('v', 'rest')!.mode, 'http-5xx');
      assert.equal(clock.pendingTimers, 0);
      net.setOutage('v', 'rest', 'refuse', { durationMs: 5 });
      net.close();
      assert.equal(clock.pendingTimers, 0);
    });

    const bad: [string, unknown, unknown, string][] = [
      ['unknown mode', 'meltdown', {}, 'network.outage.mode: expected one of "refuse", "blackhole", "http-5xx", "ws-drop", "slow", "clock-skew", got "meltdown"'],
      ['slow without bytesPerSec', 'slow', {}, 'network.outage.params.bytesPerSec: expected a number for mode "slow", got undefined'],
      ['clock-skew without skewMs', 'clock-skew', {}, 'network.outage.params.skewMs: expected a number for mode "clock-skew", got undefined'],
      ['skewMs on refuse', 'refuse', { skewMs: 5 }, 'network.outage.params.skewMs: expected no skewMs for mode "refuse" (only "clock-skew" uses it), got 5'],
      ['bytesPerSec 0', 'slow', { bytesPerSec: 0 }, 'network.outage.params.bytesPerSec: expected a value > 0, got 0'],
      ['untilMs in the past', 'refuse', { untilMs: 1 }, 'network.outage.params.untilMs: expected a time after now (1704067200000), got 1'],
      ['both ends', 'refuse', { untilMs: 2e12, durationMs: 5 }, 'network.outage.params.durationMs: expected either untilMs or durationMs, not both, got 5'],
      ['unknown param', 'refuse', { forever: true }, 'network.outage.params: expected no unknown keys (forever), got {"forever":true}'],
    ];
    for (const [name, mode, params, message] of bad) {
      it(`refuses ${name} with B4_NET_INVALID_OUTAGE naming field, expectation and value`, () => {
        const { net } = model();
        assert.throws(
          () => net.setOutage('v', 'rest', mode as OutageMode, params as never),
          (e: unknown) => e instanceof NetworkInvalidOutageError && e.code === 'B4_NET_INVALID_OUTAGE' && e.message === message,
        );
        assert.equal(net.outage('v', 'rest'), null);
      });
    }
  });

  describe('argument validation', () => {
    it('scopes, venue names and connection ids', () => {
      const { net } = model();
      assert.throws(
        () => net.setProfile('v', 'udp' as LinkScope, 'good'),
        (e: unknown) =>
          e instanceof NetworkInvalidScopeError &&
          e.code === 'B4_NET_INVALID_SCOPE' &&
          e.message === 'network.setProfile.scope: expected one of "rest", "stream", "ws-api", "all", got "udp"',
      );
      assert.throws(
        () => net.link('v', 'all' as LinkScope, 'c'),
        (e: unknown) => e instanceof NetworkInvalidScopeError && e.message === 'network.link.scope: expected one of "rest", "stream", "ws-api", got "all"',
      );
      assert.throws(
        () => net.setOutage('bad venue', 'rest', 'refuse'),
        (e: unknown) =>
          e instanceof NetworkInvalidNameError &&
          e.code === 'B4_NET_INVALID_NAME' &&
          e.message === 'network.setOutage.venue: expected 1-64 characters from [A-Za-z0-9._:-], got "bad venue"',
      );
      assert.throws(() => net.link('v', 'rest', ''), /network\.link\.connectionId: expected a non-empty string of at most 256 characters without NUL, got ""/);
      assert.throws(() => net.clearOutage('v', 'x' as LinkScope), NetworkInvalidScopeError);
      assert.throws(() => net.setProfile('v', 'rest', 'bad' as never), NetworkUnknownProfileError);
    });

    it('constructor options are validated with parseOptions', () => {
      assert.throws(
        () => new NetworkModel({ seed: 1.5, clock: new SimulatedClock() }),
        (e: unknown) => e instanceof ConfigError && e.message === 'network.seed: expected an integer, got 1.5',
      );
      assert.throws(
        () => new NetworkModel({ seed: 1, clock: {} as never }),
        (e: unknown) => e instanceof ConfigError && e.message === 'network.clock: expected a Clock, got {}',
      );
      assert.throws(() => new NetworkModel({ seed: 1, clock: new SimulatedClock(), decisionLogSize: -1 }), /network\.decisionLogSize: expected a value >= 0, got -1/);
    });
  });
});
