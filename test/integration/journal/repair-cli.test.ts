import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeRecordAt } from '../../../actors/journal/record.js';
import { listSegments } from '../../../actors/journal/segments.js';
import { daemonConfigFromCli } from '../../../bin/commands/daemon.js';
import { ConfigError } from '../../../common/errors.js';
import { parseDaemonConfig } from '../../../daemon/config.js';
import { TOKENS, TestClient } from '../../fixtures/gateway/ws-client.js';
import { QUIET_YAML, runCli, startDaemon, stopDaemon, until, type DaemonChild } from '../daemon/harness.js';

const auth = (token: string): { headers: Record<string, string> } => ({ headers: { authorization: `Bearer ${token}` } });

describe('journal repair is reachable from the config and the CLI', function () {
  this.timeout(180_000);
  let journal: string;
  let cwd: string;
  const daemons: DaemonChild[] = [];

  before(() => {
    journal = mkdtempSync(path.join(os.tmpdir(), 'b4-repair-journal-'));
    cwd = mkdtempSync(path.join(os.tmpdir(), 'b4-repair-cwd-'));
    writeFileSync(path.join(cwd, 'bot4.yaml'), QUIET_YAML);
  });
  after(async () => {
    for (const d of daemons) {
      await stopDaemon(d);
      rmSync(d.dir, { recursive: true, force: true });
    }
    rmSync(journal, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
  });

  it('journal.repair: a validated boolean, default false; --repair-journal sets it', () => {
    assert.equal(parseDaemonConfig({}, {}).journal.repair, false);
    assert.equal(parseDaemonConfig({ journal: { repair: true } }, {}).journal.repair, true);
    assert.throws(() => parseDaemonConfig({ journal: { repair: 'yes' } }, {}), (e: unknown) => e instanceof ConfigError && e.message === 'journal.repair: expected a boolean, got "yes"');
    assert.equal(daemonConfigFromCli({ repairJournal: 'true' } as Record<string, string>, {}).journal.repair, true);
    assert.equal(daemonConfigFromCli({}, {}).journal.repair, false);
  });

  it('corruption in the middle: bot4 daemon exits 2 with B4_JOURNAL_CORRUPT naming --repair-journal and journal.repair; with --repair-journal it starts and moves the damage aside', async () => {
    // A real journal written by a daemon: two resting orders and whatever it journals on start.
    const first = await startDaemon(QUIET_YAML, { args: ['--journal', journal] });
    daemons.push(first);
    await until(async () => (await fetch(first.urls.health!)).status === 200, 30_000, '/health 200');
    const admin = await TestClient.connect(first.urls.api!, auth(TOKENS.admin));
    try {
      assert.equal((await admin.request('subscribe', { topics: ['md.ticker.sim-a.BTC/USDT'] })).ok, true);
      const tick = await admin.waitFor((m) => m.topic === 'md.ticker.sim-a.BTC/USDT', 'a ticker', 15_000);
      const bid = (tick.data as { bidTicks: number }).bidTicks;
      for (let i = 0; i < 2; i++) {
        const r = (await admin.request('order.submit', { venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: Math.round(bid * 0.97), qtyLots: 20 })).result as { accepted: boolean };
        assert.equal(r.accepted, true, JSON.stringify(r));
      }
    } finally {
      admin.close();
    }
    assert.equal(await stopDaemon(first), 0, first.stderr().slice(-3000));

    // Flip a byte inside the first record's payload: valid records follow, so it is not a torn tail.
    const seg = listSegments(journal)[0]!;
    const buf = readFileSync(seg.path);
    const r0 = decodeRecordAt(buf, 0, buf.length, 2 ** 20);
    assert.ok(r0.ok && r0.bytes < buf.length, 'more than one record');
    buf[12] = buf[12]! ^ 0x20;
    writeFileSync(seg.path, buf);

    const refused = await runCli(['daemon', '--config', 'bot4.yaml', '--port', '0', '--journal', journal], { cwd, timeoutMs: 60_000 });
    assert.equal(refused.code, 2, refused.stderr.slice(-3000));
    assert.match(refused.stderr, /^bot4: B4_JOURNAL_CORRUPT: journal corrupt in .*segment-0+1\.wal at byte 0: .*--repair-journal.*journal\.repair: true/m);
    assert.doesNotMatch(refused.stderr, /^\s+at /m, 'no stack trace');

    const repaired = await startDaemon(QUIET_YAML, { args: ['--journal', journal, '--repair-journal'] });
    daemons.push(repaired);
    await until(async () => (await fetch(repaired.urls.health!)).status === 200, 30_000, '/health 200 after repair');
    assert.match(repaired.stderr(), /"kind":"repaired"/);
    assert.ok(readdirSync(journal).some((n) => n.includes('.corrupt')), 'the damaged part is kept aside');
    assert.equal(await stopDaemon(repaired), 0, repaired.stderr().slice(-3000));
  });
});
