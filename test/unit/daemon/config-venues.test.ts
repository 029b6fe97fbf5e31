import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../common/errors.js';
import { logger } from '../../../common/log.js';
import { parseEngineConfig } from '../../../actors/engine/engine-config.js';
import type { BinanceAdapter } from '../../../actors/exchange/binance/binance-adapter.js';
import { parseDaemonConfig } from '../../../daemon/config.js';
import { Daemon } from '../../../daemon/daemon.js';
import { PROFILE_CHOICES } from '../../../simulators/faults/profiles.js';
import { DEMO_API_KEY, DEMO_API_SECRET, Simulator } from '../../../simulators/index.js';

const venue = { name: 'my-ex', rest: 'http://127.0.0.1:1/api/v3', apiKey: 'k', secret: 's' };
/** A config with one configured venue (no strategies: the defaults name sim venues). */
const withVenue = (patch: Record<string, unknown>): Record<string, unknown> => ({ venues: [{ ...venue, ...patch }], strategies: [] });

function invalid(raw: unknown): ConfigError {
  try {
    parseDaemonConfig(raw, {});
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail('expected a ConfigError');
}

describe('daemon config: one schema per concept', () => {
  it('sim.profile accepts exactly the simulator profile choices (none included)', () => {
    for (const profile of PROFILE_CHOICES) assert.equal(parseDaemonConfig({ sim: { profile } }, {}).sim.profile, profile);
    const e = invalid({ sim: { profile: 'terrible' } });
    assert.equal(e.field, 'sim.profile');
    assert.equal(e.message, 'sim.profile: expected one of "none", "perfect", "good", "average", "poor", "outage", got "terrible"');
  });

  it('sim.participants and sim.rateLimits are validated naming the field', () => {
    const c = parseDaemonConfig({ sim: { participants: false, rateLimits: 'high' } }, {});
    assert.deepEqual([c.sim.participants, c.sim.rateLimits], [false, 'high']);
    for (const rateLimits of ['off', 'binance', 'high']) assert.equal(parseDaemonConfig({ sim: { rateLimits } }, {}).sim.rateLimits, rateLimits);
    const e = invalid({ sim: { rateLimits: 'fast' } });
    assert.equal(e.field, 'sim.rateLimits');
    assert.equal(e.message, 'sim.rateLimits: expected one of "off", "binance", "high", got "fast"');
    assert.equal(invalid({ sim: { participants: 'no' } }).message, 'sim.participants: expected a boolean, got "no"');
  });

  it('venues[].limits keeps only what is written (a limit left out comes from the venue), ordersPerDay included', () => {
    assert.deepEqual(parseDaemonConfig(withVenue({}), {}).venues[0]!.limits, { headroom: 0.8 });
    assert.deepEqual(parseDaemonConfig(withVenue({ limits: { ordersPerDay: 5000 } }), {}).venues[0]!.limits, { ordersPerDay: 5000, headroom: 0.8 });
    assert.equal(invalid(withVenue({ limits: { ordersPerDay: 1.5 } })).message, 'venues.0.limits.ordersPerDay: expected an integer, got 1.5');
  });

  it("venues[] is the engine's venue schema: limits, actor and breaker are accepted and filled as the engine fills them", () => {
    const c = parseDaemonConfig(withVenue({ limits: { weightPerMinute: 400, ordersPer10s: 10 }, actor: { streams: false }, breaker: { consecutiveFailures: 5 } }), {});
    const v = c.venues[0]!;
    assert.deepEqual(v.limits, { weightPerMinute: 400, ordersPer10s: 10, headroom: 0.8 });
    assert.equal(v.actor.streams, false);
    assert.equal(v.actor.probeBaseMs, 50, "the venue actor's default");
    assert.deepEqual(v.breaker, { consecutiveFailures: 5 }, 'breaker overrides stay as written (the engine lays them over VENUE_BREAKER_DEFAULTS)');
    assert.equal(v.timeoutMs, 2000);
    const e = parseEngineConfig({ venues: [...c.venues] });
    assert.deepEqual(e.venues[0], v, 'the engine reads the same venue back');
    assert.equal(parseEngineConfig(e), e, 'a validated engine config is passed through, not validated again');
  });

  it('a bad venue field is refused at load time, naming the field', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ limits: { weightPerMinute: 0 } }, 'venues.0.limits.weightPerMinute: expected a value >= 1, got 0'],
      [{ limits: { perSecond: 5 } }, 'venues.0.limits: expected no unknown keys (perSecond), got {"perSecond":5}'],
      [{ actor: { probeBaseMs: 'x' } }, 'venues.0.actor.probeBaseMs: expected a number, got "x"'],
      [{ breaker: { consecutiveFailures: -1 } }, 'venues.0.breaker.consecutiveFailures: expected a value >= 0, got -1'],
      [{ breaker: { colour: 1 } }, 'venues.0.breaker: expected no unknown keys (colour), got {"colour":1}'],
    ];
    for (const [patch, message] of cases) assert.equal(invalid(withVenue(patch)).message, message);
  });

  describe('venues[].limits reaches the engine (daemon on a configured venue)', function () {
    this.timeout(30_000);
    let sim: Simulator | undefined;
    let daemon: Daemon | undefined;
    let dir = '';
    let level = '';

    before(() => {
      // loggers made from here on (engine, venue actor, gateway) stay quiet unless this fails
      level = logger.level;
      logger.level = 'silent';
    });
    after(async () => {
      logger.level = level;
      await daemon?.stop();
      await sim?.stop();
      if (dir !== '') rmSync(dir, { recursive: true, force: true });
    });

    it("the venue's rate budget is built from the configured limits", async () => {
      sim = await Simulator.start({ venues: 1, seed: 3, port: 0, participants: false });
      dir = mkdtempSync(path.join(tmpdir(), 'bot4-cfg-venues-'));
      const v = sim.venues[0]!;
      const config = parseDaemonConfig(
        {
          venues: [{ name: v.name, rest: v.rest, ws: v.ws, wsApi: v.wsApi, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, limits: { weightPerMinute: 400, ordersPer10s: 10, headroom: 0.5 }, actor: { streams: false, reconcileEveryMs: 0 } }],
          symbols: ['BTC/USDT'],
          strategies: [],
          journal: { dir: path.join(dir, 'journal'), fsync: 'never' },
          gateway: { port: 0, tokens: [{ name: 'ops', token: 'ops-token-0123456789abcdef', roles: ['admin'] }] },
          auth: { tokenFile: '' },
        },
        {},
      );
      daemon = await Daemon.start(config);
      const budget = (daemon.engine.venues.get(v.name)!.adapter as BinanceAdapter).budget!;
      assert.equal(budget.weightLimit, 200, 'weightPerMinute 400 x headroom 0.5');
      assert.equal(budget.orderLimit, 5, 'ordersPer10s 10 x headroom 0.5');
      assert.equal(daemon.engine.config.venues[0]!.actor.streams, false);
    });
  });

  describe('sim.rateLimits and sim.participants reach the embedded simulator, and the budget follows it', function () {
    this.timeout(30_000);
    let daemon: Daemon | undefined;
    let dir = '';
    let level = '';

    before(() => {
      level = logger.level;
      logger.level = 'silent';
    });
    after(async () => {
      logger.level = level;
      await daemon?.stop();
      if (dir !== '') rmSync(dir, { recursive: true, force: true });
    });

    it('sim: { rateLimits: high, participants: false } gives the engine a budget of the advertised high limits, no config edit', async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'bot4-cfg-sim-'));
      const config = parseDaemonConfig(
        {
          sim: { venues: 1, participants: false, rateLimits: 'high' },
          symbols: ['BTC/USDT'],
          strategies: [],
          risk: { strategies: { api: {} } },
          journal: { dir: path.join(dir, 'journal'), fsync: 'never' },
          gateway: { port: 0, tokens: [{ name: 'ops', token: 'ops-token-0123456789abcdef', roles: ['admin'] }] },
          auth: { tokenFile: '' },
        },
        {},
      );
      daemon = await Daemon.start(config);
      const sim = daemon.sim!;
      assert.equal(sim.venue('sim-a').participants, undefined, 'no background participants');
      assert.equal(sim.venue('sim-a').limiter.opts.ordersPer10s, 1_000_000);
      const l = (daemon.engine.venues.get('sim-a')!.adapter as BinanceAdapter).budget!.limits();
      assert.deepEqual(
        [l.weight, l.orders, l.ordersLong],
        [
          { venueLimit: 6_000_000, windowMs: 60_000, limit: 4_800_000, source: 'venue' },
          { venueLimit: 1_000_000, windowMs: 10_000, limit: 800_000, source: 'venue' },
          { venueLimit: 1_000_000_000, windowMs: 86_400_000, limit: 800_000_000, source: 'venue' },
        ],
      );
    });
  });
});
