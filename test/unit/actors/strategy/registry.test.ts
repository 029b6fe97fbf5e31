import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../../../common/index.js';
import {
  BUILTIN_STRATEGIES,
  ConstantRate,
  MarketMaker,
  Pairs,
  StrategyLoadError,
  StrategyModuleError,
  StrategyUnknownError,
  isModulePath,
  loadStrategy,
} from '../../../../actors/strategy/index.js';
import { BTC, Harness } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, '../../../fixtures/strategy');

describe('strategy/registry', () => {
  it('resolves built-ins by name with their params validated under strategies.<id>.params', async () => {
    const mm = await loadStrategy({ id: 'mm-1', kind: 'market-maker', instruments: ['sim-a:BTC/USDT'], params: { halfSpreadTicks: 3 } });
    assert.ok(mm.strategy instanceof MarketMaker);
    assert.equal(mm.strategy.params.halfSpreadTicks, 3);
    assert.equal(mm.source, 'builtin');
    assert.ok(Object.isFrozen(mm.spec));
    const pr = await loadStrategy({ id: 'p', kind: 'pairs', instruments: ['sim-a:BTC/USDT', 'sim-a:ETH/USDT'] });
    assert.ok(pr.strategy instanceof Pairs);
    const cr = await loadStrategy({ id: 'c', kind: 'constant-rate', instruments: ['sim-a:BTC/USDT'] });
    assert.ok(cr.strategy instanceof ConstantRate);
    assert.deepEqual(Object.keys(BUILTIN_STRATEGIES).sort(), ['constant-rate', 'market-maker', 'pairs']);
    await assert.rejects(
      loadStrategy({ id: 'mm-1', kind: 'market-maker', instruments: ['sim-a:BTC/USDT'], params: { maxInventoryLots: 'lots' } }),
      (e: unknown) => e instanceof ConfigError && e.field === 'strategies.mm-1.params.maxInventoryLots' && /expected a number, got "lots"/.test(e.message),
    );
    await assert.rejects(
      loadStrategy({ id: 'p', kind: 'pairs', instruments: ['sim-a:BTC/USDT'] }),
      (e: unknown) => e instanceof ConfigError && e.field === 'strategies.p.instruments' && /exactly 2 instruments for pairs, got 1/.test(e.message),
    );
    await assert.rejects(loadStrategy({ id: 'x', kind: 'market-makr', instruments: ['sim-a:BTC/USDT'] }), (e: unknown) => e instanceof StrategyUnknownError && e.code === 'B4_STRATEGY_UNKNOWN');
    await assert.rejects(loadStrategy({ id: 'x', kind: 'toString', instruments: ['sim-a:BTC/USDT'] }), (e: unknown) => e instanceof StrategyUnknownError);
  });

  it('imports a user module (default export StrategyFactory) and runs it in a strategy actor', async () => {
    const loaded = await loadStrategy(
      { id: 'ping', kind: './ping-strategy.ts', instruments: ['sim-a:BTC/USDT'], params: { qtyLots: 4, offsetTicks: 1 } },
      { baseDir: fixtures },
    );
    assert.match(loaded.source, /^file:.*ping-strategy\.ts$/);
    const h = new Harness(loaded.spec, loaded.strategy);
    try {
      h.ticker(BTC, 100, 102);
      h.ticker(BTC, 100, 103);
      assert.equal(h.submits.length, 1);
      assert.deepEqual(h.submits[0]!.intent, { venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'IOC', priceTicks: 103, qtyLots: 4, strategy: 'ping' });
      const id = h.accept(h.submits[0]!);
      h.update(h.submits[0]!, 'expired', id);
      h.ticker(BTC, 100, 104);
      assert.equal(h.submits.length, 2);
    } finally {
      await h.close();
    }
    // An absolute path works too, and the module's own param errors pass through.
    await assert.rejects(
      loadStrategy({ id: 'ping', kind: path.join(fixtures, 'ping-strategy.ts'), instruments: ['sim-a:BTC/USDT'], params: { qtyLots: 0 } }),
      // Not `instanceof`: under mocha the test's graph and the imported module's may be two instances of common/errors.
      (e: unknown) => (e as ConfigError).code === 'B4_CONFIG_INVALID' && (e as ConfigError).field === 'ping.params.qtyLots',
    );
  });

  it('a bad path or module gives a typed error with a stable code', async () => {
    await assert.rejects(
      loadStrategy({ id: 'gone', kind: './does-not-exist.ts', instruments: ['sim-a:BTC/USDT'] }, { baseDir: fixtures }),
      (e: unknown) => e instanceof StrategyLoadError && e.code === 'B4_STRATEGY_LOAD_FAILED' && /strategies\.gone\.kind: cannot import strategy module \.\/does-not-exist\.ts/.test(e.message),
    );
    await assert.rejects(
      loadStrategy({ id: 'nf', kind: './no-factory.ts', instruments: ['sim-a:BTC/USDT'] }, { baseDir: fixtures }),
      (e: unknown) => e instanceof StrategyModuleError && e.code === 'B4_STRATEGY_MODULE_INVALID' && /default export .* got undefined/.test(e.message),
    );
    await assert.rejects(
      loadStrategy({ id: 'Bad Id', kind: './ping-strategy.ts', instruments: ['sim-a:BTC/USDT'] }, { baseDir: fixtures }),
      (e: unknown) => e instanceof ConfigError && e.field === 'strategies.Bad Id.id',
    );
  });

  it('isModulePath tells paths from names', () => {
    for (const k of ['./a.ts', '../x/y.js', '/abs/s.mjs', 'file:///x.ts', 'strat.ts', 'dir/strat']) assert.equal(isModulePath(k), true, k);
    for (const k of ['market-maker', 'pairs', 'my-strat']) assert.equal(isModulePath(k), false, k);
  });
});
