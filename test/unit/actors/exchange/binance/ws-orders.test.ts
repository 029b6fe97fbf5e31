import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { HmacSha256 } from '../../../../../common/hmac.js';
import { classify } from '../../../../../actors/exchange/binance/client.js';
import { signWsParams, wsFailureKind } from '../../../../../actors/exchange/binance/ws-orders.js';

describe('binance/ws-orders: signing and error mapping', () => {
  it('signs the parameters sorted by name, k=v joined by &, without signature (Binance WebSocket API HMAC)', () => {
    const secret = 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j';
    const params = { symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01000000', price: '52000.00', newOrderRespType: 'ACK', recvWindow: '100', timestamp: '1645423376532', apiKey: 'vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A', signature: 'ignored' };
    // The payload of Binance's own example ("SIGNED request example (HMAC)"), spelled out here.
    const payload =
      'apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&newOrderRespType=ACK&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT';
    assert.equal(signWsParams(new HmacSha256(secret), params), createHmac('sha256', secret).update(payload).digest('hex'));
    assert.equal(signWsParams(new HmacSha256(secret), params), 'cc15477742bd704c29492d96c7ead9414dfd8e0ec4a00f947bb5bb454ddbd08a');
  });

  it('maps Binance error replies to the same failure kinds as REST', () => {
    const table: [number, number, string, string][] = [
      [400, -1022, 'Signature for this request is not valid.', 'auth'],
      [401, -2015, 'Invalid API-key, IP, or permissions for action.', 'auth'],
      [400, -2014, 'API-key format invalid.', 'auth'],
      [400, -2010, 'Duplicate order sent.', 'duplicate'],
      [400, -2010, 'Account has insufficient balance for requested action.', 'rejected'],
      [400, -2011, 'Unknown order sent.', 'not-found'],
      [400, -2013, 'Order does not exist.', 'not-found'],
      [429, -1003, 'Too many requests.', 'throttled'],
      [418, -1003, 'Way too many requests; IP banned.', 'throttled'],
      [400, -1015, 'Too many new orders.', 'throttled'],
      [503, -1007, 'Timeout waiting for response from backend server.', 'unknown'],
      [400, -1001, 'Internal error; unable to process your request.', 'unknown'],
      [500, -1000, 'An unknown error occurred.', 'unknown'],
      [400, -1013, 'Filter failure: NOTIONAL', 'rejected'],
      [400, -1021, 'Timestamp for this request is outside of the recvWindow.', 'rejected'],
    ];
    for (const [status, code, msg, kind] of table) assert.equal(wsFailureKind(status, code, msg), kind, `${status} ${code} ${msg}`);
  });

  it('agrees with the REST classification on the codes both see as text', () => {
    for (const code of [-1022, -2014, -2015]) assert.equal(classify(new Error(`binance {"code":${code},"msg":"x"}`)), wsFailureKind(400, code, 'x'));
    for (const code of [-1001, -1007]) assert.equal(classify(new Error(`binance {"code":${code},"msg":"x"}`)), wsFailureKind(400, code, 'x'));
  });
});
