import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { HmacSha256 } from '../../../common/hmac.js';

describe('common/hmac: HMAC-SHA256 from prepared pads', () => {
  it('equals createHmac for any secret (ASCII up to and past the 64-byte block; non-ASCII takes the createHmac path) and any UTF-8 message, one signer reused', () => {
    const ascii = fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 100 });
    const any = fc.string({ unit: 'grapheme', maxLength: 80 });
    const message = fc.oneof(any, fc.string({ unit: 'binary', maxLength: 300 }));
    fc.assert(
      fc.property(fc.oneof(ascii, any, fc.constantFrom('', 'k', 'x'.repeat(64), 'x'.repeat(65), 'é'.repeat(10))), fc.array(message, { minLength: 1, maxLength: 4 }), (secret, messages) => {
        const s = new HmacSha256(secret);
        // the outer pad's buffer is reused message after message
        for (const m of messages) assert.equal(s.hex(m), createHmac('sha256', secret).update(m).digest('hex'));
      }),
      { numRuns: 1000, seed: 7 },
    );
  });

  it("Binance's documented example signature", () => {
    const s = new HmacSha256('NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j');
    const payload =
      'apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&newOrderRespType=ACK&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT';
    assert.equal(s.hex(payload), 'cc15477742bd704c29492d96c7ead9414dfd8e0ec4a00f947bb5bb454ddbd08a');
  });
});
