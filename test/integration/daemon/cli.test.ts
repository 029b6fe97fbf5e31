import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TOKENS } from '../../fixtures/gateway/ws-client.js';
import { runCli, startDaemon, stopDaemon, until, type DaemonChild } from './harness.js';

describe('bot4 config check', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bot4-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts the defaults and a good YAML and JSON file (exit 0, summary)', async () => {
    const d = await runCli(['config', 'check']);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /^config OK$/m);
    assert.match(d.stdout, /mm-btc \(market-maker\), pairs-btc \(pairs\)/);
    writeFileSync(path.join(dir, 'good.yaml'), 'sim: { venues: 3 }\nstrategies: []\ngateway: { port: 9000 }\n');
    const y = await runCli(['config', 'check', '--config', path.join(dir, 'good.yaml')]);
    assert.equal(y.code, 0, y.stderr);
    assert.match(y.stdout, /sim-c \(embedded simulator\)/);
    assert.match(y.stdout, /127\.0\.0\.1:9000/);
    writeFileSync(path.join(dir, 'good.json'), JSON.stringify({ journal: { fsync: 'never' }, strategies: [] }));
    assert.equal((await runCli(['config', 'check', '--config', path.join(dir, 'good.json')])).code, 0);
  });

  it('refuses bad files with exit 2 and a message naming the field (or the file)', async () => {
    const cases: [string, string, RegExp][] = [
      ['bad-field.yaml', 'journal:\n  fsync: sometimes\n', /^bot4: B4_CONFIG_INVALID: journal\.fsync: expected one of "always", "interval", "never", got "sometimes"$/m],
      ['bad-params.yaml', "strategies:\n  - { id: mm-btc, kind: market-maker, instruments: ['sim-a:BTC/USDT'], params: { qtyLots: 0 } }\n", /^bot4: B4_CONFIG_INVALID: strategies\.mm-btc\.params\.qtyLots: expected a value >= 1, got 0$/m],
      ['bad-kind.yaml', "strategies:\n  - { id: mm-btc, kind: nope, instruments: ['sim-a:BTC/USDT'] }\n", /^bot4: B4_STRATEGY_UNKNOWN: /m],
      ['bad-risk.yaml', 'strategies: []\nrisk: { atom: "-1" }\n', /^bot4: B4_CONFIG_INVALID: risk\.atom: /m],
      ['bad-syntax.yaml', 'sim: [1, 2\n', /^bot4: B4_DAEMON_CONFIG_FILE: config ".*bad-syntax\.yaml": not valid YAML/m],
      ['bad.json', '{"sim": ', /^bot4: B4_DAEMON_CONFIG_FILE: config ".*bad\.json": not valid JSON/m],
    ];
    for (const [name, text, re] of cases) {
      writeFileSync(path.join(dir, name), text);
      const r = await runCli(['config', 'check', '--config', path.join(dir, name)]);
      assert.equal(r.code, 2, `${name}: exit ${r.code}\n${r.stdout}${r.stderr}`);
      assert.match(r.stderr, re, name);
    }
    const missing = await runCli(['config', 'check', '--config', path.join(dir, 'nope.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /B4_DAEMON_CONFIG_FILE: .*cannot read \(ENOENT\)/);
  });
});

describe('bot4 daemon with the defaults, driven by the CLI', function () {
  this.timeout(120_000);
  let d: DaemonChild;
  const cli = (args: string[], token = TOKENS.admin): ReturnType<typeof runCli> => runCli([...args, '--url', d.urls.api!, '--token', token]);

  before(async () => {
    // the default config except the port (free) and the journal (inside the temp dir)
    d = await startDaemon('{}\n');
  });
  after(async () => {
    if (d !== undefined) {
      await stopDaemon(d);
      rmSync(d.dir, { recursive: true, force: true });
    }
  });

  it('bot4 venue resume: a venue that is not halted is refused (VENUE_NOT_HALTED, exit 1), an unknown one is UNKNOWN_VENUE, a read token is forbidden', async () => {
    await until(async () => (await fetch(d.urls.health!)).status === 200, 60_000, '/health 200');
    const r = await cli(['venue', 'resume', 'sim-a']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^sim-a\s+no\s+\S+\s+VENUE_NOT_HALTED$/m);
    const u = await cli(['venue', 'resume', 'nope', '--json']);
    assert.equal(u.code, 1, u.stderr);
    assert.deepEqual(JSON.parse(u.stdout), { venue: 'nope', ok: false, state: 'unknown', reason: 'UNKNOWN_VENUE' });
    const forbidden = await cli(['venue', 'resume', 'sim-a'], TOKENS.read);
    assert.equal(forbidden.code, 2);
    assert.match(forbidden.stderr, /^bot4: B4_CLI_REQUEST: venue\.resume: GW_FORBIDDEN: /m);
  });

  it('the default strategies trade on the embedded simulator; status, orders, positions and kill print tables', async () => {
    await until(async () => {
      const r = await cli(['orders', '--status', 'all', '--json', '--limit', '1000']);
      const rows = JSON.parse(r.stdout) as { strategy: string; filledLots: number }[];
      return rows.some((o) => o.strategy === 'mm-btc') && rows.some((o) => o.strategy === 'mm-btc' && o.filledLots > 0);
    }, 90_000, 'mm-btc orders with a fill');
    const s = await cli(['status']);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /^running\s+ACTIVE\s+true/m);
    assert.match(s.stdout, /^mm-btc\s+running\s+running$/m);
    assert.match(s.stdout, /^pairs-btc\s+running\s+running$/m);
    assert.match(s.stdout, /^sim-a\s+running\s+closed/m);
    const o = await cli(['orders', '--status', 'all', '--strategy', 'mm-btc', '--limit', '5']);
    assert.equal(o.code, 0, o.stderr);
    const lines = o.stdout.trim().split('\n');
    assert.match(lines[0]!, /^order\s+client id\s+strategy/);
    assert.ok(lines.length >= 3 && lines.length <= 7, o.stdout);
    assert.ok(lines.slice(2).every((l) => /^mm-btc\.\S+\s+-\s+mm-btc\s+sim-a\s+BTC\/USDT/.test(l)), o.stdout);
    const p = await cli(['positions']);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /^sim-a\s+BTC\/USDT\s+-?\d+/m);
    assert.match(p.stdout, /^sim-b\s+USDT\s+\d+\.\d{8}/m);
    const bad = await cli(['orders', '--limit', '0']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^bot4: B4_CONFIG_INVALID: --limit: expected a value >= 1, got 0$/m);
    const forbidden = await cli(['kill', '--halt'], TOKENS.read);
    assert.equal(forbidden.code, 2);
    assert.match(forbidden.stderr, /^bot4: B4_CLI_REQUEST: killSwitch\.set: GW_FORBIDDEN: /m);
    const k = await cli(['kill', '--reduce']);
    assert.equal(k.code, 0, k.stderr);
    assert.match(k.stdout, /^REDUCING\s+ACTIVE$/m);
    const h = await cli(['kill']);
    assert.match(h.stdout, /^HALTED\s+REDUCING$/m);
    await until(async () => JSON.parse((await cli(['orders', '--json'])).stdout).length === 0, 20_000, 'HALTED: no open orders');
    const r = await cli(['kill', '--resume']);
    assert.match(r.stdout, /^ACTIVE\s+HALTED$/m);
    assert.equal(await stopDaemon(d), 0, d.stderr().slice(-2000));
  });
});
