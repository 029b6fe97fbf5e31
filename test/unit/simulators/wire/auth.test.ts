import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { sign, verifyHmacHex, wsApiPayload } from '../../../../simulators/wire/auth.js';
import { parseParams } from '../../../../simulators/wire/rest.js';

const SECRET = 's3cr3t-key';
const PAYLOAD = 'symbol=BTCUSDT&side=BUY&type=LIMIT&timestamp=1700000000000';

describe('wire auth: HMAC signing and verification', () => {
  it('sign is the hex HMAC-SHA256 node:crypto computes, with the key cached across calls and secrets', () => {
    const want = createHmac('sha256', SECRET).update(PAYLOAD).digest('hex');
    assert.equal(sign(SECRET, PAYLOAD), want);
    assert.equal(sign(SECRET, PAYLOAD), want);
    assert.equal(sign('other', PAYLOAD), createHmac('sha256', 'other').update(PAYLOAD).digest('hex'));
    assert.equal(sign(SECRET, PAYLOAD), want);
  });

  it('sign equals createHmac for any secret (ASCII up to and past the 64-byte block, and non-ASCII: the createHmac path) and any UTF-8 payload', () => {
    const ascii = fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 100 });
    const any = fc.string({ unit: 'grapheme', maxLength: 80 });
    fc.assert(
      fc.property(fc.oneof(ascii, any, fc.constantFrom('', 'x'.repeat(64), 'x'.repeat(65), 'é'.repeat(10))), fc.oneof(any, fc.string({ unit: 'binary', maxLength: 300 })), (secret, payload) => {
        assert.equal(sign(secret, payload), createHmac('sha256', secret).update(payload).digest('hex'));
        assert.equal(verifyHmacHex(secret, payload, createHmac('sha256', secret).update(payload).digest('hex')), true);
      }),
      { numRuns: 2000, seed: 13 },
    );
  });

  it('verifyHmacHex accepts the right signature in either case and refuses every other one', () => {
    const good = sign(SECRET, PAYLOAD);
    assert.equal(verifyHmacHex(SECRET, PAYLOAD, good), true);
    assert.equal(verifyHmacHex(SECRET, PAYLOAD, good.toUpperCase()), true);
    assert.equal(verifyHmacHex(SECRET, `${PAYLOAD}&x=1`, good), false, 'other payload');
    assert.equal(verifyHmacHex('other', PAYLOAD, good), false, 'other secret');
    const flipped = (good[0] === 'a' ? 'b' : 'a') + good.slice(1);
    assert.equal(verifyHmacHex(SECRET, PAYLOAD, flipped), false, 'one digit off');
    assert.equal(verifyHmacHex(SECRET, PAYLOAD, good.slice(0, 63)), false, 'short');
    assert.equal(verifyHmacHex(SECRET, PAYLOAD, `${good}0`), false, 'long');
    assert.equal(verifyHmacHex(SECRET, PAYLOAD, `${good.slice(0, 62)}zz`), false, 'not hex');
    assert.equal(verifyHmacHex(SECRET, PAYLOAD, ''), false, 'empty');
    // A failed check leaves nothing behind that a later check could match.
    assert.equal(verifyHmacHex(SECRET, PAYLOAD, `${good.slice(0, 62)}zz`), false);
    assert.equal(verifyHmacHex(SECRET, PAYLOAD, good), true);
  });

  it('wsApiPayload sorts the parameters, leaves out signature and renders values with String()', () => {
    assert.equal(wsApiPayload({ timestamp: 5, apiKey: 'k', signature: 'x', price: '1.5', flag: true, none: null }), 'apiKey=k&flag=true&none=null&price=1.5&timestamp=5');
    assert.equal(wsApiPayload({ signature: 'x' }), '');
  });
});

describe('wire rest: parseParams', () => {
  const cases = [
    '',
    'a=1&b=2',
    'symbol=BTCUSDT&side=BUY&quantity=0.001&price=60000.00&timestamp=1&signature=ab',
    'a=1&a=2',
    '&&a=1&&b=&c',
    '?x=1&y=2',
    'k=v=w',
    'msg=hello+world&pct=%41%42&bad=%zz&uni=%E2%82%AC',
    'plus+key=1&%61=2',
    '=novalue&novalue=',
  ];
  for (const c of cases) {
    it(`parses ${JSON.stringify(c)} exactly like URLSearchParams (later keys win)`, () => {
      const got = new Map<string, string>();
      parseParams(c, got);
      const want = new Map<string, string>();
      for (const [k, v] of new URLSearchParams(c)) want.set(k, v);
      assert.deepEqual([...got], [...want]);
    });
  }
});
