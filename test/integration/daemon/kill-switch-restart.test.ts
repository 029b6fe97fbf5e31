import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { TOKENS } from '../../fixtures/gateway/ws-client.js';
import { runCli, startDaemon, stopDaemon, until, type DaemonChild } from './harness.js';

/** One sample of `/metrics` (0 when absent). */
async function metric(d: DaemonChild, name: string, labels: string): Promise<number> {
  const text = await (await fetch(d.urls.metrics!)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('daemon: bot4 kill --halt survives SIGKILL and SIGTERM restarts (real CLI, real daemon)', function () {
  this.timeout(240_000);
  let d: DaemonChild | undefined;
  let dir = '';
  const cli = (args: string[], token = TOKENS.admin): ReturnType<typeof runCli> => runCli([...args, '--url', d!.urls.api!, '--token', token]);

  after(async () => {
    if (d !== undefined) await stopDaemon(d);
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('HALTED → SIGKILL → restart: status HALTED, strategies denied RISK_HALTED, nothing sent to a venue; same after SIGTERM', async () => {
    // the default config: the demo strategies trade on the embedded simulator
    d = await startDaemon('{}\n');
    dir = d.dir;
    await until(async () => (await metric(d!, 'bot4_engine_venue_events_total', 'venue="sim-a",event="submitted"')) > 0, 90_000, 'the strategies trade');
    const k = await cli(['kill', '--halt']);
    assert.equal(k.code, 0, k.stderr);
    assert.match(k.stdout, /^HALTED\s+ACTIVE$/m);

    for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
      d.proc.kill(signal);
      await d.exited;
      d = await startDaemon('{}\n', { dir });
      const s = await cli(['status']);
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stdout, /^halted\s+HALTED\s/m, `after ${signal}: ${s.stdout}`);
      // the strategies keep quoting into the risk gate and are denied there
      await until(async () => (await metric(d!, 'bot4_engine_denials_total', 'source="risk",code="RISK_HALTED"')) > 0, 60_000, `after ${signal}: RISK_HALTED denials`);
      for (const venue of ['sim-a', 'sim-b']) assert.equal(await metric(d, 'bot4_engine_venue_events_total', `venue="${venue}",event="submitted"`), 0, `after ${signal}: orders sent to ${venue}`);
    }
    // only an explicit admin command loosens it
    const r = await cli(['kill', '--resume']);
    assert.match(r.stdout, /^ACTIVE\s+HALTED$/m);
    assert.equal(await stopDaemon(d), 0, d.stderr().slice(-2000));
    d = await startDaemon('{}\n', { dir });
    assert.match((await cli(['status'])).stdout, /^\S+\s+ACTIVE\s/m);
  });
});
