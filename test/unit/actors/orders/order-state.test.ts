import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  applyOrderEvent,
  createOrder,
  isTerminal,
  nextState,
  ORDER_EVENT_KINDS,
  ORDER_STATES,
  TRANSITIONS,
  type Order,
  type OrderEvent,
  type OrderEventKind,
  type OrderState,
  type ReconcileTarget,
} from '../../../../actors/orders/order-state.js';
import { DuplicateFillError, InvalidFillError, InvalidTransitionError } from '../../../../actors/orders/errors.js';
import type { OrderIntent } from '../../../../actors/orders/intent.js';

const QTY = 10;
const intent: OrderIntent = { strategy: 's', venue: 'v', symbol: 'B/Q', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 100, qtyLots: QTY };

/** Paths from `initialized` to each state. */
const PATHS: Record<OrderState, OrderEvent[]> = {
  initialized: [],
  denied: [{ kind: 'deny', reason: 'r' }],
  submitted: [{ kind: 'submit' }],
  accepted: [{ kind: 'submit' }, { kind: 'accept', venueOrderId: 'v1' }],
  rejected: [{ kind: 'submit' }, { kind: 'reject', reason: 'r' }],
  unknown: [{ kind: 'submit' }, { kind: 'unknown', reason: 'timeout' }],
  'partially-filled': [{ kind: 'submit' }, { kind: 'accept' }, { kind: 'fill', lots: 3, priceTicks: 100 }],
  filled: [{ kind: 'submit' }, { kind: 'accept' }, { kind: 'fill', lots: QTY, priceTicks: 100 }],
  'pending-cancel': [{ kind: 'submit' }, { kind: 'accept' }, { kind: 'cancel-request' }],
  canceled: [{ kind: 'submit' }, { kind: 'accept' }, { kind: 'cancel-request' }, { kind: 'canceled' }],
  expired: [{ kind: 'submit' }, { kind: 'accept' }, { kind: 'expire' }],
};

function orderIn(state: OrderState, extra: OrderEvent[] = []): Order {
  const o = createOrder('c.1', intent, 0);
  let t = 1;
  for (const e of [...PATHS[state], ...extra]) applyOrderEvent(o, e, t++);
  return o;
}

/** A representative event of each kind, valid as to its data for an order with `filled` lots. */
function sample(kind: OrderEventKind, filled: number): OrderEvent[] {
  switch (kind) {
    case 'deny':
      return [{ kind, reason: 'RISK' }];
    case 'reject':
    case 'unknown':
    case 'cancel-reject':
      return [{ kind, reason: 'x' }];
    case 'accept':
      return [{ kind, venueOrderId: 'v9' }];
    case 'canceled':
      return [{ kind }];
    case 'fill':
      return [
        { kind, lots: 1, priceTicks: 101 },
        { kind, lots: QTY - filled, priceTicks: 99 },
      ].filter((f) => f.lots > 0 && filled + f.lots <= QTY) as OrderEvent[];
    case 'reconcile': {
      const out: OrderEvent[] = [];
      for (const to of ['accepted', 'rejected', 'partially-filled', 'filled', 'canceled', 'expired'] as ReconcileTarget[]) {
        const lots = to === 'filled' ? QTY : to === 'partially-filled' || to === 'canceled' || to === 'expired' ? Math.max(filled, 5) : filled;
        out.push({ kind, to, filledLots: lots, cumTickLots: BigInt(lots) * 100n });
      }
      return out;
    }
    default:
      return [{ kind } as OrderEvent];
  }
}

