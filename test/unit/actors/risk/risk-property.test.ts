import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { OrderIntent } from '../../../../actors/orders/intent.js';
import type { CorrelationSource } from '../../../../actors/risk/ports.js';
import { RiskEngine } from '../../../../actors/risk/risk-engine.js';
import { SimulatedClock } from '../../../../common/clock.js';
import { looseConfig, merge, unitInstrument } from './fixtures.js';

/*
 * Property: whatever sequence of orders a strategy submits, the approved ones — once filled, in
 * any order and any partial amounts, with others cancelled — never take the book past a limit.
 * The limits are recomputed here from the test's own ledger of fills, not read from the engine.
 */

const SYMS = ['A/USDT', 'B/USDT', 'C/USDT', 'D/USDT'];
// Instruments: four on v1, A also on v2 (same correlation series as v1:A).
const INSTS = [...SYMS.map((s) => ['v1', s] as const), ['v2', 'A/USDT'] as const];
// A, B, C form a cluster (ρ 0.8); D is loosely tied (ρ 0.2).
const RHO = [
  [1, 0.8, 0.8, 0.2],
  [0.8, 1, 0.8, 0.2],
  [0.8, 0.8, 1, 0.2],
  [0.2, 0.2, 0.2, 1],
];
const REF = 100;
const L = { pos: 800, vGross: 1500, vNet: 1000, pGross: 2000, pNet: 1200, weighted: 1200, openSym: 3, openVenue: 6, openTotal: 8, cluster: 2 };
const QUOTE0 = 1500;
const BASE0 = 6;

class Fixed implements CorrelationSource {
  readonly series = 4;
  matrix(out = new Float64Array(16)): Float64Array {
    for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) out[a * 4 + b] = RHO[a]![b]!;
    return out;
  }
}

type Cmd = { t: 'submit'; inst: number; buy: boolean; qty: number; dp: number } | { t: 'fill'; k: number; part: number } | { t: 'cancel'; k: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant('submit' as const), inst: fc.integer({ min: 0, max: 4 }), buy: fc.boolean(), qty: fc.integer({ min: 1, max: 8 }), dp: fc.integer({ min: -1, max: 1 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('fill' as const), k: fc.nat(), part: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('cancel' as const), k: fc.nat() }) },
);

interface Open {
  o: OrderIntent;
  inst: number;
  left: number;
}

