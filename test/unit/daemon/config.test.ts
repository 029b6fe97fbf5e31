import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../../common/errors.js';
import { DAEMON_DEFAULTS, defaultRows, parseDaemonConfig, venueEnvName } from '../../../daemon/config.js';
import { formatTable } from '../../../daemon/client.js';
import { buildProgram } from '../../../bin/cli.js';
import { killTarget } from '../../../bin/commands/kill.js';

import { DOC, ROOT as root, read } from '../docs/doc-files.js';

/** The config reference, the CLI reference and the code table (docs/). */
const configDoc = read(DOC.config);
const cliDoc = read(DOC.cli);
const errorsDoc = read(DOC.errors);

function invalid(raw: unknown, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseDaemonConfig(raw, env);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail('expected a ConfigError');
}

describe('daemon config', () => {
  it('the defaults validate to DAEMON_DEFAULTS (embedded sim, two strategies, gateway 127.0.0.1:8080)', () => {
    const c = parseDaemonConfig(undefined, {});
    assert.deepEqual(c.sim, DAEMON_DEFAULTS.sim);
    assert.deepEqual(c.strategies.map((s) => s.id), ['mm-btc', 'pairs-btc']);
    assert.deepEqual(c.journal, DAEMON_DEFAULTS.journal);
    assert.deepEqual([c.gatewayOptions.host, c.gatewayOptions.port], ['127.0.0.1', 8080]);
    assert.ok(Object.isFrozen(c));
  });

  it('the docs/config.md table lists every default with its value', () => {
    const rows = defaultRows();
    assert.ok(rows.length >= 15);
    for (const [field, value] of rows) assert.ok(configDoc.includes(`| \`${field}\` | \`${value}\` |`), `docs/config.md lacks the row for ${field} = ${value}`);
  });

  it('messages name the field, the expectation and the value', () => {
    assert.equal(invalid({ journal: { fsync: 'sometimes' } }).message, 'journal.fsync: expected one of "always", "interval", "never", got "sometimes"');
    assert.match(invalid({ sim: { venues: 30 } }).message, /^sim\.venues: expected a value <= 26, got 30$/);
    assert.equal(invalid({ colour: 'red' }).message, 'colour: expected one of the fields sim, venues, symbols, journal, risk, strategies, gateway, auth, shutdown, tracing, cluster, got an unknown field');
    assert.match(invalid({ journal: { dir: 'j', extra: 1 } }).message, /^journal: expected no unknown keys \(extra\)/);
    assert.match(invalid({ strategies: [{ id: 'mm', kind: 'market-maker', instruments: ['sim-a:BTC/USDT'] }] }).message, /^strategies\.0\.id: expected a strategy id listed under risk\.strategies.*, got "mm"$/);
    assert.match(invalid({ strategies: [{ id: 'api', kind: 'market-maker', instruments: ['sim-z:BTC/USDT'] }], risk: { strategies: { api: {} } } }).message, /^strategies\.0\.instruments\.0: expected an instrument .* got "sim-z:BTC\/USDT"$/);
    assert.match(invalid({ gateway: { port: 70000 } }).message, /^gateway\.port: expected a value <= 65535, got 70000$/);
    assert.throws(() => parseDaemonConfig(['a'], {}), /config: expected a mapping/);
  });

  it('venue secrets come from BOT4_VENUE_<NAME>_API_KEY/_API_SECRET; missing ones are named', () => {
    const venue = { name: 'my-ex', rest: 'http://127.0.0.1:1/api/v3' };
    assert.equal(venueEnvName('my-ex', 'API_KEY'), 'BOT4_VENUE_MY_EX_API_KEY');
    const c = parseDaemonConfig({ venues: [venue], strategies: [] }, { BOT4_VENUE_MY_EX_API_KEY: 'k', BOT4_VENUE_MY_EX_API_SECRET: 's' });
    assert.deepEqual([c.venues[0]!.apiKey, c.venues[0]!.secret], ['k', 's']);
    assert.match(invalid({ venues: [venue], strategies: [] }, { BOT4_VENUE_MY_EX_API_KEY: 'k' }).message, /^venues\.0\.secret: expected a string, got undefined$/);
    // the default strategies name sim venues: with real venues they must be replaced
    assert.match(invalid({ venues: [venue] }, { BOT4_VENUE_MY_EX_API_KEY: 'k', BOT4_VENUE_MY_EX_API_SECRET: 's' }).field, /^strategies\.0\.instruments\.0$/);
  });

  it('gateway tokens merge BOT4_GATEWAY_TOKENS', () => {
    const c = parseDaemonConfig({}, { BOT4_GATEWAY_TOKENS: 'ops:ops-token-0123456789:admin' });
    assert.deepEqual(c.gatewayOptions.tokens, [{ name: 'ops', token: 'ops-token-0123456789', roles: ['admin'] }]);
  });
});

describe('daemon CLI', () => {
  it('docs/cli.md documents every option of every daemon-facing command', async () => {
    const program = await buildProgram();
    const cmds = ['daemon', 'status', 'orders', 'positions', 'kill'].map((n) => program.commands.find((c) => c.name() === n)!);
    cmds.push(program.commands.find((c) => c.name() === 'config')!.commands.find((c) => c.name() === 'check')!);
    for (const c of cmds) {
      assert.ok(c !== undefined);
      assert.ok(cliDoc.includes(`bot4 ${c.parent?.name() === 'config' ? 'config ' : ''}${c.name()}`), `docs/cli.md lacks bot4 ${c.name()}`);
      for (const o of c.options) assert.ok(cliDoc.includes(`\`${o.long!}`), `docs/cli.md lacks ${c.name()} ${o.long}`);
    }
  });

  it('kill takes at most one state flag, --halt by default', () => {
    assert.equal(killTarget({}), 'HALTED');
    assert.equal(killTarget({ reduce: true }), 'REDUCING');
    assert.equal(killTarget({ resume: true }), 'ACTIVE');
    assert.throws(() => killTarget({ halt: true, resume: true }), ConfigError);
  });

  it('formats tables with padded columns and right-aligned numbers', () => {
    assert.equal(formatTable(['a', 'n'], [['xy', 5], ['z', 123]]), 'a     n\n--  ---\nxy    5\nz   123');
    assert.equal(formatTable(['a'], [[undefined]]), 'a\n-\n-');
  });

  it('the docs/errors.md table has every daemon and CLI code', () => {
    const dir = path.join(root, 'daemon');
    const codes = new Set<string>();
    for (const f of readdirSync(dir)) for (const m of readFileSync(path.join(dir, f), 'utf8').matchAll(/['"`](B4_[A-Z0-9_]+)['"`]/g)) codes.add(m[1]!);
    assert.ok(codes.size >= 4);
    for (const c of codes) assert.ok(errorsDoc.includes(`| \`${c}\` |`), `docs/errors.md lacks ${c}`);
  });
});