describe('order lifecycle transition table', () => {
  it('covers every state and event kind', () => {
    assert.deepEqual(Object.keys(TRANSITIONS).sort(), [...ORDER_STATES].sort());
    for (const s of ORDER_STATES) for (const k of Object.keys(TRANSITIONS[s])) assert.ok(ORDER_EVENT_KINDS.includes(k as OrderEventKind));
  });

  for (const state of ORDER_STATES) {
    for (const kind of ORDER_EVENT_KINDS) {
      const allowed = TRANSITIONS[state][kind];
      if (allowed === undefined) {
        it(`${state} + ${kind} is refused with B4_ORDER_INVALID_TRANSITION, order unchanged`, () => {
          const o = orderIn(state);
          const before = structuredClone(o);
          for (const e of sample(kind, o.filledLots).slice(0, 1)) {
            assert.throws(() => applyOrderEvent(o, e, 99), (err: unknown) => err instanceof InvalidTransitionError && err.code === 'B4_ORDER_INVALID_TRANSITION');
          }
          assert.deepEqual(o, before);
        });
      } else {
        it(`${state} + ${kind} → ${allowed.join(' | ')}`, () => {
          const reached = new Set<OrderState>();
          for (const e of sample(kind, orderIn(state).filledLots)) {
            const o = orderIn(state);
            let to: OrderState;
            try {
              to = applyOrderEvent(o, e, 99);
            } catch (err) {
              // A reconcile target the table allows may still be refused for its figures.
              assert.ok(e.kind === 'reconcile' && (err instanceof InvalidFillError || err instanceof InvalidTransitionError), String(err));
              continue;
            }
            assert.ok(allowed.includes(to), `${state} + ${kind} reached ${to}`);
            assert.equal(o.state, to);
            assert.deepEqual(o.history.at(-1), { tNs: 99, event: kind, from: state, to });
            reached.add(to);
          }
          if (kind === 'cancel-reject') {
            // which of the two depends on fills: cover both
            reached.add(applyOrderEvent(orderIn('pending-cancel', [{ kind: 'fill', lots: 2, priceTicks: 100 }]), { kind: 'cancel-reject', reason: 'x' }, 1));
          }
          if (kind === 'fill' && state === 'pending-cancel') assert.ok(reached.has('pending-cancel') && reached.has('filled'));
          assert.ok(reached.size > 0);
          if (kind !== 'reconcile') assert.deepEqual([...reached].sort(), [...allowed].sort());
          else for (const t of reached) assert.ok(allowed.includes(t));
        });
      }
    }
  }

  it('terminal states absorb every event', () => {
    for (const s of ORDER_STATES.filter(isTerminal)) {
      for (const k of ORDER_EVENT_KINDS) for (const e of sample(k, 0)) assert.throws(() => nextState(orderIn(s), e), InvalidTransitionError);
    }
  });

  it('unknown resolves only through reconcile, to each allowed target', () => {
    for (const k of ORDER_EVENT_KINDS.filter((k) => k !== 'reconcile')) {
      for (const e of sample(k, 0)) assert.throws(() => applyOrderEvent(orderIn('unknown'), e, 1), InvalidTransitionError);
    }
    const cases: [ReconcileTarget, number][] = [
      ['accepted', 0],
      ['rejected', 0],
      ['partially-filled', 4],
      ['filled', QTY],
      ['canceled', 0],
      ['canceled', 4],
      ['expired', 2],
    ];
    for (const [to, lots] of cases) {
      const o = orderIn('unknown');
      assert.equal(applyOrderEvent(o, { kind: 'reconcile', to, filledLots: lots, cumTickLots: BigInt(lots) * 105n, venueOrderId: 'v7' }, 5), to);
      assert.equal(o.filledLots, lots);
      assert.equal(o.venueOrderId, 'v7');
    }
  });

  it('refuses inconsistent reconciliation figures (B4_ORDER_INVALID_FILL)', () => {
    const bad: OrderEvent[] = [
      { kind: 'reconcile', to: 'filled', filledLots: 5, cumTickLots: 500n },
      { kind: 'reconcile', to: 'partially-filled', filledLots: 0, cumTickLots: 0n },
      { kind: 'reconcile', to: 'accepted', filledLots: 2, cumTickLots: 200n },
      { kind: 'reconcile', to: 'rejected', filledLots: 2, cumTickLots: 200n },
      { kind: 'reconcile', to: 'canceled', filledLots: QTY, cumTickLots: 1000n },
      { kind: 'reconcile', to: 'canceled', filledLots: 11, cumTickLots: 1100n },
      { kind: 'reconcile', to: 'canceled', filledLots: 2, cumTickLots: 0n },
      { kind: 'reconcile', to: 'canceled', filledLots: 2, cumTickLots: 200n, feeAtoms: 5n },
    ];
    for (const e of bad) assert.throws(() => applyOrderEvent(orderIn('unknown'), e, 1), (err: unknown) => err instanceof InvalidFillError && err.code === 'B4_ORDER_INVALID_FILL', JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
    // fills cannot go backwards
    const o = orderIn('partially-filled');
    assert.throws(() => applyOrderEvent(o, { kind: 'reconcile', to: 'canceled', filledLots: 2, cumTickLots: 200n }, 1), InvalidFillError);
    assert.throws(() => applyOrderEvent(o, { kind: 'reconcile', to: 'canceled', filledLots: 3, cumTickLots: 301n }, 1), InvalidFillError);
  });

  it('never overfills: a fill past qtyLots is a typed error and changes nothing', () => {
    const o = orderIn('partially-filled');
    const before = structuredClone(o);
    assert.throws(() => applyOrderEvent(o, { kind: 'fill', lots: QTY - 2, priceTicks: 100 }, 9), (e: unknown) => e instanceof InvalidFillError && e.code === 'B4_ORDER_INVALID_FILL');
    assert.deepEqual(o, before);
    for (const f of [
      { kind: 'fill', lots: 0, priceTicks: 100 },
      { kind: 'fill', lots: 1.5, priceTicks: 100 },
      { kind: 'fill', lots: 1, priceTicks: 0 },
      { kind: 'fill', lots: 1, priceTicks: 100, feeAtoms: 1n },
      { kind: 'fill', lots: 1, priceTicks: 100, feeAsset: 'Q', feeAtoms: -1n },
    ] as OrderEvent[]) {
      assert.throws(() => applyOrderEvent(o, f, 9), InvalidFillError);
    }
    assert.deepEqual(o, before);
  });

  it('refuses a duplicate trade id (B4_ORDER_DUPLICATE_FILL)', () => {
    const o = orderIn('accepted');
    applyOrderEvent(o, { kind: 'fill', lots: 1, priceTicks: 100, tradeId: 't1' }, 1);
    assert.throws(() => applyOrderEvent(o, { kind: 'fill', lots: 1, priceTicks: 100, tradeId: 't1' }, 2), (e: unknown) => e instanceof DuplicateFillError && e.code === 'B4_ORDER_DUPLICATE_FILL');
    assert.equal(o.filledLots, 1);
  });

  it('tracks exact cumulative notional and fees', () => {
    const o = orderIn('accepted');
    applyOrderEvent(o, { kind: 'fill', lots: 3, priceTicks: 101, feeAsset: 'Q', feeAtoms: 7n }, 1);
    applyOrderEvent(o, { kind: 'fill', lots: 4, priceTicks: 103, feeAsset: 'Q', feeAtoms: 5n }, 2);
    assert.equal(o.cumTickLots, 3n * 101n + 4n * 103n);
    assert.deepEqual(o.fees, { Q: 12n });
    assert.equal(o.state, 'partially-filled');
  });

  it('a cancel can lose the race: pending-cancel → filled, or back to partially-filled', () => {
    const a = orderIn('pending-cancel');
    assert.equal(applyOrderEvent(a, { kind: 'fill', lots: 4, priceTicks: 100 }, 1), 'pending-cancel');
    assert.equal(applyOrderEvent(a, { kind: 'fill', lots: 6, priceTicks: 100 }, 2), 'filled');
    const b = orderIn('pending-cancel', [{ kind: 'fill', lots: 4, priceTicks: 100 }]);
    assert.equal(applyOrderEvent(b, { kind: 'cancel-reject', reason: 'too late' }, 3), 'partially-filled');
    assert.equal(applyOrderEvent(orderIn('pending-cancel'), { kind: 'cancel-reject', reason: 'x' }, 3), 'accepted');
  });
});

const arbEvent: fc.Arbitrary<OrderEvent> = fc.oneof(
  fc.constant<OrderEvent>({ kind: 'submit' }),
  fc.constant<OrderEvent>({ kind: 'deny', reason: 'r' }),
  fc.constant<OrderEvent>({ kind: 'accept', venueOrderId: 'v' }),
  fc.constant<OrderEvent>({ kind: 'reject', reason: 'r' }),
  fc.constant<OrderEvent>({ kind: 'unknown', reason: 'timeout' }),
  fc.constant<OrderEvent>({ kind: 'cancel-request' }),
  fc.constant<OrderEvent>({ kind: 'cancel-reject', reason: 'r' }),
  fc.constant<OrderEvent>({ kind: 'canceled' }),
  fc.constant<OrderEvent>({ kind: 'expire' }),
  fc.record({ lots: fc.integer({ min: 1, max: 12 }), priceTicks: fc.integer({ min: 1, max: 200 }) }).map((f): OrderEvent => ({ kind: 'fill', ...f })),
  fc
    .record({ to: fc.constantFrom<ReconcileTarget>('accepted', 'rejected', 'partially-filled', 'filled', 'canceled', 'expired'), lots: fc.integer({ min: 0, max: QTY }), px: fc.integer({ min: 1, max: 200 }) })
    .map((r): OrderEvent => ({ kind: 'reconcile', to: r.to, filledLots: r.lots, cumTickLots: BigInt(r.lots) * BigInt(r.px) })),
);

describe('order lifecycle properties (random event sequences)', () => {
  it('keeps its invariants whatever arrives', () => {
    fc.assert(
      fc.property(fc.array(arbEvent, { maxLength: 40 }), (events) => {
        const o = createOrder('c.1', intent, 0);
        let fillSum = 0n;
        let t = 0;
        for (const e of events) {
          const before = structuredClone(o);
          const wasTerminal = isTerminal(o.state);
          try {
            const to = applyOrderEvent(o, e, ++t);
            assert.ok(!wasTerminal, 'terminal states absorb');
            if (before.state === 'unknown') assert.equal(e.kind, 'reconcile', 'unknown leaves only by reconcile');
            assert.ok(TRANSITIONS[before.state][e.kind]!.includes(to));
            if (e.kind === 'fill') fillSum += BigInt(e.lots) * BigInt(e.priceTicks);
            if (e.kind === 'reconcile') fillSum = e.cumTickLots;
          } catch (err) {
            assert.ok(err instanceof InvalidTransitionError || err instanceof InvalidFillError, String(err));
            assert.deepEqual(o, before, 'a refused event changes nothing');
          }
          assert.ok(o.filledLots >= 0 && o.filledLots <= QTY);
          assert.equal(o.state === 'filled', o.filledLots === QTY);
          assert.equal(o.cumTickLots, fillSum);
        }
        // history is a consistent chain from initialized to the current state
        let s: OrderState = 'initialized';
        for (const h of o.history) {
          assert.equal(h.from, s);
          assert.ok(TRANSITIONS[h.from][h.event]!.includes(h.to));
          s = h.to;
        }
        assert.equal(s, o.state);
      }),
      { numRuns: 500, seed: 42 },
    );
  });
});