describe('RiskEngine property: approved orders, once filled, never breach a limit', () => {
  let approvals = 0;
  let denials = 0;
  const codes = new Map<string, number>();

  it('holds over random order/fill/cancel sequences (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(cmd, { minLength: 20, maxLength: 80, size: 'max' }), (cmds) => {
        const clock = new SimulatedClock({ startNs: 1e9 });
        const config = merge(looseConfig(), {
          defaults: { instrument: { maxPositionNotional: String(L.pos), maxOpenOrders: L.openSym, priceBandBps: 100 }, venue: { maxGrossExposure: String(L.vGross), maxNetExposure: String(L.vNet), maxOpenOrders: L.openVenue } },
          portfolio: { maxGrossExposure: String(L.pGross), maxNetExposure: String(L.pNet), maxOpenOrders: L.openTotal },
          correlation: { maxWeightedExposure: String(L.weighted), pairThreshold: 0.7, maxCorrelatedPositions: L.cluster },
        });
        const engine = new RiskEngine({
          config,
          clock,
          instruments: INSTS.map(([v, s]) => unitInstrument(v, s)),
          correlation: { source: new Fixed(), symbols: SYMS },
        });
        engine.refreshCorrelation();
        const pos = new Array<number>(INSTS.length).fill(0);
        const quote = new Map<string, number>([['v1', QUOTE0], ['v2', QUOTE0]]);
        const base = new Map<string, number>();
        for (const [v, s] of INSTS) {
          engine.onQuote(v, s, REF);
          engine.onBalance(v, 'USDT', QUOTE0);
          engine.onBalance(v, s.split('/')[0]!, BASE0);
          base.set(`${v}:${s}`, BASE0);
        }
        const open: Open[] = [];

        const verify = (): void => {
          const seriesOf = (i: number): number => SYMS.indexOf(INSTS[i]![1]);
          const e = pos.map((p) => p * REF);
          for (let i = 0; i < e.length; i++) assert.ok(Math.abs(e[i]!) <= L.pos, `position ${INSTS[i]} ${e[i]}`);
          for (const v of ['v1', 'v2']) {
            const idx = INSTS.map((x, i) => (x[0] === v ? i : -1)).filter((i) => i >= 0);
            assert.ok(idx.reduce((a, i) => a + Math.abs(e[i]!), 0) <= L.vGross, `venue gross ${v}`);
            assert.ok(Math.abs(idx.reduce((a, i) => a + e[i]!, 0)) <= L.vNet, `venue net ${v}`);
            assert.ok(quote.get(v)! >= 0, `quote balance ${v}`);
          }
          assert.ok(e.reduce((a, x) => a + Math.abs(x), 0) <= L.pGross, 'portfolio gross');
          assert.ok(Math.abs(e.reduce((a, x) => a + x, 0)) <= L.pNet, 'portfolio net');
          const series = [0, 0, 0, 0];
          e.forEach((x, i) => (series[seriesOf(i)]! += x));
          for (let s = 0; s < 4; s++) {
            const w = series.reduce((a, x, t) => a + RHO[s]![t]! * x, 0);
            assert.ok(Math.abs(w) <= L.weighted + 1e-6, `weighted exposure of ${SYMS[s]}: ${w} pos ${pos} hi ${[...engine.state.seriesHi]} lo ${[...engine.state.seriesLo]} open ${open.map((x) => `${x.inst}${x.o.side}${x.left}`)}`);
          }
          assert.ok([0, 1, 2].filter((s) => series[s] !== 0 || pos.some((p, i) => p !== 0 && seriesOf(i) === s)).length <= L.cluster, 'correlated positions');
          for (const [k, b] of base) assert.ok(b >= 0, `base balance ${k}`);
          assert.ok(open.length <= L.openTotal, 'open orders total');
        };

        const fillSome = (k: number, lots: number): void => {
          const x = open[k]!;
          const q = Math.min(lots, x.left);
          const [v, s] = INSTS[x.inst]!;
          engine.onFill(x.o, q, x.o.priceTicks, 0);
          const buy = x.o.side === 'buy';
          pos[x.inst]! += buy ? q : -q;
          quote.set(v, quote.get(v)! + (buy ? -1 : 1) * q * x.o.priceTicks);
          base.set(`${v}:${s}`, base.get(`${v}:${s}`)! + (buy ? q : -q));
          x.left -= q;
          if (x.left === 0) {
            engine.onOrderClosed(x.o, 0);
            open.splice(k, 1);
          }
        };

        for (const c of cmds) {
          if (c.t === 'submit') {
            const [v, s] = INSTS[c.inst]!;
            const o: OrderIntent = { strategy: 's1', venue: v, symbol: s, side: c.buy ? 'buy' : 'sell', type: 'limit', tif: 'GTC', priceTicks: REF + c.dp, qtyLots: c.qty };
            const d = engine.check(o);
            if (d.approved) {
              approvals++;
              engine.onOrderOpened(o);
              open.push({ o, inst: c.inst, left: c.qty });
              assert.ok(open.filter((x) => x.o.venue === v).length <= L.openVenue, 'open orders per venue');
              assert.ok(open.filter((x) => x.inst === c.inst).length <= L.openSym, 'open orders per symbol');
            } else {
              denials++;
              codes.set(d.code, (codes.get(d.code) ?? 0) + 1);
            }
          } else if (open.length > 0) {
            const k = c.k % open.length;
            if (c.t === 'fill') fillSome(k, c.part);
            else {
              engine.onOrderClosed(open[k]!.o, open[k]!.left);
              open.splice(k, 1);
            }
          }
          verify();
        }
        // Everything still open fills completely, in submission order.
        while (open.length > 0) {
          fillSome(0, open[0]!.left);
          verify();
        }
      }),
      { numRuns: 300, seed: 20251125 },
    );
    // The property is only meaningful if the engine both approves and denies along the way.
    assert.ok(approvals > 500, `approvals ${approvals}`);
    assert.ok(denials > 500, `denials ${denials}`);
    for (const c of ['RISK_POSITION_LIMIT', 'RISK_EXPOSURE_GROSS', 'RISK_EXPOSURE_NET', 'RISK_BALANCE', 'RISK_CORRELATION', 'RISK_CORRELATED_POSITIONS']) {
      assert.ok((codes.get(c) ?? 0) > 0, `${c} never bound: the limits are too loose to test it`);
    }
  });
});
