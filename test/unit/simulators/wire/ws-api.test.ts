import assert from 'node:assert/strict';
import { DEMO_API_KEY, DEMO_API_SECRET, Simulator } from '../../../../simulators/simulator.js';
import { sign, wsApiPayload } from '../../../../simulators/wire/auth.js';
import type { WireConn } from '../../../../simulators/wire/streams.js';

describe('wire ws-api: frames of the WebSocket API (signed order entry)', () => {
  let sim: Simulator;
  const sent: string[] = [];
  const conn = { send: (m: string) => sent.push(m), closed: false } as unknown as WireConn;
  const frame = (text: string): Record<string, unknown> => JSON.parse(sim.server(sim.venues[0]!.name).wsApi.handleFrame(conn, text, undefined)) as Record<string, unknown>;
  const raw = (text: string): string => sim.server(sim.venues[0]!.name).wsApi.handleFrame(conn, text, undefined);
  const signed = (id: unknown, params: Record<string, string | number>, tamper?: (sig: string) => string): string => {
    const p: Record<string, string | number> = { apiKey: DEMO_API_KEY, timestamp: Date.now(), ...params };
    const sig = sign(DEMO_API_SECRET, wsApiPayload(p));
    p.signature = tamper === undefined ? sig : tamper(sig);
    return JSON.stringify({ id, method: 'order.place', params: p });
  };
  const order = { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.02000', price: '1000.00' };

  before(async () => {
    sim = await Simulator.start({ venues: 1, profile: 'none', rateLimits: false, participants: false, port: 0, seed: 7 });
  });
  after(async () => {
    await sim.stop();
  });

  it('answers ping with the exact Binance frame, echoing any id verbatim', () => {
    assert.equal(raw('{"id":"a\\"b","method":"ping"}'), '{"id":"a\\"b","status":200,"result":{},"rateLimits":[]}');
    assert.equal(raw('{"id":7,"method":"ping"}'), '{"id":7,"status":200,"result":{},"rateLimits":[]}');
    assert.equal(raw('{"method":"ping"}'), '{"id":null,"status":200,"result":{},"rateLimits":[]}');
    assert.deepEqual(frame('{"id":1,"method":'), { id: null, status: 400, error: { code: -1102, msg: 'Malformed request: invalid JSON' } });
  });

  it('places a correctly signed order (the signature in either case) and refuses a wrong, non-hex, short or missing one', () => {
    const ok = frame(signed('o1', { ...order, newClientOrderId: 'ws-unit-1' }));
    assert.equal(ok.status, 200, JSON.stringify(ok));
    assert.equal((ok.result as { clientOrderId: string }).clientOrderId, 'ws-unit-1');
    assert.equal((ok.result as { price: string }).price, '1000.00000000');
    const upper = frame(signed('o2', { ...order, newClientOrderId: 'ws-unit-2' }, (s) => s.toUpperCase()));
    assert.equal(upper.status, 200, JSON.stringify(upper));
    const flip = (s: string): string => (s[0] === 'a' ? 'b' : 'a') + s.slice(1);
    for (const [name, tamper] of [
      ['one digit off', flip],
      ['non-hex', (s: string) => `${s.slice(0, 63)}g`],
      ['short', (s: string) => s.slice(0, 63)],
      ['control characters that lowercase onto digits', (s: string) => s.replace(/[0-9]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0x20))],
    ] as const) {
      const r = frame(signed(name, { ...order, newClientOrderId: 'ws-unit-bad' }, tamper));
      assert.deepEqual(r, { id: name, status: 400, error: { code: -1022, msg: 'Signature for this request is not valid.' }, rateLimits: [] }, name);
    }
    // Tampering with a signed parameter after signing is caught too.
    const p: Record<string, string | number> = { apiKey: DEMO_API_KEY, timestamp: Date.now(), ...order };
    p.signature = sign(DEMO_API_SECRET, wsApiPayload(p));
    p.quantity = '0.03000';
    assert.equal((frame(JSON.stringify({ id: 3, method: 'order.place', params: p })).error as { code: number }).code, -1022);
    const missing = frame(JSON.stringify({ id: 4, method: 'order.place', params: { apiKey: DEMO_API_KEY, timestamp: Date.now(), ...order } }));
    assert.equal((missing.error as { code: number }).code, -1102);
    // Only the two well-signed orders reached the book.
    const status = frame(JSON.stringify({ id: 5, method: 'order.status', params: (() => { const q: Record<string, string | number> = { apiKey: DEMO_API_KEY, timestamp: Date.now(), symbol: 'BTCUSDT', origClientOrderId: 'ws-unit-bad' }; q.signature = sign(DEMO_API_SECRET, wsApiPayload(q)); return q; })() }));
    assert.equal((status.error as { code: number }).code, -2013);
  });

  it('renders an order rejection as an error frame with the Binance code and the request id', () => {
    const r = frame(signed('rej', { ...order, price: '1000.001' }));
    assert.deepEqual(r, { id: 'rej', status: 400, error: { code: -1013, msg: 'Filter failure: PRICE_FILTER' }, rateLimits: [] });
  });
});
