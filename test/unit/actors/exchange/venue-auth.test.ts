import assert from 'node:assert/strict';
import ccxt from 'ccxt';
import { classify } from '../../../../actors/exchange/binance/binance-adapter.js';
import { venueOptionsSchema } from '../../../../actors/exchange/venue-actor.js';
import { ConfigError } from '../../../../common/errors.js';
import { parseOptions } from '../../../../common/validate.js';

describe('exchange: refused credentials and the restart-safety options', () => {
  it('classifies Binance -1022/-2014/-2015 and HTTP 401 (any ccxt class) as auth, other refusals not', () => {
    assert.equal(classify(new ccxt.AuthenticationError('binance {"code":-1022,"msg":"Signature for this request is not valid."}')), 'auth');
    assert.equal(classify(new ccxt.PermissionDenied('binance {"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}')), 'auth');
    // Other Binance APIs map the same codes to BadRequest / OperationRejected.
    assert.equal(classify(new ccxt.BadRequest('binance {"code":-1022,"msg":"Signature for this request is not valid."}')), 'auth');
    assert.equal(classify(new ccxt.OperationRejected('binance {"code":-2014, "msg":"API-key format invalid."}')), 'auth');
    assert.equal(classify(new ccxt.AuthenticationError('binance 401 Unauthorized')), 'auth');
    assert.equal(classify(new ccxt.InsufficientFunds('binance {"code":-2010,"msg":"Account has insufficient balance for requested action."}')), 'rejected');
    assert.equal(classify(new ccxt.BadRequest('binance {"code":-10220,"msg":"other"}')), 'rejected');
  });

  it('validates the new options with the field named, defaults as documented', () => {
    const d = parseOptions(venueOptionsSchema, {}, 'venues.sim-a');
    assert.equal(d.authRetryMs, 300_000);
    assert.equal(d.authRetryCapMs, 3_600_000);
    assert.equal(d.historyMarginMs, 300_000);
    assert.equal(d.onDivergence, 'halt');
    const bad = (input: Record<string, unknown>, re: RegExp): void => {
      assert.throws(() => parseOptions(venueOptionsSchema, input, 'venues.sim-a'), (e: unknown) => e instanceof ConfigError && re.test(e.message));
    };
    bad({ authRetryMs: -1 }, /^venues\.sim-a\.authRetryMs: expected .*>= 0, got -1/);
    bad({ authRetryCapMs: 0 }, /^venues\.sim-a\.authRetryCapMs: /);
    bad({ historyMarginMs: 'x' }, /^venues\.sim-a\.historyMarginMs: expected a number, got "x"/);
    bad({ onDivergence: 'ignore' }, /^venues\.sim-a\.onDivergence: .*got "ignore"/);
  });
});
