import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { buildProgram } from '../../../bin/cli.js';
import { parseSubmit, submitArgs } from '../../../bin/commands/order.js';
import { renderPositions, totals } from '../../../bin/commands/positions.js';
import { renderOrders } from '../../../bin/commands/orders.js';
import { renderInstruments } from '../../../bin/commands/instruments.js';
import { formatEvent } from '../../../bin/commands/events.js';
import { InstrumentTable, type InstrumentRow } from '../../../bin/instrument-table.js';
import { parseArgs } from '../../../gateway/protocol.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BTC: InstrumentRow = { venue: 'sim-a', symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001', minQtyLots: 1, maxQtyLots: 900_000_000, minNotional: '5', midTicks: 6_000_050 };
const ETH: InstrumentRow = { venue: 'sim-a', symbol: 'ETH/USDT', base: 'ETH', quote: 'USDT', tickSize: '0.01', lotSize: '0.0001', minQtyLots: 1, maxQtyLots: 90_000_000, minNotional: '5', midTicks: 300_001 };
const table = new InstrumentTable([BTC, ETH, { ...BTC, venue: 'sim-b', midTicks: 5_999_950 }]);

describe('bin: the trading commands', () => {
  const flags = { venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', price: '65000.5', qty: '0.001' };

  it('order submit: decimals become the API\'s ticks and lots; the result parses as order.submit args', () => {
    const args = submitArgs(parseSubmit({ ...flags, clientId: 'c-1', tif: 'IOC', reduceOnly: true }), (v, s) => table.require(v, s));
    assert.deepEqual(args, { venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'IOC', priceTicks: 6_500_050, qtyLots: 100, clientOrderId: 'c-1', reduceOnly: true });
    assert.ok(parseArgs('order.submit', args).ok);
    assert.deepEqual(submitArgs(parseSubmit({ ...flags, raw: true, price: '6500050', qty: '100' }), (v, s) => table.require(v, s)), { venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: 6_500_050, qtyLots: 100 });
  });

  it('order submit: a market order may omit --price (sent without priceTicks); limit orders may not', () => {
    const { price: _, ...noPrice } = flags;
    const m = submitArgs(parseSubmit({ ...noPrice, type: 'market' }), (v, s) => table.require(v, s));
    assert.equal('priceTicks' in m, false);
    assert.equal(m.type, 'market');
    assert.throws(() => parseSubmit(noPrice), /^ConfigError: --price: expected a price for a limit order \(only market orders may omit it\), got undefined$/);
    assert.throws(() => parseSubmit({ ...noPrice, type: 'limit-maker' }), /--price: expected a price for a limit-maker order/);
  });

  it('order submit: unknown venue or symbol and out-of-range quantities name the option', () => {
    assert.throws(() => submitArgs(parseSubmit({ ...flags, venue: 'sim-z' }), (v, s) => table.require(v, s)), /^ConfigError: --venue: expected a venue the daemon trades \(sim-a, sim-b\), got "sim-z"$/);
    assert.throws(() => submitArgs(parseSubmit({ ...flags, symbol: 'SOL/USDT' }), (v, s) => table.require(v, s)), /^ConfigError: --symbol: expected a symbol traded on sim-a \(BTC\/USDT, ETH\/USDT\), got "SOL\/USDT"$/);
    assert.throws(() => submitArgs(parseSubmit({ ...flags, qty: '9000.00001' }), (v, s) => table.require(v, s)), /^ConfigError: --qty: expected a quantity between the minimum and maximum of sim-a BTC\/USDT \(1\.\.900000000 lots of 0\.00001\), got "9000\.00001"$/);
    assert.throws(() => parseSubmit({ ...flags, side: 'long' }), /--side: expected one of "buy", "sell", got "long"/);
    assert.throws(() => parseSubmit({ ...flags, clientId: 'has space' }), /--client-id: /);
  });

  it('positions: total equity = quote balances + other balances × last mid, PnL = realized + unrealized, exactly', () => {
    const balances = [
      { venue: 'sim-a', asset: 'BTC', total: '2.00000000', locked: '0', free: '2' },
      { venue: 'sim-a', asset: 'ETH', total: '0.50000000', locked: '0', free: '0.5' },
      { venue: 'sim-a', asset: 'USDT', total: '100000.12345678', locked: '0', free: '0' },
      { venue: 'sim-b', asset: 'BTC', total: '1.00000001', locked: '0', free: '0' },
      { venue: 'sim-b', asset: 'USDT', total: '5.00000000', locked: '0', free: '0' },
    ];
    const positions = [
      { venue: 'sim-a', symbol: 'BTC/USDT', qtyLots: 100, qty: '0.00100', cost: '60.00', realizedPnl: '1.50000000', unrealizedPnl: '0.00050000', markTicks: 6_000_050, quote: 'USDT' },
      { venue: 'sim-b', symbol: 'BTC/USDT', qtyLots: -5, qty: '-0.00005', cost: '-3', realizedPnl: '-0.25000000', unrealizedPnl: '-0.10000000', markTicks: 5_999_950, quote: 'USDT' },
    ];
    // 2 × 60000.50 + 0.5 × 3000.01 + 100000.12345678 + 1.00000001 × 59999.50 + 5
    //   = 120001 + 1500.005 + 100000.12345678 + 59999.500599995 + 5 = 281505.629056775 (exact; trailing zeros cut to the balances' 8 decimals)
    assert.deepEqual(totals(positions, balances, table), [{ quote: 'USDT', equity: '281505.629056775', realizedPnl: '1.25000000', unrealizedPnl: '-0.09950000', pnl: '1.15050000', unvalued: [] }]);
    // a balance without a mid: equity unknown and named; a position without a mark: unrealized unknown
    const noMid = new InstrumentTable([{ ...BTC, midTicks: undefined } as InstrumentRow]);
    const t = totals([{ ...positions[0]!, unrealizedPnl: undefined }], balances.slice(0, 3), noMid)[0]!;
    assert.equal(t.equity, undefined);
    assert.deepEqual(t.unvalued, ['sim-a:BTC']);
    assert.equal(t.unrealizedPnl, undefined);
    assert.equal(t.realizedPnl, '1.50000000');
  });

  it('tables print decimals, --raw ticks and lots (orders, positions, instruments)', () => {
    const order = { orderId: 'api.x.1', strategy: 'api', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', status: 'accepted', priceTicks: 6_500_050, qtyLots: 100, filledLots: 40 };
    assert.match(renderOrders([order], table), /^api\.x\.1\s+-\s+api\s+sim-a\s+BTC\/USDT\s+buy\s+limit\s+GTC\s+accepted\s+65000\.50\s+0\.00100\s+0\.00040\s+-\s+-$/m);
    assert.match(renderOrders([order]), /^api\.x\.1\s+-\s+api\s+sim-a\s+BTC\/USDT\s+buy\s+limit\s+GTC\s+accepted\s+6500050\s+100\s+40\s+-\s+-$/m);
    // 10 lots at 6500050 and 30 at 6500049 ticks: 260001970 / 40 = 6500049.25 ticks = 65000.4925 (exact)
    const part = { ...order, cumTickLots: String(10 * 6_500_050 + 30 * 6_500_049) };
    assert.match(renderOrders([part], table), /\s0\.00040\s+65000\.4925\s+-$/m);
    assert.match(renderOrders([part]), /\s40\s+6500049\.25\s+-$/m);
    // a ratio that does not end: rounded half away from zero at 4 decimals past the tick
    assert.match(renderOrders([{ ...order, filledLots: 3, cumTickLots: String(6_500_050 + 2 * 6_500_051) }], table), /\s65000\.506667\s+-$/m);
    assert.match(renderOrders([{ ...part, filledLots: 40, cumTickLots: String(40 * 6_500_050) }], table), /\s65000\.50\s+-$/m, 'whole ticks print with the tick size decimals');
    assert.match(renderOrders([{ ...order, venue: 'gone' }], table), /\s6500050 ticks\s+100 lots\s+40 lots\s/);
    const pos = [{ venue: 'sim-a', symbol: 'BTC/USDT', qtyLots: 100, qty: '0.00100000', cost: '60', realizedPnl: '0', unrealizedPnl: '0.0005', markTicks: 6_000_050, quote: 'USDT' }];
    const bal = [{ venue: 'sim-a', asset: 'USDT', total: '10.00000000', locked: '0', free: '10' }];
    assert.match(renderPositions(pos, bal, table), /^sim-a\s+BTC\/USDT\s+0\.00100000\s+60\s+0\s+0\.0005\s+60000\.50\s+USDT$/m);
    assert.match(renderPositions(pos, bal, table, true), /^sim-a\s+BTC\/USDT\s+100\s+60\s+0\s+0\.0005\s+6000050\s+USDT$/m);
    assert.match(renderPositions(pos, bal, table), /^USDT\s+10\.00000000\s+0\.00000000\s+0\.00050000\s+0\.00050000$/m);
    assert.match(renderInstruments([BTC], false), /^sim-a\s+BTC\/USDT\s+BTC\s+USDT\s+0\.01\s+0\.00001\s+0\.00001\s+9000\.00000\s+5\s+60000\.50$/m);
    assert.match(renderInstruments([BTC], true), /^sim-a\s+BTC\/USDT\s+0\.01\s+0\.00001\s+1\s+900000000\s+5\s+6000050$/m);
  });

  it('events: one line per event with decimal prices and sizes of its instrument (raw without a table)', () => {
    const at = new Date('2026-12-05T01:02:03.456Z');
    const data = { type: 'order.update', orderId: 'api.x.1', status: 'accepted', clientOrderId: 'api.x.1', state: 'accepted', tNs: 123, venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', priceTicks: 6_500_050, qtyLots: 100, filledLots: 0, reason: 'post only' };
    assert.equal(formatEvent('orders', data, table, at), '01:02:03.456 orders order.update orderId=api.x.1 status=accepted venue=sim-a symbol=BTC/USDT side=buy price=65000.50 qty=0.00100 filled=0.00000 reason="post only"');
    assert.equal(formatEvent('orders', data, undefined, at), '01:02:03.456 orders order.update orderId=api.x.1 status=accepted venue=sim-a symbol=BTC/USDT side=buy priceTicks=6500050 qtyLots=100 filledLots=0 reason="post only"');
    assert.match(formatEvent('orders', { ...data, clientOrderId: 'mine' }, table, at), / clientOrderId=mine /);
    const denial = { type: 'order.denied', source: 'risk', code: 'RISK_PRICE_BAND', intent: { venue: 'sim-a', symbol: 'ETH/USDT', side: 'sell', priceTicks: 300_001, qtyLots: 5 } };
    assert.equal(formatEvent('risk.denials', denial, table, at), '01:02:03.456 risk.denials order.denied source=risk code=RISK_PRICE_BAND intent.venue=sim-a intent.symbol=ETH/USDT intent.side=sell intent.price=3000.01 intent.qty=0.0005');
  });

  it('instruments.get takes an optional venue and nothing else', () => {
    assert.ok(parseArgs('instruments.get', undefined).ok);
    assert.ok(parseArgs('instruments.get', { venue: 'sim-a' }).ok);
    const bad = parseArgs('instruments.get', { venue: 'a b' });
    assert.ok(!bad.ok && bad.error.code === 'GW_BAD_REQUEST' && bad.error.field === 'args.venue', JSON.stringify(bad));
    assert.ok(!parseArgs('instruments.get', { symbol: 'BTC/USDT' }).ok);
  });

  it('docs/cli.md documents every trading command and each of its options', async () => {
    const doc = readFileSync(path.join(ROOT, 'docs/cli.md'), 'utf8');
    const program = await buildProgram();
    const sub = (parent: string, name: string): Command => program.commands.find((c) => c.name() === parent)!.commands.find((c) => c.name() === name)!;
    const cmds: [string, Command][] = [
      ['bot4 order submit', sub('order', 'submit')],
      ['bot4 order cancel', sub('order', 'cancel')],
      ['bot4 order cancel-all', sub('order', 'cancel-all')],
      ['bot4 strategy list', sub('strategy', 'list')],
      ['bot4 strategy start', sub('strategy', 'start')],
      ['bot4 strategy stop', sub('strategy', 'stop')],
      ['bot4 instruments', program.commands.find((c) => c.name() === 'instruments')!],
      ['bot4 events', program.commands.find((c) => c.name() === 'events')!],
      ['bot4 orders', program.commands.find((c) => c.name() === 'orders')!],
      ['bot4 positions', program.commands.find((c) => c.name() === 'positions')!],
    ];
    for (const [name, c] of cmds) {
      assert.ok(c !== undefined, name);
      assert.ok(doc.includes(`\`${name}`), `docs/cli.md lacks ${name}`);
      for (const o of c.options) assert.ok(doc.includes(`\`${o.long!}`), `docs/cli.md lacks ${name} ${o.long}`);
    }
  });
});
