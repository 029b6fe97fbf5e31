import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BREAKER_DEFAULTS,
  CircuitBreaker,
  PERMIT,
  REJECT_HALF_OPEN,
  REJECT_OPEN,
  TRIAL_PERMIT,
  type BreakerTransition,
  type CircuitBreakerOptions,
} from '../../../../actors/exchange/circuit-breaker.js';
import { SimulatedClock } from '../../../../common/clock.js';
import { ConfigError, InvalidArgumentError } from '../../../../common/errors.js';
import { AtomicCounters } from '../../../../native/atomic-counters.js';

const SLOW = 2e9; // ns: above a 1 s slowCallDurationMs
const FAST = 1e6;

function make(options: CircuitBreakerOptions = {}, clock = new SimulatedClock()): { b: CircuitBreaker; clock: SimulatedClock; events: BreakerTransition[] } {
  const b = new CircuitBreaker(options, clock);
  const events: BreakerTransition[] = [];
  b.on('transition', (e) => events.push(e));
  return { b, clock, events };
}

function call(b: CircuitBreaker, ok: boolean, durationNs = FAST): number {
  const r = b.tryAcquire();
  if (r > 0) {
    if (ok) b.onSuccess(durationNs);
    else b.onFailure(durationNs);
  }
  return r;
}

/** Trips a default-configured breaker with 5 consecutive failures. */
function trip(b: CircuitBreaker): void {
  for (let i = 0; i < 5; i++) call(b, false);
  assert.equal(b.state, 'open');
}

