import assert from 'node:assert/strict';
import { setup } from 'xstate';
import { MESSAGE_TYPES, isKnownMsg, isMsg, message, topics, type AnyMsg, type Ticker } from '../../../actors/messages.js';
import { ActorSystem, makeEnvelope, type Envelope } from '../../../actors/runtime/index.js';
import { SimulatedClock } from '../../../common/clock.js';

const env = (type: string, payload: unknown): Envelope => makeEnvelope(type, payload, '', 'x', '', 0, '', '', '', 'data', '');
const sink = setup({ types: { events: {} as { type: string } } }).createMachine({ id: 'sink' });
const ticker: Ticker = { venue: 'v1', symbol: 'A/USDT', bidTicks: 99, bidLots: 1, askTicks: 101, askLots: 2, venueTimeMs: 0, recvNs: 0 };

describe('actors/messages: typed messages', () => {
  it('isMsg matches exactly the given type', () => {
    const e = env('md.ticker', ticker);
    assert.equal(isMsg(e, 'md.ticker'), true);
    assert.equal(isMsg(e, 'md.trade'), false);
    assert.equal(isMsg(env('md.ticker.v1', ticker), 'md.ticker'), false);
  });

  it('isKnownMsg accepts every type of the map and refuses the rest (venue machine events, journal kinds, ext.md.*)', () => {
    assert.equal(new Set(MESSAGE_TYPES).size, MESSAGE_TYPES.length);
    assert.ok(MESSAGE_TYPES.length >= 17);
    for (const t of MESSAGE_TYPES) assert.equal(isKnownMsg(env(t, undefined)), true, t);
    for (const t of ['venue.down', 'order.deny', 'order.adopt', 'ext.md.ticker', 'md.', '', 'ORDER.SUBMIT']) assert.equal(isKnownMsg(env(t, undefined)), false, t);
  });

  it('message() returns its argument unchanged (a compile-time check only)', () => {
    const m = { type: 'order.cancel' as const, payload: { clientOrderId: 'c-1' }, lane: 'control' as const };
    assert.equal(message(m), m);
  });

  it('a handler narrows delivered envelopes by type and ignores unknown ones', () => {
    const clock = new SimulatedClock({ startNs: 1e9 });
    const sys = new ActorSystem({ clock, seed: 1 });
    const seen: string[] = [];
    sys.spawn('probe', sink, {
      handle: (e) => {
        if (!isKnownMsg(e)) {
          seen.push(`unknown ${e.type}`);
          return;
        }
        switch (e.type) {
          case 'md.ticker':
            seen.push(`ticker ${e.payload.symbol} ${e.payload.bidTicks}/${e.payload.askTicks}`);
            return;
          case 'order.cancel':
            seen.push(`cancel ${e.payload.clientOrderId}`);
            return;
          default:
            seen.push(`other ${e.type}`);
        }
      },
    });
    sys.subscribe(topics.ticker('v1', 'A/USDT'), 'probe');
    sys.publish(topics.ticker('v1', 'A/USDT'), message({ type: 'md.ticker', payload: ticker }));
    sys.send('probe', message({ type: 'order.cancel', payload: { clientOrderId: 'c-9' }, lane: 'control' }));
    sys.send('probe', message({ type: 'strategy.stop' }));
    sys.send('probe', { type: 'venue.down', payload: { reason: 'x' } });
    clock.advance(0);
    assert.deepEqual(seen.sort(), ['cancel c-9', 'other strategy.stop', 'ticker A/USDT 99/101', 'unknown venue.down']);
  });
});

/**
 * Compile-time checks (run by `tsc --noEmit`, part of `npm test`): each `@ts-expect-error` line
 * must fail to compile, or tsc reports the directive as unused. Never called.
 */
export function compileTimeChecks(e: Envelope, m: AnyMsg): void {
  // @ts-expect-error: the payload of an unnarrowed envelope is unknown
  void e.payload.bidTicks;
  if (isMsg(e, 'md.ticker')) void (e.payload.bidTicks satisfies number);
  if (m.type === 'order.submit') void (m.payload.intent.qtyLots satisfies number);
  void message({ type: 'order.cancel', payload: { clientOrderId: 'c' } });
  void message({ type: 'strategy.start', lane: 'control' });
  // @ts-expect-error: clientOrderId is required
  void message({ type: 'order.cancel', payload: {} });
  // @ts-expect-error: clientOrderId is a string
  void message({ type: 'order.cancel', payload: { clientOrderId: 1 } });
  // @ts-expect-error: not a message type of the map
  void message({ type: 'order.cancle', payload: { clientOrderId: 'c' } });
  // @ts-expect-error: order.update needs its payload
  void message({ type: 'order.update' });
}
