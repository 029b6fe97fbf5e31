import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseFrame, scanFrame, type Frame } from '../../../../simulators/wire/ws-frame.js';

const plain = (f: Frame | null): unknown => (f === null ? null : { id: f.id, method: f.method, params: [...f.params], payload: f.payload });

/** Values a frame's params may carry: plain strings, escapes, non-ASCII, integers, floats, -0, booleans, null, nesting. */
const value = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom('a"b', 'a\\b', 'tab\there', 'é', '\u2028', ''),
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.constantFrom(0, -0, 1.5, 1e21, 123456789012345, 1234567890123456, Number.MAX_SAFE_INTEGER),
  fc.boolean(),
  fc.constant(null),
  fc.constant({ nested: 1 }),
  fc.constant([1, 2]),
);
const names = fc.constantFrom('apiKey', 'price', 'quantity', 'side', 'symbol', 'timestamp', 'type', 'signature', 'newClientOrderId', 'recvWindow', 'zzz', 'a', 'A', '10', '9', '', 'pric', 'sidé');

describe('wire ws-frame: the one-pass frame scan', () => {
  it('gives what JSON.parse gives (id text, method, params, signed payload) for every frame it answers, and answers the plain ones', () => {
    fc.assert(
      fc.property(
        fc.option(fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null), fc.double(), fc.constantFrom('x"y', 'é')), { nil: undefined }),
        fc.option(fc.constantFrom('order.place', 'ping', 'order.cancel', 'méthode', 'a"b'), { nil: undefined }),
        fc.option(fc.dictionary(names, value, { maxKeys: 10 }), { nil: undefined }),
        fc.boolean(),
        fc.constantFrom('none', 'space', 'extra-key', 'trailing', 'dup-key'),
        (id, method, params, sortParams, mutation) => {
          const req: Record<string, unknown> = {};
          if (id !== undefined) req.id = id;
          if (method !== undefined) req.method = method;
          if (params !== undefined) {
            const keys = Object.keys(params);
            if (sortParams) keys.sort();
            req.params = Object.fromEntries(keys.map((k) => [k, params[k]]));
          }
          let text = JSON.stringify(req);
          if (mutation === 'space') text = text.replace(':', ' : ');
          else if (mutation === 'extra-key') text = text.replace('{', '{"other":1,');
          else if (mutation === 'trailing') text = `${text} `;
          else if (mutation === 'dup-key' && id !== undefined) text = text.replace('{', '{"id":"first",');
          const fast = scanFrame(text);
          const slow = parseFrame(text);
          if (fast !== null) assert.deepEqual(plain(fast), plain(slow), text);
          // A frame clients send (no whitespace, flat plain params, printable ASCII) must take the scan.
          const isPlain =
            mutation === 'none' &&
            (id === undefined || id === null || (typeof id === 'number' && Number.isInteger(id) && !Object.is(id, -0) && String(Math.abs(id)).length <= 15) || (typeof id === 'string' && /^[\x20-\x7e]*$/.test(id) && !/["\\]/.test(id))) &&
            (method === undefined || /^[\x20-\x7e]*$/.test(method) && !/["\\]/.test(method)) &&
            (params === undefined ||
              Object.entries(params).every(([k, v]) => /^[\x20-\x7e]*$/.test(k) && !/["\\]/.test(k) && (typeof v === 'boolean' || (typeof v === 'string' && /^[\x20-\x7e]*$/.test(v) && !/["\\]/.test(v)) || (typeof v === 'number' && Number.isInteger(v) && !Object.is(v, -0) && String(Math.abs(v)).length <= 15))));
          if (isPlain) assert.notEqual(fast, null, `plain frame not scanned: ${text}`);
        },
      ),
      { numRuns: 3000, seed: 13 },
    );
  });

  it('reads an order frame as ccxt sends it, sorted or not, and refuses to guess on escapes and malformed text', () => {
    const f = scanFrame('{"id":7,"method":"order.place","params":{"apiKey":"k","price":"1.00","timestamp":1700000000000,"signature":"ab"}}');
    assert.deepEqual(plain(f), { id: '7', method: 'order.place', params: [['apiKey', 'k'], ['price', '1.00'], ['timestamp', '1700000000000'], ['signature', 'ab']], payload: 'apiKey=k&price=1.00&timestamp=1700000000000' });
    const unsorted = scanFrame('{"params":{"type":"LIMIT","signature":"ab","apiKey":"k"},"method":"order.place","id":"x"}');
    assert.deepEqual(plain(unsorted), { id: '"x"', method: 'order.place', params: [['type', 'LIMIT'], ['signature', 'ab'], ['apiKey', 'k']], payload: 'apiKey=k&type=LIMIT' });
    for (const t of ['{"id":"a\\"b","method":"ping"}', '{"id":1,"method":"ping"', '{"id":01,"method":"ping"}', '{"id":1.5}', '[1]', '', '{"params":{"a":null}}', '{"params":{"a":{"b":1}}}']) assert.equal(scanFrame(t), null, t);
    assert.equal(parseFrame('{"id":1,"method":'), null);
    // JSON.stringify never writes -0, but a hand-written frame may: String(-0) is "0", so the scan must not answer "-0".
    for (const t of ['{"id":-0,"params":{"a":-5}}', '{"id":1,"params":{"a":-0}}']) {
      const z = scanFrame(t);
      if (z !== null) assert.deepEqual(plain(z), plain(parseFrame(t)), t);
    }
  });
});
