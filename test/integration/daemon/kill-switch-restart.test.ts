import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { TOKENS } from '../../fixtures/gateway/ws-client.js';
import { BOT4, runCli, startDaemon, stopDaemon, TOKEN_ENV, until, type DaemonChild } from './harness.js';

/** Starts `bot4 daemon` again in `dir` (same config, same journal), like an operator restarting it. */
async function restartIn(dir: string, timeoutMs = 60_000): Promise<DaemonChild> {
  const proc = spawn(process.execPath, [BOT4, 'daemon', '--config', 'bot4.yaml', '--port', '0', '--host', '127.0.0.1'], {
    cwd: dir,
    env: { ...process.env, BOT4_GATEWAY_TOKENS: TOKEN_ENV, BOT4_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-200_000)));
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  try {
    const urls = await new Promise<Record<string, string>>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`daemon not ready within ${timeoutMs} ms; stderr:\n${err.slice(-3000)}`)), timeoutMs);
      proc.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const line = out.split('\n').find((l) => l.startsWith('bot4 daemon ready '));
        if (line === undefined) return;
        clearTimeout(t);
        resolve(Object.fromEntries(line.split(' ').filter((p) => p.includes('=')).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)])));
      });
      void exited.then((code) => {
        clearTimeout(t);
        reject(new Error(`daemon exited (${code}) before ready; stderr:\n${err.slice(-3000)}`));
      });
    });
    return { proc, dir, urls, stderr: () => err, exited };
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
}

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
      d = await restartIn(dir);
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
    d = await restartIn(dir);
    assert.match((await cli(['status'])).stdout, /^\S+\s+ACTIVE\s/m);
  });
});