describe('CircuitBreaker', () => {
  describe('defaults', () => {
    it('encode the review rule: >50 % of >= 10 calls or 5 in a row, 30 s open, 3 trials, 3 successes', () => {
      const { b } = make();
      assert.equal(b.options.failureRateThreshold, 50);
      assert.equal(b.options.minimumCalls, 10);
      assert.equal(b.options.consecutiveFailures, 5);
      assert.equal(b.options.openDurationMs, 30_000);
      assert.equal(b.options.halfOpenPermits, 3);
      assert.equal(b.options.halfOpenSuccesses, 3);
      assert.deepEqual({ ...b.options }, { ...BREAKER_DEFAULTS });
      assert.ok(Object.isFrozen(b.options));
      assert.equal(b.state, 'closed');
    });
  });

  describe('closed -> open', () => {
    it('trips on a failure rate above the threshold once minimumCalls is reached, not before', () => {
      const { b, events } = make({ consecutiveFailures: 0 });
      // 9 calls, 6 failures: above 50 % but below minimumCalls
      for (let i = 0; i < 9; i++) assert.equal(call(b, i % 3 === 0), PERMIT);
      assert.equal(b.state, 'closed');
      assert.deepEqual([b.metrics().calls, b.metrics().failures], [9, 6]);
      call(b, true); // the 10th call (a success) makes the rate count: 6/10 > 50 %
      assert.equal(b.state, 'open');
      assert.equal(events.length, 1);
      assert.deepEqual({ ...events[0]!, at: 0 }, { name: 'breaker', from: 'closed', to: 'open', reason: 'failure-rate', at: 0 });
      assert.equal(b.tryAcquire(), REJECT_OPEN);
    });

    it('exactly at the threshold does not trip (strictly greater)', () => {
      const { b } = make({ consecutiveFailures: 0 });
      for (let i = 0; i < 40; i++) call(b, i % 2 === 0);
      assert.equal(b.metrics().failures * 2, b.metrics().calls);
      assert.equal(b.state, 'closed');
      call(b, false);
      assert.equal(b.state, 'open');
    });

    it('trips on consecutive failures; a success resets the streak', () => {
      const { b, events } = make();
      for (let i = 0; i < 4; i++) call(b, false);
      call(b, true);
      for (let i = 0; i < 4; i++) call(b, false);
      assert.equal(b.state, 'closed');
      assert.equal(b.metrics().consecutiveFailures, 4);
      call(b, false);
      assert.equal(b.state, 'open');
      assert.equal(events[0]!.reason, 'consecutive-failures');
    });

    it('trips on the slow-call rate (slow successes count)', () => {
      const { b, events } = make({ slowCallDurationMs: 1000, slowCallRateThreshold: 50, minimumCalls: 4 });
      call(b, true, SLOW);
      call(b, true);
      call(b, true, SLOW);
      assert.equal(b.state, 'closed');
      call(b, true, SLOW); // 3 of 4 slow
      assert.equal(b.state, 'open');
      assert.equal(events[0]!.reason, 'slow-call-rate');
      assert.equal(b.metrics().slowCalls, 3);
    });

    it('ignores results that arrive while open', () => {
      const { b } = make();
      trip(b);
      const before = b.metrics();
      b.onFailure(FAST);
      b.onSuccess(FAST);
      assert.deepEqual(b.metrics(), before);
    });
  });

  describe('open -> half-open -> closed/open', () => {
    it('stays open for openDurationMs, then admits exactly halfOpenPermits trials', () => {
      const { b, clock, events } = make();
      trip(b);
      clock.advance(29_999);
      assert.equal(b.tryAcquire(), REJECT_OPEN);
      assert.equal(b.state, 'open');
      clock.advance(1);
      assert.equal(b.tryAcquire(), TRIAL_PERMIT);
      assert.equal(b.state, 'half-open');
      assert.equal(b.tryAcquire(), TRIAL_PERMIT);
      assert.equal(b.tryAcquire(), TRIAL_PERMIT);
      assert.equal(b.tryAcquire(), REJECT_HALF_OPEN);
      assert.equal(b.tryAcquire(), REJECT_HALF_OPEN);
      assert.deepEqual(events.map((e) => `${e.from}>${e.to}:${e.reason}`), ['closed>open:consecutive-failures', 'open>half-open:open-timeout']);
      assert.equal(events[1]!.at, 30_000 * 1e6);
    });

    it('closes after halfOpenSuccesses successes with an empty window', () => {
      const { b, clock, events } = make();
      trip(b);
      clock.advance(30_000);
      for (let i = 0; i < 3; i++) assert.equal(b.tryAcquire(), TRIAL_PERMIT);
      b.onSuccess(FAST);
      b.onSuccess(FAST);
      assert.equal(b.state, 'half-open');
      b.onSuccess(FAST);
      assert.equal(b.state, 'closed');
      assert.equal(events.at(-1)!.reason, 'half-open-success');
      assert.deepEqual(b.metrics(), { state: 'closed', calls: 0, failures: 0, slowCalls: 0, consecutiveFailures: 0, trips: 0 });
      assert.equal(b.tryAcquire(), PERMIT);
    });

    it('a failed trial re-opens with the backoff multiplier, capped at maxOpenDurationMs', () => {
      const { b, clock, events } = make({ maxOpenDurationMs: 100_000 });
      trip(b);
      const lengths: number[] = [];
      for (let k = 0; k < 4; k++) {
        const t0 = clock.nowNs();
        while (b.tryAcquire() === REJECT_OPEN) clock.advance(1000);
        lengths.push((clock.nowNs() - t0) / 1e6);
        assert.equal(b.state, 'half-open');
        b.onFailure(FAST);
        assert.equal(b.state, 'open');
        assert.equal(events.at(-1)!.reason, 'half-open-failure');
      }
      assert.deepEqual(lengths, [30_000, 60_000, 100_000, 100_000]);
      assert.equal(b.metrics().trips, 5);
    });

    it('backoff: 30 s, then 60 s, then 120 s', () => {
      const { b, clock } = make();
      trip(b);
      const lengths: number[] = [];
      for (let k = 0; k < 3; k++) {
        const t0 = clock.nowNs();
        while (b.tryAcquire() === REJECT_OPEN) clock.advance(1000);
        lengths.push((clock.nowNs() - t0) / 1e6);
        b.onFailure(FAST);
      }
      assert.deepEqual(lengths, [30_000, 60_000, 120_000]);
    });

    it('closing resets the backoff', () => {
      const { b, clock } = make();
      trip(b);
      clock.advance(30_000);
      b.tryAcquire();
      b.onFailure(FAST); // re-open: 60 s
      clock.advance(60_000);
      for (let i = 0; i < 3; i++) b.tryAcquire();
      for (let i = 0; i < 3; i++) b.onSuccess(FAST);
      assert.equal(b.state, 'closed');
      trip(b);
      clock.advance(29_999);
      assert.equal(b.tryAcquire(), REJECT_OPEN);
      clock.advance(1);
      assert.equal(b.tryAcquire(), TRIAL_PERMIT);
    });

    it('a slow trial counts as failed', () => {
      const { b, clock } = make({ slowCallDurationMs: 1000 });
      trip(b);
      clock.advance(30_000);
      b.tryAcquire();
      b.onSuccess(SLOW);
      assert.equal(b.state, 'open');
    });

    it('halfOpenSuccesses < halfOpenPermits tolerates failures that still allow closing', () => {
      const { b, clock } = make({ halfOpenPermits: 4, halfOpenSuccesses: 2 });
      trip(b);
      clock.advance(30_000);
      for (let i = 0; i < 4; i++) assert.equal(b.tryAcquire(), TRIAL_PERMIT);
      b.onFailure(FAST);
      b.onFailure(FAST);
      assert.equal(b.state, 'half-open'); // 2 successes still possible
      b.onSuccess(FAST);
      b.onSuccess(FAST);
      assert.equal(b.state, 'closed');
      trip(b);
      clock.advance(30_000);
      for (let i = 0; i < 4; i++) b.tryAcquire();
      for (let i = 0; i < 3; i++) b.onFailure(FAST);
      assert.equal(b.state, 'open'); // only 1 trial left: cannot reach 2 successes
    });

    it('half-open with every permit taken and no verdict re-opens after halfOpenTimeoutMs', () => {
      const { b, clock, events } = make({ halfOpenTimeoutMs: 5000 });
      trip(b);
      clock.advance(30_000);
      for (let i = 0; i < 3; i++) b.tryAcquire();
      clock.advance(4999);
      assert.equal(b.tryAcquire(), REJECT_HALF_OPEN);
      assert.equal(b.state, 'half-open');
      clock.advance(1);
      assert.equal(b.tryAcquire(), REJECT_HALF_OPEN);
      assert.equal(b.state, 'open');
      assert.equal(events.at(-1)!.reason, 'half-open-timeout');
    });

    it('halfOpenTimeoutMs 0 waits for the trials forever', () => {
      const { b, clock } = make({ halfOpenTimeoutMs: 0 });
      trip(b);
      clock.advance(30_000);
      for (let i = 0; i < 3; i++) b.tryAcquire();
      clock.advance(10 * 86_400_000);
      assert.equal(b.tryAcquire(), REJECT_HALF_OPEN);
      assert.equal(b.state, 'half-open');
    });

    it('jitter spreads the open duration deterministically from the seed', () => {
      const lengths = (seed: number): number[] => {
        const { b, clock } = make({ jitter: 0.5, jitterSeed: seed, backoffMultiplier: 1 });
        trip(b);
        const out: number[] = [];
        for (let k = 0; k < 5; k++) {
          const t0 = clock.nowNs();
          while (b.tryAcquire() === REJECT_OPEN) clock.advance(100);
          out.push((clock.nowNs() - t0) / 1e6);
          b.onFailure(FAST);
        }
        return out;
      };
      const a = lengths(7);
      assert.deepEqual(lengths(7), a);
      assert.notDeepEqual(lengths(8), a);
      for (const l of a) assert.ok(l >= 15_000 && l <= 45_100, `${l}`);
      assert.ok(new Set(a).size > 1);
    });
  });

  describe('events and sharing', () => {
    it('unsubscribe works and a throwing listener does not disturb the breaker', () => {
      const { b } = make();
      const seen: string[] = [];
      const off = b.on('transition', () => seen.push('x'));
      b.on('transition', () => {
        throw new Error('listener bug');
      });
      off();
      trip(b);
      assert.deepEqual(seen, []);
      assert.equal(b.state, 'open');
      assert.throws(() => b.on('change' as 'transition', () => {}), InvalidArgumentError);
      assert.throws(() => b.on('transition', 5 as unknown as () => void), InvalidArgumentError);
    });

    it('two instances on one block behave as one breaker, and each reports the transitions', () => {
      const counters = AtomicCounters.create(CircuitBreaker.slotsNeeded());
      const clock = new SimulatedClock();
      const a = make({ counters, name: 'a' }, clock);
      const b = make({ counters, name: 'b' }, clock);
      for (let i = 0; i < 3; i++) call(a.b, false);
      for (let i = 0; i < 2; i++) call(b.b, false); // 5 in a row across both
      assert.equal(a.b.state, 'open');
      assert.equal(b.events[0]!.reason, 'consecutive-failures');
      assert.deepEqual(a.events.map((e) => `${e.name}:${e.to}:${e.reason}`), ['a:open:observed']);
      clock.advance(30_000);
      // 3 permits in total between both
      const grants = [a.b.tryAcquire(), b.b.tryAcquire(), a.b.tryAcquire(), b.b.tryAcquire(), a.b.tryAcquire()];
      assert.deepEqual(grants, [TRIAL_PERMIT, TRIAL_PERMIT, TRIAL_PERMIT, REJECT_HALF_OPEN, REJECT_HALF_OPEN]);
      a.b.onSuccess(FAST);
      b.b.onSuccess(FAST);
      a.b.onSuccess(FAST);
      assert.equal(b.b.state, 'closed');
    });

    it('breakers at different slotBase values in one block are independent', () => {
      const n = CircuitBreaker.slotsNeeded();
      const counters = AtomicCounters.create(2 * n);
      const x = make({ counters });
      const y = make({ counters, slotBase: n, windowSize: 100 });
      trip(x.b);
      assert.equal(y.b.state, 'closed');
    });
  });

  describe('time window', () => {
    it('counts the calls of the last windowSize seconds and evicts older ones', () => {
      const { b, clock } = make({ windowType: 'time', windowSize: 10, consecutiveFailures: 0, minimumCalls: 100 });
      for (let i = 0; i < 5; i++) call(b, false);
      clock.advance(5000);
      for (let i = 0; i < 3; i++) call(b, true, 2e12);
      assert.deepEqual([b.metrics().calls, b.metrics().failures, b.metrics().slowCalls], [8, 5, 3]);
      clock.advance(5000); // the first second's calls leave the window
      call(b, true);
      assert.deepEqual([b.metrics().calls, b.metrics().failures, b.metrics().slowCalls], [4, 0, 3]);
      clock.advance(60_000); // a long idle gap empties everything
      call(b, false);
      assert.deepEqual([b.metrics().calls, b.metrics().failures], [1, 1]);
    });

    it('trips on the failure rate within the window', () => {
      const { b, clock, events } = make({ windowType: 'time', windowSize: 2, consecutiveFailures: 0, minimumCalls: 4 });
      call(b, false);
      call(b, false);
      clock.advance(2000);
      call(b, true);
      call(b, false);
      call(b, true);
      assert.equal(b.state, 'closed'); // the old failures left: 1/3
      call(b, false); // 2/4 = 50 %: not above
      assert.equal(b.state, 'closed');
      call(b, false); // 3/5
      assert.equal(b.state, 'open');
      assert.equal(events[0]!.reason, 'failure-rate');
    });
  });

  describe('window maths (property-based, vs a naive model)', () => {
    const outcome = fc.record({ ok: fc.boolean(), slow: fc.boolean() });

    it('count window totals equal the counts over the last windowSize calls', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 40 }), fc.array(outcome, { maxLength: 200 }), (n, calls) => {
          const { b } = make({ windowSize: n, minimumCalls: 1, failureRateThreshold: 100, slowCallRateThreshold: 100, consecutiveFailures: 0, slowCallDurationMs: 1000 });
          for (let i = 0; i < calls.length; i++) {
            const c = calls[i]!;
            call(b, c.ok, c.slow ? SLOW : FAST);
            const last = calls.slice(Math.max(0, i + 1 - n), i + 1);
            const m = b.metrics();
            assert.equal(m.calls, last.length);
            assert.equal(m.failures, last.filter((x) => !x.ok).length);
            assert.equal(m.slowCalls, last.filter((x) => x.slow).length);
          }
        }),
        { numRuns: 150 },
      );
    });

    it('trips at exactly the call where the naive rule first holds, for the same reason', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 30 }),
          fc.integer({ min: 1, max: 30 }),
          fc.integer({ min: 1, max: 100 }),
          fc.integer({ min: 1, max: 100 }),
          fc.integer({ min: 0, max: 8 }),
          fc.array(outcome, { maxLength: 120 }),
          (n, m0, thr, slowThr, k, calls) => {
            const m = Math.min(m0, n);
            const { b, events } = make({ windowSize: n, minimumCalls: m, failureRateThreshold: thr, slowCallRateThreshold: slowThr, consecutiveFailures: k, slowCallDurationMs: 1000 });
            let expected: { index: number; reason: string } | undefined;
            let streak = 0;
            for (let i = 0; i < calls.length && expected === undefined; i++) {
              const c = calls[i]!;
              streak = c.ok ? 0 : streak + 1;
              const win = calls.slice(Math.max(0, i + 1 - n), i + 1);
              const fails = win.filter((x) => !x.ok).length;
              const slow = win.filter((x) => x.slow).length;
              if (k > 0 && !c.ok && streak >= k) expected = { index: i, reason: 'consecutive-failures' };
              else if (win.length >= m && fails * 100 > thr * win.length) expected = { index: i, reason: 'failure-rate' };
              else if (win.length >= m && slow * 100 > slowThr * win.length) expected = { index: i, reason: 'slow-call-rate' };
            }
            let tripped: { index: number; reason: string } | undefined;
            for (let i = 0; i < calls.length && tripped === undefined; i++) {
              const c = calls[i]!;
              assert.equal(call(b, c.ok, c.slow ? SLOW : FAST), PERMIT);
              if (events.length > 0) tripped = { index: i, reason: events[0]!.reason };
            }
            assert.deepEqual(tripped, expected);
          },
        ),
        { numRuns: 300 },
      );
    });

    it('time window totals equal the counts over the last windowSize seconds', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 8 }),
          fc.array(fc.record({ advanceMs: fc.integer({ min: 0, max: 2500 }), ok: fc.boolean(), slow: fc.boolean() }), { maxLength: 120 }),
          (w, steps) => {
            const { b, clock } = make({ windowType: 'time', windowSize: w, minimumCalls: 1, failureRateThreshold: 100, slowCallRateThreshold: 100, consecutiveFailures: 0, slowCallDurationMs: 1000 });
            const log: { sec: number; ok: boolean; slow: boolean }[] = [];
            for (const s of steps) {
              clock.advance(s.advanceMs);
              const sec = Math.floor(clock.nowNs() / 1e9);
              call(b, s.ok, s.slow ? SLOW : FAST);
              log.push({ sec, ok: s.ok, slow: s.slow });
              const win = log.filter((x) => x.sec > sec - w);
              const mtr = b.metrics();
              assert.deepEqual([mtr.calls, mtr.failures, mtr.slowCalls], [win.length, win.filter((x) => !x.ok).length, win.filter((x) => x.slow).length]);
            }
          },
        ),
        { numRuns: 150 },
      );
    });
  });

  describe('validation', () => {
    const cases: [CircuitBreakerOptions, string, RegExp][] = [
      [{ windowType: 'sliding' as 'count' }, 'breaker.windowType', /expected one of "count", "time", got "sliding"/],
      [{ windowSize: 0 }, 'breaker.windowSize', />= 1, got 0/],
      [{ windowSize: 1.5 }, 'breaker.windowSize', /integer, got 1.5/],
      [{ windowSize: 2_000_000 }, 'breaker.windowSize', /<= 1000000/],
      [{ windowType: 'time', windowSize: 7200, minimumCalls: 1 }, 'breaker.windowSize', /<= 3600 \(seconds\)/],
      [{ minimumCalls: 0 }, 'breaker.minimumCalls', />= 1, got 0/],
      [{ windowSize: 5, minimumCalls: 6 }, 'breaker.minimumCalls', /<= windowSize \(5\).*got 6/],
      [{ failureRateThreshold: 0 }, 'breaker.failureRateThreshold', /> 0, got 0/],
      [{ failureRateThreshold: 101 }, 'breaker.failureRateThreshold', /<= 100, got 101/],
      [{ slowCallDurationMs: -1 }, 'breaker.slowCallDurationMs', />= 0, got -1/],
      [{ slowCallRateThreshold: 150 }, 'breaker.slowCallRateThreshold', /<= 100, got 150/],
      [{ consecutiveFailures: -1 }, 'breaker.consecutiveFailures', />= 0, got -1/],
      [{ openDurationMs: 0 }, 'breaker.openDurationMs', />= 1, got 0/],
      [{ openDurationMs: '30s' as unknown as number }, 'breaker.openDurationMs', /expected a number, got "30s"/],
      [{ backoffMultiplier: 0.5 }, 'breaker.backoffMultiplier', />= 1, got 0.5/],
      [{ maxOpenDurationMs: 1000 }, 'breaker.maxOpenDurationMs', />= openDurationMs \(30000\).*got 1000/],
      [{ jitter: 1 }, 'breaker.jitter', /< 1, got 1/],
      [{ jitterSeed: 0.5 }, 'breaker.jitterSeed', /integer, got 0.5/],
      [{ halfOpenPermits: 0 }, 'breaker.halfOpenPermits', />= 1, got 0/],
      [{ halfOpenPermits: 1001 }, 'breaker.halfOpenPermits', /<= 1000, got 1001/],
      [{ halfOpenSuccesses: 4 }, 'breaker.halfOpenSuccesses', /<= halfOpenPermits \(3\).*got 4/],
      [{ halfOpenTimeoutMs: -5 }, 'breaker.halfOpenTimeoutMs', />= 0, got -5/],
      [{ slotBase: -1 }, 'breaker.slotBase', />= 0, got -1/],
      [{ name: '' }, 'breaker.name', /length >= 1/],
      [{ windowsize: 10 } as CircuitBreakerOptions, 'breaker', /unknown keys \(windowsize\)/],
      [{ counters: {} as AtomicCounters }, 'breaker.counters', /expected an AtomicCounters block/],
    ];
    for (const [input, field, re] of cases) {
      it(`${field}: ${JSON.stringify(input)}`, () => {
        assert.throws(
          () => new CircuitBreaker(input, new SimulatedClock()),
          (e: unknown) => e instanceof ConfigError && e.code === 'B4_CONFIG_INVALID' && e.field === field && e.message.startsWith(`${field}: `) && re.test(e.message),
        );
      });
    }

    it('rejects a non-object', () => {
      assert.throws(() => new CircuitBreaker(5 as unknown as CircuitBreakerOptions), (e: unknown) => e instanceof ConfigError && /expected an options object, got 5/.test(e.message));
    });

    it('rejects a block that is too small, closed, or used by a breaker with other options', () => {
      const small = AtomicCounters.create(5);
      assert.throws(() => new CircuitBreaker({ counters: small }), (e: unknown) => e instanceof ConfigError && /at least 12 slots.*got 5 slots/.test(e.message));
      const block = AtomicCounters.create(64);
      new CircuitBreaker({ counters: block, windowSize: 20 });
      new CircuitBreaker({ counters: block, windowSize: 20, name: 'same options: fine' });
      assert.throws(() => new CircuitBreaker({ counters: block, windowSize: 30 }), (e: unknown) => e instanceof ConfigError && e.field === 'breaker.counters' && /other options/.test(e.message));
      block.close();
      assert.throws(() => new CircuitBreaker({ counters: block }), (e: unknown) => e instanceof ConfigError && /closed block/.test(e.message));
    });

    it('rejects bad durations', () => {
      const { b } = make();
      for (const d of [-1, NaN, '5' as unknown as number]) {
        assert.throws(() => b.onSuccess(d), (e: unknown) => e instanceof InvalidArgumentError && /onSuccess\(durationNs\)/.test(e.message));
        assert.throws(() => b.onFailure(d), (e: unknown) => e instanceof InvalidArgumentError && /onFailure\(durationNs\)/.test(e.message));
      }
    });

    it('slotsNeeded: 10 control slots plus the window (64 calls or 1 second per slot)', () => {
      assert.equal(CircuitBreaker.slotsNeeded(), 10 + 2);
      assert.equal(CircuitBreaker.slotsNeeded({ windowSize: 100_000 }), 10 + 1563);
      assert.equal(CircuitBreaker.slotsNeeded({ windowType: 'time', windowSize: 60 }), 70);
    });
  });
});
