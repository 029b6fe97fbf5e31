import assert from 'node:assert/strict';
import type { OrderGate } from '../../../actors/journal/order-journal.js';
import type { Order } from '../../../actors/orders/order-state.js';
import { open, tempDir } from '../actors/journal/helpers.js';
import { combineGates } from '../../../cluster/replication-node.js';
import { LeaseStaleError, ReplicationFailedError } from '../../../cluster/replication-errors.js';

/** A gate whose answers the test sets; `later` holds releases until the test lets them go. */
function gate(o: { admit?: Error; fence?: number; release?: Error; hold?: boolean }): OrderGate & { later: (() => void)[]; seen: number[] } {
  const later: (() => void)[] = [];
  const seen: number[] = [];
  return {
    later,
    seen,
    admit: () => o.admit,
    fence: o.fence,
    release(seq, done, a, b) {
      seen.push(seq);
      const go = (): void => done(o.release, a, b);
      if (o.hold === true) later.push(go);
      else go();
    },
  };
}

describe('combineGates (the lease fence and ack: sync together)', () => {
  it('admit: the first refusal wins; fence: the first gate that has one', () => {
    const lease = new LeaseStaleError('stale');
    const repl = new ReplicationFailedError('down');
    assert.equal(combineGates([gate({ admit: lease }), gate({ admit: repl })]).admit(), lease);
    assert.equal(combineGates([gate({}), gate({ admit: repl })]).admit(), repl);
    assert.equal(combineGates([gate({}), gate({})]).admit(), undefined);
    assert.equal(combineGates([gate({}), gate({ fence: 7 })]).fence, 7);
  });

  it('release: every gate in turn, and only then the order may leave; a refusal stops the chain', () => {
    const g1 = gate({ hold: true });
    const g2 = gate({});
    const answers: (Error | undefined)[] = [];
    combineGates([g1, g2]).release(5, (err: Error | undefined, a: string) => answers.push(err ?? (a === 'x' ? undefined : new Error('lost a'))), 'x', 0);
    assert.deepEqual(answers, [], 'waits for the first gate');
    assert.deepEqual(g2.seen, []);
    g1.later[0]!();
    assert.deepEqual(g2.seen, [5]);
    assert.deepEqual(answers, [undefined]);

    const stale = new LeaseStaleError('lapsed while waiting');
    const g3 = gate({ release: stale });
    const g4 = gate({});
    const out: (Error | undefined)[] = [];
    combineGates([g3, g4]).release(6, (err: Error | undefined) => out.push(err), 0, 0);
    assert.deepEqual(out, [stale]);
    assert.deepEqual(g4.seen, [], 'a refused order goes no further');
  });

  it('an order journaled under a valid lease but refused at release (the lease lapsed meanwhile) is rejected LEASE_STALE and never released to be sent', async () => {
    const t = tempDir();
    try {
      const j = await open({ dir: t.dir, snapshotEvery: 0 });
      await j.adjustBalance('sim-a', 'USDT', 10n ** 12n);
      const held = gate({ hold: true });
      const lease = gate({ fence: 42 });
      j.setGate(combineGates([held, lease]));
      const answers: (Error | undefined)[] = [];
      const o = j.submitThen('mm', { strategy: 'mm', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 100, qtyLots: 1 }, undefined, { journaled: (err: Error | undefined, _o: Order) => answers.push(err) });
      for (let i = 0; i < 100 && held.later.length === 0; i++) await new Promise((r) => setTimeout(r, 2));
      assert.equal(held.later.length, 1, 'committed, waiting at the first gate');
      assert.deepEqual(answers, []);
      // The lease lapses while the order waits.
      (lease as { release: OrderGate['release'] }).release = (_seq, done, a, b) => done(new LeaseStaleError('not renewed'), a, b);
      held.later[0]!();
      assert.equal(answers.length, 1);
      assert.ok((answers[0] as unknown) instanceof LeaseStaleError);
      for (let i = 0; i < 100 && o.state === 'submitted'; i++) await new Promise((r) => setTimeout(r, 2));
      assert.equal(o.state, 'rejected');
      assert.match(o.reason ?? '', /^LEASE_STALE: not renewed/);
      await j.close();
    } finally {
      t.cleanup();
    }
  });
});
