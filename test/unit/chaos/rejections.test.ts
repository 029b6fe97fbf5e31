import assert from 'node:assert/strict';
import ccxt from 'ccxt';
import { isCcxtWsRejection } from '../../../chaos/rejections.js';

describe('chaos engine process: which unhandled rejections are counted', () => {
  it('counts the NetworkError a ccxt.pro WebSocket client rejects its pending futures with', async () => {
    const ex = new ccxt.pro.binance({});
    try {
      await ex.loadHttpProxyAgent();
      // What a refused connection does: ws emits an error, Client.onError wraps it and resets.
      const client = ex.client('ws://127.0.0.1:9/ws') as unknown as { future(h: string): Promise<unknown>; onError(e: Error): void };
      const pending = client.future('orders');
      client.onError(new Error('connect ECONNREFUSED 127.0.0.1:9'));
      const e = await pending.then(
        () => undefined,
        (x: unknown) => x,
      );
      assert.ok(e instanceof ccxt.NetworkError);
      assert.equal(isCcxtWsRejection(e), true, (e as Error).stack);
    } finally {
      await ex.close().catch(() => {});
    }
  });

  it('counts the ExchangeClosedByUser that close() rejects pending WebSocket futures with', async () => {
    const ex = new ccxt.pro.binance({});
    await ex.loadHttpProxyAgent();
    const client = ex.client('ws://127.0.0.1:9/ws') as unknown as { future(h: string): Promise<unknown> };
    const pending = client.future('orders').then(
      () => undefined,
      (x: unknown) => x,
    );
    await ex.close();
    const e = await pending;
    assert.ok(e instanceof ccxt.ExchangeClosedByUser, String(e));
    assert.equal(isCcxtWsRejection(e), true, (e as Error).stack);
  });

  it('does not count ccxt errors from elsewhere, other errors or non-errors (those end the process)', () => {
    assert.equal(isCcxtWsRejection(new ccxt.NetworkError('created outside the ws client')), false);
    assert.equal(isCcxtWsRejection(new ccxt.InvalidOrder('business')), false);
    assert.equal(isCcxtWsRejection(new Error('connect ECONNREFUSED')), false);
    assert.equal(isCcxtWsRejection('NetworkError'), false);
    assert.equal(isCcxtWsRejection(undefined), false);
  });
});
