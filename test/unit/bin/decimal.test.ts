import assert from 'node:assert/strict';
import { ConfigError } from '../../../common/errors.js';
import { addDec, formatDec, fromSteps, mulDec, parseDec, rawSteps, toSteps } from '../../../bin/decimal.js';

describe('bin/decimal: exact decimal ↔ ticks and lots', () => {
  it('converts decimals to whole steps exactly, at any scale, without floats', () => {
    assert.equal(toSteps('--price', '65000.5', '0.01', 'tick'), 6_500_050);
    assert.equal(toSteps('--price', '65000.50', '0.01', 'tick'), 6_500_050);
    assert.equal(toSteps('--qty', '0.001', '0.00001', 'lot'), 100);
    assert.equal(toSteps('--qty', '3', '0.00001', 'lot'), 300_000);
    assert.equal(toSteps('--price', '0.3', '0.1', 'tick'), 3, '0.1 + 0.2 style float error would break this');
    assert.equal(toSteps('--price', '1.5', '0.5', 'tick'), 3);
    assert.equal(toSteps('--price', '90071992547409.91', '0.01', 'tick'), Number.MAX_SAFE_INTEGER);
  });

  it('refuses what is not a whole number of steps, naming the field, the step and what arrived', () => {
    assert.throws(() => toSteps('--price', '65000.005', '0.01', 'tick size 0.01 of sim-a BTC/USDT'), (e: ConfigError) => e instanceof ConfigError && e.field === '--price' && e.message === '--price: expected a multiple of the tick size 0.01 of sim-a BTC/USDT, got "65000.005"');
    assert.throws(() => toSteps('--price', '1.2', '0.5', 'tick'), /--price: expected a multiple of the tick, got "1\.2"/);
    for (const bad of ['6.5e4', '-1', '1.', '.5', '', '0x10', '1,5', ' 1']) assert.throws(() => toSteps('--qty', bad, '0.001', 'lot'), /^ConfigError: --qty: expected a positive decimal number/, bad);
    assert.throws(() => toSteps('--qty', '0.000', '0.001', 'lot'), /--qty: expected a value > 0, got "0\.000"/);
    assert.throws(() => toSteps('--price', '90071992547409.92', '0.01', 'tick'), /--price: expected at most 90071992547409\.91/);
  });

  it('--raw takes whole ticks and lots only', () => {
    assert.equal(rawSteps('--price', '6500050', 'ticks'), 6_500_050);
    for (const bad of ['0', '1.5', '-3', '9007199254740992', 'x']) assert.throws(() => rawSteps('--price', bad, 'ticks'), /--price: expected a whole number of ticks/, bad);
  });

  it('formats steps back to decimals with the step\'s decimals, and adds and multiplies exactly', () => {
    assert.equal(fromSteps(6_500_050, '0.01'), '65000.50');
    assert.equal(fromSteps(100, '0.00001'), '0.00100');
    assert.equal(fromSteps(-3n, '0.5'), '-1.5');
    assert.equal(fromSteps(7, '1'), '7');
    const a = parseDec('0.1')!;
    const b = parseDec('0.2')!;
    assert.equal(formatDec(addDec(a, b)), '0.3');
    assert.equal(formatDec(mulDec(parseDec('2.00000000')!, parseDec('60000.01')!)), '120000.0200000000');
    assert.equal(formatDec(addDec(parseDec('-1.5')!, parseDec('0.25')!)), '-1.25');
    assert.equal(parseDec('1e5'), undefined);
  });
});
