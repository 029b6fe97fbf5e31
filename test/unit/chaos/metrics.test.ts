import assert from 'node:assert/strict';
import { submissionLatency, unknownResolution, type OrderHistoryView } from '../../../chaos/metrics.js';
import { ENGINE_DEFAULTS, parseScenario } from '../../../chaos/scenario.js';

const MS = 1e6;
function order(venue: string, submitMs: number, next: { dtMs: number; to: string; event?: string } | undefined): OrderHistoryView {
  const history = [{ tNs: submitMs * MS, event: 'submit', from: 'initialized', to: 'submitted' }];
  if (next !== undefined) history.push({ tNs: (submitMs + next.dtMs) * MS, event: next.event ?? 'accept', from: 'submitted', to: next.to });
  return { intent: { venue }, history };
}

describe('chaos metrics', () => {
  it('submission latency is grouped by the profile the venue had at submit time; unknowns counted, not timed', () => {
    const orders = [
      order('sim-a', 1000, { dtMs: 2, to: 'accepted' }),
      order('sim-a', 1500, { dtMs: 4, to: 'filled' }),
      order('sim-a', 3000, { dtMs: 60, to: 'accepted' }),
      order('sim-a', 3100, { dtMs: 1000, to: 'unknown', event: 'unknown' }),
      order('sim-b', 3000, { dtMs: 3, to: 'accepted' }),
      // found by a sync, not answered: not a round trip
      order('sim-a', 3200, { dtMs: 500, to: 'accepted', event: 'reconcile' }),
      order('sim-a', 3300, { dtMs: 5, to: 'rejected', event: 'reject' }),
      order('sim-a', 3400, undefined),
    ];
    const r = submissionLatency(orders, [{ venue: 'sim-a', t: 2000, profile: 'average' }], 'perfect');
    assert.deepEqual(r, [
      { profile: 'perfect', n: 3, p50: 3, p99: 4, max: 4, unknown: 0 },
      { profile: 'average', n: 1, p50: 60, p99: 60, max: 60, unknown: 1 },
    ]);
  });

  it('unknown resolution is timed from each heal to the first STATS line without unknown orders', () => {
    const st = (t: number, unknownOpen: number) => ({ t, pid: 1, rssMb: 1, heapMb: 1, orders: 0, open: 0, unknownOpen, venues: {} });
    assert.deepEqual(unknownResolution([100, 500], [st(90, 1), st(300, 1), st(400, 0), st(600, 1)]), [300, null]);
  });

  it('the engine block leaves breaker and venue actor options to the engine defaults', () => {
    assert.deepEqual(ENGINE_DEFAULTS.breaker, {});
    assert.deepEqual(ENGINE_DEFAULTS.actor, {});
    const s = parseScenario({ duration: '5s', strategies: [{ id: 'g', kind: 'constant-rate', instruments: ['sim-a:BTC/USDT'] }] });
    assert.deepEqual(s.engine.breaker, {});
    assert.deepEqual(s.engine.actor, {});
  });
});
