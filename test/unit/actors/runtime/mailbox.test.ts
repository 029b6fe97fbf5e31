import assert from 'node:assert/strict';
import { Mailbox, Offer, Ring, makeEnvelope, type Envelope } from '../../../../actors/runtime/index.js';

function env(type: string, key = '', lane: 'data' | 'control' = 'data'): Envelope {
  return makeEnvelope(type, undefined, '', 'x', '', 0, '', '', key, lane, '');
}

describe('runtime/mailbox', () => {
  it('Ring is FIFO across wrap-around and clears slots', () => {
    const r = new Ring(3);
    const out: string[] = [];
    for (let i = 0; i < 10; i++) {
      r.push(env(`m${i}`));
      if (i % 2 === 1) out.push(r.shift()!.type, r.shift()!.type);
    }
    assert.deepEqual(out, ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
    assert.equal(r.length, 0);
    assert.equal(r.shift(), undefined);
  });

  it('reject: a full data lane refuses and counts', () => {
    const m = new Mailbox(2, 1, 'reject');
    assert.equal(m.offer(env('a')), Offer.Ok);
    assert.equal(m.offer(env('b')), Offer.Ok);
    assert.equal(m.offer(env('c')), Offer.Rejected);
    assert.equal(m.rejected, 1);
    assert.deepEqual(m.drain().map((e) => e.type), ['a', 'b']);
  });

  it('mustDeliver: a full reject lane still takes those types, past its capacity and in order', () => {
    const m = new Mailbox(2, 1, 'reject', ['order.update']);
    assert.equal(m.offer(env('a')), Offer.Ok);
    assert.equal(m.offer(env('b')), Offer.Ok);
    assert.equal(m.offer(env('c')), Offer.Rejected);
    // the ring's buffer is 2 slots: these force it to grow twice, keeping FIFO order
    for (let i = 0; i < 5; i++) assert.equal(m.offer(env('order.update', String(i))), Offer.Ok);
    assert.equal(m.offer(env('d')), Offer.Rejected);
    assert.equal(m.rejected, 2);
    assert.equal(m.overCapacity, 5);
    assert.equal(m.highWater, 7);
    assert.deepEqual(m.drain().map((e) => e.type + e.key), ['a', 'b', 'order.update0', 'order.update1', 'order.update2', 'order.update3', 'order.update4']);
  });

  it('Ring.grow keeps absolute sequences and order after wrap-around', () => {
    const r = new Ring(4);
    for (let i = 0; i < 3; i++) r.push(env(`x${i}`));
    r.shift();
    r.shift();
    for (let i = 3; i < 6; i++) r.push(env(`x${i}`)); // wraps
    const seq = r.head;
    r.grow();
    assert.equal(r.at(seq)!.type, 'x2');
    for (let i = 6; i < 10; i++) r.push(env(`x${i}`));
    assert.deepEqual(r.drain().map((e) => e.type), ['x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8', 'x9']);
  });

  it('drop-oldest: evicts the oldest, reports it and counts', () => {
    const m = new Mailbox(2, 1, 'drop-oldest');
    m.offer(env('a'));
    m.offer(env('b'));
    assert.equal(m.offer(env('c')), Offer.DroppedOldest);
    assert.equal(m.evicted?.type, 'a');
    assert.equal(m.dropped, 1);
    assert.deepEqual([m.takeData()!.type, m.takeData()!.type], ['b', 'c']);
  });

  it('conflate: latest per key replaces in place; full with a new key falls back to drop-oldest', () => {
    const m = new Mailbox(3, 1, 'conflate');
    m.offer(env('btc1', 'BTC'));
    m.offer(env('eth1', 'ETH'));
    assert.equal(m.offer(env('btc2', 'BTC')), Offer.Conflated);
    assert.equal(m.evicted?.type, 'btc1');
    assert.equal(m.conflated, 1);
    m.offer(env('nokey'));
    assert.equal(m.offer(env('sol1', 'SOL')), Offer.DroppedOldest);
    assert.equal(m.dropped, 1);
    assert.deepEqual(m.drain().map((e) => e.type), ['eth1', 'nokey', 'sol1']);
    // After a take, the key is free again: a new BTC is appended, not conflated into a stale slot.
    m.offer(env('btc3', 'BTC'));
    assert.equal(m.takeData()!.type, 'btc3');
    assert.equal(m.offer(env('btc4', 'BTC')), Offer.Ok);
  });

  it('the control lane is separate, never dropped, and rejects when full', () => {
    const m = new Mailbox(1, 1, 'drop-oldest');
    m.offer(env('d1'));
    assert.equal(m.offer(env('c1', '', 'control')), Offer.Ok);
    assert.equal(m.offer(env('c2', '', 'control')), Offer.Rejected);
    assert.equal(m.takeControl()!.type, 'c1');
    assert.equal(m.depth, 1);
    assert.equal(m.highWater, 2);
  });
});
