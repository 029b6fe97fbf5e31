import assert from 'node:assert/strict';
import { ConfigError } from '../../../../common/errors.js';
import { MAX_LIMIT_ATOMS, parseRiskConfig, RISK_DEFAULTS } from '../../../../actors/risk/config.js';
import { RiskConfigError } from '../../../../actors/risk/errors.js';
import { RiskEngine } from '../../../../actors/risk/risk-engine.js';
import { SimulatedClock } from '../../../../common/clock.js';
import { AtomicCounters } from '../../../../native/atomic-counters.js';
import { RollingCorrelation } from '../../../../native/rolling-correlation.js';
import { looseConfig, unitInstrument } from './fixtures.js';

const clock = new SimulatedClock();
const instruments = [unitInstrument('v1', 'A/USDT')];
const build = (config: unknown, extra: object = {}): RiskEngine => new RiskEngine({ config: config as never, clock, instruments, ...extra });

describe('risk config', () => {
  it('applies every default from RISK_DEFAULTS', () => {
    const c = parseRiskConfig({});
    assert.equal(c.atom, RISK_DEFAULTS.atom);
    assert.deepEqual({ ...c.portfolio }, { ...RISK_DEFAULTS.portfolio });
    assert.deepEqual({ ...c.correlation }, { ...RISK_DEFAULTS.correlation });
    assert.deepEqual({ ...c.killSwitch }, { ...RISK_DEFAULTS.killSwitch });
    assert.deepEqual({ ...c.checks }, { ...RISK_DEFAULTS.checks });
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.portfolio));
  });

  const bad: [string, unknown, RegExp][] = [
    ['negative band', { defaults: { instrument: { priceBandBps: -1 } } }, /^risk\.defaults\.instrument\.priceBandBps: expected a value >= 0, got -1$/],
    ['fractional band', { instruments: { 'v1:A/USDT': { priceBandBps: 1.5 } } }, /^risk\.instruments\.v1:A\/USDT\.priceBandBps: expected an integer, got 1.5$/],
    ['money as a number', { portfolio: { maxGrossExposure: 1000 } }, /^risk\.portfolio\.maxGrossExposure: expected a string, got 1000$/],
    ['malformed money', { portfolio: { maxGrossExposure: '1e9x' } }, /^risk\.portfolio\.maxGrossExposure: expected a non-negative decimal string such as "50000" or "0\.5", got "1e9x"$/],
    ['zero atom', { atom: '0' }, /^risk\.atom: expected a positive decimal string such as "0\.00000001", got "0"$/],
    ['unknown key', { portfolio: { maxGross: '1' } }, /^risk\.portfolio: expected no unknown keys \(maxGross\)/],
    ['threshold above 1', { correlation: { pairThreshold: 1.2 } }, /^risk\.correlation\.pairThreshold: expected a value <= 1, got 1.2$/],
    ['bad kill state', { killSwitch: { onLoss: 'PANIC' } }, /^risk\.killSwitch\.onLoss: expected one of "REDUCING", "HALTED", got "PANIC"$/],
    ['zero rate', { venues: { v1: { rate: { perSecond: 0 } } } }, /^risk\.venues\.v1\.rate\.perSecond: expected a value > 0, got 0$/],
    ['zero quote age', { defaults: { instrument: { maxQuoteAgeMs: 0 } } }, /^risk\.defaults\.instrument\.maxQuoteAgeMs: expected a value > 0, got 0$/],
  ];
  for (const [name, input, message] of bad) {
    it(`names field, expectation and value: ${name}`, () => {
      assert.throws(
        () => build(input),
        (e: unknown) => e instanceof ConfigError && e.code === 'B4_CONFIG_INVALID' && message.test(e.message),
      );
    });
  }

  it('money that is not a whole number of atoms', () => {
    assert.throws(() => build({ atom: '0.01', portfolio: { maxGrossExposure: '0.001' } }), /risk\.portfolio\.maxGrossExposure: expected a multiple of the atom 0\.01, got "0\.001"/);
  });

  it('a limit beyond 2^51 atoms', () => {
    assert.throws(() => build({ atom: '1', portfolio: { maxGrossExposure: String(MAX_LIMIT_ATOMS + 1) } }), /expected at most 2251799813685248 atoms/);
    build({ atom: '1', portfolio: { maxGrossExposure: String(MAX_LIMIT_ATOMS) } });
  });

  it('overrides for unknown venues, instruments and breakers are B4_RISK_CONFIG_INVALID', () => {
    const isCfg = (field: string) => (e: unknown) => e instanceof RiskConfigError && e.code === 'B4_RISK_CONFIG_INVALID' && e.field === field;
    assert.throws(() => build({ venues: { nope: {} } }), isCfg('risk.venues.nope'));
    assert.throws(() => build({ instruments: { 'v1:Z/USDT': {} } }), isCfg('risk.instruments.v1:Z/USDT'));
    assert.throws(() => build({ instruments: { novenue: {} } }), isCfg('risk.instruments.novenue'));
    assert.throws(() => build({}, { breakers: { v9: { state: 'closed' } } }), isCfg('breakers.v9'));
    assert.throws(() => build({}, { countersBase: -1 }), isCfg('countersBase'));
  });

  it('tick × lot must be a whole number of atoms; duplicates are rejected', () => {
    assert.throws(
      () => new RiskEngine({ clock, config: { atom: '0.01' }, instruments: [unitInstrument('v1', 'A/USDT', { tickSize: '0.1', lotSize: '0.01' })] }),
      (e: unknown) => e instanceof RiskConfigError && /tickSize×lotSize: expected 0\.1 × 0\.01 to be a whole number of atoms \(0\.01\)/.test(e.message),
    );
    assert.throws(() => new RiskEngine({ clock, instruments: [unitInstrument('v1', 'A/USDT'), unitInstrument('v1', 'A/USDT')] }), /duplicate/);
    assert.throws(
      () => new RiskEngine({ clock, instruments: [unitInstrument('v1', 'A/USDT', { minQtyLots: 5, maxQtyLots: 4 })] }),
      /expected integer lots with 0 <= minQtyLots <= maxQtyLots, got 5\.\.4/,
    );
  });

  it('BTC/USDT at Binance filters: 0.01 × 0.00001 = 10 atoms of 1e-8 per tick·lot', () => {
    const e = new RiskEngine({ clock, instruments: [unitInstrument('binance', 'BTC/USDT', { tickSize: '0.01', lotSize: '0.00001' })] });
    assert.equal(e.state.atomsPerTickLot[0], 10);
    assert.equal(e.state.baseAtomsPerLot[0], 1000);
  });

  it('correlation symbols must match the source', () => {
    assert.throws(
      () => build({}, { correlation: { source: new RollingCorrelation(3, 10), symbols: ['A/USDT'] } }),
      /correlation\.symbols: expected 3 symbols \(one per series of the source\), got 1/,
    );
    assert.throws(() => build({}, { correlation: { source: new RollingCorrelation(2, 10), symbols: ['A/USDT', 'A/USDT'] } }), /expected unique symbols/);
  });

  it('slotsNeeded: 1 + venues + strategies, and a base offset is honoured', () => {
    const cfg = looseConfig();
    assert.equal(RiskEngine.slotsNeeded(instruments, cfg), 1 + 1 + 2);
    const counters = AtomicCounters.create(10);
    const e = new RiskEngine({ config: cfg, clock, instruments, counters, countersBase: 5 });
    e.killSwitch.halt('x');
    assert.equal(counters.load(0), 0);
    assert.notEqual(counters.load(5), 0);
  });
});
