import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, startDaemon, stopDaemon } from './harness.js';

describe('bot4 config check refuses exactly the risk configs the daemon refuses at start', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bot4-config-risk-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, string, RegExp][] = [
    [
      'limit-past-2^51.yaml',
      'strategies: []\nrisk:\n  portfolio: { maxGrossExposure: "100000000" }\n',
      /^bot4: B4_CONFIG_INVALID: risk\.portfolio\.maxGrossExposure: expected at most 2251799813685248 atoms of 0\.00000001 .*, got "100000000"$/m,
    ],
    ['limit-not-atoms.yaml', 'strategies: []\nrisk:\n  killSwitch: { dailyLossLimit: "0.000000001" }\n', /^bot4: B4_CONFIG_INVALID: risk\.killSwitch\.dailyLossLimit: expected a multiple of the atom 0\.00000001, got "0\.000000001"$/m],
    ['unknown-venue.yaml', 'strategies: []\nrisk:\n  venues: { sim-z: { maxOpenOrders: 5 } }\n', /^bot4: B4_CONFIG_INVALID: risk\.venues\.sim-z: expected a configured venue \(sim-a, sim-b\), got "sim-z"$/m],
    ['unknown-instrument.yaml', 'strategies: []\nrisk:\n  instruments: { "sim-a:DOGE/USDT": { maxOpenOrders: 5 } }\n', /^bot4: B4_CONFIG_INVALID: risk\.instruments\.sim-a:DOGE\/USDT: expected "venue:symbol" /m],
  ];

  for (const [name, text, re] of cases) {
    it(`${name}: config check exits 2 and the daemon refuses it with the same message`, async () => {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      const check = await runCli(['config', 'check', '--config', file]);
      assert.equal(check.code, 2, `config check: exit ${check.code}\n${check.stdout}${check.stderr}`);
      assert.match(check.stderr, re);
      const daemon = await runCli(['daemon', '--config', file, '--port', '0', '--host', '127.0.0.1'], { cwd: dir, timeoutMs: 60_000 });
      assert.notEqual(daemon.code, 0);
      const line = (s: string): string | undefined => s.split('\n').find((l) => re.test(l));
      assert.equal(line(daemon.stderr), line(check.stderr), `daemon stderr:\n${daemon.stderr.slice(-2000)}`);
    });
  }

  it('a limit that fits with a larger atom passes config check and the daemon starts with it', async () => {
    const yaml = 'strategies: []\nrisk:\n  atom: "0.0000001"\n  portfolio: { maxGrossExposure: "100000000" }\n';
    const file = path.join(dir, 'big-atom.yaml');
    writeFileSync(file, yaml);
    const check = await runCli(['config', 'check', '--config', file]);
    assert.equal(check.code, 0, check.stderr);
    const d = await startDaemon(yaml);
    try {
      assert.ok(d.urls.api !== undefined);
    } finally {
      assert.equal(await stopDaemon(d), 0, d.stderr().slice(-2000));
      rmSync(d.dir, { recursive: true, force: true });
    }
  });
});
